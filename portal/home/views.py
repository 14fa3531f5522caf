"""The home page and the language choice."""

from __future__ import annotations

from datetime import datetime

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from portal.access import is_safe_next, public, signed_in
from portal.account.services import keep_language_choice
from portal.auth.forms import ButtonForm
from portal.auth.models import Role
from portal.db import db, utcnow
from portal.home.services import member_home
from portal.home.staff import staff_home
from portal.i18n import LANGUAGE_BY_CODE, current_language
from portal.programs.current import current_program
from portal.programs.models import Enrollment
from portal.review.services import waiting_reviews
from portal.stipends.services import stipend_summary

bp = Blueprint("home", __name__)


@bp.route("/")
@signed_in
def index():
    program = current_program()
    if current_user.is_staff:
        return render_template("home/staff.html",
                               **staff_home(current_user._get_current_object(), program,
                                            utcnow(),
                                            current_app.config["TAX_REPORTING_THRESHOLDS"]))
    enrollment = None
    if program is not None:
        enrollment = db.session.scalars(
            select(Enrollment).where(
                Enrollment.user_id == current_user.id, Enrollment.program_id == program.id
            )
        ).first()
    now = utcnow()
    stipend = stipend_summary(enrollment, program.local_today(now)) if enrollment else None
    home = member_home(current_user, enrollment, current_language().code, _previous_visit(),
                       now) if enrollment else None
    reviewing = waiting_reviews(current_user._get_current_object()) \
        if current_user.has_role(Role.REVIEWER) else None
    return render_template("home/index.html", enrollment=enrollment, stipend=stipend, home=home,
                           button_form=ButtonForm(), reviewing=reviewing)


def _previous_visit() -> datetime | None:
    """When the person last signed in before this session (kept at sign-in)."""
    try:
        return datetime.fromisoformat(session.get("previous_visit", ""))
    except (TypeError, ValueError):
        return None


@bp.route("/language")
@public
def choose_language():
    return render_template("home/language.html", next=_next_target())


@bp.route("/language/<code>")
@public
def set_language(code: str):
    if code not in LANGUAGE_BY_CODE:
        abort(404)
    session["language"] = code
    if current_user.is_authenticated:
        keep_language_choice(current_user._get_current_object(), code)
        db.session.commit()
    target = _next_target()
    return redirect(target or url_for("home.index"))


@bp.route("/favicon.ico")
@public
def favicon():
    # Browsers ask for it on every site, whatever the page names; a 404 here shows as
    # an error in every console.
    return send_from_directory(current_app.static_folder, "favicon.ico",
                               mimetype="image/x-icon", max_age=7 * 24 * 3600)


def _next_target() -> str | None:
    target = request.args.get("next")
    return target if is_safe_next(target) else None
