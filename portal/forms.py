"""Form pieces every area uses: fields whose every message is translated."""

from __future__ import annotations

import re
import secrets
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.csrf.core import CSRFTokenField
from wtforms.validators import InputRequired, Length, ValidationError
from wtforms.widgets import HiddenInput


def strip(value):
    return value.strip() if isinstance(value, str) else value


class HiddenInputWithoutId(HiddenInput):
    """A hidden input with no id: every page holds the sign-out form besides its own,
    so an id on each CSRF token would appear twice (invalid HTML)."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", False)
        return super().__call__(field, **kwargs)


class Form(FlaskForm):
    class Meta:
        # Lead and trail spaces are never meaningful in what people type here.
        def bind_field(self, form, unbound_field, options):
            filters = unbound_field.kwargs.get("filters", ())
            if issubclass(unbound_field.field_class, StringField):
                options["filters"] = (strip, *filters)
            if issubclass(unbound_field.field_class, CSRFTokenField):
                options["widget"] = HiddenInputWithoutId()
            return unbound_field.bind(form=form, **options)

    def add_error(self, field_name: str, message) -> None:
        field = getattr(self, field_name)
        # Before validation WTForms holds errors in a tuple.
        field.errors = [*field.errors, message]


def required(message):
    return InputRequired(message=message)


def max_length(limit: int):
    return Length(max=limit, message=_l("Use %(limit)d characters or fewer.", limit=limit))


_AMOUNT = re.compile(r"-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d{1,2})?")


class MoneyField(StringField):
    """An amount typed in dollars and cents, held as integer cents in `data`."""

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if isinstance(self.data, int):
            return f"{Decimal(self.data) / 100:.2f}"
        return ""

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or not valuelist[0].strip():
            return
        text = valuelist[0].strip().lstrip("$").strip()
        # Commas only as thousands separators: "600,50" is refused, never read as 60050.
        if not _AMOUNT.fullmatch(text):
            raise ValueError(_l("Enter an amount in dollars, like 600 or 600.00."))
        try:
            amount = Decimal(text.replace(",", ""))
        except InvalidOperation:
            raise ValueError(_l("Enter an amount in dollars, like 600 or 600.00.")) from None
        if amount <= 0:
            raise ValueError(_l("Enter an amount greater than zero."))
        if amount >= Decimal(10_000_000):
            raise ValueError(_l("Enter an amount smaller than 10,000,000."))
        self.data = int(amount * 100)


class WholeNumberField(StringField):
    def __init__(self, label=None, validators=None, minimum=0, maximum=100, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.minimum = minimum
        self.maximum = maximum

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else str(self.data)

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or not valuelist[0].strip():
            return
        text = valuelist[0].strip()
        if not text.isascii() or not text.isdigit() or len(text) > 6:
            raise ValueError(
                _l("Enter a whole number from %(minimum)d to %(maximum)d.",
                   minimum=self.minimum, maximum=self.maximum)
            )
        value = int(text)
        if not self.minimum <= value <= self.maximum:
            raise ValueError(
                _l("Enter a whole number from %(minimum)d to %(maximum)d.",
                   minimum=self.minimum, maximum=self.maximum)
            )
        self.data = value


class DayField(DateField):
    """A calendar day (YYYY-MM-DD, as a browser date picker sends it)."""

    # Days the portal can count from in any time zone: year 1 or 9999 would
    # overflow as soon as a time, a deadline or a second meeting is added.
    EARLIEST = date(1900, 1, 1)
    LATEST = date(2999, 12, 31)

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, format="%Y-%m-%d", **kwargs)

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or not valuelist[0].strip():
            return
        try:
            day = date.fromisoformat(valuelist[0].strip())
        except ValueError:
            day = None
        if day is None or not self.EARLIEST <= day <= self.LATEST:
            raise ValueError(_l("Enter a real date, like 2026-12-02."))
        self.data = day


def no_control_characters(form, field):
    if isinstance(field.data, str) and any(
        ord(ch) < 32 and ch not in "\r\n\t" for ch in field.data
    ):
        raise ValidationError(_l("Remove the invisible control characters from this text."))


# Characters that reorder the text around them (Unicode bidi embeddings, overrides,
# isolates and marks): in a name they could make it read as something else.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                          "\u2066\u2067\u2068\u2069")


def no_direction_controls(form, field):
    """Names and titles keep the order people typed; their direction is set where shown."""
    if isinstance(field.data, str) and any(ch in BIDI_CONTROLS for ch in field.data):
        raise ValidationError(_l("Remove the invisible characters that change the direction "
                                 "of the text."))


class _TranslatedChoice:
    """WTForms' own message for an unknown choice is English only."""

    def pre_validate(self, form):
        try:
            super().pre_validate(form)
        except (ValidationError, ValueError):
            raise ValidationError(_l("Choose one of the options.")) from None


class Select(_TranslatedChoice, SelectField):
    pass


class Radio(_TranslatedChoice, RadioField):
    pass


class MultipleChoice(_TranslatedChoice, SelectMultipleField):
    pass


class OneTimeKeyMixin:
    """A random key for one filled-in form: sending the same form twice (a double
    click, the back button, a retry on a slow line) then does the thing once."""

    submission_key = HiddenField()

    def keep_submission_key(self) -> None:
        """Give the form a fresh key unless it carries a usable one already."""
        key = self.submission_key.data or ""
        usable = 16 <= len(key) <= 64 and key.replace("-", "").replace("_", "").isalnum()
        if not usable:
            self.submission_key.data = secrets.token_urlsafe(24)
class PhoneField(StringField):
    """A phone number as people type it ("617-555-0141"), held in E.164
    ("+16175550141") in `data` once valid, and shown again the way people read it."""

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        from portal.texts.phones import for_people

        return for_people(self.data) if self.data else ""

    def pre_validate(self, form):
        from portal.texts.phones import NotAPhoneNumber, to_e164

        if not self.data:
            self.data = None
            return
        try:
            self.data = to_e164(self.data)
        except NotAPhoneNumber as error:
            raise ValidationError(_l(
                "Enter a phone number with its area code, like 617-555-0141.")) from error
