"""The email that confirms a person's answer for a meeting, with the meeting's .ics."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time

from portal.auth.models import User
from portal.meetings.calendar import build_calendar, meeting_location, response_label
from portal.meetings.models import Meeting, Response, Rsvp
from portal.outbox.models import OutboxMessage
from portal.outbox.services import Attachment, external_url, notify


def meeting_time_text(meeting: Meeting, language: str) -> str:
    """"Wednesday, December 2, 2026, 6:00 PM – 8:00 PM" in the meeting's own time zone
    and the reader's language, whatever request (or none) is running."""
    zone = ZoneInfo(meeting.program.timezone)
    starts, ends = meeting.starts_at.astimezone(zone), meeting.ends_at.astimezone(zone)
    return (f"{format_date(starts, 'full', locale=language)}, "
            f"{format_time(starts, 'short', locale=language)}–"
            f"{format_time(ends, 'short', locale=language)}")


def queue_answer_confirmation(person: User, meeting: Meeting, rsvp: Rsvp,
                              now: datetime) -> list[OutboxMessage]:
    """Email the person what they answered and, written out, when and where the meeting
    is (the join link only to those who join online), with the meeting's calendar file.

    Nothing is sent to someone who turned these emails off or has no email address.
    """
    if not person.active or not person.notify_answer_confirmations:
        return []
    language = person.preferred_language
    online = rsvp.response == Response.VIRTUAL
    coming = rsvp.response in (Response.IN_PERSON, Response.VIRTUAL, Response.WAITLISTED)
    calendar = build_calendar(person, [meeting], now, meeting.program.name)
    # By email only, to those who chose email: one who answers by text gets the reply.
    return notify(
        person, "answer_saved",
        attachment=Attachment(f"meeting-{meeting.id}.ics",
                              "text/calendar", calendar.decode("utf-8")),
        meeting=meeting, rsvp=rsvp, answer=lambda: response_label(rsvp.response),
        when=meeting_time_text(meeting, language),
        place=(meeting_location if meeting.has_seats and not online and coming else None),
        join_link=meeting.join_link if online and not meeting.is_cancelled else None,
        link=external_url("meetings.meeting", meeting_id=meeting.id))
