"""After the decisions: a selected person takes their seat and becomes a member, or
gives it up and the seat is offered to the next alternate, who is told the way they
prefer. Every function leaves the commit to the caller."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete

from portal.admin.services import Invitation, add_person
from portal.applications.models import Application, ApplicationStatus, ContactWay
from portal.audit.services import record_event
from portal.auth.models import Role, User
from portal.db import db
from portal.selection.decisions import letter_language, tell_decision, told_applications
from portal.selection.inputs import read_pool_csv
from portal.selection.lottery import Replacement, next_alternate
from portal.selection.models import SeatOffer
from portal.selection.services import SelectionRuleError, draw_for, plan_targets
from portal.texts.models import ConsentSource, ReachBy
from portal.texts.phones import NotAPhoneNumber, takes_texts, to_e164
from portal.texts.services import choose_ways

# --- Confirming a seat -------------------------------------------------------------------


@dataclass(frozen=True)
class SeatNeeds:
    """What a selected person needs to take part, as their profile keeps it."""

    interpretation_language: str | None
    childcare_children: int
    transport_help: bool
    access_needs: str | None


def needs_from_application(application: Application) -> SeatNeeds:
    """What they said on the application, so nobody asks them twice."""
    needs = application.needs or {}
    return SeatNeeds(interpretation_language=needs.get("interpretation") or None,
                     childcare_children=1 if needs.get("childcare") else 0,
                     transport_help=bool(needs.get("transport")),
                     access_needs=needs.get("access") or None)


def sign_in_username(application: Application) -> str | None:
    """Someone without email signs in with their application's reference."""
    return None if application.email else application.reference.lower()


def member_phone(application: Application) -> str | None:
    """The number their account keeps: the mobile, else the phone, in E.164 as every
    account's number is, or as typed when it does not read as a number."""
    typed = application.mobile or application.phone
    if not typed:
        return None
    try:
        return to_e164(typed)
    except NotAPhoneNumber:
        return typed.strip()


def confirm_seat(actor: User | None, application: Application, needs: SeatNeeds, now,
                 invitation_lifetime) -> Invitation:
    """They said yes: the application becomes a member — an account with their name,
    language and contact, enrolled with the program's stipend, their needs on their
    profile, texts if they chose and agreed to them — and they are invited to sign in
    (by email, or a link to print)."""
    if application.status != ApplicationStatus.SELECTED:
        raise SelectionRuleError("answer", _l("Only someone with a seat can confirm it."))
    language = letter_language(application)
    invitation = add_person(
        actor, application.call.program, name=application.name, email=application.email,
        username=sign_in_username(application), phone=member_phone(application),
        preferred_language=language, roles={Role.MEMBER}, now=now,
        invitation_lifetime=invitation_lifetime)
    user = invitation.user
    user.interpretation_language = needs.interpretation_language
    user.childcare_children = needs.childcare_children
    user.transport_help = needs.transport_help
    user.access_needs = needs.access_needs
    if (application.preferred_contact == ContactWay.TEXT and application.texts_allowed
            and application.mobile and takes_texts(user.phone)):
        # Their agreement on the application carries over to the account's own ledger.
        choose_ways(user, ReachBy.TEXT, ConsentSource.APPLICATION, now, actor)
    application.status = ApplicationStatus.CONFIRMED
    db.session.execute(delete(SeatOffer).where(SeatOffer.application_id == application.id))
    record_event(actor, "selection.seat_confirmed", "application", application.id,
                 reference=application.reference, user_id=user.id)
    return invitation


# --- A seat given up goes to the next alternate ----------------------------------------------

SEATED_STATUSES = (ApplicationStatus.SELECTED, ApplicationStatus.CONFIRMED)
GIVE_UP_REASONS = ("declined", "unreachable")


@dataclass(frozen=True)
class SeatGivenUp:
    """Who the seat went to, if anyone, which targets still hold, and how the alternate
    is told (None while nobody has been told the decisions yet)."""

    replacement: Replacement
    offered: Application | None
    told_by: str | None


def give_up_seat(actor: User, application: Application, reason: str, now) -> SeatGivenUp:
    """Someone selected declines or cannot be reached: the seat is offered to the first
    alternate, by rank, who keeps every target the panel meets now (the rule's
    `next_alternate`), and told so the way they prefer — by email or text at once, by
    letter or call by staff. Before the decisions are sent, they are told with
    everyone else."""
    if reason not in GIVE_UP_REASONS:
        raise SelectionRuleError("reason", _l("Choose why the seat is free."))
    record = draw_for(application.call)
    if record is None or application.status not in SEATED_STATUSES:
        raise SelectionRuleError("reason", _l("Only someone with a seat can give it up."))
    people = {str(a.id): a for a in told_applications(application.call)}
    panel = [person for person, a in people.items() if a.status in SEATED_STATUSES]
    waiting = [person for person in record.ranked_alternates
               if person in people and people[person].status == ApplicationStatus.ALTERNATE]
    replacement = next_alternate(panel, str(application.id), waiting,
                                 read_pool_csv(record.pool_file), plan_targets(record))
    application.status = ApplicationStatus.WITHDRAWN
    application.withdrawn_at = now
    record_event(actor, "selection.seat_given_up", "application", application.id,
                 reference=application.reference, reason=reason)
    if replacement.alternate is None:
        return SeatGivenUp(replacement, None, None)
    offered = people[replacement.alternate]
    offered.status = ApplicationStatus.SELECTED
    told_by = tell_decision(record, offered, now) if record.decisions_sent_at else None
    record_event(actor, "selection.seat_offered", "application", offered.id,
                 reference=offered.reference, in_place_of=application.reference,
                 keeps_every_target=replacement.keeps_every_target,
                 targets_missed=[t.label for t in replacement.targets_missed],
                 told_by=told_by)
    return SeatGivenUp(replacement, offered, told_by)
