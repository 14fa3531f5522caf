"""What admins see of a call's reviews (each application's mean, spread and
conflicts) and the pool rule: which eligible applications enter the lottery.

Means are kept exact (fractions), so "a mean of at least 3.5" is never decided
by a rounding.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.applications.models import Application, OpenCall
from portal.auth.models import User
from portal.db import db
from portal.review.models import Review, ReviewSetup, RubricCriterion
from portal.review.services import (
    REVIEWED_STATUSES,
    criteria_of,
    mean_text,
    reviewers_of,
    setup_for,
)

# Two reviewers whose means differ by this much (on the 1-5 scale) read the same
# statements very differently: the admin page asks someone to look again.
DISAGREEMENT = 2


@dataclass(frozen=True)
class ApplicationScores:
    application: Application
    reviews: list[Review]
    done: int
    wanted: int
    mean: Fraction | None
    spread: Fraction | None
    conflicts: int

    @property
    def disagree(self) -> bool:
        return self.spread is not None and self.spread >= DISAGREEMENT


def scores_of(call: OpenCall, setup: ReviewSetup | None = None) -> list[ApplicationScores]:
    """Each eligible application's reviews, mean, spread (highest reviewer's mean less
    the lowest) and conflicts, in a fixed few queries whatever the size of the call.
    Applications no longer eligible keep their row while they have reviews: once the
    call is drawn, that is every one drawn from."""
    setup = setup or setup_for(call)
    wanted = setup.reviews_per_application if setup else 0
    reviewed = select(Review.application_id).join(Review.application).where(
        Application.call_id == call.id)
    applications = db.session.scalars(select(Application).where(
        Application.call_id == call.id,
        Application.status.in_(REVIEWED_STATUSES) | Application.id.in_(reviewed))
        .order_by(Application.id))
    reviews: dict[int, list[Review]] = {}
    for review in db.session.scalars(select(Review).join(Application).where(
            Application.call_id == call.id)
            .options(selectinload(Review.reviewer).lazyload(User.role_grants))
            .order_by(Review.id)):
        reviews.setdefault(review.application_id, []).append(review)
    rows = []
    for application in applications:
        theirs = reviews.get(application.id, [])
        means = [Fraction(sum(r.scores.values()), len(r.scores)) for r in theirs
                 if r.submitted_at is not None and r.scores]
        rows.append(ApplicationScores(
            application=application, reviews=theirs, done=len(means), wanted=wanted,
            mean=sum(means) / len(means) if means else None,
            spread=max(means) - min(means) if len(means) > 1 else None,
            conflicts=sum(review.conflict_at is not None for review in theirs)))
    return rows


def pool_rule_of(call: OpenCall) -> dict:
    """The pool rule as recorded with a draw: reviews asked for and the lowest mean."""
    setup = setup_for(call)
    if setup is None:
        return {}
    return {"reviews": setup.reviews_per_application,
            "min_mean": mean_text(setup.pool_min_mean_tenths) or None}


def _lets_in(setup: ReviewSetup, row: ApplicationScores) -> bool:
    if row.done < setup.reviews_per_application:
        return False
    return setup.pool_min_mean_tenths is None or row.mean * 10 >= setup.pool_min_mean_tenths


def in_pool(call: OpenCall, applications: list[Application]) -> list[Application]:
    """Of the eligible applications, those the call's pool rule lets in: every review
    done and, if a lowest mean is written down, a mean at least that. A call without
    review rules draws from every eligible application."""
    setup = setup_for(call)
    if setup is None:
        return applications
    rows = {row.application.id: row for row in scores_of(call, setup)}
    return [application for application in applications
            if application.id in rows and _lets_in(setup, rows[application.id])]


@dataclass(frozen=True)
class CallReview:
    """Everything the admins' review page of a call shows."""

    setup: ReviewSetup | None
    criteria: list[RubricCriterion]
    reviewers: list[User]
    rows: list[ApplicationScores]
    # Application ids in the lottery's pool: drawn from, or that would be today.
    pool: set[int]
    drawn: bool
    # Languages the whole rubric is translated into.
    translated: set[str]


def call_review_page(call: OpenCall) -> CallReview:
    from portal.selection.models import SelectionDraw

    setup = setup_for(call)
    criteria = criteria_of(call)
    rows = scores_of(call, setup)
    record = db.session.scalars(select(SelectionDraw).where(
        SelectionDraw.call_id == call.id)).first()
    if record is not None:
        pool = {int(application_id) for application_id in record.chances}
    else:
        # As pool_applications would say, without reading the scores a second time.
        pool = {row.application.id for row in rows
                if row.application.status in REVIEWED_STATUSES
                and (setup is None or _lets_in(setup, row))}
    languages = [set(criterion.texts) for criterion in criteria]
    return CallReview(setup=setup, criteria=criteria, reviewers=reviewers_of(call), rows=rows,
                      pool=pool, drawn=record is not None,
                      translated=set.intersection(*languages) if languages else set())
