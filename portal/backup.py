"""Backups of a portal on SQLite: the database and the uploaded files in one archive.

`flask --app wsgi backup create FILE` copies the database with SQLite's online
backup, so the portal may keep running and writing; the copy is one consistent
moment. The files in UPLOAD_FOLDER are added after the database, so every file
the copy refers to is there (files are stored before the change that refers to
them is committed). A small manifest says what the archive holds.

`flask --app wsgi backup restore FILE` puts both back, with the portal stopped.
It checks the manifest, refuses any archive member that is not one of the
expected plain files (so nothing lands outside the instance and upload
folders), and replaces an existing database only when told `--yes`.

PostgreSQL is backed up with its own tools; the README says how.
"""

from __future__ import annotations

import io
import json
import os
import re
import sqlite3
import tarfile
import tempfile
from contextlib import closing
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy.engine import make_url

from portal.i18n import operator_language

ARCHIVE_FORMAT = "design-group-portal-backup"
ARCHIVE_FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE = "portal.sqlite3"
FILES = "uploads"
# Uploaded files are kept under random hex names; nothing else belongs in the folder.
SAFE_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


class BackupError(Exception):
    """A backup or restore that cannot go ahead; `message` says why, for the operator."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def sqlite_path(database_url: str) -> Path | None:
    """The database file of a SQLite URL, or None for any other database."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def portal_version() -> str:
    try:
        return version("design-group-portal")
    except PackageNotFoundError:
        return "unknown"


def _stored_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.iterdir()
                  if path.is_file() and not path.is_symlink()
                  and SAFE_FILE_NAME.fullmatch(path.name))


def create_backup(archive: Path, database_url: str, upload_folder: str,
                  now: datetime | None = None) -> dict:
    """Write the database and the uploaded files to `archive` (.tar.gz); return its manifest."""
    source = sqlite_path(database_url)
    if source is None:
        raise BackupError(_l("This command backs up a portal on SQLite. For PostgreSQL, use "
                             "pg_dump and copy the upload folder, as the README's Backups "
                             "section says."))
    if not source.is_file():
        raise BackupError(_l("There is no database at %(path)s.", path=str(source)))
    archive = archive.resolve()
    archive.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=archive.parent) as work:
        copy = Path(work) / DATABASE
        # The backup API reads one consistent state while the portal goes on writing.
        with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as live, \
                closing(sqlite3.connect(copy)) as target:
            live.backup(target)
            revision = target.execute("SELECT version_num FROM alembic_version").fetchone()
        files = _stored_files(Path(upload_folder))
        manifest = {
            "format": ARCHIVE_FORMAT,
            "format_version": ARCHIVE_FORMAT_VERSION,
            "portal_version": portal_version(),
            "alembic_revision": revision[0] if revision else None,
            "created_at": (now or datetime.now(UTC)).isoformat(),
            "files": len(files),
            "file_bytes": sum(path.stat().st_size for path in files),
        }
        partial = Path(work) / "archive.tar.gz"
        with tarfile.open(partial, "w:gz") as tar:
            body = json.dumps(manifest, indent=2).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime = len(body), int(datetime.now(UTC).timestamp())
            tar.addfile(info, io.BytesIO(body))
            tar.add(copy, arcname=DATABASE, recursive=False)
            for path in files:
                tar.add(path, arcname=f"{FILES}/{path.name}", recursive=False)
        os.replace(partial, archive)  # never a half-written archive under the real name
    return manifest


def _known_revisions() -> set[str]:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}


def read_manifest(tar: tarfile.TarFile) -> tuple[dict, tarfile.TarInfo, list[tarfile.TarInfo]]:
    """The manifest, the database member and the file members, after checking that every
    member is a plain file with an expected name."""
    not_ours = BackupError(_l("This is not a backup of the Design Group Portal, or it is "
                              "damaged. Nothing was restored."))
    manifest = database = None
    files = []
    for member in tar.getmembers():
        folder, _, name = member.name.partition("/")
        expected = (member.name in (MANIFEST, DATABASE)
                    or (folder == FILES and SAFE_FILE_NAME.fullmatch(name)))
        if not member.isfile() or not expected:
            raise BackupError(_l("The backup holds something that is not one of its own "
                                 "files: %(name)s. Nothing was restored.", name=member.name))
        if member.name == MANIFEST:
            manifest = member
        elif member.name == DATABASE:
            database = member
        else:
            files.append(member)
    if manifest is None or database is None:
        raise not_ours
    try:
        content = json.loads(tar.extractfile(manifest).read(64 * 1024))
    except (ValueError, UnicodeDecodeError):
        raise not_ours from None
    if (not isinstance(content, dict) or content.get("format") != ARCHIVE_FORMAT
            or content.get("format_version") != ARCHIVE_FORMAT_VERSION
            or content.get("files") != len(files)):
        raise not_ours
    if content.get("alembic_revision") not in _known_revisions():
        raise BackupError(_l("This backup was made by a newer version of the portal. "
                             "Update the portal first, then restore it."))
    return content, database, files


def _write(tar: tarfile.TarFile, member: tarfile.TarInfo, target: Path) -> None:
    """Copy one member to `target` through a temporary file in the same folder."""
    fd, partial = tempfile.mkstemp(dir=target.parent, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle, tar.extractfile(member) as source:
            while chunk := source.read(1024 * 1024):
                handle.write(chunk)
        os.replace(partial, target)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise


def restore_backup(archive: Path, database_url: str, upload_folder: str, *,
                   replace: bool = False) -> dict:
    """Put the database and the uploaded files from `archive` back; return its manifest.

    Members are written one by one to paths built here from their checked names;
    nothing in the archive chooses where a file goes.
    """
    target = sqlite_path(database_url)
    if target is None:
        raise BackupError(_l("This command restores a portal on SQLite. For PostgreSQL, use "
                             "pg_restore and put the upload folder back, as the README's "
                             "Backups section says."))
    try:
        tar = tarfile.open(archive, "r:gz")  # noqa: SIM115 - closed by the with below
    except (OSError, tarfile.TarError):
        raise BackupError(_l("This is not a backup of the Design Group Portal, or it is "
                             "damaged. Nothing was restored.")) from None
    with tar:
        manifest, database, files = read_manifest(tar)
        if target.exists() and target.stat().st_size > 0 and not replace:
            raise BackupError(_l("There is already a database at %(path)s. Add --yes to "
                                 "replace it with the backup.", path=str(target)))
        target.parent.mkdir(parents=True, exist_ok=True)
        folder = Path(upload_folder)
        folder.mkdir(parents=True, exist_ok=True)
        for member in files:
            _write(tar, member, folder / member.name.partition("/")[2])
        # A journal left by the database being replaced would be applied to the backup.
        for leftover in ("-journal", "-wal", "-shm"):
            Path(f"{target}{leftover}").unlink(missing_ok=True)
        _write(tar, database, target)
    return manifest


@click.group("backup")
def backup_commands():
    """Back up and restore a portal on SQLite (database and uploaded files)."""


@backup_commands.command("create")
@click.argument("archive", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def create_command(archive: Path):
    """Write the database and uploaded files to ARCHIVE (.tar.gz); safe while the portal runs."""
    config = current_app.config
    with operator_language():
        try:
            manifest = create_backup(archive, config["SQLALCHEMY_DATABASE_URI"],
                                     config["UPLOAD_FOLDER"])
        except BackupError as error:
            raise click.ClickException(str(error.message)) from None
        click.echo(str(lazy_ngettext(
            "Backed up the database and %(num)d file to %(path)s.",
            "Backed up the database and %(num)d files to %(path)s.",
            manifest["files"], path=str(archive))))


@backup_commands.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace the database that is there now.")
@with_appcontext
def restore_command(archive: Path, yes: bool):
    """Put the database and uploaded files from ARCHIVE back. Stop the portal first."""
    from portal.db import db

    config = current_app.config
    db.engine.dispose()  # no connection of ours keeps the old file open
    with operator_language():
        try:
            manifest = restore_backup(archive, config["SQLALCHEMY_DATABASE_URI"],
                                      config["UPLOAD_FOLDER"], replace=yes)
        except BackupError as error:
            raise click.ClickException(str(error.message)) from None
        click.echo(str(lazy_ngettext(
            "Restored the database and %(num)d file from %(path)s.",
            "Restored the database and %(num)d files from %(path)s.",
            manifest["files"], path=str(archive))))
