"""CSRF protection with real tokens, security headers and cookie flags."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal import create_app
from portal.auth.models import User
from portal.db import db, utcnow
from tests.conftest import PASSWORD, TEST_CONFIG, sign_in


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


# --- Headers on every kind of response ------------------------------------------------------

def _assert_security_headers(response, label: str) -> None:
    headers = response.headers
    policy = headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in policy, label
    assert "default-src 'self'" in policy and "object-src 'none'" in policy, label
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, label
    assert headers.get("X-Content-Type-Options") == "nosniff", label
    assert headers.get("Referrer-Policy") == "same-origin", label
    assert headers.get("X-Frame-Options") == "DENY", label


@pytest.fixture
def every_kind_of_response(app, as_role, people, program):
    """(label, a function giving the response, for http or https) for each kind the portal sends."""
    from datetime import timedelta

    from portal.documents.models import DocumentKind
    from portal.documents.services import VersionContent, create_document, publish_document
    from portal.meetings.models import MeetingFormat
    from portal.meetings.services import MeetingDetails, create_meeting
    from tests import sample_files

    now = utcnow()
    meeting = create_meeting(
        people["facilitator"], program,
        MeetingDetails(now + timedelta(days=3), now + timedelta(days=3, hours=2),
                       MeetingFormat.VIRTUAL, join_link="https://video.example.org/a"),
        language="en", title="Walk", description=None)
    document = create_document(
        people["facilitator"], program, kind=DocumentKind.HANDOUT, meeting=None, language="en",
        now=now, content=VersionContent("Map", None,
                                        upload=sample_files.upload(sample_files.PDF, "map.pdf")))
    publish_document(people["facilitator"], document, now)
    db.session.commit()
    member, finance, anonymous = as_role("member"), as_role("finance"), app.test_client()
    return [
        ("page", lambda base: member.get("/", base_url=base), 200),
        ("sign-in page", lambda base: anonymous.get("/sign-in", base_url=base), 200),
        ("404", lambda base: member.get("/no-such-page", base_url=base), 404),
        ("403", lambda base: member.get("/admin/people", base_url=base), 403),
        ("405", lambda base: member.get("/sign-out", base_url=base), 405),
        ("csv", lambda base: finance.get("/finance/ledger.csv", base_url=base), 200),
        ("ics", lambda base: member.get(f"/meetings/{meeting.id}/meeting.ics", base_url=base),
         200),
        ("file", lambda base: member.get(f"/materials/{document.id}/files/en", base_url=base),
         200),
        ("static", lambda base: anonymous.get("/static/portal.css", base_url=base), 200),
        ("redirect to sign in", lambda base: anonymous.get("/", base_url=base), 302),
        ("redirect after a form", lambda base: member.post(
            f"/materials/{document.id}/translation-requests", data={"language": "es"},
            base_url=base), 302),
    ]


def test_security_headers_on_every_kind_of_response(every_kind_of_response):
    for label, fetch, status in every_kind_of_response:
        response = fetch("http://localhost")
        assert response.status_code == status, label
        _assert_security_headers(response, label)
        assert "Strict-Transport-Security" not in response.headers, label


def test_strict_transport_security_on_every_kind_of_response_over_https(every_kind_of_response):
    for label, fetch, status in every_kind_of_response:
        response = fetch("https://localhost")
        assert response.status_code == status, label
        _assert_security_headers(response, label)
        hsts = response.headers.get("Strict-Transport-Security", "")
        assert "max-age=31536000" in hsts and "includeSubDomains" in hsts, label


def test_security_headers_on_a_server_error(app, people):
    from portal.access import public

    broken = create_app({**TEST_CONFIG, "PROPAGATE_EXCEPTIONS": False,
                         "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})

    @public
    def fails():
        raise RuntimeError("something broke")

    broken.add_url_rule("/fails", "fails", fails)
    response = broken.test_client().get("/fails", base_url="https://portal.test")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.get_data(as_text=True)
    _assert_security_headers(response, "500")
    assert "max-age=" in response.headers["Strict-Transport-Security"]


# --- The session at sign-in -----------------------------------------------------------------

def _session_cookie(client) -> str | None:
    cookie = client.get_cookie("portal_session")
    return cookie.value if cookie else None


def test_sign_in_starts_a_fresh_session(app, people):
    client = app.test_client()
    client.get("/language/es?next=/sign-in")
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
        session["password_entered_at"] = 1  # would make money steps skip the password
        session["_user_id"] = f"{people['admin'].id}:guessed"
    before = _session_cookie(client)
    assert client.get("/").status_code == 302  # the planted ids let nobody in
    sign_in(client, people["member"])
    after = _session_cookie(client)
    assert after and after != before
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["password_entered_at"] != 1
        assert session["_user_id"].startswith(f"{people['member'].id}:")
        assert session["language"] == "es"  # the one thing kept: the language chosen
    # The cookie from before signing in does not carry the sign-in.
    stale = app.test_client()
    stale.set_cookie("portal_session", before, domain="localhost")
    assert stale.get("/").status_code == 302


# --- An expired or foreign form token keeps what was typed --------------------------------

def _signed_in(csrf_app, person):
    client = csrf_app.test_client()
    token = token_from(client.get("/sign-in").get_data(as_text=True))
    response = client.post("/sign-in", data={"identifier": person.email, "password": PASSWORD,
                                             "csrf_token": token})
    assert response.status_code == 302
    return client


@pytest.fixture
def expired_token(monkeypatch):
    """A form token issued nine hours ago (tokens last eight); the session stays fresh."""
    import flask_wtf.csrf
    from itsdangerous import URLSafeTimedSerializer
    from itsdangerous.timed import TimestampSigner

    class NineHoursAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return super().get_timestamp() - 9 * 3600

    class PastSerializer(URLSafeTimedSerializer):
        default_signer = NineHoursAgo

    def issue(client, path: str) -> str:
        with monkeypatch.context() as patch:
            patch.setattr(flask_wtf.csrf, "URLSafeTimedSerializer", PastSerializer)
            return token_from(client.get(path).get_data(as_text=True))

    return issue


def _foreign_token(csrf_app, path: str) -> str:
    return token_from(csrf_app.test_client().get(path).get_data(as_text=True))


# "This page was open for a long time, so we could not save it." in Spanish.
SPANISH_EXPIRED = "Esta página estuvo abierta mucho tiempo"

PROFILE_TYPED = {"name": "Rosa María Delgado", "preferred_language": "es",
                 "email": "rosa.nueva@example.org", "phone": "617-555-0142",
                 "interpretation_language": "", "childcare_children": "2",
                 "access_needs": "Una silla cerca de la puerta"}


@pytest.mark.parametrize("how", ["expired", "from another session", "altered"])
def test_profile_form_with_a_bad_token_keeps_what_was_typed(csrf_app, people, expired_token,
                                                             how):
    rosa = people["member_es"]
    client = _signed_in(csrf_app, rosa)
    if how == "expired":
        token = expired_token(client, "/profile/")
    elif how == "from another session":
        token = _foreign_token(csrf_app, "/sign-in")
    else:
        token = token_from(client.get("/profile/").get_data(as_text=True))[:-2] + "xx"
    response = client.post("/profile/", data={**PROFILE_TYPED, "csrf_token": token})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<html lang="es"' in page and 'class="error-summary"' in page
    assert SPANISH_EXPIRED in page
    for value in ("Rosa María Delgado", "rosa.nueva@example.org", "617-555-0142",
                  "Una silla cerca de la puerta"):
        assert value in page
    assert re.search(r'<input[^>]*name="childcare_children"[^>]*value="2"', page)
    with csrf_app.app_context():
        stored = db.session.get(User, rosa.id)
        assert (stored.name, stored.phone) == ("Rosa Miembro", None)
    # A fresh token from the page now shown saves the same answers.
    again = client.post("/profile/", data={**PROFILE_TYPED, "csrf_token": token_from(page)})
    assert again.status_code == 302
    with csrf_app.app_context():
        assert db.session.get(User, rosa.id).name == "Rosa María Delgado"


@pytest.mark.parametrize("how", ["expired", "from another session"])
def test_payment_form_with_a_bad_token_keeps_what_was_typed(csrf_app, program, people,
                                                             expired_token, how):
    from portal.auth.models import Role
    from portal.programs.models import Enrollment
    from portal.stipends.models import Payment
    from tests.conftest import make_person

    finanzas = make_person(program, Role.FINANCE, name="Fina Finanzas", language="es")
    enrollment_id = db.session.scalars(select(Enrollment.id).where(
        Enrollment.user_id == people["member"].id)).one()
    path = f"/finance/members/{enrollment_id}/payments/new"
    client = _signed_in(csrf_app, finanzas)
    token = expired_token(client, path) if how == "expired" else _foreign_token(
        csrf_app, "/sign-in")
    typed = {"amount": "123.45", "paid_on": "2027-01-15", "method": "gift_card",
             "reference": "Tarjeta 5521", "note": "Entregada en mano", "step": "review",
             "submission_key": "k" * 32, "csrf_token": token}
    response = client.post(path, data=typed)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<html lang="es"' in page and 'class="error-summary"' in page
    assert SPANISH_EXPIRED in page
    for value in ('value="123.45"', 'value="2027-01-15"', 'value="Tarjeta 5521"',
                  "Entregada en mano"):
        assert value in page, value
    assert re.search(r'<input checked [^>]*value="gift_card"', page)
    with csrf_app.app_context():
        assert db.session.scalars(select(Payment)).all() == []
