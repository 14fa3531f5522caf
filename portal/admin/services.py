"""Adding people, giving and taking roles, and inviting them in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.audit.services import record_event
from portal.auth.models import Role, RoleGrant, TokenPurpose, User
from portal.auth.services import (
    PersonRuleError,
    check_sign_in_names_free,
    issue_token,
    normalise_identifier,
)
from portal.db import db
from portal.outbox.services import external_url, queue_email
from portal.programs.models import Enrollment, EnrollmentStatus, Program
from portal.programs.services import enroll
from portal.texts.models import ConsentSource, ReachBy
from portal.texts.services import TextRuleError, choose_ways


@dataclass(frozen=True)
class Invitation:
    user: User
    link: str
    emailed: bool


def _checked_sign_in_names(
    user: User | None, email: str | None, username: str | None, roles: set[Role]
) -> tuple[str | None, str | None]:
    """Normalised email and username, after the rules every person must meet."""
    email = normalise_identifier(email) if email else None
    username = normalise_identifier(username) if username else None
    if not email and not username:
        raise PersonRuleError(
            "email", _l("Give an email address or a username so this person can sign in.")
        )
    if not roles:
        raise PersonRuleError("roles", _l("Choose at least one role."))
    check_sign_in_names_free(user, email, username)
    return email, username


def add_person(
    actor: User,
    program: Program,
    *,
    name: str,
    email: str | None,
    username: str | None,
    phone: str | None,
    preferred_language: str,
    roles: set[Role],
    reach_by: ReachBy | None,
    now: datetime,
    invitation_lifetime,
) -> Invitation:
    """Add a selected person, enroll them, and invite them in their language.

    A person needs an email address or a username to sign in with. Members are
    enrolled in the program with its stipend.
    """
    email, username = _checked_sign_in_names(None, email, username, roles)
    user = User(
        name=name.strip(),
        email=email,
        username=username,
        phone=(phone or "").strip() or None,
        preferred_language=preferred_language,
        role_grants=[RoleGrant(role=role) for role in sorted(roles)],
    )
    db.session.add(user)
    db.session.flush()
    _choose_ways_for(actor, user, reach_by, now, new_number=False)
    if Role.MEMBER in roles:
        enroll(user, program)
    record_event(
        actor, "person.added", "user", user.id,
        roles=sorted(role.value for role in roles), program_id=program.id,
    )
    return invite(actor, user, program, now=now, lifetime=invitation_lifetime)


def invite(actor: User, user: User, program: Program, *, now: datetime, lifetime) -> Invitation:
    """Issue a fresh invitation link (older ones stop working) and email it if we can."""
    raw = issue_token(user, TokenPurpose.INVITATION, now, lifetime)
    link = external_url("auth.accept_invitation", token=raw)
    message = queue_email(user, "invitation", link=link, program_name=program.name)
    record_event(
        actor, "invitation.sent", "user", user.id,
        delivery="email" if message else "printed",
    )
    return Invitation(user=user, link=link, emailed=message is not None)


def update_person(
    actor: User,
    user: User,
    program: Program,
    *,
    name: str,
    email: str | None,
    username: str | None,
    phone: str | None,
    preferred_language: str,
    roles: set[Role],
    reach_by: ReachBy | None,
    now: datetime,
) -> None:
    """Change a person's details, roles and the ways they are reached; role
    changes are audited, consent to texts goes into the ledger."""
    if user.id == actor.id and Role.ADMIN not in roles:
        raise PersonRuleError("roles", _l("You cannot remove your own admin role."))
    email, username = _checked_sign_in_names(user, email, username, roles)
    user.name = name.strip()
    user.email = email
    user.username = username
    new_number = ((phone or "").strip() or None) != user.phone
    user.phone = (phone or "").strip() or None
    user.preferred_language = preferred_language
    _choose_ways_for(actor, user, reach_by, now, new_number)
    set_roles(actor, user, program, roles)


def _choose_ways_for(actor: User, user: User, reach_by: ReachBy | None, now: datetime,
                     new_number: bool) -> None:
    """Staff record the ways a person chose, from a form or a call (None: as before)."""
    if reach_by is None:
        return
    try:
        choose_ways(user, reach_by, ConsentSource.PAPER, now, actor, new_number)
    except TextRuleError as error:
        raise PersonRuleError(error.field, error.message) from error


def set_roles(actor: User, user: User, program: Program, roles: set[Role]) -> None:
    current = user.roles
    if current == roles:
        return
    user.role_grants = [g for g in user.role_grants if g.role in roles] + [
        RoleGrant(role=role) for role in sorted(roles - current)
    ]
    if Role.MEMBER in roles:
        enroll(user, program)
    elif Role.MEMBER in current:
        # History stays: the enrollment is marked withdrawn, not deleted.
        for enrollment in db.session.scalars(
            select(Enrollment).where(
                Enrollment.user_id == user.id, Enrollment.program_id == program.id
            )
        ):
            enrollment.status = EnrollmentStatus.WITHDRAWN
    record_event(
        actor, "roles.changed", "user", user.id,
        added=sorted(r.value for r in roles - current),
        removed=sorted(r.value for r in current - roles),
    )


def set_active(actor: User, user: User, active: bool) -> None:
    """Deactivate (or reactivate) a person. Nothing of their history is removed;
    a deactivated person is signed out everywhere and cannot sign in."""
    if user.id == actor.id and not active:
        raise PersonRuleError("active", _l("You cannot deactivate yourself."))
    if user.active == active:
        return
    user.active = active
    record_event(actor, "person.reactivated" if active else "person.deactivated", "user", user.id)
