"""A person's own profile and password."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user

from portal.access import keeps_own_csrf, signed_in
from portal.account.forms import ChangePasswordForm, ProfileForm, chosen_ways
from portal.account.services import NOTIFICATION_FIELDS, ask_to_confirm_email, update_profile
from portal.account.services import confirm_email as confirm_email_change
from portal.auth.recent import too_many_wrong_passwords
from portal.auth.services import (
    InvalidLink,
    PasswordRejected,
    PersonRuleError,
    change_password,
)
from portal.auth.views import sign_out_after_wrong_passwords
from portal.db import db, utcnow
from portal.texts.services import consent_history, texts_on
from portal.unsent import take_unsent_form

bp = Blueprint("account", __name__, url_prefix="/profile")


@bp.route("/", methods=["GET", "POST"])
@signed_in
@keeps_own_csrf
def profile():
    user = current_user._get_current_object()
    restored = take_unsent_form(user, utcnow()) if request.method == "GET" else None
    if restored:
        form = ProfileForm(formdata=restored)
        flash(_("Here is what you typed before you were signed out. It is not saved yet: "
                "check it and send it."), "info")
    else:
        form = ProfileForm(obj=user if request.method == "GET" else None)
    if request.method == "GET" and not restored:
        form.interpretation_language.data = user.interpretation_language or ""
        form.reach_by.data = user.reach_by.value
    if not texts_on(current_app.config):
        form.reach_by.choices = [choice for choice in form.reach_by.choices
                                 if choice[0] in ("email", "neither")]
    if form.validate_on_submit():
        try:
            new_email = update_profile(
                user,
                name=form.name.data,
                preferred_language=form.preferred_language.data,
                email=form.email.data,
                phone=form.phone.data,
                notifications={key: getattr(form, key).data for key in NOTIFICATION_FIELDS},
                interpretation_language=form.interpretation_language.data,
                childcare_children=form.childcare_children.data or 0,
                transport_help=form.transport_help.data,
                access_needs=form.access_needs.data,
                reach_by=chosen_ways(form.reach_by, user.reach_by),
                now=utcnow(),
            )
        except PersonRuleError as error:
            form.add_error(error.field, error.message)
        else:
            if new_email:
                ask_to_confirm_email(user, new_email, secret_key=current_app.secret_key)
            db.session.commit()
            # The page follows the language just saved, not one picked earlier.
            session["language"] = user.preferred_language
            flash(_("Your profile is saved."), "success")
            if new_email:
                # The same words whatever happened, so the page never tells whether
                # the address belongs to someone else.
                flash(_("We sent a link to %(email)s. Your email address changes when you "
                        "open it.", email=new_email), "info")
            return redirect(url_for("account.profile"))
    return render_template("account/profile.html", form=form,
                           consents=consent_history(user)[:5])


@bp.route("/email/<token>")
@signed_in
def confirm_email(token: str):
    # Signed in, and as the person who asked: the link alone is not enough.
    try:
        confirm_email_change(current_user._get_current_object(), token,
                             secret_key=current_app.secret_key,
                             max_age=current_app.config["EMAIL_CONFIRM_LIFETIME"])
    except (InvalidLink, PersonRuleError):
        db.session.rollback()
        return render_template("auth/link_invalid.html", purpose="email_change"), 404
    db.session.commit()
    flash(_("Your email address is changed."), "success")
    return redirect(url_for("account.profile"))


@bp.route("/password", methods=["GET", "POST"])
@signed_in
@keeps_own_csrf
def password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            change_password(
                user, form.current_password.data, form.password.data,
                current_app.config["PASSWORD_MIN_LENGTH"],
            )
        except PasswordRejected as error:
            # Wrong current passwords are counted like those typed before money moves,
            # so someone at an unattended screen cannot keep guessing.
            if error.field == "current_password" and too_many_wrong_passwords(user):
                return sign_out_after_wrong_passwords()
            form.add_error(error.field, error.message)
        else:
            db.session.commit()
            # This session carries on with the new session token; others end.
            login_user(user)
            flash(_("Your password is changed. You are signed out on other devices, and your "
                    "calendar address has stopped working: make a new one if you use it."),
                  "success")
            return redirect(url_for("account.profile"))
    return render_template("account/password.html", form=form)
