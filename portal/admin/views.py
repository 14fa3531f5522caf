"""Admin pages: people, program settings, the audit log and the outbox."""

from __future__ import annotations

import json

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from portal.access import keeps_own_csrf, roles_required
from portal.account.forms import chosen_ways
from portal.admin.forms import (
    ROLE_LABELS,
    TIMEZONES,
    PeopleSearchForm,
    PersonForm,
    ProgramForm,
)
from portal.admin.services import add_person, invite, set_active, update_person
from portal.audit.models import AuditEvent
from portal.audit.services import audit_log_rows
from portal.auth.forms import ButtonForm
from portal.auth.models import Role, User
from portal.auth.services import PersonRuleError
from portal.csv_export import ROWS_PER_FETCH, csv_download
from portal.db import db, utcnow
from portal.outbox.models import OutboxMessage
from portal.programs.current import current_program_or_404
from portal.programs.services import PlannedInstallment, ProgramRuleError, update_program_settings
from portal.texts.services import consent_history
from portal.web import page_number

bp = Blueprint("admin", __name__, url_prefix="/admin")


AUDIT_ACTIONS = {
    "person.added": _l("Person added and invited"),
    "invitation.sent": _l("Sign-in link sent"),
    "roles.changed": _l("Roles changed"),
    "person.deactivated": _l("Person deactivated"),
    "person.reactivated": _l("Person reactivated"),
    "program.updated": _l("Program settings changed"),
    "meeting.created": _l("Meeting added"),
    "meeting.updated": _l("Meeting changed"),
    "meeting.translated": _l("Meeting title translated"),
    "meeting.cancelled": _l("Meeting cancelled"),
    "rsvp.changed_by_staff": _l("Answer saved by staff"),
    "attendance.marked": _l("Attendance marked"),
    "payment.recorded": _l("Payment recorded"),
    "payment.voided": _l("Payment voided"),
    "enrollment.tax_form_changed": _l("Tax form status changed"),
    "document.created": _l("Document added as a draft"),
    "document.updated": _l("Document changed"),
    "document.published": _l("Document published"),
    "document.version_added": _l("Language version added"),
    "document.version_replaced": _l("Language version replaced"),
}


@bp.app_template_global()
def audit_action(action: str) -> str:
    return str(AUDIT_ACTIONS.get(action, action))


@bp.app_template_global()
def role_names(user: User) -> str:
    return ", ".join(str(label) for role, label in ROLE_LABELS.items() if role in user.roles)


def get_person(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/people")
@roles_required(Role.ADMIN)
def people():
    form = PeopleSearchForm(request.args)
    query = select(User).order_by(func.lower(User.name), User.id)
    if form.validate() and form.q.data:
        pattern = "%" + form.q.data.lower().replace("%", r"\%").replace("_", r"\_") + "%"
        query = query.where(
            or_(
                func.lower(User.name).like(pattern, escape="\\"),
                func.lower(User.email).like(pattern, escape="\\"),
                func.lower(User.username).like(pattern, escape="\\"),
                User.phone.like(pattern, escape="\\"),
            )
        )
    page = db.paginate(query, page=page_number(),
                       per_page=current_app.config["PEOPLE_PER_PAGE"], error_out=False)
    return render_template("admin/people.html", form=form, page=page)


def _person_details(form: PersonForm) -> dict:
    return {
        "name": form.name.data,
        "email": form.email.data,
        "username": form.username.data,
        "phone": form.phone.data,
        "preferred_language": form.preferred_language.data,
        "roles": {Role(value) for value in form.roles.data},
        "reach_by": chosen_ways(form.reach_by, None),
    }


@bp.route("/people/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
@keeps_own_csrf
def add_person_page():
    form = PersonForm()
    if request.method == "GET":
        form.roles.data = [Role.MEMBER.value]
        form.preferred_language.data = "en"
    if form.validate_on_submit():
        try:
            invitation = add_person(
                current_user._get_current_object(),
                current_program_or_404(),
                **_person_details(form),
                now=utcnow(),
                invitation_lifetime=current_app.config["INVITATION_LIFETIME"],
            )
        except PersonRuleError as error:
            db.session.rollback()
            form.add_error(error.field, error.message)
        else:
            db.session.commit()
            return _after_invitation(invitation)
    return render_template("admin/person_new.html", form=form)


def _after_invitation(invitation):
    if invitation.emailed:
        flash(_("The invitation is on its way to %(email)s.", email=invitation.user.email),
              "success")
        return redirect(url_for("admin.person", user_id=invitation.user.id))
    # No email: the admin hands over the link in person. It is shown only now.
    return render_template("admin/invitation_link.html", invitation=invitation)


@bp.route("/people/<int:user_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
@keeps_own_csrf
def person(user_id: int):
    user = get_person(user_id)
    form = PersonForm(obj=user if request.method == "GET" else None)
    if request.method == "GET":
        form.roles.data = sorted(role.value for role in user.roles)
        form.reach_by.data = user.reach_by.value
    if form.validate_on_submit():
        try:
            update_person(
                current_user._get_current_object(),
                user,
                current_program_or_404(),
                **_person_details(form),
                now=utcnow(),
            )
        except PersonRuleError as error:
            db.session.rollback()
            form.add_error(error.field, error.message)
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("admin.person", user_id=user.id))
    return render_template("admin/person.html", form=form, person=user, action_form=ButtonForm(),
                           consents=consent_history(user))


@bp.route("/people/<int:user_id>/invitation", methods=["POST"])
@roles_required(Role.ADMIN)
def resend_invitation(user_id: int):
    user = get_person(user_id)
    if not user.active:
        abort(404)
    invitation = invite(current_user._get_current_object(), user, current_program_or_404(),
                        now=utcnow(), lifetime=current_app.config["INVITATION_LIFETIME"])
    db.session.commit()
    return _after_invitation(invitation)


@bp.route("/people/<int:user_id>/deactivate", methods=["POST"])
@roles_required(Role.ADMIN)
def deactivate(user_id: int):
    return _set_active(user_id, False)


@bp.route("/people/<int:user_id>/reactivate", methods=["POST"])
@roles_required(Role.ADMIN)
def reactivate(user_id: int):
    return _set_active(user_id, True)


def _set_active(user_id: int, active: bool):
    user = get_person(user_id)
    try:
        set_active(current_user._get_current_object(), user, active)
    except PersonRuleError as error:
        flash(str(error.message), "error")
    else:
        db.session.commit()
        if active:
            flash(_("%(name)s can sign in again.", name=user.name), "success")
        else:
            flash(_("%(name)s is deactivated and can no longer sign in. "
                    "Their history is kept.", name=user.name), "success")
    return redirect(url_for("admin.person", user_id=user.id))


@bp.route("/program", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
@keeps_own_csrf
def program_settings():
    program = current_program_or_404()
    form = ProgramForm()
    choices = list(TIMEZONES)
    if program.timezone not in choices:
        choices.insert(0, program.timezone)
    form.timezone.choices = [(zone, zone) for zone in choices]
    if request.method == "GET":
        form.name.data = program.name
        form.season_start.data = program.season_start
        form.season_end.data = program.season_end
        form.timezone.data = program.timezone
        form.stipend.data = program.stipend_cents
        for row, installment in zip(form.installments, program.installments, strict=False):
            row.form.label.data = installment.label
            row.form.due_on.data = installment.due_on
            row.form.amount.data = installment.amount_cents
    if form.validate_on_submit() and _installments_complete(form):
        try:
            update_program_settings(
                current_user._get_current_object(),
                program,
                name=form.name.data,
                season_start=form.season_start.data,
                season_end=form.season_end.data,
                timezone=form.timezone.data,
                stipend_cents=form.stipend.data,
                installments=[
                    PlannedInstallment(row.form.label.data, row.form.due_on.data,
                                       row.form.amount.data)
                    for row in form.installments if not row.form.is_blank()
                ],
            )
        except ProgramRuleError as error:
            db.session.rollback()
            form.add_error(error.field, error.message)
        else:
            db.session.commit()
            flash(_("The program settings are saved."), "success")
            return redirect(url_for("admin.program_settings"))
    return render_template("admin/program.html", form=form)


def _installments_complete(form: ProgramForm) -> bool:
    complete = True
    for row in form.installments:
        if row.form.is_blank():
            continue
        for field, message in (
            (row.form.label, _("Enter a name for this installment.")),
            (row.form.due_on, _("Enter the date this installment is due.")),
            (row.form.amount, _("Enter the amount of this installment.")),
        ):
            if not field.data and not field.errors:
                field.errors = [*field.errors, message]
                complete = False
    return complete


@bp.route("/audit")
@roles_required(Role.ADMIN)
def audit_log():
    query = (
        select(AuditEvent)
        .options(selectinload(AuditEvent.actor))
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    )
    page = db.paginate(query, page=page_number(),
                       per_page=current_app.config["AUDIT_EVENTS_PER_PAGE"], error_out=False)
    return render_template("admin/audit.html", page=page)


@bp.route("/audit.csv")
@roles_required(Role.ADMIN)
def audit_log_csv():
    header = [_("When (UTC)"), _("Who"), _("What"), _("Subject type"), _("Subject number"),
              _("Details")]
    query = audit_log_rows()

    def rows():
        # Runs while the download streams, fetching a few hundred events at a time.
        result = db.session.execute(query.execution_options(yield_per=ROWS_PER_FETCH))
        for event, actor in result:
            yield (event.created_at.strftime("%Y-%m-%d %H:%M:%S"), actor,
                   audit_action(event.action), event.subject_type, event.subject_id,
                   json.dumps(event.details or {}, ensure_ascii=False, sort_keys=True,
                              separators=(",", ":")))

    return csv_download(header, rows(), f"audit-log-{utcnow():%Y-%m-%d}.csv")


@bp.route("/outbox")
@roles_required(Role.ADMIN)
def outbox():
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc())
    page = db.paginate(query, page=page_number(),
                       per_page=current_app.config["OUTBOX_PER_PAGE"], error_out=False)
    return render_template("admin/outbox.html", page=page)
