"""Asking for the password again before money moves.

Someone who walks up to an unlocked screen should not be able to record or
void a payment, so those steps want a password typed in the last few minutes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app, session
from limits import parse

from portal.auth.models import User
from portal.extensions import limiter

_SESSION_KEY = "password_entered_at"


def note_password_entered(now: datetime) -> None:
    session[_SESSION_KEY] = int(now.timestamp())


def password_entered_recently(now: datetime) -> bool:
    """True if this session's person typed their password within the configured minutes."""
    entered = session.get(_SESSION_KEY)
    if not isinstance(entered, int):
        return False
    window = timedelta(minutes=current_app.config["RECENT_SIGN_IN_MINUTES"])
    return 0 <= now.timestamp() - entered <= window.total_seconds()


def confirm_password(user: User, password: str, now: datetime) -> bool:
    """Check the password typed to confirm a step; a match counts as a fresh sign-in."""
    if password and user.check_password(password):
        note_password_entered(now)
        return True
    return False


def too_many_wrong_passwords(user: User) -> bool:
    """Count one wrong confirmation; True once this person has passed the limit,
    so someone at an unattended screen cannot keep guessing."""
    limit = parse(current_app.config["PASSWORD_CONFIRM_LIMIT"])
    return not limiter.limiter.hit(limit, "password-confirm", str(user.id))
