"""Calendar files that calendar apps take as published events, and a feed address that
is easy to subscribe to or copy on a phone."""

from __future__ import annotations

import re

from icalendar import Calendar

from tests.test_meetings import meeting  # noqa: F401 - fixture

CALENDAR_TYPE = "text/calendar; charset=utf-8; method=PUBLISH"


def _feed_page(client) -> str:
    return client.post("/profile/calendar-feed").get_data(as_text=True)


def _assert_published(response, program) -> None:
    assert response.status_code == 200
    # RFC 5545 8.1: the METHOD of the body is repeated as a media-type parameter.
    assert response.headers["Content-Type"] == CALENDAR_TYPE
    calendar = Calendar.from_ical(response.data)
    assert str(calendar["METHOD"]) == "PUBLISH"
    events = calendar.walk("VEVENT")
    assert events
    for event in events:
        # RFC 5546 3.2.1: a published event names its organizer.
        organizer = event["ORGANIZER"]
        assert str(organizer).startswith("mailto:") and "@" in str(organizer)
        assert organizer.params["CN"] == program.name


def test_feed_and_one_meeting_file_are_published_calendars(as_role, client, program,
                                                           meeting):  # noqa: F811
    member = as_role("member")
    page = _feed_page(member)
    path = re.search(r'value="http://localhost(/calendar/feed/[^"]+\.ics)"', page).group(1)
    _assert_published(client.get(path), program)
    _assert_published(member.get(f"/meetings/{meeting.id}/meeting.ics"), program)


def test_feed_page_offers_a_webcal_link_and_a_field_to_copy(as_role, meeting):  # noqa: F811
    page = _feed_page(as_role("member"))
    address = re.search(r'<input id="feed-address"[^>]*>', page).group(0)
    # Without script the address is a read-only field one can select and copy.
    assert "readonly" in address
    link = re.search(r'value="(http://localhost/calendar/feed/[^"]+\.ics)"', address).group(1)
    assert f'href="webcal://localhost/calendar/feed/{link.rsplit("/", 1)[1]}"' in page
    # The copy button is shown by portal.js only where the clipboard can be used.
    button = re.search(r'<button type="button"[^>]*data-copy="feed-address"[^>]*>', page)
    assert button and " hidden" in button.group(0)
    assert 'for="feed-address"' in page
