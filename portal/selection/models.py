"""What the web part of the selection keeps: each call's plan (pool rule, targets,
alternates) and the record of its draw, enough for anyone to check it again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.applications.models import Application, OpenCall
from portal.auth.models import User
from portal.db import UTCDateTime, db, utcnow


class SelectionPlan(db.Model):
    """The rules a call's draw will follow, written down before it is drawn."""

    __tablename__ = "selection_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("open_calls.id", ondelete="CASCADE"),
                                         unique=True)
    alternates: Mapped[int] = mapped_column(Integer, default=0)
    # [[category, value, min, max], ...] in the auditor's TARGETS.csv order.
    targets: Mapped[list] = mapped_column(JSON, default=list)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    call: Mapped[OpenCall] = relationship()


class SelectionDraw(db.Model):
    """One call's draw: what it was drawn from and what came out, as published."""

    __tablename__ = "selection_draws"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("open_calls.id"), unique=True)
    # Which applications entered the pool: {"statuses": [...]}
    pool_rule: Mapped[dict] = mapped_column(JSON)
    targets: Mapped[list] = mapped_column(JSON)
    seats: Mapped[int] = mapped_column(Integer)
    alternates: Mapped[int] = mapped_column(Integer)
    seed: Mapped[str] = mapped_column(String(200))
    pool_fingerprint: Mapped[str] = mapped_column(String(64))
    targets_fingerprint: Mapped[str] = mapped_column(String(64))
    # {pool id: exact chance as "numerator/denominator"}
    chances: Mapped[dict] = mapped_column(JSON)
    # Pool ids (application ids as text): the panel, and the alternates by rank.
    panel: Mapped[list] = mapped_column(JSON)
    ranked_alternates: Mapped[list] = mapped_column(JSON)
    # The exact pool file drawn from, so it can be published again byte for byte.
    pool_file: Mapped[str] = mapped_column(Text)
    drawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    drawn_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When everyone who applied was told; set once, so nobody is told twice.
    decisions_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    call: Mapped[OpenCall] = relationship()
    drawn_by: Mapped[User | None] = relationship()


class SeatOffer(db.Model):
    """The link in a selected person's email to say yes themselves. Only its hash is kept;
    it works once."""

    __tablename__ = "seat_offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    application: Mapped[Application] = relationship()
