"""The draw page's forms: the plan (targets and alternates) and the seed."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, StringField, TextAreaField

from portal.account.forms import ProfileForm
from portal.forms import Form, Radio, WholeNumberField, max_length, no_control_characters, required
from portal.selection.services import SEED_LIMIT

TARGETS_LIMIT = 20_000


class PlanForm(Form):
    alternates = WholeNumberField(_l("Alternates"), minimum=0, maximum=500,
                                  validators=[required(_l("Enter how many alternates to rank."))])
    targets = TextAreaField(
        _l("Targets"), validators=[required(_l("Enter the targets.")), max_length(TARGETS_LIMIT),
                                no_control_characters],
        description=_l("One line each: category,value,min,max. The first line is "
                       "category,value,min,max. Categories: neighborhood, language, "
                       "age_band, gender."),
        render_kw={"rows": 12, "spellcheck": "false"})


class DrawForm(Form):
    seed = StringField(_l("Seed"), validators=[required(_l("Enter the seed.")),
                                               max_length(SEED_LIMIT), no_control_characters],
                       description=_l("For example the numbers of dice thrown in front of "
                                      "witnesses. It is published with the result."),
                       render_kw={"autocomplete": "off", "spellcheck": "false"})


class SeatForm(Form):
    """Staff record a selected person's yes, after a phone call or a reply, with what they
    need to take part; the application's answers are filled in already."""

    confirmed = BooleanField(_l("They said yes and can take part"),
                             validators=[required(_l("Tick this once they have said yes."))])
    interpretation_language = ProfileForm.interpretation_language
    childcare_children = ProfileForm.childcare_children
    transport_help = ProfileForm.transport_help
    access_needs = ProfileForm.access_needs


class GiveUpForm(Form):
    reason = Radio(_l("Why is the seat free?"),
                   choices=[("declined", _l("They said no")),
                            ("unreachable", _l("We could not reach them"))],
                   validators=[required(_l("Choose why the seat is free."))])


class SeatAnswerForm(SeatForm):
    """The same, filled in by the selected person from the link in their email."""

    confirmed = BooleanField(_l("Yes, I will take part"),
                             validators=[required(_l("Tick this to take your seat."))])
