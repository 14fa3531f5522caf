"""Adding people, giving and taking roles, and inviting them in."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.audit.services import record_event
from portal.auth.models import (
    GrantStatus,
    Role,
    RoleGrant,
    RoleGrantRequest,
    TokenPurpose,
    User,
)
from portal.auth.services import (
    PersonRuleError,
    change_sign_in_identity,
    check_sign_in_names_free,
    end_every_session,
    issue_sign_in_code,
    issue_token,
    normalise_identifier,
)
from portal.db import db
from portal.outbox.services import external_url, queue_email
from portal.programs.models import Enrollment, EnrollmentStatus, Program
from portal.programs.services import enroll
from portal.texts.models import ConsentSource, ReachBy
from portal.texts.services import TextRuleError, choose_ways

# Roles a second person must confirm before they are given: money never moves on the
# word of one admin alone.
CONFIRMED_BY_A_SECOND_PERSON = frozenset({Role.FINANCE})
# Who may confirm such a role.
CONFIRMERS = (Role.FINANCE, Role.ADMIN)


class EnrollmentDecisionNeeded(Exception):
    """Taking away the member role from someone enrolled needs an answer about their
    enrollment first: keep it, or withdraw it."""

    def __init__(self, enrollment: Enrollment):
        super().__init__("enrollment decision needed")
        self.enrollment = enrollment


class EnrollmentDecision(enum.StrEnum):
    KEEP = "keep"
    WITHDRAW = "withdraw"


@dataclass(frozen=True)
class Invitation:
    """A sign-in link sent (or to hand over): an invitation, or a password reset for
    someone who already has a password."""

    user: User
    link: str
    emailed: bool
    address: str | None = None
    is_reset: bool = False
    # For a person without email: a short code for the printed sheet, and when it ends.
    code: str | None = None
    expires_at: datetime | None = None


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
    reach_by: ReachBy | None = None,
    now: datetime,
    invitation_lifetime,
) -> Invitation:
    """Add a selected person, enroll them, and invite them in their language.

    A person needs an email address or a username to sign in with. Members are
    enrolled in the program with its stipend. Finance rights wait for a second
    person to confirm them.
    """
    email, username = _checked_sign_in_names(None, email, username, roles)
    given = roles - CONFIRMED_BY_A_SECOND_PERSON
    user = User(
        name=name.strip(),
        email=email,
        username=username,
        phone=(phone or "").strip() or None,
        preferred_language=preferred_language,
        role_grants=[RoleGrant(role=role) for role in sorted(given)],
    )
    db.session.add(user)
    db.session.flush()
    _choose_ways_for(actor, user, reach_by, now, new_number=False)
    if Role.MEMBER in given:
        enroll(user, program)
    record_event(
        actor, "person.added", "user", user.id,
        roles=sorted(role.value for role in given), program_id=program.id,
    )
    for role in sorted(roles & CONFIRMED_BY_A_SECOND_PERSON):
        request_role(actor, user, role, now)
    return invite(actor, user, program, now=now, lifetime=invitation_lifetime)


def invite(actor: User, user: User, program: Program, *, now: datetime, lifetime) -> Invitation:
    """Issue a fresh invitation link (older ones stop working) and email it if we can.

    Only for someone who never set a password: an invitation lets its holder choose
    the password, so on any other account it would be a way in for whoever got it.
    Without email, the admin prints a sheet: the link as a QR code, and a short
    code to type at the sign-in code page.
    """
    if user.password_hash:
        raise PersonRuleError(
            "link", _l("This person already has a password, so they get a link to "
                       "choose a new one instead of an invitation."))
    raw = issue_token(user, TokenPurpose.INVITATION, now, lifetime)
    link = external_url("auth.accept_invitation", token=raw)
    message = queue_email(user, "invitation", link=link,
                          program_name=program.name_in(user.preferred_language).text)
    record_event(
        actor, "invitation.sent", "user", user.id,
        delivery="email" if message else "printed",
    )
    if message is None:
        return Invitation(user=user, link=link, emailed=False,
                          code=issue_sign_in_code(user, now, lifetime),
                          expires_at=now + lifetime)
    return Invitation(user=user, link=link, emailed=True, address=user.email)


def send_sign_in_link(actor: User, user: User, program: Program, *, now: datetime,
                      invitation_lifetime, reset_lifetime) -> Invitation:
    """An invitation for someone who never set a password; for anyone else a password
    reset, emailed only to the address they had before staff last changed it."""
    if not user.password_hash:
        return invite(actor, user, program, now=now, lifetime=invitation_lifetime)
    address = user.reset_address
    if not address:
        raise PersonRuleError(
            "link", _l("This person already has a password and no email address, so no "
                       "link can be sent. They sign in with their password."))
    raw = issue_token(user, TokenPurpose.PASSWORD_RESET, now, reset_lifetime)
    link = external_url("auth.reset_password", token=raw)
    queue_email(user, "password_reset", address=address, link=link)
    record_event(actor, "password_reset.sent", "user", user.id, to=address)
    return Invitation(user=user, link=link, emailed=True, address=address, is_reset=True)


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
    enrollment_decision: EnrollmentDecision | None = None,
    reach_by: ReachBy | None = None,
    now: datetime,
) -> set[Role]:
    """Change a person's details, roles and the ways they are reached; role and
    sign-in changes are audited, consent to texts goes into the ledger.

    Taking away the member role never touches the enrollment silently: without a
    decision it raises EnrollmentDecisionNeeded. Returns the roles that now wait
    for a second person.
    """
    email, username = _checked_sign_in_names(user, email, username, roles)
    check_own_roles(actor, user, roles)
    if enrollment_decision is None and Role.MEMBER in user.roles - roles:
        enrollment = active_enrollment(user, program)
        if enrollment is not None:
            raise EnrollmentDecisionNeeded(enrollment)
    change_sign_in_identity(actor, user, email=email, username=username)
    user.name = name.strip()
    new_number = ((phone or "").strip() or None) != user.phone
    user.phone = (phone or "").strip() or None
    user.preferred_language = preferred_language
    _choose_ways_for(actor, user, reach_by, now, new_number)
    pending = set_roles(actor, user, program, roles, now=now)
    if enrollment_decision == EnrollmentDecision.WITHDRAW:
        withdraw(actor, user, program)
    return pending


def active_enrollment(user: User, program: Program) -> Enrollment | None:
    return db.session.scalars(select(Enrollment).where(
        Enrollment.user_id == user.id, Enrollment.program_id == program.id,
        Enrollment.status == EnrollmentStatus.ACTIVE)).first()


def withdraw(actor: User, user: User, program: Program) -> None:
    """Mark the person's enrollment withdrawn; history stays."""
    enrollment = active_enrollment(user, program)
    if enrollment is None:
        return
    enrollment.status = EnrollmentStatus.WITHDRAWN
    record_event(actor, "enrollment.withdrawn", "enrollment", enrollment.id,
                 member=user.name, program_id=program.id)


def _choose_ways_for(actor: User, user: User, reach_by: ReachBy | None, now: datetime,
                     new_number: bool) -> None:
    """Staff record the ways a person chose, from a form or a call (None: as before)."""
    if reach_by is None:
        return
    try:
        choose_ways(user, reach_by, ConsentSource.PAPER, now, actor, new_number)
    except TextRuleError as error:
        raise PersonRuleError(error.field, error.message) from error


def check_own_roles(actor: User, user: User, roles: set[Role]) -> None:
    """Nobody changes their own roles, by any page or command."""
    if user.id == actor.id and roles != user.roles:
        raise PersonRuleError("roles", _l("Nobody can change their own roles. "
                                          "Ask another admin."))


def set_roles(actor: User, user: User, program: Program, roles: set[Role], *,
              now: datetime) -> set[Role]:
    """Give and take roles; returns the roles asked for that wait for a second person.

    A new member is enrolled in the program. Taking the member role away leaves the
    enrollment as it is: that is a decision of its own (see `withdraw`).
    """
    check_own_roles(actor, user, roles)
    current = user.roles
    added = roles - current
    removed = current - roles
    asked = added & CONFIRMED_BY_A_SECOND_PERSON
    given = added - asked
    if given or removed:
        user.role_grants = [g for g in user.role_grants if g.role in roles] + [
            RoleGrant(role=role) for role in sorted(given)
        ]
        if Role.MEMBER in given:
            enroll(user, program)
        record_event(
            actor, "roles.changed", "user", user.id,
            added=sorted(r.value for r in given),
            removed=sorted(r.value for r in removed),
        )
    if removed & CONFIRMED_BY_A_SECOND_PERSON:
        db.session.flush()
        tell_finance_officers(user, gained=False, extra=[user])
    for role in sorted(asked):
        request_role(actor, user, role, now)
    return asked


def pending_request(user: User, role: Role) -> RoleGrantRequest | None:
    return db.session.scalars(select(RoleGrantRequest).where(
        RoleGrantRequest.user_id == user.id, RoleGrantRequest.role == role,
        RoleGrantRequest.status == GrantStatus.PENDING)).first()


def request_role(actor: User, user: User, role: Role, now: datetime) -> RoleGrantRequest:
    """Ask for a role that a second person must confirm (asking twice asks once)."""
    check_own_roles(actor, user, user.roles | {role})
    existing = pending_request(user, role)
    if existing is not None:
        return existing
    grant_request = RoleGrantRequest(user=user, role=role, requested_by=actor,
                                     requested_at=now)
    db.session.add(grant_request)
    db.session.flush()
    record_event(actor, "role.requested", "user", user.id, role=role.value,
                 request_id=grant_request.id)
    return grant_request


def pending_requests() -> list[RoleGrantRequest]:
    return list(db.session.scalars(
        select(RoleGrantRequest).where(RoleGrantRequest.status == GrantStatus.PENDING)
        .order_by(RoleGrantRequest.requested_at, RoleGrantRequest.id)))


def may_decide(actor: User, grant_request: RoleGrantRequest) -> bool:
    """A second person: a finance officer or an admin, neither the one who asked nor
    the person the role is for."""
    return (actor.has_role(*CONFIRMERS)
            and actor.id not in (grant_request.user_id, grant_request.requested_by_id))


def decide_role_request(actor: User, grant_request: RoleGrantRequest, *, confirm: bool,
                        now: datetime) -> None:
    """Confirm (the role is given) or decline a role that waits for a second person.
    Either way it is audited; finance officers are told when finance rights are given."""
    if grant_request.status != GrantStatus.PENDING:
        raise PersonRuleError("request", _l("Someone already decided about this."))
    if not may_decide(actor, grant_request):
        raise PersonRuleError("request", _l(
            "A second person must decide: not the one who asked, nor the person it is for."))
    user = grant_request.user
    grant_request.decided_by_id = actor.id
    grant_request.decided_at = now
    if not confirm or not user.active:
        grant_request.status = GrantStatus.DECLINED
        record_event(actor, "role.declined", "user", user.id, role=grant_request.role.value,
                     requested_by=grant_request.requested_by_id)
        return
    grant_request.status = GrantStatus.CONFIRMED
    if grant_request.role not in user.roles:
        user.role_grants.append(RoleGrant(role=grant_request.role))
    record_event(actor, "role.confirmed", "user", user.id, role=grant_request.role.value,
                 requested_by=grant_request.requested_by_id)
    db.session.flush()
    tell_finance_officers(user, gained=True)


def tell_finance_officers(user: User, *, gained: bool, extra: list[User] = ()) -> None:
    """Email every active finance officer (and `extra` people), each in their language,
    that someone gained or lost finance rights."""
    officers = db.session.scalars(
        select(User).join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.role == Role.FINANCE, User.active.is_(True))).unique().all()
    recipients = {person.id: person for person in [*officers, *extra]}
    for recipient in recipients.values():
        queue_email(recipient, "finance_rights_changed", person_name=user.name, gained=gained)


def set_active(actor: User, user: User, active: bool) -> None:
    """Deactivate (or reactivate) a person. Nothing of their history is removed.
    Both end every session and calendar address they had, so a cookie kept from
    before never comes back to life."""
    if user.id == actor.id and not active:
        raise PersonRuleError("active", _l("You cannot deactivate yourself."))
    if user.active == active:
        return
    user.active = active
    end_every_session(user)
    record_event(actor, "person.reactivated" if active else "person.deactivated", "user", user.id)
