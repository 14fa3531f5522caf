"""Telling everyone who applied the draw's decision, at once, each in their language
and the way they prefer: an email or a text (queued here, with a one-time link to
take a seat for those selected), a letter staff print and post, or a phone call
from staff. An alternate offered a seat later is told the same way.

Every function leaves the commit to the caller.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.applications.models import Application, ApplicationStatus, ContactWay, OpenCall
from portal.applications.services import deletion_day
from portal.audit.services import record_event
from portal.auth.models import User, hash_token
from portal.db import db
from portal.i18n import DEFAULT_LANGUAGE, LANGUAGE_BY_CODE
from portal.outbox.services import external_url, queue_email_to
from portal.selection.models import SeatOffer, SelectionDraw
from portal.selection.services import SelectionRuleError, draw_for
from portal.texts.services import applicant_mobile, queue_text_to, reaches_applicant_by_text

# How each outcome is told; everyone else who applied (and did not withdraw) was not chosen.
TOLD_STATUSES = (ApplicationStatus.SELECTED, ApplicationStatus.ALTERNATE)
EMAIL, TEXT, LETTER, CALL = "email", "text", "letter", "call"
# Ways the portal tells by itself; a letter and a call are left to staff.
QUEUED_WAYS = (EMAIL, TEXT)


def decision_way(application: Application) -> str:
    """Their preferred way when it can carry a decision: an email, a text (when they
    agreed to texts and their mobile takes them), a letter, or a phone call from staff.
    Without the details or the agreement for it, the next that works."""
    preferred = application.preferred_contact
    if preferred == ContactWay.EMAIL and application.email:
        return EMAIL
    if preferred == ContactWay.TEXT and reaches_applicant_by_text(application):
        return TEXT
    if preferred == ContactWay.MAIL and application.mailing_address:
        return LETTER
    if preferred in (ContactWay.TEXT, ContactWay.CALL) and (
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


def seat_link(application: Application, now: datetime) -> str | None:
    """A fresh one-time link for a selected person to say yes themselves, for the
    email or the text that tells them; an older link of theirs stops working."""
    if application.status != ApplicationStatus.SELECTED:
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


def offered_later(record: SelectionDraw, application: Application) -> bool:
    """An alternate who has a seat now because someone chosen gave theirs up."""
    return (str(application.id) in record.ranked_alternates
            and application.status in (ApplicationStatus.SELECTED, ApplicationStatus.CONFIRMED))


def decision_context(record: SelectionDraw, application: Application) -> dict:
    """What the email, the text and the letter say: the outcome; for alternates, their
    place; for a seat that came free, that it did; for those not chosen, the day their
    application is deleted."""
    person = str(application.id)
    outcome = application.status.value if application.status in TOLD_STATUSES \
        else ApplicationStatus.NOT_SELECTED.value
    rank = record.ranked_alternates.index(person) + 1 \
        if person in record.ranked_alternates else None
    return {"application": application, "outcome": outcome, "rank": rank,
            "offered_later": offered_later(record, application),
            "deletion_day": deletion_day(application.call),
            "name": application.contact_name, "reference": application.reference}


def tell_decision(record: SelectionDraw, application: Application, now: datetime) -> str:
    """Queue the decision by email or by text when that is their way, in their
    language, with a link to take the seat for someone selected; a text waits for
    the end of the program's quiet hours. Returns the way: a letter or a call is
    for staff to make."""
    way = decision_way(application)
    if way not in QUEUED_WAYS:
        return way
    context = decision_context(record, application)
    link = seat_link(application, now)
    language = letter_language(application)
    if way == EMAIL:
        queue_email_to(application.email, language, "selection_decision", **context,
                       seat_link=link)
    else:
        queue_text_to(applicant_mobile(application), language, "selection_decision",
                      now=now, timezone=application.call.program.timezone, **context,
                      seat_link=link)
    return way


@dataclass(frozen=True)
class DecisionsSent:
    emails: int
    texts: int
    letters: list[Application]
    calls: list[Application]


def send_decisions(actor: User, call: OpenCall, now: datetime) -> DecisionsSent:
    """Tell everyone who applied at once: queue the emails and the texts, and list the
    letters to print and the people to call. Done once per draw."""
    record = draw_for(call)
    if record is None:
        raise SelectionRuleError("send", _l("Draw the panel before telling anyone."))
    if record.decisions_sent_at:
        raise SelectionRuleError("send", _l("Everyone has already been told."))
    # Set first: those not chosen are told the day their application is deleted.
    call.decided_at = call.decided_at or now
    told: dict[str, list[Application]] = {EMAIL: [], TEXT: [], LETTER: [], CALL: []}
    for application in told_applications(call):
        told[tell_decision(record, application, now)].append(application)
    record.decisions_sent_at = now
    record_event(actor, "selection.decisions_sent", "open_call", call.id,
                 emails=len(told[EMAIL]), texts=len(told[TEXT]), letters=len(told[LETTER]),
                 calls=len(told[CALL]))
    return DecisionsSent(len(told[EMAIL]), len(told[TEXT]), told[LETTER], told[CALL])


def decisions_outstanding(call: OpenCall) -> DecisionsSent:
    """How everyone is told: the emails and texts queued, who gets a letter and who a
    phone call."""
    people = told_applications(call)
    ways = {application.id: decision_way(application) for application in people}
    return DecisionsSent(
        emails=sum(way == EMAIL for way in ways.values()),
        texts=sum(way == TEXT for way in ways.values()),
        letters=[a for a in people if ways[a.id] == LETTER],
        calls=[a for a in people if ways[a.id] == CALL])


def seats_offered_later(record: SelectionDraw, applications: dict[str, Application]
                        ) -> dict[str, str]:
    """Alternates who were offered a seat after the draw, by pool id, with the way they
    are told: staff see whose letter to print or whom to call."""
    return {person: decision_way(applications[person]) for person in record.ranked_alternates
            if person in applications and offered_later(record, applications[person])}
