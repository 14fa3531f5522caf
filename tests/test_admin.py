"""Admin pages: people, roles, deactivation, program settings, audit log, outbox."""

from __future__ import annotations

from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.auth.models import Role, User
from portal.db import db
from portal.programs.models import Enrollment, EnrollmentStatus, Program
from tests.conftest import make_person

PROGRAM_FORM = {
    "name": "Community-Led Design Group",
    "season_start": "2026-12-01",
    "season_end": "2027-05-31",
    "timezone": "America/New_York",
    "language": "en",
    "stipend": "1,200.00",
    "installments-0-label": "First half",
    "installments-0-due_on": "2027-02-26",
    "installments-0-amount": "600",
    "installments-1-label": "Second half",
    "installments-1-due_on": "2027-05-28",
    "installments-1-amount": "600",
}


def test_people_search_finds_by_name_email_and_phone(as_role, people, program):
    make_person(program, Role.MEMBER, name="Widline Joseph", email="wj@example.org")
    client = as_role("admin")
    assert "Widline Joseph" in client.get("/admin/people?q=widline").get_data(as_text=True)
    assert "Widline Joseph" in client.get("/admin/people?q=WJ@EX").get_data(as_text=True)
    page = client.get("/admin/people?q=zzz").get_data(as_text=True)
    assert "Nobody matches this search." in page
    page = client.get("/admin/people?q=%25").get_data(as_text=True)
    assert "Nobody matches this search." in page


def test_people_list_is_paginated(app, as_role, people, program):
    app.config["PEOPLE_PER_PAGE"] = 3
    try:
        client = as_role("admin")
        first = client.get("/admin/people").get_data(as_text=True)
        assert "Page 1 of 2" in first
        second = client.get("/admin/people?page=2").get_data(as_text=True)
        assert "Page 2 of 2" in second
        assert client.get("/admin/people?page=abc").status_code == 200
    finally:
        app.config["PEOPLE_PER_PAGE"] = 50


def test_role_change_is_saved_and_audited(as_role, people):
    facilitator = people["facilitator"]
    response = as_role("admin").post(f"/admin/people/{facilitator.id}", data={
        "name": facilitator.name, "preferred_language": "en", "email": facilitator.email,
        "roles": ["facilitator", "admin"],
    })
    assert response.status_code == 302
    assert db.session.get(User, facilitator.id).roles == {Role.FACILITATOR, Role.ADMIN}
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "roles.changed")).one()
    assert event.actor_id == people["admin"].id
    assert event.details == {"added": ["admin"], "removed": []}
    assert "Roles changed" in as_role("admin").get("/admin/audit").get_data(as_text=True)


def test_finance_never_comes_with_admin(as_role, people):
    assert as_role("admin").get("/admin/people").status_code == 200
    assert Role.FINANCE not in db.session.get(User, people["admin"].id).roles


def test_admin_cannot_remove_own_admin_role_or_deactivate_self(as_role, people):
    admin = people["admin"]
    client = as_role("admin")
    response = client.post(f"/admin/people/{admin.id}", data={
        "name": admin.name, "preferred_language": "en", "email": admin.email,
        "roles": ["member"],
    })
    assert "Nobody can change their own roles." in response.get_data(as_text=True)
    client.post(f"/admin/people/{admin.id}/deactivate")
    assert db.session.get(User, admin.id).active is True


def test_deactivation_keeps_history_and_can_be_undone(as_role, people):
    member = people["member"]
    client = as_role("admin")
    client.post(f"/admin/people/{member.id}/deactivate")
    user = db.session.get(User, member.id)
    assert user.active is False
    assert db.session.scalars(
        select(Enrollment).where(Enrollment.user_id == member.id)
    ).one().status == EnrollmentStatus.ACTIVE
    assert "Deactivated" in client.get("/admin/people").get_data(as_text=True)
    client.post(f"/admin/people/{member.id}/reactivate")
    assert db.session.get(User, member.id).active is True
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["person.deactivated", "person.reactivated"]


def test_removing_member_role_withdraws_without_deleting(as_role, people):
    member = people["member"]
    as_role("admin").post(f"/admin/people/{member.id}", data={
        "name": member.name, "preferred_language": "en", "email": member.email,
        "roles": ["facilitator"], "enrollment": "withdraw",
    })
    enrollment = db.session.scalars(select(Enrollment).where(Enrollment.user_id == member.id)).one()
    assert enrollment.status == EnrollmentStatus.WITHDRAWN


def test_unknown_person_is_404(as_role):
    assert as_role("admin").get("/admin/people/999999").status_code == 404


def test_program_settings_are_saved_and_audited(as_role, people, program):
    data = {**PROGRAM_FORM, "name": "Design Group 2026–27", "stipend": "1500",
            "installments-1-amount": "900"}
    response = as_role("admin").post("/admin/program", data=data)
    assert response.status_code == 302
    saved = db.session.get(Program, program.id)
    assert saved.name == "Design Group 2026–27"
    assert saved.stipend_cents == 150_000
    assert [i.amount_cents for i in saved.installments] == [60_000, 90_000]
    event = db.session.scalars(select(AuditEvent)).one()
    assert event.action == "program.updated"
    assert event.details["changes"]["stipend_cents"] == {"from": 120_000, "to": 150_000}


def test_stipend_change_does_not_touch_promised_stipends(as_role, people, program):
    as_role("admin").post("/admin/program", data={**PROGRAM_FORM, "stipend": "1500",
                                                  "installments-1-amount": "900"})
    totals = db.session.scalars(select(Enrollment.stipend_total_cents)).all()
    assert totals and set(totals) == {120_000}


def test_installments_must_add_up_and_bad_input_changes_nothing(as_role, people, program):
    client = as_role("admin")
    response = client.post("/admin/program", data={**PROGRAM_FORM,
                                                   "installments-1-amount": "500"})
    page = response.get_data(as_text=True)
    assert "The installments must add up to the stipend amount." in page
    assert 'value="500"' in page
    for bad, message in (
        ({"stipend": "12.345"}, "Enter an amount in dollars"),
        ({"stipend": "-5"}, "Enter an amount greater than zero."),
        ({"season_end": "2026-02-30"}, "Enter a real date"),
        ({"season_end": "2026-11-01"}, "The season must end after it starts."),
        ({"installments-0-due_on": ""}, "Enter the date this installment is due."),
    ):
        page = client.post("/admin/program", data={**PROGRAM_FORM, **bad}).get_data(as_text=True)
        assert message in page, bad
        assert "<title>Error:" in page
    saved = db.session.get(Program, program.id)
    assert saved.stipend_cents == 120_000
    assert db.session.scalars(select(AuditEvent)).all() == []


def test_outbox_page_shows_status_without_message_bodies(as_role, people, program):
    client = as_role("admin")
    client.post("/admin/people/new", data={"name": "New Person", "preferred_language": "fr",
                                           "email": "new@example.org", "roles": ["member"]})
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "new@example.org" in page
    assert "Waiting to be sent" in page
    assert "/invitation/" not in page
