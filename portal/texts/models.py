"""How each person wants to be reached, the consent ledger for texts, and the
texts that came in."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import UTCDateTime, db, utcnow
from portal.enums import string_enum


class ReachBy(enum.StrEnum):
    """The ways a person chose to hear from the portal. NOBODY means staff call."""

    EMAIL = "email"
    TEXT = "text"
    BOTH = "both"
    NEITHER = "neither"

    @property
    def by_email(self) -> bool:
        return self in (ReachBy.EMAIL, ReachBy.BOTH)

    @property
    def by_text(self) -> bool:
        return self in (ReachBy.TEXT, ReachBy.BOTH)


class ConsentSource(enum.StrEnum):
    """How a consent to texts was given or taken back."""

    PROFILE = "profile"
    APPLICATION = "application"
    PAPER = "paper"  # recorded by staff from a signed form or a call
    REPLY = "reply"  # STOP or START sent by text


class TextConsent(db.Model):
    """One line of the consent ledger: texts allowed or not, from when, and how.

    A line is about a person with an account, or about an application: someone
    who chose texts when they applied has no account yet, and their agreement
    counts all the same. The ledger is never edited; the current answer is its
    newest line (kept on `User.texts_allowed` and `Application.texts_allowed`
    so sending never has to read the ledger). An application's lines go when
    the application is deleted: they hold its phone number.
    """

    __tablename__ = "text_consents"
    __table_args__ = (
        CheckConstraint("(user_id IS NULL) <> (application_id IS NULL)", name="one_holder"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    given: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[ConsentSource] = mapped_column(string_enum(ConsentSource))
    phone: Mapped[str | None] = mapped_column(String(20))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InboundText(db.Model):
    """A text that arrived, kept by the provider's id so a retried webhook is
    answered once. The body is not kept: only what the portal did with it."""

    __tablename__ = "inbound_texts"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[str] = mapped_column(String(64), unique=True)
    from_number: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(40))
    reply: Mapped[str] = mapped_column(String(1600))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
