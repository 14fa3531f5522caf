"""The staff's call list: members whom no channel reaches, or whose last
messages did not arrive, so someone phones them before the meeting."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from sqlalchemy import func, select

from portal.auth.models import User
from portal.db import db
from portal.meetings.models import Meeting, Rsvp
from portal.meetings.services import roster_rows
from portal.outbox.models import Channel, OutboxMessage, OutboxStatus
from portal.texts.models import TextConsent
from portal.texts.replies import FAILED_DELIVERY
from portal.texts.services import reaches_by_email, reaches_by_text

# An email still unsent after this many tries counts as not arriving.
EMAIL_TRIES_BEFORE_CALLING = 3


class CallReason(enum.StrEnum):
    CHOSE_CALLS = "chose_calls"  # chose neither email nor texts
    NO_CHANNEL = "no_channel"  # chose a way that cannot reach them
    TEXTS_STOPPED = "texts_stopped"
    TEXT_FAILED = "text_failed"
    EMAIL_FAILED = "email_failed"


@dataclass
class ToCall:
    member: User
    rsvp: Rsvp | None
    reasons: list[CallReason] = field(default_factory=list)
    stopped_at: object = None


def _last_message_failed(member_ids: list[int]) -> dict[int, set[Channel]]:
    """For each member, the channels whose most recent message did not arrive."""
    if not member_ids:
        return {}
    latest = (
        select(func.max(OutboxMessage.id))
        .where(OutboxMessage.recipient_id.in_(member_ids))
        .group_by(OutboxMessage.recipient_id, OutboxMessage.channel)
    )
    failed: dict[int, set[Channel]] = {}
    for message in db.session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(latest))):
        text_failed = (message.channel == Channel.TEXT
                       and message.delivery_status in FAILED_DELIVERY)
        email_failed = (message.channel == Channel.EMAIL
                        and message.status == OutboxStatus.QUEUED
                        and message.attempts >= EMAIL_TRIES_BEFORE_CALLING)
        if text_failed or email_failed:
            failed.setdefault(message.recipient_id, set()).add(message.channel)
    return failed


def _stops(member_ids: list[int]) -> dict[int, object]:
    """When each member last withdrew consent to texts, for those whose texts are off."""
    if not member_ids:
        return {}
    rows = db.session.execute(
        select(TextConsent.user_id, func.max(TextConsent.recorded_at))
        .where(TextConsent.user_id.in_(member_ids), TextConsent.given.is_(False))
        .group_by(TextConsent.user_id)
    )
    return dict(rows.all())


def call_list(meeting: Meeting) -> list[ToCall]:
    """Active members of the meeting's program whom no channel reaches or whose
    last message failed, by name, with their answer for this meeting. Three
    queries whatever the number of members."""
    rows = db.session.execute(roster_rows(meeting)).all()
    ids = [member.id for member, _, _ in rows]
    failed = _last_message_failed(ids)
    stops = _stops(ids)
    listed = []
    for member, rsvp, _ in rows:
        entry = ToCall(member, rsvp)
        by_email, by_text = reaches_by_email(member), reaches_by_text(member)
        if not member.reach_by.by_email and not member.reach_by.by_text:
            entry.reasons.append(CallReason.CHOSE_CALLS)
        elif not by_email and not by_text:
            if member.reach_by.by_text and not member.texts_allowed and member.id in stops:
                entry.reasons.append(CallReason.TEXTS_STOPPED)
                entry.stopped_at = stops[member.id]
            else:
                entry.reasons.append(CallReason.NO_CHANNEL)
        channels = failed.get(member.id, set())
        if Channel.TEXT in channels and by_text:
            entry.reasons.append(CallReason.TEXT_FAILED)
        if Channel.EMAIL in channels and by_email:
            entry.reasons.append(CallReason.EMAIL_FAILED)
        if entry.reasons:
            listed.append(entry)
    return listed



