"""Writing and reading the audit trail."""

from __future__ import annotations

from sqlalchemy import Select, select

from portal.audit.models import AuditEvent
from portal.auth.models import User
from portal.db import db


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


def audit_log_rows() -> Select:
    """Every audit event, newest first, with the name of who did it (None for the
    system), in one query: (AuditEvent, actor's name)."""
    return (
        select(AuditEvent, User.name)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    )
