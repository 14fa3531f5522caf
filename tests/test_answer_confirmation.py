"""Answering for a meeting brings an email in one's own language with the date, time and
place written out, the join link for those who join online, and the meeting's .ics."""

from __future__ import annotations

import email
from datetime import timedelta
from email import policy
from zoneinfo import ZoneInfo

from babel.dates import format_date
from icalendar import Calendar
from sqlalchemy import select

from portal.auth.models import Role
from portal.db import db, utcnow
from portal.i18n import _HT_MONTHS_WIDE
from portal.meetings.models import MeetingFormat
from portal.meetings.services import MeetingDetails, create_meeting
from portal.outbox.models import OutboxMessage
from portal.outbox.services import _build_email
from tests.conftest import make_person, sign_in
from tests.test_meetings import answer

JOIN = "https://video.example.org/design-room"


def _meeting(program, people):
    start = utcnow() + timedelta(days=5)
    meeting = create_meeting(
        people["facilitator"], program,
        MeetingDetails(starts_at=start, ends_at=start + timedelta(hours=2),
                       format=MeetingFormat.HYBRID, venue="Boston City Hall", room="Room 801",
                       accessibility_notes="Step-free entrance on Congress Street",
                       join_link=JOIN, capacity=10),
        language="en", title="Design session", description=None)
    db.session.commit()
    return meeting


def _confirmations(user):
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.recipient_id == user.id).order_by(OutboxMessage.id)))


def test_answer_brings_a_confirmation_with_the_facts_and_the_ics(app, as_role, program,
                                                                 people):
    meeting = _meeting(program, people)
    member = as_role("member_es")
    assert answer(member, meeting.id, "in_person").status_code == 302
    [message] = _confirmations(people["member_es"])
    assert message.language == "es" and "Design session" in message.subject
    body = message.body
    assert "Hola" in body or "Rosa" in body
    assert "Boston City Hall, Room 801" in body and "Congress Street" in body
    assert JOIN not in body  # only for those who join online
    # The date written out in Spanish, in the program's time zone.
    starts = meeting.starts_at.astimezone(ZoneInfo(program.timezone))
    assert format_date(starts, "full", locale="es") in body
    # The same one-meeting calendar file as the meeting page offers.
    parsed = email.message_from_bytes(_build_email(message).as_bytes(), policy=policy.default)
    [attachment] = list(parsed.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_filename() == f"meeting-{meeting.id}.ics"
    event = Calendar.from_ical(attachment.get_content()).walk("VEVENT")[0]
    assert str(event["UID"]) == meeting.ical_uid

    # Changing the answer brings a new one; the join link now, and no address to go to.
    answer(member, meeting.id, "virtual")
    latest = _confirmations(people["member_es"])[-1]
    assert JOIN in latest.body and "Room 801" not in latest.body
    # Saving the same answer again sends nothing more.
    answer(member, meeting.id, "virtual")
    assert len(_confirmations(people["member_es"])) == 2


def test_confirmation_is_in_each_members_language(app, client, program, people):
    meeting = _meeting(program, people)
    bodies = {}
    for language in ("ht", "zh_Hant", "ar"):
        person = make_person(program, Role.MEMBER, name=f"Member {language}", language=language)
        reader = app.test_client()
        sign_in(reader, person)
        answer(reader, meeting.id, "in_person")
        [message] = _confirmations(person)
        bodies[language] = message.body
    # Haitian Creole month names, not the French ones Babel would fall back to.
    assert any(month in bodies["ht"] for month in _HT_MONTHS_WIDE)
    assert "月" in bodies["zh_Hant"]
    assert any("\u0600" <= c <= "\u06ff" for c in bodies["ar"])


def test_staff_answering_for_a_member_tells_the_member(app, as_role, program, people):
    meeting = _meeting(program, people)
    staff = as_role("facilitator")
    staff.post(f"/meetings/{meeting.id}/answers",
               data={"user_id": str(people["member"].id), "response": "virtual"})
    [message] = _confirmations(people["member"])
    assert JOIN in message.body


def test_members_who_turned_confirmations_off_get_none(app, as_role, program, people):
    meeting = _meeting(program, people)
    people["member"].notify_answer_confirmations = False
    db.session.commit()
    answer(as_role("member"), meeting.id, "in_person")
    assert _confirmations(people["member"]) == []
