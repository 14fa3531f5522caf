"""A person's own profile."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l

from portal.auth.models import User
from portal.auth.services import (
    PersonRuleError,
    check_sign_in_names_free,
    normalise_identifier,
)
from portal.texts.models import ConsentSource, ReachBy
from portal.texts.services import TextRuleError, choose_ways


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
) -> None:
    """Save a person's own details, preferences and default needs, and how they
    want to be reached (consent to texts goes into the ledger)."""
    email = normalise_identifier(email) if email else None
    if email is None and not user.username:
        # Without either, the person could no longer sign in.
        raise PersonRuleError(
            "email", _l("You sign in with your email address, so it cannot be empty.")
        )
    check_sign_in_names_free(user, email, None)
    user.name = name
    user.preferred_language = preferred_language
    user.email = email
    new_number = (phone or None) != user.phone
    user.phone = phone or None
    for key in ("notify_meeting_changes", "notify_reminders", "notify_new_materials",
                "notify_payments"):
        setattr(user, key, bool(notifications.get(key)))
    user.interpretation_language = interpretation_language or None
    user.childcare_children = childcare_children
    user.transport_help = transport_help
    user.access_needs = access_needs or None
    try:
        choose_ways(user, reach_by, ConsentSource.PROFILE, now, new_number=new_number)
    except TextRuleError as error:
        raise PersonRuleError(error.field, error.message) from error
