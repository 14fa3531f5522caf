"""A member without email gets a printed sheet in their own language, with a QR code
and a short code to type on a phone; the pages it leads to speak their language."""

from __future__ import annotations

import re
from datetime import timedelta

import segno
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from portal.auth.models import AccountToken, TokenPurpose, User
from portal.auth.services import CODE_ALPHABET
from portal.db import db, utcnow
from tests.test_invitations import add_person

CODE = re.compile(r'<p class="sheet-code" dir="ltr">([A-Z0-9]{4}-[A-Z0-9]{4})</p>')
PASSWORD = {"password": "mango tree by the sea", "password_again": "mango tree by the sea"}


def _sheet(page: str) -> str:
    return re.search(r'<section class="sign-in-sheet".*?</section>', page, re.S).group(0)


def _in(language: str, text: str) -> str:
    with force_locale(language):
        return _(text)


def _add_without_email(as_role, language: str, username: str) -> str:
    response = add_person(as_role("admin"), name="Djenaba Monteiro", username=username,
                          preferred_language=language)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_sheet_is_in_the_members_language_inside_the_admins_page(app, as_role, people):
    for language, direction in (("ht", "ltr"), ("ar", "rtl")):
        page = _add_without_email(as_role, language, f"member-{language}")
        sheet = _sheet(page)
        assert f'lang="{language}" dir="{direction}"' in sheet
        # The admin's own words stay in the admin's language (English)...
        assert '<html lang="en"' in page and "This person has no email address" in page
        # ...and the sheet speaks the member's.
        for text in ("Point the camera at this square and open the link it shows.",
                     "Go to this address and type the code below:"):
            assert _in(language, text) in sheet and _in(language, text) != text
        assert "Point the camera" not in sheet


def test_sheet_has_a_short_code_and_an_inline_qr_code_of_the_link(app, as_role, people):
    page = _add_without_email(as_role, "kea", "djenaba")
    sheet = _sheet(page)
    code = CODE.search(sheet).group(1)
    assert all(c in CODE_ALPHABET for c in code.replace("-", ""))
    # No long link to type by hand on the sheet: the QR code carries it.
    link = re.search(r"<code>(http://portal\.test/invitation/[^<]+)</code>", page).group(1)
    assert link not in sheet and "/invitation/" not in sheet
    assert "http://portal.test/code" in sheet
    # The QR code is drawn in the page, nothing is fetched from elsewhere.
    assert "<svg" in sheet and "<img" not in sheet and "src=" not in sheet
    # Its modules are exactly those of a QR code of the invitation link.
    drawn = re.search(r'<svg[^>]*class="qr-code".*?</svg>', sheet, re.S).group(0)
    symbol = segno.make(link, error="m", micro=False).svg_inline(border=4, omitsize=True)
    path = re.compile(r' d="([^"]+)"')
    assert path.search(drawn).group(1) == path.search(symbol).group(1)
    # Stored hashed, never as typed.
    hashes = db.session.scalars(select(AccountToken.token_hash)).all()
    assert not any(code.replace("-", "") in value for value in hashes)


def test_typed_code_leads_to_the_invitation_in_the_members_language(app, client, as_role,
                                                                    people):
    code = CODE.search(_add_without_email(as_role, "ht", "djenaba")).group(1)
    form = client.get("/code", headers={"Accept-Language": "en"})
    assert form.status_code == 200 and 'autocomplete="one-time-code"' in form.get_data(
        as_text=True)
    # Typed on a phone: small letters, a space instead of the dash.
    typed = code.lower().replace("-", " ")
    response = client.post("/code", data={"code": typed}, headers={"Accept-Language": "en"})
    assert response.status_code == 302 and "/invitation/" in response.location
    page = client.get(response.location, headers={"Accept-Language": "en"})
    text = page.get_data(as_text=True)
    assert '<html lang="ht"' in text
    assert _in("ht", "Choose a password to finish setting up your account.") in text
    assert client.post(response.location, data=PASSWORD).status_code == 302
    user = db.session.scalars(select(User).where(User.username == "djenaba")).one()
    assert user.password_hash
    # The code works once.
    client.post("/sign-out")
    again = client.post("/code", data={"code": code})
    assert again.status_code == 200
    assert "That code is not right" in again.get_data(as_text=True)


def test_the_printed_link_opens_in_the_members_language_unless_they_choose_another(
        app, client, as_role, people):
    page = _add_without_email(as_role, "ar", "amina")
    link = re.search(r"<code>http://portal\.test(/invitation/[^<]+)</code>", page).group(1)
    opened = client.get(link, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="ar" dir="rtl"' in opened
    client.get("/language/es")
    chosen = client.get(link, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="es"' in chosen


def test_wrong_and_expired_codes_are_refused_and_tries_are_limited(app, client, as_role,
                                                                   people):
    code = CODE.search(_add_without_email(as_role, "ht", "djenaba")).group(1)
    token = db.session.scalars(select(AccountToken).where(
        AccountToken.purpose == TokenPurpose.SIGN_IN_CODE)).one()
    token.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    expired = client.post("/code", data={"code": code})
    assert expired.status_code == 200 and "Error:" in expired.get_data(as_text=True)
    statuses = [client.post("/code", data={"code": "ABCD-EFGH"}).status_code
                for _ in range(6)]
    assert statuses[-1] == 429
