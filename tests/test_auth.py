"""Signing in and out, throttling, safe redirects, sessions."""

from __future__ import annotations

from portal.auth.models import Role, User
from portal.db import db
from tests.conftest import PASSWORD, make_person, sign_in

WRONG = "That email or username and password do not match"


def test_sign_in_with_email_and_reach_home(client, people):
    response = client.post(
        "/sign-in", data={"identifier": people["member"].email.upper(), "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.location == "/"
    page = client.get("/").get_data(as_text=True)
    assert "Hello, <bdi>Mo Member</bdi>" in page


def test_person_without_email_signs_in_with_username(client, program):
    user = make_person(program, Role.MEMBER, name="Djenaba", username="djenaba")
    response = client.post("/sign-in", data={"identifier": " Djenaba ", "password": PASSWORD})
    assert response.status_code == 302
    assert "Djenaba" in client.get("/").get_data(as_text=True)
    assert user.email is None


def test_wrong_password_and_unknown_email_get_the_same_calm_message(client, people):
    wrong = client.post(
        "/sign-in", data={"identifier": people["member"].email, "password": "not the password"}
    )
    unknown = client.post(
        "/sign-in", data={"identifier": "nobody@example.org", "password": "not the password"}
    )
    assert wrong.status_code == unknown.status_code == 200
    for response in (wrong, unknown):
        page = response.get_data(as_text=True)
        assert WRONG in page
        assert "<title>Error:" in page
    # The typed identifier is kept; the password is not echoed back.
    assert 'value="nobody@example.org"' in unknown.get_data(as_text=True)
    assert "not the password" not in unknown.get_data(as_text=True)


def test_deactivated_person_cannot_sign_in(client, program):
    user = make_person(program, Role.MEMBER, active=False)
    response = client.post("/sign-in", data={"identifier": user.email, "password": PASSWORD})
    assert response.status_code == 200
    assert WRONG in response.get_data(as_text=True)


def test_sign_out_ends_the_session(client, people):
    sign_in(client, people["member"])
    response = client.post("/sign-out")
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_a_cookie_copied_before_sign_out_no_longer_works(app, client, people):
    sign_in(client, people["member"])
    copied = client.get_cookie("portal_session").value
    client.post("/sign-out")
    thief = app.test_client()
    thief.set_cookie("portal_session", copied)
    response = thief.get("/stipend")
    assert response.status_code == 302
    assert response.location.startswith("/sign-in")


def test_sign_out_needs_a_post(client, people):
    sign_in(client, people["member"])
    assert client.get("/sign-out").status_code == 405
    assert client.get("/").status_code == 200


def test_failed_sign_ins_are_slowed_down_per_account(app, client, people):
    email = people["member"].email
    limit = int(app.config["SIGN_IN_LIMIT_PER_ACCOUNT"].split()[0])
    for _ in range(limit):
        assert client.post(
            "/sign-in", data={"identifier": email, "password": "wrong password!"}
        ).status_code == 200
    # From another address, the right password is still refused for a while.
    blocked = client.post(
        "/sign-in", data={"identifier": email, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.9.8.7"},
    )
    assert blocked.status_code == 429
    page = blocked.get_data(as_text=True)
    assert "Too many tries to sign in" in page
    assert f'value="{email}"' in page
    # Another account from the first address is not affected.
    assert client.post(
        "/sign-in", data={"identifier": people["admin"].email, "password": PASSWORD}
    ).status_code == 302


def test_failed_sign_ins_are_slowed_down_per_address(app, client, people):
    app.config["SIGN_IN_LIMIT_PER_ADDRESS"] = "3 per 15 minutes"
    try:
        for n in range(3):
            client.post("/sign-in", data={"identifier": f"guess{n}@example.org",
                                          "password": "wrong password!"})
        blocked = client.post(
            "/sign-in", data={"identifier": people["member"].email, "password": PASSWORD}
        )
        assert blocked.status_code == 429
        other_address = app.test_client().post(
            "/sign-in", data={"identifier": people["member"].email, "password": PASSWORD},
            environ_base={"REMOTE_ADDR": "10.1.2.3"},
        )
        assert other_address.status_code == 302
    finally:
        app.config["SIGN_IN_LIMIT_PER_ADDRESS"] = "30 per 15 minutes"


def test_successful_sign_ins_do_not_count_against_the_limit(app, client, people):
    limit = int(app.config["SIGN_IN_LIMIT_PER_ACCOUNT"].split()[0])
    for _ in range(limit + 2):
        sign_in(client, people["member"])
        client.post("/sign-out")


def test_anonymous_visitor_is_sent_to_sign_in_and_back(client, people):
    response = client.get("/profile/")
    assert response.status_code == 302
    assert response.location.startswith("/sign-in?next=")
    back = client.post(
        "/sign-in?next=/profile/",
        data={"identifier": people["member"].email, "password": PASSWORD},
    )
    assert back.location == "/profile/"


def test_next_target_cannot_leave_the_site(client, people):
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example",
                   "javascript:alert(1)", "http:/evil.example"):
        response = client.post(
            "/sign-in", query_string={"next": target},
            data={"identifier": people["member"].email, "password": PASSWORD},
        )
        assert response.location == "/", target
        client.post("/sign-out")


def test_session_id_changes_at_sign_in(client, people):
    client.get("/sign-in")
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    sign_in(client, people["member"])
    with client.session_transaction() as session:
        assert "planted" not in session


def test_changing_password_ends_other_sessions(app, people):
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, people["member"])
    sign_in(phone, people["member"])
    response = laptop.post("/profile/password", data={
        "current_password": PASSWORD,
        "password": "a brand new sentence",
        "password_again": "a brand new sentence",
    })
    assert response.status_code == 302
    assert laptop.get("/").status_code == 200
    assert phone.get("/").status_code == 302
    assert app.test_client().post("/sign-in", data={
        "identifier": people["member"].email, "password": "a brand new sentence"
    }).status_code == 302


def test_change_password_refuses_a_wrong_current_password(app, people):
    client = app.test_client()
    sign_in(client, people["member"])
    response = client.post("/profile/password", data={
        "current_password": "not my password",
        "password": "a brand new sentence",
        "password_again": "a brand new sentence",
    })
    assert "Your current password is not right." in response.get_data(as_text=True)
    user = db.session.get(User, people["member"].id)
    assert user.check_password(PASSWORD)


def test_deactivating_a_person_ends_their_sessions(app, people, as_role):
    member = as_role("member")
    assert member.get("/").status_code == 200
    admin = as_role("admin")
    assert admin.post(f"/admin/people/{people['member'].id}/deactivate").status_code == 302
    assert member.get("/").status_code == 302
