"""Materials: reading agendas, minutes and handouts in one's language, asking for a
translation; staff writing, translating and publishing them."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.access import keeps_own_csrf, roles_required, signed_in
from portal.auth.forms import ButtonForm
from portal.db import db, utcnow
from portal.documents import files
from portal.documents.content import render_markdown
from portal.documents.forms import KIND_LABELS, DocumentForm, MaterialsFilterForm, VersionForm
from portal.documents.models import Document, DocumentKind
from portal.documents.services import (
    EDITORS,
    DocumentRuleError,
    TranslationExists,
    Upload,
    VersionContent,
    added_with,
    can_edit,
    can_read,
    create_document,
    materials_query,
    meeting_documents,
    meetings_with_materials,
    open_request,
    open_requests,
    outdated_translations,
    publish_document,
    request_translation,
    set_version,
    update_document,
)
from portal.i18n import LANGUAGE_BY_CODE, current_language
from portal.meetings.models import Meeting
from portal.programs.current import current_program_or_404
from portal.web import page_number, thank_for_translation_request

bp = Blueprint("documents", __name__)
bp.add_app_template_global(LANGUAGE_BY_CODE, "LANGUAGE_BY_CODE")


@bp.app_template_global()
def kind_label(value) -> str:
    return str(KIND_LABELS.get(DocumentKind(value), value))


@bp.app_template_global()
def bdi(text) -> Markup:
    """Text of its own direction inside a sentence, e.g. a language name."""
    return Markup("<bdi>{}</bdi>").format(text)


@bp.app_template_global()
def markdown(text):
    return render_markdown(text)


@bp.app_template_global()
def documents_of_meeting(meeting: Meeting) -> list[Document]:
    """A meeting's agenda and minutes: published ones, and drafts for editors."""
    return meeting_documents(meeting, include_drafts=can_edit(current_user))


@bp.app_template_filter()
def file_size(size: int) -> str:
    return files.readable_size(size)


def get_document(document_id: int) -> Document:
    """The document, if the signed-in person may read it; otherwise nothing at all."""
    document = db.session.get(Document, document_id)
    if document is None or not can_read(current_user, document):
        abort(404)
    return document


def _meeting_choices(meetings, language: str) -> list[tuple[str, str]]:
    """Meetings as choices, by date and title."""
    return [(str(m.id), f"{format_date(m.starts_at, 'medium')} · {m.text_for(language).title}")
            for m in meetings]


def _any_meeting_choices(program, language: str) -> list[tuple[str, str]]:
    """No meeting, then every meeting of the program, newest first: what a document
    may be attached to."""
    meetings = db.session.scalars(select(Meeting).where(Meeting.program_id == program.id)
                                  .order_by(Meeting.starts_at.desc())).all()
    return [("", _("No meeting"))] + _meeting_choices(meetings, language)


# Reading -----------------------------------------------------------------------

@bp.route("/materials")
@signed_in
def materials():
    program = current_program_or_404()
    language = current_language().code
    form = MaterialsFilterForm(request.args)
    # Only meetings that have something to read: choosing one never shows an empty list,
    # and the filter stays short however long the program runs.
    form.meeting.choices = [("", _("All meetings"))] + _meeting_choices(
        meetings_with_materials(program, include_drafts=can_edit(current_user)), language)
    form.kind.choices = [("", _("All kinds"))] + [
        (kind.value, label) for kind, label in KIND_LABELS.items()]
    meeting_id = kind = None
    if form.validate():
        meeting_id = int(form.meeting.data) if form.meeting.data else None
        kind = DocumentKind(form.kind.data) if form.kind.data else None
    page = db.paginate(
        materials_query(program, include_drafts=can_edit(current_user), meeting_id=meeting_id,
                        kind=kind),
        page=page_number(), per_page=current_app.config["DOCUMENTS_PER_PAGE"], error_out=False)
    return render_template("documents/materials.html", filter_form=form, page=page,
                           language=language,
                           filters={key: str(value) for key, value in
                                    (("meeting", meeting_id), ("kind", kind)) if value})


@bp.route("/materials/<int:document_id>")
@signed_in
def document(document_id: int):
    document = get_document(document_id)
    reader = current_language().code
    chosen = request.args.get("language", "")
    version = (document.version_in(chosen) if chosen in LANGUAGE_BY_CODE else None) or \
        document.version_in(reader) or document.original
    missing = document.version_in(reader) is None
    asked = open_request(current_user, document, reader) if missing else None
    return render_template(
        "documents/document.html", document=document, version=version, reader=reader,
        missing=missing, asked=asked, button_form=ButtonForm(),
        reader_language=LANGUAGE_BY_CODE[reader], can_edit=can_edit(current_user))


@bp.route("/materials/<int:document_id>/files/<language>")
@signed_in
def download(document_id: int, language: str):
    document = get_document(document_id)
    version = document.version_in(language)
    if version is None or not version.file_key:
        abort(404)
    file_type = files.FILE_TYPES[version.file_type]
    try:
        path = files.path_of(version.file_key)
    except FileNotFoundError:
        abort(404)
    if not path.exists():
        abort(404)
    response = send_file(path, mimetype=file_type.mimetype, conditional=False, etag=False,
                         max_age=0)
    response.headers["Content-Disposition"] = files.content_disposition(version.file_name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/materials/<int:document_id>/translation-requests", methods=["POST"])
@signed_in
def ask_for_translation(document_id: int):
    document = get_document(document_id)
    language = request.form.get("language", "")
    back = redirect(url_for("documents.document", document_id=document.id))
    try:
        created = request_translation(current_user._get_current_object(), document, language,
                                      utcnow())
    except TranslationExists:
        flash(_("This is already there in your language."), "info")
        return redirect(url_for("documents.document", document_id=document.id,
                                language=language))
    except DocumentRuleError:
        abort(400)
    db.session.commit()
    thank_for_translation_request(created)
    return back


# Staff -------------------------------------------------------------------------

def _upload_from(form, field_name="file") -> Upload | None:
    """The uploaded file, or None; refusals become errors on the field."""
    storage = form.file.data
    if storage is None or not getattr(storage, "filename", None):
        return None
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    try:
        data = files.read_upload(storage.stream, limit)
    except files.UploadRefused as refused:
        if refused.reason == "empty":
            form.add_error(field_name, _("The file is empty. Choose another file."))
        else:
            form.add_error(field_name, _("The file is larger than %(size)s. Choose a smaller "
                                         "file.", size=file_size(limit)))
        raise
    return Upload(data=data, filename=storage.filename)


def _content_from(form) -> VersionContent:
    return VersionContent(title=form.title.data, body=form.body.data or None,
                          upload=_upload_from(form),
                          remove_file=bool(form.remove_file.data))


def _apply_rule_error(form, error: DocumentRuleError) -> None:
    db.session.rollback()
    form.add_error(error.field, error.message)
    if error.field != "file" and form.file.data and getattr(form.file.data, "filename", None):
        form.add_error("file", _("Choose the file again: files are not kept when a form "
                                 "has a problem."))


def _save(form, change) -> tuple[bool, object]:
    """Run a change from a document form and commit it: (True, its result), or
    (False, None) with the problem put on the form and nothing stored."""
    try:
        result = change()
    except files.UploadRefused:  # the form already says why
        db.session.rollback()
        return False, None
    except DocumentRuleError as error:
        _apply_rule_error(form, error)
        return False, None
    db.session.commit()
    return True, result


def _meeting_from(form, program) -> Meeting | None:
    if not form.meeting.data:
        return None
    meeting = db.session.get(Meeting, int(form.meeting.data))
    if meeting is None or meeting.program_id != program.id:
        abort(400)
    return meeting


@bp.route("/materials/new", methods=["GET", "POST"])
@roles_required(*EDITORS)
@keeps_own_csrf
def new_document():
    program = current_program_or_404()
    form = DocumentForm()
    form.meeting.choices = _any_meeting_choices(program, current_language().code)
    if request.method == "GET":
        form.language.data = current_language().code
        kind = request.args.get("kind", "")
        form.kind.data = kind if kind in DocumentKind._value2member_map_ else None
        form.meeting.data = request.args.get("meeting_id", "")
    form.keep_submission_key()
    if form.validate_on_submit():
        earlier = added_with(form.submission_key.data)
        if earlier is not None:
            flash(_("This document was already added, so it was not added a second time."),
                  "info")
            return redirect(url_for("documents.document", document_id=earlier.id))
        try:
            saved, document = _save(form, lambda: create_document(
                current_user._get_current_object(), program,
                kind=DocumentKind(form.kind.data), meeting=_meeting_from(form, program),
                language=form.language.data, content=_content_from(form), now=utcnow(),
                submission_key=form.submission_key.data))
        except IntegrityError:  # the same form, sent twice at the same moment
            db.session.rollback()
            return redirect(url_for("documents.materials"))
        if saved:
            flash(_("The draft is saved. Only staff can see it until you publish it."),
                  "success")
            return redirect(url_for("documents.document", document_id=document.id))
    return render_template("documents/document_form.html", form=form, document=None)


@bp.route("/materials/<int:document_id>/edit", methods=["GET", "POST"])
@roles_required(*EDITORS)
@keeps_own_csrf
def edit_document(document_id: int):
    document = get_document(document_id)
    form = DocumentForm()
    form.meeting.choices = _any_meeting_choices(document.program, current_language().code)
    original = document.original
    form.language.choices = [(original.language, LANGUAGE_BY_CODE[original.language].native_name)]
    if request.method == "GET":
        form.kind.data = document.kind.value
        form.meeting.data = str(document.meeting_id) if document.meeting_id else ""
        form.language.data = original.language
        form.title.data, form.body.data = original.title, original.body
    if form.validate_on_submit():
        saved = _save(form, lambda: update_document(
            current_user._get_current_object(), document,
            kind=DocumentKind(form.kind.data), meeting=_meeting_from(form, document.program),
            content=_content_from(form), now=utcnow()))[0]
        if saved:
            flash(_("The changes are saved."), "success")
            return redirect(url_for("documents.document", document_id=document.id))
    return render_template("documents/document_form.html", form=form, document=document,
                           version=original)


@bp.route("/materials/<int:document_id>/versions", methods=["GET", "POST"])
@roles_required(*EDITORS)
@keeps_own_csrf
def version(document_id: int):
    document = get_document(document_id)
    original = document.original
    form = VersionForm()
    form.language.choices = [(code, name) for code, name in form.language.choices
                             if code != original.language]
    existing = None
    if request.method == "GET":
        code = request.args.get("language", "")
        existing = document.version_in(code) if code != original.language else None
        form.language.data = code or None
        if existing:
            form.title.data, form.body.data = existing.title, existing.body
    else:
        existing = document.version_in(form.language.data or "")
    if form.validate_on_submit():
        saved, result = _save(form, lambda: set_version(
            current_user._get_current_object(), document, form.language.data,
            _content_from(form), utcnow()))
        if saved:
            version, closed = result
            told = _("Everyone who asked for it is told, by email or text as they chose.")
            flash(_("The version is saved.") + (" " + told if closed else ""), "success")
            return redirect(url_for("documents.document", document_id=document.id,
                                    language=version.language))
    return render_template("documents/version_form.html", form=form, document=document,
                           original=original, version=existing)


@bp.route("/materials/<int:document_id>/publish", methods=["POST"])
@roles_required(*EDITORS)
def publish(document_id: int):
    document = get_document(document_id)
    publish_document(current_user._get_current_object(), document, utcnow())
    db.session.commit()
    flash(_("It is published. Members can read it now, and those who asked for emails "
            "about new materials will get one."), "success")
    return redirect(url_for("documents.document", document_id=document.id))


@bp.route("/materials/translation-requests")
@roles_required(*EDITORS)
def translation_requests():
    program = current_program_or_404()
    per_page = current_app.config["DOCUMENTS_PER_PAGE"]
    return render_template("documents/translation_requests.html",
                           page=open_requests(program, page_number(), per_page),
                           outdated=outdated_translations(program, per_page))
