"""Writing and reading the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, or_, select

from portal.audit.models import AuditEvent
from portal.auth.models import User
from portal.db import db
from portal.meetings.models import MeetingText


def record_event(
    actor: User | None,
    action: str,
    subject_type: str,
    subject_id: int | None,
    **details,
) -> AuditEvent:
    """Add an audit event to the session; the caller's commit makes it durable
    together with the change it describes."""
    event = AuditEvent(
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        details=details,
    )
    db.session.add(event)
    return event


# Kinds of event a reader can pick, by the start of their action names.
ACTION_GROUPS = {
    "people": ("person.", "invitation.", "roles."),
    "program": ("program.",),
    "meetings": ("meeting.",),
    "answers": ("rsvp.", "attendance."),
    "money": ("payment.", "enrollment.", "tax_details."),
    "materials": ("document.",),
}


@dataclass(frozen=True)
class AuditFilter:
    """Which events to show: by whom, of which kind, from and until which instants (UTC)."""

    actor_id: int | None = None
    group: str | None = None
    since: datetime | None = None
    until: datetime | None = None  # exclusive

    def apply(self, query: Select) -> Select:
        if self.actor_id is not None:
            query = query.where(AuditEvent.actor_id == self.actor_id)
        if self.group in ACTION_GROUPS:
            query = query.where(or_(*(AuditEvent.action.startswith(prefix, autoescape=True)
                                      for prefix in ACTION_GROUPS[self.group])))
        if self.since is not None:
            query = query.where(AuditEvent.created_at >= self.since)
        if self.until is not None:
            query = query.where(AuditEvent.created_at < self.until)
        return query


def audit_events(filters: AuditFilter | None = None) -> Select:
    """The audit events a filter picks, newest first."""
    query = select(AuditEvent).order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    return (filters or AuditFilter()).apply(query)


def audit_log_rows(filters: AuditFilter | None = None) -> Select:
    """Every audit event a filter picks, newest first, with the name of who did it (None
    for the system), in one query: (AuditEvent, actor's name)."""
    query = (
        select(AuditEvent, User.name)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    )
    return (filters or AuditFilter()).apply(query)


def audit_actors() -> list:
    """(id, name) of everyone who has done something in the log, by name: one query."""
    return db.session.execute(
        select(User.id, User.name)
        .where(User.id.in_(select(AuditEvent.actor_id).where(AuditEvent.actor_id.is_not(None))))
        .order_by(User.name, User.id)
    ).all()


def _person_ids(event: AuditEvent) -> set[int]:
    ids = {event.actor_id}
    if event.subject_type == "user":
        ids.add(event.subject_id)
    ids.add((event.details or {}).get("person_id"))
    return {i for i in ids if isinstance(i, int)}


def _meeting_ids(event: AuditEvent) -> set[int]:
    ids = set()
    if event.subject_type == "meeting":
        ids.add(event.subject_id)
    changes = (event.details or {}).get("changes") or {}
    if isinstance(changes, dict) and isinstance(changes.get("meeting_id"), dict):
        ids |= {changes["meeting_id"].get("from"), changes["meeting_id"].get("to")}
    return {i for i in ids if isinstance(i, int)}


def names_for(events: list[AuditEvent], language: str) -> tuple[dict[int, str], dict[int, str]]:
    """The names of the people and the titles of the meetings (in `language`, else the
    original) that these events refer to: one query for each, however many events."""
    person_ids = set().union(*(_person_ids(event) for event in events))
    meeting_ids = set().union(*(_meeting_ids(event) for event in events))
    people = dict(db.session.execute(
        select(User.id, User.name).where(User.id.in_(person_ids))).all()) if person_ids else {}
    meetings: dict[int, str] = {}
    if meeting_ids:
        for meeting_id, text_language, title, is_original in db.session.execute(
                select(MeetingText.meeting_id, MeetingText.language, MeetingText.title,
                       MeetingText.is_original)
                .where(MeetingText.meeting_id.in_(meeting_ids))):
            if text_language == language or (is_original and meeting_id not in meetings):
                meetings[meeting_id] = title
    return people, meetings
