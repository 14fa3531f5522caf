"""The call's draw on the web: its plan, the pool it is drawn from, the preview of
everyone's chance, the draw itself and its record. The rule is `lottery.draw`, the
same code the auditor's command runs on the exported files.

People in the pool are known by their application's number only, so the pool file
can be published. Telling people the outcome is in `decisions`, taking or giving up a
seat in `seats`. Every function leaves the commit to the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.applications.labels import AGE_BANDS, ANOTHER_PLACE, GENDERS, NEIGHBORHOODS
from portal.applications.models import Application, ApplicationStatus, OpenCall
from portal.audit.services import record_event
from portal.auth.models import User
from portal.db import db, utcnow
from portal.i18n import LANGUAGE_CODES
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
from portal.selection.lottery import Lottery, check_targets, draw, find_lottery
from portal.selection.models import SelectionDraw, SelectionPlan

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
