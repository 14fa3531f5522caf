"""An answer sent after the session ended: the sign-in page stays in the reader's
language, and after signing in the person finds what they typed, or is told plainly
that it was not saved."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import unquote

from portal.auth.models import Role
from portal.db import db, utcnow
from portal.meetings.models import Response
from tests.conftest import PASSWORD, make_person, sign_in
from tests.test_meetings import make_meeting, rsvp_of

ANSWER = {"response": "virtual", "interpretation_language": "ht", "childcare_children": "2",
          "transport_help": "y", "access_needs": "Yon chèz ak do", "page_language": "ht"}


def html_lang(page: str) -> str:
    return re.search(r'<html lang="([^"]+)"', page).group(1)


def end_session(client) -> None:
    """The session cookie expired: the browser sends none."""
    cookie = client.get_cookie("portal_session")
    client.delete_cookie("portal_session", domain=cookie.domain, path=cookie.path)
    assert client.get_cookie("portal_session") is None


def test_an_answer_sent_after_the_session_ended_survives_sign_in(client, people, program):
    meeting = make_meeting(program, people["facilitator"])
    member = make_person(program, Role.MEMBER, name="Widline Joseph", language="en")
    sign_in(client, member)
    client.get("/language/ht")
    end_session(client)

    sent = client.post(f"/meetings/{meeting.id}", data=ANSWER)
    assert sent.status_code == 302
    assert unquote(sent.location) == f"/sign-in?next=/meetings/{meeting.id}"
    sign_in_page = client.get(sent.location).get_data(as_text=True)
    assert html_lang(sign_in_page) == "ht"
    assert rsvp_of(meeting.id, member.id) is None

    signed_in = client.post(sent.location, data={"identifier": member.email,
                                                  "password": PASSWORD})
    assert signed_in.location == f"/meetings/{meeting.id}"
    page = client.get(signed_in.location).get_data(as_text=True)
    assert html_lang(page) == "ht"
    assert re.search(r'<input[^>]*checked[^>]*value="virtual"|value="virtual"[^>]*checked',
                     page)
    assert "Yon chèz ak do</textarea>" in page
    assert re.search(r'value="2"', page)
    # Shown once, not saved until the person sends it.
    assert rsvp_of(meeting.id, member.id) is None
    assert "Yon chèz ak do" not in client.get(f"/meetings/{meeting.id}").get_data(as_text=True)

    client.post(f"/meetings/{meeting.id}", data=ANSWER)
    saved = rsvp_of(meeting.id, member.id)
    assert (saved.response, saved.access_needs, saved.childcare_children) == (
        Response.VIRTUAL, "Yon chèz ak do", 2)


def test_a_kept_answer_is_not_shown_to_someone_else_signing_in(client, people, program):
    meeting = make_meeting(program, people["facilitator"])
    member = people["member"]
    sign_in(client, member)
    # Signed out elsewhere: the cookie still names the person, the session is over.
    member.session_token = "ended-elsewhere"
    db.session.commit()
    client.post(f"/meetings/{meeting.id}", data=ANSWER)
    sign_in(client, people["member_es"])
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "Yon chèz ak do" not in page


def test_a_kept_answer_goes_stale(client, people, program, monkeypatch):
    meeting = make_meeting(program, people["facilitator"])
    member = people["member"]
    client.post(f"/meetings/{meeting.id}", data=ANSWER)
    later = utcnow() + timedelta(hours=2)
    monkeypatch.setattr("portal.meetings.views.utcnow", lambda: later)
    sign_in(client, member)
    assert "Yon chèz ak do" not in client.get(f"/meetings/{meeting.id}").get_data(as_text=True)


def test_a_money_form_is_never_kept_and_the_person_is_told(client, people, program):
    sign_in(client, people["finance"])
    client.get("/language/es")
    end_session(client)
    sent = client.post("/finance/members/1/payments/new",
                       data={"amount": "600.00", "page_language": "es"})
    assert sent.status_code == 302 and sent.location.startswith("/sign-in?next=")
    page = client.get(sent.location).get_data(as_text=True)
    assert html_lang(page) == "es"
    with client.session_transaction() as session:
        assert "unsent_form" not in session
    assert "no se guardó" in page
