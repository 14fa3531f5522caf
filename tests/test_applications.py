"""The open call: applying without an account, drafts, the deadline, staff's list and
what they may do, what applicants may do later, and deleting applications."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from portal.applications.models import (
    Application,
    ApplicationDraft,
    ApplicationStatus,
    Channel,
    OpenCall,
)
from portal.applications.services import (
    REFERENCE_ALPHABET,
    CallDetails,
    CallWording,
    call_counts,
    days_left,
    open_call,
    purge_after_decisions,
)
from portal.audit.models import AuditEvent
from portal.auth.models import hash_token
from portal.db import db, utcnow
from portal.extensions import limiter
from portal.outbox.models import OutboxMessage

STATEMENT = "I sat with my cousin through a crisis night; nobody came who could help."


def make_call(program, admin, *, slug="design-group-2027", deadline_day=None,
              deadline_time=time(17), questions=("What would you change first?",),
              decisions_by=None) -> OpenCall:
    deadline_day = deadline_day or date.today() + timedelta(days=30)
    call = open_call(admin, program, CallDetails(
        slug=slug, deadline_day=deadline_day, deadline_time=deadline_time,
        decisions_by=decisions_by or deadline_day + timedelta(days=14), seats=10,
        paper_address="Boston City Hall\n1 City Hall Square", paper_office="Suite 806",
        paper_hours="9 to 5"),
        CallWording("en", "Apply to the design group", "Join us.", "Boston residents, 18+",
                    questions), utcnow())
    db.session.commit()
    return call


@pytest.fixture
def call(program, people):
    return make_call(program, people["admin"])


def answers(**changes) -> dict:
    form = {
        "name": "Ana Rivera", "preferred_name": "Ana", "email": "ana@example.net",
        "mobile": "", "phone": "617-555-0101", "mailing_address": "",
        "preferred_contact": "email", "language": "es", "language_other": "",
        "neighborhood": "Dorchester", "meets_conditions": "yes", "statement": STATEMENT,
        "experience": "", "answers-0": "More counselors.", "times": "weekday_evening",
        "meeting_format": "either", "interpretation": "es", "childcare": "y",
        "access_needs": "", "age_band": "35-44", "gender": "woman", "race": "hispanic",
        "consent": "y", "action": "send",
    }
    form.update(changes)
    return {key: value for key, value in form.items() if value is not None}


def applications() -> list[Application]:
    db.session.expire_all()
    return db.session.scalars(select(Application)).all()


def test_apply_leads_straight_to_the_one_open_call(client, call):
    response = client.get("/apply")
    assert response.status_code == 302
    assert response.location.endswith("/apply/design-group-2027")


def test_apply_says_when_no_call_is_open(client, program, people):
    make_call(program, people["admin"], deadline_day=date.today() - timedelta(days=3),
              decisions_by=date.today() + timedelta(days=10))
    page = client.get("/apply").get_data(as_text=True)
    assert "Applications are no longer accepted" in page
    assert "will hear from us by" in page


def test_anyone_applies_and_gets_a_reference_and_an_email_with_nothing_else(client, call):
    response = client.post("/apply/design-group-2027", data=answers())
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    [application] = applications()
    assert re.fullmatch(f"[{REFERENCE_ALPHABET}]{{4}}-[{REFERENCE_ALPHABET}]{{4}}",
                        application.reference)
    assert application.channel == Channel.ONLINE
    assert application.statement == STATEMENT
    assert application.answers == {str(call.questions[0].id): "More counselors."}
    assert application.demographics["race"] == ["hispanic"]
    sent = client.get(response.location).get_data(as_text=True)
    assert application.reference in sent
    [email] = db.session.scalars(select(OutboxMessage)).all()
    assert email.language == "es" and email.to_address == "ana@example.net"
    assert application.reference in email.body
    for private in ("Ana", "Rivera", "cousin", "Dorchester", "617-555-0101"):
        assert private not in email.body + email.subject
    events = db.session.scalars(select(AuditEvent)).all()
    assert "Rivera" not in repr([e.details for e in events])


def test_a_refused_form_keeps_everything_typed(client, call):
    response = client.post("/apply/design-group-2027", data=answers(name="", consent=None))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'class="error-summary"' in page and "Enter your name." in page
    assert STATEMENT.replace("'", "&#39;") in page
    assert "More counselors." in page
    assert applications() == []


def test_every_problem_is_in_one_summary_the_name_first(client, call):
    page = client.post("/apply/design-group-2027", data=answers(
        name="", email="", phone="", consent=None)).get_data(as_text=True)
    start = page.index('class="error-summary"')
    summary = page[start:page.index("</ul>", start)]
    problems = ["Enter your name.", "Give at least one way to reach you",
                "Tick the box to say you agree"]
    assert [summary.find(p) for p in problems] == sorted(summary.find(p) for p in problems)
    assert all(p in summary for p in problems)


def test_at_least_one_way_to_reach_the_person(client, call):
    response = client.post("/apply/design-group-2027", data=answers(
        email="", phone="", preferred_contact="email"))
    assert "Give at least one way to reach you" in response.get_data(as_text=True)
    response = client.post("/apply/design-group-2027", data=answers(
        email="", preferred_contact="email"))
    assert "The way you prefer needs its details" in response.get_data(as_text=True)
    assert applications() == []


def test_a_filled_hidden_field_keeps_nothing(client, call):
    response = client.post("/apply/design-group-2027", data=answers(website="http://spam"))
    assert response.status_code == 302
    assert applications() == []


def test_the_deadline_is_local_time_on_both_sides_of_a_clock_change(program, people):
    admin = people["admin"]
    # 10 November: standard time (UTC-5), so 5 p.m. is 22:00 UTC.
    winter = make_call(program, admin, slug="winter", deadline_day=date(2026, 11, 10))
    assert winter.is_open(datetime(2026, 11, 10, 21, 59, tzinfo=UTC))
    assert not winter.is_open(datetime(2026, 11, 10, 22, 0, tzinfo=UTC))
    # 10 June: daylight time (UTC-4), so 5 p.m. is 21:00 UTC.
    summer = make_call(program, admin, slug="summer", deadline_day=date(2027, 6, 10))
    assert summer.is_open(datetime(2027, 6, 10, 20, 59, tzinfo=UTC))
    assert not summer.is_open(datetime(2027, 6, 10, 21, 0, tzinfo=UTC))


def test_days_left_only_in_the_last_week(program, people):
    call = make_call(program, people["admin"], deadline_day=date(2026, 11, 10))
    assert days_left(call, datetime(2026, 11, 1, 15, tzinfo=UTC)) is None
    assert days_left(call, datetime(2026, 11, 4, 15, tzinfo=UTC)) == 6
    assert days_left(call, datetime(2026, 11, 10, 15, tzinfo=UTC)) == 0
    assert days_left(call, datetime(2026, 11, 10, 23, tzinfo=UTC)) is None


def test_a_form_sent_after_the_deadline_keeps_what_was_typed(client, program, people):
    make_call(program, people["admin"], deadline_day=date.today() - timedelta(days=1))
    response = client.post("/apply/design-group-2027", data=answers())
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The call has closed" in page and "so the application could not be sent" in page
    assert "More counselors." in page and "cousin" in page
    assert applications() == []
    assert "Applications are no longer accepted" in client.get(
        "/apply/design-group-2027").get_data(as_text=True)


def test_staff_accept_a_late_paper_application_only_with_a_reason(as_role, program, people):
    call = make_call(program, people["admin"], deadline_day=date.today() - timedelta(days=2))
    admin = as_role("admin")
    path = f"/admin/calls/{call.id}/applications/new"
    late = answers(channel="mail", received_on=date.today().isoformat(), email="")
    late["preferred_contact"] = "call"
    page = admin.post(path, data=late).get_data(as_text=True)
    assert "Say why it is accepted" in page
    assert applications() == []
    response = admin.post(path, data={**late, "late_reason": "Postmarked before the deadline"})
    assert response.status_code == 302
    [application] = applications()
    assert application.channel == Channel.MAIL
    assert application.entered_by_id == people["admin"].id
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "application.accepted_late" in actions


def test_only_admins_read_applications_and_every_reading_is_audited(client, as_role, call):
    client.post("/apply/design-group-2027", data=answers())
    [application] = applications()
    for role in ("member", "facilitator", "finance"):
        signed_in = as_role(role)
        for path in (f"/admin/calls/{call.id}", f"/admin/applications/{application.id}",
                     "/admin/calls"):
            assert signed_in.get(path).status_code == 403, (role, path)
    admin = as_role("admin")
    page = admin.get(f"/admin/applications/{application.id}").get_data(as_text=True)
    assert "cousin" in page
    opened = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "application.opened")).all()
    assert len(opened) == 1 and opened[0].details == {"reference": application.reference}
    letter = admin.get(f"/admin/applications/{application.id}/letter").get_data(as_text=True)
    assert application.reference in letter and "Estimado/a Ana" in letter
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "application.opened")) == 2


def test_a_draft_is_saved_hashed_and_finished_later(app, call):
    first = app.test_client()
    response = first.post("/apply/design-group-2027", data=answers(action="save", name=""))
    assert response.status_code == 302
    page = first.get(response.location).get_data(as_text=True)
    code = re.search(r'class="reference">([A-Z0-9-]+)<', page)[1]
    [draft] = db.session.scalars(select(ApplicationDraft)).all()
    assert code not in repr(draft.code_hash) and draft.code_hash == hash_token(
        code.replace("-", ""))
    [email] = db.session.scalars(select(OutboxMessage)).all()
    assert code in email.body and "cousin" not in email.body

    later = app.test_client()  # another day, another device
    response = later.post("/apply/continue", data={"code": code.lower()})
    assert response.status_code == 302
    form = later.get(response.location).get_data(as_text=True)
    assert "cousin" in form and "More counselors." in form
    response = later.post("/apply/design-group-2027", data=answers())
    assert response.status_code == 302
    assert len(applications()) == 1
    assert db.session.scalars(select(ApplicationDraft)).all() == []


def test_applicants_check_change_withdraw_and_delete(client, app, call):
    client.post("/apply/design-group-2027", data=answers())
    [application] = applications()
    other = app.test_client()
    wrong = other.post("/apply/status", data={"reference": application.reference,
                                               "contact": "someone@else.net"})
    assert "We could not find an application" in wrong.get_data(as_text=True)
    response = other.post("/apply/status", data={
        "reference": application.reference.lower().replace("-", ""),
        "contact": "(617) 555-0101"})
    assert response.status_code == 302
    assert "Received" in other.get("/apply/my-application").get_data(as_text=True)
    other.post("/apply/my-application/contact", data={
        "email": "", "mobile": "617-555-0102", "phone": "", "mailing_address": "",
        "preferred_contact": "text"})
    other.post("/apply/my-application/withdraw")
    [application] = applications()
    assert application.mobile == "617-555-0102" and application.email is None
    assert application.status == ApplicationStatus.WITHDRAWN
    other.post("/apply/my-application/delete")
    assert applications() == []
    db.session.expire_all()
    counts = call_counts(db.session.get(OpenCall, call.id))
    assert counts.total == 1 and counts.by_neighborhood["Dorchester"] == 1


def test_purge_deletes_people_not_selected_after_the_retention_time(client, call):
    for n in range(3):
        client.post("/apply/design-group-2027",
                    data=answers(name=f"Person {n}", email=f"p{n}@example.net"))
    chosen, *others = applications()
    chosen.status = ApplicationStatus.SELECTED
    call = db.session.get(OpenCall, call.id)
    call.decided_at = utcnow() - timedelta(days=100)
    db.session.commit()
    assert purge_after_decisions(utcnow(), 180) == 0
    assert purge_after_decisions(utcnow(), 90) == 2
    db.session.commit()
    assert [a.id for a in applications()] == [chosen.id]
    counts = call_counts(db.session.get(OpenCall, call.id))
    assert counts.total == 3 and counts.by_channel["online"] == 3


def test_the_purge_command(app, call):
    call.decided_at = utcnow() - timedelta(days=400)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["applications", "purge"])
    assert result.exit_code == 0 and "deleted 0" in result.output


def test_likely_duplicates_are_flagged_and_merged(client, as_role, call):
    client.post("/apply/design-group-2027", data=answers())
    client.post("/apply/design-group-2027", data=answers(email="", preferred_contact="call",
                                                         mobile="617 555 0199"))
    first, second = sorted(applications(), key=lambda a: a.id)
    admin = as_role("admin")
    listing = admin.get(f"/admin/calls/{call.id}").get_data(as_text=True)
    assert f"Possible duplicate of {first.reference}" in listing
    response = admin.post(f"/admin/applications/{second.id}/merge",
                          data={"keep": first.reference})
    assert response.status_code == 302
    first, second = sorted(applications(), key=lambda a: a.id)
    assert second.duplicate_of_id == first.id and second.status == ApplicationStatus.WITHDRAWN
    assert first.mobile == "617 555 0199"


def test_eligibility_needs_a_reason_when_not_eligible(client, as_role, call):
    client.post("/apply/design-group-2027", data=answers())
    [application] = applications()
    admin = as_role("admin")
    page = admin.post(f"/admin/applications/{application.id}/eligibility",
                      data={"decision": "ineligible", "reason": ""}).get_data(as_text=True)
    assert "Say why this application is not eligible." in page
    admin.post(f"/admin/applications/{application.id}/eligibility",
               data={"decision": "ineligible", "reason": "Lives in Quincy"})
    [application] = applications()
    assert application.status == ApplicationStatus.INELIGIBLE
    assert application.eligibility_reason == "Lives in Quincy"


def test_staff_list_counts_by_channel_language_and_neighborhood(client, as_role, call):
    client.post("/apply/design-group-2027", data=answers())
    client.post("/apply/design-group-2027", data=answers(
        email="b@example.net", phone="", language="ht", neighborhood="Roxbury", name="B"))
    page = as_role("admin").get(f"/admin/calls/{call.id}?language=ht").get_data(as_text=True)
    assert "2 applications" in page
    assert "Roxbury: 1" in page and "Dorchester: 1" in page
    assert "Ana Rivera" not in page  # filtered to Haitian Creole


def test_the_call_reads_in_the_readers_language_or_says_it_is_not_translated(
        client, as_role, call):
    client.get("/language/ht")
    page = client.get("/apply/design-group-2027").get_data(as_text=True)
    assert "Apply to the design group" in page and 'class="notice"' in page
    as_role("admin").post(f"/admin/calls/{call.id}/translations", data={
        "language": "ht", "title": "Aplike nan gwoup la", "invitation": "Vin jwenn nou.",
        "who_may_apply": "Rezidan Boston", "questions": "Kisa ou ta chanje anvan?"})
    page = client.get("/apply/design-group-2027").get_data(as_text=True)
    assert "Aplike nan gwoup la" in page and "Kisa ou ta chanje anvan?" in page


def test_sending_is_limited_per_address(app, client, call):
    app.config["APPLICATION_LIMIT_PER_ADDRESS"] = "2 per hour"
    try:
        with app.app_context():
            limiter.reset()
        codes = [client.post("/apply/continue", data={"code": "nothing"}).status_code
                 for _ in range(3)]
    finally:
        app.config["APPLICATION_LIMIT_PER_ADDRESS"] = "60 per hour"
    assert codes == [200, 200, 429]


def test_the_printable_form_is_public(client, call):
    page = client.get("/apply/design-group-2027/print").get_data(as_text=True)
    assert "Suite 806" in page and "What would you change first?" in page


def test_a_send_that_meets_a_locked_sqlite_database_is_tried_again(client, call, monkeypatch):
    """At the deadline SQLite may refuse a writer that waited too long; the person must
    not see an error, and the application must be stored once."""
    from sqlalchemy.exc import OperationalError

    from portal.applications import views

    real = views.submit_application
    refusals = []

    def locked_once(*args, **kwargs):
        if not refusals:
            refusals.append(1)
            raise OperationalError("INSERT", {}, Exception("database is locked"))
        return real(*args, **kwargs)

    monkeypatch.setattr(views, "submit_application", locked_once)
    monkeypatch.setattr(views.time, "sleep", lambda seconds: None)
    response = client.post("/apply/design-group-2027", data=answers())
    assert response.status_code == 302
    assert refusals == [1] and len(applications()) == 1


def test_the_deadline_reads_as_each_language_writes_it(client, call):
    """Spanish ends "… 5:00 p.m." with one full stop; Arabic joins the day and the
    time with its own comma."""
    client.get("/language/es")
    spanish = client.get("/apply/design-group-2027").get_data(as_text=True)
    assert "5:00\u202fp.m." in spanish and "p.m.." not in spanish
    client.get("/language/ar")
    arabic = client.get("/apply/design-group-2027").get_data(as_text=True)
    deadline = arabic.split('class="deadline"', 1)[1].split("</p>", 1)[0]
    assert "،" in deadline and "2026," not in deadline and "2027," not in deadline
