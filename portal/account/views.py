"""A person's own profile and password."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from portal.access import keeps_own_csrf, signed_in
from portal.account.forms import ChangePasswordForm, ProfileForm, chosen_ways
from portal.account.services import update_profile
from portal.auth.services import PasswordRejected, PersonRuleError, change_password
from portal.db import db, utcnow
from portal.texts.services import consent_history, texts_on

bp = Blueprint("account", __name__, url_prefix="/profile")

NOTIFICATION_FIELDS = (
    "notify_meeting_changes",
    "notify_reminders",
    "notify_new_materials",
    "notify_payments",
)


@bp.route("/", methods=["GET", "POST"])
@signed_in
@keeps_own_csrf
def profile():
    user = current_user._get_current_object()
    form = ProfileForm(obj=user if request.method == "GET" else None)
    if request.method == "GET":
        form.interpretation_language.data = user.interpretation_language or ""
        form.reach_by.data = user.reach_by.value
    if not texts_on(current_app.config):
        form.reach_by.choices = [choice for choice in form.reach_by.choices
                                 if choice[0] in ("email", "neither")]
    if form.validate_on_submit():
        try:
            update_profile(
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
            db.session.commit()
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("account.profile"))
    return render_template("account/profile.html", form=form,
                           consents=consent_history(user)[:5])


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
            form.add_error(error.field, error.message)
        else:
            db.session.commit()
            # This session carries on with the new session token; others end.
            login_user(user)
            flash(_("Your password is changed. You are signed out on other devices."), "success")
            return redirect(url_for("account.profile"))
    return render_template("account/password.html", form=form)
