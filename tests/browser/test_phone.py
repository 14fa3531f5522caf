"""Members as they really arrive: on a phone, in their own language.

Where things are, not only whether the page scrolls sideways: an open menu,
a table or a long title can sit past the edge of a page that does not widen.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import (
    axe_violations,
    choose_language,
    horizontal_overflow,
    new_context,
    outside_viewport,
    sign_in,
)

WIDTHS = (320, 390, 768, 1280)
# A phone screen: the header may take this much of its 844 px, no more (it took 213 px).
HEADER_LIMIT_AT_390 = 130


def _context(browser, live, axe_source, width, javascript=True):
    context = new_context(browser, live, axe_source, "phone" if width < 600 else "desktop",
                          javascript=javascript)
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": 844 if width < 600 else 900})
    return context, page


@pytest.mark.parametrize("signed_in", [False, True])
@pytest.mark.parametrize("language", ["en", "ar"])
@pytest.mark.parametrize("width", WIDTHS)
def test_every_language_link_is_on_screen_when_the_menu_opens(browser, live, axe_source, width,
                                                              language, signed_in):
    context, page = _context(browser, live, axe_source, width)
    choose_language(page, language)
    if signed_in:
        sign_in(page, live.people["member"])
    page.click(".language-switcher summary")
    links = page.locator(".language-list a")
    assert links.count() == 11
    for index in range(links.count()):
        box = links.nth(index).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, (
            f"{links.nth(index).inner_text()} at {box['x']:.0f}..{box['x'] + box['width']:.0f}"
            f" in a {width} px screen")
    assert outside_viewport(page) == []
    assert axe_violations(page) == []
    context.close()


@pytest.mark.parametrize("language", ["en", "ar", "zh_Hant"])
def test_header_is_compact_on_a_phone_and_its_menu_works_without_javascript(
        browser, live, axe_source, language):
    context, page = _context(browser, live, axe_source, 390, javascript=False)
    choose_language(page, language)
    sign_in(page, live.people["admin"])  # the longest menu
    header = page.locator(".site-header").bounding_box()
    assert header["height"] <= HEADER_LIMIT_AT_390, f"header {header['height']:.0f} px tall"
    # Nothing is hidden for good: the menu opens, without scripts, with every link on screen.
    page.click(".site-menu summary")
    links = page.locator(".site-nav a, .site-nav button")
    assert links.count() >= 8
    for index in range(links.count()):
        assert links.nth(index).is_visible()
    assert outside_viewport(page) == []
    page.click(".site-nav a[href='/calendar']")
    assert page.url.endswith("/calendar")
    context.close()


def test_the_whole_menu_shows_on_a_wide_screen(browser, live, axe_source):
    context, page = _context(browser, live, axe_source, 1280)
    sign_in(page, live.people["member"])
    assert page.locator(".site-nav a[href='/calendar']").is_visible()
    assert page.locator(".site-nav .sign-out button").is_visible()
    context.close()


SCROLL_CUE = """() => [...document.querySelectorAll('.table-scroll')]
  .filter(box => box.scrollWidth > box.clientWidth + 1)
  .map(box => ({focusable: box.tabIndex === 0,
                named: !!(box.getAttribute('aria-label') || box.getAttribute('aria-labelledby')),
                cue: getComputedStyle(box).backgroundImage.includes('gradient')}))"""


@pytest.mark.parametrize("text_size", ["100%", "200%"])
@pytest.mark.parametrize("language", ["en", "ar"])
def test_tables_and_long_titles_fit_or_scroll_visibly_at_320(browser, live, axe_source,
                                                            language, text_size):
    context, page = _context(browser, live, axe_source, 320)
    choose_language(page, language)
    sign_in(page, live.people["admin"])
    meeting = live.long_title_meeting_id
    paths = [f"/meetings/{meeting}", f"/meetings/{meeting}/roster", "/admin/people",
             "/admin/audit", "/admin/outbox", f"/meetings/{meeting}/edit",
             f"/admin/calls/{live.season_call_id}/selection",
             f"/admin/calls/{live.season_call_id}/selection/letters",
             f"/admin/calls/{live.second_call_id}/review"]
    page.goto("/calendar")
    while "Neighbourhood" not in page.content() and page.locator("a[rel=next]").count():
        page.click("a[rel=next]")
    paths.append(page.url.removeprefix(live.base_url))
    problems = []
    for path in paths:
        page.goto(path)
        page.evaluate(f"() => {{ document.documentElement.style.fontSize = '{text_size}'; }}")
        if overflow := horizontal_overflow(page):
            problems.append(f"{path}: page {overflow} px wider than the screen")
        problems.extend(f"{path}: {box}" for box in outside_viewport(page))
        for box in page.evaluate(SCROLL_CUE):
            if not all(box.values()):
                problems.append(f"{path}: a table scrolls without a visible, focusable cue {box}")
    assert "Neighbourhood" in page.content(), "the long title is on no calendar page"
    context.close()
    assert problems == []


@pytest.mark.parametrize("role", ["finance"])
def test_finance_tables_fit_or_scroll_visibly_at_320(browser, live, axe_source, role):
    context, page = _context(browser, live, axe_source, 320)
    sign_in(page, live.people[role])
    problems = []
    for path in ("/finance", "/finance/tax-year", f"/finance/members/{live.enrollment_id}"):
        page.goto(path)
        problems.extend(f"{path}: {box}" for box in outside_viewport(page))
        for box in page.evaluate(SCROLL_CUE):
            if not all(box.values()):
                problems.append(f"{path}: a table scrolls without a visible, focusable cue {box}")
    context.close()
    assert problems == []


def test_no_console_errors_on_a_page_load(browser, live, axe_source):
    context, page = _context(browser, live, axe_source, 390)
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("requestfailed", lambda request: errors.append(f"failed: {request.url}"))
    page.on("response", lambda response: response.status >= 400
            and errors.append(f"{response.status}: {response.url}"))
    page.goto("/sign-in")
    page.wait_for_load_state("networkidle")
    sign_in(page, live.people["member"])
    for path in ("/", "/calendar", f"/meetings/{live.meeting_id}", "/materials"):
        page.goto(path)
        page.wait_for_load_state("networkidle")
    context.close()
    assert errors == []


@pytest.mark.parametrize("language", ["en", "es", "ht", "ar", "zh_Hant"])
def test_next_meeting_and_its_answer_buttons_are_on_the_first_screen(browser, live, axe_source,
                                                                    language):
    context, page = _context(browser, live, axe_source, 390)
    choose_language(page, language)
    sign_in(page, live.people["member"])
    page.goto("/")
    buttons = page.locator(".answer-buttons button")
    assert buttons.count() >= 2
    for index in range(buttons.count()):
        box = buttons.nth(index).bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= 844, (
            f"answer button {index} at {box['y']:.0f}..{box['y'] + box['height']:.0f}")
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    when = page.locator("#next-meeting .when").bounding_box()
    assert when["y"] + when["height"] <= 844
    assert axe_violations(page) == [] and outside_viewport(page) == []
    context.close()


def test_one_tap_answer_from_home_without_javascript(browser, live, axe_source):
    context, page = _context(browser, live, axe_source, 390, javascript=False)
    sign_in(page, live.people["member"])
    page.goto("/")
    chosen = page.locator(".answer-buttons button:not([aria-pressed])").first
    value = chosen.get_attribute("value")
    chosen.click()
    page.wait_for_url(live.base_url + "/")
    assert page.locator(".flash--success").is_visible()
    assert page.locator(f".answer-buttons button[value={value}]").get_attribute(
        "aria-pressed") == "true"
    context.close()
