"""Reviewers' pages (their reviews, and one application read blind) and the admins'
review page of a call (rules, reviewers, rubric, scores)."""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from portal.access import roles_required
from portal.applications.labels import STATUS_LABELS
from portal.applications.models import OpenCall
from portal.auth.forms import ButtonForm
from portal.auth.models import Role, User
from portal.db import db, utcnow
from portal.i18n import LANGUAGE_BY_CODE, current_language, decimal_number
from portal.review.forms import (
    AddReviewerForm,
    ConflictForm,
    ReviewRulesForm,
    RubricForm,
    score_form,
)
from portal.review.models import Review
from portal.review.scores import call_review_page
from portal.review.services import (
    MOST_CRITERIA,
    CriterionWording,
    ReviewRuleError,
    assign_reviewer,
    criteria_of,
    declare_conflict,
    open_review,
    possible_reviewers,
    remove_reviewer,
    review_for_reviewer,
    reviews_to_read,
    save_rubric,
    save_setup,
    setup_for,
    share_out_reviews,
    submit_review,
    translate_rubric,
)

bp = Blueprint("review", __name__)


def _me() -> User:
    return current_user._get_current_object()


# --- Reviewers ------------------------------------------------------------------------------

@bp.route("/reviews")
@roles_required(Role.REVIEWER)
def my_reviews():
    """The reviewer's list, numbered per call; the application's own number and
    reference are not shown, they could say who applied."""
    return render_template("review/my_reviews.html", calls=reviews_to_read(_me()))


def _review_or_404(review_id: int) -> Review:
    review = review_for_reviewer(_me(), review_id)
    if review is None:
        abort(404)
    return review


def _criteria_words(call: OpenCall) -> list[tuple]:
    """Each criterion with its words in the reader's language, or the original's."""
    original = call.original.language
    return [(criterion, *criterion.text_for(current_language().code, original))
            for criterion in criteria_of(call)]


def _score_page(review: Review, form, conflict_form: ConflictForm):
    call = review.application.call
    words = _criteria_words(call)
    entry = next(entry for entry in reviews_to_read(_me()) if entry.call.id == call.id)
    return render_template(
        "review/review.html", review=review, call=call, application=review.application,
        form=form, conflict_form=conflict_form, criteria=words,
        position=entry.number_of(review),
        score_fields=[form[f"score_{criterion.id}"] for criterion, *_ in words])


@bp.route("/reviews/<int:review_id>", methods=["GET", "POST"])
@roles_required(Role.REVIEWER)
def review(review_id: int):
    review = _review_or_404(review_id)
    criteria = criteria_of(review.application.call)
    form = score_form(criteria)()
    if not form.is_submitted():
        open_review(_me(), review)
        db.session.commit()
        for criterion in criteria:
            score = review.scores.get(str(criterion.id))
            form[f"score_{criterion.id}"].data = str(score) if score else None
        form.comment.data = review.comment
    elif form.validate():
        scores = {criterion.id: int(form[f"score_{criterion.id}"].data) for criterion in criteria}
        try:
            submit_review(_me(), review, scores, form.comment.data, utcnow())
        except ReviewRuleError as error:
            db.session.rollback()
            form.add_error(error.field if error.field in form else "comment", error.message)
        else:
            db.session.commit()
            flash(_("Your scores are saved. You can change them until the draw."), "success")
            return redirect(url_for("review.my_reviews"))
    return _score_page(review, form, ConflictForm(formdata=None))


@bp.route("/reviews/<int:review_id>/conflict", methods=["POST"])
@roles_required(Role.REVIEWER)
def conflict(review_id: int):
    review = _review_or_404(review_id)
    form = ConflictForm()
    if form.validate_on_submit():
        try:
            handed_on = declare_conflict(_me(), review, form.note.data, utcnow())
        except ReviewRuleError as error:
            db.session.rollback()
            form.add_error("note", error.message)
        else:
            db.session.commit()
            if handed_on:
                flash(_("Thank you for saying so. Someone else will review this "
                        "application."), "success")
            else:
                flash(_("Thank you for saying so. An admin will find someone else to "
                        "review this application."), "success")
            return redirect(url_for("review.my_reviews"))
    score = score_form(criteria_of(review.application.call))(formdata=None)
    return _score_page(review, score, form)


# --- Admins ---------------------------------------------------------------------------------

def _call(call_id: int) -> OpenCall:
    return db.get_or_404(OpenCall, call_id)


# The page holds several forms; one is posted at a time. The others (posted=False)
# show what is saved, not the fields of the posted one they lack.

def _rules_form(call: OpenCall, setup=None, posted: bool = True) -> ReviewRulesForm:
    form = ReviewRulesForm() if posted else ReviewRulesForm(formdata=None)
    if not (posted and form.is_submitted()):
        setup = setup or setup_for(call)
        form.reviews_per_application.data = setup.reviews_per_application if setup else 2
        form.pool_min_mean.data = decimal_number(Decimal(setup.pool_min_mean_tenths) / 10, 1) \
            if setup and setup.pool_min_mean_tenths is not None else ""
    return form


def _reviewer_form(call: OpenCall, posted: bool = True) -> AddReviewerForm:
    form = AddReviewerForm() if posted else AddReviewerForm(formdata=None)
    form.reviewer.choices = [("", _("Choose a reviewer"))] + [
        (str(person.id), person.name) for person in possible_reviewers(call)]
    return form


def _rubric_form(call: OpenCall, language: str, criteria=None,
                 posted: bool = True) -> RubricForm:
    form = RubricForm() if posted else RubricForm(formdata=None)
    if not (posted and form.is_submitted()):
        criteria = criteria_of(call) if criteria is None else criteria
        for position, criterion in enumerate(criteria):
            text = criterion.texts.get(language, {})
            form.names[position].data = text.get("name", "")
            form.guides[position].data = text.get("guide", "")
    return form


def _wording(form: RubricForm) -> list[CriterionWording]:
    return [CriterionWording(name.data or "", guide.data or "")
            for name, guide in zip(form.names, form.guides, strict=True)]


def _rubric_error(form: RubricForm, error: ReviewRuleError) -> None:
    """At the row's name or guide the rule names ("guides-3": the fourth row's guide, as
    the page numbers its rows), or else at the first name."""
    parts = {f"{column}-{row}": entry for column in ("names", "guides")
             for row, entry in enumerate(form[column])}
    parts.get(error.field, form.names[0]).errors = [error.message]


def _admin_page(call: OpenCall, rules_form=None, reviewer_form=None, rubric_form=None):
    page = call_review_page(call)
    return render_template(
        "review/call_review.html", call=call, page=page, setup=page.setup,
        rules_form=rules_form or _rules_form(call, page.setup, posted=False),
        reviewer_form=reviewer_form or _reviewer_form(call, posted=False),
        rubric_form=rubric_form or _rubric_form(call, call.original.language, page.criteria,
                                                posted=False),
        criteria=page.criteria, reviewers=page.reviewers, rows=page.rows, pool=page.pool,
        drawn=page.drawn, button_form=ButtonForm(),
        status_labels=STATUS_LABELS,
        languages=[code for code in LANGUAGE_BY_CODE if code != call.original.language],
        most_criteria=MOST_CRITERIA, translated=page.translated)


@bp.route("/admin/calls/<int:call_id>/review")
@roles_required(Role.ADMIN)
def call_review(call_id: int):
    return _admin_page(_call(call_id))


def _saved(call: OpenCall, message: str):
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("review.call_review", call_id=call.id))


@bp.route("/admin/calls/<int:call_id>/review/rules", methods=["POST"])
@roles_required(Role.ADMIN)
def rules(call_id: int):
    call = _call(call_id)
    form = _rules_form(call)
    if form.validate_on_submit():
        try:
            save_setup(_me(), call, form.reviews_per_application.data, form.pool_min_mean.data)
        except ReviewRuleError as error:
            db.session.rollback()
            form.add_error(error.field, error.message)
        else:
            return _saved(call, _("The review rules are saved."))
    return _admin_page(call, rules_form=form)


@bp.route("/admin/calls/<int:call_id>/review/reviewers", methods=["POST"])
@roles_required(Role.ADMIN)
def add_reviewer(call_id: int):
    call = _call(call_id)
    form = _reviewer_form(call)
    if form.validate_on_submit():
        person = db.session.get(User, int(form.reviewer.data))
        try:
            assign_reviewer(_me(), call, person)
        except ReviewRuleError as error:
            db.session.rollback()
            form.add_error("reviewer", error.message)
        else:
            return _saved(call, _("%(name)s now reviews this call.", name=person.name))
    return _admin_page(call, reviewer_form=form)


@bp.route("/admin/calls/<int:call_id>/review/reviewers/<int:user_id>/remove",
          methods=["POST"])
@roles_required(Role.ADMIN)
def take_off_reviewer(call_id: int, user_id: int):
    call = _call(call_id)
    person = db.get_or_404(User, user_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        short = remove_reviewer(_me(), call, person, utcnow())
    except ReviewRuleError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for("review.call_review", call_id=call.id))
    message = _("%(name)s no longer reviews this call; their unfinished reviews went to "
                "others.", name=person.name)
    if short:
        message += " " + _short_of_reviewers(short)
    return _saved(call, message)


def _short_of_reviewers(count: int) -> str:
    return ngettext("%(num)d application is short of reviewers.",
                    "%(num)d applications are short of reviewers.", count)


@bp.route("/admin/calls/<int:call_id>/review/rubric", methods=["POST"])
@roles_required(Role.ADMIN)
def rubric(call_id: int):
    call = _call(call_id)
    form = _rubric_form(call, call.original.language)
    if form.validate_on_submit():
        try:
            save_rubric(_me(), call, _wording(form))
        except ReviewRuleError as error:
            db.session.rollback()
            _rubric_error(form, error)
        else:
            return _saved(call, _("The rubric is saved."))
    return _admin_page(call, rubric_form=form)


@bp.route("/admin/calls/<int:call_id>/review/share", methods=["POST"])
@roles_required(Role.ADMIN)
def share(call_id: int):
    call = _call(call_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        shared = share_out_reviews(_me(), call, utcnow())
    except ReviewRuleError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for("review.call_review", call_id=call.id))
    message = ngettext("%(num)d review given out.", "%(num)d reviews given out.",
                       shared.assigned)
    if shared.short:
        message += " " + _short_of_reviewers(shared.short)
    return _saved(call, message)


@bp.route("/admin/calls/<int:call_id>/review/rubric/<language>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def translate(call_id: int, language: str):
    call = _call(call_id)
    if language not in LANGUAGE_BY_CODE or language == call.original.language \
            or not criteria_of(call):
        abort(404)
    form = _rubric_form(call, language)
    if form.validate_on_submit():
        wording = _wording(form)[:len(criteria_of(call))]
        try:
            translate_rubric(_me(), call, language, wording)
        except ReviewRuleError as error:
            db.session.rollback()
            _rubric_error(form, error)
        else:
            return _saved(call, _("The translation of the rubric is saved."))
    return render_template("review/translate_rubric.html", call=call, form=form,
                           language=LANGUAGE_BY_CODE[language], criteria=criteria_of(call))
