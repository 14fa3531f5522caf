"""Dates, times, numbers, money and language names as Boston readers of each
language expect them, whatever the installed Babel's data says."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask_babel import force_locale, format_date, format_datetime, format_decimal, format_time

from portal.i18n import LANGUAGES, money
from portal.web import interpretation_name, month_name
from tests.conftest import sign_in

NNBSP, NBSP, RLM = "\u202f", "\xa0", "\u200f"
# 18:30 in Boston on Wednesday 2 December 2026.
EVENING = datetime(2026, 12, 2, 23, 30, tzinfo=UTC)

# language: (full date, short time, 1234.5, 120000 cents in dollars)
EXPECTED = {
    "en": ("Wednesday, December 2, 2026", f"6:30{NNBSP}PM", "1,234.5", "$1,200.00"),
    # es_US: Spanish as written in the United States.
    "es": ("miércoles, 2 de diciembre de 2026", f"6:30{NNBSP}p.m.", "1,234.5", "$1,200.00"),
    "ht": ("mèkredi 2 desanm 2026", "18:30", "1,234.5", "$1,200.00"),
    "zh_Hant": ("2026年12月2日 星期三", "下午6:30", "1,234.5", "US$1,200.00"),
    "zh_Hans": ("2026年12月2日星期三", "18:30", "1,234.5", "US$1,200.00"),
    "vi": ("Thứ Tư, 2 tháng 12, 2026", "18:30", "1.234,5", f"1.200,00{NBSP}US$"),
    "ru": ("среда, 2 декабря 2026", "18:30", f"1{NBSP}234,5", f"1{NBSP}200,00{NBSP}$"),
    "kea": ("kuarta-fera, 2 di Dizenbru di 2026", "18:30", f"1{NBSP}234,5",
            f"1{NBSP}200,00{NBSP}US$"),
    "ar": ("الأربعاء، 2 ديسمبر 2026", "6:30 م", "1,234.5", f"{RLM}1,200.00{NBSP}US$"),
    "pt_BR": ("quarta-feira, 2 de dezembro de 2026", "18:30", "1.234,5", f"US${NBSP}1.200,00"),
    "fr": ("mercredi 2 décembre 2026", "18:30", f"1{NNBSP}234,5", f"1{NNBSP}200,00{NBSP}$US"),
}


def test_the_table_covers_every_language():
    assert set(EXPECTED) == {language.code for language in LANGUAGES}


@pytest.mark.parametrize("code", list(EXPECTED))
def test_date_time_number_and_money_in_each_language(app, code):
    with app.test_request_context(), force_locale(code):
        shown = (format_date(EVENING, "full"), format_time(EVENING, "short"),
                 format_decimal(1234.5), money(120000))
    assert shown == EXPECTED[code]


def test_haitian_creole_dates_and_times_are_the_portals_own(app):
    """Every width a page or an email uses, in full, on the installed Babel."""
    with app.test_request_context(), force_locale("ht"):
        shown = {
            "full": format_date(EVENING, "full"), "long": format_date(EVENING, "long"),
            "medium": format_date(EVENING, "medium"), "short": format_date(EVENING, "short"),
            "time": format_time(EVENING, "short"), "time medium": format_time(EVENING, "medium"),
            "datetime short": format_datetime(EVENING, "short"),
            "datetime medium": format_datetime(EVENING, "medium"),
            "month": month_name(date(2026, 12, 1)),
            "may": format_date(date(2027, 5, 31), "full"),
            "july": format_date(date(2027, 7, 4), "medium"),
        }
    assert shown == {
        "full": "mèkredi 2 desanm 2026", "long": "2 desanm 2026", "medium": "2 des 2026",
        "short": "02/12/2026", "time": "18:30", "time medium": "18:30:00",
        "datetime short": "02/12/2026 18:30", "datetime medium": "2 des 2026 18:30:00",
        "month": "desanm 2026", "may": "lendi 31 me 2027", "july": "4 jiy 2027",
    }


def test_month_headings_in_russian_and_arabic_and_spanish(app):
    with app.test_request_context():
        headings = {}
        for code in ("ru", "ar", "es"):
            with force_locale(code):
                headings[code] = month_name(date(2026, 12, 1))
    assert headings == {"ru": "декабрь 2026", "ar": "ديسمبر 2026", "es": "diciembre de 2026"}


def test_a_russian_sentence_that_ends_with_a_date_has_one_period(client, people):
    sign_in(client, people["member"])
    client.get("/language/ru")
    page = client.get("/").get_data(as_text=True)
    assert "по 31 мая 2027." in page
    assert "г.." not in page


def test_arabic_joins_a_date_to_other_words_with_an_arabic_comma(app):
    from portal.web import comma

    with app.test_request_context():
        commas = {}
        for code in ("ar", "zh_Hant", "en"):
            with force_locale(code):
                commas[code] = comma()
    assert commas == {"ar": "، ", "zh_Hant": "，", "en": ", "}


# Every language the portal names (the eleven, and sign language for interpretation).
NAMED = [language.code for language in LANGUAGES] + ["ase"]


@pytest.mark.parametrize("reader", [language.code for language in LANGUAGES])
def test_every_language_has_a_name_in_every_language(app, reader):
    with app.test_request_context(), force_locale(reader):
        names = {code: interpretation_name(code) for code in NAMED}
    for code, name in names.items():
        assert name and name != code and name not in NAMED, (reader, code, name)
    assert len(set(names.values())) == len(NAMED), names


def test_haitian_creole_names_languages_in_kreyol(app):
    with app.test_request_context(), force_locale("ht"):
        names = [interpretation_name(code) for code in ("en", "es", "fr", "ht", "kea")]
    assert names == ["angle", "panyòl", "franse", "kreyòl ayisyen", "kreyòl kapvèdyen"]
