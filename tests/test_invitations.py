"""Admins add a selected person; the person accepts the invitation."""

from __future__ import annotations

import re
from datetime import timedelta

from flask_babel import force_locale, gettext
from markupsafe import escape
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.auth.models import User
from portal.db import db
from portal.outbox.models import OutboxMessage
from portal.programs.models import Enrollment

LINK = re.compile(r"http://portal\.test(/invitation/[A-Za-z0-9_\-]+)")


def in_haitian_creole(text: str, **values) -> str:
    with force_locale("ht"):
        return str(escape(gettext(text, **values)))


def add_person(admin_client, **fields):
    data = {"name": "Widline Joseph", "preferred_language": "ht", "roles": ["member"]}
    data.update(fields)
    return admin_client.post("/admin/people/new", data=data)


def test_admin_adds_member_who_gets_invitation_in_their_language(as_role, people, program):
    response = add_person(as_role("admin"), email="Widline@Example.org")
    assert response.status_code == 302
    user = db.session.scalars(select(User).where(User.email == "widline@example.org")).one()
    assert user.preferred_language == "ht"
    assert user.password_hash is None
    enrollment = db.session.scalars(select(Enrollment).where(Enrollment.user_id == user.id)).one()
    assert enrollment.stipend_total_cents == 120_000
    message = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.recipient_id == user.id)
    ).one()
    assert message.language == "ht"
    assert message.to_address == "widline@example.org"
    assert LINK.search(message.body)
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert {"person.added", "invitation.sent"} <= set(actions)


def test_invitation_link_works_once_and_leads_home(client, as_role, people, program):
    add_person(as_role("admin"), email="widline@example.org")
    path = LINK.search(db.session.scalars(select(OutboxMessage.body)).one()).group(1)
    page = client.get(path)
    assert page.status_code == 200
    assert "Widline Joseph" in page.get_data(as_text=True)
    response = client.post(path, data={"password": "mango tree by the sea",
                                       "password_again": "mango tree by the sea"})
    assert response.status_code == 302
    assert response.location == "/"
    assert client.get("/").status_code == 200
    client.post("/sign-out")
    assert client.get(path).status_code == 404
    again = client.post(path, data={"password": "another long password",
                                    "password_again": "another long password"})
    assert again.status_code == 404
    assert client.post("/sign-in", data={"identifier": "widline@example.org",
                                         "password": "mango tree by the sea"}).status_code == 302


def test_invitation_expires_after_14_days(app, client, as_role, people, program, monkeypatch):
    add_person(as_role("admin"), email="widline@example.org")
    path = LINK.search(db.session.scalars(select(OutboxMessage.body)).one()).group(1)
    import portal.auth.views as views

    real_now = views.utcnow()
    monkeypatch.setattr(views, "utcnow", lambda: real_now + timedelta(days=13, hours=23))
    assert client.get(path).status_code == 200
    monkeypatch.setattr(views, "utcnow", lambda: real_now + timedelta(days=14, minutes=1))
    response = client.get(path)
    assert response.status_code == 404
    assert "This link does not work" in response.get_data(as_text=True)


def test_person_without_email_gets_a_printable_link(client, as_role, people, program):
    response = add_person(as_role("admin"), username="Djenaba", preferred_language="kea")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Print this page" in page
    assert "djenaba" in page
    path = LINK.search(page).group(1)
    assert db.session.scalars(select(OutboxMessage)).all() == []
    assert client.post(path, data={"password": "morabeza in boston",
                                   "password_again": "morabeza in boston"}).status_code == 302
    client.post("/sign-out")
    assert client.post("/sign-in", data={"identifier": "djenaba",
                                         "password": "morabeza in boston"}).status_code == 302


def test_resending_an_invitation_stops_the_old_link(client, as_role, people, program):
    admin = as_role("admin")
    add_person(admin, email="widline@example.org")
    first = LINK.search(db.session.scalars(select(OutboxMessage.body)).one()).group(1)
    user = db.session.scalars(select(User).where(User.email == "widline@example.org")).one()
    assert admin.post(f"/admin/people/{user.id}/invitation").status_code == 302
    bodies = db.session.scalars(select(OutboxMessage.body).order_by(OutboxMessage.id)).all()
    second = LINK.search(bodies[-1]).group(1)
    assert first != second
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200


def test_short_and_common_passwords_are_refused_with_a_clear_message(client, as_role, people,
                                                                      program):
    add_person(as_role("admin"), email="widline@example.org")
    path = LINK.search(db.session.scalars(select(OutboxMessage.body)).one()).group(1)
    # The page speaks the invitee's language (Haitian Creole here).
    short = client.post(path, data={"password": "short", "password_again": "short"})
    assert in_haitian_creole("Use at least %(count)d characters.", count=10) in short.get_data(
        as_text=True)
    common = client.post(path, data={"password": "password123", "password_again": "password123"})
    page = common.get_data(as_text=True)
    assert in_haitian_creole(
        "This password is too common and easy to guess. Choose another one.") in page
    assert f"<title>{in_haitian_creole('Error:')}" in page
    # No composition rules: a long all-lowercase phrase is fine.
    assert client.post(path, data={"password": "lowercase words only",
                                   "password_again": "lowercase words only"}).status_code == 302


def test_mismatched_passwords_are_refused(client, as_role, people, program):
    add_person(as_role("admin"), email="widline@example.org")
    path = LINK.search(db.session.scalars(select(OutboxMessage.body)).one()).group(1)
    response = client.post(path, data={"password": "mango tree by the sea",
                                       "password_again": "mango tree by the see"})
    assert in_haitian_creole("The two passwords are not the same.") in response.get_data(
        as_text=True)
    user = db.session.scalars(select(User).where(User.email == "widline@example.org")).one()
    assert user.password_hash is None


def test_person_needs_an_email_or_a_username(as_role, people, program):
    response = add_person(as_role("admin"))
    page = response.get_data(as_text=True)
    assert "Give an email address or a username" in page
    assert 'value="Widline Joseph"' in page
    assert db.session.scalars(select(User).where(User.name == "Widline Joseph")).all() == []


def test_email_addresses_are_unique(as_role, people, program):
    response = add_person(as_role("admin"), email=people["member"].email.upper())
    assert "Someone already uses this email address." in response.get_data(as_text=True)
