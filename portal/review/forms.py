"""Forms of the review pages: the call's review rules, its reviewers, its rubric, and a
reviewer's scores or conflict of interest."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import FieldList, StringField, TextAreaField
from wtforms.validators import Optional, StopValidation

from portal.forms import (
    Form,
    Radio,
    Select,
    WholeNumberField,
    max_length,
    no_control_characters,
    required,
)
from portal.review.models import HIGHEST_SCORE, LOWEST_SCORE
from portal.review.services import MOST_CRITERIA, MOST_REVIEWS

COMMENT_LIMIT = 5_000
NAME_LIMIT = 160
GUIDE_LIMIT = 2_000


class ReviewRulesForm(Form):
    reviews_per_application = WholeNumberField(
        _l("Reviews for each application"), minimum=1, maximum=MOST_REVIEWS,
        validators=[required(_l("Enter how many reviews each application gets."))])
    pool_min_mean = StringField(
        _l("Lowest mean score to enter the lottery (optional)"),
        validators=[Optional(), max_length(10), no_control_characters],
        description=_l("From 1 to 5, like 3.5. Leave it empty to let every eligible "
                       "application with all its reviews into the lottery."),
        render_kw={"inputmode": "decimal", "autocomplete": "off"})


class AddReviewerForm(Form):
    reviewer = Select(_l("Reviewer"), choices=[], coerce=str,
                      validators=[required(_l("Choose a reviewer."))],
                      description=_l("People with the reviewer role. Give someone the role "
                                     "on their page in People."))


class RubricForm(Form):
    """Up to MOST_CRITERIA criteria: a name and what the scores mean."""

    names = FieldList(StringField("", validators=[Optional(), max_length(NAME_LIMIT),
                                                  no_control_characters]),
                      min_entries=MOST_CRITERIA, max_entries=MOST_CRITERIA)
    guides = FieldList(TextAreaField("", validators=[Optional(), max_length(GUIDE_LIMIT),
                                                     no_control_characters],
                                     render_kw={"rows": 3}),
                       min_entries=MOST_CRITERIA, max_entries=MOST_CRITERIA)


SCORE_CHOICES = [(str(score), str(score)) for score in range(LOWEST_SCORE, HIGHEST_SCORE + 1)]


class ScoreChoice(Radio):
    """A score from 1 to 5: a missing or unknown score is told the same way, naming
    the criterion, rather than "choose one of the options"."""

    def __init__(self, label, message, **kwargs):
        super().__init__(label, choices=SCORE_CHOICES, validators=[required(message)],
                         **kwargs)
        self.message = message
        # Drawn by the form macro as the radio buttons it is, in a fieldset.
        self.type = "Radio"

    def pre_validate(self, form):
        if self.data not in {value for value, _label in SCORE_CHOICES}:
            raise StopValidation(self.message)


def score_form(criteria) -> type[Form]:
    """A form with one 1-5 choice per criterion of the call, named score_<id>."""

    class ScoreForm(Form):
        comment = TextAreaField(
            _l("Comment (optional)"),
            validators=[Optional(), max_length(COMMENT_LIMIT), no_control_characters],
            description=_l("Admins read it with your scores. Write about the statements, "
                           "not about who you think wrote them."),
            render_kw={"rows": 5})

    for number, criterion in enumerate(criteria, start=1):
        setattr(ScoreForm, f"score_{criterion.id}", ScoreChoice(
            _l("Criterion %(number)d", number=number),
            _l("Give criterion %(number)d a score from %(low)d to %(high)d.",
               number=number, low=LOWEST_SCORE, high=HIGHEST_SCORE)))
    return ScoreForm


class ConflictForm(Form):
    note = TextAreaField(
        _l("Why (optional, read by admins only)"),
        validators=[Optional(), max_length(1_000), no_control_characters],
        description=_l("For example: I think I know the person who wrote this."),
        render_kw={"rows": 3})
