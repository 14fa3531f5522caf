"""The review rules: who reviews a call, what they score, how reviews are shared out
and handed on after a conflict of interest. What admins see of the scores, and who
enters the lottery's pool, is in `scores.py`. Every function leaves the commit to
the caller.

A reviewer reaches an application only through a review assigned to them, and
that review's page shows the statements, never who wrote them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, lazyload

from portal.applications.models import Application, ApplicationStatus, OpenCall
from portal.audit.services import record_event
from portal.auth.models import Role, RoleGrant, User
from portal.db import db, utcnow
from portal.i18n import LANGUAGE_BY_CODE
from portal.review.models import (
    HIGHEST_SCORE,
    LOWEST_SCORE,
    CallReviewer,
    Review,
    ReviewSetup,
    RubricCriterion,
)
from portal.rules import RuleError

# Reviews are given only to applications staff found eligible.
REVIEWED_STATUSES = (ApplicationStatus.ELIGIBLE,)
MOST_REVIEWS = 5
MOST_CRITERIA = 8


class ReviewRuleError(RuleError):
    """A review step that cannot go ahead; the message says why."""


# --- The call's review rules --------------------------------------------------------------

def setup_for(call: OpenCall) -> ReviewSetup | None:
    return db.session.scalars(select(ReviewSetup).where(ReviewSetup.call_id == call.id)).first()


def criteria_of(call: OpenCall) -> list[RubricCriterion]:
    return list(db.session.scalars(select(RubricCriterion).where(
        RubricCriterion.call_id == call.id).order_by(RubricCriterion.position,
                                                    RubricCriterion.id)))


def reviewers_of(call: OpenCall) -> list[User]:
    # Their names are shown, not their roles.
    return list(db.session.scalars(select(User).join(
        CallReviewer, CallReviewer.user_id == User.id).where(CallReviewer.call_id == call.id)
        .options(lazyload(User.role_grants)).order_by(User.name)))


def possible_reviewers(call: OpenCall) -> list[User]:
    """Active people with the reviewer role not yet reviewing this call."""
    assigned = select(CallReviewer.user_id).where(CallReviewer.call_id == call.id)
    return list(db.session.scalars(select(User).join(RoleGrant).where(
        RoleGrant.role == Role.REVIEWER, User.active.is_(True), User.id.not_in(assigned))
        .options(lazyload(User.role_grants)).order_by(User.name)))


def parse_mean(text: str | None) -> int | None:
    """'3.5' (or '3,5') as tenths; empty means no lowest mean."""
    text = (text or "").strip().replace(",", ".")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ReviewRuleError("pool_min_mean", _l(
            "Enter the lowest mean score as a number from %(low)d to %(high)d, like 3.5.",
            low=LOWEST_SCORE, high=HIGHEST_SCORE)) from None
    # Tenths only: a rule typed as 3.55 is refused rather than quietly read as 3.6.
    if not value.is_finite() or not LOWEST_SCORE <= value <= HIGHEST_SCORE \
            or value * 10 != (value * 10).to_integral_value():
        raise ReviewRuleError("pool_min_mean", _l(
            "Enter the lowest mean score as a number from %(low)d to %(high)d, like 3.5.",
            low=LOWEST_SCORE, high=HIGHEST_SCORE))
    return int(value * 10)


def mean_text(tenths: int | None) -> str:
    return "" if tenths is None else f"{tenths // 10}.{tenths % 10}"


def save_setup(actor: User, call: OpenCall, reviews_per_application: int,
               pool_min_mean: str | None) -> ReviewSetup:
    """Write down how many reviews each application gets and the pool rule."""
    if not 1 <= reviews_per_application <= MOST_REVIEWS:
        raise ReviewRuleError("reviews_per_application", _l(
            "Each application gets from 1 to %(most)d reviews.", most=MOST_REVIEWS))
    tenths = parse_mean(pool_min_mean)
    _refuse_once_drawn(call, "reviews_per_application")
    setup = setup_for(call) or ReviewSetup(call=call)
    before = {"reviews_per_application": setup.reviews_per_application,
              "pool_min_mean": mean_text(setup.pool_min_mean_tenths)} if setup.id else None
    setup.reviews_per_application = reviews_per_application
    setup.pool_min_mean_tenths = tenths
    setup.updated_by_id, setup.updated_at = actor.id, utcnow()
    db.session.add(setup)
    record_event(actor, "review.rules_saved", "open_call", call.id, before=before,
                 reviews_per_application=reviews_per_application,
                 pool_min_mean=mean_text(tenths))
    return setup


def _drawn(call: OpenCall) -> bool:
    from portal.selection.models import SelectionDraw

    return db.session.scalar(select(func.count(SelectionDraw.id)).where(
        SelectionDraw.call_id == call.id)) > 0


def _refuse_once_drawn(call: OpenCall, field: str) -> None:
    """The pool was drawn from these reviews and rules: they stay as they were."""
    if _drawn(call):
        raise ReviewRuleError(field, _l("This call is drawn; its rules and reviews no "
                                        "longer change."))


@dataclass(frozen=True)
class CriterionWording:
    name: str
    guide: str


def _empty_part(row: int, text: dict) -> str:
    """The rubric form's field for the part of a row left empty: names-0, guides-2."""
    return f"{'names' if not text['name'] else 'guides'}-{row}"


def _checked_wording(wording: list[CriterionWording]) -> list[dict]:
    texts = [{"name": w.name.strip(), "guide": w.guide.strip()} for w in wording]
    for row, text in enumerate(texts):
        if bool(text["name"]) != bool(text["guide"]):
            # Numbered as the form's rows are: empty rows before it do not shift it.
            raise ReviewRuleError(_empty_part(row, text), _l(
                "Criterion %(number)d needs both a name and what its scores mean.",
                number=row + 1))
    kept = [text for text in texts if text["name"]]
    if not kept:
        raise ReviewRuleError("criteria", _l("Write at least one criterion."))
    if len(kept) > MOST_CRITERIA:
        raise ReviewRuleError("criteria", _l("A rubric has at most %(most)d criteria.",
                                             most=MOST_CRITERIA))
    return kept


def save_rubric(actor: User, call: OpenCall, wording: list[CriterionWording]) -> None:
    """Set the rubric in the call's original language. Once a review is in, the
    criteria keep their number and order (scores point at them); only words change."""
    kept = _checked_wording(wording)
    _refuse_once_drawn(call, "criteria")
    original = call.original.language
    criteria = criteria_of(call)
    if _any_scores(call) and len(kept) != len(criteria):
        raise ReviewRuleError("criteria", _l(
            "Reviews have been scored against these criteria: you can reword them, "
            "not add or remove any."))
    for position, text in enumerate(kept):
        if position < len(criteria):
            criterion = criteria[position]
            texts = dict(criterion.texts)
            if texts.get(original) != text:
                # Translations of words that changed no longer say the same thing.
                texts = {original: text}
            criterion.texts, criterion.position = texts, position
        else:
            db.session.add(RubricCriterion(call=call, position=position,
                                           texts={original: text}))
    for criterion in criteria[len(kept):]:
        db.session.delete(criterion)
    record_event(actor, "review.rubric_saved", "open_call", call.id, criteria=len(kept),
                 language=original)


def translate_rubric(actor: User, call: OpenCall, language: str,
                     wording: list[CriterionWording]) -> None:
    """The rubric in one more language, criterion by criterion."""
    if language not in LANGUAGE_BY_CODE or language == call.original.language:
        raise ReviewRuleError("criteria", _l("Choose a language to translate into."))
    criteria = criteria_of(call)
    kept = [{"name": w.name.strip(), "guide": w.guide.strip()} for w in wording]
    missing = [_empty_part(row, text) for row, text in enumerate(kept)
               if not text["name"] or not text["guide"]]
    if len(kept) != len(criteria) or missing:
        raise ReviewRuleError(missing[0] if missing else "criteria", _l(
            "Translate every criterion: its name and what its scores mean."))
    for criterion, text in zip(criteria, kept, strict=True):
        criterion.texts = {**criterion.texts, language: text}
    record_event(actor, "review.rubric_translated", "open_call", call.id, language=language)


def _any_scores(call: OpenCall) -> bool:
    return db.session.scalar(select(func.count(Review.id)).join(Application).where(
        Application.call_id == call.id, Review.submitted_at.is_not(None))) > 0


# --- Reviewers ------------------------------------------------------------------------------

def assign_reviewer(actor: User, call: OpenCall, person: User) -> None:
    """Let someone with the reviewer role review this call."""
    if not person.active or Role.REVIEWER not in person.roles:
        raise ReviewRuleError("reviewer", _l(
            "Only people with the reviewer role can review. Give them the role on "
            "their page in People first."))
    if db.session.get(CallReviewer, (call.id, person.id)):
        raise ReviewRuleError("reviewer", _l("They already review this call."))
    _refuse_once_drawn(call, "reviewer")
    db.session.add(CallReviewer(call=call, user=person, assigned_by_id=actor.id))
    record_event(actor, "review.reviewer_assigned", "open_call", call.id, reviewer=person.id)


def remove_reviewer(actor: User, call: OpenCall, person: User, now: datetime) -> int:
    """Take someone off this call; their unfinished reviews go to others. Returns how
    many of those could not be given to anyone yet."""
    link = db.session.get(CallReviewer, (call.id, person.id))
    if link is None:
        raise ReviewRuleError("reviewer", _l("They do not review this call."))
    _refuse_once_drawn(call, "reviewer")
    db.session.delete(link)
    db.session.flush()
    unfinished = [review for review in reviews_of(person, call) if review.is_open]
    for review in unfinished:
        db.session.delete(review)
    db.session.flush()
    record_event(actor, "review.reviewer_removed", "open_call", call.id, reviewer=person.id,
                 unfinished=len(unfinished))
    setup = setup_for(call)
    # Nothing was given out before the rules were written: nothing to hand on. Taking
    # off the last reviewer is allowed too; the applications then wait, short.
    if setup is None:
        return 0
    return _give_out(actor, call, setup, _reviewer_ids(call), now).short


def reviews_of(person: User, call: OpenCall | None = None) -> list[Review]:
    query = select(Review).join(Application).where(Review.reviewer_id == person.id)
    if call is not None:
        query = query.where(Application.call_id == call.id)
    return list(db.session.scalars(query.order_by(Review.id)))


def waiting_reviews(person: User) -> int:
    """How many reviews the person still has to do, on calls they still review, of
    applications still waiting for review (not withdrawn, not drawn yet)."""
    return db.session.scalar(_readable(person).with_only_columns(func.count(Review.id)).where(
        Review.submitted_at.is_(None), Review.conflict_at.is_(None)))


def _readable(person: User):
    """The person's reviews they may open: on calls they still review, of applications
    still waiting for review. A withdrawn application, or one already drawn from, is
    read by nobody any more."""
    return select(Review).join(Review.application).join(
        CallReviewer, (CallReviewer.call_id == Application.call_id)
        & (CallReviewer.user_id == Review.reviewer_id)).where(
        Review.reviewer_id == person.id, Application.status.in_(REVIEWED_STATUSES))


@dataclass(frozen=True)
class CallToReview:
    call: OpenCall
    # In the order the reviewer numbers them: "Application 1", "Application 2", ...
    reviews: list[Review]

    @property
    def counted(self) -> int:
        return sum(review.conflict_at is None for review in self.reviews)

    @property
    def done(self) -> int:
        return sum(review.submitted_at is not None for review in self.reviews)

    def number_of(self, review: Review) -> int:
        return [r.id for r in self.reviews].index(review.id) + 1


def reviews_to_read(person: User) -> list[CallToReview]:
    """The reviewer's list, per call, in three queries however many reviews it holds."""
    if not person.active or Role.REVIEWER not in person.roles:
        return []
    calls: dict[int, CallToReview] = {}
    for review in db.session.scalars(_readable(person).options(
            contains_eager(Review.application).joinedload(Application.call)
            .selectinload(OpenCall.texts)).order_by(Application.call_id, Review.id)):
        call = review.application.call
        calls.setdefault(call.id, CallToReview(call, [])).reviews.append(review)
    return list(calls.values())


# --- Sharing reviews out --------------------------------------------------------------------

@dataclass(frozen=True)
class SharedOut:
    assigned: int
    # Applications still short of their reviews: not enough reviewers free of conflict.
    short: int
    given: tuple[Review, ...] = ()


def reviewed_applications(call: OpenCall) -> list[Application]:
    return list(db.session.scalars(select(Application).where(
        Application.call_id == call.id, Application.status.in_(REVIEWED_STATUSES))
        .order_by(Application.id)))


def _reviewer_ids(call: OpenCall) -> list[int]:
    """The call's reviewers, first assigned first: ties in sharing out go to them."""
    return list(db.session.scalars(select(CallReviewer.user_id).where(
        CallReviewer.call_id == call.id).order_by(CallReviewer.assigned_at,
                                                  CallReviewer.user_id)))


def share_out_reviews(actor: User | None, call: OpenCall, now: datetime) -> SharedOut:
    """Give every eligible application its set number of reviews. Each goes to the
    reviewer with the fewest reviews on this call who has not read it and declared no
    conflict with it; ties go to whoever was assigned first, so it is repeatable, and
    a second time gives out nothing that the first did."""
    _refuse_once_drawn(call, "share")
    setup = setup_for(call)
    if setup is None:
        raise ReviewRuleError("share", _l(
            "Write down how many reviews each application gets first."))
    if not criteria_of(call):
        raise ReviewRuleError("share", _l("Write the rubric first."))
    reviewers = _reviewer_ids(call)
    if not reviewers:
        raise ReviewRuleError("share", _l("Assign at least one reviewer first."))
    return _give_out(actor, call, setup, reviewers, now)


def _give_out(actor: User | None, call: OpenCall, setup: ReviewSetup, reviewers: list[int],
              now: datetime, only: Application | None = None) -> SharedOut:
    """Share out as above, to every eligible application or `only` one of them."""
    applications = reviewed_applications(call)
    existing = list(db.session.scalars(select(Review).where(
        Review.application_id.in_([a.id for a in applications]))))
    load = dict.fromkeys(reviewers, 0)
    had = {}
    for review in existing:
        had.setdefault(review.application_id, []).append(review)
        if review.reviewer_id in load and review.conflict_at is None:
            load[review.reviewer_id] += 1
    given, short = [], 0
    for application in applications:
        if only is not None and application.id != only.id:
            continue
        theirs = had.get(application.id, [])
        counted = sum(review.conflict_at is None for review in theirs)
        taken = {review.reviewer_id for review in theirs}
        while counted < setup.reviews_per_application:
            free = [person for person in reviewers if person not in taken]
            if not free:
                short += 1
                break
            person = min(free, key=lambda p: (load[p], reviewers.index(p)))
            review = Review(application=application, reviewer_id=person, assigned_at=now,
                            scores={})
            db.session.add(review)
            given.append(review)
            load[person] += 1
            taken.add(person)
            counted += 1
    if given:
        record_event(actor, "review.shared_out", "open_call", call.id, assigned=len(given),
                     short=short)
    return SharedOut(len(given), short, tuple(given))


# --- Reviewing ------------------------------------------------------------------------------

def review_for_reviewer(reviewer: User, review_id: int) -> Review | None:
    """A review the person may open: theirs, while they hold the reviewer role and
    review the call, of an application still waiting for review. The same answer
    whether the review does not exist or is someone else's."""
    if not reviewer.active or Role.REVIEWER not in reviewer.roles:
        return None
    return db.session.scalars(_readable(reviewer).where(Review.id == review_id)).first()


def open_review(reviewer: User, review: Review) -> None:
    """Every reading of an application is audited, blind readings too."""
    record_event(reviewer, "review.opened", "review", review.id,
                 application=review.application_id)


def _check_open(reviewer: User, review: Review) -> None:
    if review.reviewer_id != reviewer.id:
        raise ReviewRuleError("scores", _l("This review is not yours."))
    if review.conflict_at is not None:
        raise ReviewRuleError("scores", _l(
            "You declared a conflict of interest with this application; someone else "
            "reviews it."))
    _refuse_once_drawn(review.application.call, "scores")
    if review_for_reviewer(reviewer, review.id) is None:
        raise ReviewRuleError("scores", _l("You no longer review this application."))


def submit_review(reviewer: User, review: Review, scores: dict[int, int | None],
                  comment: str | None, now: datetime) -> None:
    """Score every criterion from 1 to 5, with a comment if wanted. A review may be
    changed until the call is drawn; each change is audited with the scores before."""
    _check_open(reviewer, review)
    criteria = criteria_of(review.application.call)
    for position, criterion in enumerate(criteria, start=1):
        score = scores.get(criterion.id)
        if score is None or not LOWEST_SCORE <= score <= HIGHEST_SCORE:
            raise ReviewRuleError(f"score_{criterion.id}", _l(
                "Give criterion %(number)d a score from %(low)d to %(high)d.",
                number=position, low=LOWEST_SCORE, high=HIGHEST_SCORE))
    before = dict(review.scores) if review.submitted_at else None
    review.scores = {str(criterion.id): scores[criterion.id] for criterion in criteria}
    review.comment = (comment or "").strip() or None
    review.submitted_at = now
    record_event(reviewer, "review.scored", "review", review.id,
                 application=review.application_id, scores=review.scores, before=before)


def declare_conflict(reviewer: User, review: Review, note: str | None,
                     now: datetime) -> bool:
    """Step back from an application; it goes to another reviewer of the call. Returns
    whether someone else could take it (if not, admins see it short of reviews)."""
    _check_open(reviewer, review)
    review.conflict_at, review.conflict_note = now, (note or "").strip() or None
    review.scores, review.comment, review.submitted_at = {}, None, None
    record_event(reviewer, "review.conflict_declared", "review", review.id,
                 application=review.application_id)
    db.session.flush()
    call = review.application.call
    # Only this application is handed on: the rest is the admins' to share out.
    handed = _give_out(None, call, setup_for(call), _reviewer_ids(call), now,
                       only=review.application)
    db.session.flush()
    for new in handed.given:
        record_event(None, "review.reassigned", "review", review.id,
                     application=review.application_id, to=new.reviewer_id)
    return bool(handed.given)
