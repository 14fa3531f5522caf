"""Demo: this season's call drawn by the real rule, its panel the ten demo members.

The demo's members exist before its draw, so the demo looks for a seed whose panel
is them: it tries seeds in a fixed order against the lottery of the call's own pool
and targets, then draws with the one it found through `run_draw`, like staff would.
Everything recorded (seed, fingerprints, chances, panel, alternates) is what the
rule gives, and `flask selection draw` on the exported files gives it again. A real
draw's seed is made public only when it is drawn, and nobody tries seeds.
"""

from __future__ import annotations

from datetime import datetime
from itertools import chain

from sqlalchemy import delete, select

from portal.applications.models import Application, ApplicationStatus, OpenCall
from portal.audit.services import record_event
from portal.auth.models import User
from portal.db import db
from portal.outbox.models import OutboxMessage, OutboxStatus
from portal.selection.decisions import send_decisions
from portal.selection.lottery import find_lottery, sample_panel
from portal.selection.models import SeatOffer, SelectionDraw
from portal.selection.services import (
    plan_for,
    plan_targets,
    pool_of,
    run_draw,
    save_plan,
)

# A seat for every language of the pool: with ten languages and ten seats, one each.
TARGETS = """category,value,min,max
language,ar,1,2
language,en,1,3
language,es,1,3
language,fr,1,2
language,ht,1,2
language,kea,1,2
language,pt_BR,1,2
language,ru,1,2
language,vi,1,2
language,zh_Hant,1,2
"""
ALTERNATES = 4
SEED_WORDS = "Boston design group, public draw {number}"
# The number whose seed draws the members when a new database numbers the demo's
# applications from 1 (the usual case), tried first so the demo loads at once. Where
# the numbers differ (a database that held other applications), the search below
# finds another seed; one in about 17,000 draws the members, a fraction of a second.
NUMBER_FOUND = 8456
MOST_TRIES = 1_000_000


def seed_drawing(lottery, panel: list[str]) -> str:
    """The first seed, in the demo's fixed order, whose panel under `lottery` is `panel`."""
    wanted = tuple(sorted(panel))
    for number in chain([NUMBER_FOUND], range(MOST_TRIES)):
        seed = SEED_WORDS.format(number=number)
        if sample_panel(lottery, seed) == wanted:
            return seed
    raise RuntimeError("No seed of the demo's draws the members from this pool.")


def draw_the_members(admin: User, call: OpenCall, members: dict[Application, User],
                     drawn_at: datetime, told_at: datetime) -> SelectionDraw:
    """Write the plan, draw with the seed that gives the members their seats, tell
    everyone, and record that each member said yes (their accounts already exist)."""
    save_plan(admin, call, ALTERNATES, TARGETS)
    plan = plan_for(call)
    targets = plan_targets(plan)
    lottery = find_lottery(pool_of(call, targets), targets, call.seats)
    seed = seed_drawing(lottery, [str(application.id) for application in members])
    record = run_draw(admin, call, seed)
    if set(record.panel) != {str(application.id) for application in members}:
        raise RuntimeError("The demo's draw did not seat the demo's members.")
    record.drawn_at = drawn_at
    send_decisions(admin, call, told_at)
    # The emails went out that afternoon; the demo does not send them again.
    for message in db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.topic == "selection_decision",
            OutboxMessage.status == OutboxStatus.QUEUED)):
        message.status, message.created_at, message.sent_at = (
            OutboxStatus.SENT, told_at, told_at)
        message.attempts = 1
    for application, user in members.items():
        application.status = ApplicationStatus.CONFIRMED
        record_event(admin, "selection.seat_confirmed", "application", application.id,
                     reference=application.reference, user_id=user.id)
    db.session.execute(delete(SeatOffer).where(
        SeatOffer.application_id.in_([application.id for application in members])))
    return record
