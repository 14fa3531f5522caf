from flask_babel import lazy_gettext as _l
from wtforms import FieldList, FormField, StringField
from wtforms import Form as PlainForm
from wtforms.validators import Email, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from portal.account.forms import language_choices, reach_by_field
from portal.auth.models import Role
from portal.forms import (
    DayField,
    Form,
    MoneyField,
    MultipleChoice,
    PhoneField,
    Radio,
    Select,
    max_length,
    no_control_characters,
    no_direction_controls,
    required,
    strip,
)

ROLE_LABELS = {
    Role.MEMBER: _l("Member"),
    Role.FACILITATOR: _l("Facilitator"),
    Role.FINANCE: _l("Finance"),
    Role.ADMIN: _l("Admin"),
    Role.REVIEWER: _l("Reviewer"),
}

TIMEZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/Puerto_Rico",
)


class CheckboxesField(MultipleChoice):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class PersonForm(Form):
    name = StringField(
        _l("Name"),
        validators=[required(_l("Enter the person's name.")), max_length(120),
                    no_control_characters, no_direction_controls],
    )
    preferred_language = Select(_l("Preferred language"), choices=language_choices())
    email = StringField(
        _l("Email address"),
        description=_l("The invitation is sent here. Leave empty if the person has no email."),
        validators=[
            Optional(),
            Email(message=_l("Enter an email address like name@example.com.")),
            max_length(254),
        ],
        render_kw={"type": "email", "spellcheck": "false"},
    )
    username = StringField(
        _l("Username"),
        description=_l("For a person without email: they sign in with this name."),
        validators=[Optional(), max_length(64), no_control_characters],
        render_kw={"spellcheck": "false", "autocapitalize": "none"},
    )
    phone = PhoneField(
        _l("Phone number"),
        validators=[Optional(), max_length(40), no_control_characters],
        render_kw={"type": "tel"},
    )
    reach_by = reach_by_field(
        _l("How the person wants to be reached"),
        _l("Choose texts only when the person agreed to them (on paper or on "
           "the phone): their agreement is recorded with your name."),
    )
    roles = CheckboxesField(
        _l("Roles"),
        choices=[(role.value, label) for role, label in ROLE_LABELS.items()],
        validators=[required(_l("Choose at least one role."))],
    )
    # Asked only when the member role is taken from someone enrolled (a second step).
    enrollment = Radio(
        _l("What should happen to their enrollment?"),
        choices=[
            ("keep", _l("Keep it: they still see the program's meetings and materials, "
                        "and their stipend goes on")),
            ("withdraw", _l("Withdraw it: they no longer see the program. Their answers, "
                            "attendance and payments are kept")),
        ],
        validators=[Optional()],
    )


class PeopleSearchForm(Form):
    class Meta:
        csrf = False

    q = StringField(_l("Search by name, email, username or phone"),
                    validators=[Optional(), max_length(100), no_control_characters])


class InstallmentForm(PlainForm):
    label = StringField(_l("Name of the installment"), filters=[strip],
                        validators=[Optional(), max_length(120), no_control_characters])
    due_on = DayField(_l("Due on"), validators=[Optional()])
    amount = MoneyField(_l("Amount in dollars"), validators=[Optional()])

    def is_blank(self) -> bool:
        return not (self.label.data or self.due_on.data or self.amount.data)


class ProgramForm(Form):
    name = StringField(
        _l("Program name"),
        validators=[required(_l("Enter the program name.")), max_length(160),
                    no_control_characters],
    )
    season_start = DayField(_l("Season starts on"),
                            validators=[required(_l("Enter the first day of the season."))])
    season_end = DayField(_l("Season ends on"),
                          validators=[required(_l("Enter the last day of the season."))])
    timezone = Select(_l("Time zone"), choices=[(zone, zone) for zone in TIMEZONES])
    language = Select(
        _l("Language of the program name and installment names"),
        description=_l("The language you type them in here. You can add them in other "
                       "languages below."),
        choices=language_choices())
    stipend = MoneyField(
        _l("Stipend per member, in dollars"),
        description=_l("Applies to people enrolled from now on. "
                       "Stipends already promised do not change."),
        validators=[required(_l("Enter the stipend amount."))],
    )
    installments = FieldList(FormField(InstallmentForm), min_entries=4, max_entries=8)


class ProgramTranslationForm(Form):
    """The program's name and its installments' names in one more language."""

    name = StringField(_l("Program name"), filters=[strip],
                       validators=[Optional(), max_length(160), no_control_characters])
    labels = FieldList(StringField(_l("Name of the installment"), filters=[strip],
                                   validators=[Optional(), max_length(120),
                                               no_control_characters]),
                       min_entries=0, max_entries=8)


AUDIT_GROUP_LABELS = {
    "people": _l("People and roles"),
    "program": _l("Program settings"),
    "meetings": _l("Meetings"),
    "answers": _l("Answers and attendance"),
    "money": _l("Payments and tax forms"),
    "materials": _l("Materials"),
}


class AuditFilterForm(Form):
    """Filters of the audit log, read from the address so a filtered page can be shared."""

    class Meta:
        csrf = False

    who = Select(_l("Who"), choices=[], default="")
    kind = Select(_l("What kind"), default="",
                  choices=[("", _l("Every kind")), *AUDIT_GROUP_LABELS.items()])
    since = DayField(_l("From"), validators=[Optional()], render_kw={"type": "date"})
    until = DayField(_l("Until"), validators=[Optional()], render_kw={"type": "date"})

    def validate_until(self, field):
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(_l("The end date must be on or after the start date."))
