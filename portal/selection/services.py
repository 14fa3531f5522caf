"""The call's draw on the web: its plan, the pool it is drawn from, the preview of
everyone's chance, the draw itself and its record. The rule is `lottery.draw`, the
same code the auditor's command runs on the exported files.

People in the pool are known by their application's number only, so the pool file
can be published. Every function leaves the commit to the caller.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from portal.admin.services import Invitation, add_person
from portal.applications.labels import AGE_BANDS, ANOTHER_PLACE, GENDERS, NEIGHBORHOODS
from portal.applications.models import Application, ApplicationStatus, ContactWay, OpenCall
from portal.audit.services import record_event
from portal.auth.models import Role, User, hash_token
from portal.db import db, utcnow
from portal.i18n import DEFAULT_LANGUAGE, LANGUAGE_BY_CODE, LANGUAGE_CODES
from portal.outbox.services import external_url, queue_email_to
from portal.review.scores import in_pool, pool_rule_of
from portal.rules import RuleError
from portal.selection.commands import four_decimals
from portal.selection.inputs import (
    SelectionError,
    Target,
    pool_csv,
    read_pool_csv,
    read_targets_csv,
    targets_csv,
)
from portal.selection.lottery import (
    Lottery,
    Replacement,
    check_targets,
    draw,
    find_lottery,
    next_alternate,
)
from portal.selection.models import SeatOffer, SelectionDraw, SelectionPlan

# What the targets may be about: where people live, their language and the
# single-answer demographic questions. An unanswered question counts as
# "prefer not to say", a value like any other.
NOT_SAID = "prefer_not"
ANSWERS = {
    "neighborhood": frozenset(NEIGHBORHOODS) | {ANOTHER_PLACE},
    "language": frozenset(LANGUAGE_CODES) | {"other"},
    "age_band": frozenset(key for key, _ in AGE_BANDS if key),
    "gender": frozenset(key for key, _ in GENDERS if key),
}
CATEGORIES = tuple(ANSWERS)
# Who enters the pool: applications staff found eligible.
POOL_STATUSES = (ApplicationStatus.ELIGIBLE,)
SEED_LIMIT = 200


class SelectionRuleError(RuleError):
    """A plan or a draw that cannot go ahead; the message says why."""


def explain(error: SelectionError) -> str:
    """The rule's refusal in the reader's language; names of categories and values stay."""
    return _l(error.template, **error.params)


def answer(application: Application, category: str) -> str:
    if category == "neighborhood":
        return application.neighborhood
    if category == "language":
        return application.language
    return (application.demographics or {}).get(category) or NOT_SAID


def plan_for(call: OpenCall) -> SelectionPlan | None:
    return db.session.scalars(select(SelectionPlan).where(
        SelectionPlan.call_id == call.id)).first()


def draw_for(call: OpenCall) -> SelectionDraw | None:
    return db.session.scalars(select(SelectionDraw).where(
        SelectionDraw.call_id == call.id)).first()


def plan_targets(plan: SelectionPlan | SelectionDraw | None) -> list[Target]:
    return [Target(*row) for row in (plan.targets if plan else [])]


def pool_rule(call: OpenCall) -> dict:
    """Who entered the pool, as recorded with the draw: the statuses and, when the
    call is reviewed, the reviews each needed and the lowest mean score."""
    return {"statuses": [status.value for status in POOL_STATUSES], **pool_rule_of(call)}


def eligible_applications(call: OpenCall) -> list[Application]:
    return list(db.session.scalars(select(Application).where(
        Application.call_id == call.id, Application.status.in_(POOL_STATUSES))
        .order_by(Application.id)))


def pool_applications(call: OpenCall) -> list[Application]:
    """The eligible applications the call's pool rule lets in."""
    return in_pool(call, eligible_applications(call))


def pool_of(call: OpenCall, targets: list[Target]) -> dict[str, dict[str, str]]:
    """The anonymised pool: each application's number and its answer in every
    category a target names."""
    categories = sorted({target.category for target in targets})
    return {str(application.id): {c: answer(application, c) for c in categories}
            for application in pool_applications(call)}


def save_plan(actor: User, call: OpenCall, alternates: int, targets_text: str) -> SelectionPlan:
    """Write down the call's targets and alternates; refused as a whole if malformed."""
    if draw_for(call):
        raise SelectionRuleError("targets", _l("This call is drawn; its plan cannot change."))
    try:
        targets = read_targets_csv(targets_text.strip() + "\n")
    except SelectionError as error:
        raise SelectionRuleError("targets", explain(error)) from None
    unknown = sorted({t.category for t in targets} - set(CATEGORIES))
    if unknown:
        raise SelectionRuleError("targets", _l(
            "There is no category %(category)s. Use one of: %(categories)s.",
            category=unknown[0], categories=", ".join(CATEGORIES)))
    for target in targets:
        if target.value not in ANSWERS[target.category]:
            raise SelectionRuleError("targets", _l(
                "%(value)s is not an answer to %(category)s.", value=target.value,
                category=target.category))
    plan = plan_for(call) or SelectionPlan(call=call)
    plan.alternates = alternates
    plan.targets = [[t.category, t.value, t.minimum, t.maximum] for t in sorted(targets)]
    plan.updated_by_id = actor.id
    plan.updated_at = utcnow()
    db.session.add(plan)
    record_event(actor, "selection.plan_saved", "open_call", call.id,
                 alternates=alternates,
                 targets=plan.targets)
    return plan


@dataclass(frozen=True)
class Preview:
    """Each person's chance under the plan, or why no panel can meet the targets."""

    lottery: Lottery | None
    refusal: str | None
    pool_size: int


@lru_cache(maxsize=8)
def _lottery(pool_text: str, targets_text: str, seats: int) -> Lottery:
    """The lottery for these exact files: with a few hundred people and four categories
    it takes seconds, so the page does not compute it again while nothing changed."""
    return find_lottery(read_pool_csv(pool_text), read_targets_csv(targets_text), seats)


def preview(call: OpenCall) -> Preview:
    plan = plan_for(call)
    targets = plan_targets(plan)
    pool = pool_of(call, targets)
    try:
        check_targets(pool, targets, call.seats)
        return Preview(_lottery(pool_csv(pool), targets_csv(targets), call.seats), None,
                       len(pool))
    except SelectionError as error:
        return Preview(None, explain(error), len(pool))


def run_draw(actor: User, call: OpenCall, seed: str) -> SelectionDraw:
    """Draw the panel and the alternates with the seed staff typed, record everything
    needed to check it, and set each application in the pool to its outcome."""
    seed = seed.strip()
    if not seed:
        raise SelectionRuleError("seed", _l("Enter the seed."))
    if draw_for(call):
        raise SelectionRuleError("seed", _l("This call is already drawn."))
    if call.is_open(utcnow()):
        raise SelectionRuleError("seed", _l("The call is still open. Draw after its deadline."))
    plan = plan_for(call)
    if plan is None or not plan.targets:
        raise SelectionRuleError("seed", _l("Write down the targets before drawing."))
    targets = plan_targets(plan)
    pool = pool_of(call, targets)
    try:
        result = draw(pool, targets, call.seats, plan.alternates, seed)
    except SelectionError as error:
        record_event(actor, "selection.draw_refused", "open_call", call.id,
                     reason=str(error))
        raise SelectionRuleError("seed", explain(error)) from None
    record = SelectionDraw(
        call=call, pool_rule=pool_rule(call), targets=plan.targets, seats=call.seats,
        alternates=plan.alternates, seed=seed, pool_fingerprint=result.pool_fingerprint,
        targets_fingerprint=result.targets_fingerprint,
        chances={person: f"{chance.numerator}/{chance.denominator}"
                 for person, chance in result.chances.items()},
        panel=list(result.panel), ranked_alternates=list(result.alternates),
        pool_file=pool_csv(pool), drawn_by_id=actor.id, drawn_at=utcnow())
    db.session.add(record)
    outcome_status = {"selected": ApplicationStatus.SELECTED,
                      "alternate": ApplicationStatus.ALTERNATE,
                      "not_selected": ApplicationStatus.NOT_SELECTED}
    for application in eligible_applications(call):
        # Eligible but kept out of the pool by the review rule: not chosen either.
        outcome = result.outcome(str(application.id))[0] if str(application.id) in pool \
            else "not_selected"
        application.status = outcome_status[outcome]
    record_event(actor, "selection.drawn", "open_call", call.id, seed=seed,
                 seats=call.seats, alternates=plan.alternates,
                 pool_fingerprint=result.pool_fingerprint,
                 targets_fingerprint=result.targets_fingerprint,
                 panel=list(result.panel), ranked_alternates=list(result.alternates))
    return record


def chance_text(recorded: str) -> str:
    """A recorded exact chance ("numerator/denominator") as the command prints it."""
    return four_decimals(Fraction(recorded))


def _target_rows(call: OpenCall) -> list:
    record = draw_for(call)
    if record:
        return record.targets
    plan = plan_for(call)
    return plan.targets if plan else []


def exported_targets(call: OpenCall) -> str:
    """The targets file: the one drawn with once drawn, otherwise the plan's."""
    return targets_csv([Target(*row) for row in _target_rows(call)])


def exported_pool(call: OpenCall) -> str:
    """The pool file: the one drawn from once drawn, otherwise the pool as it is now."""
    record = draw_for(call)
    if record:
        return record.pool_file
    return pool_csv(pool_of(call, plan_targets(plan_for(call))))


# --- Telling everyone the decision ---------------------------------------------------------

# How each outcome is told; everyone else who applied (and did not withdraw) was not chosen.
TOLD_STATUSES = (ApplicationStatus.SELECTED, ApplicationStatus.ALTERNATE)
EMAIL, LETTER, CALL = "email", "letter", "call"


def decision_way(application: Application) -> str:
    """Their preferred way when it can carry a decision: an email, a letter, or a phone
    call from staff (texts come later). Without the details for it, the next that works."""
    if application.preferred_contact == ContactWay.EMAIL and application.email:
        return EMAIL
    if application.preferred_contact == ContactWay.MAIL and application.mailing_address:
        return LETTER
    if application.preferred_contact in (ContactWay.TEXT, ContactWay.CALL) and (
            application.mobile or application.phone):
        return CALL
    if application.email:
        return EMAIL
    return LETTER if application.mailing_address else CALL


def told_applications(call: OpenCall) -> list[Application]:
    return list(db.session.scalars(select(Application).where(
        Application.call_id == call.id, Application.status != ApplicationStatus.WITHDRAWN)
        .order_by(Application.id)))


def letter_language(application: Application) -> str:
    return application.language if application.language in LANGUAGE_BY_CODE \
        else DEFAULT_LANGUAGE


def seat_link(application: Application, now) -> str | None:
    """A fresh one-time link for a selected person with email to say yes themselves;
    an older link of theirs stops working."""
    if application.status != ApplicationStatus.SELECTED or not application.email:
        return None
    raw = secrets.token_urlsafe(24)
    offer = db.session.scalars(select(SeatOffer).where(
        SeatOffer.application_id == application.id)).first() or SeatOffer(
        application=application)
    offer.token_hash, offer.offered_at = hash_token(raw), now
    db.session.add(offer)
    return external_url("selection.answer_seat", token=raw)


def find_seat_offer(token: str) -> SeatOffer | None:
    offer = db.session.scalars(select(SeatOffer).where(
        SeatOffer.token_hash == hash_token(token or ""))).first()
    if offer is None or offer.application.status != ApplicationStatus.SELECTED:
        return None
    return offer


def decision_context(record: SelectionDraw, application: Application) -> dict:
    """What the email and the letter say: the outcome and, for alternates, their place."""
    person = str(application.id)
    outcome = application.status.value if application.status in TOLD_STATUSES \
        else ApplicationStatus.NOT_SELECTED.value
    rank = record.ranked_alternates.index(person) + 1 \
        if person in record.ranked_alternates else None
    return {"application": application, "outcome": outcome, "rank": rank,
            "name": application.contact_name, "reference": application.reference}


@dataclass(frozen=True)
class DecisionsSent:
    emails: int
    letters: list[Application]
    calls: list[Application]


def send_decisions(actor: User, call: OpenCall, now) -> DecisionsSent:
    """Tell everyone who applied at once: queue the emails, and list the letters to
    print and the people to call. Done once per draw."""
    record = draw_for(call)
    if record is None:
        raise SelectionRuleError("send", _l("Draw the panel before telling anyone."))
    if record.decisions_sent_at:
        raise SelectionRuleError("send", _l("Everyone has already been told."))
    emails = 0
    for application in told_applications(call):
        if decision_way(application) == EMAIL:
            queue_email_to(application.email, letter_language(application),
                           "selection_decision", **decision_context(record, application),
                           seat_link=seat_link(application, now))
            emails += 1
    record.decisions_sent_at = now
    call.decided_at = call.decided_at or now
    sent = decisions_outstanding(call)
    record_event(actor, "selection.decisions_sent", "open_call", call.id, emails=emails,
                 letters=len(sent.letters), calls=len(sent.calls))
    return DecisionsSent(emails, sent.letters, sent.calls)


def decisions_outstanding(call: OpenCall) -> DecisionsSent:
    """Who gets a letter and who a phone call (emails are already queued)."""
    people = told_applications(call)
    return DecisionsSent(
        emails=sum(decision_way(a) == EMAIL for a in people),
        letters=[a for a in people if decision_way(a) == LETTER],
        calls=[a for a in people if decision_way(a) == CALL])


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


def confirm_seat(actor: User | None, application: Application, needs: SeatNeeds, now,
                 invitation_lifetime) -> Invitation:
    """They said yes: the application becomes a member — an account with their name,
    language and contact, enrolled with the program's stipend, their needs on their
    profile — and they are invited to sign in (by email, or a link to print)."""
    if application.status != ApplicationStatus.SELECTED:
        raise SelectionRuleError("answer", _l("Only someone with a seat can confirm it."))
    language = letter_language(application)
    invitation = add_person(
        actor, application.call.program, name=application.name, email=application.email,
        username=sign_in_username(application),
        phone=application.mobile or application.phone, preferred_language=language,
        roles={Role.MEMBER}, now=now, invitation_lifetime=invitation_lifetime)
    user = invitation.user
    user.interpretation_language = needs.interpretation_language
    user.childcare_children = needs.childcare_children
    user.transport_help = needs.transport_help
    user.access_needs = needs.access_needs
    application.status = ApplicationStatus.CONFIRMED
    db.session.execute(delete(SeatOffer).where(SeatOffer.application_id == application.id))
    record_event(actor, "selection.seat_confirmed", "application", application.id,
                 reference=application.reference, user_id=user.id)
    return invitation


# --- A seat given up goes to the next alternate ----------------------------------------------

SEATED_STATUSES = (ApplicationStatus.SELECTED, ApplicationStatus.CONFIRMED)
GIVE_UP_REASONS = ("declined", "unreachable")


def give_up_seat(actor: User, application: Application, reason: str, now) -> Replacement:
    """Someone selected declines or cannot be reached: the seat is offered to the first
    alternate, by rank, who keeps every target the panel meets now (the rule's
    `next_alternate`), and told so the way they prefer. The result says which targets
    still hold."""
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
    if replacement.alternate is not None:
        offered = people[replacement.alternate]
        offered.status = ApplicationStatus.SELECTED
        if decision_way(offered) == EMAIL:
            queue_email_to(offered.email, letter_language(offered), "selection_decision",
                           **decision_context(record, offered), seat_link=seat_link(offered, now))
        record_event(actor, "selection.seat_offered", "application", offered.id,
                     reference=offered.reference, in_place_of=application.reference,
                     keeps_every_target=replacement.keeps_every_target,
                     targets_missed=[t.label for t in replacement.targets_missed])
    return replacement
