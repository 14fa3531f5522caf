"""Backups: `flask backup create` copies a running SQLite portal and its uploaded files into
one archive; `flask backup restore` puts them back in a fresh instance, where the payments
and documents read as before. Restores check the archive and never write outside the
instance, and PostgreSQL is sent to its own tools."""

from __future__ import annotations

import io
import json
import tarfile
import threading
from datetime import date
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select

from portal import create_app
from portal.audit.models import AuditEvent
from portal.auth.models import Role, User
from portal.backup import BackupError, create_backup
from portal.db import db, utcnow
from portal.documents.services import VersionContent, create_document, publish_document
from portal.programs.models import Enrollment, Program
from portal.stipends.models import Payment, PaymentMethod
from portal.stipends.services import PaymentDetails, new_submission_key, record_payment
from tests import sample_files
from tests.conftest import PASSWORD, TEST_CONFIG, make_person


def sqlite_portal(folder: Path):
    """A portal of its own on SQLite, whatever database the rest of the suite uses."""
    folder.mkdir(parents=True, exist_ok=True)
    return create_app({**TEST_CONFIG,
                       "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'portal.sqlite3'}",
                       "UPLOAD_FOLDER": str(folder / "uploads")})


def run(portal, *args: str):
    return portal.test_cli_runner().invoke(args=list(args))


def signed_in(portal, email: str):
    client = portal.test_client()
    response = client.post("/sign-in", data={"identifier": email, "password": PASSWORD})
    assert response.status_code == 302
    return client


@pytest.fixture
def live(tmp_path):
    """A running portal with a member, a payment and a document with an uploaded file."""
    portal = sqlite_portal(tmp_path / "live")
    with portal.app_context():
        upgrade()
        program = Program(name="Design Group", timezone="America/New_York",
                          season_start=date(2026, 12, 1), season_end=date(2027, 5, 31),
                          stipend_cents=120_000, currency="USD", installments=[])
        db.session.add(program)
        db.session.commit()
        member = make_person(program, Role.MEMBER, name="Rosa Delgado")
        busy = make_person(program, Role.MEMBER, name="Busy Member")
        finance = make_person(program, Role.FINANCE, name="Priya Raman")
        facilitator = make_person(program, Role.FACILITATOR, name="Dana Whitfield")
        enrollment = db.session.scalars(select(Enrollment).where(
            Enrollment.user_id == member.id)).one()
        record_payment(finance, enrollment,
                       PaymentDetails(60_000, date(2026, 11, 20), PaymentMethod.CHECK,
                                      "Check 1043", None),
                       submission_key=new_submission_key(), today=date(2026, 11, 20))
        document = create_document(
            facilitator, program, kind="handout", meeting=None, language="en",
            content=VersionContent(title="Map to City Hall", body="Take the Orange Line.",
                                   upload=sample_files.upload(sample_files.png(), "map.png")),
            now=utcnow())
        publish_document(facilitator, document, utcnow())
        db.session.commit()
        ids = {"member": member.email, "finance": finance.email, "busy": busy.id,
               "finance_id": finance.id, "document": document.id, "program": program.id}
        db.session.remove()
    return portal, ids


def keep_paying(portal, busy_id: int, finance_id: int, stop: threading.Event,
                counts: list) -> None:
    """Another finance officer at work: one-cent payments, each with its audit event."""
    with portal.app_context():
        enrollment = db.session.scalars(select(Enrollment).where(
            Enrollment.user_id == busy_id)).one()
        finance = db.session.get(User, finance_id)
        while not stop.is_set():
            record_payment(finance, enrollment,
                           PaymentDetails(1, date(2026, 11, 20), PaymentMethod.CASH, None, None),
                           submission_key=new_submission_key(), today=date(2026, 11, 20))
            db.session.commit()
            counts.append(1)
        db.session.remove()


def test_a_backup_made_while_writing_restores_into_a_fresh_instance(live, tmp_path):
    portal, ids = live
    archive = tmp_path / "backups" / "portal.tar.gz"
    stop, counts = threading.Event(), []
    writer = threading.Thread(target=keep_paying,
                              args=(portal, ids["busy"], ids["finance_id"], stop, counts))
    writer.start()
    try:
        while len(counts) < 5:
            threading.Event().wait(0.01)
        made = run(portal, "backup", "create", str(archive))
        written_before_end = len(counts)
    finally:
        stop.set()
        writer.join(timeout=60)
    assert made.exit_code == 0, made.output
    assert "Backed up the database and 1 file to" in made.output
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest["files"] == 1 and manifest["alembic_revision"]

    fresh = sqlite_portal(tmp_path / "fresh")
    restored = run(fresh, "backup", "restore", str(archive))
    assert restored.exit_code == 0, restored.output
    assert "Restored the database and 1 file from" in restored.output

    member = signed_in(fresh, ids["member"])
    assert "$600.00" in member.get("/stipend").get_data(as_text=True)
    download = member.get(f"/materials/{ids['document']}/files/en")
    assert download.status_code == 200 and download.data == sample_files.png()
    ledger = signed_in(fresh, ids["finance"]).get("/finance").get_data(as_text=True)
    assert "Rosa Delgado" in ledger
    with fresh.app_context():
        # One moment of the running portal: each payment with its audit event, no half.
        payments = db.session.scalar(select(func.count(Payment.id)))
        events = db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "payment.recorded"))
        assert payments == events
        assert 1 + 5 <= payments <= 1 + written_before_end + 1
        db.session.remove()


def test_restore_asks_before_replacing_a_database(live, tmp_path):
    portal, ids = live
    archive = tmp_path / "portal.tar.gz"
    assert run(portal, "backup", "create", str(archive)).exit_code == 0
    with portal.app_context():
        upgrade()  # the live portal has a database: restoring over it needs --yes
    refused = run(portal, "backup", "restore", str(archive))
    assert refused.exit_code != 0
    assert "There is already a database at" in refused.output
    assert "--yes" in refused.output
    replaced = run(portal, "backup", "restore", "--yes", str(archive))
    assert replaced.exit_code == 0, replaced.output
    assert "$600.00" in signed_in(portal, ids["member"]).get("/stipend").get_data(as_text=True)


def tampered_archive(path: Path, good: Path, extra: tarfile.TarInfo, data: bytes = b"x"):
    """A copy of a good backup with one more member."""
    with tarfile.open(good) as source, tarfile.open(path, "w:gz") as target:
        for member in source.getmembers():
            target.addfile(member, source.extractfile(member))
        extra.size = len(data) if extra.isfile() else 0
        target.addfile(extra, io.BytesIO(data) if extra.isfile() else None)
    return path


def symlink(name: str, to: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = tarfile.SYMTYPE, to
    return info


@pytest.mark.parametrize("name", ["../escaped", "uploads/../../escaped", "{tmp}/escaped",
                                  "uploads/sub/escaped", "uploads/link"])
def test_restore_refuses_archives_that_reach_outside(live, tmp_path, name):
    portal, _ = live
    name = name.format(tmp=tmp_path)
    extra = symlink(name, "/etc/passwd") if name.endswith("link") else tarfile.TarInfo(name)
    good = tmp_path / "good.tar.gz"
    assert run(portal, "backup", "create", str(good)).exit_code == 0
    bad = tampered_archive(tmp_path / "bad.tar.gz", good, extra)
    fresh = sqlite_portal(tmp_path / "deep" / "fresh")
    result = run(fresh, "backup", "restore", str(bad))
    assert result.exit_code != 0
    assert "not one of its own files" in result.output
    assert not (tmp_path / "deep" / "fresh" / "portal.sqlite3").exists()
    assert not list(tmp_path.rglob("escaped"))
    assert not (tmp_path / "deep" / "fresh" / "uploads" / "link").exists()


def test_restore_refuses_what_is_not_a_portal_backup(tmp_path):
    other = tmp_path / "other.tar.gz"
    with tarfile.open(other, "w:gz") as tar:
        body = json.dumps({"format": "something-else"}).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(body)
        tar.addfile(info, io.BytesIO(body))
    (tmp_path / "junk.tar.gz").write_bytes(b"not an archive")
    fresh = sqlite_portal(tmp_path / "fresh")
    for archive in (other, tmp_path / "junk.tar.gz"):
        result = run(fresh, "backup", "restore", str(archive))
        assert result.exit_code != 0
        assert "not a backup of the Design Group Portal" in result.output
    assert not (tmp_path / "fresh" / "portal.sqlite3").exists()


def test_postgresql_is_pointed_to_its_own_tools(tmp_path):
    with pytest.raises(BackupError) as refused:
        create_backup(tmp_path / "x.tar.gz", "postgresql+psycopg://portal@db/portal",
                      str(tmp_path))
    portal = sqlite_portal(tmp_path / "any")
    with portal.test_request_context():
        assert "pg_dump" in str(refused.value.message)
        assert "README" in str(refused.value.message)
    assert not (tmp_path / "x.tar.gz").exists()


def test_restore_refuses_a_backup_from_a_newer_portal(live, tmp_path):
    portal, _ = live
    good = tmp_path / "good.tar.gz"
    assert run(portal, "backup", "create", str(good)).exit_code == 0
    newer = tmp_path / "newer.tar.gz"
    with tarfile.open(good) as source, tarfile.open(newer, "w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name == "manifest.json":
                data = json.dumps({**json.loads(data), "alembic_revision": "0999_future"}
                                  ).encode()
                member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    fresh = sqlite_portal(tmp_path / "fresh")
    result = run(fresh, "backup", "restore", str(newer))
    assert result.exit_code != 0
    assert "made by a newer version of the portal" in result.output
    assert not (tmp_path / "fresh" / "portal.sqlite3").exists()
