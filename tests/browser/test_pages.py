"""Every page, for every role, in the required languages, on a phone and a desktop:
no axe-core violation (WCAG 2.0/2.1/2.2 A and AA), no horizontal overflow,
the right lang and dir."""

from __future__ import annotations

import dataclasses

import pytest

from portal import create_app
from tests.browser.conftest import (
    ARTIFACTS,
    axe_violations,
    choose_language,
    horizontal_overflow,
    html_lang_dir,
    new_context,
    outside_viewport,
    sign_in,
)
from tests.browser.pages import (
    ADMIN,
    ANONYMOUS,
    FACILITATOR,
    FINANCE,
    MEMBER,
    NOT_PAGES,
    PAGES,
    REVIEWER,
    SCREENSHOT_LANGUAGES,
    combinations,
    pages_for,
)
from tests.conftest import TEST_CONFIG
from tests.html_check import html_problems

BCP47 = {"zh_Hant": "zh-Hant", "zh_Hans": "zh-Hans", "pt_BR": "pt-BR"}


def test_every_endpoint_is_a_checked_page_or_named_as_not_a_page():
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    unchecked = sorted(endpoints - set(PAGES) - set(NOT_PAGES))
    assert unchecked == [], f"pages nobody checks in the browser: {unchecked}"
    assert sorted(set(PAGES) - endpoints) == []


def fill_path(path: str, live) -> str:
    return path.format(**dataclasses.asdict(live))


@pytest.mark.parametrize(("role", "language", "viewport"), combinations())
def test_pages_pass_axe_and_fit_the_screen(browser, live, axe_source, role, language,
                                           viewport):
    context = new_context(browser, live, axe_source, viewport)
    page = context.new_page()
    choose_language(page, language)
    if role != ANONYMOUS:
        sign_in(page, live.people[role])
    problems = []
    for checked in pages_for(role, language):
        response = page.goto(fill_path(checked.path, live))
        where = f"{checked.name} [{role}, {language}, {viewport}]"
        if response.status != checked.status:
            problems.append(f"{where}: status {response.status}, expected {checked.status}")
            continue
        lang, direction = html_lang_dir(page)
        expected_dir = "rtl" if language == "ar" else "ltr"
        if (lang, direction) != (BCP47.get(language, language), expected_dir):
            problems.append(f"{where}: html lang={lang} dir={direction}")
        overflow = horizontal_overflow(page)
        if overflow:
            problems.append(f"{where}: {overflow}px wider than the viewport")
        problems.extend(f"{where}: off screen: {box}" for box in outside_viewport(page))
        problems.extend(f"{where}: {violation}" for violation in axe_violations(page))
        problems.extend(f"{where}: {fault}" for fault in html_problems(response.text()))
        if language in SCREENSHOT_LANGUAGES and (checked.main or role in ("admin", "finance")):
            target = ARTIFACTS / "screenshots" / f"{language}-{viewport}-{role}-{checked.name}.png"
            target.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(target), full_page=True)
    context.close()
    assert problems == [], "\n".join(problems)


FORM_ROLES = {"auth.sign_in": ANONYMOUS, "auth.forgot_password": ANONYMOUS,
              "auth.enter_code": ANONYMOUS,
              "auth.accept_invitation": ANONYMOUS, "auth.reset_password": ANONYMOUS,
              "applications.apply": ANONYMOUS, "applications.continue_later": ANONYMOUS,
              "applications.status": ANONYMOUS, "selection.answer_seat": ANONYMOUS,
              "review.review": REVIEWER}


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
@pytest.mark.parametrize("language", ["en", "ar"])
@pytest.mark.parametrize("endpoint", [name for name, p in PAGES.items() if p.form])
def test_failed_form_shows_a_focused_linked_error_summary(browser, live, axe_source, endpoint,
                                                          language, viewport):
    checked = PAGES[endpoint]
    context = new_context(browser, live, axe_source, viewport)
    page = context.new_page()
    choose_language(page, language)
    # Anonymous forms are named in FORM_ROLES; otherwise the first role that reaches it.
    role = FORM_ROLES.get(endpoint) or next(
        role for role in (MEMBER, ADMIN, FACILITATOR, FINANCE) if role in checked.roles)
    if role != ANONYMOUS:
        sign_in(page, live.people[role])
    page.goto(fill_path(checked.path, live))
    for name, value in checked.form.items():
        page.fill(f"#{name}", value)
    # The form that holds the fields: a page may have other buttons before it (a
    # translation request above a meeting's answer form).
    first_field = next(iter(checked.form), None)
    form = (page.locator(f"form:has(#{first_field})") if first_field
            else page.locator("main form[method=post]").first)
    form.locator("button[type=submit]").first.click()
    page.wait_for_selector(".error-summary")
    summary = page.locator(".error-summary")
    assert summary.is_visible()
    # Focus moves to the summary once the page has loaded (autofocus, then the script).
    page.wait_for_function(
        "() => document.activeElement"
        " && document.activeElement.classList.contains('error-summary')",
        timeout=5000,
    )
    links = summary.locator("a")
    assert links.count() >= 1
    for index in range(links.count()):
        target = links.nth(index).get_attribute("href")
        assert page.locator(target).count() == 1, f"summary link {target} has no field"
        assert page.locator(f"{target}-error").count() == 1, f"{target} shows no message"
    error_word = page.evaluate(
        "() => document.querySelector('.field-error .visually-hidden').textContent.trim()"
    )
    assert page.title().startswith(error_word)
    if language == "en":
        assert page.title().startswith("Error:")
    # What the person typed is still there.
    for name, value in checked.form.items():
        if "password" not in name and value:
            assert page.input_value(f"#{name}") == value
    problems = axe_violations(page)
    overflow = horizontal_overflow(page)
    target = ARTIFACTS / "screenshots" / f"{language}-{viewport}-error-{checked.name}.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target), full_page=True)
    context.close()
    assert problems == []
    assert overflow == 0
