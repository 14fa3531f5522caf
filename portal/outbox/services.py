"""Queueing email in the recipient's language, and sending what is queued."""

from __future__ import annotations

import smtplib
import sys
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app, render_template, url_for
from flask_babel import force_locale
from sqlalchemy import select, update

from portal.auth.models import User
from portal.db import db, utcnow
from portal.outbox.models import OutboxMessage, OutboxStatus

# How long a send run holds a message it is sending before another run may take it.
SEND_CLAIM = timedelta(minutes=10)


def external_url(endpoint: str, **values) -> str:
    """An absolute link for an email, whether or not a request is running."""
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        return url_for(endpoint, _external=True, **values)


def queue_email(recipient: User, template: str, **context) -> OutboxMessage | None:
    """Render `email/<template>` in the recipient's language and add it to the outbox.

    Returns None for a person without an email address. The caller commits,
    so the message is stored together with the change that causes it.
    """
    if not recipient.email:
        return None
    return queue_email_to(recipient.email, recipient.preferred_language, template,
                          recipient_id=recipient.id, recipient=recipient, **context)


def queue_email_to(address: str, language: str, template: str, *,
                   recipient_id: int | None = None, **context) -> OutboxMessage:
    """The same for an address that belongs to no account (an applicant, say)."""
    with force_locale(language):
        subject = render_template(f"email/{template}.subject.txt", **context)
        body = render_template(f"email/{template}.body.txt", **context)
    message = OutboxMessage(
        recipient_id=recipient_id,
        to_address=address,
        language=language,
        subject=" ".join(subject.split()),
        body=body.strip() + "\n",
    )
    db.session.add(message)
    return message


def _build_email(message: OutboxMessage) -> EmailMessage:
    email = EmailMessage()
    email["From"] = current_app.config["MAIL_FROM"]
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Message-ID"] = make_msgid(domain="design-group-portal")
    email.set_content(message.body)
    # After set_content, which replaces every Content-* header.
    email["Content-Language"] = message.language.replace("_", "-")
    return email


def _deliver(email: EmailMessage) -> None:
    config = current_app.config
    if config["MAIL_BACKEND"] == "console":
        sys.stdout.write(email.as_string() + "\n" + "-" * 72 + "\n")
        return
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(email)


def send_queued_messages(now: datetime | None = None, limit: int = 200) -> tuple[int, int]:
    """Send what is due in the outbox, one message per transaction.

    A failure is recorded and retried later with a growing pause; a message is
    never dropped. Returns (sent, failed).
    """
    now = now or utcnow()
    max_backoff = timedelta(minutes=current_app.config["OUTBOX_MAX_BACKOFF_MINUTES"])
    ids = db.session.scalars(
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
        claimed = db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id,
                   OutboxMessage.status == OutboxStatus.QUEUED,
                   OutboxMessage.next_attempt_at <= now)
            .values(attempts=OutboxMessage.attempts + 1, next_attempt_at=now + SEND_CLAIM)
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
        if not claimed:
            continue
        message = db.session.get(OutboxMessage, message_id, populate_existing=True)
        try:
            _deliver(_build_email(message))
        except (OSError, smtplib.SMTPException) as error:
            failed += 1
            message.last_error = f"{type(error).__name__}: {error}"[:1000]
            pause = min(timedelta(minutes=2 ** (message.attempts - 1)), max_backoff)
            message.next_attempt_at = now + pause
        else:
            sent += 1
            message.status = OutboxStatus.SENT
            message.sent_at = now
            message.last_error = None
        db.session.commit()
    return sent, failed
