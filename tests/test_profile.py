"""A person's own profile, preferences and default needs."""

from __future__ import annotations

from portal.auth.models import User
from portal.db import db

PROFILE = {
    "name": "Mo Member",
    "preferred_language": "vi",
    "email": "mo@example.org",
    "phone": "617-555-0100",
    "notify_meeting_changes": "y",
    "notify_payments": "y",
    "interpretation_language": "vi",
    "childcare_children": "2",
    "transport_help": "y",
    "access_needs": "A chair with arms, please.",
}


def test_member_saves_profile_preferences_and_needs(as_role, people):
    client = as_role("member")
    response = client.post("/profile/", data=PROFILE)
    assert response.status_code == 302
    user = db.session.get(User, people["member"].id)
    assert user.preferred_language == "vi"
    assert user.phone == "+16175550100"  # stored in E.164, for texts
    assert user.notify_meeting_changes and user.notify_payments
    assert not user.notify_reminders and not user.notify_new_materials
    assert user.interpretation_language == "vi"
    assert user.childcare_children == 2
    assert user.transport_help is True
    assert user.access_needs == "A chair with arms, please."
    # The new preferred language is used from the next page on.
    assert '<html lang="vi"' in client.get("/profile/").get_data(as_text=True)


def test_profile_says_why_needs_are_asked_and_who_sees_them(as_role):
    page = as_role("member").get("/profile/").get_data(as_text=True)
    assert "Only the program staff who plan meetings see these answers." in page
    assert "What helps you take part (optional)" in page


def test_bad_input_keeps_everything_typed_and_changes_nothing(as_role, people):
    client = as_role("member")
    data = {**PROFILE, "childcare_children": "lots", "email": "not-an-email"}
    response = client.post("/profile/", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<title>Error:" in page
    assert 'class="error-summary"' in page
    assert 'href="#childcare_children"' in page
    assert 'href="#email"' in page
    assert "Enter a whole number from 0 to 12." in page
    assert 'value="lots"' in page
    assert "A chair with arms, please." in page
    assert 'value="617-555-0100"' in page
    user = db.session.get(User, people["member"].id)
    assert user.phone is None and user.childcare_children == 0


def test_email_used_by_someone_else_is_not_taken_nor_revealed(as_role, people):
    response = as_role("member").post(
        "/profile/", data={**PROFILE, "preferred_language": "en", "email": people["admin"].email},
        follow_redirects=True
    )
    page = response.get_data(as_text=True)
    assert "Someone already uses" not in page
    assert f"We sent a link to {people['admin'].email}" in page
    assert db.session.get(User, people["member"].id).email != people["admin"].email


def test_email_cannot_be_emptied_by_someone_who_signs_in_with_it(as_role, people):
    response = as_role("member").post("/profile/", data={**PROFILE, "email": ""})
    assert "cannot be empty" in response.get_data(as_text=True)


def test_text_people_write_runs_in_its_own_direction(as_role):
    """English access needs typed on an Arabic page keep their full stop at the end."""
    import re

    page = as_role("member").get("/profile/").get_data(as_text=True)
    textarea = re.search(r'<textarea[^>]*name="access_needs"[^>]*>', page).group(0)
    name = re.search(r'<input[^>]*name="name"[^>]*>', page).group(0)
    email = re.search(r'<input[^>]*name="email"[^>]*>', page).group(0)
    assert 'dir="auto"' in textarea and 'dir="auto"' in name and 'dir=' not in email
