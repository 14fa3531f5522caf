"""Admins' side of the open call: opening calls, translating them, the list of
applications with its counts, reading one (audited), paper applications,
eligibility and duplicates. Nobody else reads applications."""

from __future__ import annotations

from datetime import datetime, time

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from portal.access import keeps_own_csrf, roles_required
from portal.account.forms import interpretation_choices
from portal.applications.forms import (
    CallForm,
    EligibilityForm,
    MergeForm,
    NewCallForm,
    PaperApplicationForm,
)
from portal.applications.labels import (
    CHANNEL_LABELS,
    CONTACT_LABELS,
    ELIGIBILITY_LABELS,
    FORMAT_LABELS,
    NEIGHBORHOODS,
    STATUS_LABELS,
    TIME_LABELS,
)
from portal.applications.models import Application, Channel, OpenCall
from portal.applications.services import (
    ApplicationFilter,
    ApplicationRuleError,
    CallDetails,
    CallWording,
    Receipt,
    applications_query,
    call_counts,
    count_applications,
    likely_duplicates,
    mark_eligibility,
    merge_duplicate,
    normalise_reference,
    open_application,
    open_call,
    retention_days,
    submit_application,
    translate_call,
)
from portal.applications.views import application_details, bp, fit_answers
from portal.auth.models import Role
from portal.db import db, paginate_rows, utcnow
from portal.documents import files
from portal.i18n import LANGUAGE_BY_CODE, LANGUAGE_CODES
from portal.programs.current import current_program_or_404
from portal.web import page_number


def _call(call_id: int) -> OpenCall:
    return db.get_or_404(OpenCall, call_id)


def _application(application_id: int) -> Application:
    return db.get_or_404(Application, application_id)


def _questions(text: str | None) -> tuple[str, ...]:
    return tuple(line.strip() for line in (text or "").splitlines() if line.strip())


def _wording(form: CallForm) -> CallWording:
    return CallWording(language=form.language.data, title=form.title.data,
                       invitation=form.invitation.data, who_may_apply=form.who_may_apply.data,
                       questions=_questions(form.questions.data))


@bp.route("/admin/calls")
@roles_required(Role.ADMIN)
def calls():
    rows = db.session.scalars(select(OpenCall).order_by(OpenCall.deadline_day.desc(),
                                                        OpenCall.id.desc())).all()
    now = utcnow()
    return render_template("applications/calls.html", now=now,
                           rows=[(call, count_applications(call)) for call in rows])


@bp.route("/admin/calls/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_call():
    program = current_program_or_404()
    form = NewCallForm()
    if request.method == "GET":
        form.deadline_time.data = time(17)
        form.language.data = "en"
    if form.validate_on_submit():
        details = CallDetails(
            slug=form.slug.data, deadline_day=form.deadline_day.data,
            deadline_time=form.deadline_time.data.replace(tzinfo=None, microsecond=0),
            decisions_by=form.decisions_by.data,
            seats=form.seats.data, paper_address=form.paper_address.data,
            paper_office=form.paper_office.data, paper_hours=form.paper_hours.data)
        try:
            call = open_call(current_user._get_current_object(), program, details,
                             _wording(form), utcnow())
        except ApplicationRuleError as error:
            db.session.rollback()
            form.add_error(error.field, error.message)
        else:
            db.session.commit()
            flash(_("The call is open at /apply/%(slug)s.", slug=call.slug), "success")
            return redirect(url_for("applications.call_applications", call_id=call.id))
    return render_template("applications/call_form.html", form=form, program=program)


@bp.route("/admin/calls/<int:call_id>/translations", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def translate(call_id: int):
    call = _call(call_id)
    language = request.args.get("language", "")
    form = CallForm()
    if request.method == "GET":
        form.language.data = language if language in LANGUAGE_BY_CODE else None
        existing = call.text_in(form.language.data or "")
        if existing is not None:
            form.title.data, form.invitation.data = existing.title, existing.invitation
            form.who_may_apply.data = existing.who_may_apply
            form.questions.data = "\n".join(q.texts.get(existing.language, "")
                                            for q in call.questions)
    if form.validate_on_submit():
        try:
            translate_call(current_user._get_current_object(), call, _wording(form), utcnow())
        except ApplicationRuleError as error:
            db.session.rollback()
            form.add_error(error.field, error.message)
        else:
            db.session.commit()
            flash(_("The translation is saved."), "success")
            return redirect(url_for("applications.call_applications", call_id=call.id))
    return render_template("applications/call_translation.html", form=form, call=call)


def _chosen_filter() -> ApplicationFilter:
    def clean(value: str | None) -> str | None:
        return value[:40] if value and value.isprintable() else None

    return ApplicationFilter(status=clean(request.args.get("status")),
                             channel=clean(request.args.get("channel")),
                             language=clean(request.args.get("language")),
                             neighborhood=clean(request.args.get("neighborhood")))


@bp.route("/admin/calls/<int:call_id>")
@roles_required(Role.ADMIN)
def call_applications(call_id: int):
    call = _call(call_id)
    chosen = _chosen_filter()
    page = paginate_rows(applications_query(call, chosen), page_number(),
                         current_app.config.get("APPLICATIONS_PER_PAGE", 50))
    counts = call_counts(call)
    # Whom the call is not reaching yet.
    unreached = {"language": [c for c in LANGUAGE_CODES if not counts.by_language[c]],
                 "neighborhood": [n for n in NEIGHBORHOODS if not counts.by_neighborhood[n]]}
    return render_template(
        "applications/call.html", call=call, page=page, chosen=chosen, unreached=unreached,
        counts=counts, duplicates=likely_duplicates(call),
        status_labels=STATUS_LABELS, channel_labels=CHANNEL_LABELS, now=utcnow())


@bp.route("/admin/calls/<int:call_id>/applications/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def enter_paper_application(call_id: int):
    """Staff type in an application that came by mail, by phone or in person."""
    call = _call(call_id)
    form = PaperApplicationForm()
    fit_answers(form, call)
    if request.method == "GET":
        form.received_on.data = call.program.local_today(utcnow())
        form.channel.data = Channel.MAIL.value
    elif form.validate_on_submit():
        now = utcnow()
        scan = None
        upload = request.files.get("scan")
        try:
            if upload is not None and upload.filename:
                scan = files.read_upload(upload.stream, current_app.config["UPLOAD_MAX_BYTES"])
            received = _received_at(call, form.received_on.data, now)
            application = submit_application(
                call, application_details(form, call),
                Receipt(channel=Channel(form.channel.data), received_at=received,
                        entered_by=current_user._get_current_object(),
                        late_reason=form.late_reason.data, scan=scan), now)
        except files.UploadRefused:
            form.add_error("scan", _("Upload the scan as a PDF, PNG or JPEG file."))
        except ApplicationRuleError as error:
            db.session.rollback()
            form.add_error(error.field or "received_on", error.message)
        else:
            db.session.commit()
            flash(_("Application %(reference)s is entered.",
                    reference=application.reference), "success")
            return redirect(url_for("applications.staff_application",
                                    application_id=application.id))
    return render_template("applications/paper_form.html", form=form, call=call,
                           retention=retention_days())


def _received_at(call: OpenCall, day, now: datetime) -> datetime:
    """The day it arrived, at the moment it was typed in when that is today, otherwise at
    noon local time (mail that came before the deadline day counts as on time)."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(call.program.timezone)
    if day == now.astimezone(zone).date():
        return now
    return datetime.combine(day, time(12), tzinfo=zone)


@bp.route("/admin/applications/<int:application_id>")
@roles_required(Role.ADMIN)
def staff_application(application_id: int):
    application = _application(application_id)
    open_application(current_user._get_current_object(), application)
    db.session.commit()
    return _application_page(application, EligibilityForm(), MergeForm())


def _application_page(application, eligibility_form, merge_form):
    call = application.call
    duplicates = likely_duplicates(call).get(application.id, [])
    return render_template(
        "applications/application.html", application=application, call=call,
        eligibility_form=eligibility_form, merge_form=merge_form, duplicates=duplicates,
        status_labels=STATUS_LABELS, channel_labels=CHANNEL_LABELS,
        contact_labels=CONTACT_LABELS, time_labels=TIME_LABELS, format_labels=FORMAT_LABELS,
        eligibility_labels=ELIGIBILITY_LABELS,
        interpretation_labels=dict(interpretation_choices()))


@bp.route("/admin/applications/<int:application_id>/eligibility", methods=["POST"])
@roles_required(Role.ADMIN)
@keeps_own_csrf
def eligibility(application_id: int):
    application = _application(application_id)
    form = EligibilityForm()
    if form.validate_on_submit():
        try:
            mark_eligibility(current_user._get_current_object(), application,
                             form.decision.data == "eligible", form.reason.data)
        except ApplicationRuleError as error:
            db.session.rollback()
            form.add_error(error.field, error.message)
        else:
            db.session.commit()
            flash(_("Eligibility is saved."), "success")
            return redirect(url_for("applications.staff_application",
                                    application_id=application.id))
    return _application_page(application, form, MergeForm())


@bp.route("/admin/applications/<int:application_id>/merge", methods=["POST"])
@roles_required(Role.ADMIN)
@keeps_own_csrf
def merge(application_id: int):
    application = _application(application_id)
    form = MergeForm()
    if form.validate_on_submit():
        keep = db.session.scalars(select(Application).where(
            Application.reference == normalise_reference(form.keep.data))).first()
        try:
            if keep is None:
                raise ApplicationRuleError("keep", _(
                    "No application has this reference. Check it and try again."))
            merge_duplicate(current_user._get_current_object(), keep, application)
        except ApplicationRuleError as error:
            db.session.rollback()
            form.add_error(error.field, error.message)
        else:
            db.session.commit()
            flash(_("Merged into %(reference)s.", reference=keep.reference), "success")
            return redirect(url_for("applications.staff_application", application_id=keep.id))
    return _application_page(application, EligibilityForm(), form)


@bp.route("/admin/applications/<int:application_id>/letter")
@roles_required(Role.ADMIN)
def letter(application_id: int):
    """The confirmation to post, in the applicant's language, ready to print."""
    application = _application(application_id)
    open_application(current_user._get_current_object(), application)
    db.session.commit()
    language = application.language if application.language in LANGUAGE_BY_CODE else "en"
    with force_locale(language):
        body = render_template("applications/_letter_body.html", application=application,
                               call=application.call, letter_language=LANGUAGE_BY_CODE[language])
    return render_template("applications/letter.html", application=application,
                           letter=Markup(body))  # noqa: S704  # nosec B704 - our own template


@bp.route("/admin/applications/<int:application_id>/scan")
@roles_required(Role.ADMIN)
def scan(application_id: int):
    application = _application(application_id)
    if not application.scan_key:
        abort(404)
    open_application(current_user._get_current_object(), application)
    db.session.commit()
    file_type = files.FILE_TYPES[application.scan_type]
    try:
        data = files.path_of(application.scan_key).read_bytes()
    except FileNotFoundError:
        abort(404)
    name = f"application-{application.reference}{file_type.extension}"
    return Response(data, mimetype=file_type.mimetype,
                    headers={"Content-Disposition": files.content_disposition(name),
                             "Cache-Control": "no-store"})
