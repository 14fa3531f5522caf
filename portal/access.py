"""Who may see a page. Every view declares it; a view that does not is refused.

`public` pages need nobody signed in; `signed_in` pages need any active
person; `roles_required(...)` pages need one of the named roles.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, current_app, request
from flask_login import current_user

from portal.auth.models import Role
from portal.extensions import csrf

PUBLIC = "public"
SIGNED_IN = "signed_in"


def public(view):
    view.access = PUBLIC
    return view


def signed_in(view):
    view.access = SIGNED_IN
    return view


def roles_required(*roles: Role):
    def decorate(view):
        view.access = frozenset(roles)
        return view

    return decorate


def keeps_own_csrf(view):
    """Marks a view whose form checks its own CSRF token, so an expired page
    can be shown again with everything the person typed."""
    view.checks_own_csrf = True
    return view


def checks_own_signature(view):
    """Marks a provider's webhook: it carries the provider's signature instead
    of a CSRF token, and the view checks that signature itself."""
    view.checks_own_csrf = True
    return view


def access_of(view) -> object:
    return getattr(view, "access", None)


def enforce_access():
    """Runs before every request: sign-in redirect, 403, or through."""
    if request.endpoint is None:
        return None
    if request.endpoint == "static":
        return None
    view = current_app.view_functions.get(request.endpoint)
    rule = access_of(view)
    if rule is None:
        # A page nobody thought about is closed, not open.
        abort(404)
    if rule == PUBLIC:
        return None
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if rule == SIGNED_IN:
        return None
    if not current_user.has_role(*rule):
        abort(403)
    return None


def enforce_csrf():
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    if request.method in {"GET", "HEAD", "OPTIONS"} or request.endpoint is None:
        return
    view = current_app.view_functions.get(request.endpoint)
    if not getattr(view, "checks_own_csrf", False):
        csrf.protect()


def is_safe_next(target: str | None) -> bool:
    """Only paths on this site: no scheme, no host, no protocol-relative tricks."""
    if not target:
        return False
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and target.startswith("/") and not (
        target.startswith("//")
    )

