"""Rules of the open call: opening it, receiving applications on every channel,
drafts, the deadline, what applicants may change, and deleting what is no longer needed.

Nothing of an application goes into the audit log, a log line or an email
beyond its reference. Every function leaves the commit to the caller.
"""

from __future__ import annotations

import re
import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update

from portal.applications.models import (
    Application,
    ApplicationDraft,
    ApplicationStatus,
    CallQuestion,
    CallText,
    Channel,
    ContactWay,
    OpenCall,
)
from portal.audit.services import record_event
from portal.auth.models import User, hash_token
from portal.db import db
from portal.documents import files
from portal.i18n import DEFAULT_LANGUAGE, LANGUAGE_BY_CODE
from portal.outbox.services import external_url, queue_email_to
from portal.programs.models import Program
from portal.rules import RuleError
from portal.texts.models import ConsentSource
from portal.texts.services import record_application_consent

# No 0/O, 1/I/L, so a reference read aloud or copied by hand comes out right.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LAST_WEEK_DAYS = 7
# Kept after the call's decisions for people who were chosen; everyone else is deleted.
KEPT_STATUSES = (ApplicationStatus.SELECTED, ApplicationStatus.CONFIRMED)
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


class ApplicationRuleError(RuleError):
    """A call or an application that would break one of the call's rules."""


# --- The call --------------------------------------------------------------------------------

@dataclass(frozen=True)
class CallWording:
    """The words of a call in one language."""

    language: str
    title: str
    invitation: str
    who_may_apply: str
    questions: tuple[str, ...] = ()


@dataclass(frozen=True)
class CallDetails:
    slug: str
    deadline_day: date
    deadline_time: time
    decisions_by: date | None
    seats: int
    paper_address: str | None
    paper_office: str | None
    paper_hours: str | None


def open_call(actor: User, program: Program, details: CallDetails, wording: CallWording,
              now: datetime) -> OpenCall:
    """Open a call for a program, its words in their original language."""
    slug = (details.slug or "").strip().lower()
    if not SLUG.fullmatch(slug) or len(slug) > 60:
        raise ApplicationRuleError("slug", _l(
            "Use lowercase letters, numbers and dashes, like design-group-2027."))
    if db.session.scalar(select(OpenCall.id).where(OpenCall.slug == slug)) is not None:
        raise ApplicationRuleError("slug", _l("Another call already uses this address."))
    if details.decisions_by and details.decisions_by < details.deadline_day:
        raise ApplicationRuleError("decisions_by", _l(
            "Decisions cannot come before the deadline."))
    call = OpenCall(program=program, slug=slug, deadline_day=details.deadline_day,
                    deadline_time=details.deadline_time, decisions_by=details.decisions_by,
                    seats=details.seats, paper_address=details.paper_address or None,
                    paper_office=details.paper_office or None,
                    paper_hours=details.paper_hours or None, created_by_id=actor.id,
                    created_at=now)
    call.texts.append(CallText(language=wording.language, is_original=True,
                               title=wording.title, invitation=wording.invitation,
                               who_may_apply=wording.who_may_apply, written_at=now))
    for position, question in enumerate(wording.questions):
        call.questions.append(CallQuestion(position=position,
                                           texts={wording.language: question}))
    db.session.add(call)
    db.session.flush()
    record_event(actor, "call.opened", "call", call.id, slug=slug, program_id=program.id,
                 deadline=call.closes_at.isoformat(), seats=details.seats)
    return call


def translate_call(actor: User, call: OpenCall, wording: CallWording, now: datetime) -> None:
    """Add or replace the call's words in another language, questions included."""
    if wording.language == call.original.language:
        raise ApplicationRuleError("language", _l(
            "This is the language of the original. Choose another language."))
    if wording.questions and len(wording.questions) != len(call.questions):
        raise ApplicationRuleError("questions", _l(
            "Write one line for each question, in the same order as the original."))
    text = call.text_in(wording.language)
    if text is None:
        text = CallText(language=wording.language, is_original=False)
        call.texts.append(text)
    text.title, text.invitation = wording.title, wording.invitation
    text.who_may_apply, text.written_at = wording.who_may_apply, now
    for question, words in zip(call.questions, wording.questions, strict=False):
        question.texts = {**question.texts, wording.language: words}
    record_event(actor, "call.translated", "call", call.id, language=wording.language)


def call_text_for(call: OpenCall, language: str) -> tuple[CallText, bool]:
    """(the call's words for this reader, True when they are not in the reader's language)."""
    text = call.text_in(language)
    if text is not None:
        return text, False
    return call.original, True


def calls_open_now(now: datetime) -> list[OpenCall]:
    """Calls taking applications at this instant, the soonest deadline first."""
    # A day's margin either side of UTC; the exact local deadline is checked after.
    candidates = db.session.scalars(
        select(OpenCall).where(OpenCall.deadline_day >= (now - timedelta(days=1)).date())
        .order_by(OpenCall.deadline_day, OpenCall.id)).all()
    return [call for call in candidates if call.is_open(now)]


def latest_closed_call(now: datetime) -> OpenCall | None:
    calls = db.session.scalars(
        select(OpenCall).where(OpenCall.deadline_day <= (now + timedelta(days=1)).date())
        .order_by(OpenCall.deadline_day.desc(), OpenCall.id.desc()).limit(3)).all()
    return next((call for call in calls if not call.is_open(now)), None)


def days_left(call: OpenCall, now: datetime) -> int | None:
    """Whole local days until the deadline day, in its last week; None before and after."""
    if not call.is_open(now):
        return None
    today = now.astimezone(ZoneInfo(call.program.timezone)).date()
    left = (call.deadline_day - today).days
    return left if left < LAST_WEEK_DAYS else None


# --- Receiving an application ------------------------------------------------------------------

@dataclass(frozen=True)
class Contact:
    email: str | None = None
    mobile: str | None = None
    phone: str | None = None
    mailing_address: str | None = None
    preferred: ContactWay = ContactWay.EMAIL

    def detail_for(self, way: ContactWay) -> str | None:
        return {ContactWay.EMAIL: self.email, ContactWay.TEXT: self.mobile,
                ContactWay.CALL: self.phone, ContactWay.MAIL: self.mailing_address}[way]


@dataclass(frozen=True)
class ApplicationDetails:
    name: str
    preferred_name: str | None
    contact: Contact
    language: str
    language_other: str | None
    neighborhood: str
    eligibility: dict
    answers: dict
    statement: str
    experience: str | None
    availability: dict
    needs: dict
    demographics: dict = field(default_factory=dict)
    consent: bool = False


@dataclass(frozen=True)
class Receipt:
    """How an application came in, when, and who typed it in for a paper one."""

    channel: Channel = Channel.ONLINE
    received_at: datetime | None = None
    entered_by: User | None = None
    late_reason: str | None = None
    scan: bytes | None = None


def check_contact(contact: Contact) -> None:
    """At least one way to reach the person, and the preferred way is one they gave."""
    if not any((contact.email, contact.mobile, contact.phone, contact.mailing_address)):
        raise ApplicationRuleError("email", _l(
            "Give at least one way to reach you: email, mobile, phone or mailing address."))
    if not contact.detail_for(contact.preferred):
        raise ApplicationRuleError("preferred_contact", _l(
            "The way you prefer needs its details above. Fill them in or choose another way."))


def new_reference() -> str:
    """Like K7QM-3XPR: eight characters that cannot be misread."""
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"{chars[:4]}-{chars[4:]}"


def normalise_reference(text: str | None) -> str:
    cleaned = re.sub(r"[^0-9A-Za-z]", "", text or "").upper()
    cleaned = cleaned.replace("O", "0").replace("I", "1").replace("L", "1")
    return f"{cleaned[:4]}-{cleaned[4:]}" if len(cleaned) == 8 else cleaned


def _unused_reference() -> str:
    while True:
        reference = new_reference()
        if db.session.scalar(select(Application.id).where(
                Application.reference == reference)) is None:
            return reference


def submit_application(call: OpenCall, details: ApplicationDetails, receipt: Receipt,
                       now: datetime, email_language: str | None = None) -> Application:
    """Receive an application: online before the deadline, or typed in by staff from
    paper, the phone or a visit (after the deadline only with a reason).

    Writes the audit event (the reference only) and queues the confirmation email
    in the person's language when they gave an address.
    """
    check_contact(details.contact)
    if not details.consent:
        raise ApplicationRuleError("consent", _l(
            "Tick the box to say you agree, so we can keep your application."))
    received_at = receipt.received_at or now
    late = received_at >= call.closes_at
    if late and receipt.channel == Channel.ONLINE and receipt.entered_by is None:
        raise ApplicationRuleError("", _l(
            "The call closed on %(day)s, so the application could not be sent. "
            "What you wrote is still below.", day=deadline_words(call)))
    if late and not (receipt.late_reason or "").strip():
        raise ApplicationRuleError("late_reason", _l(
            "This arrived after the deadline. Say why it is accepted."))
    if received_at > now:
        raise ApplicationRuleError("received_on", _l("The date received cannot be in the future."))
    contact = details.contact
    application = Application(
        call=call, reference=_unused_reference(), status=ApplicationStatus.SUBMITTED,
        channel=receipt.channel, received_at=received_at, entered_by=receipt.entered_by,
        language=details.language, language_other=details.language_other or None,
        name=details.name, preferred_name=details.preferred_name or None,
        email=(contact.email or "").lower() or None, mobile=contact.mobile or None,
        phone=contact.phone or None, mailing_address=contact.mailing_address or None,
        preferred_contact=contact.preferred, neighborhood=details.neighborhood,
        eligibility=details.eligibility, answers=details.answers,
        statement=details.statement, experience=details.experience or None,
        availability=details.availability, needs=details.needs,
        demographics=details.demographics, consent_at=now,
        late_reason=(receipt.late_reason or "").strip() or None if late else None)
    if receipt.scan is not None:
        _attach_scan(application, receipt.scan)
    if application.email:
        # Written before anything is stored: on SQLite the database is locked for
        # writing from the first INSERT to the commit, so that stretch stays short
        # when many people send at the deadline.
        language = application.language if application.language in LANGUAGE_BY_CODE \
            else (email_language or DEFAULT_LANGUAGE)
        queue_email_to(application.email, language, "application_received",
                       reference=application.reference, call=call,
                       decisions_by=call.decisions_by,
                       status_link=external_url("applications.status"))
    db.session.add(application)
    db.session.flush()
    _record_choice_of_texts(application, now, receipt.entered_by)
    record_event(receipt.entered_by, "application.received", "application", application.id,
                 reference=application.reference, channel=receipt.channel.value)
    if late:
        record_event(receipt.entered_by, "application.accepted_late", "application",
                     application.id, reference=application.reference,
                     reason=application.late_reason)
    return application


def _attach_scan(application: Application, data: bytes) -> None:
    file_type = files.detect_type(data)
    if file_type is None or file_type.code not in ("pdf", "png", "jpeg"):
        raise ApplicationRuleError("scan", _l("Upload the scan as a PDF, PNG or JPEG file."))
    key = files.store(data)
    files.keep_until_rollback(db.session, key)
    application.scan_key, application.scan_type = key, file_type.code


def deadline_words(call: OpenCall) -> str:
    """"Tuesday, November 10, 2026, 5:00 PM" in the reader's language, in the call's own zone."""
    from flask_babel import format_date, format_time
    from flask_babel import gettext as _

    # Joined with the reader's own comma (Arabic "،"), as everywhere else.
    return _("%(first)s, %(second)s", first=format_date(call.closes_at, "full", rebase=False),
             second=format_time(call.closes_at, "short", rebase=False))


# --- Drafts ------------------------------------------------------------------------------------

DRAFT_CODE_LENGTH = 10


def new_draft_code() -> str:
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(DRAFT_CODE_LENGTH))
    return f"{chars[:5]}-{chars[5:]}"


def save_draft(call: OpenCall, typed: dict, code: str | None, now: datetime) -> tuple[str, bool]:
    """Keep what was typed to finish later. Returns (code, True when the code is new).

    Passing the code of an earlier draft of this call replaces it; only the code's
    hash is stored, so the code is shown or emailed once and never again.
    """
    draft = find_draft(code) if code else None
    if draft is not None and draft.call_id == call.id:
        draft.fields, draft.saved_at = typed, now
        return code, False
    code = new_draft_code()
    db.session.add(ApplicationDraft(call=call, code_hash=hash_token(normalise_code(code)),
                                    fields=typed, saved_at=now))
    return code, True


def normalise_code(code: str | None) -> str:
    return normalise_reference(code).replace("-", "")


def find_draft(code: str | None) -> ApplicationDraft | None:
    cleaned = normalise_code(code)
    if len(cleaned) != DRAFT_CODE_LENGTH:
        return None
    return db.session.scalars(select(ApplicationDraft).where(
        ApplicationDraft.code_hash == hash_token(cleaned))).first()


def email_draft_link(call: OpenCall, code: str, address: str, language: str) -> None:
    queue_email_to(address, language, "application_draft", call=call, code=code,
                   link=external_url("applications.continue_draft", code=code))


# --- Applicants later ------------------------------------------------------------------------

def _digits(text: str | None) -> str:
    return re.sub(r"\D", "", text or "")[-10:]


def find_for_applicant(reference: str, contact: str) -> Application | None:
    """The application with this reference, if the contact given is one of its own."""
    application = db.session.scalars(select(Application).where(
        Application.reference == normalise_reference(reference))).first()
    if application is None:
        return None
    given = (contact or "").strip().lower()
    if given and application.email and given == application.email:
        return application
    digits = _digits(given)
    if len(digits) >= 7 and digits in (_digits(application.mobile), _digits(application.phone)):
        return application
    return None


def _record_choice_of_texts(application: Application, now: datetime, actor: User | None,
                            new_number: bool = False) -> None:
    """Choosing texts, with a mobile number, is agreeing to them: the consent ledger
    says so, and choosing another way later withdraws it. Typed in by staff from
    paper or a call, it is recorded as such, by them."""
    source = ConsentSource.PAPER if actor is not None else ConsentSource.APPLICATION
    chose_texts = application.preferred_contact == ContactWay.TEXT and bool(application.mobile)
    record_application_consent(application, chose_texts, source, now, actor, new_number)


def change_contact(application: Application, contact: Contact, now: datetime,
                   actor: User | None = None) -> None:
    """The applicant (or staff for them) corrects how to reach them."""
    check_contact(contact)
    before = (application.preferred_contact, application.mobile)
    application.email = (contact.email or "").lower() or None
    application.mobile = contact.mobile or None
    application.phone = contact.phone or None
    application.mailing_address = contact.mailing_address or None
    application.preferred_contact = contact.preferred
    # Saving other details leaves the answer about texts as it is (a STOP by text
    # stays a STOP); choosing texts again, or for a new number, gives it again.
    if (application.preferred_contact, application.mobile) != before:
        _record_choice_of_texts(application, now, actor,
                                new_number=application.mobile != before[1])
    record_event(actor, "application.contact_changed", "application", application.id,
                 reference=application.reference)


def withdraw(application: Application, now: datetime, actor: User | None = None) -> None:
    if application.status == ApplicationStatus.WITHDRAWN:
        return
    application.status = ApplicationStatus.WITHDRAWN
    application.withdrawn_at = now
    record_event(actor, "application.withdrawn", "application", application.id,
                 reference=application.reference)


def delete_application(application: Application, reason: str, actor: User | None = None) -> None:
    """Delete an application now, keeping it only as one more in the call's counts."""
    call = application.call
    counts = dict(call.purged_counts or {})
    for key, value in _count_keys(application):
        bucket = dict(counts.get(key, {}))
        bucket[value] = bucket.get(value, 0) + 1
        counts[key] = bucket
    call.purged_counts = counts
    if application.scan_key:
        files.remove_after_commit(db.session, application.scan_key)
    db.session.execute(update(Application).where(Application.duplicate_of_id == application.id)
                       .values(duplicate_of_id=None))
    record_event(actor, "application.deleted", "application", application.id,
                 reference=application.reference, reason=reason)
    db.session.delete(application)


def _count_keys(application: Application) -> list[tuple[str, str]]:
    return [("channel", application.channel.value), ("language", application.language),
            ("neighborhood", application.neighborhood), ("status", application.status.value),
            ("day", application.received_at.astimezone(
                ZoneInfo(application.call.program.timezone)).date().isoformat())]


def purge_after_decisions(now: datetime, retention_days: int) -> int:
    """Delete applications of people not selected, `retention_days` after their call's
    decisions, and drafts of calls that have closed. Returns how many applications went."""
    cutoff = now - timedelta(days=retention_days)
    removed = 0
    calls = db.session.scalars(select(OpenCall).where(OpenCall.decided_at.is_not(None),
                                                      OpenCall.decided_at <= cutoff)).all()
    for call in calls:
        for application in db.session.scalars(select(Application).where(
                Application.call_id == call.id,
                Application.status.not_in(KEPT_STATUSES))).all():
            delete_application(application, "retention")
            removed += 1
    closed = [call.id for call in db.session.scalars(select(OpenCall)).all()
              if not call.is_open(now)]
    if closed:
        db.session.execute(delete(ApplicationDraft).where(ApplicationDraft.call_id.in_(closed)))
    return removed


# --- Staff -------------------------------------------------------------------------------------

def open_application(actor: User, application: Application) -> None:
    """Every time staff read an application, the audit log says who and when."""
    record_event(actor, "application.opened", "application", application.id,
                 reference=application.reference)


def mark_eligibility(actor: User, application: Application, eligible: bool,
                     reason: str | None) -> None:
    reason = (reason or "").strip()
    if not eligible and not reason:
        raise ApplicationRuleError("reason", _l("Say why this application is not eligible."))
    if application.status not in (ApplicationStatus.SUBMITTED, ApplicationStatus.ELIGIBLE,
                                  ApplicationStatus.INELIGIBLE):
        raise ApplicationRuleError("decision", _l(
            "This application is past that step; its eligibility cannot change now."))
    previous = application.status
    application.status = ApplicationStatus.ELIGIBLE if eligible else ApplicationStatus.INELIGIBLE
    application.eligibility_reason = reason or None
    record_event(actor, "application.eligibility_marked", "application", application.id,
                 reference=application.reference,
                 changes={"status": {"from": previous.value, "to": application.status.value}},
                 reason=reason or None)


def merge_duplicate(actor: User, keep: Application, duplicate: Application) -> None:
    """Fold a second application by the same person into the first: contact details the
    first lacks are taken over, and the second is withdrawn, pointing at the first."""
    if keep.id == duplicate.id or keep.call_id != duplicate.call_id:
        raise ApplicationRuleError("keep", _l("Choose another application of the same call."))
    for name in ("email", "mobile", "phone", "mailing_address", "preferred_name"):
        if not getattr(keep, name) and getattr(duplicate, name):
            setattr(keep, name, getattr(duplicate, name))
    duplicate.duplicate_of_id = keep.id
    duplicate.status = ApplicationStatus.WITHDRAWN
    record_event(actor, "application.merged", "application", duplicate.id,
                 reference=duplicate.reference, into=keep.reference)


def _name_key(name: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", "", name.casefold()).split())


def likely_duplicates(call: OpenCall) -> dict[int, list[str]]:
    """Application id -> references of other applications of the call that share an
    email address, a phone number, or the same name in the same neighborhood."""
    rows = db.session.execute(select(
        Application.id, Application.reference, Application.name, Application.email,
        Application.mobile, Application.phone, Application.neighborhood).where(
        Application.call_id == call.id, Application.duplicate_of_id.is_(None))).all()
    groups: dict[tuple, list] = {}
    for row in rows:
        keys = {("name", _name_key(row.name), row.neighborhood)}
        if row.email:
            keys.add(("email", row.email))
        keys |= {("phone", d) for d in (_digits(row.mobile), _digits(row.phone)) if len(d) >= 7}
        for key in keys:
            groups.setdefault(key, []).append(row)
    found: dict[int, set[str]] = {}
    for members in groups.values():
        if len(members) > 1:
            for row in members:
                found.setdefault(row.id, set()).update(
                    other.reference for other in members if other.id != row.id)
    return {key: sorted(value) for key, value in found.items()}


@dataclass(frozen=True)
class CallCounts:
    total: int
    by_day: list[tuple[date, int]]
    by_channel: Counter
    by_language: Counter
    by_neighborhood: Counter
    by_status: Counter


def call_counts(call: OpenCall) -> CallCounts:
    """How many applied, by day, channel, language, neighborhood and status, deleted
    applications included, so staff see whom the call is not reaching."""
    zone = ZoneInfo(call.program.timezone)
    rows = db.session.execute(select(
        Application.received_at, Application.channel, Application.language,
        Application.neighborhood, Application.status).where(
        Application.call_id == call.id)).all()
    kept = call.purged_counts or {}
    day, channel, language, place, status = (Counter(kept.get(k, {})) for k in (
        "day", "channel", "language", "neighborhood", "status"))
    for row in rows:
        day[row.received_at.astimezone(zone).date().isoformat()] += 1
        channel[row.channel.value] += 1
        language[row.language] += 1
        place[row.neighborhood] += 1
        status[row.status.value] += 1
    return CallCounts(
        total=sum(status.values()),
        by_day=sorted((date.fromisoformat(d), n) for d, n in day.items()),
        by_channel=channel, by_language=language, by_neighborhood=place, by_status=status)


@dataclass(frozen=True)
class ApplicationFilter:
    status: str | None = None
    channel: str | None = None
    language: str | None = None
    neighborhood: str | None = None


def applications_query(call: OpenCall, chosen: ApplicationFilter):
    query = select(Application).where(Application.call_id == call.id)
    if chosen.status in ApplicationStatus.__members__.values():
        query = query.where(Application.status == ApplicationStatus(chosen.status))
    if chosen.channel in Channel.__members__.values():
        query = query.where(Application.channel == Channel(chosen.channel))
    if chosen.language:
        query = query.where(Application.language == chosen.language)
    if chosen.neighborhood:
        query = query.where(Application.neighborhood == chosen.neighborhood)
    return query.order_by(Application.received_at.desc(), Application.id.desc())


def retention_days() -> int:
    return int(current_app.config.get("APPLICATION_RETENTION_DAYS", 180))


def deletion_day(call: OpenCall) -> date | None:
    """The day applications of people not chosen are deleted, once decisions are known."""
    base = call.decided_at.date() if call.decided_at else call.decisions_by
    return base + timedelta(days=retention_days()) if base else None


def count_applications(call: OpenCall) -> int:
    return db.session.scalar(select(func.count(Application.id)).where(
        Application.call_id == call.id))


def render_letter(application: Application) -> str:
    """The confirmation as a printable letter, in the person's language."""
    language = application.language if application.language in LANGUAGE_BY_CODE \
        else DEFAULT_LANGUAGE
    with force_locale(language):
        return render_template("applications/letter.html", application=application,
                               call=application.call, language=LANGUAGE_BY_CODE[language])
