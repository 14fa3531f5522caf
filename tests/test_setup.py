"""Configuration, migrations and demo data."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, inspect, select

from portal import create_app
from portal.auth.models import Role, RoleGrant, User
from portal.config import ConfigError
from portal.db import db
from portal.demo import PROGRAM_NAME
from portal.programs.models import Enrollment, Program, TaxFormStatus
from tests.conftest import TEST_CONFIG


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("PORTAL_ENV", "production")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app()


def test_development_starts_without_a_secret_key(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("PORTAL_ENV", "development")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/dev.sqlite3"})
    assert app.config["SECRET_KEY"]
    assert app.config["MAIL_BACKEND"] == "console"


def test_database_url_from_environment(monkeypatch):
    monkeypatch.setenv("PORTAL_ENV", "development")
    monkeypatch.setenv("DATABASE_URL", "postgres://user@db.internal/portal")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://user@db.internal/portal"


def test_migrations_upgrade_downgrade_upgrade(scratch_app):
    with scratch_app.app_context():
        upgrade()
        assert "users" in inspect(db.engine).get_table_names()
        downgrade(revision="base")
        assert "users" not in inspect(db.engine).get_table_names()
        upgrade()
        assert "users" in inspect(db.engine).get_table_names()


def test_models_and_migrations_agree(scratch_app):
    with scratch_app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_demo_data_is_complete_and_idempotent(app, ctx):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed", "demo"])
    assert first.exit_code == 0, first.output
    assert "Password for everyone" in first.output
    counts = (db.session.scalar(select(func.count(User.id))),
              db.session.scalar(select(func.count(Enrollment.id))))
    db.session.commit()
    assert runner.invoke(args=["seed", "demo"]).exit_code == 0
    assert counts == (db.session.scalar(select(func.count(User.id))),
                      db.session.scalar(select(func.count(Enrollment.id))))

    # The season's program; the demo also has a second group whose call is open.
    program = db.session.scalars(select(Program).where(Program.name == PROGRAM_NAME)).one()
    assert program.timezone == "America/New_York"
    assert program.stipend_cents == 120_000
    assert program.season_start.month == 12 and program.season_end.month == 5
    assert [i.amount_cents for i in program.installments] == [60_000, 60_000]

    def holders(role):
        return db.session.scalars(
            select(User).join(RoleGrant).where(RoleGrant.role == role)
        ).all()

    members = holders(Role.MEMBER)
    assert len(members) == 10
    assert len({m.preferred_language for m in members}) >= 6
    assert len(holders(Role.FACILITATOR)) == 2
    assert len(holders(Role.FINANCE)) == 1
    assert len(holders(Role.ADMIN)) == 1
    assert any(m.email is None and m.username for m in members)
    statuses = db.session.scalars(select(Enrollment.tax_form_status)).all()
    assert TaxFormStatus.REQUESTED in statuses


def test_production_hashes_passwords_with_scrypt(monkeypatch, tmp_path):
    monkeypatch.setenv("PORTAL_ENV", "development")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/hash.sqlite3"})
    with app.app_context():
        user = User(name="Hash Check")
        user.set_password("a long enough password")
    assert user.password_hash.startswith("scrypt:")
    assert user.check_password("a long enough password")


def test_server_error_page_is_calm_and_in_the_reader_language(monkeypatch, tmp_path):
    from portal.access import public

    app = create_app({**TEST_CONFIG, "PROPAGATE_EXCEPTIONS": False,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/boom.sqlite3"})

    @app.route("/boom")
    @public
    def boom():
        raise RuntimeError("something broke")

    with app.app_context():
        upgrade()
    english = app.test_client().get("/boom")
    assert english.status_code == 500
    assert "Something went wrong on our side" in english.get_data(as_text=True)
    spanish = app.test_client().get("/boom", headers={"Accept-Language": "es"})
    assert spanish.status_code == 500
    page = spanish.get_data(as_text=True)
    assert '<html lang="es"' in page and "Something went wrong" not in page
    assert "something broke" not in page


def _pinned_versions() -> dict[str, str]:
    from pathlib import Path

    pins = {}
    for line in (Path(__file__).parent.parent / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[_canonical(name)] = version
    return pins


def _canonical(name: str) -> str:
    import re

    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_dependency_is_pinned_at_the_installed_version():
    """A fresh install gets exactly what the tests ran with: every package the
    portal (with its test extra) needs, directly or not, is in constraints.txt
    at the version installed here."""
    from importlib.metadata import PackageNotFoundError, distribution

    from packaging.requirements import Requirement

    pins = _pinned_versions()
    seen: set[str] = set()
    waiting = [("design-group-portal", {"test"})]
    problems = []
    while waiting:
        name, extras = waiting.pop()
        try:
            dist = distribution(name)
        except PackageNotFoundError:
            continue  # an optional requirement whose marker does not hold here
        for text in dist.requires or []:
            requirement = Requirement(text)
            if requirement.marker and not any(
                requirement.marker.evaluate({"extra": extra}) for extra in (extras or {""})
            ):
                continue
            key = _canonical(requirement.name)
            if key in seen:
                continue
            seen.add(key)
            try:
                installed = distribution(requirement.name).version
            except PackageNotFoundError:
                continue
            if pins.get(key) != installed:
                problems.append(f"{key}: installed {installed}, pinned {pins.get(key)}")
            waiting.append((requirement.name, set(requirement.extras)))
    assert not problems, problems
    assert {"babel", "flask", "sqlalchemy", "highspy"} <= seen
