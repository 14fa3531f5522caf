"""A form sent after the session ended: the sign-in page keeps the reader's language,
and a member's answer is brought back after they sign in again, or they are told
plainly that it was not saved."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from portal.db import utcnow
from portal.i18n import LANGUAGE_BY_CODE

SESSION_KEY = "unsent_form"
# The page's language, sent with every form (see the submit macro): the session that
# held the language may be the one that ended.
PAGE_LANGUAGE_FIELD = "page_language"
# Member forms worth keeping. Never money forms (a payment must be checked again
# from scratch), never passwords, never staff tools.
KEPT_FORMS = frozenset({"meetings.meeting", "account.profile"})
NEVER_KEPT_FIELDS = frozenset({"csrf_token", PAGE_LANGUAGE_FIELD, "password",
                               "current_password", "password_again", "submission_key"})
# The session lives in a cookie: a form too large for it is not kept.
LARGEST_KEPT_FORM = 2500
KEPT_FOR = timedelta(minutes=30)


def _signed_in_before() -> int | None:
    """Whose session this was, when the cookie still says so (a sign-out elsewhere)."""
    user_id = str(session.get("_user_id", "")).partition(":")[0]
    return int(user_id) if user_id.isdigit() else None


def keep_unsent_form(endpoint: str | None, target: str, form: MultiDict,
                     now: datetime) -> bool:
    """Store what was typed, for `target`, until the next sign-in. False when this
    form is never kept or too large to keep."""
    if endpoint not in KEPT_FORMS:
        return False
    fields = [[key, value] for key, value in form.items(multi=True)
              if key not in NEVER_KEPT_FIELDS]
    if sum(len(key) + len(value.encode()) for key, value in fields) > LARGEST_KEPT_FORM:
        return False
    session[SESSION_KEY] = {"target": target, "fields": fields, "saved_at": now.isoformat(),
                            "person": _signed_in_before()}
    return True


def take_unsent_form(user, now: datetime) -> MultiDict | None:
    """What this person typed on this page before they were signed out, once."""
    kept = session.get(SESSION_KEY)
    if not kept or kept.get("target") != request.path:
        return None
    session.pop(SESSION_KEY)
    fresh = now - datetime.fromisoformat(kept["saved_at"]) <= KEPT_FOR
    if not fresh or kept.get("person") not in (None, user.id):
        return None
    return MultiDict([tuple(pair) for pair in kept["fields"]])


def signed_out() -> object:
    """Sends a person who is not signed in to the sign-in page, in the language they
    were reading, and keeps a member's answer they sent after their session ended."""
    language = request.form.get(PAGE_LANGUAGE_FIELD) if request.method == "POST" else None
    if language in LANGUAGE_BY_CODE:
        session["language"] = language
    target = request.path if request.method == "POST" else request.full_path.rstrip("?")
    if request.method != "POST":
        flash(current_app.login_manager.login_message, "info")
    elif keep_unsent_form(request.endpoint, target, request.form, utcnow()):
        flash(_("You were signed out before this was saved. Sign in again, and you will "
                "find what you typed, ready to send."), "info")
    else:
        flash(_("You were signed out, so what you sent was not saved. Sign in and send it "
                "again."), "error")
    return redirect(url_for("auth.sign_in", next=target))
