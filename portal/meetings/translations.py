"""A meeting in each member's language: staff write the title, description, place
and access notes per language; members ask for what is not there yet."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.auth.models import User
from portal.db import db, insert_unless_present
from portal.i18n import LANGUAGE_BY_CODE
from portal.meetings.models import Meeting, MeetingText, MeetingTranslationRequest
from portal.meetings.services import MeetingRuleError, set_meeting_text
from portal.outbox.services import external_url, notify


@dataclass
class MeetingTranslation:
    language: str
    title: str
    description: str | None = None
    venue: str | None = None
    room: str | None = None
    accessibility_notes: str | None = None


def translate_meeting(actor: User, meeting: Meeting, translation: MeetingTranslation,
                      now: datetime) -> MeetingText:
    """Save a meeting's words in one language. The place and access notes of the
    original stay on the meeting itself. Everyone who asked for this language is
    emailed once the description or notes they lacked are there."""
    text = set_meeting_text(actor, meeting, translation.language, translation.title,
                            translation.description)
    if not text.is_original:
        text.venue = translation.venue or None
        text.room = translation.room or None
        text.accessibility_notes = translation.accessibility_notes or None
    db.session.flush()
    if not meeting.words_for(translation.language).untranslated:
        _close_requests(meeting, translation.language, now)
    return text


def _close_requests(meeting: Meeting, language: str, now: datetime) -> int:
    requests = db.session.scalars(
        select(MeetingTranslationRequest)
        .options(selectinload(MeetingTranslationRequest.requester))
        .where(MeetingTranslationRequest.meeting_id == meeting.id,
               MeetingTranslationRequest.language == language,
               MeetingTranslationRequest.closed_at.is_(None))
        .order_by(MeetingTranslationRequest.id)
    ).all()
    link = external_url("meetings.meeting", meeting_id=meeting.id)
    for request in requests:
        request.closed_at = now
        if request.requester.active:
            notify(request.requester, "meeting_translation_ready", meeting=meeting, link=link)
    return len(requests)


def request_meeting_translation(user: User, meeting: Meeting, language: str,
                                now: datetime) -> bool:
    """Ask for a meeting's words in `language`. True when this is a new request;
    asking again changes nothing. Safe when two requests arrive at once."""
    if language not in LANGUAGE_BY_CODE:
        raise MeetingRuleError("language", _l("Choose one of the options."))
    if not meeting.words_for(language).untranslated:
        return False
    values = {"meeting_id": meeting.id, "language": language, "requester_id": user.id,
              "created_at": now}
    return insert_unless_present(MeetingTranslationRequest, values)


def meeting_request_of(user: User, meeting: Meeting,
                       language: str) -> MeetingTranslationRequest | None:
    """The person's request for this meeting in `language`, open or answered."""
    return db.session.scalars(select(MeetingTranslationRequest).where(
        MeetingTranslationRequest.meeting_id == meeting.id,
        MeetingTranslationRequest.language == language,
        MeetingTranslationRequest.requester_id == user.id,
        MeetingTranslationRequest.closed_at.is_(None))).first()


def meeting_requests_waiting(meeting: Meeting) -> Counter:
    """How many people wait for each language of this meeting, for staff."""
    return Counter(dict(db.session.execute(
        select(MeetingTranslationRequest.language, func.count(MeetingTranslationRequest.id))
        .where(MeetingTranslationRequest.meeting_id == meeting.id,
               MeetingTranslationRequest.closed_at.is_(None))
        .group_by(MeetingTranslationRequest.language)).all()))
