"""The findings of an attacker-style probe, each kept closed by a test.

Withdrawn members, finance rights given by one admin alone, account take-over by an
admin, money details for non-finance admins, one throttle for everyone behind a
proxy, a locked-out owner, timing that tells who has an account, the profile telling
whose address is whose, unthrottled password guesses, revived cookies, spreadsheet
formulas, reversed names, sign-out by GET and calendar addresses that outlive a
password change.
"""

from __future__ import annotations

import re
import statistics
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal import create_app
from portal.audit.models import AuditEvent
from portal.auth.models import Role, User
from portal.auth.services import PersonRuleError
from portal.csv_export import csv_cell
from portal.db import db, utcnow
from portal.extensions import limiter
from portal.meetings.calendar import issue_feed_token
from portal.outbox.models import OutboxMessage
from portal.programs.models import Enrollment, EnrollmentStatus, Program
from portal.stipends.models import PaymentMethod
from portal.stipends.services import PaymentDetails, new_submission_key, record_payment
from tests.conftest import PASSWORD, TEST_CONFIG, make_person, sign_in
from tests.test_meetings import make_meeting

RESET_LINK = re.compile(r"http://portal\.test(/reset-password/[A-Za-z0-9_\-]+)")
EMAIL_LINK = re.compile(r"http://portal\.test(/profile/email/[A-Za-z0-9_\-.]+)")
NEW_PASSWORD = "a quiet green valley 42"


def outbox_to(address: str) -> list[OutboxMessage]:
    return list(db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.to_address == address)
        .order_by(OutboxMessage.id)))


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def person_form(user: User, **changes) -> dict:
    data = {"name": user.name, "preferred_language": user.preferred_language,
            "email": user.email or "", "username": user.username or "",
            "roles": sorted(role.value for role in user.roles)}
    data.update(changes)
    return data


# --- 1. A withdrawn member sees no program ---------------------------------------------------

def withdraw(user: User) -> None:
    enrollment = db.session.scalars(select(Enrollment).where(Enrollment.user_id == user.id)).one()
    enrollment.status = EnrollmentStatus.WITHDRAWN
    db.session.commit()


def test_a_withdrawn_member_gets_no_meetings_or_join_links(app, people, program):
    make_meeting(program, people["facilitator"], title="Secret session")
    member = people["member"]
    token = issue_feed_token(member)
    db.session.commit()
    withdraw(member)
    feed = app.test_client().get(f"/calendar/feed/{token}.ics").get_data(as_text=True)
    assert "Secret session" not in feed and "video.example.org" not in feed
    client = app.test_client()
    sign_in(client, member)
    for path in ("/calendar", "/materials", "/"):
        page = client.get(path).get_data(as_text=True)
        assert "Secret session" not in page and program.name not in page, path


# --- 2. Finance rights: never by oneself, always by two people, everyone told ---------------

def test_an_admin_cannot_give_themselves_finance_rights(as_role, people, program):
    admin = people["admin"]
    response = as_role("admin").post(
        f"/admin/people/{admin.id}", data=person_form(admin, roles=["admin", "finance"]))
    assert "Nobody can change their own roles." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, admin.id).roles == {Role.ADMIN}
    # The rule lives in the role service, whatever page or command calls it.
    from portal.admin.services import set_roles

    with pytest.raises(PersonRuleError):
        set_roles(admin, admin, program, {Role.ADMIN, Role.FINANCE}, now=utcnow())


def test_finance_rights_wait_for_a_second_person_and_every_officer_is_told(
        app, as_role, people, program):
    finance_es = make_person(program, Role.FINANCE, name="Fina Finanzas", language="es")
    second_admin = make_person(program, Role.ADMIN, name="Abe Admin")
    member = people["member"]
    first = as_role("admin")
    first.post(f"/admin/people/{member.id}",
               data=person_form(member, roles=["member", "finance"]))
    db.session.expire_all()
    assert Role.FINANCE not in db.session.get(User, member.id).roles
    assert len(events("role.requested")) == 1
    # The admin who asked cannot confirm; nor can the person it is for.
    page = first.get("/admin/finance-rights").get_data(as_text=True)
    assert "Someone else must confirm this one." in page
    request_id = int(re.search(r"/admin/finance-rights/(\d+)/confirm",
                               as_role("finance").get("/admin/finance-rights")
                               .get_data(as_text=True)).group(1))
    first.post(f"/admin/finance-rights/{request_id}/confirm")
    as_role("member").post(f"/admin/finance-rights/{request_id}/confirm")
    db.session.expire_all()
    assert Role.FINANCE not in db.session.get(User, member.id).roles
    # A second admin confirms.
    second = app.test_client()
    sign_in(second, second_admin)
    assert second.post(f"/admin/finance-rights/{request_id}/confirm").status_code == 302
    db.session.expire_all()
    assert Role.FINANCE in db.session.get(User, member.id).roles
    confirmed = events("role.confirmed")
    assert [e.actor_id for e in confirmed] == [second_admin.id]
    # Every finance officer is told, in their own language.
    assert "Mo Member" in outbox_to(people["finance"].email)[-1].subject
    spanish = outbox_to(finance_es.email)[-1]
    assert spanish.language == "es" and "Mo Member" in spanish.subject
    # Losing the rights is told too.
    second.post(f"/admin/people/{member.id}", data=person_form(
        db.session.get(User, member.id), roles=["member"]))
    assert len(outbox_to(finance_es.email)) == 2


# --- 3. No take-over by changing someone's address ----------------------------------------

def test_a_sign_in_link_for_someone_with_a_password_is_a_reset_to_their_old_address(
        as_role, people):
    member = people["member"]
    old = member.email
    admin = as_role("admin")
    admin.post(f"/admin/people/{member.id}",
               data=person_form(member, email="taken-over@example.net", username="mo2"))
    change = events("sign_in_identity.changed")[0]
    assert change.details["changes"]["email"] == {"from": old, "to": "taken-over@example.net"}
    assert change.details["changes"]["username"] == {"from": None, "to": "mo2"}
    notice = outbox_to(old)
    assert len(notice) == 1 and "taken-over@example.net" in notice[0].body

    admin.post(f"/admin/people/{member.id}/invitation")
    assert outbox_to("taken-over@example.net") == []
    reset = outbox_to(old)[-1]
    assert RESET_LINK.search(reset.body)
    assert "/invitation/" not in reset.body
    # Forgot-password for the new address goes to the old one too.
    as_role("admin").application.test_client().post(
        "/forgot-password", data={"email": "taken-over@example.net"})
    assert outbox_to("taken-over@example.net") == []


def test_an_invitation_is_never_issued_to_an_account_with_a_password(people, program):
    from portal.admin.services import invite

    with pytest.raises(PersonRuleError):
        invite(people["admin"], people["member"], program, now=utcnow(),
               lifetime=timedelta(days=1))


def test_taking_the_member_role_asks_about_the_enrollment_first(as_role, people):
    member = people["member"]
    admin = as_role("admin")
    response = admin.post(f"/admin/people/{member.id}",
                          data=person_form(member, roles=["facilitator"]))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "What should happen to their enrollment?" in page
    db.session.expire_all()
    assert db.session.get(User, member.id).roles == {Role.MEMBER}
    # Sent without a choice: asked again, with a message.
    again = admin.post(f"/admin/people/{member.id}", data=person_form(
        member, roles=["facilitator"], enrollment_asked="1")).get_data(as_text=True)
    assert "Choose what happens to the enrollment." in again
    response = admin.post(f"/admin/people/{member.id}",
                          data=person_form(member, roles=["facilitator"], enrollment="keep"))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, member.id).roles == {Role.FACILITATOR}
    enrollment = db.session.scalars(select(Enrollment).where(
        Enrollment.user_id == member.id)).one()
    assert enrollment.status == EnrollmentStatus.ACTIVE


# --- 4. Money details are for finance -------------------------------------------------------

def test_admins_without_finance_see_that_a_payment_happened_not_its_details(
        app, as_role, people, program):
    member = people["member"]
    enrollment = db.session.scalars(select(Enrollment).where(
        Enrollment.user_id == member.id)).one()
    today = program.local_today(utcnow())
    payment, _ = record_payment(
        people["finance"], enrollment,
        PaymentDetails(34_567, today, PaymentMethod.CHECK, "Check 4411", None),
        submission_key=new_submission_key(), today=today)
    db.session.commit()
    # A voided payment's notice names the amount too.
    from portal.stipends.models import VoidReason
    from portal.stipends.services import void_payment

    void_payment(people["finance"], payment, "Lost in the mail", utcnow(), kind=VoidReason.LOST)
    db.session.commit()
    admin = as_role("admin")
    for path in ("/admin/audit", "/admin/audit.csv", "/admin/outbox"):
        body = admin.get(path).get_data(as_text=True)
        assert "34567" not in body and "345.67" not in body and "Check 4411" not in body, path
        assert "Lost in the mail" not in body, path
    assert "Payment recorded" in admin.get("/admin/audit").get_data(as_text=True)
    both = make_person(program, Role.ADMIN, Role.FINANCE, name="Bo Both")
    client = app.test_client()
    sign_in(client, both)
    assert "Check 4411" in client.get("/admin/audit.csv").get_data(as_text=True)
    assert "345.67" in client.get("/admin/outbox").get_data(as_text=True)


# --- 5. One throttle per client behind a trusted proxy ------------------------------------

def test_behind_a_trusted_proxy_each_client_has_its_own_sign_in_throttle(
        database_url, upload_folder, people):
    proxied = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url,
                          "UPLOAD_FOLDER": upload_folder, "TRUSTED_PROXIES": 1,
                          "SIGN_IN_LIMIT_PER_ADDRESS": "3 per 15 minutes"})
    with proxied.app_context():
        limiter.reset()
    client = proxied.test_client()
    for number in range(3):
        client.post("/sign-in", data={"identifier": f"nobody{number}@example.org",
                                      "password": "wrong password!"},
                    headers={"X-Forwarded-For": "203.0.113.7"})
    throttled = client.post("/sign-in", data={"identifier": "x@example.org", "password": "x"},
                            headers={"X-Forwarded-For": "203.0.113.7"})
    assert throttled.status_code == 429
    # Another person behind the same proxy still signs in.
    other = proxied.test_client().post(
        "/sign-in", data={"identifier": people["member"].email, "password": PASSWORD},
        headers={"X-Forwarded-For": "198.51.100.9"})
    assert other.status_code == 302


# --- 6. The owner of a throttled account gets in with a link -------------------------------

def test_a_throttled_owner_is_emailed_a_link_that_lets_them_in(app, client, people):
    member = people["member"]
    limit = int(app.config["SIGN_IN_LIMIT_PER_ACCOUNT"].split()[0])
    for _ in range(limit + 2):
        response = client.post("/sign-in",
                               data={"identifier": member.email, "password": "wrong password!"})
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert "you can get in now with a link" in page
    paused = [m for m in outbox_to(member.email) if m.topic == "sign_in_paused"]
    assert len(paused) == 1  # once per pause, however many tries
    path = RESET_LINK.search(paused[0].body).group(1)
    owner = app.test_client()
    response = owner.post(path, data={"password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert response.status_code == 302
    assert owner.get("/").status_code == 200


# --- 7. Timing tells nothing about accounts -------------------------------------------------

def test_every_sign_in_try_costs_one_password_check(client, people, program, monkeypatch):
    import portal.auth.models as models

    calls = []
    real = models.check_password_hash
    monkeypatch.setattr(models, "check_password_hash",
                        lambda stored, given: calls.append(1) or real(stored, given))
    invited = make_person(program, Role.MEMBER, name="Ivy Invited", password=None)
    deactivated = make_person(program, Role.MEMBER, name="Dee", active=False)
    for identifier in (invited.email, "nobody@example.org", people["member"].email,
                       deactivated.email):
        calls.clear()
        client.post("/sign-in", data={"identifier": identifier, "password": "wrong password!"})
        assert len(calls) == 1, identifier


def _median_seconds(client, app, email: str, times: int = 7) -> float:
    taken = []
    for _ in range(times):
        with app.app_context():
            limiter.reset()
        started = time.perf_counter()
        response = client.post("/forgot-password", data={"email": email})
        taken.append(time.perf_counter() - started)
        assert response.status_code == 200
    return statistics.median(taken)


def test_forgot_password_takes_the_same_time_for_known_and_unknown_addresses(
        app, client, people):
    _median_seconds(client, app, "warm-up@example.org", times=1)
    known = _median_seconds(client, app, people["member"].email)
    unknown = _median_seconds(client, app, "nobody-here@example.org")
    # Medians of several requests; a loaded 2-core machine adds noise of a few ms to
    # each, far less than the quarter of the time a difference in work showed.
    assert min(known, unknown) / max(known, unknown) > 0.75, (known, unknown)


# --- 8. The profile never says whose address is whose ---------------------------------------

def test_a_new_email_address_changes_only_when_its_link_is_opened(app, as_role, people):
    member = people["member"]
    old = member.email
    client = as_role("member")
    form = {"name": member.name, "preferred_language": "en", "email": "mo.new@example.org"}
    page = client.post("/profile/", data=form, follow_redirects=True).get_data(as_text=True)
    assert "We sent a link to mo.new@example.org" in page
    db.session.expire_all()
    assert db.session.get(User, member.id).email == old
    path = EMAIL_LINK.search(outbox_to("mo.new@example.org")[0].body).group(1)
    # Only the person who asked, signed in, can use it.
    assert app.test_client().get(path).status_code == 302  # to sign in
    someone_else = as_role("facilitator")
    assert someone_else.get(path).status_code == 404
    db.session.expire_all()
    assert db.session.get(User, member.id).email == old
    assert client.get(path).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, member.id).email == "mo.new@example.org"
    assert events("sign_in_identity.changed")[0].details["changes"]["email"] == {
        "from": old, "to": "mo.new@example.org"}
    assert outbox_to(old)  # the old address is told
    # The link works once.
    assert client.get(path).status_code == 404


def test_an_address_someone_else_uses_gets_the_same_answer_and_no_link(as_role, people):
    member, admin = people["member"], people["admin"]
    form = {"name": member.name, "preferred_language": "en", "email": admin.email}
    page = as_role("member").post("/profile/", data=form,
                                  follow_redirects=True).get_data(as_text=True)
    assert f"We sent a link to {admin.email}" in page
    assert "Someone already uses" not in page
    assert outbox_to(admin.email) == []


# --- 9. Wrong current passwords are throttled -----------------------------------------------

def test_wrong_current_passwords_end_the_session_after_the_limit(app, as_role):
    client = as_role("member")
    limit = int(app.config["PASSWORD_CONFIRM_LIMIT"].split()[0])
    form = {"current_password": "wrong password!", "password": NEW_PASSWORD,
            "password_again": NEW_PASSWORD}
    answers = [client.post("/profile/password", data=form).status_code
               for _ in range(limit + 1)]
    assert answers[:limit] == [200] * limit
    assert answers[limit] == 302
    assert client.get("/profile/").status_code == 302  # signed out


# --- 10. Reactivation does not revive old cookies -------------------------------------------

def test_reactivating_a_person_does_not_bring_back_their_old_session(as_role, people):
    member_client = as_role("member")
    assert member_client.get("/").status_code == 200
    admin = as_role("admin")
    member = people["member"]
    admin.post(f"/admin/people/{member.id}/deactivate")
    admin.post(f"/admin/people/{member.id}/reactivate")
    assert member_client.get("/").status_code == 302


# --- 11. No formula in any spreadsheet language ---------------------------------------------

@pytest.mark.parametrize("cell", [
    "=1+1", "+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1",
    "\uff1d1+1",  # full-width equals sign
    "\ufe662",  # small equals sign
    "\u200b=1+1",  # zero-width space first
    "\u202e=1+1",  # right-to-left override first
    "\ufeff=1+1",  # byte-order mark first
    "  =1+1",
])
def test_cells_that_start_like_a_formula_are_text(cell):
    assert csv_cell(cell).startswith("'")


@pytest.mark.parametrize(("cell", "piece"), [
    ("Ann;=HYPERLINK(\"http://x\")", ";'="),
    ("Ann,=1+1", ",'="),
    ("Ann; \u200b\uff1d1+1", ";' \u200b\uff1d"),
    ("Ann\t@cmd", "\t'@"),
    ("Ann|+1", "|'+"),
])
def test_a_formula_after_any_list_separator_is_text_too(cell, piece):
    assert piece in csv_cell(cell)


@pytest.mark.parametrize("cell", ["Check 4411", "600.00", "Mo Member", "a - b", "", "2026-12-02",
                                  "O'Brien"])
def test_ordinary_cells_are_unchanged(cell):
    assert csv_cell(cell) == cell


# --- 12. Names cannot reverse the page ------------------------------------------------------

def test_direction_controls_in_names_are_refused(as_role, people):
    member = people["member"]
    response = as_role("member").post("/profile/", data={
        "name": "Mo \u202eevil", "preferred_language": "en", "email": member.email})
    assert "change the direction of the text" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, member.id).name == "Mo Member"


def test_names_are_isolated_on_pages_and_in_titles(as_role, people, program):
    odd = make_person(program, Role.MEMBER, name="Eve \u202eredro")
    admin = as_role("admin")
    people_page = admin.get("/admin/people").get_data(as_text=True)
    assert "<bdi>Eve \u202eredro</bdi>" in people_page
    person_page = admin.get(f"/admin/people/{odd.id}").get_data(as_text=True)
    assert "<title>\u2068Eve \u202eredro\u2069" in person_page
    assert "<h1><bdi>Eve \u202eredro</bdi></h1>" in person_page


# --- 13. Only a POST signs out --------------------------------------------------------------

def test_opening_an_unknown_invitation_while_signed_in_keeps_the_session(as_role):
    client = as_role("member")
    assert client.get("/invitation/not-a-real-link").status_code == 404
    assert client.get("/").status_code == 200


# --- 14. Calendar addresses end with the password -------------------------------------------

def test_a_calendar_address_stops_after_a_password_change_or_signing_out(app, people):
    member = people["member"]
    client = app.test_client()
    sign_in(client, member)
    feed = app.test_client()
    raw = re.search(r"/calendar/feed/([A-Za-z0-9_\-]+)\.ics",
                    client.post("/profile/calendar-feed").get_data(as_text=True)).group(1)
    assert feed.get(f"/calendar/feed/{raw}.ics").status_code == 200
    client.post("/profile/password", data={
        "current_password": PASSWORD, "password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert feed.get(f"/calendar/feed/{raw}.ics").status_code == 404

    raw = re.search(r"/calendar/feed/([A-Za-z0-9_\-]+)\.ics",
                    client.post("/profile/calendar-feed").get_data(as_text=True)).group(1)
    assert feed.get(f"/calendar/feed/{raw}.ics").status_code == 200
    client.post("/sign-out")
    assert feed.get(f"/calendar/feed/{raw}.ics").status_code == 404


def test_the_profile_says_that_a_password_change_ends_the_calendar_address(as_role):
    page = as_role("member").get("/profile/calendar-feed").get_data(as_text=True)
    assert "Changing your password or signing out ends this address." in page


def test_program_query_is_unchanged_for_staff(people, program):
    from portal.programs.services import program_for

    assert program_for(people["facilitator"]).id == program.id
    assert program_for(people["member"]).id == program.id
    other = Program(name="Other", timezone="America/New_York",
                    season_start=program.season_start, season_end=program.season_end,
                    stipend_cents=1, currency="USD")
    db.session.add(other)
    db.session.commit()
    withdraw(people["member"])
    assert program_for(db.session.get(User, people["member"].id)) is None
