"""Staff tools that do what they say: editing a meeting tells people only when the time
or place changed; the form refuses days and times that cannot be; a form sent twice
adds one thing; cancelling asks why and tells every member; the needs staff arrange;
the translation pages; attendance over the season; the staff home page."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.auth.models import Role
from portal.db import db, utcnow
from portal.documents.models import Document, DocumentKind, TranslationRequest
from portal.meetings.models import (
    AttendanceStatus,
    Meeting,
    MeetingFormat,
    MeetingStatus,
    Response,
)
from portal.meetings.services import (
    MeetingDetails,
    Needs,
    create_meeting,
    mark_attendance,
    roster_summary,
    rsvp_for_meeting,
)
from portal.outbox.models import OutboxMessage
from tests.conftest import make_person, queries_for, sign_in
from tests.test_documents import add_version, make_document

NEW_YORK = ZoneInfo("America/New_York")


def local_today() -> date:
    return utcnow().astimezone(NEW_YORK).date()


@pytest.fixture
def season(program):
    """The program's season runs from a month ago to half a year ahead."""
    program.season_start = local_today() - timedelta(days=30)
    program.season_end = local_today() + timedelta(days=180)
    db.session.commit()
    return program


def meeting_form(day: date, **changes) -> dict:
    return {"language": "en", "title": "Kickoff", "description": "We plan together.",
            "day": day.isoformat(), "starts": "18:00", "ends": "20:00", "format": "hybrid",
            "venue": "City Hall", "room": "801", "join_link": "https://video.example.org/k",
            "capacity": "10", "deadline_days": "1", "accessibility_notes": "Elevator.",
            **changes}


def outbox(template_words: str | None = None) -> list[OutboxMessage]:
    db.session.expire_all()
    messages = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    return [m for m in messages if template_words is None or template_words in m.body]


def clear_outbox() -> None:
    db.session.execute(OutboxMessage.__table__.delete())
    db.session.commit()


def the_meeting() -> Meeting:
    db.session.expire_all()
    return db.session.scalars(select(Meeting)).one()


# 1. Saving a meeting -----------------------------------------------------------

@pytest.fixture
def answered(as_role, people, season):
    """A meeting next week, answered by two of the three members; the third has not."""
    quiet = make_person(season, Role.MEMBER, name="Quinn Quiet")
    day = local_today() + timedelta(days=7)
    client = as_role("facilitator")
    assert client.post("/meetings/new", data=meeting_form(day)).status_code == 302
    meeting = the_meeting()
    rsvp_for_meeting(people["member"], meeting, Response.IN_PERSON, Needs(), utcnow())
    rsvp_for_meeting(people["member_es"], meeting, Response.VIRTUAL, Needs(), utcnow())
    db.session.commit()
    clear_outbox()
    return client, day, meeting, quiet


def meeting_on(program, actor, *, days: float, title: str, description: str | None = None,
               **details) -> Meeting:
    """A meeting `days` from now (negative: already held), online unless told otherwise."""
    starts = utcnow().replace(microsecond=0) + timedelta(days=days)
    details = {"format": MeetingFormat.VIRTUAL, "join_link": "https://video.example.org/r",
               **details}
    meeting = create_meeting(actor, program, MeetingDetails(
        starts_at=starts, ends_at=starts + timedelta(hours=2), **details),
        language="en", title=title, description=description)
    db.session.commit()
    return meeting


def updates() -> int:
    return db.session.scalar(select(func.count(AuditEvent.id))
                             .where(AuditEvent.action == "meeting.updated"))


def test_saving_an_unchanged_meeting_emails_no_one_and_keeps_the_sequence(answered):
    client, day, meeting, _quiet = answered
    sequence = meeting.sequence
    response = client.post(f"/meetings/{meeting.id}/edit", data=meeting_form(day))
    assert response.status_code == 302
    assert outbox() == []
    assert the_meeting().sequence == sequence
    assert updates() == 0


def test_the_edit_form_as_shown_saves_without_a_change(answered):
    client, _day, meeting, _quiet = answered
    sequence = meeting.sequence
    page = client.get(f"/meetings/{meeting.id}/edit").get_data(as_text=True)
    shown = dict(re.findall(r'name="(\w+)"[^>]*value="([^"]*)"', page))
    form = meeting_form(date.fromisoformat(shown["day"]), starts=shown["starts"],
                        ends=shown["ends"], deadline_days=shown["deadline_days"])
    assert client.post(f"/meetings/{meeting.id}/edit", data=form).status_code == 302
    assert outbox() == [] and the_meeting().sequence == sequence


def test_the_edit_form_keeps_a_deadline_across_the_night_the_clocks_change(as_role, season):
    client = as_role("facilitator")
    # Answers close on Saturday 13 March 2027, 18:00 EST; the meeting is on Sunday, 18:00 EDT.
    day = date(2027, 3, 14)
    assert client.post("/meetings/new", data=meeting_form(day)).status_code == 302
    meeting = the_meeting()
    deadline = meeting.rsvp_deadline
    page = client.get(f"/meetings/{meeting.id}/edit").get_data(as_text=True)
    shown = dict(re.findall(r'name="(\w+)"[^>]*value="([^"]*)"', page))
    assert shown["deadline_days"] == "1"
    client.post(f"/meetings/{meeting.id}/edit",
                data=meeting_form(day, deadline_days=shown["deadline_days"]))
    assert the_meeting().rsvp_deadline == deadline and updates() == 0


def test_changing_only_the_seats_emails_no_one_and_calendars_see_nothing_new(answered):
    client, day, meeting, _quiet = answered
    sequence = meeting.sequence
    client.post(f"/meetings/{meeting.id}/edit", data=meeting_form(day, capacity="12"))
    assert the_meeting().capacity == 12
    assert outbox() == []
    assert the_meeting().sequence == sequence
    assert updates() == 1


@pytest.mark.parametrize("change", [{"room": "803"}, {"starts": "17:30"}],
                         ids=["room only", "time only"])
def test_a_new_room_or_time_reaches_every_active_member_and_bumps_the_sequence(
        answered, people, change):
    client, day, meeting, quiet = answered
    sequence = meeting.sequence
    client.post(f"/meetings/{meeting.id}/edit", data=meeting_form(day, **change))
    told = {m.recipient_id for m in outbox()}
    # Quinn never answered, and is told all the same.
    assert told == {people["member"].id, people["member_es"].id, quiet.id}
    assert the_meeting().sequence == sequence + 1
    spanish = next(m for m in outbox() if m.recipient_id == people["member_es"].id)
    assert spanish.language == "es" and "Hola" in spanish.body


def test_a_cancelled_meeting_changed_afterwards_emails_no_one_again(answered):
    client, day, meeting, _quiet = answered
    client.post(f"/meetings/{meeting.id}/cancel", data={"reason": "No room."})
    clear_outbox()
    client.post(f"/meetings/{meeting.id}/edit", data=meeting_form(day, room="803"))
    assert the_meeting().room == "803" and outbox() == []


def test_saving_a_translation_again_unchanged_keeps_the_sequence(answered):
    client, _day, meeting, _quiet = answered
    sequence = meeting.sequence
    form = {"language": "es", "title": "Inicio", "description": ""}
    client.post(f"/meetings/{meeting.id}/translations", data=form)
    after_first = the_meeting().sequence
    client.post(f"/meetings/{meeting.id}/translations", data=form)
    assert the_meeting().sequence == after_first == sequence + 1


# 2. Days and times that cannot be ------------------------------------------------

def post_new(client, **changes):
    return client.post("/meetings/new",
                       data={**meeting_form(local_today() + timedelta(days=7)), **changes})


def nothing_stored() -> bool:
    return db.session.scalar(select(func.count(Meeting.id))) == 0


def test_a_day_in_the_past_is_refused(as_role, season):
    page = post_new(as_role("facilitator"), day="2020-03-04").get_data(as_text=True)
    assert "This day and time have already passed." in page
    assert 'value="Kickoff"' in page and nothing_stored()


def test_a_day_after_the_season_is_refused(as_role, season):
    after = season.season_end + timedelta(days=60)
    page = post_new(as_role("facilitator"), day=after.isoformat()).get_data(as_text=True)
    assert "Choose a day within the program" in page
    assert nothing_stored()


def test_a_time_the_clocks_skip_is_refused(as_role, program):
    program.season_start, program.season_end = local_today(), date(2027, 5, 31)
    db.session.commit()
    page = post_new(as_role("facilitator"), day="2027-03-14", starts="02:30",
                    ends="03:30").get_data(as_text=True)
    assert "this time does not exist on that day" in page
    assert nothing_stored()


def test_a_time_that_happens_twice_asks_which_one(as_role, program):
    program.season_start, program.season_end = local_today(), date(2027, 12, 31)
    db.session.commit()
    client = as_role("facilitator")
    form = {"day": "2027-11-07", "starts": "01:30", "ends": "03:00"}
    page = post_new(client, **form).get_data(as_text=True)
    assert "so this time happens twice" in page
    assert 'name="repeated_hour"' in page and nothing_stored()
    assert post_new(client, **form, repeated_hour="second").status_code == 302
    # The second 1:30 is after the clocks went back: Eastern Standard Time, UTC-5.
    assert the_meeting().starts_at == datetime(2027, 11, 7, 6, 30, tzinfo=UTC)


def test_editing_a_meeting_at_a_repeated_time_keeps_which_one(as_role, program):
    program.season_start, program.season_end = local_today(), date(2027, 12, 31)
    db.session.commit()
    client = as_role("facilitator")
    form = {"day": "2027-11-07", "starts": "01:30", "ends": "03:00", "repeated_hour": "second",
            "deadline_days": ""}
    assert post_new(client, **form).status_code == 302
    meeting = the_meeting()
    page = client.get(f"/meetings/{meeting.id}/edit").get_data(as_text=True)
    assert re.search(r'value="second"[^>]*checked|checked[^>]*value="second"', page)
    assert client.post(f"/meetings/{meeting.id}/edit",
                       data={**meeting_form(date(2027, 11, 7)), **form}).status_code == 302
    assert the_meeting().starts_at == datetime(2027, 11, 7, 6, 30, tzinfo=UTC)
    assert updates() == 0


def test_refusals_are_in_the_readers_language(app, program, season):
    spanish = make_person(season, Role.FACILITATOR, name="Flor", language="es")
    client = app.test_client()
    sign_in(client, spanish)
    page = post_new(client, day="2020-03-04").get_data(as_text=True)
    assert "This day and time have already passed." not in page
    assert "Elija" in page or "elija" in page


def test_a_title_longer_than_the_column_is_refused_and_the_limit_is_shown(as_role, season):
    client = as_role("facilitator")
    form_page = client.get("/meetings/new").get_data(as_text=True)
    assert 'maxlength="200"' in form_page and "Up to 200 characters." in form_page
    page = post_new(client, title="x" * 201).get_data(as_text=True)
    assert "Use 200 characters or fewer." in page and nothing_stored()


def series_form(first: date, last: date, **changes) -> dict:
    return {**meeting_form(first), "day": "", "first_day": first.isoformat(),
            "last_day": last.isoformat(), "every_weeks": "1", "skip": "", **changes}


def test_a_series_keeps_to_the_season_and_the_future(as_role, season):
    client = as_role("facilitator")
    today = local_today()
    past = client.post("/meetings/series/new", data=series_form(
        today - timedelta(days=14), today + timedelta(days=14))).get_data(as_text=True)
    assert "This day and time have already passed." in past
    too_long = client.post("/meetings/series/new", data=series_form(
        today + timedelta(days=1), season.season_end + timedelta(days=30))).get_data(
        as_text=True)
    assert "Choose a day within the program" in too_long
    assert nothing_stored()


def test_a_series_over_a_day_the_clocks_skip_is_refused(as_role, program):
    program.season_start, program.season_end = local_today(), date(2027, 5, 31)
    db.session.commit()
    page = as_role("facilitator").post("/meetings/series/new", data=series_form(
        date(2027, 3, 7), date(2027, 3, 21), starts="02:30", ends="04:00")).get_data(
        as_text=True)
    assert "this time does not exist on that day" in page and nothing_stored()


# 3. A form sent twice ----------------------------------------------------------------

def test_the_same_meeting_form_sent_twice_adds_one_meeting(as_role, season):
    client = as_role("facilitator")
    page = client.get("/meetings/new").get_data(as_text=True)
    key = re.search(r'name="submission_key" type="hidden" value="([^"]+)"', page).group(1)
    first = post_new(client, submission_key=key)
    second = post_new(client, submission_key=key)
    assert first.status_code == second.status_code == 302
    assert first.location == second.location
    assert db.session.scalar(select(func.count(Meeting.id))) == 1
    assert "already added" in client.get(second.location).get_data(as_text=True)


def test_the_same_series_form_sent_twice_adds_one_series(as_role, season):
    client = as_role("facilitator")
    today = local_today()
    form = series_form(today + timedelta(days=1), today + timedelta(days=22),
                       submission_key="k" * 32)
    assert client.post("/meetings/series/new", data=form).status_code == 302
    assert client.post("/meetings/series/new", data=form).status_code == 302
    assert db.session.scalar(select(func.count(Meeting.id))) == 4


def test_the_same_document_form_sent_twice_adds_one_document(as_role, people, program):
    client = as_role("facilitator")
    page = client.get("/materials/new").get_data(as_text=True)
    key = re.search(r'name="submission_key" type="hidden" value="([^"]+)"', page).group(1)
    form = {"kind": "reading", "meeting": "", "language": "en", "title": "Reading",
            "body": "Text.", "submission_key": key}
    first = client.post("/materials/new", data=form)
    second = client.post("/materials/new", data=form)
    assert first.status_code == second.status_code == 302
    assert first.location == second.location
    assert db.session.scalar(select(func.count(Document.id))) == 1


# 4. Cancelling -------------------------------------------------------------------------

def test_cancelling_asks_why_then_tells_every_member_with_the_reason(answered, as_role,
                                                                   people):
    client, _day, meeting, quiet = answered
    confirm = client.get(f"/meetings/{meeting.id}/cancel").get_data(as_text=True)
    assert "Why is the meeting cancelled?" in confirm
    assert "3 members of the program will be told in their language, by email or text" in confirm
    refused = client.post(f"/meetings/{meeting.id}/cancel", data={"reason": " "})
    assert "Say why the meeting is cancelled." in refused.get_data(as_text=True)
    assert the_meeting().status == MeetingStatus.SCHEDULED and outbox() == []
    reason = "The room flooded; we meet next week instead."
    assert client.post(f"/meetings/{meeting.id}/cancel",
                       data={"reason": reason}).status_code == 302
    assert the_meeting().status == MeetingStatus.CANCELLED
    messages = outbox()
    assert {m.recipient_id for m in messages} == {
        people["member"].id, people["member_es"].id, quiet.id}
    assert all(reason in m.body for m in messages)
    spanish = next(m for m in messages if m.recipient_id == people["member_es"].id)
    assert "Hola" in spanish.body
    member_page = as_role("member").get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "The room flooded; we meet next week instead." in member_page


# 6. Needs to arrange -------------------------------------------------------------------

def test_needs_count_what_staff_must_arrange(as_role, people, program):
    meeting = meeting_on(program, people["facilitator"], days=7, title="Small room",
                         format=MeetingFormat.HYBRID, venue="City Hall", capacity=2)
    answers = [
        (Response.IN_PERSON, Needs("es", 2, True, "Step-free entrance")),
        (Response.IN_PERSON, Needs(None, 1, False, None)),
        (Response.VIRTUAL, Needs("zh_Hant", 3, True, "Captions")),
        (Response.WAITLISTED, Needs("es", 4, True, "Quiet room")),
        (Response.NOT_ATTENDING, Needs("vi", 2, True, None)),
    ]
    for index, (response, needs) in enumerate(answers):
        person = make_person(program, Role.MEMBER, name=f"Member {index}")
        rsvp_for_meeting(person, meeting, response, needs, utcnow())
    db.session.commit()
    summary = roster_summary(meeting)
    assert summary.counts["waitlisted"] == 1
    assert summary.children == 3 and summary.transport == 1 and summary.access == 1
    assert dict(summary.interpretation) == {"es": 1, "zh_Hant": 1}
    page = as_role("facilitator").get(f"/meetings/{meeting.id}/roster").get_data(as_text=True)
    assert "childcare for 3 children" in page
    assert "For those coming in person" in page
    assert "For everyone coming, in person or online" in page


# 5. Translating ------------------------------------------------------------------------

def test_translation_forms_show_the_original(as_role, people, program):
    facilitator = people["facilitator"]
    meeting = meeting_on(program, facilitator, days=7, title="Listening session",
                         description="Bring one story about a crisis call.")
    client = as_role("facilitator")
    page = client.get(f"/meetings/{meeting.id}/translations?language=es").get_data(as_text=True)
    assert "Bring one story about a crisis call." in page
    document = make_document(program, facilitator, body="Read the **history** of 911.")
    page = client.get(f"/materials/{document.id}/versions?language=es").get_data(as_text=True)
    assert "<strong>history</strong> of 911." in page


def test_the_queue_lists_translations_out_of_date_and_each_meetings_date(as_role, people,
                                                                         program):
    facilitator = people["facilitator"]
    starts = datetime(2027, 1, 13, 23, 0, tzinfo=UTC)
    meeting = create_meeting(facilitator, program, MeetingDetails(
        starts_at=starts, ends_at=starts + timedelta(hours=2), format=MeetingFormat.VIRTUAL,
        join_link="https://video.example.org/r"), language="en", title="January session",
        description=None)
    db.session.commit()
    earlier = utcnow() - timedelta(days=3)
    agenda = make_document(program, facilitator, kind=DocumentKind.AGENDA, meeting=meeting,
                           title="January agenda", now=earlier)
    add_version(agenda, facilitator, "es", "Agenda de enero", now=earlier)
    client = as_role("facilitator")
    client.post(f"/materials/{agenda.id}/edit", data={
        "kind": "agenda", "meeting": str(meeting.id), "language": "en",
        "title": "January agenda", "body": "A changed agenda."})
    db.session.add(TranslationRequest(document_id=agenda.id, language="vi",
                                      requester_id=people["member"].id))
    db.session.commit()
    page = client.get("/materials/translation-requests").get_data(as_text=True)
    outdated = page.split('id="outdated-heading"')[1]
    assert "Agenda de enero" in outdated
    assert page.count("For the meeting on Wednesday, January 13, 2027") == 2


# 7. Attendance over the season ---------------------------------------------------------

def held(program, actor, days_ago, title):
    return meeting_on(program, actor, days=-days_ago, title=title)


def test_season_attendance_shows_each_member_each_meeting_and_a_rate(app, as_role, people,
                                                                    season):
    facilitator = people["facilitator"]
    first, second, third = (held(season, facilitator, days, f"Session {days}")
                            for days in (20, 13, 6))
    now = utcnow()
    member, member_es = people["member"], people["member_es"]
    for meeting, status in ((first, AttendanceStatus.IN_PERSON),
                            (second, AttendanceStatus.EXCUSED),
                            (third, AttendanceStatus.ABSENT)):
        mark_attendance(facilitator, meeting, member, status, now)
    for meeting in (first, second, third):
        mark_attendance(facilitator, meeting, member_es, AttendanceStatus.VIRTUAL, now)
    db.session.commit()
    client = as_role("facilitator")
    page = client.get("/meetings/attendance").get_data(as_text=True)
    mo_row = page.split("Mo Member")[1].split("</tr>")[0]
    assert "50%" in mo_row and "Came in person" in mo_row and "Excused" in mo_row
    rosa_row = page.split("Rosa Miembro")[1].split("</tr>")[0]
    assert "100%" in rosa_row and rosa_row.count("Joined online") == 3
    download = client.get("/meetings/attendance.csv")
    assert download.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True))))
    assert len(rows[0]) == 1 + 3 + 3
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name["Mo Member"][1:4] == ["Came in person", "Excused", "Absent"]
    assert by_name["Mo Member"][4:] == ["1", "2", "50%"]
    assert as_role("member").get("/meetings/attendance").status_code == 403


def test_season_attendance_runs_the_same_statements_for_more_members(app, as_role, people,
                                                                     season):
    facilitator = people["facilitator"]
    meetings = [held(season, facilitator, days, f"S{days}") for days in (9, 2)]
    client = as_role("facilitator")
    small = queries_for(app, client, "/meetings/attendance")
    for index in range(12):
        person = make_person(season, Role.MEMBER, name=f"Extra {index}")
        for meeting in meetings:
            mark_attendance(facilitator, meeting, person, AttendanceStatus.ABSENT, utcnow())
    meetings.append(held(season, facilitator, 1, "S1"))
    db.session.commit()
    assert queries_for(app, client, "/meetings/attendance") == small


# 8. The staff home page ----------------------------------------------------------------

def test_facilitators_land_on_the_staff_home_and_are_not_asked_to_answer(as_role, people,
                                                                        answered):
    _client, _day, meeting, _quiet = answered
    page = as_role("facilitator").get("/").get_data(as_text=True)
    assert "What needs you today" in page
    assert "Tell us if you can come" not in page
    assert "Next meeting" in page and "Quinn Quiet" in page
    assert "1 member has not answered for the next meeting" in page
    assert "Needs to arrange" in page
    meeting_page = as_role("facilitator").get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert 'id="answer-heading"' not in meeting_page
    calendar = as_role("facilitator").get("/calendar").get_data(as_text=True)
    assert "Tell us if you can come" not in calendar and "Your answer" not in calendar
    member_home = as_role("member").get("/").get_data(as_text=True)
    assert "What needs you today" not in member_home


def test_finance_home_shows_payments_due_and_missing_tax_forms(as_role, people, program):
    program.installments[0].due_on = local_today() - timedelta(days=1)
    db.session.commit()
    page = as_role("finance").get("/").get_data(as_text=True)
    assert "2 members are owed a payment now" in page
    assert "2 tax forms (W-9) not received" in page
    assert "Next meeting" not in page


def test_staff_who_are_also_members_see_their_own_stipend_and_are_asked(app, program, season):
    both = make_person(season, Role.FACILITATOR, Role.MEMBER, name="Fay Both")
    meeting = meeting_on(season, both, days=3, title="Design session")
    client = app.test_client()
    sign_in(client, both)
    home = client.get("/").get_data(as_text=True)
    assert "What needs you today" in home and "1,200.00" in home
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert 'id="answer-heading"' in page
