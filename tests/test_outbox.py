"""Email goes through the outbox: stored with the change, sent over SMTP, retried on failure."""

from __future__ import annotations

import socket
from contextlib import contextmanager
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from portal.auth.models import Role, User
from portal.db import db, utcnow
from portal.outbox.models import OutboxMessage, OutboxStatus
from portal.outbox.services import queue_email, send_queued_messages


class Mailbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serving_smtp(handler, apps, **options):
    """A local SMTP server for `handler`, with the portal instances pointed at it."""
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **options)
    controller.start()
    for instance in apps:
        instance.config["MAIL_PORT"] = port
    try:
        yield handler
    finally:
        controller.stop()
        for instance in apps:
            instance.config["MAIL_PORT"] = 1


@pytest.fixture
def smtp_server(app, data_app):
    with serving_smtp(Mailbox(), (app, data_app)) as mailbox:
        yield mailbox


def queue_invitation(user: User) -> OutboxMessage:
    message = queue_email(user, "invitation", link="http://portal.test/invitation/x",
                          program_name="Design Group")
    db.session.commit()
    return message


def test_queued_mail_is_sent_once_over_smtp(app, people, smtp_server):
    queue_invitation(db.session.get(User, people["member_es"].id))
    assert send_queued_messages() == (1, 0)
    assert send_queued_messages() == (0, 0)
    assert len(smtp_server.messages) == 1
    envelope = smtp_server.messages[0]
    assert envelope.rcpt_tos == [people["member_es"].email]
    text = envelope.content.decode("utf-8", "replace")
    assert "Content-Language: es" in text
    message = db.session.scalars(select(OutboxMessage)).one()
    assert message.status == OutboxStatus.SENT and message.sent_at is not None


def test_failed_send_is_kept_and_retried_later(data_app, people):
    queue_invitation(db.session.get(User, people["member"].id))
    port = free_port()  # nothing listens here
    data_app.config["MAIL_PORT"] = port
    try:
        assert send_queued_messages() == (0, 1)
    finally:
        data_app.config["MAIL_PORT"] = 1
    message = db.session.scalars(select(OutboxMessage)).one()
    assert message.status == OutboxStatus.QUEUED
    assert message.attempts == 1
    assert message.last_error
    # Not tried again before its pause is over.
    assert send_queued_messages() == (0, 0)

    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    data_app.config["MAIL_PORT"] = port
    try:
        assert send_queued_messages(now=utcnow() + timedelta(minutes=5)) == (1, 0)
        assert send_queued_messages(now=utcnow() + timedelta(hours=5)) == (0, 0)
    finally:
        controller.stop()
        data_app.config["MAIL_PORT"] = 1
    assert len(mailbox.messages) == 1
    message = db.session.scalars(select(OutboxMessage)).one()
    assert message.status == OutboxStatus.SENT and message.attempts == 2


def test_mail_is_written_in_the_recipient_language(app, people):
    message = queue_invitation(db.session.get(User, people["member_es"].id))
    assert message.language == "es"
    assert "Hello" not in message.body
    assert "Design Group" in message.subject


def test_person_without_email_gets_no_message(app, program):
    from tests.conftest import make_person

    user = make_person(program, Role.MEMBER, username="nomail")
    assert queue_email(user, "invitation", link="x", program_name="y") is None


def test_mail_is_rolled_back_with_the_change_that_caused_it(app, people, program):
    from portal.admin.services import add_person

    admin = db.session.get(User, people["admin"].id)
    add_person(admin, program, name="Rolled Back", email="rb@example.org", username=None,
               phone=None, preferred_language="en", roles={Role.MEMBER}, now=utcnow(),
               invitation_lifetime=timedelta(days=14))
    db.session.rollback()
    assert db.session.scalars(select(OutboxMessage)).all() == []


def test_console_backend_prints_instead_of_sending(data_app, people, capsys):
    queue_invitation(db.session.get(User, people["member"].id))
    data_app.config["MAIL_BACKEND"] = "console"
    try:
        assert send_queued_messages() == (1, 0)
    finally:
        data_app.config["MAIL_BACKEND"] = "smtp"
    assert people["member"].email in capsys.readouterr().out


def test_outbox_send_command(app, people, smtp_server):
    queue_invitation(db.session.get(User, people["member"].id))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert "sent 1, failed 0" in result.output
    assert len(smtp_server.messages) == 1
