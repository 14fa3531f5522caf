"""The demo as it is started: links lead to where it listens, and mail shows up in the
terminal as soon as something queues it."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import select

from portal.db import db
from portal.outbox.models import OutboxMessage, OutboxStatus


@pytest.fixture
def started_demo(tmp_path, monkeypatch, capsys):
    """Run `portal-demo` up to the point where it would serve, and hand back its app."""
    from portal import demo

    monkeypatch.setenv("PORTAL_ENV", "development")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    monkeypatch.setenv("UPLOAD_FOLDER", str(tmp_path / "uploads"))
    monkeypatch.setenv("PORT", "8000")
    monkeypatch.delenv("HOST", raising=False)
    monkeypatch.delenv("PORTAL_BASE_URL", raising=False)
    monkeypatch.delenv("MAIL_BACKEND", raising=False)
    monkeypatch.delenv("MAIL_SEND_ON_COMMIT", raising=False)
    served = {}

    def run(self, host=None, port=None, **options):
        served.update(app=self, host=host, port=port)

    monkeypatch.setattr(Flask, "run", run)
    demo.main()
    app = served["app"]
    yield app, served
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_demo_links_follow_its_port(started_demo, capsys):
    app, served = started_demo
    assert served["port"] == 8000
    assert app.config["BASE_URL"] == "http://127.0.0.1:8000"
    assert "http://127.0.0.1:8000/" in capsys.readouterr().out
    with app.app_context():
        bodies = [m.body for m in db.session.scalars(select(OutboxMessage))]
    links = [link for body in bodies for link in re.findall(r"https?://[^\s]+", body)
             if "video.example.org" not in link]
    assert links and all(link.startswith("http://127.0.0.1:8000/") for link in links)


def test_portal_base_url_wins_over_the_port(tmp_path, monkeypatch):
    from portal.demo import public_address

    assert public_address("127.0.0.1", 8000) == "http://127.0.0.1:8000"
    assert public_address("::1", 8000) == "http://[::1]:8000"
    assert not public_address("0.0.0.0", 8000).startswith("http://0.0.0.0")  # noqa: S104


def test_demo_prints_mail_as_it_is_queued(started_demo, capsys):
    app, _ = started_demo
    capsys.readouterr()
    with app.app_context():
        # What the demo itself queued while loading is already printed and marked sent.
        assert {m.status for m in db.session.scalars(select(OutboxMessage))} == {
            OutboxStatus.SENT}
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    response = client.post("/forgot-password", data={"email": "rosa.delgado@demo.example.org"},
                           headers={"Accept-Language": "es"})
    assert response.status_code == 200
    printed = capsys.readouterr().out
    assert "To: rosa.delgado@demo.example.org" in printed
    assert "http://127.0.0.1:8000/reset-password/" in printed
    with app.app_context():
        newest = db.session.scalars(
            select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
        assert newest.to_address == "rosa.delgado@demo.example.org"
        assert newest.status == OutboxStatus.SENT
