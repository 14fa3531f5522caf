"""Email waiting to be sent. Written in the same transaction as the change that causes it."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import UTCDateTime, db, utcnow
from portal.enums import string_enum


class OutboxStatus(enum.StrEnum):
    QUEUED = "queued"
    SENT = "sent"


class Channel(enum.StrEnum):
    EMAIL = "email"
    TEXT = "text"


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    channel: Mapped[Channel] = mapped_column(string_enum(Channel), default=Channel.EMAIL)
    to_address: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(10))
    # Which email this is (its template): tells pages which messages speak of money.
    topic: Mapped[str | None] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    # One text attachment at most (a meeting's .ics), kept with the message so a
    # retry sends exactly what was queued.
    attachment_name: Mapped[str | None] = mapped_column(String(120))
    attachment_type: Mapped[str | None] = mapped_column(String(80))
    attachment_body: Mapped[str | None] = mapped_column(Text)
    status: Mapped[OutboxStatus] = mapped_column(
        string_enum(OutboxStatus), default=OutboxStatus.QUEUED, index=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Texts only: the meeting a reminder asks about (a reply of 1, 2 or 3 answers
    # it), the provider's id for the delivery report, what that report said, and
    # how many segments the text costs.
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"))
    provider_id: Mapped[str | None] = mapped_column(String(64), index=True)
    delivery_status: Mapped[str | None] = mapped_column(String(20))
    segments: Mapped[int | None] = mapped_column(Integer)
