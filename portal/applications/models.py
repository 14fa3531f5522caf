"""The open call and the applications it receives.

Applications hold what people wrote about their mental health: only admins
read them, every opening is audited, and those not selected are deleted a
set time after the call's decisions, leaving only counts behind.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.auth.models import User
from portal.db import UTCDateTime, db, utcnow
from portal.enums import string_enum
from portal.programs.models import Program


class ApplicationStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"
    WITHDRAWN = "withdrawn"
    SELECTED = "selected"
    ALTERNATE = "alternate"
    NOT_SELECTED = "not_selected"
    CONFIRMED = "confirmed"


class Channel(enum.StrEnum):
    ONLINE = "online"
    MAIL = "mail"
    IN_PERSON = "in_person"
    PHONE = "phone"


class ContactWay(enum.StrEnum):
    EMAIL = "email"
    TEXT = "text"
    CALL = "call"
    MAIL = "mail"


class OpenCall(db.Model):
    """A program's open call for applications."""

    __tablename__ = "open_calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), index=True)
    # The short public address: /apply/<slug>.
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    # Kept as the local day and clock time, turned into an instant only when
    # needed, so "5 p.m." stays 5 p.m. whichever side of a clock change it falls.
    deadline_day: Mapped[date] = mapped_column(Date)
    deadline_time: Mapped[time] = mapped_column(Time, default=time(17))
    decisions_by: Mapped[date | None] = mapped_column(Date)
    seats: Mapped[int] = mapped_column(Integer)
    paper_address: Mapped[str | None] = mapped_column(Text)
    paper_office: Mapped[str | None] = mapped_column(String(160))
    paper_hours: Mapped[str | None] = mapped_column(String(160))
    # Set when the selection is final; deleting applications counts from here.
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Counts by channel, language, neighborhood and status of applications
    # already deleted, so reports stay true after the purge.
    purged_counts: Mapped[dict | None] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    program: Mapped[Program] = relationship()
    texts: Mapped[list[CallText]] = relationship(
        back_populates="call", cascade="all, delete-orphan", lazy="selectin",
        order_by="CallText.id")
    questions: Mapped[list[CallQuestion]] = relationship(
        back_populates="call", cascade="all, delete-orphan", lazy="selectin",
        order_by="CallQuestion.position")

    @property
    def closes_at(self) -> datetime:
        """The deadline as an instant: the local day and time in the program's zone."""
        zone = ZoneInfo(self.program.timezone)
        return datetime.combine(self.deadline_day, self.deadline_time, tzinfo=zone)

    def is_open(self, now: datetime) -> bool:
        return now < self.closes_at

    @property
    def original(self) -> CallText:
        return next(text for text in self.texts if text.is_original)

    def text_in(self, language: str) -> CallText | None:
        return next((text for text in self.texts if text.language == language), None)


class CallText(db.Model):
    """The call's words in one language: the original or a translation."""

    __tablename__ = "call_texts"
    __table_args__ = (UniqueConstraint("call_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("open_calls.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(10))
    is_original: Mapped[bool] = mapped_column(Boolean, default=False)
    title: Mapped[str] = mapped_column(String(200))
    invitation: Mapped[str] = mapped_column(Text)
    who_may_apply: Mapped[str] = mapped_column(Text)
    written_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    call: Mapped[OpenCall] = relationship(back_populates="texts")


class CallQuestion(db.Model):
    """An extra question of one call; its wording per language in `texts`."""

    __tablename__ = "call_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("open_calls.id", ondelete="CASCADE"),
                                         index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # {language code: wording}; the call's original language is always there.
    texts: Mapped[dict] = mapped_column(JSON)

    call: Mapped[OpenCall] = relationship(back_populates="questions")

    def text_for(self, language: str, original: str) -> tuple[str, str]:
        """(wording, language it is in): the reader's language or the original."""
        if language in self.texts:
            return self.texts[language], language
        return self.texts[original], original


class Application(db.Model):
    __tablename__ = "applications"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("open_calls.id"), index=True)
    # Short and unambiguous, to read aloud on the phone or copy from a letter.
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    status: Mapped[ApplicationStatus] = mapped_column(
        string_enum(ApplicationStatus), default=ApplicationStatus.SUBMITTED, index=True)
    channel: Mapped[Channel] = mapped_column(string_enum(Channel), default=Channel.ONLINE)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # A portal language code, or "other" with the language written in language_other.
    language: Mapped[str] = mapped_column(String(10))
    language_other: Mapped[str | None] = mapped_column(String(80))

    name: Mapped[str] = mapped_column(String(120))
    preferred_name: Mapped[str | None] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    mobile: Mapped[str | None] = mapped_column(String(40))
    phone: Mapped[str | None] = mapped_column(String(40))
    mailing_address: Mapped[str | None] = mapped_column(Text)
    preferred_contact: Mapped[ContactWay] = mapped_column(string_enum(ContactWay))
    # Whether texts to `mobile` are allowed: the newest line of the consent ledger
    # about this application (see TextConsent).
    texts_allowed: Mapped[bool] = mapped_column(Boolean, default=False)
    neighborhood: Mapped[str] = mapped_column(String(40))

    # {"lives_in_area": "yes"|"no"|"not_sure", "adult": "yes"|"no"}
    eligibility: Mapped[dict] = mapped_column(JSON)
    # {question id (as text): answer}
    answers: Mapped[dict] = mapped_column(JSON)
    statement: Mapped[str] = mapped_column(Text)
    experience: Mapped[str | None] = mapped_column(Text)
    # {"times": [...], "format": "in_person"|"online"|"either"}
    availability: Mapped[dict] = mapped_column(JSON)
    # {"interpretation": code or "", "childcare": bool, "transport": bool, "access": text}
    needs: Mapped[dict] = mapped_column(JSON)
    # Optional answers, used only to build a varied group; never shown to reviewers.
    demographics: Mapped[dict] = mapped_column(JSON)
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime)

    # Staff decisions on this application.
    eligibility_reason: Mapped[str | None] = mapped_column(Text)
    late_reason: Mapped[str | None] = mapped_column(Text)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deletion_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A scan of a paper application, stored like other uploads (random name).
    scan_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    scan_type: Mapped[str | None] = mapped_column(String(8))

    call: Mapped[OpenCall] = relationship()
    entered_by: Mapped[User | None] = relationship()

    @property
    def contact_name(self) -> str:
        return self.preferred_name or self.name


class ApplicationDraft(db.Model):
    """What someone typed and saved to finish later. Only the code's hash is kept."""

    __tablename__ = "application_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("open_calls.id", ondelete="CASCADE"),
                                         index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    fields: Mapped[dict] = mapped_column(JSON)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    call: Mapped[OpenCall] = relationship()
