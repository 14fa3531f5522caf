"""Agendas, minutes and materials, their versions in each language, and requests
for a translation that is not there yet."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.auth.models import User
from portal.db import UTCDateTime, db, utcnow
from portal.enums import string_enum
from portal.meetings.models import Meeting
from portal.programs.models import Program


class DocumentKind(enum.StrEnum):
    AGENDA = "agenda"
    MINUTES = "minutes"
    READING = "reading"
    HANDOUT = "handout"


class DocumentStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class RequestStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"


class Document(db.Model):
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), index=True)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"), index=True)
    kind: Mapped[DocumentKind] = mapped_column(string_enum(DocumentKind))
    status: Mapped[DocumentStatus] = mapped_column(
        string_enum(DocumentStatus), default=DocumentStatus.DRAFT
    )
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # One key per filled-in form, so sending the same form twice adds one document.
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)

    program: Mapped[Program] = relationship()
    meeting: Mapped[Meeting | None] = relationship()
    versions: Mapped[list[DocumentVersion]] = relationship(
        back_populates="document", cascade="all, delete-orphan", lazy="selectin",
        order_by="DocumentVersion.id",
    )

    @property
    def is_published(self) -> bool:
        return self.status == DocumentStatus.PUBLISHED

    @property
    def original(self) -> DocumentVersion:
        return next(version for version in self.versions if version.is_original)

    def version_in(self, language: str) -> DocumentVersion | None:
        return next((v for v in self.versions if v.language == language), None)

    def is_out_of_date(self, version: DocumentVersion) -> bool:
        """A translation written before the original's last change may not match it."""
        return not version.is_original and version.written_at < self.original.written_at


class DocumentVersion(db.Model):
    """A document in one language: a title, a Markdown body and/or a file."""

    __tablename__ = "document_versions"
    __table_args__ = (UniqueConstraint("document_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)
    # The stored file's random name; the person's own file name is only shown.
    file_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    file_name: Mapped[str | None] = mapped_column(String(160))
    file_type: Mapped[str | None] = mapped_column(String(8))
    file_size: Mapped[int | None] = mapped_column(Integer)
    is_original: Mapped[bool] = mapped_column(Boolean, default=False)
    written_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    written_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    document: Mapped[Document] = relationship(back_populates="versions")
    written_by: Mapped[User | None] = relationship()


class TranslationRequest(db.Model):
    """A member asking for a document in their language; one per person and language."""

    __tablename__ = "translation_requests"
    __table_args__ = (UniqueConstraint("document_id", "language", "requester_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    language: Mapped[str] = mapped_column(String(10))
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[RequestStatus] = mapped_column(
        string_enum(RequestStatus), default=RequestStatus.OPEN
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    document: Mapped[Document] = relationship()
    requester: Mapped[User] = relationship()
