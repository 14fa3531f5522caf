"""Members on a waitlist see their place in it, and are told when it changes."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.auth.models import Role, User
from portal.db import db, utcnow
from portal.meetings.models import Response
from portal.meetings.services import Needs, rsvp_for_meeting
from portal.outbox.models import OutboxMessage
from tests.conftest import make_person, sign_in
from tests.test_meetings import make_meeting


def place_notices(*topics: str):
    """The notices of a new place on the waitlist, and of a seat given from it (answers
    are confirmed by email too)."""
    return select(OutboxMessage).where(
        OutboxMessage.topic.in_(topics or ("waitlist_place", "seat_available")))


def full_meeting_with_waitlist(program, people):
    """One seat, taken; three people waiting, in order."""
    meeting = make_meeting(program, people["facilitator"], capacity=1)
    seated = make_person(program, Role.MEMBER, name="Seated")
    waiting = [make_person(program, Role.MEMBER, name=f"Waiting {n}", language=language)
               for n, language in enumerate(("en", "ht", "es"), start=1)]
    now = utcnow()
    rsvp_for_meeting(seated, meeting, Response.IN_PERSON, Needs(), now)
    for minutes, person in enumerate(waiting):
        rsvp_for_meeting(person, meeting, Response.WAITLISTED, Needs(),
                         now + timedelta(minutes=minutes))
    db.session.commit()
    return meeting, seated, waiting


def test_the_meeting_page_and_calendar_show_the_place(client, people, program):
    meeting, _seated, waiting = full_meeting_with_waitlist(program, people)
    sign_in(client, db.session.get(User, waiting[2].id))
    client.get("/language/en")
    assert "You are number 3 on the waitlist." in client.get(
        f"/meetings/{meeting.id}").get_data(as_text=True)
    calendar = client.get("/calendar").get_data(as_text=True)
    assert "You are number 3 on the waitlist." in calendar


def test_places_move_up_and_each_person_is_told_in_their_language(client, people, program):
    meeting, seated, waiting = full_meeting_with_waitlist(program, people)
    # The first in line stops waiting: the two behind move up.
    rsvp_for_meeting(db.session.get(User, waiting[0].id), meeting, Response.VIRTUAL, Needs(),
                     utcnow())
    db.session.commit()
    told = {m.recipient_id: m for m in db.session.scalars(place_notices())}
    assert set(told) == {waiting[1].id, waiting[2].id}
    assert told[waiting[1].id].language == "ht" and "1" in told[waiting[1].id].subject
    assert told[waiting[2].id].language == "es" and "2" in told[waiting[2].id].subject

    # The seat frees up: the first in line gets it, the last moves to number 1.
    db.session.execute(OutboxMessage.__table__.delete())
    rsvp_for_meeting(db.session.get(User, seated.id), meeting, Response.NOT_ATTENDING, Needs(),
                     utcnow())
    db.session.commit()
    told = {m.recipient_id: m for m in db.session.scalars(place_notices())}
    assert set(told) == {waiting[1].id, waiting[2].id}
    assert "1" in told[waiting[2].id].subject
    sign_in(client, db.session.get(User, waiting[2].id))
    client.get("/language/en")
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "You are number 1 on the waitlist." in page


def test_joining_the_end_of_the_waitlist_tells_nobody_else(people, program):
    meeting, _seated, _waiting = full_meeting_with_waitlist(program, people)
    db.session.execute(OutboxMessage.__table__.delete())
    late = make_person(program, Role.MEMBER, name="Late")
    rsvp_for_meeting(late, meeting, Response.WAITLISTED, Needs(), utcnow())
    db.session.commit()
    assert db.session.scalars(place_notices()).all() == []


def test_the_calendar_file_gives_the_place(client, people, program):
    from icalendar import Calendar

    meeting, _seated, waiting = full_meeting_with_waitlist(program, people)
    sign_in(client, db.session.get(User, waiting[1].id))
    event = next(iter(Calendar.from_ical(
        client.get(f"/meetings/{meeting.id}/meeting.ics").data).walk("VEVENT")))
    assert "nimewo 2 sou lis datant lan" in str(event["description"])
