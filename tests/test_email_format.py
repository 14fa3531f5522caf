"""Every email is a well-formed Internet message (RFC 5322, RFC 2047, RFC 6152) that real
mail clients show as written, in every language the portal speaks."""

from __future__ import annotations

import email
import re
from email import policy
from email.utils import parsedate_to_datetime
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from portal.auth.models import Role
from portal.db import db
from portal.demo import PROGRAM_NAME, SESSION_TITLES
from portal.i18n import LANGUAGE_CODES
from portal.outbox.models import OutboxMessage, OutboxStatus
from portal.outbox.services import queue_email, send_queued_messages
from tests.conftest import make_person
from tests.test_outbox import serving_smtp

ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")
SUBJECT_TEMPLATES = ("invitation", "password_reset", "meeting_reminder", "meeting_changed",
                     "meeting_cancelled", "seat_available", "document_published",
                     "translation_ready", "payment_recorded")


class CheckingMailbox:
    """An SMTP server that refuses what a careful receiver would: 8-bit data sent without
    BODY=8BITMIME, or to a server that never offered it."""

    def __init__(self, offers_8bitmime: bool):
        self.offers_8bitmime = offers_8bitmime
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        data = envelope.original_content
        if not data.isascii():
            if not self.offers_8bitmime:
                return "554 8-bit data sent to a server that did not offer 8BITMIME"
            if "BODY=8BITMIME" not in [option.upper() for option in envelope.mail_options]:
                return "554 8-bit data without BODY=8BITMIME"
        self.envelopes.append(envelope)
        return "250 OK"


@pytest.fixture(params=[True, False], ids=["8bitmime", "7bit-only"])
def checking_server(request, app, data_app):
    # aiosmtpd offers 8BITMIME unless it decodes data as text itself.
    with serving_smtp(CheckingMailbox(offers_8bitmime=request.param), (app, data_app),
                      decode_data=not request.param) as mailbox:
        yield mailbox


def _long_title(language: str) -> str:
    # Long enough that every subject needs folding over several lines.
    return " — ".join([SESSION_TITLES[language]] * 4)


def _queue_every_subject(program) -> list[OutboxMessage]:
    messages = []
    for language in LANGUAGE_CODES:
        member = make_person(program, Role.MEMBER, name=f"Reader {language}", language=language)
        text = SimpleNamespace(title=_long_title(language))
        meeting = SimpleNamespace(text_for=lambda _code, text=text: text)
        context = {
            "invitation": {"link": "http://portal.test/x", "program_name": PROGRAM_NAME},
            "password_reset": {"link": "http://portal.test/x"},
            "document_published": {"version": text},
            "translation_ready": {"version": text},
            "payment_recorded": {"payment": SimpleNamespace(amount_cents=60_000),
                                 "currency": "USD"},
        }
        for template in SUBJECT_TEMPLATES:
            subject_only = context.get(template, {"meeting": meeting, "link": "x"})
            messages.append(_queue_subject(member, template, subject_only))
    db.session.commit()
    return messages


def _queue_subject(member, template, context):
    """Queue with the real subject and a body in the member's script, without needing
    every object the body template reads."""
    from flask import render_template
    from flask_babel import force_locale

    with force_locale(member.preferred_language):
        subject = render_template(f"email/{template}.subject.txt", recipient=member, **context)
    message = queue_email(member, "password_reset", link="http://portal.test/x")
    message.subject = " ".join(subject.split())
    return message


def _header_lines(raw: bytes) -> list[str]:
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    return head.split("\r\n")


def _unfolded(lines: list[str], name: str) -> str:
    value, inside = [], False
    for line in lines:
        if line[:1] in (" ", "\t"):
            if inside:
                value.append(line)
        else:
            inside = line.lower().startswith(name.lower() + ":")
            if inside:
                value.append(line[len(name) + 1:])
    return "\r\n".join(value)


def test_every_subject_in_every_language_arrives_as_written(app, program, checking_server):
    messages = _queue_every_subject(program)
    subjects = {message.id: message.subject for message in messages}
    assert len(set(subjects.values())) > 9 * 10  # the languages really differ

    assert send_queued_messages() == (len(messages), 0)
    assert len(checking_server.envelopes) == len(messages)
    for envelope in checking_server.envelopes:
        raw = envelope.original_content
        lines = _header_lines(raw)
        # RFC 5322 2.1.1: header lines of at most 78 characters; RFC 2047: encoded
        # words of at most 75.
        assert max(len(line) for line in lines) <= 78, lines
        parsed = email.message_from_bytes(raw, policy=policy.default)
        words = ENCODED_WORD.findall(_unfolded(lines, "Subject"))
        assert max((len(word) for word in words), default=0) <= 75
        assert bool(words) == (not parsed["Subject"].isascii())
        # RFC 5322 3.6: an origination date, and a Message-ID under the portal's domain.
        assert parsedate_to_datetime(parsed["Date"]).tzinfo is not None
        assert re.fullmatch(r"<[A-Za-z0-9.]+@portal\.test>", parsed["Message-ID"])
        message_id = int(parsed["Message-ID"].split("@")[0].rsplit(".", 1)[1])
        assert parsed["Subject"] == subjects[message_id]
        assert not parsed["Subject"].startswith(" ")
        # The body comes back as written, whichever transfer encoding the server allowed.
        stored = db.session.get(OutboxMessage, message_id)
        assert parsed.get_body(("plain",)).get_content().replace("\r\n", "\n") == stored.body
        assert parsed["Content-Language"] == stored.language.replace("_", "-")
    assert {m.status for m in db.session.scalars(select(OutboxMessage))} == {OutboxStatus.SENT}


def test_message_id_stays_the_same_when_a_message_is_sent_again(app, people):
    from portal.outbox.services import _build_email

    message = queue_email(people["member_es"], "password_reset", link="http://portal.test/x")
    db.session.commit()
    assert _build_email(message)["Message-ID"] == _build_email(message)["Message-ID"]
    assert _build_email(message)["Date"] == _build_email(message)["Date"]


def test_a_message_with_a_calendar_file_keeps_every_line_within_the_limits(
        app, program, people, checking_server):
    from datetime import timedelta

    from portal.db import utcnow
    from portal.meetings.models import MeetingFormat, Response
    from portal.meetings.services import MeetingDetails, Needs, create_meeting, rsvp_for_meeting

    start = utcnow() + timedelta(days=4)
    meeting = create_meeting(
        people["facilitator"], program,
        MeetingDetails(starts_at=start, ends_at=start + timedelta(hours=2),
                       format=MeetingFormat.HYBRID, venue="Hôtel de Ville", room="Salle 801",
                       join_link="https://video.example.org/x", capacity=10),
        language="en", title=" — ".join([SESSION_TITLES["vi"]] * 6), description=None)
    rsvp_for_meeting(people["member_es"], meeting, Response.IN_PERSON, Needs(), utcnow())
    db.session.commit()
    assert send_queued_messages() == (1, 0)
    raw = checking_server.envelopes[0].original_content
    # RFC 5322 2.1.1: no line over 998; RFC 2045 6.8: base64 lines of at most 76.
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    parsed = email.message_from_bytes(raw, policy=policy.default)
    [attachment] = list(parsed.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_param("method") == "PUBLISH"
    assert attachment["Content-Transfer-Encoding"] == "base64"
    encoded = attachment.get_payload(decode=False).strip().split("\n")
    assert max(len(line.strip()) for line in encoded) <= 76
    assert "BEGIN:VEVENT" in attachment.get_content()
