"""Signing in, invitations, password resets and password rules."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from datetime import datetime, timedelta
from functools import cache
from importlib.resources import files

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update

from portal.audit.services import record_event
from portal.auth.models import (
    AccountToken,
    TokenPurpose,
    User,
    dummy_password_hash,
    hash_token,
    new_session_token,
)
from portal.db import db
from portal.outbox.services import queue_email
from portal.rules import RuleError


class InvalidLink(Exception):
    """The link was never issued, was already used, or has expired."""


class PasswordRejected(ValueError):
    def __init__(self, message, field: str = "password"):
        super().__init__(str(message))
        self.message = message
        self.field = field


class PersonRuleError(RuleError):
    """A change to a person that breaks a rule; `field` names the form field."""


def check_sign_in_names_free(user: User | None, email: str | None, username: str | None) -> None:
    """Nobody else may sign in with the same email address or username."""
    if email:
        other = db.session.scalars(select(User).where(func.lower(User.email) == email)).first()
        if other is not None and other is not user:
            raise PersonRuleError("email", _l("Someone already uses this email address."))
    if username:
        other = db.session.scalars(
            select(User).where(func.lower(User.username) == username)
        ).first()
        if other is not None and other is not user:
            raise PersonRuleError("username", _l("Someone already uses this username."))


def change_sign_in_identity(actor: User | None, user: User, *, email: str | None,
                            username: str | None) -> None:
    """Change what a person signs in with. Audited with the old and new values; the
    old address is told, so a change nobody asked for is noticed."""
    before = {"email": user.email, "username": user.username}
    after = {"email": email, "username": username}
    changes = {key: {"from": before[key], "to": after[key]} for key in before
               if before[key] != after[key]}
    if not changes:
        return
    if (actor is not None and actor.id != user.id and user.password_hash
            and "email" in changes and before["email"] and user.previous_email is None):
        user.previous_email = before["email"]
    user.email, user.username = email, username
    record_event(actor, "sign_in_identity.changed", "user", user.id, changes=changes)
    if before["email"]:
        queue_email(user, "sign_in_changed", address=before["email"],
                    new_email=email, new_username=username,
                    email_changed="email" in changes, username_changed="username" in changes)


@cache
def _common_passwords() -> frozenset[str]:
    text = files("portal").joinpath("data/common-passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def check_new_password(password: str, user: User | None, min_length: int) -> None:
    """Length and a list of common passwords; no composition rules."""
    if len(password) < min_length:
        raise PasswordRejected(
            _l("Use at least %(count)d characters.", count=min_length)
        )
    lowered = password.lower()
    identities = set()
    if user is not None:
        identities = {value.lower() for value in (user.email, user.username, user.name) if value}
    if (
        lowered in _common_passwords()
        or len(set(lowered)) == 1
        or lowered in identities
    ):
        raise PasswordRejected(
            _l("This password is too common and easy to guess. Choose another one.")
        )


def normalise_identifier(identifier: str) -> str:
    return identifier.strip().lower()


def find_user_by_identifier(identifier: str) -> User | None:
    key = normalise_identifier(identifier)
    if not key:
        return None
    column = User.email if "@" in key else User.username
    return db.session.scalars(select(User).where(func.lower(column) == key)).first()


def authenticate(identifier: str, password: str) -> User | None:
    """The active person with this email or username and password, or None."""
    user = find_user_by_identifier(identifier)
    if user is None:
        # Spend the same effort as a real check, so timing tells nothing.
        User(password_hash=dummy_password_hash()).check_password(password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


def end_every_session(user: User) -> None:
    """Sign the person out everywhere (every copy of every session cookie stops
    working) and end their private calendar address, which is a key of its own."""
    from portal.meetings.models import CalendarFeed  # meetings builds on people

    user.session_token = new_session_token()
    db.session.execute(delete(CalendarFeed).where(CalendarFeed.user_id == user.id))


def unused_link_secret() -> str:
    """A secret like a link's, hashed as one is, for answers that must cost the same
    whether or not an account was found."""
    raw = secrets.token_urlsafe(32)
    hash_token(raw)
    return raw


def stand_in_recipient(email: str) -> User:
    """A person who is not in the database, to write an email for that is never sent."""
    from flask_babel import get_locale

    return User(name=email, email=email, preferred_language=str(get_locale()))


def take_at_least(started: float, seconds: float) -> None:
    """Wait until `seconds` have passed since `started` (time.perf_counter())."""
    remaining = seconds - (time.perf_counter() - started)
    if remaining > 0:
        time.sleep(remaining)


def issue_token(user: User, purpose: TokenPurpose, now: datetime, lifetime: timedelta) -> str:
    """Create a one-time link for a person and return its secret part.

    Earlier unused links of the same purpose stop working, so only the newest
    invitation or reset link is valid.
    """
    raw = secrets.token_urlsafe(32)
    _store_token(user, purpose, hash_token(raw), now, lifetime)
    return raw


# Sign-in codes for printed sheets: no 0/O, 1/I/L, so nothing can be misread, and
# 31**8 (about 850 billion) codes, each single-use, expiring and typed at a throttled page.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


def normalise_code(typed: str) -> str:
    """What a person typed, as a code: capitals, without spaces or dashes."""
    return "".join(c for c in typed.upper() if c.isalnum())


def group_code(code: str) -> str:
    """ABCDEFGH → ABCD-EFGH, easier to read aloud and to type on a phone."""
    return f"{code[:4]}-{code[4:]}"


def hash_code(code: str) -> str:
    """Codes are short, so a plain hash could be reversed by trying them all; keyed with
    the portal's secret, a copy of the database alone reveals none."""
    key = current_app.config["SECRET_KEY"].encode("utf-8")
    return hmac.new(key, normalise_code(code).encode("utf-8"), hashlib.sha256).hexdigest()


def issue_sign_in_code(user: User, now: datetime, lifetime: timedelta) -> str:
    """A new short code for a person's printed sheet; earlier unused ones stop working."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    _store_token(user, TokenPurpose.SIGN_IN_CODE, hash_code(raw), now, lifetime)
    return raw


def exchange_sign_in_code(typed: str, now: datetime, lifetime: timedelta) -> str:
    """Use up a sign-in code and return a fresh invitation link's secret for its person.

    Raises InvalidLink for a code that was never issued, was used or has expired.
    """
    code = normalise_code(typed)
    if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
        raise InvalidLink
    token = _usable_token(hash_code(code), TokenPurpose.SIGN_IN_CODE, now)
    _claim(token, now)
    return issue_token(token.user, TokenPurpose.INVITATION, now, lifetime)


def _store_token(user: User, purpose: TokenPurpose, token_hash: str, now: datetime,
                 lifetime: timedelta) -> None:
    db.session.execute(
        update(AccountToken)
        .where(
            AccountToken.user_id == user.id,
            AccountToken.purpose == purpose,
            AccountToken.used_at.is_(None),
        )
        .values(expires_at=now)
    )
    db.session.add(
        AccountToken(
            user=user,
            purpose=purpose,
            token_hash=token_hash,
            created_at=now,
            expires_at=now + lifetime,
        )
    )


def find_usable_token(raw: str, purpose: TokenPurpose, now: datetime) -> AccountToken:
    return _usable_token(hash_token(raw), purpose, now)


def _usable_token(token_hash: str, purpose: TokenPurpose, now: datetime) -> AccountToken:
    token = db.session.scalars(
        select(AccountToken).where(AccountToken.token_hash == token_hash)
    ).first()
    if token is None or token.purpose != purpose or not token.is_usable(now):
        raise InvalidLink
    if not token.user.active:
        raise InvalidLink
    return token


def _claim(token: AccountToken, now: datetime) -> None:
    # Marking the link used with a guarded UPDATE means two tabs submitting at
    # once cannot both succeed.
    claimed = db.session.execute(
        update(AccountToken)
        .where(AccountToken.id == token.id, AccountToken.used_at.is_(None))
        .values(used_at=now)
    ).rowcount
    if claimed != 1:
        raise InvalidLink


def redeem_token(
    raw: str, purpose: TokenPurpose, password: str, now: datetime, min_length: int
) -> User:
    """Use a one-time link to set a password. The link cannot be used again."""
    token = find_usable_token(raw, purpose, now)
    check_new_password(password, token.user, min_length)
    _claim(token, now)
    token.user.set_password(password)
    end_every_session(token.user)
    return token.user


def change_password(
    user: User, current_password: str, new_password: str, min_length: int
) -> None:
    """Change a password; every other session of this person ends, and so does their
    calendar address."""
    if not user.check_password(current_password):
        raise PasswordRejected(
            _l("Your current password is not right."), field="current_password"
        )
    check_new_password(new_password, user, min_length)
    user.set_password(new_password)
    end_every_session(user)
