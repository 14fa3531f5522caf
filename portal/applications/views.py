"""The open call for anyone: /apply, the application form, drafts, confirmation and the
status check. Nobody needs an account; what identifies a person here is held in
their session only."""

from __future__ import annotations

import time

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from werkzeug.datastructures import MultiDict

from portal.access import keeps_own_csrf, public
from portal.applications.forms import (
    ApplicationForm,
    ContactFields,
    ContinueForm,
    StatusForm,
    contact_from,
)
from portal.applications.labels import CONTACT_LABELS, STATUS_LABELS
from portal.applications.models import Application, OpenCall
from portal.applications.services import (
    ApplicationDetails,
    ApplicationRuleError,
    Receipt,
    call_text_for,
    calls_open_now,
    change_contact,
    days_left,
    deadline_words,
    delete_application,
    deletion_day,
    email_draft_link,
    find_draft,
    find_for_applicant,
    latest_closed_call,
    retention_days,
    save_draft,
    submit_application,
    withdraw,
)
from portal.auth.forms import ButtonForm
from portal.db import db, utcnow
from portal.extensions import limiter

bp = Blueprint("applications", __name__)

# One budget per address for every form of the call that stores something.
public_forms_limit = limiter.shared_limit(
    lambda: current_app.config.get("APPLICATION_LIMIT_PER_ADDRESS", "60 per hour"),
    scope="application-forms", methods=["POST"])

DRAFT_VALUE_LIMIT = 12_000

bp.add_app_template_global(deadline_words, "deadline")


def _reader_language() -> str:
    return str(get_locale())


def _call_or_404(slug: str) -> OpenCall:
    if not slug.isprintable():
        abort(404)  # no call's address holds a control character; PostgreSQL refuses NUL
    call = db.session.scalars(select(OpenCall).where(OpenCall.slug == slug[:60])).first()
    if call is None:
        abort(404)
    return call


def call_page_context(call: OpenCall, now) -> dict:
    """What every page of one call shows: its words for this reader, and the deadline."""
    text, untranslated = call_text_for(call, _reader_language())
    return {"call": call, "text": text, "untranslated": untranslated,
            "is_open": call.is_open(now), "days_left": days_left(call, now)}


@bp.route("/apply")
@public
def index():
    now = utcnow()
    calls = calls_open_now(now)
    if len(calls) == 1:
        return redirect(url_for("applications.apply", slug=calls[0].slug))
    closed = None if calls else latest_closed_call(now)
    return render_template(
        "applications/index.html", calls=[call_page_context(c, now) for c in calls],
        closed=call_page_context(closed, now) if closed else None)


def application_details(form: ApplicationForm, call: OpenCall) -> ApplicationDetails:
    """What the form holds, in the shape the rules take."""
    answers = {str(question.id): (entry.data or "").strip()
               for question, entry in zip(call.questions, form.answers, strict=False)}
    return ApplicationDetails(
        name=form.name.data, preferred_name=form.preferred_name.data,
        contact=contact_from(form),
        language=form.language.data, language_other=form.language_other.data,
        neighborhood=form.neighborhood.data,
        eligibility={"meets_conditions": form.meets_conditions.data},
        answers=answers, statement=form.statement.data, experience=form.experience.data,
        availability={"times": list(form.times.data or []),
                      "format": form.meeting_format.data},
        needs={"interpretation": form.interpretation.data or "",
               "childcare": bool(form.childcare.data), "transport": bool(form.transport.data),
               "access": form.access_needs.data or ""},
        demographics={"age_band": form.age_band.data or "", "gender": form.gender.data or "",
                      "race": list(form.race.data or [])},
        consent=bool(form.consent.data))


def fit_answers(form: ApplicationForm, call: OpenCall) -> None:
    """One answer box per question of the call, whatever was posted."""
    while len(form.answers) > len(call.questions):
        form.answers.pop_entry()
    while len(form.answers) < len(call.questions):
        form.answers.append_entry()
    original = call.original.language
    for question, entry in zip(call.questions, form.answers, strict=True):
        words, language = question.text_for(_reader_language(), original)
        # An untranslated question keeps its own language and direction inside the page's.
        entry.label.text = Markup('<span lang="{}" dir="auto">{}</span>').format(
            language.replace("_", "-"), words)


def typed_fields() -> dict:
    """What the person typed, kept as a draft: the form's own fields only."""
    known = {field.name for field in ApplicationForm(meta={"csrf": False})} | {
        key for key in request.form if key.startswith("answers-")}
    known -= {"csrf_token", "website", "action"}
    return {key: [value[:DRAFT_VALUE_LIMIT].replace("\x00", "")
                  for value in request.form.getlist(key)][:20]
            for key in request.form if key in known}


def _apply_page(call: OpenCall, form: ApplicationForm, now, status: int = 200):
    return render_template("applications/apply.html", form=form, retention=retention_days(),
                           **call_page_context(call, now)), status


@bp.route("/apply/<slug>", methods=["GET", "POST"])
@public
@keeps_own_csrf
@public_forms_limit
def apply(slug: str):
    call = _call_or_404(slug)
    now = utcnow()
    draft = find_draft(session.get("draft_code"))
    if request.method == "GET":
        if not call.is_open(now):
            return render_template("applications/closed.html", **call_page_context(call, now))
        saved = draft.fields if draft is not None and draft.call_id == call.id else None
        form = ApplicationForm(formdata=MultiDict(
            [(k, v) for k, values in saved.items() for v in values]) if saved else None)
        if not saved:
            form.language.data = _reader_language()
        fit_answers(form, call)
        return _apply_page(call, form, now)

    form = ApplicationForm()
    fit_answers(form, call)
    if form.website.data:
        # Only a robot fills the hidden field: it is thanked and nothing is kept.
        return redirect(url_for("applications.sent", slug=call.slug))
    if form.action.data == "save":
        return _save_for_later(call, form, now)
    if not form.validate():
        return _apply_page(call, form, now)
    try:
        application = _store_with_retries(call, form, draft, now)
    except ApplicationRuleError as error:
        db.session.rollback()
        if error.field:
            form.add_error(error.field, error.message)
        else:
            form.closed_message = error.message
        return _apply_page(call, form, now)
    session.pop("draft_code", None)
    session["sent_reference"] = application.reference
    return redirect(url_for("applications.sent", slug=call.slug))


SQLITE_TRIES = 4


def _store_with_retries(call: OpenCall, form: ApplicationForm, draft, now) -> Application:
    """Store the application and commit. SQLite lets one writer in at a time and gives up
    on a writer that waited its whole busy timeout; at the deadline many people send at
    once, so such a refusal is tried again rather than shown as an error. Nothing is
    stored by a refused try."""
    for attempt in range(1, SQLITE_TRIES + 1):
        try:
            application = submit_application(call, application_details(form, call), Receipt(),
                                             now, email_language=_reader_language())
            if draft is not None:
                db.session.delete(draft)
            db.session.commit()
            return application
        except OperationalError as error:
            db.session.rollback()
            if attempt == SQLITE_TRIES or "database is locked" not in str(error.orig):
                raise
            current_app.logger.warning("application store waited too long for SQLite; "
                                       "trying again (%d)", attempt)
            time.sleep(0.1 * attempt)
            draft = db.session.merge(draft) if draft is not None else None
    raise AssertionError("unreachable")


def _save_for_later(call: OpenCall, form: ApplicationForm, now):
    if getattr(form, "csrf_token", None) is not None and not form.csrf_token.validate(form):
        return _apply_page(call, form, now)
    if not call.is_open(now):
        form.closed_message = _("The call has closed, so this can no longer be saved.")
        return _apply_page(call, form, now)
    code, is_new = save_draft(call, typed_fields(), session.get("draft_code"), now)
    address = (form.email.data or "").strip()
    if is_new and address and "@" in address and not form.email.errors and len(address) <= 254:
        email_draft_link(call, code, address, _reader_language())
    db.session.commit()
    session["draft_code"] = code
    return redirect(url_for("applications.draft_saved", slug=call.slug))


def _after_sending(slug: str, kept: str, template: str):
    """A page that shows what the person's last step gave them (their draft's code or
    their reference), held in their session; without it, the form."""
    call = _call_or_404(slug)
    value = session.get(kept)
    if not value:
        return redirect(url_for("applications.apply", slug=call.slug))
    return render_template(template, value=value, **call_page_context(call, utcnow()))


@bp.route("/apply/<slug>/saved")
@public
def draft_saved(slug: str):
    return _after_sending(slug, "draft_code", "applications/draft_saved.html")


@bp.route("/apply/<slug>/sent")
@public
def sent(slug: str):
    return _after_sending(slug, "sent_reference", "applications/sent.html")


@bp.route("/apply/<slug>/print")
@public
def print_form(slug: str):
    call = _call_or_404(slug)
    form = ApplicationForm(meta={"csrf": False})
    fit_answers(form, call)
    return render_template("applications/print_form.html", form=form,
                           retention=retention_days(), **call_page_context(call, utcnow()))


@bp.route("/apply/continue", methods=["GET", "POST"])
@public
@keeps_own_csrf
@public_forms_limit
def continue_later():
    form = ContinueForm()
    if form.validate_on_submit():
        found = _resume(form.code.data)
        if found is not None:
            return found
        form.add_error("code", _("We could not find a saved application with this code. "
                                 "Check it and try again."))
    return render_template("applications/continue.html", form=form)


@bp.route("/apply/continue/<code>")
@public
def continue_draft(code: str):
    """The link in the email: opens the saved application."""
    found = _resume(code)
    if found is None:
        flash(_("We could not find a saved application with this code. "
                "Check it and try again."), "error")
        return redirect(url_for("applications.continue_later"))
    return found


def _resume(code: str):
    draft = find_draft(code)
    if draft is None:
        return None
    session["draft_code"] = code.strip().upper()
    return redirect(url_for("applications.apply", slug=draft.call.slug))


# --- Applicants later ----------------------------------------------------------------------

@bp.route("/apply/status", methods=["GET", "POST"])
@public
@keeps_own_csrf
@public_forms_limit
def status():
    form = StatusForm()
    if form.validate_on_submit():
        application = find_for_applicant(form.reference.data, form.contact.data)
        if application is not None:
            session["applicant"] = application.id
            return redirect(url_for("applications.my_application"))
        form.add_error("reference", _("We could not find an application with this reference "
                                      "and contact. Check both and try again."))
    return render_template("applications/status.html", form=form)


def _own_application() -> Application | None:
    application_id = session.get("applicant")
    if not isinstance(application_id, int):
        return None
    return db.session.get(Application, application_id)


@bp.route("/apply/my-application")
@public
def my_application():
    application = _own_application()
    if application is None:
        return redirect(url_for("applications.status"))
    form = ContactFields(obj=application, preferred_contact=application.preferred_contact.value)
    return _my_application_page(application, form)


def _my_application_page(application: Application, form):
    return render_template("applications/my_application.html", application=application,
                           form=form, button_form=ButtonForm(), status_labels=STATUS_LABELS,
                           contact_labels=CONTACT_LABELS, deletion_day=deletion_day(
                               application.call), **call_page_context(application.call,
                                                                       utcnow()))


@bp.route("/apply/my-application/contact", methods=["POST"])
@public
@keeps_own_csrf
@public_forms_limit
def change_my_contact():
    application = _own_application()
    if application is None:
        return redirect(url_for("applications.status"))
    form = ContactFields()
    if form.validate():
        try:
            change_contact(application, contact_from(form), utcnow())
        except ApplicationRuleError as error:
            db.session.rollback()
            form.add_error(error.field, error.message)
        else:
            db.session.commit()
            flash(_("Your contact details are saved."), "success")
            return redirect(url_for("applications.my_application"))
    return _my_application_page(application, form)


@bp.route("/apply/my-application/withdraw", methods=["POST"])
@public
@public_forms_limit
def withdraw_mine():
    application = _own_application()
    if application is None:
        return redirect(url_for("applications.status"))
    withdraw(application, utcnow())
    db.session.commit()
    flash(_("Your application is withdrawn. Thank you for your interest."), "success")
    return redirect(url_for("applications.my_application"))


@bp.route("/apply/my-application/delete", methods=["POST"])
@public
@public_forms_limit
def delete_mine():
    application = _own_application()
    if application is None:
        return redirect(url_for("applications.status"))
    delete_application(application, "asked by the applicant")
    db.session.commit()
    session.pop("applicant", None)
    flash(_("Your application is deleted. Only an anonymous count of it remains."), "success")
    return redirect(url_for("applications.status"))
