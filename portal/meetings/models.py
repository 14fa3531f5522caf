"""Meetings, the answers members give, who came, and what reminders went out."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.auth.models import User
from portal.db import UTCDateTime, db, utcnow
from portal.enums import string_enum
from portal.programs.models import Program


class MeetingFormat(enum.StrEnum):
    IN_PERSON = "in_person"
    VIRTUAL = "virtual"
    HYBRID = "hybrid"


class MeetingStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class Response(enum.StrEnum):
    IN_PERSON = "in_person"
    VIRTUAL = "virtual"
    NOT_ATTENDING = "not_attending"
    WAITLISTED = "waitlisted"


class AttendanceStatus(enum.StrEnum):
    IN_PERSON = "in_person"
    VIRTUAL = "virtual"
    ABSENT = "absent"
    EXCUSED = "excused"


class Meeting(db.Model):
    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    format: Mapped[MeetingFormat] = mapped_column(string_enum(MeetingFormat))
    venue: Mapped[str | None] = mapped_column(String(200))
    room: Mapped[str | None] = mapped_column(String(120))
    accessibility_notes: Mapped[str | None] = mapped_column(Text)
    join_link: Mapped[str | None] = mapped_column(String(500))
    capacity: Mapped[int | None] = mapped_column(Integer)
    rsvp_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[MeetingStatus] = mapped_column(
        string_enum(MeetingStatus), default=MeetingStatus.SCHEDULED
    )
    ical_uid: Mapped[str] = mapped_column(String(255), unique=True)
    # Raised on every change a calendar must see (RFC 5545 SEQUENCE).
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    # Bumped by every seat change, so concurrent RSVPs queue up on this row.
    seat_version: Mapped[int] = mapped_column(Integer, default=0)
    series_key: Mapped[str | None] = mapped_column(String(36), index=True)
    # One key per filled-in form, so sending the same form twice schedules one meeting
    # (for a series, the first meeting carries it).
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Why it was cancelled, in the words staff gave; members read it on the page and email.
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    program: Mapped[Program] = relationship()
    texts: Mapped[list[MeetingText]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def is_cancelled(self) -> bool:
        return self.status == MeetingStatus.CANCELLED

    @property
    def has_seats(self) -> bool:
        return self.format in (MeetingFormat.IN_PERSON, MeetingFormat.HYBRID)

    @property
    def can_join_online(self) -> bool:
        return self.format in (MeetingFormat.VIRTUAL, MeetingFormat.HYBRID)

    @property
    def original_text(self) -> MeetingText | None:
        return next((text for text in self.texts if text.is_original), None)

    def text_for(self, language: str) -> MeetingText:
        """The title and description in `language`, or the original."""
        for text in self.texts:
            if text.language == language:
                return text
        return self.original_text or self.texts[0]

    def words_for(self, language: str) -> MeetingWords:
        """What a reader of `language` sees of the description, place and access notes:
        each in their language where staff wrote it, otherwise the original."""
        own = next((text for text in self.texts if text.language == language), None)
        original = self.original_text or self.texts[0]
        original_place = (self.venue, self.room, self.accessibility_notes)

        def pick(translated, fallback):
            if own is not None and not own.is_original and translated:
                return Shown(translated, own.language)
            return Shown(fallback, original.language) if fallback else None

        return MeetingWords(
            description=pick(own.description if own else None, original.description),
            venue=pick(own.venue if own else None, original_place[0]),
            room=pick(own.room if own else None, original_place[1]),
            accessibility_notes=pick(own.accessibility_notes if own else None,
                                     original_place[2]),
            reader=language,
        )


@dataclass(frozen=True)
class Shown:
    """A piece of text and the language it is written in."""

    text: str
    language: str

    @property
    def tag(self) -> str:
        return self.language.replace("_", "-")


@dataclass(frozen=True)
class MeetingWords:
    description: Shown | None
    venue: Shown | None
    room: Shown | None
    accessibility_notes: Shown | None
    reader: str

    @property
    def untranslated(self) -> bool:
        """Something written for members is shown in another language than the reader's."""
        return any(shown is not None and shown.language != self.reader
                   for shown in (self.description, self.venue, self.accessibility_notes))


class MeetingText(db.Model):
    """A meeting's title and description in one language."""

    __tablename__ = "meeting_texts"
    __table_args__ = (UniqueConstraint("meeting_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    is_original: Mapped[bool] = mapped_column(Boolean, default=False)
    # The place and access notes in this language; the original's stay on the meeting.
    venue: Mapped[str | None] = mapped_column(String(200))
    room: Mapped[str | None] = mapped_column(String(120))
    accessibility_notes: Mapped[str | None] = mapped_column(Text)

    meeting: Mapped[Meeting] = relationship(back_populates="texts")


class MeetingTranslationRequest(db.Model):
    """A member asking for a meeting's description and notes in their language."""

    __tablename__ = "meeting_translation_requests"
    __table_args__ = (UniqueConstraint("meeting_id", "language", "requester_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    language: Mapped[str] = mapped_column(String(10))
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Open while empty; set when the translation is written.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    requester: Mapped[User] = relationship()


class Rsvp(db.Model):
    __tablename__ = "rsvps"
    __table_args__ = (UniqueConstraint("meeting_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    response: Mapped[Response] = mapped_column(string_enum(Response))
    waitlisted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    interpretation_language: Mapped[str | None] = mapped_column(String(10))
    childcare_children: Mapped[int] = mapped_column(Integer, default=0)
    transport_help: Mapped[bool] = mapped_column(Boolean, default=False)
    access_needs: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    meeting: Mapped[Meeting] = relationship()
    user: Mapped[User] = relationship()


class Attendance(db.Model):
    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("meeting_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[AttendanceStatus] = mapped_column(string_enum(AttendanceStatus))
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    meeting: Mapped[Meeting] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class MeetingReminder(db.Model):
    """That a reminder for a meeting was queued for a person, so it is queued once."""

    __tablename__ = "meeting_reminders"

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CalendarFeed(db.Model):
    """A person's private calendar address; only a hash of its secret is kept."""

    __tablename__ = "calendar_feeds"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
