"""Error pages in the reader's language."""

from __future__ import annotations

from flask import Flask, current_app, g, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import HTTPException

from portal.documents.files import readable_size
from portal.extensions import db

PAGES = {
    403: (_l("This page is not for your role"),
          _l("You are signed in, but this page is for other roles. "
             "If you think you should see it, ask the program staff.")),
    404: (_l("Page not found"), _l("The page may have moved, or the address has a typo.")),
    413: (_l("The file is too large"), _l("Choose a smaller file and try again.")),
    429: (_l("Too many tries"), _l("Please wait a few minutes and try again.")),
    500: (_l("Something went wrong on our side"),
          _l("Nothing you did caused this. Please try again in a few minutes.")),
    "csrf": (_l("This page has expired"),
             _l("For your safety, forms stop working after a while. "
                "Go back, reload the page and try again.")),
    "other": (_l("This did not work"),
              _l("The portal could not handle this request. Go back and try again.")),
}


def error_page(kind, status: int):
    title, message = PAGES[kind]
    return render_template("errors/error.html", title=title, message=message), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(429)
    def too_many_requests(error):
        if request.endpoint == "auth.sign_in":
            from portal.auth.views import sign_in_throttled

            return sign_in_throttled()
        return error_page(429, 429)

    @app.errorhandler(413)
    def too_large(error):
        # The body was refused unread: nothing on the page may try to read it again.
        request.form = request.files = ImmutableMultiDict()
        size = readable_size(current_app.config["UPLOAD_MAX_BYTES"])
        message = _("Files can be up to %(size)s. Nothing was saved. Go back, choose a "
                    "smaller file and send the form again.", size=size)
        return render_template("errors/error.html", title=PAGES[413][0], message=message), 413

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return error_page("csrf", 400)

    @app.errorhandler(500)
    def server_error(error):
        try:
            db.session.rollback()
            return error_page(500, 500)
        except SQLAlchemyError:
            # The database is out of reach (restarting, say), and the page itself asked
            # it for the person and their program. Draw it as for a visitor instead,
            # so people still get a page in their language and not a bare error.
            g._login_user = current_app.login_manager.anonymous_user()
            g.program, g.enrolled_in_program = None, False
            page, _status = error_page(500, 500)
            return page, 503, {"Retry-After": "30"}

    @app.errorhandler(HTTPException)
    def http_error(error):
        code = error.code or 500
        if code == 405:
            return error_page(404, 405)
        return error_page(code if code in PAGES else "other", code)
