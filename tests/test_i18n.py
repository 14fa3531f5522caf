"""Languages: the chain that picks one, html lang/dir, formats, Haitian Creole dates."""

from __future__ import annotations

import re

import pytest

from portal.i18n import LANGUAGES
from tests.conftest import sign_in


def html_tag(page: str) -> str:
    return re.search(r"<html[^>]*>", page).group(0)


@pytest.mark.parametrize("language", LANGUAGES, ids=lambda language: language.code)
def test_every_language_sets_html_lang_and_dir(client, language):
    client.get(f"/language/{language.code}")
    page = client.get("/sign-in").get_data(as_text=True)
    direction = "rtl" if language.code == "ar" else "ltr"
    assert html_tag(page) == f'<html lang="{language.tag}" dir="{direction}">'


def test_switcher_names_each_language_in_itself_with_its_lang(client):
    page = client.get("/sign-in").get_data(as_text=True)
    for language in LANGUAGES:
        assert re.search(
            rf'<a href="/language/{language.code}\?next=/sign-in" lang="{language.tag}"[^>]*>'
            rf"{re.escape(language.native_name)}</a>",
            page,
        ), language.code


def test_browser_language_is_used_before_sign_in(client):
    page = client.get("/sign-in", headers={"Accept-Language": "vi-VN,vi;q=0.9,en;q=0.5"})
    assert 'lang="vi"' in html_tag(page.get_data(as_text=True))
    page = client.get("/sign-in", headers={"Accept-Language": "zh-TW,zh;q=0.9"})
    assert 'lang="zh-Hant"' in html_tag(page.get_data(as_text=True))
    page = client.get("/sign-in", headers={"Accept-Language": "de-DE,de;q=0.9"})
    assert 'lang="en"' in html_tag(page.get_data(as_text=True))


def test_preference_beats_browser_and_explicit_choice_beats_preference(client, people):
    sign_in(client, people["member_es"])
    page = client.get("/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert 'lang="es"' in html_tag(page)
    client.get("/language/ar")
    page = client.get("/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert html_tag(page) == '<html lang="ar" dir="rtl">'


def test_language_choice_survives_sign_in(client, people):
    client.get("/language/ru")
    sign_in(client, people["member"])
    assert 'lang="ru"' in html_tag(client.get("/").get_data(as_text=True))


def test_language_switch_returns_to_the_same_page_only_on_this_site(client):
    assert client.get("/language/es?next=/forgot-password").location == "/forgot-password"
    assert client.get("/language/es?next=https://evil.example/").location == "/"
    assert client.get("/language/xx").status_code == 404


def test_dates_and_money_follow_the_reader_locale(client, people):
    sign_in(client, people["member"])
    english = client.get("/").get_data(as_text=True)
    assert "December 1, 2026" in english
    assert "$1,200.00" in english
    client.get("/language/fr")
    french = client.get("/").get_data(as_text=True)
    assert "1 décembre 2026" in french
    assert "1\u202f200,00\xa0$US" in french
    client.get("/language/ar")
    arabic = client.get("/").get_data(as_text=True)
    assert "ديسمبر" in arabic


def test_haitian_creole_dates_use_haitian_creole_names(client, people):
    sign_in(client, people["member"])
    client.get("/language/ht")
    page = client.get("/").get_data(as_text=True)
    assert "1 desanm 2026" in page
    assert "31 me 2027" in page
    assert "décembre" not in page
    assert not re.search(r"\bmai\b", page)


def test_french_dates_are_unchanged_by_the_haitian_creole_fix(client, people):
    sign_in(client, people["member"])
    client.get("/language/fr")
    assert "31 mai 2027" in client.get("/").get_data(as_text=True)


def test_times_are_shown_in_the_program_timezone(app, people):
    from datetime import UTC, datetime

    from flask_babel import force_locale, format_datetime

    with app.test_request_context(), force_locale("en"):
        # 23:00 UTC on 2 December is 6:00 pm in Boston.
        shown = format_datetime(datetime(2026, 12, 2, 23, 0, tzinfo=UTC), "short")
    assert "6:00\u202fPM" in shown
