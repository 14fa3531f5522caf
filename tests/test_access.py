"""Who may see which page."""

from __future__ import annotations

import pytest

from portal.access import PUBLIC, SIGNED_IN, access_of

ADMIN_PAGES = ["/admin/people", "/admin/people/new", "/admin/program", "/admin/audit",
               "/admin/outbox"]


def test_every_page_declares_who_may_see_it(app):
    undeclared = [
        rule.endpoint for rule in app.url_map.iter_rules()
        if rule.endpoint != "static" and access_of(app.view_functions[rule.endpoint]) is None
    ]
    assert undeclared == []


def test_only_the_pages_the_design_names_are_public(app):
    public = sorted(
        rule.endpoint for rule in app.url_map.iter_rules()
        if rule.endpoint != "static" and access_of(app.view_functions[rule.endpoint]) == PUBLIC
    )
    # The site's icon is public like the stylesheet: browsers ask for it on every page.
    # The provider's webhooks check its signature instead of a sign-in. The open call
    # is for anyone: its form, drafts, and an applicant's own status, contact details,
    # withdrawal and deletion (reached after a status check with reference and contact).
    # A selected applicant takes their seat from a one-time link, like an invitation.
    assert public == ["applications.apply", "applications.change_my_contact",
                      "applications.continue_draft", "applications.continue_later",
                      "applications.delete_mine", "applications.draft_saved",
                      "applications.index", "applications.my_application",
                      "applications.print_form", "applications.sent", "applications.status",
                      "applications.withdraw_mine", "auth.accept_invitation", "auth.enter_code",
                      "auth.forgot_password", "auth.reset_password", "auth.sign_in",
                      "home.choose_language",
                      "home.favicon", "home.set_language", "meetings.feed",
                      "selection.answer_seat", "texts.delivery_status", "texts.inbound"]


@pytest.mark.parametrize("path", ADMIN_PAGES)
@pytest.mark.parametrize("role", ["member", "facilitator", "finance"])
def test_admin_pages_are_forbidden_to_other_roles(as_role, role, path):
    response = as_role(role).get(path)
    assert response.status_code == 403
    assert "This page is not for your role" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_pages_open_for_admins(as_role, path):
    assert as_role("admin").get(path).status_code == 200


@pytest.mark.parametrize("path", ADMIN_PAGES + ["/", "/profile/", "/profile/password"])
def test_anonymous_visitors_are_sent_to_sign_in(client, path, people):
    response = client.get(path)
    assert response.status_code == 302
    assert response.location.startswith("/sign-in")


def test_forbidden_page_is_in_the_reader_language(as_role):
    page = as_role("member_es").get("/admin/people").get_data(as_text=True)
    assert '<html lang="es"' in page
    assert "This page is not for your role" not in page


def test_person_with_several_roles_gets_the_union(app, program):
    from portal.auth.models import Role
    from tests.conftest import make_person, sign_in

    both = make_person(program, Role.ADMIN, Role.MEMBER, name="Both Roles")
    client = app.test_client()
    sign_in(client, both)
    assert client.get("/admin/people").status_code == 200
    assert "1,200.00" in client.get("/").get_data(as_text=True)


def test_signed_in_pages_need_only_sign_in(app):
    assert access_of(app.view_functions["account.profile"]) == SIGNED_IN


def test_unknown_page_is_a_404_in_the_reader_language(client, people):
    response = client.get("/no-such-page", headers={"Accept-Language": "fr"})
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert '<html lang="fr"' in page
    assert "Page not found" not in page
