"""Sign in and out, accept an invitation, reset a forgotten password."""

from __future__ import annotations

import time

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
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from limits import parse

from portal.access import is_safe_next, keeps_own_csrf, public, signed_in
from portal.auth.forms import (
    ButtonForm,
    ForgotPasswordForm,
    NewPasswordForm,
    SignInCodeForm,
    SignInForm,
)
from portal.auth.models import TokenPurpose
from portal.auth.recent import note_password_entered
from portal.auth.services import (
    InvalidLink,
    PasswordRejected,
    authenticate,
    end_every_session,
    exchange_sign_in_code,
    find_usable_token,
    find_user_by_identifier,
    issue_token,
    normalise_identifier,
    redeem_token,
    stand_in_recipient,
    take_at_least,
    unused_link_secret,
)
from portal.db import db, utcnow
from portal.extensions import limiter
from portal.i18n import speak_language_of
from portal.outbox.services import external_url, queue_email, render_email
from portal.unsent import SESSION_KEY as UNSENT_FORM

bp = Blueprint("auth", __name__)


def _sign_in_account_key() -> str:
    return "account:" + normalise_identifier(request.form.get("identifier", ""))[:254]


def _sign_in_failed(response) -> bool:
    # A successful sign-in redirects; everything else counts as a failed try.
    return response.status_code != 302


def _fresh_session(keep: tuple[str, ...] = ("language",)) -> None:
    """Drop everything in the session but the language the person chose."""
    kept = {key: session[key] for key in keep if session.get(key)}
    session.clear()
    session.update(kept)


def start_session(user) -> None:
    """Begin a fresh session for this person (a new session id), keeping the language choice."""
    # An answer sent after the last session ended waits for this sign-in.
    _fresh_session(keep=("language", UNSENT_FORM))
    login_user(user)
    # The person proved who they are: an address staff put in is theirs from now on.
    user.previous_email = None
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
    """Shown instead of the form's answer after too many failed tries. The owner of
    the account is emailed a link that lets them in at once (once per pause)."""
    form = SignInForm()
    form.identifier.data = request.form.get("identifier", "")
    user = find_user_by_identifier(form.identifier.data or "")
    if user is not None and user.active and user.reset_address and _first_pause_email(user):
        _email_sign_in_paused(user)
    form.add_error("password", _(
        "Too many tries to sign in. Signing in with a password is paused for 15 minutes. "
        "If this is your account, you can get in now with a link: if it has an email "
        "address, we sent one there, and the link below sends another."))
    return render_template("auth/sign_in.html", form=form, throttled=True), 429


def _first_pause_email(user) -> bool:
    """True once per pause, so a stranger's tries cannot flood the owner's inbox."""
    window = current_app.config["SIGN_IN_LIMIT_PER_ACCOUNT"].split(" per ", 1)[-1]
    return limiter.limiter.hit(parse(f"1 per {window}"), "sign-in-paused-email", str(user.id))


def _email_sign_in_paused(user) -> None:
    raw = issue_token(user, TokenPurpose.PASSWORD_RESET, utcnow(),
                      current_app.config["PASSWORD_RESET_LIFETIME"])
    queue_email(user, "sign_in_paused", address=user.reset_address,
                link=external_url("auth.reset_password", token=raw))
    db.session.commit()


@bp.route("/sign-out", methods=["POST"])
@signed_in
def sign_out():
    # Sessions live in the signed cookie, so a copy taken before signing out (on a
    # shared computer, say) would still work; a new token makes every copy useless.
    # This also signs the person out on their other devices and ends their calendar
    # address.
    end_every_session(current_user._get_current_object())
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
    speak_language_of(link.user)
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
    # Whoever is signed in stays signed in until the form is sent: opening a link
    # (a GET) never signs anyone out.
    return _redeem_link_page(
        token, TokenPurpose.INVITATION, "auth/accept_invitation.html",
        _l("Welcome! Your password is saved and you are signed in."),
    )


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@public
@keeps_own_csrf
def reset_password(token: str):
    return _redeem_link_page(
        token, TokenPurpose.PASSWORD_RESET, "auth/reset_password.html",
        _l("Your new password is saved and you are signed in."),
    )


def _code_failed(response) -> bool:
    return response.status_code != 302


@bp.route("/code", methods=["GET", "POST"])
@public
@keeps_own_csrf
@limiter.limit(
    lambda: current_app.config["SIGN_IN_LIMIT_PER_ACCOUNT"],
    methods=["POST"],
    deduct_when=_code_failed,
    scope="sign-in-code",
)
def enter_code():
    """Where the short code from a printed sign-in sheet is typed; it leads on to
    choosing a password, like the invitation link in the sheet's QR code."""
    if current_user.is_authenticated:
        logout_user()
    form = SignInCodeForm()
    if form.validate_on_submit():
        try:
            raw = exchange_sign_in_code(form.code.data, utcnow(),
                                        current_app.config["INVITATION_LIFETIME"])
        except InvalidLink:
            db.session.rollback()
            form.add_error("code", _("That code is not right, was already used or has "
                                     "expired. Check it, or ask the program staff for a "
                                     "new sheet."))
        else:
            db.session.commit()
            return redirect(url_for("auth.accept_invitation", token=raw))
    return render_template("auth/enter_code.html", form=form)


@bp.route("/forgot-password", methods=["GET", "POST"])
@public
@keeps_own_csrf
@limiter.limit("10 per hour", methods=["POST"], scope="forgot-password")
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        started = time.perf_counter()
        user = find_user_by_identifier(form.email.data)
        known = user is not None and user.active and bool(user.reset_address)
        # The same work whether or not the address is known (a link made, an email
        # written, a commit), and the same least time, so the answer's timing tells
        # nothing about who has an account.
        raw = issue_token(
            user, TokenPurpose.PASSWORD_RESET, utcnow(),
            current_app.config["PASSWORD_RESET_LIFETIME"],
        ) if known else unused_link_secret()
        link = external_url("auth.reset_password", token=raw)
        if known:
            queue_email(user, "password_reset", address=user.reset_address, link=link)
        else:
            render_email(stand_in_recipient(form.email.data), "password_reset", link=link)
        db.session.commit()
        take_at_least(started, current_app.config["ACCOUNT_ANSWER_SECONDS"])
        # The same answer whether or not the address is known.
        return render_template("auth/forgot_password_sent.html", email=form.email.data)
    return render_template("auth/forgot_password.html", form=form)


@bp.app_context_processor
def sign_out_form():
    if not has_request_context() or not current_user.is_authenticated:
        return {}
    return {"sign_out_form": ButtonForm()}
