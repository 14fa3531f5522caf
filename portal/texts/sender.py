"""Sending one queued text: printed in the console, or through Twilio's SDK."""

from __future__ import annotations

import sys

from flask import current_app

from portal.outbox.models import OutboxMessage


class TextNotSent(Exception):
    """The provider refused the text or could not be reached; it is tried again."""


def _twilio_client():
    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

    config = current_app.config
    api_base = config.get("TWILIO_API_BASE")

    class PortalHttpClient(TwilioHttpClient):
        """Twilio's own HTTP client, sent to TWILIO_API_BASE when that is set
        (a stand-in for the provider in tests); otherwise unchanged."""

        def request(self, method, url, *args, **kwargs):
            if api_base:
                url = api_base.rstrip("/") + "/" + url.split("://", 1)[1].split("/", 1)[1]
            return super().request(method, url, *args, **kwargs)

    return Client(config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"],
                  http_client=PortalHttpClient(timeout=30))


def status_callback_url() -> str:
    return current_app.config["BASE_URL"].rstrip("/") + "/sms/status"


def send_text(message: OutboxMessage) -> None:
    """Hand one text to the provider; sets its provider id. Raises TextNotSent."""
    backend = current_app.config["SMS_BACKEND"]
    if backend == "console":
        sys.stdout.write(f"Text to {message.to_address} ({message.segments} segment(s)):\n"
                         f"{message.body}\n" + "-" * 72 + "\n")
        message.delivery_status = "sent"
        return
    if backend != "twilio":
        raise TextNotSent(f"texts are turned off (SMS_BACKEND={backend})")
    from twilio.base.exceptions import TwilioException

    try:
        sent = _twilio_client().messages.create(
            to=message.to_address, from_=current_app.config["TWILIO_FROM_NUMBER"],
            body=message.body, status_callback=status_callback_url(),
        )
    except (TwilioException, OSError) as error:
        raise TextNotSent(f"{type(error).__name__}: {error}") from error
    message.provider_id = sent.sid
    message.delivery_status = sent.status
