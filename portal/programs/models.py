"""A program (one season of a design group), its stipend schedule, and who is enrolled."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.auth.models import User
from portal.db import UTCDateTime, db, utcnow
from portal.enums import string_enum


class EnrollmentStatus(enum.StrEnum):
    ACTIVE = "active"
    WITHDRAWN = "withdrawn"


class TaxFormStatus(enum.StrEnum):
    NOT_REQUESTED = "not_requested"
    REQUESTED = "requested"
    RECEIVED = "received"


@dataclass(frozen=True)
class Translated:
    """A short text in the reader's language, or the original when there is none yet."""

    text: str
    language: str
    missing: bool  # True when the reader's language has no version and this is the original

    def __str__(self) -> str:
        return self.text


def translated(original: str, original_language: str, translations: dict | None,
               language: str) -> Translated:
    if language == original_language:
        return Translated(original, original_language, False)
    text = (translations or {}).get(language)
    if text:
        return Translated(text, language, False)
    return Translated(original, original_language, True)


class Program(db.Model):
    __tablename__ = "programs"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160))
    timezone: Mapped[str] = mapped_column(String(64), default="America/New_York")
    season_start: Mapped[date] = mapped_column(Date)
    season_end: Mapped[date] = mapped_column(Date)
    stipend_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The language the name and installment labels were typed in; the other
    # languages staff add are kept as {language: text}.
    language: Mapped[str] = mapped_column(String(10), default="en", server_default="en")
    name_translations: Mapped[dict | None] = mapped_column(JSON)

    installments: Mapped[list[Installment]] = relationship(
        back_populates="program",
        cascade="all, delete-orphan",
        order_by="Installment.due_on",
        lazy="selectin",
    )
    enrollments: Mapped[list[Enrollment]] = relationship(back_populates="program")

    def name_in(self, language: str) -> Translated:
        """The name in `language`, or the original."""
        return translated(self.name, self.language, self.name_translations, language)

    def local_today(self, now: datetime) -> date:
        """The calendar day it is in the program's city at this instant."""
        return now.astimezone(ZoneInfo(self.timezone)).date()

    def __repr__(self) -> str:
        return f"<Program {self.id} {self.name!r}>"


class Installment(db.Model):
    """One planned part of the stipend, e.g. half at mid-season."""

    __tablename__ = "installments"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str] = mapped_column(String(120))
    due_on: Mapped[date] = mapped_column(Date)
    amount_cents: Mapped[int] = mapped_column(Integer)
    label_translations: Mapped[dict | None] = mapped_column(JSON)

    program: Mapped[Program] = relationship(back_populates="installments")

    def label_in(self, language: str) -> Translated:
        """The label in `language`, or the original (in the program's language)."""
        return translated(self.label, self.program.language, self.label_translations, language)


class Enrollment(db.Model):
    __tablename__ = "enrollments"
    __table_args__ = (UniqueConstraint("user_id", "program_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), index=True)
    status: Mapped[EnrollmentStatus] = mapped_column(
        string_enum(EnrollmentStatus), default=EnrollmentStatus.ACTIVE
    )
    stipend_total_cents: Mapped[int] = mapped_column(Integer)
    tax_form_status: Mapped[TaxFormStatus] = mapped_column(
        string_enum(TaxFormStatus), default=TaxFormStatus.NOT_REQUESTED
    )
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Bumped by every payment and void, which locks the row so that two
    # payments recorded at once are checked against the total one after the other.
    ledger_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    user: Mapped[User] = relationship()
    program: Mapped[Program] = relationship(back_populates="enrollments")
