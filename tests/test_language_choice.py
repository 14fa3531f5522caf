"""A language picked in the header is kept: for the next sign-in and for emails."""

from __future__ import annotations

import re

from portal.auth.models import User
from portal.db import db
from portal.outbox.services import queue_email
from tests.conftest import sign_in


def html_lang(client, path="/") -> str:
    return re.search(r'<html lang="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def test_a_language_picked_while_signed_in_is_kept_at_the_next_sign_in(app, client, people):
    member = people["member"]
    sign_in(client, member)
    client.get("/language/ht")
    client.post("/sign-out", data={})
    other_device = app.test_client()
    sign_in(other_device, member)
    assert html_lang(other_device) == "ht"
    assert db.session.get(User, member.id).preferred_language == "ht"


def test_emails_follow_the_language_picked_in_the_header(app, client, people):
    member = people["member"]
    sign_in(client, member)
    client.get("/language/vi")
    db.session.expire_all()
    person = db.session.get(User, member.id)
    with app.test_request_context():
        message = queue_email(person, "password_reset", link="https://example.org/x")
    assert message.language == "vi"


def test_an_anonymous_choice_carries_to_sign_in_without_changing_the_profile(client, people):
    member = people["member_es"]
    client.get("/language/ru")
    sign_in(client, member)
    assert html_lang(client) == "ru"
    assert db.session.get(User, member.id).preferred_language == "es"


def test_saving_the_profile_shows_the_language_saved_not_one_picked_before(client, people):
    member = people["member"]
    sign_in(client, member)
    client.get("/language/ar")
    client.post("/profile/", data={"name": member.name,
                                   "preferred_language": "fr", "email": member.email,
                                   "childcare_children": "0"})
    assert html_lang(client) == "fr"
