"""What a text that comes in does: a keyword (STOP, START, HELP, in each
language), or 1, 2 or 3 answering the meeting the last reminder asked about."""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import select

from portal.auth.models import User
from portal.db import db
from portal.i18n import LANGUAGE_BY_CODE
from portal.meetings.models import Meeting, Response
from portal.meetings.services import (
    AnswersClosed,
    MeetingRuleError,
    Needs,
    SeatsFull,
    find_rsvp,
    is_program_member,
    next_meeting,
    rsvp_for_meeting,
    waitlist_place,
)
from portal.outbox.models import Channel, OutboxMessage
from portal.programs.services import program_and_membership
from portal.texts.models import ConsentSource, InboundText
from portal.texts.phones import NotAPhoneNumber, to_e164
from portal.texts.segments import plain_for_texts
from portal.texts.services import (
    applications_texted_at,
    record_application_consent,
    record_consent,
)

# The carriers' words, then each language's own, written as people type them
# (accents and case do not matter: see _keyword).
STOP_WORDS = frozenset({
    "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE",
    "PARAR", "PARE", "ALTO", "BAJA",  # es, pt_BR
    "SISPANN", "RETE",  # ht
    "PARA", "DIXA",  # kea
    "ARRET", "ARRETER", "DESABONNER",  # fr
    "DUNG", "HUY",  # vi (DỪNG, HỦY)
    "СТОП", "ОТПИСАТЬСЯ",  # ru
    "توقف", "ايقاف", "الغاء",  # ar
    "停止", "退订", "退訂", "取消",  # zh
})
START_WORDS = frozenset({
    "START", "UNSTOP", "YES", "SUBSCRIBE",
    "INICIAR", "COMENZAR", "SI",  # es
    "KOMANSE", "WI",  # ht
    "KOMESA",  # kea
    "COMECAR", "VOLTAR", "SIM",  # pt_BR
    "DEMARRER", "OUI",  # fr
    "BATDAU",  # vi (BẮT ĐẦU)
    "СТАРТ", "НАЧАТЬ",  # ru
    "ابدأ", "ابدا", "بدء",  # ar
    "开始", "開始", "订阅", "訂閱",  # zh
})
HELP_WORDS = frozenset({
    "HELP", "INFO",
    "AYUDA",  # es
    "ED", "EDE",  # ht
    "AJUDA",  # kea, pt_BR
    "AIDE",  # fr
    "GIUP", "TROGIUP",  # vi
    "ПОМОЩЬ",  # ru
    "مساعدة", "مساعده",  # ar
    "帮助", "幫助", "帮忙", "幫忙",  # zh
})
ANSWERS = {1: Response.IN_PERSON, 2: Response.VIRTUAL, 3: Response.NOT_ATTENDING}
# A reminder's question stays open this long for a reply.
REMINDER_ANSWERABLE_FOR = timedelta(days=7)


def _keyword(body: str) -> str:
    """The message as one upper-case word without accents or punctuation."""
    decomposed = unicodedata.normalize("NFKD", body.strip())
    letters = "".join(ch for ch in decomposed
                      if not unicodedata.combining(ch) and (ch.isalnum() or ch.isspace()))
    return "".join(letters.split()).upper().replace("Đ", "D")


def _answer_number(body: str) -> int | None:
    """1, 2 or 3 written any way a phone keyboard writes digits (١, ١, ۱)."""
    digits = [ch for ch in body.strip() if not ch.isspace() and ch not in ".)!"]
    if len(digits) != 1:
        return None
    try:
        value = unicodedata.digit(digits[0])
    except (TypeError, ValueError):
        return None
    return value if value in ANSWERS else None


def _person_for(number: str) -> User | None:
    try:
        e164 = to_e164(number)
    except NotAPhoneNumber:
        return None
    return db.session.scalars(
        select(User).where(User.phone == e164, User.active.is_(True)).order_by(User.id)
    ).first()


def meeting_asked_about(person: User, now: datetime) -> Meeting | None:
    """The meeting the person's latest reminder text asked about, while it has
    not ended; otherwise their program's next meeting."""
    asked = db.session.scalars(
        select(Meeting).join(OutboxMessage, OutboxMessage.meeting_id == Meeting.id)
        .where(OutboxMessage.recipient_id == person.id,
               OutboxMessage.channel == Channel.TEXT,
               OutboxMessage.created_at >= now - REMINDER_ANSWERABLE_FOR,
               Meeting.ends_at > now)
        .order_by(OutboxMessage.id.desc())
    ).first()
    if asked is not None:
        return asked
    program, member = program_and_membership(person)
    return next_meeting(program.id, now) if member else None


def _applications_of(number: str) -> list:
    """Applications that chose texts to this number: someone who applied and has
    no account can stop (and restart) texts too."""
    try:
        return applications_texted_at(to_e164(number))
    except NotAPhoneNumber:
        return []


def _applicant_language(applications: list) -> str | None:
    languages = [a.language for a in applications if a.language in LANGUAGE_BY_CODE]
    return languages[-1] if languages else None


def _record_reply_consent(person, applications, agreed: bool, now) -> None:
    """STOP or START from a number: for its account and every application it gave."""
    if person is not None:
        record_consent(person, agreed, ConsentSource.REPLY, now)
    for application in applications:
        record_application_consent(application, agreed, ConsentSource.REPLY, now)


def _say(person: User | None, template: str, language: str | None = None, **context) -> str:
    language = person.preferred_language if person else (language or "en")
    program = program_and_membership(person)[0] if person else None
    with force_locale(language):
        text = render_template(f"text/{template}.txt", recipient=person, program=program,
                               staff_contact=current_app.config["STAFF_CONTACT"], **context)
    return plain_for_texts(text)


def _answer(person: User, number: int, now: datetime) -> tuple[str, str]:
    meeting = meeting_asked_about(person, now)
    if meeting is None or not is_program_member(person, meeting.program_id):
        return "no_meeting", _say(person, "reply_no_meeting")
    response = ANSWERS[number]
    existing = find_rsvp(meeting, person)
    needs = Needs.of(existing, person)
    try:
        try:
            rsvp = rsvp_for_meeting(person, meeting, response, needs, now)
        except SeatsFull:
            # The web page offers the waitlist here; a text cannot ask back and
            # wait, so it takes the place and says how to choose online instead.
            rsvp = rsvp_for_meeting(person, meeting, Response.WAITLISTED, needs, now)
    except AnswersClosed:
        return "closed", _say(person, "reply_closed", meeting=meeting)
    except MeetingRuleError as error:
        return "not_possible", _say(person, "reply_not_possible", meeting=meeting,
                                    reason=str(error.message))
    return f"answered_{rsvp.response}", _say(
        person, "reply_recorded", meeting=meeting, rsvp=rsvp,
        place=waitlist_place(rsvp) if rsvp.response == Response.WAITLISTED else None)


def handle_inbound(from_number: str, body: str, provider_id: str, now: datetime) -> str:
    """Act on one text that came in and return the reply, in the sender's
    language. A text seen before (the provider retries) is answered the same
    way and changes nothing again. The caller commits."""
    seen = db.session.scalars(
        select(InboundText).where(InboundText.provider_id == provider_id)).first()
    if seen is not None:
        return seen.reply
    person = _person_for(from_number)
    word = _keyword(body)
    applications = _applications_of(from_number) if word in STOP_WORDS | START_WORDS else []
    if word in STOP_WORDS:
        _record_reply_consent(person, applications, False, now)
        outcome, reply = "stopped", _say(person, "reply_stopped",
                                         _applicant_language(applications))
    elif word in START_WORDS and (person is not None or applications):
        _record_reply_consent(person, applications, True, now)
        outcome, reply = "started", _say(person, "reply_started",
                                         _applicant_language(applications))
    elif word in HELP_WORDS or person is None:
        outcome, reply = "help", _say(person, "reply_help")
    elif (number := _answer_number(body)) is not None:
        outcome, reply = _answer(person, number, now)
    else:
        outcome, reply = "unknown", _say(person, "reply_unknown")
    db.session.add(InboundText(provider_id=provider_id, from_number=from_number[:20],
                               user_id=person.id if person else None, outcome=outcome,
                               reply=reply[:1600], received_at=now))
    return reply


FAILED_DELIVERY = frozenset({"failed", "undelivered"})


def record_delivery(provider_id: str, status: str) -> bool:
    """Store the provider's delivery report on the text it is about."""
    message = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.provider_id == provider_id)).first()
    if message is None:
        return False
    message.delivery_status = status[:20]
    return True
