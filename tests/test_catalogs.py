"""Every string a person reads exists, translated and not fuzzy, in every catalog."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from portal.i18n import LANGUAGES

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "N_": None,
            "lazy_gettext": None, "lazy_ngettext": (1, 2)}
METHODS = [("portal/**.py", "python"), ("portal/templates/**.html", "jinja2"),
           ("portal/templates/**.txt", "jinja2")]


def source_messages() -> set[str]:
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=METHODS, keywords=KEYWORDS
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


SOURCE = source_messages()
CATALOG_LANGUAGES = [language.code for language in LANGUAGES if language.code != "en"]


def test_source_has_messages():
    assert len(SOURCE) > 150


@pytest.mark.parametrize("code", CATALOG_LANGUAGES)
def test_catalog_is_complete_and_free_of_fuzzy_entries(code):
    path = ROOT / "translations" / code / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=code)
    problems = []
    for text in sorted(SOURCE):
        message = catalog.get(text)
        if message is None:
            problems.append(f"missing: {text!r}")
        elif message.fuzzy:
            problems.append(f"fuzzy: {text!r}")
        elif not message.string or (
            isinstance(message.string, tuple) and not all(message.string)
        ):
            problems.append(f"untranslated: {text!r}")
    assert problems == [], f"{code}: {len(problems)} problems\n" + "\n".join(problems[:40])


@pytest.mark.parametrize("code", CATALOG_LANGUAGES)
def test_catalog_placeholders_match(code):
    import re

    path = ROOT / "translations" / code / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=code)
    placeholder = re.compile(r"%\([a-z_]+\)[sd]")
    wrong = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = set(placeholder.findall(ids[-1]))
        for string in strings:
            found = set(placeholder.findall(string or ""))
            # A plural form may leave out the number ("one person"); nothing else may differ.
            if string and (found - expected or (not message.pluralizable and found != expected)):
                wrong.append(message.id)
    assert wrong == []


def test_arabic_counts_from_eleven_take_the_accusative_and_hundreds_do_not():
    """Arabic's plural form 5 (11 to 99: "11 طلبًا") has the tanween of the
    accusative; form 4 (100 to 102: "100 طلب") does not. Swapped, every count from
    eleven up reads wrong."""
    path = ROOT / "translations" / "ar" / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale="ar")
    tanween = "\u064b"
    swapped = [message.id[0] for message in catalog if isinstance(message.id, tuple)
               and tanween in message.string[4] and tanween not in message.string[5]]
    assert swapped == []
