"""Rules for texts: who may be texted, the consent ledger, quiet hours, and
queueing a text in the recipient's language."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from jinja2 import TemplateNotFound
from sqlalchemy import select

from portal.applications.models import Application, ContactWay
from portal.auth.models import User
from portal.db import db, utcnow
from portal.outbox.models import Channel, OutboxMessage
from portal.rules import RuleError
from portal.texts.models import ConsentSource, ReachBy, TextConsent
from portal.texts.phones import NotAPhoneNumber, takes_texts, to_e164
from portal.texts.segments import count_segments, plain_for_texts


class TextRuleError(RuleError):
    """A choice about texts that cannot be kept; `field` names the form field."""


def texts_on(config) -> bool:
    """Whether this portal can send texts at all (a backend is set up)."""
    return config.get("SMS_BACKEND", "off") != "off"


def reaches_by_text(person: User) -> bool:
    """True when a text to this person would be sent: they chose texts, their
    consent stands, and their number takes texts."""
    return (person.active and person.reach_by.by_text and person.texts_allowed
            and takes_texts(person.phone))


def reaches_by_email(person: User) -> bool:
    return person.active and person.reach_by.by_email and bool(person.email)


def reachable(person: User) -> bool:
    """True when some channel reaches the person; otherwise staff must call them."""
    return reaches_by_email(person) or reaches_by_text(person)


def record_consent(person: User, given: bool, source: ConsentSource, now: datetime,
                   actor: User | None = None, new_number: bool = False) -> TextConsent | None:
    """Add a line to the person's consent ledger when their answer changes, or
    when they give it again for a new number.

    The ledger keeps when and how each consent was given or withdrawn, for
    which number, and by whom when staff recorded it; saying the same thing
    twice adds nothing.
    """
    if person.texts_allowed == given and not (given and new_number):
        return None
    line = TextConsent(user_id=person.id, given=given, source=source, phone=person.phone,
                       recorded_by_id=actor.id if actor else None, recorded_at=now)
    db.session.add(line)
    person.texts_allowed = given
    return line


def choose_ways(person: User, reach_by: ReachBy, source: ConsentSource, now: datetime,
                actor: User | None = None, new_number: bool = False,
                email: str | None = None) -> None:
    """Set how the portal reaches a person, recording consent to texts when
    texts are chosen and its withdrawal when they are given up. `email` is an
    address typed but not yet confirmed, which counts as theirs here."""
    if reach_by.by_text and not takes_texts(person.phone):
        raise TextRuleError("phone", _l(
            "To get texts, enter a mobile phone number that can receive them."))
    if reach_by.by_email and not (email or person.email):
        raise TextRuleError("reach_by", _l("To get emails, enter an email address first."))
    person.reach_by = reach_by
    record_consent(person, reach_by.by_text, source, now, actor, new_number)


def applicant_mobile(application: Application) -> str | None:
    """The mobile number given on an application, in E.164; None when it does not read
    as a number (it is kept as typed)."""
    if not application.mobile:
        return None
    try:
        return to_e164(application.mobile)
    except NotAPhoneNumber:
        return None


def reaches_applicant_by_text(application: Application) -> bool:
    """True when a text to someone who applied would be sent: texts are on, they
    chose texts, their agreement stands, and their mobile number takes texts."""
    return (texts_on(current_app.config) and application.preferred_contact == ContactWay.TEXT
            and application.texts_allowed and takes_texts(applicant_mobile(application)))


def record_application_consent(application: Application, given: bool, source: ConsentSource,
                               now: datetime, actor: User | None = None,
                               new_number: bool = False) -> TextConsent | None:
    """The ledger's line for someone who applied and has no account: choosing texts
    on the application is their agreement, choosing another way withdraws it, and
    STOP or START by text does the same. Like `record_consent`, saying the same
    thing twice adds nothing. The application must be stored (it needs its id)."""
    if application.texts_allowed == given and not (given and new_number):
        return None
    line = TextConsent(application_id=application.id, given=given, source=source,
                       phone=applicant_mobile(application) or (application.mobile or "")[:20]
                       or None,
                       recorded_by_id=actor.id if actor else None, recorded_at=now)
    db.session.add(line)
    application.texts_allowed = given
    return line


def applications_texted_at(number: str) -> list[Application]:
    """Applications that chose texts to this E.164 number. Their numbers are kept
    as typed, so they are read one by one; only applications that chose texts."""
    candidates = db.session.scalars(select(Application).where(
        Application.preferred_contact == ContactWay.TEXT, Application.mobile.is_not(None))
        .order_by(Application.id))
    return [application for application in candidates
            if applicant_mobile(application) == number]


def consent_history(person: User) -> list[TextConsent]:
    return db.session.scalars(
        db.select(TextConsent).where(TextConsent.user_id == person.id)
        .order_by(TextConsent.recorded_at.desc(), TextConsent.id.desc())
    ).all()


def quiet_hours() -> tuple[time, time]:
    start, _, end = current_app.config["TEXT_QUIET_HOURS"].partition("-")
    return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())


def after_quiet_hours(now: datetime, timezone: str, quiet: tuple[time, time]) -> datetime:
    """`now`, or the end of the night if `now` falls in the quiet hours of `timezone`."""
    start, end = quiet
    local = now.astimezone(ZoneInfo(timezone))
    clock = local.time()
    in_quiet = (clock >= start or clock < end) if start > end else (start <= clock < end)
    if not in_quiet:
        return now
    morning = local.date() if clock < end else local.date() + timedelta(days=1)
    wake = datetime.combine(morning, end, tzinfo=ZoneInfo(timezone))
    return wake.astimezone(now.tzinfo)


def queue_text(recipient: User, template: str, *, now: datetime | None = None,
               timezone: str | None = None, urgent: bool = False,
               answers_meeting=None, **context) -> OutboxMessage | None:
    """Render `text/<template>.txt` in the recipient's language and queue it.

    Returns None when the person is not reached by text or there is no text
    form of this message. Outside `urgent`, a text queued at night waits until
    the quiet hours end in `timezone`. `answers_meeting` is the meeting a
    reply of 1, 2 or 3 will answer. The caller commits.
    """
    if not texts_on(current_app.config) or not reaches_by_text(recipient):
        return None
    return queue_text_to(recipient.phone, recipient.preferred_language, template, now=now,
                         timezone=timezone, urgent=urgent, answers_meeting=answers_meeting,
                         recipient_id=recipient.id, recipient=recipient, **context)


def queue_text_to(number: str, language: str, template: str, *, now: datetime | None = None,
                  timezone: str | None = None, urgent: bool = False, answers_meeting=None,
                  recipient_id: int | None = None, **context) -> OutboxMessage | None:
    """The same for a number that belongs to no account (someone who applied, say):
    the caller has checked that texts to it are allowed."""
    if not texts_on(current_app.config):
        return None
    with force_locale(language):
        try:
            body = render_template(f"text/{template}.txt", **context)
        except TemplateNotFound:
            return None
    body = plain_for_texts(body)
    now = now or utcnow()
    zone = timezone or current_app.config["DEFAULT_TIMEZONE"]
    due = now if urgent else after_quiet_hours(now, zone, quiet_hours())
    message = OutboxMessage(
        recipient_id=recipient_id, channel=Channel.TEXT, to_address=number,
        topic=template, language=language, subject="", body=body, created_at=now,
        next_attempt_at=due,
        meeting_id=answers_meeting.id if answers_meeting is not None else None,
        segments=count_segments(body).count,
    )
    db.session.add(message)
    db.session.info["outbox_queued"] = True  # printed at once in the demo, like mail
    return message
