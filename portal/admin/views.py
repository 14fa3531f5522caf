"""Admin pages: people, program settings, the audit log and the outbox."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, or_, select

from portal.access import keeps_own_csrf, roles_required
from portal.account.forms import chosen_ways
from portal.admin.forms import (
    ROLE_LABELS,
    TIMEZONES,
    AuditFilterForm,
    PeopleSearchForm,
    PersonForm,
    ProgramForm,
    ProgramTranslationForm,
)
from portal.admin.services import (
    EnrollmentDecision,
    EnrollmentDecisionNeeded,
    add_person,
    decide_role_request,
    may_decide,
    pending_requests,
    send_sign_in_link,
    set_active,
    update_person,
)
from portal.admin.sheets import sign_in_sheet_page
from portal.audit.sentences import Reader, describe
from portal.audit.services import (
    AuditFilter,
    audit_actors,
    audit_events,
    audit_log_rows,
    names_for,
)
from portal.audit.visibility import audit_details_for, outbox_subject_for
from portal.auth.forms import ButtonForm
from portal.auth.models import Role, RoleGrantRequest, User
from portal.auth.services import PersonRuleError
from portal.csv_export import ROWS_PER_FETCH, csv_download
from portal.db import db, utcnow
from portal.i18n import LANGUAGE_BY_CODE, LANGUAGES
from portal.outbox.models import OutboxMessage
from portal.programs.current import current_program, current_program_or_404
from portal.programs.services import (
    PlannedInstallment,
    ProgramRuleError,
    set_program_translation,
    update_program_settings,
)
from portal.texts.services import consent_history
from portal.web import page_number

bp = Blueprint("admin", __name__, url_prefix="/admin")


AUDIT_ACTIONS = {
    "person.added": _l("Person added and invited"),
    "invitation.sent": _l("Sign-in link sent"),
    "roles.changed": _l("Roles changed"),
    "role.requested": _l("Role asked for, waiting for a second person"),
    "role.confirmed": _l("Role confirmed by a second person"),
    "role.declined": _l("Role declined by a second person"),
    "sign_in_identity.changed": _l("Email address or username changed"),
    "password_reset.sent": _l("Link to choose a new password sent"),
    "enrollment.withdrawn": _l("Enrollment withdrawn"),
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
    "program.translated": _l("Program name translated"),
    "tax_details.changed": _l("Legal name or mailing address changed"),
    "call.opened": _l("Open call opened"),
    "call.translated": _l("Open call translated"),
    "application.received": _l("Application received"),
    "application.opened": _l("Application opened"),
    "application.accepted_late": _l("Late application accepted"),
    "application.eligibility_marked": _l("Eligibility marked"),
    "application.merged": _l("Duplicate applications merged"),
    "application.contact_changed": _l("Applicant's contact details changed"),
    "application.withdrawn": _l("Application withdrawn"),
    "application.deleted": _l("Application deleted"),
    "review.rules_saved": _l("Review rules and pool rule saved"),
    "review.rubric_saved": _l("Rubric saved"),
    "review.rubric_translated": _l("Rubric translated"),
    "review.reviewer_assigned": _l("Reviewer assigned to a call"),
    "review.reviewer_removed": _l("Reviewer taken off a call"),
    "review.shared_out": _l("Reviews given out"),
    "review.opened": _l("Application read by a reviewer"),
    "review.scored": _l("Review scored"),
    "review.conflict_declared": _l("Conflict of interest declared"),
    "review.reassigned": _l("Review handed to another reviewer"),
    "selection.plan_saved": _l("Selection plan saved"),
    "selection.draw_refused": _l("Draw refused"),
    "selection.drawn": _l("Selection drawn"),
    "selection.decisions_sent": _l("Decisions sent to applicants"),
    "selection.seat_confirmed": _l("Seat confirmed"),
    "selection.seat_given_up": _l("Seat given up"),
    "selection.seat_offered": _l("Seat offered to an alternate"),
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
            _flash_waiting_roles(invitation.user, set(_person_details(form)["roles"])
                                 - invitation.user.roles)
            return _after_invitation(invitation)
    return render_template("admin/person_new.html", form=form)


def _after_invitation(invitation):
    if invitation.is_reset:
        flash(_("%(name)s already has a password, so a link to choose a new one is on its "
                "way to %(email)s.", name=invitation.user.name, email=invitation.address),
              "success")
        return redirect(url_for("admin.person", user_id=invitation.user.id))
    if invitation.emailed:
        flash(_("The invitation is on its way to %(email)s.", email=invitation.address),
              "success")
        return redirect(url_for("admin.person", user_id=invitation.user.id))
    # No email: the admin hands over a printed sheet in person. It is shown only now.
    return sign_in_sheet_page(invitation)


def _flash_waiting_roles(user: User, waiting: set[Role]) -> None:
    if waiting:
        flash(_("Finance rights for %(name)s wait for a second person: a finance officer or "
                "another admin confirms them under Finance rights.", name=user.name), "info")


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
        program = current_program_or_404()
        try:
            waiting = update_person(
                current_user._get_current_object(),
                user,
                program,
                **_person_details(form),
                enrollment_decision=(EnrollmentDecision(form.enrollment.data)
                                     if form.enrollment.data else None),
                now=utcnow(),
            )
        except EnrollmentDecisionNeeded:
            db.session.rollback()
            # Roles and enrollment are separate decisions: ask before anything changes.
            if request.form.get("enrollment_asked"):
                form.add_error("enrollment", _("Choose what happens to the enrollment."))
            return render_template("admin/person_enrollment.html", form=form, person=user,
                                   program=program)
        except PersonRuleError as error:
            db.session.rollback()
            form.add_error(error.field, error.message)
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            _flash_waiting_roles(user, waiting)
            return redirect(url_for("admin.person", user_id=user.id))
    return render_template("admin/person.html", form=form, person=user, action_form=ButtonForm(),
                           consents=consent_history(user))


@bp.route("/people/<int:user_id>/invitation", methods=["POST"])
@roles_required(Role.ADMIN)
def resend_invitation(user_id: int):
    user = get_person(user_id)
    if not user.active:
        abort(404)
    try:
        invitation = send_sign_in_link(
            current_user._get_current_object(), user, current_program_or_404(), now=utcnow(),
            invitation_lifetime=current_app.config["INVITATION_LIFETIME"],
            reset_lifetime=current_app.config["PASSWORD_RESET_LIFETIME"])
    except PersonRuleError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for("admin.person", user_id=user.id))
    db.session.commit()
    return _after_invitation(invitation)


@bp.route("/finance-rights")
@roles_required(Role.ADMIN, Role.FINANCE)
def role_requests():
    return render_template("admin/role_requests.html", requests=pending_requests(),
                           may_decide=may_decide, action_form=ButtonForm())


@bp.route("/finance-rights/<int:request_id>/confirm", methods=["POST"])
@roles_required(Role.ADMIN, Role.FINANCE)
def confirm_role(request_id: int):
    return _decide(request_id, confirm=True)


@bp.route("/finance-rights/<int:request_id>/decline", methods=["POST"])
@roles_required(Role.ADMIN, Role.FINANCE)
def decline_role(request_id: int):
    return _decide(request_id, confirm=False)


def _decide(request_id: int, confirm: bool):
    grant_request = db.session.get(RoleGrantRequest, request_id)
    if grant_request is None:
        abort(404)
    try:
        decide_role_request(current_user._get_current_object(), grant_request,
                            confirm=confirm, now=utcnow())
    except PersonRuleError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        db.session.commit()
        name = grant_request.user.name
        if confirm:
            flash(_("%(name)s now has finance rights. Every finance officer is told.",
                    name=name), "success")
        else:
            flash(_("Finance rights for %(name)s were declined.", name=name), "success")
    return redirect(url_for("admin.role_requests"))


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
        form.language.data = program.language
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
                language=form.language.data,
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
    return render_template("admin/program.html", form=form, program_languages=[
        (language, program.name_in(language.code).missing)
        for language in LANGUAGES if language.code != program.language])


@bp.route("/program/languages/<language>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
@keeps_own_csrf
def program_translation(language: str):
    """The program's name and its installments' names in one more language."""
    program = current_program_or_404()
    if language not in LANGUAGE_BY_CODE or language == program.language:
        abort(404)
    form = ProgramTranslationForm()
    if request.method == "GET":
        form.name.data = (program.name_translations or {}).get(language)
        for installment in program.installments:
            form.labels.append_entry((installment.label_translations or {}).get(language))
    else:
        while len(form.labels) < len(program.installments):
            form.labels.append_entry()
    for entry in (form.name, *form.labels):
        entry.render_kw = {"lang": LANGUAGE_BY_CODE[language].tag, "dir": "auto"}
    if form.validate_on_submit():
        try:
            changed = set_program_translation(
                current_user._get_current_object(), program, language, form.name.data,
                [entry.data for entry in form.labels][:len(program.installments)])
        except ProgramRuleError as error:
            db.session.rollback()
            form.add_error(error.field, error.message)
        else:
            if changed:
                db.session.commit()
                flash(_("Saved in %(language)s.", language=LANGUAGE_BY_CODE[language].native_name),
                      "success")
            return redirect(url_for("admin.program_settings"))
    return render_template("admin/program_translation.html", form=form, program=program,
                           language=LANGUAGE_BY_CODE[language],
                           rows=list(zip(program.installments, form.labels, strict=False)))


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


def _audit_filters() -> tuple[AuditFilterForm, AuditFilter]:
    """The filter form from the address, and the filters its valid fields give."""
    form = AuditFilterForm(request.args)
    form.who.choices = [("", _("Anyone")), *((str(i), name) for i, name in audit_actors())]
    form.validate()
    program = current_program()
    zone = ZoneInfo(program.timezone if program else current_app.config["DEFAULT_TIMEZONE"])

    def start_of(day):
        return datetime.combine(day, time.min, zone) if day else None

    ok = {name: not getattr(form, name).errors for name in ("who", "kind", "since", "until")}
    filters = AuditFilter(
        actor_id=int(form.who.data) if ok["who"] and form.who.data else None,
        group=form.kind.data if ok["kind"] and form.kind.data else None,
        since=start_of(form.since.data) if ok["since"] else None,
        until=start_of(form.until.data + timedelta(days=1))
        if ok["until"] and form.until.data else None,
    )
    return form, filters


@bp.route("/audit")
@roles_required(Role.ADMIN)
def audit_log():
    form, filters = _audit_filters()
    page = db.paginate(audit_events(filters), page=page_number(),
                       per_page=current_app.config["AUDIT_EVENTS_PER_PAGE"], error_out=False)
    people, meetings = names_for(page.items, str(get_locale()))
    program = current_program()
    # Money details (amounts, references, void reasons) are for finance staff only.
    reader = Reader(show_money=current_user.has_role(Role.FINANCE), people=people,
                    meetings=meetings, currency=program.currency if program else "USD")
    sentences = [(event, describe(event, reader, audit_action(event.action)))
                 for event in page.items]
    return render_template("admin/audit.html", page=page, sentences=sentences, form=form,
                           filter_args={key: value for key, value in request.args.items()
                                        if key in ("who", "kind", "since", "until")})


@bp.route("/audit.csv")
@roles_required(Role.ADMIN)
def audit_log_csv():
    header = [_("When (UTC)"), _("Who"), _("What"), _("Subject type"), _("Subject number"),
              _("Details")]
    query = audit_log_rows(_audit_filters()[1])
    viewer = current_user._get_current_object()

    def rows():
        # Runs while the download streams, fetching a few hundred events at a time.
        result = db.session.execute(query.execution_options(yield_per=ROWS_PER_FETCH))
        for event, actor in result:
            details = audit_details_for(viewer, event.action, event.details)
            yield (event.created_at.strftime("%Y-%m-%d %H:%M:%S"), actor,
                   audit_action(event.action), event.subject_type, event.subject_id,
                   json.dumps(details, ensure_ascii=False, sort_keys=True,
                              separators=(",", ":")))

    return csv_download(header, rows(), f"audit-log-{utcnow():%Y-%m-%d}.csv")


@bp.route("/outbox")
@roles_required(Role.ADMIN)
def outbox():
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc())
    page = db.paginate(query, page=page_number(),
                       per_page=current_app.config["OUTBOX_PER_PAGE"], error_out=False)
    return render_template("admin/outbox.html", page=page, subject_for=outbox_subject_for)
