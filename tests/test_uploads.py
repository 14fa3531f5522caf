"""Uploads: the type comes from the bytes, never the name; empty and oversized files are
refused with what was typed kept; files live under random names and are sent safely."""

from __future__ import annotations

import io
import os
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import select

from portal.db import db, utcnow
from portal.documents.files import FILE_TYPES, detect_type, display_name
from portal.documents.models import Document, DocumentKind, DocumentVersion
from portal.documents.services import VersionContent, create_document
from tests import sample_files

FORM = {"kind": "handout", "meeting": "", "language": "en", "title": "Map to City Hall",
        "body": "Take the Orange Line to State."}


def post_new(client, data: bytes, name: str, **fields):
    return client.post("/materials/new", data={**FORM, **fields,
                                               "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


@pytest.mark.parametrize(("data", "expected"), [
    (sample_files.PDF, "pdf"), (sample_files.png(), "png"), (sample_files.JPEG, "jpeg"),
    (sample_files.docx(), "docx"), (sample_files.odt(), "odt"),
    (b"MZ\x90\x00 windows program", None), (b"<html><script>alert(1)</script>", None),
    (sample_files.plain_zip(), None), (b"PK\x03\x04 broken zip", None), (b"GIF89a", None),
])
def test_type_is_decided_by_the_bytes(data, expected):
    found = detect_type(data)
    assert (found.code if found else None) == expected


@pytest.mark.parametrize("data", [b"MZ\x90\x00 a program", b"<html><script>x</script></html>",
                                  sample_files.plain_zip()])
def test_a_wrong_file_behind_a_right_name_is_refused_and_input_kept(as_role, people, data):
    response = post_new(as_role("facilitator"), data, "agenda.pdf")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "This file is not a PDF, Word (DOCX), OpenDocument text (ODT), PNG or JPEG" in page
    assert 'value="Map to City Hall"' in page and "Take the Orange Line to State." in page
    assert page.startswith("<!doctype html>") and "<title>Error:" in page
    assert db.session.scalars(select(Document)).all() == []


def test_an_empty_file_is_refused(as_role, people):
    page = post_new(as_role("facilitator"), b"", "empty.pdf").get_data(as_text=True)
    assert "The file is empty." in page and 'value="Map to City Hall"' in page
    assert db.session.scalars(select(Document)).all() == []


def test_a_file_over_the_limit_is_refused_with_the_limit_named(app, as_role, people,
                                                              monkeypatch, upload_folder):
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", 1024)
    before = set(os.listdir(upload_folder))
    page = post_new(as_role("facilitator"), sample_files.PDF + b"0" * 2000,
                    "big.pdf").get_data(as_text=True)
    assert "The file is larger than 1 KB." in page
    assert 'value="Map to City Hall"' in page
    assert set(os.listdir(upload_folder)) == before


def test_a_request_over_the_hard_limit_gets_a_clear_page(app, as_role, people, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2048)
    response = post_new(as_role("facilitator"), sample_files.PDF + b"0" * 5000, "huge.pdf")
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "The file is too large" in page and "Files can be up to 10 MB" in page


@pytest.mark.parametrize(("name", "shown"), [
    ("../../../etc/passwd.pdf", "passwd.pdf"),
    (".hidden.pdf", "hidden.pdf"),
    ("agenda\x00.exe", "agenda.pdf"),
    ("<script>.pdf", "script.pdf"),
    ("Orden del día.pdf", "Orden del día.pdf"),
])
def test_file_names_never_reach_the_disk(as_role, people, upload_folder, name, shown):
    before = set(os.listdir(upload_folder))
    response = post_new(as_role("facilitator"), sample_files.PDF, name)
    assert response.status_code == 302
    version = db.session.scalars(select(DocumentVersion)).one()
    assert version.file_name == shown
    added = set(os.listdir(upload_folder)) - before
    assert added == {version.file_key}
    assert len(version.file_key) == 32 and int(version.file_key, 16) >= 0
    assert (Path(upload_folder) / version.file_key).read_bytes() == sample_files.PDF


@pytest.mark.parametrize(("name", "shown"), [
    ("..\\..\\windows\\agenda.pdf", "agenda.pdf"),
    ("invoice\u202egpj.exe", "invoicegpj.pdf"),
    ("\u2067agenda\u2069 \u200fone.pdf", "agenda one.pdf"),
    ("agenda\r\nContent-Type: text/html.pdf", "html.pdf"),
    ("C:\\Users\\rosa\\Desktop\\notes.docx", "notes.pdf"),
    ("", "document.pdf"),
    ("....", "document.pdf"),
    ("a" * 300 + ".pdf", "a" * 120 + ".pdf"),
])
def test_display_names_keep_only_the_last_part(name, shown):
    assert display_name(name, FILE_TYPES["pdf"]) == shown


def test_downloads_carry_the_real_type_and_a_safe_name(as_role, people):
    client = as_role("facilitator")
    # A PNG that claims to be a Word file is sent as the PNG it is.
    response = post_new(client, sample_files.png(), "Mapa de la ciudad.docx")
    assert response.status_code == 302
    document = db.session.scalars(select(Document)).one()
    client.post(f"/materials/{document.id}/publish")
    download = as_role("member").get(f"/materials/{document.id}/files/en")
    assert download.status_code == 200
    assert download.data == sample_files.png()
    assert download.headers["Content-Type"] == "image/png"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename=\"Mapa de la ciudad.png\"" in disposition
    assert f"filename*=UTF-8''{quote('Mapa de la ciudad.png', safe='')}" in disposition
    assert as_role("member").get(f"/materials/{document.id}/files/es").status_code == 404


def test_non_ascii_names_get_an_ascii_fallback(as_role, people):
    client = as_role("facilitator")
    post_new(client, sample_files.docx(), "議程 第一次.docx")
    document = db.session.scalars(select(Document)).one()
    disposition = client.get(f"/materials/{document.id}/files/en").headers[
        "Content-Disposition"]
    assert disposition.isascii()
    assert "filename*=UTF-8''%E8%AD%B0%E7%A8%8B%20%E7%AC%AC%E4%B8%80%E6%AC%A1.docx" in disposition
    assert client.get(f"/materials/{document.id}/files/en").headers["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document")


def test_replacing_a_file_removes_the_old_one_after_saving(as_role, people, upload_folder):
    client = as_role("facilitator")
    post_new(client, sample_files.PDF, "first.pdf")
    document = db.session.scalars(select(Document)).one()
    old_key = document.original.file_key
    response = client.post(f"/materials/{document.id}/edit", data={
        **FORM, "file": (io.BytesIO(sample_files.odt()), "second.odt")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    db.session.expire_all()
    version = db.session.get(Document, document.id).original
    assert version.file_name == "second.odt" and version.file_type == "odt"
    assert not (Path(upload_folder) / old_key).exists()
    assert (Path(upload_folder) / version.file_key).exists()


def test_a_file_or_text_is_needed(as_role, people):
    response = as_role("facilitator").post("/materials/new", data={**FORM, "body": ""})
    assert "Write the text, or choose a file, or both." in response.get_data(as_text=True)


def test_a_refused_form_leaves_no_file_behind(as_role, people, upload_folder):
    before = set(os.listdir(upload_folder))
    response = post_new(as_role("facilitator"), sample_files.PDF, "agenda.pdf",
                        kind="agenda")  # an agenda without a meeting
    page = response.get_data(as_text=True)
    assert "Choose the meeting this agenda or these minutes are for." in page
    assert "Choose the file again" in page
    assert set(os.listdir(upload_folder)) == before


def test_a_file_stored_for_a_change_that_is_rolled_back_is_removed(program, people,
                                                                   upload_folder):
    document = create_document(
        people["facilitator"], program, kind=DocumentKind.HANDOUT, meeting=None,
        language="en", now=utcnow(),
        content=VersionContent("Map", None, upload=sample_files.upload(sample_files.PDF,
                                                                       "map.pdf")))
    stored = Path(upload_folder) / document.original.file_key
    assert stored.exists()
    db.session.rollback()
    assert not stored.exists()


# --- Files that lie about what they are, and names that try to leave the folder --------------

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(1)</script></svg>'
HTML_WITH_BOM = b"\xef\xbb\xbf<!DOCTYPE html><html><script>alert(1)</script></html>"


@pytest.mark.parametrize(("data", "name"), [
    (SVG, "agenda.pdf"), (HTML_WITH_BOM, "agenda.pdf"), (b"MZ\x90\x00\x03 program", "agenda.pdf"),
    (SVG, "map.png"), (b"GIF89a<script>alert(1)</script>", "map.jpg"),
    (b" %PDF-1.4 not really", "notes.pdf"), (b"<?xml version='1.0'?>" + SVG, "notes.docx"),
])
def test_markup_and_programs_behind_an_accepted_name_are_refused(as_role, people, upload_folder,
                                                                  data, name):
    before = set(os.listdir(upload_folder))
    response = post_new(as_role("facilitator"), data, name)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "This file is not a PDF, Word (DOCX), OpenDocument text (ODT), PNG or JPEG" in page
    assert 'value="Map to City Hall"' in page and "Take the Orange Line to State." in page
    assert set(os.listdir(upload_folder)) == before
    assert db.session.scalars(select(Document)).all() == []


@pytest.mark.parametrize(("data", "kind", "mimetype"), [
    (sample_files.png() + b"<html><script>alert(1)</script></html>", "png", "image/png"),
    (sample_files.JPEG[:4] + b"<html><body onload=alert(1)>", "jpeg", "image/jpeg"),
    (b"%PDF-1.4\n<html><script>alert(1)</script>", "pdf", "application/pdf"),
])
def test_a_polyglot_is_only_ever_sent_as_the_kind_it_starts_as(as_role, people, data, kind,
                                                                mimetype):
    client = as_role("facilitator")
    response = post_new(client, data, "page.html")
    assert response.status_code == 302
    document = db.session.scalars(select(Document)).one()
    assert document.original.file_type == kind
    assert not document.original.file_name.endswith(".html")
    download = client.get(f"/materials/{document.id}/files/en")
    assert download.status_code == 200 and download.data == data
    # A browser never renders it as a page: its own type, no sniffing, saved not shown.
    assert download.headers["Content-Type"] == mimetype
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "script-src 'self'" in download.headers["Content-Security-Policy"]


TRICKY_NAMES = [
    "../../etc/passwd",
    "..\\..\\x.pdf",
    "/etc/passwd",
    "C:\\Windows\\System32\\drivers\\etc\\hosts.pdf",
    "\\\\server\\share\\agenda.pdf",
    "agenda.pdf\x00.html",
    "\x00",
    "a" * 5000 + ".pdf",
    "agenda\nSecond line.pdf",
    "agenda\r\nContent-Type: text/html\r\n\r\n<script>alert(1)</script>.pdf",
    'agenda"; filename="evil.html',
    "invoice\u202egpj.pdf",
    "agenda%0ASecond line.pdf",  # how browsers send a line break in a name
    "agenda%0D%0AContent-Type: text/html.pdf",
    "~/.ssh/authorized_keys",
    "%2e%2e%2fagenda.pdf",
]


def _everything_under(folder: Path) -> set[str]:
    return {str(path.relative_to(folder)) for path in folder.rglob("*")}


@pytest.mark.parametrize("name", TRICKY_NAMES)
def test_tricky_file_names_are_neutralised(as_role, people, upload_folder, name):
    uploads = Path(upload_folder)
    around = uploads.parent
    before_around, before = _everything_under(around), set(os.listdir(uploads))
    client = as_role("facilitator")
    response = post_new(client, sample_files.PDF, name)
    assert response.status_code in (200, 302)
    added = set(os.listdir(uploads)) - before
    assert _everything_under(around) - before_around == {
        str((uploads / key).relative_to(around)) for key in added}
    if response.status_code == 200:  # refused: what was typed is still there
        page = response.get_data(as_text=True)
        assert 'value="Map to City Hall"' in page and added == set()
        return
    version = db.session.scalars(select(DocumentVersion)).one()
    if version.file_key is None:
        # A line break inside the name breaks the part's header: what arrives is no file.
        assert added == set() and version.title == "Map to City Hall"
        return
    assert added == {version.file_key}
    shown = version.file_name
    assert shown.endswith(".pdf") and len(shown) <= 124
    assert not any(ch in shown for ch in "/\\\x00\r\n\"\u202e")
    assert not shown.startswith(".")
    download = client.get(f"/materials/{version.document_id}/files/en")
    assert download.status_code == 200
    disposition = download.headers["Content-Disposition"]
    assert "\r" not in disposition and "\n" not in disposition
    assert disposition.count("filename=") == 1 and disposition.count("filename*=") == 1
    assert download.headers["Content-Type"] == "application/pdf"
    page = client.get(f"/materials/{version.document_id}").get_data(as_text=True)
    assert "<script>alert(1)" not in page


def test_a_missing_stored_file_is_a_404_not_an_error(as_role, people, upload_folder):
    client = as_role("facilitator")
    post_new(client, sample_files.PDF, "agenda.pdf")
    version = db.session.scalars(select(DocumentVersion)).one()
    (Path(upload_folder) / version.file_key).unlink()
    assert client.get(f"/materials/{version.document_id}/files/en").status_code == 404


@pytest.mark.parametrize("key", ["../portal.sqlite3", "/etc/passwd", "..", "", "A" * 32,
                                 "0" * 31 + "/", "0" * 32 + "\n"])
def test_a_stored_key_never_leads_outside_the_folder(app, key):
    from portal.documents.files import path_of

    with app.app_context(), pytest.raises(FileNotFoundError):
        path_of(key)
