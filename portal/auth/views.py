"""Sign in and out, accept an invitation, reset a forgotten password."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    has_request_context,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from portal.access import is_safe_next, keeps_own_csrf, public, signed_in
from portal.auth.forms import ButtonForm, ForgotPasswordForm, NewPasswordForm, SignInForm
from portal.auth.models import TokenPurpose, new_session_token
from portal.auth.recent import note_password_entered
from portal.auth.services import (
    InvalidLink,
    PasswordRejected,
    authenticate,
    find_usable_token,
    find_user_by_identifier,
    issue_token,
    normalise_identifier,
    redeem_token,
)
from portal.db import db, utcnow
from portal.extensions import limiter
from portal.outbox.services import external_url, queue_email

bp = Blueprint("auth", __name__)


def _sign_in_account_key() -> str:
    return "account:" + normalise_identifier(request.form.get("identifier", ""))[:254]


def _sign_in_failed(response) -> bool:
    # A successful sign-in redirects; everything else counts as a failed try.
    return response.status_code != 302


def _fresh_session() -> None:
    """Drop everything in the session but the language the person chose."""
    language = session.get("language")
    session.clear()
    if language:
        session["language"] = language


def start_session(user) -> None:
    """Begin a fresh session for this person (a new session id), keeping the language choice."""
    _fresh_session()
    login_user(user)
    session.permanent = True
    if user.last_sign_in_at:
        # The home page shows what is new since this earlier visit.
        session["previous_visit"] = user.last_sign_in_at.isoformat()
    user.last_sign_in_at = utcnow()
    note_password_entered(user.last_sign_in_at)


@bp.route("/sign-in", methods=["GET", "POST"])
@public
@keeps_own_csrf
@limiter.limit(
    lambda: current_app.config["SIGN_IN_LIMIT_PER_ACCOUNT"],
    key_func=_sign_in_account_key,
    methods=["POST"],
    deduct_when=_sign_in_failed,
    scope="sign-in-account",
)
@limiter.limit(
    lambda: current_app.config["SIGN_IN_LIMIT_PER_ADDRESS"],
    methods=["POST"],
    deduct_when=_sign_in_failed,
    scope="sign-in-address",
)
def sign_in():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = SignInForm()
    if form.validate_on_submit():
        user = authenticate(form.identifier.data, form.password.data)
        if user is not None:
            start_session(user)
            db.session.commit()
            target = request.args.get("next")
            return redirect(target if is_safe_next(target) else url_for("home.index"))
        form.add_error(
            "password",
            _("That email or username and password do not match. Check them and try again."),
        )
    return render_template("auth/sign_in.html", form=form)


def _too_many_tries_message() -> str:
    return _("Too many tries to sign in. Wait 15 minutes, then try again, "
             "or ask the program staff for help.")


def sign_out_after_wrong_passwords():
    """End the session of someone who typed a wrong password too often while signed in."""
    logout_user()
    _fresh_session()
    flash(_too_many_tries_message(), "error")
    return redirect(url_for("auth.sign_in"))


def sign_in_throttled():
    """Shown instead of the form's answer after too many failed tries."""
    form = SignInForm()
    form.identifier.data = request.form.get("identifier", "")
    form.add_error("password", _too_many_tries_message())
    return render_template("auth/sign_in.html", form=form), 429


@bp.route("/sign-out", methods=["POST"])
@signed_in
def sign_out():
    # Sessions live in the signed cookie, so a copy taken before signing out (on a
    # shared computer, say) would still work; a new token makes every copy useless.
    # This also signs the person out on their other devices.
    current_user.session_token = new_session_token()
    db.session.commit()
    logout_user()
    _fresh_session()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.sign_in"))


def _redeem_link_page(token: str, purpose: TokenPurpose, template: str, success_message: str):
    now = utcnow()
    try:
        link = find_usable_token(token, purpose, now)
    except InvalidLink:
        return render_template("auth/link_invalid.html", purpose=purpose.value), 404
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            user = redeem_token(
                token, purpose, form.password.data, now,
                current_app.config["PASSWORD_MIN_LENGTH"],
            )
        except PasswordRejected as error:
            form.add_error(error.field, error.message)
        except InvalidLink:
            db.session.rollback()
            return render_template("auth/link_invalid.html", purpose=purpose.value), 404
        else:
            start_session(user)
            db.session.commit()
            flash(success_message, "success")
            return redirect(url_for("home.index"))
    return render_template(template, form=form, person=link.user)


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@public
@keeps_own_csrf
def accept_invitation(token: str):
    if current_user.is_authenticated:
        logout_user()
    return _redeem_link_page(
        token, TokenPurpose.INVITATION, "auth/accept_invitation.html",
        _("Welcome! Your password is saved and you are signed in."),
    )


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@public
@keeps_own_csrf
def reset_password(token: str):
    return _redeem_link_page(
        token, TokenPurpose.PASSWORD_RESET, "auth/reset_password.html",
        _("Your new password is saved and you are signed in."),
    )


@bp.route("/forgot-password", methods=["GET", "POST"])
@public
@keeps_own_csrf
@limiter.limit("10 per hour", methods=["POST"], scope="forgot-password")
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        user = find_user_by_identifier(form.email.data)
        if user is not None and user.active and user.email:
            raw = issue_token(
                user, TokenPurpose.PASSWORD_RESET, utcnow(),
                current_app.config["PASSWORD_RESET_LIFETIME"],
            )
            queue_email(user, "password_reset",
                        link=external_url("auth.reset_password", token=raw))
            db.session.commit()
        # The same answer whether or not the address is known.
        return render_template("auth/forgot_password_sent.html", email=form.email.data)
    return render_template("auth/forgot_password.html", form=form)


@bp.app_context_processor
def sign_out_form():
    if not has_request_context() or not current_user.is_authenticated:
        return {}
    return {"sign_out_form": ButtonForm()}
