"""What reviewing a call keeps: who reviews it, the rubric they score against, how
many reviews each application gets, who enters the lottery's pool, and each review.

Reviewers read applications blind: a review points at an application, but the
pages a reviewer sees show only its statements and answers, never the name,
contact details, neighborhood, needs or demographic answers.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.applications.models import Application, OpenCall
from portal.auth.models import User
from portal.db import UTCDateTime, db, utcnow

# Every criterion is scored on the same scale, so means can be compared.
LOWEST_SCORE, HIGHEST_SCORE = 1, 5


class ReviewSetup(db.Model):
    """A call's review rules, written down before the pool is drawn from."""

    __tablename__ = "review_setups"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("open_calls.id", ondelete="CASCADE"),
                                         unique=True)
    reviews_per_application: Mapped[int] = mapped_column(Integer, default=2)
    # The pool rule: the lowest mean score, in tenths (35 = 3.5), that enters the
    # lottery; None lets every fully reviewed eligible application in.
    pool_min_mean_tenths: Mapped[int | None] = mapped_column(Integer)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    call: Mapped[OpenCall] = relationship()


class CallReviewer(db.Model):
    """Someone with the reviewer role, assigned by an admin to review one call."""

    __tablename__ = "call_reviewers"

    call_id: Mapped[int] = mapped_column(ForeignKey("open_calls.id", ondelete="CASCADE"),
                                         primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    call: Mapped[OpenCall] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class RubricCriterion(db.Model):
    """One thing reviewers score, with what each score means, per language."""

    __tablename__ = "rubric_criteria"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("open_calls.id", ondelete="CASCADE"),
                                         index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # {language code: {"name": ..., "guide": what 1 to 5 mean}}; the call's original
    # language is always there.
    texts: Mapped[dict] = mapped_column(JSON)

    call: Mapped[OpenCall] = relationship()

    def text_for(self, language: str, original: str) -> tuple[dict, str]:
        """({"name", "guide"}, language it is in): the reader's language or the original."""
        if language in self.texts:
            return self.texts[language], language
        return self.texts[original], original


class Review(db.Model):
    """One reviewer's reading of one application: scores per criterion and a comment,
    or a declared conflict of interest, after which someone else reviews it."""

    __tablename__ = "reviews"
    __table_args__ = (UniqueConstraint("application_id", "reviewer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Deleted with the application, so nothing of an unselected person's
    # application outlives the retention period.
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # {criterion id (as text): score}
    scores: Mapped[dict] = mapped_column(JSON, default=dict)
    comment: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    conflict_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why, in the reviewer's words; read by admins only.
    conflict_note: Mapped[str | None] = mapped_column(Text)

    application: Mapped[Application] = relationship()
    reviewer: Mapped[User] = relationship()

    @property
    def is_open(self) -> bool:
        return self.submitted_at is None and self.conflict_at is None
