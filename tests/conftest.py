"""Fixtures: an app built from the migrations, on SQLite or on PostgreSQL when
PORTAL_TEST_DATABASE_URL is set, and people signed in as each role."""

from __future__ import annotations

import os
import re
import uuid
from datetime import date

import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, event, text

from portal import create_app
from portal.auth.models import Role, RoleGrant, User
from portal.db import db
from portal.extensions import limiter
from portal.programs.models import Installment, Program
from portal.programs.services import enroll

PASSWORD = "a calm blue river"


def _postgres_url() -> str | None:
    return os.environ.get("PORTAL_TEST_DATABASE_URL") or None


def make_database_url(tmp_path_factory, label: str) -> tuple[str, callable]:
    """A fresh, empty database: a SQLite file, or a new PostgreSQL schema."""
    base = _postgres_url()
    if not base:
        path = tmp_path_factory.mktemp(label) / "portal.sqlite3"
        return f"sqlite:///{path}", lambda: None
    from portal.config import normalise_database_url

    base = normalise_database_url(base)
    schema = f"test_{label}_{uuid.uuid4().hex[:8]}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"
    url = f"{base}{separator}options=-csearch_path%3D{schema}"

    def drop():
        with engine.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()

    return url, drop


TEST_CONFIG = {
    "TESTING": True,
    "ENV_NAME": "testing",
    "SECRET_KEY": "test-secret-key",
    "WTF_CSRF_ENABLED": False,
    "MAIL_BACKEND": "smtp",
    "MAIL_SERVER": "127.0.0.1",
    "MAIL_PORT": 1,
    "RATELIMIT_STORAGE_URI": "memory://",
    "SESSION_COOKIE_SECURE": False,
    "BASE_URL": "http://portal.test",
    # A cheap hash keeps the suite quick; production uses scrypt.
    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
}


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url, drop = make_database_url(tmp_path_factory, "suite")
    yield url
    drop()


class SeparateContextClient(FlaskClient):
    """Ends the test's own database transaction before each request.

    The test reads and writes through `data_app`, a second instance of the
    portal on the same database, so every request runs in its own app
    context (its own `g` and session), as it does in production.
    """

    def open(self, *args, **kwargs):
        if has_app_context():
            db.session.commit()
        return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def upload_folder(tmp_path_factory):
    return str(tmp_path_factory.mktemp("uploads"))


@pytest.fixture(scope="session")
def app(database_url, upload_folder):
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url,
                      "UPLOAD_FOLDER": upload_folder})
    app.test_client_class = SeparateContextClient
    with app.app_context():
        upgrade()
    return app


@pytest.fixture(scope="session")
def data_app(app, database_url, upload_folder):
    return create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url,
                       "UPLOAD_FOLDER": upload_folder})


@pytest.fixture(autouse=True)
def _clean_state(app, data_app):
    """Each test starts with empty tables and fresh sign-in counters."""
    with app.app_context():
        limiter.reset()
    yield
    empty_tables(data_app)


def empty_tables(data_app) -> None:
    """Delete every row, children before parents."""
    with data_app.app_context():
        db.session.remove()
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()
        db.session.remove()


@pytest.fixture
def scratch_app(tmp_path_factory):
    """An app on its own empty database, for tests that run the migrations themselves."""
    url, drop = make_database_url(tmp_path_factory, "scratch")
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    drop()


@pytest.fixture
def ctx(data_app):
    with data_app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def program(ctx):
    program = Program(
        name="Community-Led Design Group",
        timezone="America/New_York",
        season_start=date(2026, 12, 1),
        season_end=date(2027, 5, 31),
        stipend_cents=120_000,
        currency="USD",
        installments=[
            Installment(label="First half", due_on=date(2027, 2, 26), amount_cents=60_000),
            Installment(label="Second half", due_on=date(2027, 5, 28), amount_cents=60_000),
        ],
    )
    db.session.add(program)
    db.session.commit()
    return program


def make_person(program, *roles: Role, name="Test Person", email=None, username=None,
                language="en", password=PASSWORD, active=True) -> User:
    if email is None and username is None:
        email = f"{re.sub(r'[^a-z]+', '.', name.lower())}.{uuid.uuid4().hex[:6]}@example.org"
    user = User(name=name, email=email, username=username, preferred_language=language,
                active=active, role_grants=[RoleGrant(role=role) for role in roles])
    if password:
        user.set_password(password)
    db.session.add(user)
    db.session.flush()
    if Role.MEMBER in roles:
        enroll(user, program)
    db.session.commit()
    return user


@pytest.fixture
def people(program):
    """One person per role, plus a member who prefers Spanish."""
    return {
        "admin": make_person(program, Role.ADMIN, name="Ada Admin"),
        "facilitator": make_person(program, Role.FACILITATOR, name="Fern Facilitator"),
        "finance": make_person(program, Role.FINANCE, name="Finn Finance"),
        "member": make_person(program, Role.MEMBER, name="Mo Member"),
        "member_es": make_person(program, Role.MEMBER, name="Rosa Miembro", language="es"),
    }


def sign_in(client, user: User, password: str = PASSWORD):
    identifier = user.email or user.username
    response = client.post("/sign-in", data={"identifier": identifier, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def as_role(app, people):
    """A signed-in test client for a role name from `people`."""

    def signed_in_client(role: str):
        client = app.test_client()
        sign_in(client, people[role])
        return client

    return signed_in_client


def queries_for(app, client, path: str) -> int:
    """How many SQL statements the portal runs to answer one request."""
    count = 0

    def counter(*args):
        nonlocal count
        count += 1

    with app.app_context():
        engine = db.engine  # the engine the requests use, not the test's own
    event.listen(engine, "before_cursor_execute", counter)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", counter)
    return count
