"""The application form (public and staff), the call's forms, and applicants' own forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, FieldList, HiddenField, StringField, TextAreaField
from wtforms.validators import Email, Optional

from portal.account.forms import interpretation_choices, language_choices
from portal.admin.forms import CheckboxesField
from portal.applications.labels import (
    AGE_BANDS,
    ANOTHER_PLACE,
    CHANNEL_LABELS,
    CONTACT_LABELS,
    ELIGIBILITY_LABELS,
    FORMAT_LABELS,
    GENDERS,
    NEIGHBORHOODS,
    RACES,
    TIME_LABELS,
)
from portal.applications.models import Channel, ContactWay
from portal.applications.services import ApplicationRuleError, Contact, check_contact
from portal.forms import (
    DayField,
    Form,
    Radio,
    Select,
    WholeNumberField,
    max_length,
    no_control_characters,
    required,
)
from portal.meetings.forms import ClockField

STATEMENT_LIMIT = 10_000
ANSWER_LIMIT = 5_000


def _text(label, limit, *validators, **kwargs):
    return StringField(label, validators=[*validators, max_length(limit), no_control_characters],
                       **kwargs)


def _long_text(label, limit, *validators, **kwargs):
    return TextAreaField(label, validators=[*validators, max_length(limit),
                                            no_control_characters], **kwargs)


def contact_from(form) -> Contact:
    """The contact fields of a form as the rules take them."""
    return Contact(email=form.email.data, mobile=form.mobile.data, phone=form.phone.data,
                   mailing_address=form.mailing_address.data,
                   preferred=ContactWay(form.preferred_contact.data))


def preferred_language_choices():
    return [("", _l("Choose a language"))] + language_choices() + [
        ("other", _l("Another language (write it below)"))]


def neighborhood_choices():
    return [("", _l("Choose a neighborhood"))] + [(n, n) for n in NEIGHBORHOODS] + [
        (ANOTHER_PLACE, _l("Another place, or I am not sure"))]


# Made before the contact fields, so the name comes first in the form and its error summary.
NAME = _text(_l("Your full name"), 120, required(_l("Enter your name.")),
             render_kw={"autocomplete": "name"})
PREFERRED_NAME = _text(_l("What you like to be called (optional)"), 120, Optional(),
                       render_kw={"autocomplete": "nickname"})


class ContactFields(Form):
    email = _text(_l("Email address (optional)"), 254, Optional(),
                  Email(message=_l("Enter an email address like name@example.com.")),
                  render_kw={"autocomplete": "email", "type": "email", "spellcheck": "false"})
    mobile = _text(_l("Mobile number for text messages (optional)"), 40, Optional(),
                   render_kw={"autocomplete": "tel", "type": "tel"})
    phone = _text(_l("Phone number for calls (optional)"), 40, Optional(),
                  render_kw={"autocomplete": "tel", "type": "tel"})
    mailing_address = _long_text(_l("Mailing address (optional)"), 500, Optional(),
                                 render_kw={"autocomplete": "street-address", "rows": 3})
    preferred_contact = Radio(
        _l("How do you prefer we contact you?"),
        choices=[(way.value, label) for way, label in CONTACT_LABELS.items()],
        # Choosing texts is the agreement to them the consent ledger records.
        description=_l("If you choose text messages, you agree that we text you about "
                       "your application. Reply STOP at any time to end them."),
        validators=[required(_l("Choose how you prefer we contact you."))])

    def validate(self, extra_validators=None) -> bool:
        """The fields, then the rule that binds them: at least one way to reach the
        person, and details for the way they prefer (shown with the other problems)."""
        valid = super().validate(extra_validators)
        if self.preferred_contact.errors or self.preferred_contact.data not in set(ContactWay):
            return valid
        try:
            check_contact(contact_from(self))
        except ApplicationRuleError as error:
            self.add_error(error.field, error.message)
            return False
        return valid


class ApplicationForm(ContactFields):
    name = NAME
    preferred_name = PREFERRED_NAME
    language = Select(_l("Your preferred language"), choices=preferred_language_choices,
                      description=_l("We write to you, and offer interpretation, in this "
                                     "language."),
                      validators=[required(_l("Choose your preferred language."))])
    language_other = _text(_l("Another language"), 80, Optional())
    neighborhood = Select(_l("Your neighborhood"), choices=neighborhood_choices,
                          validators=[required(_l("Choose your neighborhood."))])
    meets_conditions = Radio(
        _l("Do you meet these conditions?"),
        choices=list(ELIGIBILITY_LABELS.items()),
        validators=[required(_l("Say whether you meet the conditions."))])
    statement = _long_text(
        _l("Your lived experience"), STATEMENT_LIMIT,
        required(_l("Tell us about your lived experience.")),
        description=_l("How have mental-health crises touched your life or the lives of "
                       "people close to you, and how does that shape your wish to join? "
                       "Write as much or as little as you like, in any language."),
        render_kw={"rows": 10})
    experience = _long_text(
        _l("Work or volunteer experience (optional)"), ANSWER_LIMIT, Optional(),
        description=_l("Any experience that might help, paid or not. No experience is needed."),
        render_kw={"rows": 5})
    answers = FieldList(_long_text("", ANSWER_LIMIT, Optional(), render_kw={"rows": 4}))
    times = CheckboxesField(_l("When could you usually meet?"),
                            choices=list(TIME_LABELS.items()))
    meeting_format = Radio(_l("How would you like to take part?"),
                           choices=list(FORMAT_LABELS.items()),
                           validators=[required(_l("Choose how you would like to take part."))])
    interpretation = Select(_l("Interpretation at meetings"), choices=interpretation_choices,
                            default="")
    childcare = BooleanField(_l("I would need childcare"))
    transport = BooleanField(_l("I would need help with transport"))
    access_needs = _long_text(_l("Access needs (optional)"), 1000, Optional(),
                              description=_l("For example a step-free entrance, large print "
                                             "or a quiet room."),
                              render_kw={"rows": 3})
    age_band = Select(_l("Age"), choices=AGE_BANDS, default="")
    gender = Select(_l("Gender"), choices=GENDERS, default="")
    race = CheckboxesField(_l("Race or ethnicity (choose any)"), choices=list(RACES))
    consent = BooleanField(_l("I agree that the program staff may keep and read my "
                              "application as described above."),
                           validators=[required(_l("Tick the box to say you agree, so we can "
                                                   "keep your application."))])
    # Hidden from people (and their screen readers); forms filled by robots fill it.
    website = StringField(_l("Leave this empty"), render_kw={"autocomplete": "off",
                                                             "tabindex": "-1"})
    action = HiddenField()


class PaperApplicationForm(ApplicationForm):
    channel = Radio(_l("How it came in"),
                    choices=[(c.value, CHANNEL_LABELS[c]) for c in Channel if c != Channel.ONLINE],
                    validators=[required(_l("Choose how it came in."))])
    received_on = DayField(_l("Date received"),
                           validators=[required(_l("Enter the date it was received."))],
                           render_kw={"type": "date"})
    late_reason = _long_text(_l("Why a late application is accepted (only if late)"), 500,
                             Optional())
    scan = FileField(_l("Scan of the paper form (optional)"),
                     description=_l("PDF, PNG or JPEG."))


class CallForm(Form):
    language = Select(_l("Language this is written in"), choices=language_choices)
    title = _text(_l("Title"), 200, required(_l("Enter a title.")))
    invitation = _long_text(_l("Invitation"), 10_000, required(_l("Write the invitation.")),
                            render_kw={"rows": 8})
    who_may_apply = _long_text(_l("Who may apply"), 2_000,
                               required(_l("Say who may apply.")),
                               description=_l("For example: Boston residents, 18 or older."),
                               render_kw={"rows": 3})
    questions = _long_text(_l("Extra questions (optional)"), 5_000, Optional(),
                           description=_l("One question per line."), render_kw={"rows": 4})


class NewCallForm(CallForm):
    slug = _text(_l("Short address"), 60, required(_l("Enter a short address.")),
                 description=_l("People can go to /apply/ followed by this, like "
                                "design-group-2027."))
    deadline_day = DayField(_l("Deadline"), validators=[required(_l("Enter the deadline."))],
                            render_kw={"type": "date"})
    deadline_time = ClockField(_l("Deadline time (local)"),
                               validators=[required(_l("Enter the deadline time."))])
    decisions_by = DayField(_l("Decisions by (optional)"), validators=[Optional()],
                            render_kw={"type": "date"})
    seats = WholeNumberField(_l("Seats"), minimum=1, maximum=1000,
                             validators=[required(_l("Enter the number of seats."))])
    paper_address = _long_text(_l("Where paper applications go"), 500,
                               required(_l("Enter the address for paper applications.")),
                               render_kw={"rows": 3})
    paper_office = _text(_l("Office to bring them to (optional)"), 160, Optional())
    paper_hours = _text(_l("Office hours (optional)"), 160, Optional())


class EligibilityForm(Form):
    decision = Radio(_l("Eligibility"),
                     choices=[("eligible", _l("Eligible")), ("ineligible", _l("Not eligible"))],
                     validators=[required(_l("Choose eligible or not eligible."))])
    reason = _long_text(_l("Reason"), 500, Optional(), render_kw={"rows": 2})


class MergeForm(Form):
    keep = _text(_l("Reference of the application to keep"), 20,
                 required(_l("Enter the reference of the application to keep.")))


class StatusForm(Form):
    reference = _text(_l("Reference number"), 20,
                      required(_l("Enter the reference number.")),
                      description=_l("It looks like K7QM-3XPR."),
                      render_kw={"autocomplete": "off", "spellcheck": "false"})
    contact = _text(_l("Your email address or phone number"), 254,
                    required(_l("Enter the email address or phone number you gave.")))


class ContinueForm(Form):
    code = _text(_l("Your code"), 20, required(_l("Enter your code.")),
                 render_kw={"autocomplete": "off", "spellcheck": "false"})
