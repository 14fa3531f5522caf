"""Recovering without a restart: the portal keeps serving after the database drops every
connection, and email queued while the mail server was down goes out once it is back,
each message exactly once."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from flask_migrate import upgrade
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from portal import create_app
from portal.auth.models import Role, User
from portal.db import db, utcnow
from portal.outbox.models import OutboxMessage, OutboxStatus
from portal.outbox.services import send_queued_messages
from tests.conftest import TEST_CONFIG, make_person, sign_in
from tests.test_outbox import Mailbox, free_port, queue_invitation

# Database connections ------------------------------------------------------------------------


def test_the_test_portal_checks_pooled_connections_before_use(app):
    """The production setting reaches the app the suite runs, so the test below is honest."""
    with app.app_context():
        assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True
        assert db.engine.pool._pre_ping


@pytest.fixture
def own_database(database_url):
    """A whole PostgreSQL database for one test, so ending all its connections
    touches nobody else's."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite has no server connections to lose")
    name = f"portal_recovery_{uuid.uuid4().hex[:8]}"
    server = create_engine(url.set(query={}), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name, query={}).render_as_string(hide_password=False)
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


def test_pages_still_load_after_the_database_ends_every_connection(own_database, tmp_path):
    portal = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": own_database,
                         "UPLOAD_FOLDER": str(tmp_path)})
    with portal.app_context():
        upgrade()
        admin = make_person(None, Role.ADMIN, name="Steady Admin")
        client = portal.test_client()
        sign_in(client, admin)
        db.session.remove()
    assert client.get("/admin/people").status_code == 200

    # What a database restart looks like to the pool: every connection it holds is gone.
    killer = create_engine(own_database, isolation_level="AUTOCOMMIT")
    with killer.connect() as connection:
        ended = connection.scalar(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
    killer.dispose()
    assert ended >= 1

    for path in ("/admin/people", "/profile/", "/admin/audit"):
        response = client.get(path)
        assert response.status_code == 200, path
    with portal.app_context():
        db.engine.dispose()


# Email while the mail server is down -------------------------------------------------------


def outbox() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_mail_queued_while_the_server_is_down_goes_once_when_it_is_back(data_app, program):
    recipients = [make_person(program, Role.MEMBER, name=f"Waiting {n}") for n in range(3)]
    for person in recipients:
        queue_invitation(db.session.get(User, person.id))
    port = free_port()  # nothing listens here yet: the mail server is down
    data_app.config["MAIL_PORT"] = port
    try:
        start = utcnow()
        # Tried at each pause's end: the pause doubles, 1, 2, then 4 minutes.
        moments = [start, start + timedelta(minutes=1), start + timedelta(minutes=3)]
        for attempt, moment in enumerate(moments, start=1):
            assert send_queued_messages(now=moment) == (0, 3)
            assert send_queued_messages(now=moment + timedelta(seconds=30)) == (0, 0)
            for message in outbox():
                assert message.status == OutboxStatus.QUEUED
                assert message.attempts == attempt
                assert message.next_attempt_at == moment + timedelta(minutes=2 ** (attempt - 1))
                assert message.last_error

        mailbox = Mailbox()
        controller = Controller(mailbox, hostname="127.0.0.1", port=port)
        controller.start()
        try:
            back = start + timedelta(minutes=7)
            assert send_queued_messages(now=back) == (3, 0)
            assert send_queued_messages(now=back + timedelta(hours=2)) == (0, 0)
        finally:
            controller.stop()
    finally:
        data_app.config["MAIL_PORT"] = 1
    assert sorted(m.rcpt_tos[0] for m in mailbox.messages) == sorted(
        p.email for p in recipients)
    assert {(m.status, m.attempts) for m in outbox()} == {(OutboxStatus.SENT, 4)}


def test_two_send_runs_at_once_send_each_message_once(app, data_app, program):
    recipients = [make_person(program, Role.MEMBER, name=f"Reader {n}") for n in range(12)]
    for person in recipients:
        queue_invitation(db.session.get(User, person.id))
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config["MAIL_PORT"] = data_app.config["MAIL_PORT"] = port
    barrier = threading.Barrier(2)
    results = []

    def send_run(portal):
        with portal.app_context():
            barrier.wait()
            results.append(send_queued_messages())
            db.session.remove()

    try:
        threads = [threading.Thread(target=send_run, args=(p,)) for p in (app, data_app)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        controller.stop()
        app.config["MAIL_PORT"] = data_app.config["MAIL_PORT"] = 1
    assert sum(sent for sent, _ in results) == 12
    assert sorted(m.rcpt_tos[0] for m in mailbox.messages) == sorted(
        p.email for p in recipients)


def test_a_database_out_of_reach_gets_a_calm_page_in_the_readers_language(app, people,
                                                                          tmp_path):
    signed_in = app.test_client()
    sign_in(signed_in, people["member_es"])
    cookie = signed_in.get_cookie("portal_session").value
    # The same portal (same secret key), but its database cannot be opened.
    unreachable = create_app({**TEST_CONFIG, "PROPAGATE_EXCEPTIONS": False,
                              "SQLALCHEMY_DATABASE_URI":
                                  f"sqlite:///{tmp_path}/missing/portal.sqlite3"})
    client = unreachable.test_client()
    client.set_cookie("portal_session", cookie)
    response = client.get("/calendar", headers={"Accept-Language": "es"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    page = response.get_data(as_text=True)
    assert '<html lang="es"' in page
    with unreachable.test_request_context(headers={"Accept-Language": "es"}):
        from flask_babel import gettext

        assert gettext("Something went wrong on our side") in page
