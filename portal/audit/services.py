"""Writing and reading the audit trail."""

from __future__ import annotations

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
