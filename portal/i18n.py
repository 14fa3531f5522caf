"""Languages the portal speaks, how the reader's language is chosen, and locale fixes."""

from __future__ import annotations

import copy
import os
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from babel import Locale, UnknownLocaleError, dates, localedata, numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import current_app, g, request, session
from flask_babel import force_locale, format_currency, format_decimal, get_locale, refresh
from flask_login import current_user
from markupsafe import Markup

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
    if g.get("page_owner_language") in LANGUAGE_BY_CODE:
        return g.page_owner_language
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


def speak_language_of(person) -> None:
    """A page reached through a link made for one person (an invitation, a password
    reset) speaks that person's language before they have signed in, unless they
    chose another on the page."""
    g.page_owner_language = person.preferred_language
    refresh()


def select_timezone() -> str:
    program = current_program()
    return program.timezone if program else current_app.config["DEFAULT_TIMEZONE"]


def current_language() -> Language:
    return LANGUAGE_BY_CODE.get(str(get_locale()), LANGUAGE_BY_CODE[DEFAULT_LANGUAGE])


def decimal_number(value, places: int = 2) -> str:
    """A mean or a score with a fixed number of decimal places, written the way the
    reader's language writes 3.25 (3,25 in French)."""
    return format_decimal(value, format="0." + "0" * places)


def money(cents: int, currency: str = "USD") -> str:
    """Format integer cents in the reader's locale."""
    return format_currency(Decimal(cents) / 100, currency)


# Babel's data for Haitian Creole has changed between releases (French names,
# then CLDR's bare root patterns like "2026 M12 2, Wed"); the portal owns what a
# Kreyòl reader sees, so no Babel release can change it.
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
# As a Kreyòl speaker writes a date: "mèkredi 2 desanm 2026", "2 desanm 2026".
_HT_DATE_PATTERNS = {"full": "EEEE d MMMM y", "long": "d MMMM y", "medium": "d MMM y",
                     "short": "dd/MM/y"}
_HT_TIME_PATTERNS = {"full": "HH:mm:ss zzzz", "long": "HH:mm:ss z", "medium": "HH:mm:ss",
                     "short": "HH:mm"}
_HT_SKELETONS = {"yMMMM": "MMMM y", "yMMM": "MMM y", "yMMMMd": "d MMMM y", "yMMMd": "d MMM y",
                 "MMMMd": "d MMMM", "MMMd": "d MMM", "yMMMEd": "EEE d MMM y",
                 "MMMMEd": "EEEE d MMMM", "yMd": "dd/MM/y", "Md": "dd/MM"}


def _date_patterns(patterns: dict[str, str]) -> dict:
    return {width: dates.parse_pattern(pattern) for width, pattern in patterns.items()}


def install_haitian_creole_calendar() -> None:
    """Haitian Creole month and day names and the portal's own date, time and number
    patterns for `ht`, whatever the installed Babel's data for it holds."""
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
    data["date_formats"] = _date_patterns(_HT_DATE_PATTERNS)
    data["time_formats"] = _date_patterns(_HT_TIME_PATTERNS)
    data["datetime_formats"] = dict.fromkeys(("full", "long", "medium", "short"), "{1} {0}")
    data["datetime_skeletons"] = {**data.get("datetime_skeletons", {}), **_HT_SKELETONS}
    _use_us_money_and_numbers(data)


def _use_us_money_and_numbers(data: dict) -> None:
    """Amounts and numbers as Boston readers see them on every bill: $1,200.00, 1,234.5."""
    symbols = dict(data["number_symbols"].get("latn", {}))
    symbols.update({"decimal": ".", "group": ","})
    data["number_symbols"] = {**data["number_symbols"], "latn": symbols}
    data["default_numbering_system"] = "latn"
    data["decimal_formats"] = {None: numbers.parse_pattern("#,##0.###")}
    data["currency_formats"] = {"standard": numbers.parse_pattern("¤#,##0.00"),
                                "accounting": numbers.parse_pattern("¤#,##0.00;(¤#,##0.00)")}
    data["currency_symbols"] = {**data.get("currency_symbols", {}), "USD": "$"}


# What Babel's data for Spanish as written in the United States holds: the members
# live in Boston, where Spanish speakers read $1,200.00 and 6:30 p.m., not Spain's
# 1.200,00 US$ and 18:30.
_US_SPANISH_KEYS = ("number_symbols", "decimal_formats", "currency_formats",
                    "currency_symbols", "percent_formats", "date_formats", "time_formats",
                    "datetime_formats", "datetime_skeletons", "day_periods")


def install_us_spanish_formats() -> None:
    spanish, us_spanish = localedata.load("es"), localedata.load("es_US")
    for key in _US_SPANISH_KEYS:
        spanish[key] = copy.deepcopy(us_spanish[key])


# Russian dates in CLDR end in "г." and so read "г.." at the end of a sentence;
# "2 декабря 2026" is as clear and ends cleanly.
_RU_DATE_PATTERNS = {"full": "EEEE, d MMMM y", "long": "d MMMM y", "medium": "d MMM y",
                     "short": "dd.MM.y"}


def install_russian_dates() -> None:
    data = localedata.load("ru")
    data["date_formats"] = _date_patterns(_RU_DATE_PATTERNS)
    data["datetime_skeletons"] = {**data["datetime_skeletons"], "yMMMM": "LLLL y",
                                  "yMMM": "LLL y"}


def install_portal_formats() -> None:
    """The portal's own dates, times, numbers and money where Babel's data does not
    give what Boston readers expect; called once when the app is made."""
    install_haitian_creole_calendar()
    install_us_spanish_formats()
    install_russian_dates()


# Names of the portal's languages where Babel's data has none, or a poor one: it
# has no language names for Haitian Creole at all.
_LANGUAGE_NAMES = {
    "ht": {
        "en": "angle", "es": "panyòl", "ht": "kreyòl ayisyen",
        "zh_Hant": "chinwa tradisyonèl", "zh_Hans": "chinwa senplifye",
        "vi": "vyetnamyen", "ru": "ris", "kea": "kreyòl kapvèdyen", "ar": "arab",
        "pt_BR": "pòtigè (Brezil)", "fr": "franse",
    },
    "en": {"kea": "Cape Verdean Creole"},
    "ru": {"zh_Hant": "китайский (традиционное письмо)",
           "zh_Hans": "китайский (упрощённое письмо)", "ht": "гаитянский креольский"},
}


def language_name(code: str, reader: str) -> str | None:
    """The name of one of the portal's languages in the reader's language."""
    if code not in LANGUAGE_BY_CODE:
        return None
    own = _LANGUAGE_NAMES.get(reader, {}).get(code)
    if own:
        return own
    try:
        return Locale.parse(code).get_display_name(Locale.parse(reader)) or None
    except (UnknownLocaleError, ValueError):
        return None


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


def language_name_in_itself(code: str) -> Markup:
    """A language's own name, marked as that language, for use inside a sentence."""
    language = LANGUAGE_BY_CODE.get(code, LANGUAGE_BY_CODE[DEFAULT_LANGUAGE])
    return Markup('<bdi lang="{}">{}</bdi>').format(language.tag, language.native_name)


def language_context() -> dict:
    language = current_language()
    return {"LANGUAGES": LANGUAGES, "current_language": language}


def one_full_stop(sentence) -> str:
    """A sentence whose last word ends in a point ("6:00 p.m." in Spanish as written
    in the US) ends with that point, not with two."""
    text = str(sentence)
    return text[:-1] if text.endswith("..") and not text.endswith("...") else text
