"""The printed sign-in sheet for a person without email, in that person's language."""

from __future__ import annotations

import segno
from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup

from portal.admin.services import Invitation
from portal.auth.services import group_code
from portal.outbox.services import external_url


def qr_code_svg(link: str, title: str) -> Markup:
    """The link as a QR code drawn inline (no request leaves the page), black on white
    with the four-module quiet zone phone cameras need; sized by the stylesheet."""
    code = segno.make(link, error="m", micro=False)
    # segno writes only numbers and its own markup; the title is escaped by segno.
    svg = code.svg_inline(border=4, omitsize=True, title=title, svgclass="qr-code",
                          lineclass=None)
    return Markup(svg)  # noqa: S704  # nosec B704  # segno's own SVG, title escaped


def sign_in_sheet(invitation: Invitation) -> Markup:
    """The part of the page that is printed and handed over: in the member's language
    (the admin's own page around it stays in the admin's), with a QR code of the
    invitation link and a short code to type instead."""
    person = invitation.user
    with force_locale(person.preferred_language):
        sheet = render_template(
            "admin/_sign_in_sheet.html", person=person, code=group_code(invitation.code),
            expires_at=invitation.expires_at,
            code_page=external_url("auth.enter_code"),
            qr=qr_code_svg(invitation.link, _("QR code with your sign-in link")))
    return Markup(sheet)  # noqa: S704  # nosec B704  # an autoescaped template's output


def sign_in_sheet_page(invitation: Invitation) -> str:
    """The admin's page with the member's printable sheet inside it, shown once, for a
    person without email (added by hand, or a confirmed seat from the open call)."""
    from portal.i18n import language_name_in_itself

    return render_template("admin/invitation_link.html", invitation=invitation,
                           sheet=sign_in_sheet(invitation),
                           sheet_language_name=language_name_in_itself(
                               invitation.user.preferred_language))
