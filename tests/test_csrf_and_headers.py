"""CSRF protection with real tokens, security headers and cookie flags."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal import create_app
from portal.auth.models import User
from portal.db import db
from tests.conftest import PASSWORD, TEST_CONFIG


@pytest.fixture
def csrf_app(app):
    protected = create_app({**TEST_CONFIG, "WTF_CSRF_ENABLED": True,
                            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    return protected


def token_from(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def test_post_without_token_is_refused_and_changes_nothing(csrf_app, people):
    client = csrf_app.test_client()
    response = client.post("/sign-in", data={"identifier": people["member"].email,
                                             "password": PASSWORD})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Check your answers and send the form again." in page
    assert f'value="{people["member"].email}"' in page
    with csrf_app.app_context():
        assert db.session.scalars(
            select(User.last_sign_in_at).where(User.id == people["member"].id)
        ).one() is None


def test_post_with_token_goes_through(csrf_app, people):
    client = csrf_app.test_client()
    token = token_from(client.get("/sign-in").get_data(as_text=True))
    response = client.post("/sign-in", data={"identifier": people["member"].email,
                                             "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302


def test_action_without_token_is_refused(csrf_app, people):
    client = csrf_app.test_client()
    token = token_from(client.get("/sign-in").get_data(as_text=True))
    client.post("/sign-in", data={"identifier": people["admin"].email, "password": PASSWORD,
                                  "csrf_token": token})
    response = client.post(f"/admin/people/{people['member'].id}/deactivate")
    assert response.status_code == 400
    assert "This page has expired" in response.get_data(as_text=True)
    with csrf_app.app_context():
        assert db.session.get(User, people["member"].id).active is True
    assert client.post("/sign-out").status_code == 400


def test_security_headers_on_every_response(client, people):
    for path in ("/sign-in", "/no-such-page", "/static/portal.css"):
        headers = client.get(path).headers
        policy = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in policy
        assert "unsafe-inline" not in policy
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in client.get("/sign-in").headers
    secure = client.get("/sign-in", base_url="https://portal.test")
    assert "max-age=" in secure.headers["Strict-Transport-Security"]


def test_session_cookie_flags(app, people):
    production_like = create_app({**TEST_CONFIG, "SESSION_COOKIE_SECURE": True,
                                  "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    client = production_like.test_client()
    response = client.post("/sign-in", base_url="https://portal.test",
                           data={"identifier": people["member"].email, "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Expires=" in cookie  # bounded lifetime
