"""Queueing email in the recipient's language, and sending what is queued."""

from __future__ import annotations

import smtplib
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.generator import BytesGenerator
from email.message import EmailMessage
from email.utils import parseaddr
from io import BytesIO

from flask import current_app, has_app_context, render_template, url_for
from flask_babel import force_locale
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from portal.auth.models import User
from portal.db import db, utcnow
from portal.outbox.message import build_email
from portal.outbox.models import Channel, OutboxMessage, OutboxStatus
from portal.texts.sender import TextNotSent, send_text

# How long a send run holds a message it is sending before another run may take it.
SEND_CLAIM = timedelta(minutes=10)


def external_url(endpoint: str, **values) -> str:
    """An absolute link for an email, whether or not a request is running."""
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        return url_for(endpoint, _external=True, **values)


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    text: str


def queue_email(recipient: User, template: str, *, address: str | None = None,
                attachment: Attachment | None = None, **context) -> OutboxMessage | None:
    """Render `email/<template>` in the recipient's language and add it to the outbox.

    `address` sends it somewhere other than the person's email address (their old
    one, after a change). Returns None for a person without an email address. The
    caller commits, so the message is stored together with the change that causes it.
    """
    address = address or recipient.email
    if not address:
        return None
    return queue_email_to(address, recipient.preferred_language, template,
                          recipient_id=recipient.id, attachment=attachment,
                          recipient=recipient, **context)


def queue_email_to(address: str, language: str, template: str, *,
                   recipient_id: int | None = None, attachment: Attachment | None = None,
                   **context) -> OutboxMessage:
    """The same for an address that belongs to no account (an applicant, say)."""
    with force_locale(language):
        subject = render_template(f"email/{template}.subject.txt", **context)
        body = render_template(f"email/{template}.body.txt", **context)
    message = OutboxMessage(
        recipient_id=recipient_id,
        to_address=address,
        topic=template,
        language=language,
        subject=" ".join(subject.split()),
        body=body.strip() + "\n",
        attachment_name=attachment.filename if attachment else None,
        attachment_type=attachment.content_type if attachment else None,
        attachment_body=attachment.text if attachment else None,
        created_at=utcnow(),
    )
    db.session.add(message)
    # Tells the session's commit that there is mail to deliver at once (see below).
    db.session.info["outbox_queued"] = True
    return message


def render_email(recipient: User, template: str, **context) -> tuple[str, str]:
    """(subject, body) of `email/<template>` in the recipient's language."""
    with force_locale(recipient.preferred_language):
        subject = render_template(f"email/{template}.subject.txt", recipient=recipient, **context)
        body = render_template(f"email/{template}.body.txt", recipient=recipient, **context)
    return subject, body


# A cancellation this close to its start is texted even at night.
URGENT_BEFORE_START = timedelta(hours=12)
# Texts whose reply (1, 2 or 3) answers the meeting they are about.
ANSWERABLE_BY_TEXT = frozenset({"meeting_reminder", "seat_available"})


def notify(recipient: User, template: str, **context) -> list[OutboxMessage]:
    """Tell a person something by the ways they chose: email, text, or both,
    each in their language. Returns what was queued (nothing for a person no
    channel reaches: they are on the staff's call list). The caller commits.
    """
    from portal.texts.services import queue_text, reaches_by_email

    queued = []
    if reaches_by_email(recipient):
        queued.append(queue_email(recipient, template, **context))
    meeting = context.get("meeting")
    now = utcnow()
    text = queue_text(
        recipient, template, now=now,
        timezone=meeting.program.timezone if meeting is not None else None,
        urgent=(template == "meeting_cancelled" and meeting is not None
                and meeting.starts_at - now < URGENT_BEFORE_START),
        answers_meeting=meeting if template in ANSWERABLE_BY_TEXT else None,
        **context,
    )
    if text is not None:
        queued.append(text)
    return [message for message in queued if message is not None]


def _build_email(message: OutboxMessage, eight_bit: bool = True) -> EmailMessage:
    config = current_app.config
    return build_email(message, sender=config["MAIL_FROM"], base_url=config["BASE_URL"],
                       eight_bit=eight_bit)


def _wire_bytes(email: EmailMessage) -> bytes:
    buffer = BytesIO()
    BytesGenerator(buffer, policy=email.policy).flatten(email, linesep="\r\n")
    return buffer.getvalue()


def _deliver(message: OutboxMessage) -> None:
    config = current_app.config
    if config["MAIL_BACKEND"] == "console":
        # The bytes an 8-bit server would get, so the terminal shows the text as written.
        printed = _wire_bytes(_build_email(message)).decode("utf-8").replace("\r\n", "\n")
        sys.stdout.write(printed + "\n" + "-" * 72 + "\n")
        sys.stdout.flush()
        return
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
        smtp.ehlo()
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
            smtp.ehlo()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        # A body with bytes above 127 goes as 8bit only to a server that says it takes
        # it (RFC 6152), announced with BODY=8BITMIME; any other gets quoted-printable.
        eight_bit = smtp.has_extn("8bitmime")
        email = _build_email(message, eight_bit=eight_bit)
        data = _wire_bytes(email)
        options = ["BODY=8BITMIME"] if eight_bit and not data.isascii() else []
        smtp.sendmail(parseaddr(config["MAIL_FROM"])[1], [message.to_address], data,
                      mail_options=options)


def send_queued_messages(now: datetime | None = None, limit: int = 200,
                         session: Session | None = None) -> tuple[int, int]:
    """Send what is due in the outbox, one message per transaction.

    A failure is recorded and retried later with a growing pause; a message is
    never dropped. Returns (sent, failed).
    """
    session = session or db.session
    now = now or utcnow()
    max_backoff = timedelta(minutes=current_app.config["OUTBOX_MAX_BACKOFF_MINUTES"])
    ids = session.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.status == OutboxStatus.QUEUED, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    sent = failed = 0
    for message_id in ids:
        # Claim the message in its own committed change first, so a second run started
        # meanwhile (cron, overlapping) skips it, on SQLite too. A run that dies after
        # this leaves it queued, to be tried again once the claim runs out.
        claimed = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id,
                   OutboxMessage.status == OutboxStatus.QUEUED,
                   OutboxMessage.next_attempt_at <= now)
            .values(attempts=OutboxMessage.attempts + 1, next_attempt_at=now + SEND_CLAIM)
            .execution_options(synchronize_session=False)
        ).rowcount
        session.commit()
        if not claimed:
            continue
        message = session.get(OutboxMessage, message_id, populate_existing=True)
        try:
            if message.channel == Channel.TEXT:
                send_text(message)
            else:
                _deliver(message)
        except (OSError, smtplib.SMTPException, TextNotSent) as error:
            failed += 1
            message.last_error = f"{type(error).__name__}: {error}"[:1000]
            pause = min(timedelta(minutes=2 ** (message.attempts - 1)), max_backoff)
            message.next_attempt_at = now + pause
        else:
            sent += 1
            message.status = OutboxStatus.SENT
            message.sent_at = now
            message.last_error = None
        session.commit()
    return sent, failed


@event.listens_for(Session, "after_commit")
def _deliver_after_commit(committed: Session) -> None:
    """With MAIL_SEND_ON_COMMIT (the demo's printed mail), what a change queued is
    delivered as soon as the change is stored, instead of waiting for `outbox send`.

    The sending runs on its own session: the committed one may not start work here.
    """
    if not committed.info.pop("outbox_queued", False):
        return
    if not has_app_context() or not current_app.config.get("MAIL_SEND_ON_COMMIT"):
        return
    with Session(db.engine) as sending:
        send_queued_messages(session=sending)
