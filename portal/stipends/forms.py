"""Forms for recording and voiding payments and for the tax-form status."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, PasswordField, StringField, TextAreaField
from wtforms.validators import Optional

from portal.forms import (
    DayField,
    Form,
    MoneyField,
    Radio,
    Select,
    max_length,
    no_control_characters,
    required,
)
from portal.stipends.labels import METHOD_LABELS, TAX_FORM_LABELS, VOID_REASON_LABELS


class PasswordAgainMixin:
    """Shown only when the last sign-in is not recent; checked by the view."""

    password = PasswordField(
        _l("Your password"),
        description=_l("To keep money safe, enter your password again before this step."),
        render_kw={"autocomplete": "current-password"})


class PaymentForm(PasswordAgainMixin, Form):
    amount = MoneyField(_l("Amount in dollars"), validators=[required(_l("Enter the amount."))],
                        render_kw={"inputmode": "decimal", "autocomplete": "off"})
    paid_on = DayField(_l("Date paid"), validators=[required(_l("Enter the date it was paid."))],
                       render_kw={"type": "date"})
    method = Radio(_l("How it was paid"),
                   choices=[(method.value, label) for method, label in METHOD_LABELS.items()],
                   validators=[required(_l("Choose how it was paid."))])
    reference = StringField(
        _l("Reference (optional)"),
        description=_l("For example the check number or the card's last four digits."),
        validators=[Optional(), max_length(80), no_control_characters],
        render_kw={"autocomplete": "off"})
    note = TextAreaField(_l("Note (optional)"),
                         validators=[Optional(), max_length(500), no_control_characters])
    submission_key = HiddenField()


class VoidForm(PasswordAgainMixin, Form):
    reason_kind = Radio(
        _l("What went wrong?"),
        description=_l("The member is told this by email, in their language, with what "
                       "happens next."),
        choices=[(kind.value, label) for kind, label in VOID_REASON_LABELS.items()],
        validators=[required(_l("Choose what went wrong."))])
    reason = TextAreaField(
        _l("Why is this payment voided?"),
        description=_l("For example: the check was lost, or the amount was typed wrong. "
                       "Everyone who reads the ledger will see this."),
        validators=[required(_l("Say why this payment is voided.")), max_length(500),
                    no_control_characters])


class TaxFormForm(Form):
    tax_form_status = Select(
        _l("Tax form (W-9)"),
        choices=[(status.value, label) for status, label in TAX_FORM_LABELS.items()])


class TaxDetailsForm(Form):
    legal_name = StringField(
        _l("Legal name"), description=_l("As it is written on their tax form (W-9)."),
        validators=[Optional(), max_length(160), no_control_characters],
        render_kw={"autocomplete": "off"})
    address_line1 = StringField(
        _l("Street address"), validators=[Optional(), max_length(200), no_control_characters],
        render_kw={"autocomplete": "off"})
    address_line2 = StringField(
        _l("Apartment, suite or unit (optional)"),
        validators=[Optional(), max_length(200), no_control_characters],
        render_kw={"autocomplete": "off"})
    city = StringField(_l("City"), validators=[Optional(), max_length(100),
                                                no_control_characters],
                       render_kw={"autocomplete": "off"})
    state = StringField(_l("State"), validators=[Optional(), max_length(60),
                                                  no_control_characters],
                        render_kw={"autocomplete": "off"})
    postal_code = StringField(_l("ZIP code"), validators=[Optional(), max_length(20),
                                                          no_control_characters],
                              render_kw={"autocomplete": "off"})
