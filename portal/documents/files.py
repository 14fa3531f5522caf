"""Uploaded files: what they really are, where they are kept, and how they are sent.

The type is decided from the file's own bytes, never from its name or from what
the browser says. Files live outside the static folder under random names.
"""

from __future__ import annotations

import io
import os
import re
import secrets
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from flask import current_app
from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import event
from sqlalchemy.orm import Session

ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"


@dataclass(frozen=True)
class FileType:
    code: str
    mimetype: str
    extension: str


FILE_TYPES = {
    "pdf": FileType("pdf", "application/pdf", ".pdf"),
    "docx": FileType(
        "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ".docx"),
    "odt": FileType("odt", "application/vnd.oasis.opendocument.text", ".odt"),
    "png": FileType("png", "image/png", ".png"),
    "jpeg": FileType("jpeg", "image/jpeg", ".jpg"),
}


class UploadRefused(ValueError):
    """A file that is empty, too large, or not one of the kinds we accept."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # "empty", "too_large" or "type"


def _zip_type(data: bytes) -> str | None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
        if not entries:
            return None
        first = entries[0]
        if first.filename == "mimetype" and first.file_size <= 100:
            if archive.read(first).strip() == ODT_MIMETYPE:
                return "odt"
            return None
        names = {entry.filename for entry in entries}
        if "[Content_Types].xml" in names and any(n.startswith("word/") for n in names):
            return "docx"
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        return None
    return None


def detect_type(data: bytes) -> FileType | None:
    """The kind of file these bytes are, if it is one we accept."""
    if data.startswith(b"%PDF-"):
        return FILE_TYPES["pdf"]
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return FILE_TYPES["png"]
    if data.startswith(b"\xff\xd8\xff"):
        return FILE_TYPES["jpeg"]
    if data.startswith(b"PK\x03\x04"):
        code = _zip_type(data)
        return FILE_TYPES[code] if code else None
    return None


def read_upload(stream, limit: int) -> bytes:
    """At most `limit` bytes from the upload; refuses empty and larger files."""
    data = stream.read(limit + 1)
    if not data:
        raise UploadRefused("empty")
    if len(data) > limit:
        raise UploadRefused("too_large")
    return data


# Control characters, characters Windows refuses in names, and the invisible
# direction marks that can make "invoice\u202egpj.exe" look like "invoiceexe.jpg".
_UNSAFE = re.compile(r"[\x00-\x1f\x7f<>:\"|?*\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def display_name(filename: str | None, file_type: FileType) -> str:
    """The person's file name, only to show and to offer on download: no folders,
    no control characters, no hidden-file dots, and the extension of what it really is."""
    name = unicodedata.normalize("NFC", filename or "")
    name = re.split(r"[/\\]", name)[-1]
    name = _UNSAFE.sub("", name).strip().lstrip(".").strip()
    stem = os.path.splitext(name)[0].strip() or "document"
    return stem[:120] + file_type.extension


def readable_size(size: int) -> str:
    """A file size in the reader's language: "350 KB", "2.5 MB"."""
    if size < 1024 * 1024:
        return _("%(size)s KB", size=format_decimal(max(1, round(size / 1024))))
    return _("%(size)s MB", size=format_decimal(round(size / (1024 * 1024), 1)))


def upload_folder() -> Path:
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def store(data: bytes) -> str:
    """Keep the bytes under a new random name and return that name."""
    key = secrets.token_hex(16)
    folder = upload_folder()
    fd, tmp_name = tempfile.mkstemp(dir=folder, suffix=".part")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp_name, folder / key)
    return key


def path_of(key: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{32}", key or ""):
        raise FileNotFoundError(key)
    return upload_folder() / key


def content_disposition(filename: str) -> str:
    """attachment, with an ASCII fallback name and the real one in RFC 5987 form."""
    fallback = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    fallback = re.sub(r"[^A-Za-z0-9._ -]", "_", fallback).strip() or "document"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


# Files follow the transaction that refers to them: a replaced file is removed
# once the change is committed, a new file once its change is rolled back.

def keep_until_rollback(session, key: str) -> None:
    session.info.setdefault("files_added", []).append(path_of(key))


def remove_after_commit(session, key: str) -> None:
    session.info.setdefault("files_replaced", []).append(path_of(key))


@event.listens_for(Session, "after_commit")
def _after_commit(session) -> None:
    session.info.pop("files_added", None)
    for path in session.info.pop("files_replaced", []):
        path.unlink(missing_ok=True)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session, previous_transaction) -> None:
    if previous_transaction.nested:
        return
    session.info.pop("files_replaced", None)
    for path in session.info.pop("files_added", []):
        path.unlink(missing_ok=True)
