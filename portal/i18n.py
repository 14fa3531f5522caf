"""Languages the portal speaks, how the reader's language is chosen, and locale fixes."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from babel import localedata
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import current_app, request, session
from flask_babel import force_locale, format_currency, get_locale
from flask_login import current_user

from portal.programs.current import current_program


@dataclass(frozen=True)
class Language:
    code: str  # Babel locale and catalog folder name
    native_name: str
    rtl: bool = False

    @property
    def tag(self) -> str:
        """BCP 47 tag for the HTML lang attribute."""
        return self.code.replace("_", "-")


LANGUAGES: tuple[Language, ...] = (
    Language("en", "English"),
    Language("es", "Español"),
    Language("ht", "Kreyòl ayisyen"),
    Language("zh_Hant", "繁體中文"),
    Language("zh_Hans", "简体中文"),
    Language("vi", "Tiếng Việt"),
    Language("ru", "Русский"),
    Language("kea", "Kriolu kabuverdianu"),
    Language("ar", "العربية", rtl=True),
    Language("pt_BR", "Português (Brasil)"),
    Language("fr", "Français"),
)
LANGUAGE_BY_CODE = {language.code: language for language in LANGUAGES}
LANGUAGE_CODES = tuple(LANGUAGE_BY_CODE)
DEFAULT_LANGUAGE = "en"

# Browser tags that do not name one of our catalogs directly.
_BROWSER_ALIASES = {
    "zh-tw": "zh_Hant",
    "zh-hk": "zh_Hant",
    "zh-mo": "zh_Hant",
    "zh-hant": "zh_Hant",
    "zh": "zh_Hans",
    "zh-cn": "zh_Hans",
    "zh-sg": "zh_Hans",
    "zh-hans": "zh_Hans",
    "pt": "pt_BR",
    "pt-br": "pt_BR",
}


def language_from_browser_tag(tag: str) -> str | None:
    tag = tag.strip().lower().replace("_", "-")
    if tag in _BROWSER_ALIASES:
        return _BROWSER_ALIASES[tag]
    for code in LANGUAGE_CODES:
        if code.lower().replace("_", "-") == tag:
            return code
    primary = tag.split("-")[0]
    if primary in _BROWSER_ALIASES:
        return _BROWSER_ALIASES[primary]
    return primary if primary in LANGUAGE_BY_CODE else None


def operator_language():
    """Messages of a command in the language of the operator's shell, when the portal
    speaks it (a context manager)."""
    tag = (os.environ.get("LC_ALL") or os.environ.get("LC_MESSAGES")
           or os.environ.get("LANG") or "en").split(".")[0]
    return force_locale(language_from_browser_tag(tag) or "en")


def select_locale() -> str:
    """Explicit choice on the page, then the person's preference, then the browser."""
    chosen = session.get("language")
    if chosen in LANGUAGE_BY_CODE:
        return chosen
    if (
        current_user
        and current_user.is_authenticated
        and current_user.preferred_language in LANGUAGE_BY_CODE
    ):
        return current_user.preferred_language
    for tag, _quality in request.accept_languages:
        code = language_from_browser_tag(tag)
        if code:
            return code
    return DEFAULT_LANGUAGE


def select_timezone() -> str:
    program = current_program()
    return program.timezone if program else current_app.config["DEFAULT_TIMEZONE"]


def current_language() -> Language:
    return LANGUAGE_BY_CODE.get(str(get_locale()), LANGUAGE_BY_CODE[DEFAULT_LANGUAGE])


def money(cents: int, currency: str = "USD") -> str:
    """Format integer cents in the reader's locale."""
    return format_currency(Decimal(cents) / 100, currency)


# CLDR has no calendar names for Haitian Creole and falls back to French ones;
# members reading Kreyòl must see their own month and day names.
_HT_MONTHS_WIDE = (
    "janvye", "fevriye", "mas", "avril", "me", "jen",
    "jiyè", "out", "septanm", "oktòb", "novanm", "desanm",
)
_HT_MONTHS_ABBR = (
    "jan", "fev", "mas", "avr", "me", "jen", "jiy", "out", "sep", "okt", "nov", "des",
)
# Babel numbers days from Monday (0) to Sunday (6).
_HT_DAYS_WIDE = ("lendi", "madi", "mèkredi", "jedi", "vandredi", "samdi", "dimanch")
_HT_DAYS_ABBR = ("len", "mad", "mèk", "jed", "van", "sam", "dim")


def install_haitian_creole_calendar() -> None:
    data = localedata.load("ht")
    months = {
        "wide": {i + 1: name for i, name in enumerate(_HT_MONTHS_WIDE)},
        "abbreviated": {i + 1: name for i, name in enumerate(_HT_MONTHS_ABBR)},
        "narrow": {i + 1: name[0].upper() for i, name in enumerate(_HT_MONTHS_WIDE)},
    }
    days = {
        "wide": dict(enumerate(_HT_DAYS_WIDE)),
        "abbreviated": dict(enumerate(_HT_DAYS_ABBR)),
        "short": dict(enumerate(_HT_DAYS_ABBR)),
        "narrow": {i: name[0].upper() for i, name in enumerate(_HT_DAYS_WIDE)},
    }
    data["months"] = {"format": months, "stand-alone": months}
    data["days"] = {"format": days, "stand-alone": days}


def compile_catalogs(translations_dir) -> None:
    """Compile each .po catalog to .mo when the .mo is missing or older.

    Catalogs are kept as text in the repository; the binary form is derived.
    """
    for po_path in Path(translations_dir).glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name)
        fd, tmp_name = tempfile.mkstemp(dir=po_path.parent, suffix=".mo.tmp")
        with os.fdopen(fd, "wb") as mo_file:
            write_mo(mo_file, catalog)
        os.replace(tmp_name, mo_path)


def language_context() -> dict:
    language = current_language()
    return {"LANGUAGES": LANGUAGES, "current_language": language}
