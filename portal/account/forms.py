from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, StringField, TextAreaField
from wtforms.validators import Email, Optional

from portal.auth.forms import NewPasswordForm
from portal.forms import (
    Form,
    PhoneField,
    Radio,
    Select,
    WholeNumberField,
    max_length,
    no_control_characters,
    no_direction_controls,
    required,
)
from portal.i18n import LANGUAGES
from portal.texts.models import ReachBy


def language_choices():
    return [(language.code, language.native_name) for language in LANGUAGES]


def reach_choices():
    return [
        ("email", _l("By email")),
        ("text", _l("By text message")),
        ("both", _l("By email and text message")),
        ("neither", _l("Neither: please call me")),
    ]


def reach_by_field(label, description) -> Radio:
    """The question of how a person is reached, on their profile and on the admin's form."""
    return Radio(label, choices=reach_choices, default="email", description=description,
                 # Left out by an older page: the choice stays as it was (see chosen_ways).
                 validators=[Optional()])


def chosen_ways(field, current):
    """The ways chosen on a form, or `current` when the form left the question out."""
    return ReachBy(field.data) if field.raw_data and field.raw_data[0] else current


def interpretation_choices():
    return [("", _l("No interpretation needed"))] + language_choices() + [
        ("ase", _l("American Sign Language")),
    ]


class ProfileForm(Form):
    name = StringField(
        _l("Name"),
        validators=[required(_l("Enter your name.")), max_length(120), no_control_characters,
                    no_direction_controls],
        render_kw={"autocomplete": "name"},
    )
    preferred_language = Select(
        _l("Language for the portal and emails"), choices=language_choices()
    )
    email = StringField(
        _l("Email address (optional)"),
        validators=[
            Optional(),
            Email(message=_l("Enter an email address like name@example.com.")),
            max_length(254),
        ],
        render_kw={"autocomplete": "email", "type": "email", "spellcheck": "false"},
    )
    phone = PhoneField(
        _l("Phone number (optional)"),
        description=_l("A mobile number can get texts. Staff call this number when "
                       "no email or text reaches you."),
        validators=[Optional(), max_length(40), no_control_characters],
        render_kw={"autocomplete": "tel", "type": "tel"},
    )
    reach_by = reach_by_field(
        _l("How should we reach you?"),
        _l("Texts are short and free to receive on most plans; standard "
           "message rates may apply. You can reply STOP at any time."),
    )
    notify_meeting_changes = BooleanField(_l("When a meeting changes or is cancelled"))
    notify_reminders = BooleanField(_l("A reminder the day before a meeting"))
    notify_answer_confirmations = BooleanField(
        _l("When I answer for a meeting: the date, time and place, and a calendar file"))
    notify_new_materials = BooleanField(_l("When a new agenda or material is posted"))
    notify_payments = BooleanField(_l("When a stipend payment is sent to me"))
    interpretation_language = Select(
        _l("Interpretation at meetings"), choices=interpretation_choices, default=""
    )
    childcare_children = WholeNumberField(
        _l("Children who need childcare during meetings"),
        description=_l("Write 0 if you do not need childcare."),
        minimum=0,
        maximum=12,
        render_kw={"inputmode": "numeric"},
    )
    transport_help = BooleanField(_l("I need help with transport to in-person meetings"))
    access_needs = TextAreaField(
        _l("Access needs (optional)"),
        description=_l("For example: step-free entrance, large print, breaks, a quiet room."),
        validators=[Optional(), max_length(2000), no_control_characters],
    )


class ChangePasswordForm(NewPasswordForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[required(_l("Enter your current password."))],
        render_kw={"autocomplete": "current-password"},
    )
