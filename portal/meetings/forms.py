from datetime import time

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import Optional

from portal.account.forms import interpretation_choices, language_choices
from portal.forms import (
    DayField,
    Form,
    OneTimeKeyMixin,
    Radio,
    Select,
    WholeNumberField,
    max_length,
    no_control_characters,
    required,
)
from portal.meetings.models import MeetingFormat, Response


class ClockField(StringField):
    """A time of day, HH:MM, as a browser time input sends it."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {})["type"] = "time"
        super().__init__(label, validators, **kwargs)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return self.data.strftime("%H:%M") if isinstance(self.data, time) else ""

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or not valuelist[0].strip():
            return
        try:
            self.data = time.fromisoformat(valuelist[0].strip())
        except ValueError:
            raise ValueError(_l("Enter a time like 18:00.")) from None


FORMAT_LABELS = {
    MeetingFormat.IN_PERSON: _l("In person"),
    MeetingFormat.VIRTUAL: _l("Online"),
    MeetingFormat.HYBRID: _l("In person and online"),
}


class MeetingFieldsMixin:
    format = Radio(_l("How people take part"),
                        choices=[(f.value, label) for f, label in FORMAT_LABELS.items()],
                        default=MeetingFormat.HYBRID.value,
                        validators=[required(_l("Choose how people take part."))])
    starts = ClockField(_l("Starts at"), validators=[required(_l("Enter the start time."))])
    ends = ClockField(_l("Ends at"), validators=[required(_l("Enter the end time."))])
    venue = StringField(_l("Place"), description=_l("Name and street address."),
                        validators=[Optional(), max_length(200), no_control_characters])
    room = StringField(_l("Room (optional)"),
                       validators=[Optional(), max_length(120), no_control_characters])
    accessibility_notes = TextAreaField(
        _l("Getting there and access (optional)"),
        description=_l("For example: step-free entrance on the side street, elevator, "
                       "nearest bus stop."),
        validators=[Optional(), max_length(2000), no_control_characters])
    join_link = StringField(_l("Video call link"),
                            validators=[Optional(), max_length(500), no_control_characters],
                            render_kw={"type": "url", "spellcheck": "false"})
    capacity = WholeNumberField(_l("In-person seats (optional)"),
                                description=_l("Leave empty if there is no limit."),
                                minimum=1, maximum=1000, render_kw={"inputmode": "numeric"})
    deadline_days = WholeNumberField(
        _l("Answers close this many days before (optional)"),
        description=_l("Leave empty to take answers until the meeting starts."),
        minimum=0, maximum=60, render_kw={"inputmode": "numeric"})
    # Asked only when the clocks go back during the meeting's time and it happens twice.
    repeated_hour = Radio(_l("Which time do you mean?"), choices=[
        ("first", _l("The first time, before the clocks go back")),
        ("second", _l("The second time, after the clocks go back"))],
        validators=[Optional()])

    @property
    def second_time(self) -> bool | None:
        """Which of the two times that happen twice is meant, if it was asked."""
        return {"first": False, "second": True}.get(self.repeated_hour.data or "")


# Said at the field, because a browser cuts a longer pasted title without a word.
TITLE_LIMIT = _l("Up to %(limit)d characters.", limit=200)


class MeetingTextFieldsMixin:
    language = Select(_l("Language this is written in"), choices=language_choices())
    title = StringField(_l("Title"), description=TITLE_LIMIT,
                        validators=[required(_l("Enter a title.")), max_length(200),
                                    no_control_characters])
    description = TextAreaField(_l("Description (optional)"),
                                validators=[Optional(), max_length(5000), no_control_characters])


class MeetingForm(Form, MeetingTextFieldsMixin, MeetingFieldsMixin, OneTimeKeyMixin):
    day = DayField(_l("Day"), validators=[required(_l("Enter the day of the meeting."))])


class SeriesForm(Form, MeetingTextFieldsMixin, MeetingFieldsMixin, OneTimeKeyMixin):
    first_day = DayField(_l("First meeting"),
                         validators=[required(_l("Enter the day of the first meeting."))])
    last_day = DayField(_l("No meetings after"),
                        validators=[required(_l("Enter the last possible day."))])
    every_weeks = Select(_l("How often"), choices=[
        ("1", _l("Every week")), ("2", _l("Every other week")),
        ("3", _l("Every three weeks")), ("4", _l("Every four weeks"))], default="2")
    skip = TextAreaField(_l("Days to skip (optional)"),
                         description=_l("One date per line, like 2026-12-23."),
                         validators=[Optional(), max_length(2000)])


class MeetingTextForm(Form, MeetingTextFieldsMixin):
    """A meeting's words in one more language; empty place fields show the original."""

    venue = StringField(_l("Place"), description=_l("Leave empty to show the original."),
                        validators=[Optional(), max_length(200), no_control_characters])
    room = StringField(_l("Room (optional)"),
                       validators=[Optional(), max_length(120), no_control_characters])
    accessibility_notes = TextAreaField(
        _l("Getting there and access (optional)"),
        description=_l("Leave empty to show the original."),
        validators=[Optional(), max_length(2000), no_control_characters])


class CancelMeetingForm(Form):
    reason = TextAreaField(
        _l("Why is the meeting cancelled?"),
        description=_l("Members read this on the meeting page and in the email."),
        validators=[required(_l("Say why the meeting is cancelled.")), max_length(1000),
                    no_control_characters])


RESPONSE_LABELS = {
    Response.IN_PERSON: _l("I will come in person"),
    Response.VIRTUAL: _l("I will join online"),
    Response.NOT_ATTENDING: _l("I cannot come"),
    Response.WAITLISTED: _l("Put me on the waitlist for a seat"),
}


class RsvpForm(Form):
    response = Radio(_l("Will you come?"),
                          validators=[required(_l("Choose how you will take part."))])
    interpretation_language = Select(_l("Interpretation"), choices=interpretation_choices,
                                     default="")
    childcare_children = WholeNumberField(
        _l("Children who need childcare"),
        description=_l("Write 0 if you do not need childcare."),
        minimum=0, maximum=12, render_kw={"inputmode": "numeric"})
    transport_help = BooleanField(_l("I need help with transport"))
    access_needs = TextAreaField(_l("Access needs (optional)"),
                                 validators=[Optional(), max_length(2000), no_control_characters])


ATTENDANCE_LABELS = {
    "": _l("Not marked"),
    "in_person": _l("Came in person"),
    "virtual": _l("Joined online"),
    "absent": _l("Absent"),
    "excused": _l("Excused"),
}
