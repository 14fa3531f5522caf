"""Rules for documents: writing, language versions, publishing, who may read them,
and the requests members make for a translation."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.orm import aliased, selectinload

from portal.audit.services import record_event
from portal.auth.models import Role, User
from portal.db import RowPage, db, insert_unless_present, paginate_rows
from portal.documents import files
from portal.documents.models import (
    Document,
    DocumentKind,
    DocumentStatus,
    DocumentVersion,
    RequestStatus,
    TranslationRequest,
)
from portal.i18n import LANGUAGE_BY_CODE
from portal.meetings.models import Meeting
from portal.meetings.services import is_program_member, program_members
from portal.outbox.services import external_url, notify
from portal.programs.models import Program
from portal.rules import RuleError

EDITORS = (Role.FACILITATOR, Role.ADMIN)
MEETING_KINDS = (DocumentKind.AGENDA, DocumentKind.MINUTES)


class DocumentRuleError(RuleError):
    """A document or version that breaks a rule; `field` names the form field."""


class TranslationExists(Exception):
    """The document is already there in the language asked for."""


@dataclass
class Upload:
    data: bytes
    filename: str | None


@dataclass
class VersionContent:
    title: str
    body: str | None
    upload: Upload | None = None
    remove_file: bool = False


def can_edit(user: User) -> bool:
    return user.has_role(*EDITORS)


def can_read(user: User, document: Document) -> bool:
    """Editors see everything; others see published documents of their own program."""
    if can_edit(user):
        return True
    if not document.is_published:
        return False
    return user.is_staff or is_program_member(user, document.program_id)


def _write(actor: User, version: DocumentVersion, content: VersionContent,
           now: datetime) -> bool:
    """Put the content into the version; True when anything a reader sees changed."""
    changed = (version.title, version.body) != (content.title, content.body)
    version.title, version.body = content.title, content.body
    if content.upload is not None:
        file_type = files.detect_type(content.upload.data)
        if file_type is None:
            raise DocumentRuleError("file", _l(
                "This file is not a PDF, Word (DOCX), OpenDocument text (ODT), PNG or JPEG "
                "file. Choose a file of one of those kinds."))
        if version.file_key:
            files.remove_after_commit(db.session, version.file_key)
        version.file_key = files.store(content.upload.data)
        files.keep_until_rollback(db.session, version.file_key)
        version.file_name = files.display_name(content.upload.filename, file_type)
        version.file_type = file_type.code
        version.file_size = len(content.upload.data)
        changed = True
    elif content.remove_file and version.file_key:
        files.remove_after_commit(db.session, version.file_key)
        version.file_key = version.file_name = version.file_type = version.file_size = None
        changed = True
    if not version.body and not version.file_key:
        raise DocumentRuleError("body", _l("Write the text, or choose a file, or both."))
    if changed:
        version.written_by_id, version.written_at = actor.id, now
    return changed


def _check_meeting(program: Program, kind: DocumentKind, meeting: Meeting | None) -> None:
    if meeting is not None and meeting.program_id != program.id:
        raise DocumentRuleError("meeting", _l("Choose one of the options."))
    if kind in MEETING_KINDS and meeting is None:
        raise DocumentRuleError("meeting",
                                _l("Choose the meeting this agenda or these minutes are for."))


def added_with(submission_key: str | None) -> Document | None:
    """The document a filled-in form already added, if it was sent before."""
    if not submission_key:
        return None
    return db.session.scalars(
        select(Document).where(Document.submission_key == submission_key)).first()


def create_document(actor: User, program: Program, *, kind: DocumentKind,
                    meeting: Meeting | None, language: str, content: VersionContent,
                    now: datetime, submission_key: str | None = None) -> Document:
    """A new draft, with its original version in the language it was written in.
    Callers check `added_with` first when they pass a `submission_key`."""
    _check_meeting(program, kind, meeting)
    original = DocumentVersion(language=language, is_original=True)
    _write(actor, original, content, now)
    document = Document(program=program, meeting=meeting, kind=kind, created_by_id=actor.id,
                        created_at=now, versions=[original], submission_key=submission_key)
    db.session.add(document)
    db.session.flush()
    record_event(actor, "document.created", "document", document.id, kind=str(kind),
                 language=language, title=content.title,
                 meeting_id=meeting.id if meeting else None)
    return document


def update_document(actor: User, document: Document, *, kind: DocumentKind,
                    meeting: Meeting | None, content: VersionContent, now: datetime) -> None:
    """Change what the document is and its original. Translations written before
    this change show as possibly out of date."""
    _check_meeting(document.program, kind, meeting)
    before = {"kind": str(document.kind), "meeting_id": document.meeting_id}
    document.kind, document.meeting = kind, meeting
    text_changed = _write(actor, document.original, content, now)
    after = {"kind": str(kind), "meeting_id": meeting.id if meeting else None}
    changes = {key: {"from": before[key], "to": after[key]} for key in after
               if before[key] != after[key]}
    if text_changed:
        changes["original"] = {"language": document.original.language,
                               "title": content.title}
    if changes:
        record_event(actor, "document.updated", "document", document.id, changes=changes)


def set_version(actor: User, document: Document, language: str, content: VersionContent,
                now: datetime) -> tuple[DocumentVersion, int]:
    """Add or replace the version in `language`. Adding one closes the open requests
    for it and emails each person who asked. Returns the version and how many
    requests were closed."""
    if language not in LANGUAGE_BY_CODE:
        raise DocumentRuleError("language", _l("Choose one of the options."))
    if language == document.original.language:
        raise DocumentRuleError("language", _l(
            "This is the language of the original. Change the original on its own page."))
    version = document.version_in(language)
    if version is not None:
        if _write(actor, version, content, now):
            record_event(actor, "document.version_replaced", "document", document.id,
                         language=language, title=content.title)
        return version, 0
    version = DocumentVersion(language=language, is_original=False)
    _write(actor, version, content, now)
    document.versions.append(version)
    db.session.flush()
    closed = _close_requests(document, version, now)
    record_event(actor, "document.version_added", "document", document.id, language=language,
                 title=content.title, requests_closed=closed)
    return version, closed


def _close_requests(document: Document, version: DocumentVersion, now: datetime) -> int:
    requests = db.session.scalars(
        select(TranslationRequest).options(selectinload(TranslationRequest.requester))
        .where(TranslationRequest.document_id == document.id,
               TranslationRequest.language == version.language,
               TranslationRequest.status == RequestStatus.OPEN)
        .order_by(TranslationRequest.id)
    ).all()
    link = external_url("documents.document", document_id=document.id,
                        language=version.language)
    for request in requests:
        request.status, request.closed_at = RequestStatus.DONE, now
        if request.requester.active:
            notify(request.requester, "translation_ready", document=document,
                   version=version, link=link)
    return len(requests)


def publish_document(actor: User, document: Document, now: datetime) -> int:
    """Make a draft visible to the program's members and email those who want to
    hear about new materials, each in their own language. Returns emails queued."""
    if document.is_published:
        return 0
    document.status, document.published_at = DocumentStatus.PUBLISHED, now
    record_event(actor, "document.published", "document", document.id,
                 kind=str(document.kind), title=document.original.title)
    link = external_url("documents.document", document_id=document.id)
    queued = 0
    for member in program_members(document.program):
        if member.notify_new_materials and notify(
                member, "document_published", document=document,
                version=version_for(document, member.preferred_language), link=link):
            queued += 1
    return queued


def version_for(document: Document, language: str) -> DocumentVersion:
    """The version in `language`, or the original."""
    return document.version_in(language) or document.original


def request_translation(user: User, document: Document, language: str,
                        now: datetime) -> bool:
    """Ask for `document` in `language`. True when this is a new request; asking
    again changes nothing. Safe when two requests arrive at once."""
    if language not in LANGUAGE_BY_CODE:
        raise DocumentRuleError("language", _l("Choose one of the options."))
    if document.version_in(language) is not None:
        raise TranslationExists
    values = {"document_id": document.id, "language": language, "requester_id": user.id,
              "status": RequestStatus.OPEN.value, "created_at": now}
    return insert_unless_present(TranslationRequest, values)


def open_request(user: User, document: Document, language: str) -> TranslationRequest | None:
    return db.session.scalars(select(TranslationRequest).where(
        TranslationRequest.document_id == document.id, TranslationRequest.language == language,
        TranslationRequest.requester_id == user.id,
        TranslationRequest.status == RequestStatus.OPEN)).first()


def documents_waiting(program: Program) -> Select:
    """(document id, waiting since) for each of the program's documents with open
    translation requests, the longest-waiting first."""
    waiting_since = func.min(TranslationRequest.created_at)
    return (
        select(TranslationRequest.document_id, waiting_since)
        .join(Document, Document.id == TranslationRequest.document_id)
        .where(Document.program_id == program.id,
               TranslationRequest.status == RequestStatus.OPEN)
        .group_by(TranslationRequest.document_id)
        .order_by(waiting_since, TranslationRequest.document_id)
    )


@dataclass
class RequestGroup:
    language: str
    count: int
    since: datetime


def open_requests(program: Program, page: int, per_page: int) -> RowPage:
    """One page of documents with open requests, the longest-waiting first, each as
    (document, [RequestGroup by language, longest-waiting first]); a document has at
    most one group per language, and its meeting loaded. Six queries whatever the
    size of the queue."""
    waiting_since = func.min(TranslationRequest.created_at)
    documents_page = paginate_rows(documents_waiting(program), page, per_page)
    ids = [document_id for document_id, _since in documents_page.items]
    groups: dict[int, list[RequestGroup]] = {document_id: [] for document_id in ids}
    if ids:
        rows = db.session.execute(
            select(TranslationRequest.document_id, TranslationRequest.language,
                   func.count(TranslationRequest.id), waiting_since)
            .where(TranslationRequest.document_id.in_(ids),
                   TranslationRequest.status == RequestStatus.OPEN)
            .group_by(TranslationRequest.document_id, TranslationRequest.language)
            .order_by(waiting_since, TranslationRequest.language))
        for document_id, language, count, since in rows:
            groups[document_id].append(RequestGroup(language, count, since))
    documents = {d.id: d for d in db.session.scalars(
        select(Document).options(selectinload(Document.meeting).lazyload(Meeting.texts))
        .where(Document.id.in_(ids)))} if ids else {}
    return replace(documents_page,
                   items=[(documents[document_id], groups[document_id]) for document_id in ids])


def outdated_translations(program: Program, limit: int) -> RowPage:
    """Versions written before their original last changed, the oldest first, as
    (version, when its meeting starts or None); the first `limit` of them and how
    many there are, in two statements. Updating one takes it off the list."""
    original = aliased(DocumentVersion)
    query = (
        select(DocumentVersion, Meeting.starts_at)
        .join(Document, Document.id == DocumentVersion.document_id)
        .join(original, and_(original.document_id == Document.id,
                             original.is_original.is_(True)))
        .outerjoin(Meeting, Meeting.id == Document.meeting_id)
        .where(Document.program_id == program.id, DocumentVersion.is_original.is_(False),
               DocumentVersion.written_at < original.written_at)
        .order_by(DocumentVersion.written_at, DocumentVersion.id)
    )
    return paginate_rows(query, 1, limit)


def materials_query(program: Program, *, include_drafts: bool, meeting_id: int | None = None,
                    kind: DocumentKind | None = None) -> Select:
    """The program's documents, newest meeting first, then those without a meeting
    by when they were published."""
    query = (
        select(Document).outerjoin(Meeting, Meeting.id == Document.meeting_id)
        .options(selectinload(Document.meeting).selectinload(Meeting.texts))
        .where(Document.program_id == program.id)
    )
    if not include_drafts:
        query = query.where(Document.status == DocumentStatus.PUBLISHED)
    if meeting_id is not None:
        query = query.where(Document.meeting_id == meeting_id)
    if kind is not None:
        query = query.where(Document.kind == kind)
    return query.order_by(
        case((Document.meeting_id.is_(None), 1), else_=0),
        Meeting.starts_at.desc(),
        func.coalesce(Document.published_at, Document.created_at).desc(),
        Document.id.desc(),
    )


def meetings_with_materials(program: Program, *, include_drafts: bool) -> list[Meeting]:
    """The program's meetings that have at least one document the reader may see,
    newest first."""
    documents = select(Document.id).where(Document.meeting_id == Meeting.id)
    if not include_drafts:
        documents = documents.where(Document.status == DocumentStatus.PUBLISHED)
    return list(db.session.scalars(
        select(Meeting).where(Meeting.program_id == program.id, documents.exists())
        .order_by(Meeting.starts_at.desc())))


def meeting_documents(meeting: Meeting, *, include_drafts: bool) -> list[Document]:
    query = select(Document).where(Document.meeting_id == meeting.id).order_by(Document.id)
    if not include_drafts:
        query = query.where(Document.status == DocumentStatus.PUBLISHED)
    return list(db.session.scalars(query))
