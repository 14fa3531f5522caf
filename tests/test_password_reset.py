"""Forgotten passwords: a single-use link by email, valid one hour."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from portal.db import db
from portal.outbox.models import OutboxMessage

LINK = re.compile(r"http://portal\.test(/reset-password/[A-Za-z0-9_\-]+)")


def ask_for_reset(client, email):
    return client.post("/forgot-password", data={"email": email})


def test_same_answer_whether_or_not_the_address_exists(client, people):
    known = ask_for_reset(client, people["member"].email).get_data(as_text=True)
    unknown = ask_for_reset(client, "nobody@example.org").get_data(as_text=True)
    normalise = lambda page, email: page.replace(email, "EMAIL")  # noqa: E731
    assert normalise(known, people["member"].email) == normalise(unknown, "nobody@example.org")
    assert len(db.session.scalars(select(OutboxMessage)).all()) == 1


def test_reset_email_is_in_the_person_language_and_works_once(client, people):
    ask_for_reset(client, people["member_es"].email)
    message = db.session.scalars(select(OutboxMessage)).one()
    assert message.language == "es"
    assert message.to_address == people["member_es"].email
    path = LINK.search(message.body).group(1)
    response = client.post(path, data={"password": "un río tranquilo azul",
                                       "password_again": "un río tranquilo azul"})
    assert response.status_code == 302
    client.post("/sign-out")
    assert client.get(path).status_code == 404
    assert client.post("/sign-in", data={"identifier": people["member_es"].email,
                                         "password": "un río tranquilo azul"}).status_code == 302


def test_reset_link_expires_after_one_hour(client, people, monkeypatch):
    ask_for_reset(client, people["member"].email)
    path = LINK.search(db.session.scalars(select(OutboxMessage.body)).one()).group(1)
    import portal.auth.views as views

    now = views.utcnow()
    monkeypatch.setattr(views, "utcnow", lambda: now + timedelta(minutes=59))
    assert client.get(path).status_code == 200
    monkeypatch.setattr(views, "utcnow", lambda: now + timedelta(minutes=61))
    assert client.get(path).status_code == 404


def test_reset_ends_sessions_on_other_devices(app, client, people):
    other_device = app.test_client()
    from tests.conftest import sign_in

    sign_in(other_device, people["member"])
    ask_for_reset(client, people["member"].email)
    path = LINK.search(db.session.scalars(select(OutboxMessage.body)).one()).group(1)
    client.post(path, data={"password": "a quiet green garden",
                            "password_again": "a quiet green garden"})
    assert other_device.get("/").status_code == 302


def test_invalid_email_gets_a_clear_message(client, people):
    response = ask_for_reset(client, "not an email")
    page = response.get_data(as_text=True)
    assert "Enter an email address like name@example.com." in page
    assert 'value="not an email"' in page
