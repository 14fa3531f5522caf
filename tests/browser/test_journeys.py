"""A member's journey by keyboard alone and without JavaScript; right-to-left
mirroring; text at 200%."""

from __future__ import annotations

import time

import pytest

from tests.browser.conftest import (
    DEMO_PASSWORD,
    axe_violations,
    choose_language,
    horizontal_overflow,
    new_context,
    sign_in,
)

FOCUS_IS_VISIBLE = """() => {
  const element = document.activeElement;
  if (!element || element === document.body) return false;
  const style = getComputedStyle(element);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
  const ring = style.boxShadow && style.boxShadow !== 'none';
  const box = element.getBoundingClientRect();
  const onScreen = box.width > 0 && box.height > 0 && box.bottom > 0 && box.top < innerHeight;
  return (outline || ring) && onScreen;
}"""


def tab_to(page, selector: str, limit: int = 40) -> None:
    """Press Tab until `selector` has focus, checking the focus is visible at every step."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        assert page.evaluate(FOCUS_IS_VISIBLE), (
            "focus not visible on " + page.evaluate("() => document.activeElement.outerHTML")[:200]
        )
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"could not reach {selector} with Tab")


def test_member_journey_by_keyboard_alone(browser, live, axe_source):
    context = new_context(browser, live, axe_source, "desktop")
    page = context.new_page()
    page.goto("/sign-in")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.classList.contains('skip-link')")
    assert page.evaluate(FOCUS_IS_VISIBLE)
    tab_to(page, "#identifier")
    page.keyboard.type(live.people["member"])
    tab_to(page, "#password")
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(live.base_url + "/")

    tab_to(page, "a[href='/profile/']")
    page.keyboard.press("Enter")
    page.wait_for_url("**/profile/")
    before = page.is_checked("#notify_reminders")
    tab_to(page, "#notify_reminders")
    page.keyboard.press("Space")
    tab_to(page, "main form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector(".flash--success")
    assert page.is_checked("#notify_reminders") is (not before)

    # Change the answer back, again by keyboard.
    tab_to(page, "#notify_reminders")
    page.keyboard.press("Space")
    tab_to(page, "main form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector(".flash--success")
    assert page.is_checked("#notify_reminders") is before

    # Answer for a meeting, then change the answer, by keyboard.
    page.goto(f"/meetings/{live.journey_meeting_id}")
    tab_to(page, "input[name=response]")
    page.keyboard.press("Space")
    first_choice = page.evaluate("() => document.activeElement.value")
    tab_to(page, "main form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector(".flash--success")
    assert page.is_checked(f"input[name=response][value={first_choice}]")
    tab_to(page, "input[name=response]:checked")
    page.keyboard.press("ArrowDown")
    second_choice = page.evaluate("() => document.activeElement.value")
    assert second_choice != first_choice
    tab_to(page, "main form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector(".flash--success")
    assert page.is_checked(f"input[name=response][value={second_choice}]")

    # The language switcher opens and works from the keyboard too.
    tab_to(page, ".language-switcher summary")
    page.keyboard.press("Enter")
    tab_to(page, "a[lang='es']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.evaluate("() => document.documentElement.lang") == "es"
    context.close()


def test_member_journey_without_javascript(browser, live, axe_source):
    context = new_context(browser, live, axe_source, "phone", javascript=False)
    page = context.new_page()
    page.goto("/language/vi?next=/sign-in")
    page.fill("#identifier", live.people["member"])
    page.fill("#password", DEMO_PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(live.base_url + "/")
    assert page.locator("html").get_attribute("lang") == "vi"
    page.goto("/profile/")
    page.fill("#childcare_children", "too many")
    page.click("main form button[type=submit]")
    assert page.locator(".error-summary").is_visible()
    assert page.input_value("#childcare_children") == "too many"
    page.fill("#childcare_children", "2")
    page.click("main form button[type=submit]")
    assert page.locator(".flash--success").is_visible()
    assert page.input_value("#childcare_children") == "2"
    # Answer for a meeting and change the answer, with no scripts at all.
    page.goto(f"/meetings/{live.journey_meeting_id}")
    page.check("input[name=response][value=virtual]")
    page.click("main form button[type=submit]")
    assert page.locator(".flash--success").is_visible()
    page.check("input[name=response][value=not_attending]")
    page.click("main form button[type=submit]")
    assert page.is_checked("input[name=response][value=not_attending]")
    # The language switcher is a plain <details>, so it opens without scripts.
    page.click(".language-switcher summary")
    page.click("a[lang='ar']")
    assert page.locator("html").get_attribute("dir") == "rtl"
    # On a phone the menu is folded into a plain <details> too.
    page.click(".site-menu summary")
    page.click(".sign-out button")
    assert "/sign-in" in page.url
    context.close()


@pytest.mark.parametrize(("language", "side"), [("en", "start-left"), ("ar", "start-right")])
def test_right_to_left_layout_mirrors(browser, live, axe_source, language, side):
    context = new_context(browser, live, axe_source, "desktop")
    page = context.new_page()
    choose_language(page, language)
    sign_in(page, live.people["admin"])
    width = page.viewport_size["width"]
    name = page.locator(".site-name").bounding_box()
    switcher = page.locator(".language-switcher").bounding_box()
    first_link = page.locator(".site-nav li").first.bounding_box()
    sign_out = page.locator(".site-nav .sign-out").bounding_box()
    heading = page.locator("main h1").bounding_box()
    if side == "start-right":
        assert name["x"] > switcher["x"] and first_link["x"] > sign_out["x"]
        assert heading["x"] + heading["width"] > width / 2
    else:
        assert name["x"] < switcher["x"] and first_link["x"] < sign_out["x"]
        assert heading["x"] < width / 2
    context.close()


MAIN_PATHS = ("/sign-in", "/", "/calendar", "/profile/", "/profile/password")
CONTROLS = ("main a, main button, main input, main select, main textarea, "
            "header a, nav a, nav button")


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
@pytest.mark.parametrize("language", ["en", "ar", "vi"])
def test_text_at_200_percent_neither_overflows_nor_hides_controls(browser, live, axe_source,
                                                                  language, viewport):
    context = new_context(browser, live, axe_source, viewport)
    page = context.new_page()
    choose_language(page, language)
    problems = []
    for path in MAIN_PATHS:
        if path != "/sign-in" and "/sign-in" in page.url:
            sign_in(page, live.people["member"])
        page.goto(path)
        page.evaluate("() => { document.documentElement.style.fontSize = '200%'; }")
        overflow = horizontal_overflow(page)
        if overflow:
            problems.append(f"{path}: {overflow}px overflow")
        hidden = page.evaluate("""() => [...document.querySelectorAll(CONTROLS)]
            .filter(e => e.offsetParent !== null && e.type !== 'hidden')
            .filter(e => !e.closest('details:not([open]) > :not(summary)'))
            .filter(e => { const r = e.getBoundingClientRect();
                           return r.left < -1 || r.right > innerWidth + 1 || r.width < 1; })
            .map(e => e.outerHTML.slice(0, 80))""".replace("CONTROLS", repr(CONTROLS)))
        problems.extend(f"{path}: control off screen: {html}" for html in hidden)
    context.close()
    assert problems == []


def test_finance_records_a_payment_after_checking_it(browser, live, axe_source):
    context = new_context(browser, live, axe_source, "phone")
    page = context.new_page()
    sign_in(page, live.people["finance"])
    page.goto(f"/finance/members/{live.unpaid_enrollment_id}/payments/new")
    page.fill("#amount", "600")
    page.check("input[name=method][value=prepaid_card]")
    page.fill("#reference", "Card ending 4410")
    page.click("main form button[value=review]")
    # Nothing is saved before the confirmation, which says what will be recorded.
    assert page.locator("h1").inner_text() == "Check the payment before it is recorded"
    assert "$600.00" in page.locator("main").inner_text()
    assert axe_violations(page) == [] and horizontal_overflow(page) == 0
    sent = page.evaluate("() => Object.fromEntries(new FormData(document.querySelector("
                         "'main form')))")
    action = page.url
    page.click("main form button[value=record]")
    assert page.locator(".flash--success").is_visible()
    assert "Card ending 4410" in page.locator(".payment-list").inner_text()
    # The same form sent again (a double click, a resent page): still one payment.
    again = context.request.post(action, form={**sent, "step": "record"})
    assert "not recorded a second time" in again.text()
    page.reload()
    assert page.locator(".payment-row").count() == 1
    context.close()


FIRST_APPLICATION = {"#name": "Lucía Ortiz", "#mobile": "617-555-0123",
                     "#statement": "Mi hermano vivió una crisis y nadie supo ayudar."}


def _fill_application(page) -> None:
    for selector, value in FIRST_APPLICATION.items():
        page.fill(selector, value)
    page.check("#preferred_contact-1")  # text message
    page.select_option("#neighborhood", "Roxbury")
    page.check("#meets_conditions-0")
    page.check("#meeting_format-2")
    page.check("#consent")


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_someone_applies_in_spanish_saves_finishes_and_checks_the_status(
        browser, live, axe_source, viewport):
    context = new_context(browser, live, axe_source, viewport)
    page = context.new_page()
    page.goto("/language/es?next=/apply")
    page.goto("/apply")
    page.fill("#name", "Lucía Ortiz")
    page.click("button[value=save]")
    page.wait_for_selector(".reference")
    assert axe_violations(page) == [] and horizontal_overflow(page) == 0
    code = page.inner_text(".reference")
    later = browser.new_context(base_url=live.base_url, viewport=page.viewport_size)
    other = later.new_page()
    other.add_init_script(script=axe_source)
    other.goto("/language/es?next=/apply/continue")
    other.fill("#code", code)
    other.click("main form button[type=submit]")
    assert other.input_value("#name") == "Lucía Ortiz"
    _fill_application(other)
    other.click("button[value=send]")
    other.wait_for_selector(".reference")
    assert other.locator("h1").inner_text() == "Solicitud enviada"
    assert axe_violations(other) == [] and horizontal_overflow(other) == 0
    reference = other.inner_text(".reference")
    other.goto("/apply/status")
    other.fill("#reference", reference)
    other.fill("#contact", "(617) 555-0123")
    other.click("main form button[type=submit]")
    other.wait_for_url("**/apply/my-application")
    assert reference in other.inner_text("main")
    assert axe_violations(other) == [] and horizontal_overflow(other) == 0
    later.close()
    context.close()


def test_checks_judge_the_page_with_its_stylesheet_even_when_it_comes_late(
        browser, live, axe_source):
    """The stylesheet is asked for again on every page; on a busy machine its answer
    can come after the page's content. A check run then must wait for it, or it
    judges an unstyled page (the skip link as a small text link among others)."""
    context = new_context(browser, live, axe_source, "phone")

    def late(route):
        time.sleep(1.5)
        route.continue_()

    context.route("**/portal.css", late)
    page = context.new_page()
    page.goto("/language/es?next=/apply", wait_until="commit")
    page.wait_for_selector("#name")
    assert axe_violations(page) == [] and horizontal_overflow(page) == 0
    assert page.evaluate("() => getComputedStyle(document.querySelector('.skip-link'))"
                         ".position") == "absolute"
    context.close()


def test_applying_works_without_javascript_on_a_phone(browser, live, axe_source):
    context = new_context(browser, live, axe_source, "phone", javascript=False)
    page = context.new_page()
    page.goto("/language/ht?next=/apply")
    page.goto("/apply")
    page.click("button[value=send]")
    assert page.locator(".error-summary").is_visible()
    _fill_application(page)
    page.fill("#name", "Widlyne Pierre")
    page.click("button[value=send]")
    assert page.locator(".reference").inner_text()
    context.close()


def test_the_application_form_by_keyboard_alone(browser, live, axe_source):
    context = new_context(browser, live, axe_source, "desktop")
    page = context.new_page()
    page.goto("/language/ar?next=/apply")
    page.goto("/apply")
    tab_to(page, "#name", limit=30)
    tab_to(page, "#preferred_contact-0", limit=30)
    tab_to(page, "button[value=send]", limit=120)
    context.close()


def test_changing_language_midway_keeps_what_was_typed(browser, live, axe_source):
    """An applicant who switches to Arabic halfway through the form finds their
    answers still there, in the page that now speaks Arabic."""
    context = new_context(browser, live, axe_source, "phone")
    page = context.new_page()
    page.goto("/language/es?next=/apply")
    page.goto("/apply")
    page.fill("#name", "Lucía Ortiz")
    page.fill("#statement", "Lo que viví me enseñó a escuchar.")
    page.click("summary:has(.visually-hidden)")  # the language switcher
    page.click(".language-list a[hreflang=ar]")
    page.wait_for_function("document.documentElement.lang === 'ar'")
    # The answers come back from the script, which runs once the new page is parsed:
    # the Arabic page may be there a moment before them.
    page.wait_for_load_state("load")
    assert page.input_value("#name") == "Lucía Ortiz"
    assert page.input_value("#statement") == "Lo que viví me enseñó a escuchar."
    context.close()
