"""Meetings: scheduling and series (across DST), the calendar, answers, seats and the
waitlist, needs, roster, attendance, changes and cancellations, feeds and reminders."""

from __future__ import annotations

import csv
import io
import threading
from datetime import UTC, date, datetime, time, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import delete, func, select

from portal.audit.models import AuditEvent
from portal.auth.models import Role, User
from portal.db import db, utcnow
from portal.meetings.models import (
    Attendance,
    Meeting,
    MeetingFormat,
    MeetingStatus,
    Response,
    Rsvp,
)
from portal.meetings.services import (
    MeetingDetails,
    Needs,
    SeatsFull,
    create_meeting,
    queue_reminders,
    rsvp_for_meeting,
)
from portal.outbox.models import OutboxMessage
from portal.programs.models import Program
from tests.conftest import make_person, sign_in

NEW_YORK = "America/New_York"


def make_meeting(program, actor, *, starts_in=timedelta(days=7), hours=2, capacity=None,
                 format=MeetingFormat.HYBRID, deadline_before=None, title="Design session",
                 language="en") -> Meeting:
    starts = utcnow().replace(microsecond=0) + starts_in
    meeting = create_meeting(
        actor, program,
        MeetingDetails(starts_at=starts, ends_at=starts + timedelta(hours=hours), format=format,
                       venue=None if format == MeetingFormat.VIRTUAL else "City Hall",
                       room="801", join_link=None if format == MeetingFormat.IN_PERSON
                       else "https://video.example.org/room", capacity=capacity,
                       rsvp_deadline=starts - deadline_before if deadline_before else None),
        language=language, title=title, description="We plan together.")
    db.session.commit()
    return meeting


@pytest.fixture
def meeting(people, program):
    return make_meeting(program, people["facilitator"])


def answer(client, meeting_id, response, **needs):
    return client.post(f"/meetings/{meeting_id}", data={"response": response, **needs})


def clear_outbox():
    """Drop the answer confirmations queued while setting up, to look at what follows."""
    db.session.execute(delete(OutboxMessage))
    db.session.commit()


def rsvp_of(meeting_id, user_id):
    db.session.expire_all()
    return db.session.scalars(select(Rsvp).where(
        Rsvp.meeting_id == meeting_id, Rsvp.user_id == user_id)).first()


# Scheduling -------------------------------------------------------------------

MEETING_FORM = {
    # A day still to come, in the season: staff cannot schedule the past.
    "language": "en", "title": "Kickoff", "description": "", "day": "2027-01-13",
    "starts": "18:00", "ends": "20:00", "format": "hybrid", "venue": "City Hall",
    "room": "801", "join_link": "https://video.example.org/k", "capacity": "10",
    "deadline_days": "1", "accessibility_notes": "Elevator on the left.",
}


def test_facilitator_adds_a_meeting_in_local_time(as_role, people, program):
    response = as_role("facilitator").post("/meetings/new", data=MEETING_FORM)
    assert response.status_code == 302
    meeting = db.session.scalars(select(Meeting)).one()
    # 6:00 pm in Boston in January is 23:00 UTC.
    assert meeting.starts_at == datetime(2027, 1, 13, 23, 0, tzinfo=UTC)
    assert meeting.rsvp_deadline == datetime(2027, 1, 12, 23, 0, tzinfo=UTC)
    assert meeting.original_text.title == "Kickoff"
    assert db.session.scalars(select(AuditEvent.action)).all() == ["meeting.created"]


def test_bad_meeting_input_keeps_what_was_typed(as_role, people, program):
    response = as_role("facilitator").post("/meetings/new", data={
        **MEETING_FORM, "ends": "17:00", "join_link": "video.example.org", "capacity": "-3"})
    page = response.get_data(as_text=True)
    assert "Enter a whole number from 1 to 1000." in page
    assert 'value="Kickoff"' in page
    assert db.session.scalars(select(Meeting)).all() == []
    response = as_role("facilitator").post("/meetings/new", data={**MEETING_FORM, "ends": "17:00"})
    assert "The meeting must end after it starts." in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["member", "finance"])
def test_only_facilitators_and_admins_schedule(as_role, role, people, program):
    assert as_role(role).post("/meetings/new", data=MEETING_FORM).status_code == 403
    assert as_role(role).get("/meetings/series/new").status_code == 403


def test_series_every_other_wednesday_keeps_six_pm_across_daylight_saving(as_role, people,
                                                                         program):
    response = as_role("admin").post("/meetings/series/new", data={
        **MEETING_FORM, "first_day": "2027-01-13", "last_day": "2027-05-31",
        "every_weeks": "2", "skip": "2027-02-24\n2027-04-07"})
    assert response.status_code == 302
    meetings = db.session.scalars(select(Meeting).order_by(Meeting.starts_at)).all()
    local = [m.starts_at.astimezone(__import__("zoneinfo").ZoneInfo(NEW_YORK)) for m in meetings]
    assert all(moment.time() == time(18, 0) and moment.weekday() == 2 for moment in local)
    days = [moment.date() for moment in local]
    assert date(2027, 2, 24) not in days and date(2027, 4, 7) not in days
    assert days[0] == date(2027, 1, 13) and days[-1] == date(2027, 5, 19)
    assert len(days) == 8
    utc_hours = {m.starts_at.date(): m.starts_at.hour for m in meetings}
    assert utc_hours[date(2027, 3, 10)] == 23  # before the clocks change on 14 March
    assert utc_hours[date(2027, 3, 24)] == 22  # after
    assert len({m.series_key for m in meetings}) == 1


def test_series_with_a_bad_skip_date_says_so(as_role, people, program):
    response = as_role("admin").post("/meetings/series/new", data={
        **MEETING_FORM, "first_day": "2027-01-13", "last_day": "2027-05-31",
        "every_weeks": "2", "skip": "someday"})
    assert "Write each date like 2026-12-23, one per line." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Meeting.id))) == 0


# Seeing meetings -----------------------------------------------------------------

def test_member_calendar_groups_by_month_and_shows_the_next_meeting(as_role, people, program,
                                                                    meeting):
    later = make_meeting(program, people["facilitator"], starts_in=timedelta(days=40),
                         title="Later session")
    past = make_meeting(program, people["facilitator"], starts_in=timedelta(days=-10),
                        title="Past session")
    client = as_role("member")
    answer(client, meeting.id, "virtual")
    page = client.get("/calendar").get_data(as_text=True)
    next_block = page.split('id="next-heading"')[1].split("</section>")[0]
    assert "Design session" in next_block and "Online" in next_block
    assert page.index("Coming up") < page.index("Later session") < page.index("Past meetings")
    assert page.index("Past meetings") < page.index("Past session")
    assert later.id and past.id


def test_meeting_page_and_join_link_only_for_the_program(app, as_role, people, program,
                                                         meeting, client):
    member_page = as_role("member").get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "https://video.example.org/room" in member_page
    other_program = Program(name="Other", season_start=date(2026, 12, 1),
                            season_end=date(2027, 5, 31), stipend_cents=100, timezone=NEW_YORK)
    db.session.add(other_program)
    db.session.commit()
    outsider = make_person(other_program, Role.MEMBER, name="Out Sider")
    other = app.test_client()
    sign_in(other, outsider)
    for path in (f"/meetings/{meeting.id}", f"/meetings/{meeting.id}/meeting.ics"):
        response = other.get(path)
        assert response.status_code == 404
        assert "video.example.org" not in response.get_data(as_text=True)
    assert "Design session" not in other.get("/calendar").get_data(as_text=True)
    assert other.get(f"/meetings/{meeting.id}/roster").status_code == 403
    assert as_role("member").get(f"/meetings/{meeting.id}/roster").status_code == 403
    anonymous = client.get(f"/meetings/{meeting.id}")
    assert anonymous.status_code == 302 and "/sign-in" in anonymous.location


def test_join_link_stands_out_from_30_minutes_before(as_role, people, meeting, monkeypatch):
    import portal.meetings.views as views

    client = as_role("member")
    monkeypatch.setattr(views, "utcnow", lambda: meeting.starts_at - timedelta(minutes=31))
    assert "Join the meeting now" not in client.get(f"/meetings/{meeting.id}").get_data(
        as_text=True)
    monkeypatch.setattr(views, "utcnow", lambda: meeting.starts_at - timedelta(minutes=29))
    assert "Join the meeting now" in client.get(f"/meetings/{meeting.id}").get_data(as_text=True)


# Answers -------------------------------------------------------------------------

def test_member_answers_and_changes_the_answer(as_role, people, meeting):
    client = as_role("member")
    assert answer(client, meeting.id, "in_person").status_code == 302
    assert rsvp_of(meeting.id, people["member"].id).response == Response.IN_PERSON
    assert answer(client, meeting.id, "not_attending").status_code == 302
    assert rsvp_of(meeting.id, people["member"].id).response == Response.NOT_ATTENDING
    bad = answer(client, meeting.id, "maybe")
    assert "Choose one of the options." in bad.get_data(as_text=True)


def test_after_the_deadline_the_page_says_so_and_shows_whom_to_contact(as_role, people,
                                                                       program):
    meeting = make_meeting(program, people["facilitator"], starts_in=timedelta(hours=5),
                           deadline_before=timedelta(hours=6))
    client = as_role("member")
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "The deadline to answer has passed." in page
    assert people["facilitator"].name in page
    assert answer(client, meeting.id, "in_person").status_code == 302
    assert rsvp_of(meeting.id, people["member"].id) is None


def test_needs_are_prefilled_from_the_profile_and_kept_per_meeting(as_role, people, meeting):
    member = db.session.get(User, people["member"].id)
    member.interpretation_language, member.childcare_children = "ht", 2
    db.session.commit()
    client = as_role("member")
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert '<option selected value="ht">' in page or 'value="ht" selected' in page
    assert 'value="2"' in page
    assert "Only the program staff who plan meetings see these answers." in page
    answer(client, meeting.id, "virtual", interpretation_language="es", childcare_children="1",
           transport_help="y")
    rsvp = rsvp_of(meeting.id, member.id)
    assert (rsvp.interpretation_language, rsvp.childcare_children, rsvp.transport_help) == (
        "es", 1, True)
    assert db.session.get(User, member.id).interpretation_language == "ht"


def test_full_room_offers_online_or_waitlist_and_a_freed_seat_goes_to_the_first(
        app, program, people):
    meeting = make_meeting(program, people["facilitator"], capacity=1)
    first = make_person(program, Role.MEMBER, name="First")
    second = make_person(program, Role.MEMBER, name="Second", language="es")
    third = make_person(program, Role.MEMBER, name="Third")
    clients = {}
    for person in (first, second, third):
        clients[person.name] = app.test_client()
        sign_in(clients[person.name], person)
    assert answer(clients["First"], meeting.id, "in_person").status_code == 302
    full = answer(clients["Third"], meeting.id, "in_person")
    page = full.get_data(as_text=True)
    assert full.status_code == 200
    assert "Put me on the waitlist for a seat" in page and "I will join online" in page
    assert rsvp_of(meeting.id, third.id) is None
    answer(clients["Second"], meeting.id, "waitlisted")
    answer(clients["Third"], meeting.id, "waitlisted")
    assert rsvp_of(meeting.id, second.id).response == Response.WAITLISTED
    clear_outbox()  # the confirmations of the answers so far
    answer(clients["First"], meeting.id, "virtual")
    assert rsvp_of(meeting.id, second.id).response == Response.IN_PERSON
    assert rsvp_of(meeting.id, third.id).response == Response.WAITLISTED
    message = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.recipient_id == second.id)).one()
    assert message.language == "es" and "/meetings/" in message.body


def test_the_last_seat_is_never_given_twice_to_simultaneous_requests(app, data_app, program,
                                                                     people):
    meeting = make_meeting(program, people["facilitator"], capacity=1)
    people_ids = [make_person(program, Role.MEMBER, name=f"Racer {n}").id for n in range(8)]
    meeting_id = meeting.id
    barrier = threading.Barrier(len(people_ids))
    results = []

    def take_seat(user_id):
        with app.app_context():
            user = db.session.get(User, user_id)
            target = db.session.get(Meeting, meeting_id)
            barrier.wait()
            try:
                rsvp_for_meeting(user, target, Response.IN_PERSON, Needs(), utcnow())
                db.session.commit()
                results.append("seat")
            except SeatsFull:
                db.session.rollback()
                results.append("full")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=take_seat, args=(uid,)) for uid in people_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == ["full"] * 7 + ["seat"]
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Rsvp.id)).where(
        Rsvp.meeting_id == meeting_id, Rsvp.response == Response.IN_PERSON)) == 1


# Staff: roster, attendance, changes --------------------------------------------------

def test_roster_counts_answers_and_adds_up_needs(as_role, program, people, meeting):
    others = [make_person(program, Role.MEMBER, name=f"Member {n}") for n in range(4)]
    for person, response, needs in (
        (others[0], Response.IN_PERSON, Needs("es", 2, True, None)),
        (others[1], Response.VIRTUAL, Needs("es", 1, False, "Captions")),
        (others[2], Response.IN_PERSON, Needs("ht", 1, True, None)),
        (others[3], Response.NOT_ATTENDING, Needs("es", 3, True, None)),
    ):
        rsvp_for_meeting(person, meeting, response, needs, utcnow())
    db.session.commit()
    page = as_role("facilitator").get(f"/meetings/{meeting.id}/roster").get_data(as_text=True)
    everyone = " ".join(page.split('id="needs-everyone"')[1].split("</p>")[0].split())
    assert "Interpretation: <bdi>Spanish</bdi> 2, <bdi>Haitian Creole</bdi> 1" in everyone
    # Childcare, transport and access are arranged for those who come in person.
    in_person = " ".join(page.split('id="needs-in-person"')[1].split("</ul>")[0].split())
    assert "childcare for 3 children" in in_person
    assert "transport help: 2" in in_person and "access needs: 0" in in_person
    assert "In person: <strong>2</strong>" in page
    assert "No answer yet: <strong>2</strong>" in page  # the two members from `people`
    assert "Captions" in page


def test_roster_csv_streams_and_neutralises_formulas(as_role, program, people, meeting):
    sneaky = make_person(program, Role.MEMBER, name="=HYPERLINK(\"http://x\")")
    rsvp_for_meeting(sneaky, meeting, Response.VIRTUAL, Needs(access_needs="+1 chair"), utcnow())
    db.session.commit()
    response = as_role("facilitator").get(f"/meetings/{meeting.id}/roster.csv")
    assert response.mimetype == "text/csv" and response.is_streamed
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows[0][0] == "Name"
    sneaky_row = next(row for row in rows if "HYPERLINK" in row[0])
    assert sneaky_row[0].startswith("'=") and sneaky_row[7] == "'+1 chair"
    assert sneaky_row[3] == "Online"


def test_attendance_after_the_start_is_audited_and_shown_to_the_member(
        as_role, program, people, monkeypatch):
    meeting = make_meeting(program, people["facilitator"], starts_in=timedelta(days=1))
    staff = as_role("facilitator")
    member_id = people["member"].id
    staff.post(f"/meetings/{meeting.id}/attendance", data={f"attendance-{member_id}": "virtual"})
    assert db.session.scalars(select(Attendance)).all() == []
    import portal.meetings.views as views

    monkeypatch.setattr(views, "utcnow", lambda: meeting.starts_at + timedelta(minutes=5))
    staff.post(f"/meetings/{meeting.id}/attendance", data={f"attendance-{member_id}": "virtual"})
    mark = db.session.scalars(select(Attendance)).one()
    assert mark.status == "virtual" and mark.marked_by_id == people["facilitator"].id
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "attendance.marked")).one()
    assert event.details["person_id"] == member_id
    history = as_role("member").get("/attendance").get_data(as_text=True)
    assert "Design session" in history and "Joined online" in history
    assert staff.post(f"/meetings/{meeting.id}/attendance",
                      data={f"attendance-{member_id}": "teleported"}).status_code == 400


def test_staff_answer_for_a_member_is_audited(as_role, people, meeting):
    response = as_role("facilitator").post(f"/meetings/{meeting.id}/answers", data={
        "user_id": str(people["member"].id), "response": "in_person"})
    assert response.status_code == 302
    assert rsvp_of(meeting.id, people["member"].id).response == Response.IN_PERSON
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "rsvp.changed_by_staff")).one()
    assert event.actor_id == people["facilitator"].id
    assert event.details["person_id"] == people["member"].id


def test_changing_time_emails_every_member_in_their_language(as_role, people, program,
                                                             meeting):
    rsvp_for_meeting(db.session.get(User, people["member_es"].id), meeting, Response.VIRTUAL,
                     Needs(), utcnow())
    db.session.commit()
    clear_outbox()
    sequence = meeting.sequence
    local = meeting.starts_at.astimezone(__import__("zoneinfo").ZoneInfo(NEW_YORK))
    form = {**MEETING_FORM, "title": "Design session", "day": local.date().isoformat(),
            "starts": "19:00", "ends": "21:00"}
    assert as_role("facilitator").post(f"/meetings/{meeting.id}/edit",
                                       data=form).status_code == 302
    changed = db.session.get(Meeting, meeting.id)
    assert changed.sequence == sequence + 1
    # Mo has not answered yet and may come: the new time reaches Mo too.
    messages = {m.recipient_id: m for m in db.session.scalars(select(OutboxMessage))}
    assert set(messages) == {people["member"].id, people["member_es"].id}
    spanish = messages[people["member_es"].id]
    # Spanish as written in the United States
    assert spanish.language == "es" and "7:00\u202fp.m." in spanish.body


def test_cancelling_tells_every_member_and_marks_the_calendar(as_role, people, meeting):
    rsvp_for_meeting(db.session.get(User, people["member"].id), meeting, Response.IN_PERSON,
                     Needs(), utcnow())
    db.session.commit()
    clear_outbox()
    assert as_role("facilitator").post(f"/meetings/{meeting.id}/cancel", data={
        "reason": "The building is closed."}).status_code == 302
    cancelled = db.session.get(Meeting, meeting.id)
    assert cancelled.status == MeetingStatus.CANCELLED and cancelled.sequence == 1
    messages = db.session.scalars(select(OutboxMessage)).all()
    assert sorted(m.language for m in messages) == ["en", "es"]
    assert any("Meeting cancelled" in m.subject for m in messages)
    page = as_role("member").get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "This meeting is cancelled." in page and "Save my answer" not in page
    assert "The building is closed." in page


def test_meeting_title_in_the_reader_language(as_role, people, meeting):
    as_role("facilitator").post(f"/meetings/{meeting.id}/translations", data={
        "language": "es", "title": "Sesión de diseño", "description": ""})
    assert "Sesión de diseño" in as_role("member_es").get("/calendar").get_data(as_text=True)
    assert "Sesión de diseño" not in as_role("member").get("/calendar").get_data(as_text=True)


# Calendar feeds ----------------------------------------------------------------------

def feed_path(client) -> str:
    import re

    page = client.post("/profile/calendar-feed").get_data(as_text=True)
    return re.search(r"http://localhost(/calendar/feed/[^<\s]+\.ics)", page).group(1)


def test_feed_lists_the_program_meetings_with_stable_uids_and_sequence(
        as_role, client, people, program, meeting):
    member = as_role("member_es")
    answer(member, meeting.id, "virtual")
    path = feed_path(member)
    body = client.get(path)
    assert body.mimetype == "text/calendar"
    calendar = Calendar.from_ical(body.data)
    assert [c.name for c in calendar.walk("VTIMEZONE")] == ["VTIMEZONE"]
    assert str(calendar.walk("VTIMEZONE")[0]["TZID"]) == NEW_YORK
    event = calendar.walk("VEVENT")[0]
    assert str(event["UID"]) == meeting.ical_uid
    assert int(event["SEQUENCE"]) == 0
    start = event.decoded("DTSTART")
    assert str(start.tzinfo) == NEW_YORK and start == meeting.starts_at
    assert event["DTSTART"].params["TZID"] == NEW_YORK
    description = str(event["DESCRIPTION"])
    assert "https://video.example.org/room" in description
    assert "You said" not in description  # written in Spanish for this member
    as_role("facilitator").post(f"/meetings/{meeting.id}/cancel",
                                data={"reason": "The building is closed."})
    event = Calendar.from_ical(client.get(path).data).walk("VEVENT")[0]
    assert str(event["UID"]) == meeting.ical_uid
    assert int(event["SEQUENCE"]) == 1 and str(event["STATUS"]) == "CANCELLED"


def test_feed_address_can_be_replaced_and_is_secret(as_role, client, people, meeting):
    member = as_role("member")
    old = feed_path(member)
    new = feed_path(member)
    assert old != new
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    assert client.get("/calendar/feed/guess.ics").status_code == 404


def test_one_meeting_ics_download(as_role, people, meeting):
    response = as_role("member").get(f"/meetings/{meeting.id}/meeting.ics")
    assert "attachment" in response.headers["Content-Disposition"]
    events = Calendar.from_ical(response.data).walk("VEVENT")
    assert len(events) == 1 and str(events[0]["UID"]) == meeting.ical_uid


# Reminders ---------------------------------------------------------------------------

def test_reminders_go_once_to_those_who_have_not_declined_or_opted_out(app, data_app, program,
                                                                      people):
    soon = make_meeting(program, people["facilitator"], starts_in=timedelta(hours=20))
    make_meeting(program, people["facilitator"], starts_in=timedelta(days=3), title="Later")
    declined = make_person(program, Role.MEMBER, name="Declined")
    opted_out = make_person(program, Role.MEMBER, name="Opted Out")
    opted_out.notify_reminders = False
    rsvp_for_meeting(declined, soon, Response.NOT_ATTENDING, Needs(), utcnow())
    db.session.commit()
    clear_outbox()
    assert queue_reminders(utcnow(), timedelta(hours=24)) == 2  # member, member_es
    assert queue_reminders(utcnow(), timedelta(hours=24)) == 0
    messages = db.session.scalars(select(OutboxMessage)).all()
    assert sorted(m.language for m in messages) == ["en", "es"]
    assert all("Reminder" in m.subject or m.language == "es" for m in messages)
    result = app.test_cli_runner().invoke(args=["meetings", "remind"])
    assert "queued 0 reminders" in result.output
