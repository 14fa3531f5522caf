"""A member's home page answers first: when and where is the next meeting, am I coming?
It also shows the agenda in their language, what is new since their last visit and
what waits on them; its answer buttons are plain forms that work without scripts."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from portal.db import db, utcnow
from portal.documents.models import DocumentKind
from portal.documents.services import VersionContent, create_document, publish_document
from portal.meetings.models import MeetingFormat, Response, Rsvp
from portal.meetings.services import Needs, cancel_meeting, rsvp_for_meeting
from portal.programs.models import Enrollment, TaxFormStatus
from portal.stipends.models import PaymentMethod
from portal.stipends.services import PaymentDetails, new_submission_key, record_payment
from tests.conftest import sign_in
from tests.test_meetings import make_meeting

ANSWER_FORM = re.compile(
    r'<form method="post" action="/meetings/(\d+)">.*?name="response" value="(\w+)"', re.S)


def home_of(client) -> str:
    response = client.get("/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def answer_buttons(page: str) -> list[tuple[int, str]]:
    return [(int(meeting), value) for meeting, value in ANSWER_FORM.findall(page)]


def test_home_shows_the_next_meeting_and_one_tap_answers(as_role, people, program):
    later = make_meeting(program, people["facilitator"], starts_in=timedelta(days=14),
                         title="Later session")
    soon = make_meeting(program, people["facilitator"], starts_in=timedelta(days=3),
                        title="Listening session", capacity=10)
    page = home_of(as_role("member"))
    assert "Listening session" in page and "Later session" not in page
    assert "City Hall" in page and "801" in page
    assert "No answer yet" in page
    assert answer_buttons(page) == [(soon.id, "in_person"), (soon.id, "virtual"),
                                    (soon.id, "not_attending")]
    # The join link waits for its time, as on the meeting page.
    assert "video.example.org" not in page
    assert later.id not in {meeting for meeting, _ in answer_buttons(page)}


def test_the_join_link_shows_from_half_an_hour_before(as_role, people, program):
    make_meeting(program, people["facilitator"], starts_in=timedelta(minutes=20))
    page = home_of(as_role("member"))
    assert 'href="https://video.example.org/room"' in page
    assert "Join the meeting now" in page


def test_one_tap_answer_keeps_the_needs_and_comes_back_home(as_role, people, program):
    meeting = make_meeting(program, people["facilitator"])
    member = people["member"]
    rsvp_for_meeting(member, meeting, Response.IN_PERSON, Needs("es", 2, True, "Ramp"), utcnow())
    db.session.commit()
    client = as_role("member")
    response = client.post(f"/meetings/{meeting.id}",
                           data={"response": "virtual", "one_tap": "1", "next": "/"})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    db.session.expire_all()
    rsvp = db.session.scalars(select(Rsvp).where(Rsvp.user_id == member.id)).one()
    assert rsvp.response == Response.VIRTUAL
    assert (rsvp.interpretation_language, rsvp.childcare_children, rsvp.transport_help,
            rsvp.access_needs) == ("es", 2, True, "Ramp")
    page = home_of(client)
    assert "Thank you. Your answer is saved." in page
    assert 'value="virtual" class="button" aria-pressed="true"' in page


def test_one_tap_never_sends_elsewhere(as_role, people, program):
    meeting = make_meeting(program, people["facilitator"])
    response = as_role("member").post(
        f"/meetings/{meeting.id}",
        data={"response": "virtual", "one_tap": "1", "next": "https://evil.example/"})
    assert response.headers["Location"] == f"/meetings/{meeting.id}"


def test_a_full_meeting_offers_the_waitlist_not_a_seat(as_role, people, program):
    meeting = make_meeting(program, people["facilitator"], capacity=1)
    rsvp_for_meeting(people["member_es"], meeting, Response.IN_PERSON,
                     Needs.from_profile(people["member_es"]), utcnow())
    db.session.commit()
    client = as_role("member")
    assert answer_buttons(home_of(client)) == [
        (meeting.id, "virtual"), (meeting.id, "waitlisted"), (meeting.id, "not_attending")]
    # The seat rule holds for a one-tap answer too.
    client.post(f"/meetings/{meeting.id}",
                data={"response": "waitlisted", "one_tap": "1", "next": "/"})
    db.session.expire_all()
    mine = db.session.scalars(select(Rsvp).where(Rsvp.user_id == people["member"].id)).one()
    assert mine.response == Response.WAITLISTED


def test_no_buttons_once_answers_close(as_role, people, program):
    make_meeting(program, people["facilitator"], starts_in=timedelta(days=2),
                 deadline_before=timedelta(days=3))
    page = home_of(as_role("member"))
    assert answer_buttons(page) == []
    assert "Design session" in page


def test_agenda_in_the_readers_language_or_the_original_with_a_notice(as_role, people,
                                                                     program):
    meeting = make_meeting(program, people["facilitator"])
    agenda = create_document(people["facilitator"], program, kind=DocumentKind.AGENDA,
                             meeting=meeting, language="en",
                             content=VersionContent("Plan for the session", "Talk"),
                             now=utcnow())
    publish_document(people["facilitator"], agenda, utcnow())
    db.session.commit()
    page = home_of(as_role("member_es"))
    assert f'href="/materials/{agenda.id}"' in page and "Plan for the session" in page
    assert "Esto todavía no está en" in page
    assert "Esto todavía no está en" not in home_of(as_role("member"))


def test_what_waits_on_the_member(as_role, people, program):
    make_meeting(program, people["facilitator"], starts_in=timedelta(days=3))
    make_meeting(program, people["facilitator"], starts_in=timedelta(days=10))
    enrollment = db.session.scalars(
        select(Enrollment).where(Enrollment.user_id == people["member"].id)).one()
    enrollment.tax_form_status = TaxFormStatus.REQUESTED
    db.session.commit()
    page = home_of(as_role("member"))
    assert "2 meetings need your answer" in page
    assert "tax form (W-9)" in page


def test_what_is_new_since_the_last_visit(app, people, program):
    member, staff = people["member"], people["facilitator"]
    meeting = make_meeting(program, staff, starts_in=timedelta(days=5))
    first = app.test_client()
    sign_in(first, member)
    assert "New since your last visit" not in home_of(first)  # a first visit
    # Meanwhile: a reading is published, a meeting is cancelled, a payment recorded.
    reading = create_document(staff, program, kind=DocumentKind.READING, meeting=None,
                              language="en", content=VersionContent("History", "Text"),
                              now=utcnow())
    publish_document(staff, reading, utcnow())
    cancel_meeting(staff, db.session.merge(meeting), "The room flooded.")
    enrollment = db.session.scalars(
        select(Enrollment).where(Enrollment.user_id == member.id)).one()
    record_payment(people["finance"], enrollment,
                   PaymentDetails(10_000, utcnow().date(), PaymentMethod.CHECK, "Check 1", None),
                   submission_key=new_submission_key(), today=utcnow().date())
    db.session.commit()
    again = app.test_client()
    sign_in(again, member)
    page = home_of(again)
    assert "New since your last visit" in page
    assert "1 new item in Materials" in page
    assert "1 meeting added or changed" in page
    assert "1 payment recorded or changed" in page


def test_nothing_new_is_said_plainly(app, people, program):
    for _ in range(2):
        client = app.test_client()
        sign_in(client, people["member"])
    assert "Nothing new since your last visit." in home_of(client)


def test_staff_without_enrollment_see_no_answer_buttons(as_role, people, program):
    make_meeting(program, people["facilitator"])
    assert answer_buttons(home_of(as_role("facilitator"))) == []


def test_an_online_meeting_offers_no_seat(as_role, people, program):
    meeting = make_meeting(program, people["facilitator"], format=MeetingFormat.VIRTUAL)
    assert answer_buttons(home_of(as_role("member"))) == [
        (meeting.id, "virtual"), (meeting.id, "not_attending")]


def test_the_title_is_in_the_members_language(as_role, people, program):
    make_meeting(program, people["facilitator"], title="Sesión de diseño", language="es")
    assert "Sesión de diseño" in home_of(as_role("member_es"))


def test_the_next_meetings_place_is_in_the_members_language(as_role, people, program):
    """The home page shows the place as staff translated it, like the meeting page."""
    from portal.meetings.models import MeetingText

    meeting = make_meeting(program, people["facilitator"], starts_in=timedelta(days=3))
    db.session.add(MeetingText(meeting_id=meeting.id, language="es", title="Sesión",
                               venue="Ayuntamiento de Boston", room="Sala 801"))
    db.session.commit()
    page = home_of(as_role("member_es"))
    assert "Ayuntamiento de Boston" in page and "Sala 801" in page
    assert "Ayuntamiento" not in home_of(as_role("member"))
