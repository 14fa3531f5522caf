"""Every page a person can reach by following links is valid HTML: no id twice,
no reference to a missing id, nothing closed out of order (see tests/html_check.py)."""

from __future__ import annotations

import re
from collections import Counter, deque
from datetime import date
from html import unescape
from urllib.parse import urlsplit

import pytest
from werkzeug.exceptions import HTTPException

from portal import create_app
from portal.db import db
from portal.demo import DEMO_PASSWORD, seed_demo
from tests.conftest import TEST_CONFIG
from tests.html_check import html_problems

# Each kind of page is checked in a few places, so the walk stays short.
PER_ENDPOINT = 2
HREF = re.compile(r'<a [^>]*href="([^"]+)"')
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
WHO = {
    "anonymous": None,
    "member": "widline.joseph@demo.example.org",  # a tax form to send, answers to give
    "facilitator": "dana.whitfield@demo.example.org",
    "finance": "finance@demo.example.org",
    "admin": "admin@demo.example.org",
    "reviewer": "reviewer@demo.example.org",  # scored reviews, open ones and a conflict
}
START = ("/", "/sign-in", "/forgot-password", "/language", "/no-such-page")


def test_the_checker_finds_what_a_validator_refuses():
    page = ('<main id="a"><p>One<div>block</div></p><form><form></form></form>'
            '<a href="#nowhere"><button>x</button></a><label for="b">B</label>'
            '<span id="a"></span><em><b></em></b></main>')
    found = "\n".join(html_problems(page))
    for fault in ('id="a" appears 2 times', "<div> inside <p>", "a form inside a form",
                  "inside a link or a button", "missing id 'nowhere'", "missing id 'b'",
                  "</em> while <b> is open"):
        assert fault in found
    assert html_problems('<ul><li>one<li>two</ul><p>ok<br></p><a href="#x" id="x">x</a>') == []


def walk(app, client) -> dict[str, list[str]]:
    """Follow every link from the start pages; the problems of each page visited."""
    adapter = app.url_map.bind("portal.test")
    seen_paths: set[str] = set()
    per_endpoint: Counter = Counter()
    queue = deque(START)
    problems: dict[str, list[str]] = {}
    while queue:
        path = queue.popleft()
        if path in seen_paths:
            continue
        seen_paths.add(path)
        split = urlsplit(path)
        try:
            endpoint = adapter.match(split.path, method="GET")[0]
        except HTTPException:
            endpoint = "not-found"
        if per_endpoint[endpoint] >= PER_ENDPOINT:
            continue
        response = client.get(path)
        if response.mimetype != "text/html":
            continue
        per_endpoint[endpoint] += 1
        text = response.get_data(as_text=True)
        if found := html_problems(text):
            problems[path] = found
        for href in HREF.findall(text):
            target = urlsplit(unescape(href))
            if target.scheme or target.netloc or not target.path.startswith("/"):
                continue  # other sites, mail and #fragments on the same page
            queue.append(target.path + (f"?{target.query}" if target.query else ""))
    print(f"{sum(per_endpoint.values())} pages of {len(per_endpoint)} kinds")
    assert per_endpoint, "no page was visited"
    return problems


@pytest.fixture(scope="module")
def app_with_csrf(database_url, upload_folder):
    """The portal as people get it: every form carries its CSRF token."""
    return create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url,
                       "UPLOAD_FOLDER": upload_folder, "WTF_CSRF_ENABLED": True})


@pytest.mark.parametrize("role", list(WHO))
def test_every_linked_page_is_valid_html(app_with_csrf, ctx, role):
    seed_demo(date.today())
    db.session.commit()
    client = app_with_csrf.test_client()
    if WHO[role]:
        token = CSRF.search(client.get("/sign-in").get_data(as_text=True)).group(1)
        response = client.post("/sign-in", data={"identifier": WHO[role], "csrf_token": token,
                                                 "password": DEMO_PASSWORD})
        assert response.status_code == 302
    problems = walk(app_with_csrf, client)
    assert problems == {}, "\n".join(
        f"{path}: {problem}" for path, found in problems.items() for problem in found)
