"""Many people at once, through the pages: the last seats of a meeting, payments to one
member from several finance officers, translation requests, and one member answering
from two browser tabs. Each request runs in its own thread with its own signed-in test
client; a barrier lets them go together."""

from __future__ import annotations

import re
import threading
import time
from datetime import date

import pytest
from sqlalchemy import create_engine, func, select, text, update

from portal.auth.models import Role, User
from portal.db import db, utcnow
from portal.documents.models import TranslationRequest
from portal.meetings.models import Meeting, Response, Rsvp
from portal.meetings.services import Needs, rsvp_for_meeting
from portal.programs.models import Enrollment
from portal.stipends.models import Payment, PaymentMethod
from portal.stipends.services import PaymentDetails, new_submission_key, record_payment
from tests.conftest import make_person, sign_in
from tests.test_documents import add_version, make_document
from tests.test_meetings import make_meeting

SEAT_TAKEN = "The last in-person seat was just taken."


def is_postgres(app) -> bool:
    with app.app_context():
        return db.engine.dialect.name == "postgresql"


def together(calls: list) -> list:
    """Run each call in its own thread, released at the same moment; return their results
    in the order given (an exception is returned in place of its result)."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        barrier.wait()
        try:
            results[index] = call()
        except Exception as error:  # noqa: BLE001 - handed back to the test
            results[index] = error

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a request never finished"
    return results


def signed_in_clients(app, users: list[User]) -> list:
    clients = []
    for user in users:
        client = app.test_client()
        sign_in(client, user)
        clients.append(client)
    return clients


def no_server_errors(responses) -> None:
    for response in responses:
        assert not isinstance(response, Exception), repr(response)
        assert response.status_code < 500, response.get_data(as_text=True)[:500]


# Seats ----------------------------------------------------------------------------------

def in_person_count(meeting_id: int) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Rsvp.id)).where(
        Rsvp.meeting_id == meeting_id, Rsvp.response == Response.IN_PERSON))


def test_twenty_members_answering_for_the_last_three_seats(app, program, people):
    meeting = make_meeting(program, people["facilitator"], capacity=5)
    meeting_id = meeting.id
    for name in ("Early One", "Early Two"):
        early = make_person(program, Role.MEMBER, name=name)
        rsvp_for_meeting(early, meeting, Response.IN_PERSON, Needs(), utcnow())
    db.session.commit()
    members = [make_person(program, Role.MEMBER, name=f"Member {n:02}") for n in range(20)]
    clients = signed_in_clients(app, members)

    responses = together([
        lambda c=c: c.post(f"/meetings/{meeting_id}", data={"response": "in_person"})
        for c in clients])

    no_server_errors(responses)
    seated = [m for m, r in zip(members, responses, strict=True) if r.status_code == 302]
    refused = [(m, c) for m, c, r in zip(members, clients, responses, strict=True)
               if r.status_code != 302]
    assert len(seated) == 3
    assert in_person_count(meeting_id) == 5
    for response in responses:
        if response.status_code != 302:
            page = response.get_data(as_text=True)
            assert SEAT_TAKEN in page
            assert 'value="waitlisted"' in page and 'value="virtual"' in page
            assert 'value="in_person"' not in page

    # The seventeen who were turned away all take the waitlist at once.
    responses = together([
        lambda c=c: c.post(f"/meetings/{meeting_id}", data={"response": "waitlisted"})
        for _, c in refused])
    no_server_errors(responses)
    assert all(r.status_code == 302 for r in responses)
    db.session.expire_all()
    queue = db.session.scalars(select(Rsvp).where(
        Rsvp.meeting_id == meeting_id, Rsvp.response == Response.WAITLISTED)
        .order_by(Rsvp.waitlisted_at, Rsvp.id)).all()
    assert sorted(r.user_id for r in queue) == sorted(m.id for m, _ in refused)
    assert in_person_count(meeting_id) == 5

    # Two seats are given up at once: they go to the first two in the queue, and the
    # room is full again, not over.
    leaving = [c for m, c in zip(members, clients, strict=True) if m in seated][:2]
    responses = together([
        lambda c=c: c.post(f"/meetings/{meeting_id}", data={"response": "not_attending"})
        for c in leaving])
    no_server_errors(responses)
    assert in_person_count(meeting_id) == 5
    promoted = {r.user_id for r in db.session.scalars(select(Rsvp).where(
        Rsvp.meeting_id == meeting_id, Rsvp.response == Response.IN_PERSON))}
    assert {queue[0].user_id, queue[1].user_id} <= promoted
    assert not {r.user_id for r in queue[2:]} & promoted


# Payments -------------------------------------------------------------------------------

def enrollment_id_of(user: User) -> int:
    return db.session.scalars(select(Enrollment.id).where(Enrollment.user_id == user.id)).one()


def reviewed_payment(client, enrollment_id: int, reference: str, today: date) -> dict:
    """Fill in the payment form and pass the review step, as a finance officer does."""
    page = client.get(f"/finance/members/{enrollment_id}/payments/new").get_data(as_text=True)
    key = re.search(r'name="submission_key" type="hidden" value="([^"]+)"', page)[1]
    data = {"submission_key": key, "amount": "300", "paid_on": today.isoformat(),
            "method": "check", "reference": reference, "note": ""}
    review = client.post(f"/finance/members/{enrollment_id}/payments/new",
                         data={**data, "step": "review"})
    assert "Check the payment before it is recorded" in review.get_data(as_text=True)
    return {**data, "step": "record"}


def test_finance_officers_confirming_payments_at_once_never_pass_the_stipend(
        app, program, people):
    enrollment_id = enrollment_id_of(people["member"])
    today = program.local_today(utcnow())
    record_payment(people["finance"], db.session.get(Enrollment, enrollment_id),
                   PaymentDetails(20_000, today, PaymentMethod.CHECK, "Check 1", None),
                   submission_key=new_submission_key(), today=today)
    db.session.commit()
    officers = [make_person(program, Role.FINANCE, name=f"Finance {n}") for n in range(6)]
    clients = signed_in_clients(app, officers)
    forms = [reviewed_payment(c, enrollment_id, f"Check {100 + n}", today)
             for n, c in enumerate(clients)]

    # $1,000 is left; six officers confirm $300 each at the same moment.
    responses = together([
        lambda c=c, f=f: c.post(f"/finance/members/{enrollment_id}/payments/new", data=f)
        for c, f in zip(clients, forms, strict=True)])

    no_server_errors(responses)
    accepted = [f for f, r in zip(forms, responses, strict=True) if r.status_code == 302]
    refused = [r for r in responses if r.status_code != 302]
    assert len(accepted) == 3 and len(refused) == 3
    for response in refused:
        assert "At most $100.00 is left to pay." in response.get_data(as_text=True)
    db.session.expire_all()
    stored = db.session.scalars(select(Payment).where(
        Payment.enrollment_id == enrollment_id, Payment.voided_at.is_(None))).all()
    assert sum(p.amount_cents for p in stored) == 110_000
    by_key = {p.submission_key: p for p in stored}
    for form in accepted:
        assert by_key[form["submission_key"]].reference == form["reference"]

    # Sending the accepted forms again (a double click, a reload) records nothing more.
    responses = together([
        lambda c=c, f=f: c.post(f"/finance/members/{enrollment_id}/payments/new", data=f)
        for c, f in zip(clients, forms, strict=True) if f in accepted])
    no_server_errors(responses)
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Payment.id)).where(
        Payment.enrollment_id == enrollment_id)) == 4


# Translation requests -----------------------------------------------------------------------

def test_translation_requests_sent_at_once_make_one_row_per_person(app, program, people):
    document = make_document(program, people["facilitator"])
    add_version(document, people["facilitator"], "es", "Historia")
    document_id = document.id
    readers = [make_person(program, Role.MEMBER, name=f"Reader {n}", language="vi")
               for n in range(3)]
    # Each reader asks twice, as from two tabs: six requests at once.
    clients = signed_in_clients(app, readers + readers)

    responses = together([
        lambda c=c: c.post(f"/materials/{document_id}/translation-requests",
                           data={"language": "vi"})
        for c in clients])

    no_server_errors(responses)
    assert all(r.status_code == 302 for r in responses)
    db.session.expire_all()
    rows = db.session.scalars(select(TranslationRequest).where(
        TranslationRequest.document_id == document_id)).all()
    assert sorted(r.requester_id for r in rows) == sorted(r.id for r in readers)
    assert {r.language for r in rows} == {"vi"}


# One member, two tabs -----------------------------------------------------------------------

TAB_ANSWERS = [
    {"response": "virtual", "childcare_children": "1", "access_needs": "Captions, please"},
    {"response": "not_attending", "childcare_children": "2", "access_needs": "Large print"},
]


def test_two_tabs_answering_at_once_leave_one_whole_answer(app, program, people):
    meeting = make_meeting(program, people["facilitator"], capacity=10)
    meeting_id = meeting.id
    member = people["member"]
    tabs = signed_in_clients(app, [member, member])
    for _ in range(5):
        responses = together([
            lambda tab=tab, data=data: tab.post(f"/meetings/{meeting_id}", data=data)
            for tab, data in zip(tabs, TAB_ANSWERS, strict=True)])
        no_server_errors(responses)
        assert all(r.status_code == 302 for r in responses)
        db.session.expire_all()
        [row] = db.session.scalars(select(Rsvp).where(
            Rsvp.meeting_id == meeting_id, Rsvp.user_id == member.id)).all()
        # One tab's answer whole, never one tab's answer with the other's needs.
        stored = {"response": row.response.value, "childcare_children": str(
            row.childcare_children), "access_needs": row.access_needs}
        assert stored in TAB_ANSWERS


def waiting_for_a_lock(engine, count: int) -> None:
    """Wait until `count` other connections are blocked on a lock."""
    for _ in range(600):
        with engine.connect() as connection:
            waiting = connection.scalar(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"))
        if waiting >= count:
            return
        time.sleep(0.05)
    raise AssertionError("the request never reached the seat lock")


def test_the_answer_saved_last_wins_even_if_the_tab_loaded_an_older_one(
        app, data_app, program, people):
    if not is_postgres(app):
        pytest.skip("needs PostgreSQL, to see a request waiting for the meeting's row lock")
    meeting = make_meeting(program, people["facilitator"], capacity=10)
    meeting_id = meeting.id
    member = people["member"]
    [tab] = signed_in_clients(app, [member])
    assert tab.post(f"/meetings/{meeting_id}", data=TAB_ANSWERS[0]).status_code == 302

    # Another tab's answer holds the meeting's lock while this tab's request, which has
    # already read the old answer, waits for it; then the other tab's answer is saved.
    engine = create_engine(db.engine.url)
    other_tab = engine.connect()
    other_tab.execute(update(Meeting).where(Meeting.id == meeting_id)
                      .values(seat_version=Meeting.seat_version + 1))
    results = []
    thread = threading.Thread(target=lambda: results.append(
        tab.post(f"/meetings/{meeting_id}", data=TAB_ANSWERS[0])))
    thread.start()
    try:
        waiting_for_a_lock(engine, 1)
        other_tab.execute(update(Rsvp).where(
            Rsvp.meeting_id == meeting_id, Rsvp.user_id == member.id).values(
            response=Response.NOT_ATTENDING.value, childcare_children=2,
            access_needs="Large print"))
    finally:
        other_tab.commit()
        other_tab.close()
        thread.join(timeout=60)
        engine.dispose()

    assert results and results[0].status_code == 302
    db.session.expire_all()
    [row] = db.session.scalars(select(Rsvp).where(
        Rsvp.meeting_id == meeting_id, Rsvp.user_id == member.id)).all()
    assert (row.response, row.childcare_children, row.access_needs) == (
        Response.VIRTUAL, 1, "Captions, please")
