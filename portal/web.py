"""What every request and every page share: access checks, headers, template helpers."""

from __future__ import annotations

from babel.dates import format_skeleton
from flask import Flask, flash, has_request_context, request
from flask_babel import force_locale, format_date, format_datetime, format_time, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from werkzeug.routing import IntegerConverter

from portal.access import enforce_access, enforce_csrf
from portal.account.forms import interpretation_choices
from portal.auth.models import Role
from portal.i18n import (
    current_language,
    decimal_number,
    language_context,
    language_name,
    money,
    one_full_stop,
)
from portal.meetings.models import MeetingWords, Shown
from portal.programs.current import current_program
from portal.programs.models import Translated
from portal.texts.phones import for_people
from portal.texts.services import reachable

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)


def set_security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.is_secure:
        response.headers.setdefault(
            "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
        )
    if current_user and current_user.is_authenticated:
        # Pages with personal details are not kept by shared caches or the back button.
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def navigation() -> list[tuple[str, object]]:
    """Links for the roles the signed-in person holds, in display order."""
    if not current_user.is_authenticated:
        return []
    items = [("home.index", _l("Home"))]
    if current_program() is not None:
        items += [("meetings.calendar", _l("Meetings")), ("documents.materials", _l("Materials"))]
    if current_user.has_role(Role.FACILITATOR, Role.ADMIN):
        items.append(("documents.translation_requests", _l("Translation requests")))
    if current_user.has_role(Role.ADMIN, Role.FINANCE):
        items.append(("admin.role_requests", _l("Finance rights")))
    if current_user.has_role(Role.ADMIN):
        items += [
            ("admin.people", _l("People")),
            ("applications.calls", _l("Applications")),
            ("admin.program_settings", _l("Program")),
            ("admin.audit_log", _l("Audit log")),
            ("admin.outbox", _l("Outbox")),
        ]
    if current_user.has_role(Role.REVIEWER):
        items.append(("review.my_reviews", _l("Reviews")))
    if current_user.has_role(Role.MEMBER):
        items.append(("stipends.my_stipend", _l("My stipend")))
    if current_user.has_role(Role.FINANCE):
        items += [("stipends.overview", _l("Stipends")), ("stipends.tax_year", _l("Tax year"))]
    items.append(("account.profile", _l("My profile")))
    return items


def form_problems(form) -> list[tuple[str, str]]:
    """Each field's first error as (field id, message), in the order fields appear."""
    problems = []
    if getattr(form, "csrf_token", None) is not None and form.csrf_token.errors:
        problems.append(("", _("This page was open for a long time, so we could not save it. "
                               "Check your answers and send the form again.")))
    for field in form:
        if field.name == "csrf_token":
            continue
        if field.type == "FieldList":
            for entry in field:
                problems.extend(form_problems(entry.form) if entry.type == "FormField"
                                else [(entry.id, entry.errors[0])] if entry.errors else [])
        elif field.errors and isinstance(field.errors, list):
            problems.append((field.id, field.errors[0]))
    return problems


def isolate(value, context: str = "html"):
    """Something a person wrote (a name, a title), set apart from the text around it so
    its direction cannot reorder the page: `<bdi>` in HTML, and first-strong isolate
    characters where tags cannot go (`context="text"`: page titles, options)."""
    text = "" if value is None else str(value)
    if context == "text":
        return "\u2068" + text + "\u2069"
    return Markup("<bdi>%s</bdi>") % text


def month_name(day) -> str:
    """"December 2026" in the reader's language."""
    return format_skeleton("yMMMM", day, locale=get_locale())


def thank_for_translation_request(created: bool) -> None:
    """What a member is told after asking for a translation, the first time or again."""
    if created:
        flash(_("Thank you. We asked for a translation and will email you when it is ready."),
              "success")
    else:
        flash(_("You already asked for this translation, so there is nothing more to do. "
                "We will email you when it is ready."), "info")


def comma() -> str:
    """The comma between two items in the reader's language: Arabic writes "، ",
    Chinese "，"; a Latin comma beside an Arabic date mixes two scripts."""
    return _("%(first)s, %(second)s", first="", second="")


def place_parts(words: MeetingWords) -> list[Shown]:
    """A meeting's place and room as pieces of text each in one language: joined with
    that language's own comma when both are in the same language, so an English
    address reads whole inside an Arabic page."""
    venue, room = words.venue, words.room
    if venue is None or room is None:
        return [part for part in (venue, room) if part is not None]
    if venue.language != room.language:
        return [venue, room]
    with force_locale(venue.language):
        return [Shown(venue.text + comma() + room.text, venue.language)]
def program_name(program) -> Translated:
    """The program's name in the reader's language, or the original."""
    return program.name_in(str(get_locale()))


def installment_label(installment) -> Translated:
    """An installment's name in the reader's language, or the original."""
    return installment.label_in(str(get_locale()))


def interpretation_name(code: str | None) -> str:
    """A language's name in the reader's language (staff read these in summaries)."""
    name = language_name(code or "", str(get_locale()))
    if name:
        return name
    return str(dict(interpretation_choices()).get(code or "", code or ""))


# The largest id an integer column holds on every database the portal runs on.
LARGEST_ROW_ID = 2**31 - 1


class RowIdConverter(IntegerConverter):
    """`<int:...>` in addresses: a number no row can have is a page not found,
    never a number too large for the database to compare."""

    def __init__(self, map, fixed_digits=0, min=None, max=LARGEST_ROW_ID, signed=False):
        super().__init__(map, fixed_digits, min, max, signed)


def whole_number(text: str | None, largest: int = LARGEST_ROW_ID) -> int | None:
    """A number from 0 to `largest` written with the digits 0-9 in an address or a
    form, or None. ("²" and "١" count as digits to str.isdigit, not to this.)"""
    if not text or not text.isascii() or not text.isdigit() or len(text) > len(str(largest)):
        return None
    number = int(text)
    return number if number <= largest else None


def page_number() -> int:
    """The ?page= of a paged list; anything odd means the first page."""
    return whole_number(request.args.get("page"), 99_999) or 1


def current_path() -> str:
    """This page's path and query, for coming back after a language change."""
    path = request.full_path
    return path[:-1] if path.endswith("?") else path


def register_request_hooks(app: Flask) -> None:
    app.before_request(enforce_access)
    app.before_request(enforce_csrf)
    app.after_request(set_security_headers)

    @app.context_processor
    def page_context():
        if not has_request_context():
            return {}  # e.g. an email rendered by a command
        context = language_context()
        context["program"] = current_program()
        context["navigation"] = navigation()
        context["Role"] = Role
        return context

    app.jinja_env.globals["form_problems"] = form_problems
    app.jinja_env.globals["current_path"] = current_path
    app.jinja_env.globals["money"] = money  # also in emails rendered outside a request
    app.jinja_env.filters["month_name"] = month_name
    app.jinja_env.filters["isolate"] = isolate
    app.jinja_env.filters["phone"] = for_people
    app.jinja_env.filters["one_full_stop"] = one_full_stop
    app.jinja_env.globals["reachable"] = reachable
    app.jinja_env.globals["interpretation_name"] = interpretation_name
    app.jinja_env.globals["comma"] = comma
    app.jinja_env.globals["place_parts"] = place_parts
    # For macros, which do not see the page's context.
    app.jinja_env.globals["page_language"] = lambda: current_language().code
    app.jinja_env.globals["program_name"] = program_name
    app.jinja_env.globals["installment_label"] = installment_label
    app.jinja_env.filters["decimal"] = decimal_number
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["time"] = format_time
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
