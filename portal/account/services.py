"""A person's own profile."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer

from portal.auth.models import User
from portal.auth.services import (
    InvalidLink,
    PersonRuleError,
    change_sign_in_identity,
    check_sign_in_names_free,
    normalise_identifier,
)
from portal.i18n import LANGUAGE_BY_CODE
from portal.outbox.services import external_url, queue_email
from portal.texts.models import ConsentSource, ReachBy
from portal.texts.services import TextRuleError, choose_ways


def keep_language_choice(user: User, code: str) -> None:
    """A language picked on any page becomes the person's preferred language, so the
    next sign-in and their emails follow it too."""
    if code not in LANGUAGE_BY_CODE:
        raise PersonRuleError("preferred_language", _l("Choose one of the options."))
    user.preferred_language = code


# The emails a person may turn off, as User columns and profile form fields.
NOTIFICATION_FIELDS = (
    "notify_meeting_changes",
    "notify_reminders",
    "notify_answer_confirmations",
    "notify_new_materials",
    "notify_payments",
)


def update_profile(
    user: User,
    *,
    name: str,
    preferred_language: str,
    email: str | None,
    phone: str | None,
    notifications: dict[str, bool],
    interpretation_language: str | None,
    childcare_children: int,
    transport_help: bool,
    access_needs: str | None,
    reach_by: ReachBy,
    now: datetime,
) -> str | None:
    """Save a person's own details, preferences and default needs, and how they
    want to be reached (consent to texts goes into the ledger).

    A new email address is not saved here: it is returned, for a link to be sent to
    it (see `ask_to_confirm_email`), and changes when that link is opened. Whether
    the address is someone else's is never said.
    """
    email = normalise_identifier(email) if email else None
    if email is None and not user.username:
        # Without either, the person could no longer sign in.
        raise PersonRuleError(
            "email", _l("You sign in with your email address, so it cannot be empty.")
        )
    new_email = None
    if email is None and user.email:
        change_sign_in_identity(user, user, email=None, username=user.username)
    elif email != user.email:
        new_email = email
    user.name = name
    user.preferred_language = preferred_language
    new_number = (phone or None) != user.phone
    user.phone = phone or None
    try:
        choose_ways(user, reach_by, ConsentSource.PROFILE, now, new_number=new_number,
                    email=email)
    except TextRuleError as error:
        raise PersonRuleError(error.field, error.message) from error
    for key in NOTIFICATION_FIELDS:
        setattr(user, key, bool(notifications.get(key)))
    user.interpretation_language = interpretation_language or None
    user.childcare_children = childcare_children
    user.transport_help = transport_help
    user.access_needs = access_needs or None
    return new_email


def _email_links(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="email-change")


def ask_to_confirm_email(user: User, new_email: str, *, secret_key: str) -> None:
    """Email a link to the new address; opening it makes the change. Nothing is sent
    when the address already belongs to someone (the page says the same either way)."""
    try:
        check_sign_in_names_free(user, new_email, None)
    except PersonRuleError:
        return
    raw = _email_links(secret_key).dumps({"user": user.id, "from": user.email, "to": new_email})
    queue_email(user, "email_confirm", address=new_email, new_email=new_email,
                link=external_url("account.confirm_email", token=raw))


def confirm_email(user: User, raw: str, *, secret_key: str, max_age: timedelta) -> None:
    """Make the change that a link sent to a new address asked for, for the person who
    asked (and no one else). The link stops working once the address has changed (it
    names the address it changes from)."""
    try:
        data = _email_links(secret_key).loads(raw, max_age=int(max_age.total_seconds()))
    except BadSignature:
        raise InvalidLink from None
    if not isinstance(data, dict):
        raise InvalidLink
    if data.get("user") != user.id or user.email != data.get("from"):
        raise InvalidLink
    new_email = data.get("to")
    if not isinstance(new_email, str):
        raise InvalidLink
    check_sign_in_names_free(user, new_email, None)
    change_sign_in_identity(user, user, email=new_email, username=user.username)
