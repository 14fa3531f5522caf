"""Admins' draw page for a call: the plan, each person's chance, the draw with a
seed typed by staff, its record, and the two files anyone can check it with."""

from __future__ import annotations

from decimal import Decimal

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from portal.access import keeps_own_csrf, public, roles_required
from portal.admin.sheets import sign_in_sheet_page
from portal.applications.labels import STATUS_LABELS
from portal.applications.models import Application, ApplicationStatus, OpenCall
from portal.applications.services import open_application
from portal.auth.forms import ButtonForm
from portal.auth.models import Role
from portal.db import db, utcnow
from portal.i18n import LANGUAGE_BY_CODE, decimal_number
from portal.rules import RuleError
from portal.selection.commands import four_decimals
from portal.selection.decisions import (
    CALL,
    EMAIL,
    LETTER,
    TEXT,
    decision_context,
    decisions_outstanding,
    find_seat_offer,
    letter_language,
    seats_offered_later,
    send_decisions,
    told_applications,
)
from portal.selection.forms import DrawForm, GiveUpForm, PlanForm, SeatAnswerForm, SeatForm
from portal.selection.inputs import targets_csv
from portal.selection.seats import (
    SeatGivenUp,
    SeatNeeds,
    confirm_seat,
    give_up_seat,
    needs_from_application,
)
from portal.selection.services import (
    SelectionRuleError,
    answer,
    chance_text,
    draw_for,
    exported_pool,
    exported_targets,
    plan_for,
    plan_targets,
    pool_applications,
    pool_rule,
    preview,
    run_draw,
    save_plan,
)

bp = Blueprint("selection", __name__)


def _call(call_id: int) -> OpenCall:
    return db.get_or_404(OpenCall, call_id)


def _page(call: OpenCall, plan_form: PlanForm, draw_form: DrawForm, status: int = 200):
    record = draw_for(call)
    applications = {str(a.id): a for a in (
        told_applications(call) if record else pool_applications(call))}
    told = decisions_outstanding(call) if record and record.decisions_sent_at else None
    offered = seats_offered_later(record, applications) if told else {}
    return render_template(
        "selection/draw.html", call=call, record=record, plan=plan_for(call),
        preview=None if record else preview(call), plan_form=plan_form,
        draw_form=draw_form, applications=applications, four_decimals=four_decimals,
        chance_text=chance_text, answer=answer, told=told, offered=offered,
        button_form=ButtonForm(), status_labels=STATUS_LABELS,
        not_selected=ApplicationStatus.NOT_SELECTED, pool_words=pool_words,
        pool_rule=record.pool_rule if record else pool_rule(call)), status


def pool_words(rule: dict) -> str:
    """The pool rule as a sentence: who could be drawn."""
    if not rule.get("reviews"):
        return _("Every application marked eligible.")
    if rule.get("min_mean"):
        return _("Every application marked eligible with its %(reviews)d reviews done and a "
                 "mean score of at least %(mean)s.", reviews=rule["reviews"],
                 mean=decimal_number(Decimal(rule["min_mean"]), 1))
    return _("Every application marked eligible with its %(reviews)d reviews done.",
             reviews=rule["reviews"])


def _plan_form(call: OpenCall) -> PlanForm:
    plan = plan_for(call)
    form = PlanForm()
    if plan and not form.is_submitted():
        form.alternates.data = plan.alternates
        form.targets.data = targets_csv(plan_targets(plan))
    return form


@bp.route("/admin/calls/<int:call_id>/selection", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
@keeps_own_csrf
def plan(call_id: int):
    call = _call(call_id)
    form = _plan_form(call)
    if form.validate_on_submit():
        try:
            save_plan(current_user._get_current_object(), call, form.alternates.data,
                      form.targets.data)
        except SelectionRuleError as error:
            db.session.rollback()
            form.add_error(error.field, error.message)
        else:
            db.session.commit()
            flash(_("The plan is saved."), "success")
            return redirect(url_for("selection.plan", call_id=call.id))
    return _page(call, form, DrawForm(formdata=None))


@bp.route("/admin/calls/<int:call_id>/selection/draw", methods=["POST"])
@roles_required(Role.ADMIN)
@keeps_own_csrf
def draw(call_id: int):
    call = _call(call_id)
    form = DrawForm()
    if form.validate_on_submit():
        try:
            run_draw(current_user._get_current_object(), call, form.seed.data)
        except SelectionRuleError as error:
            # The refusal is audited; nothing else of the attempt is kept.
            db.session.commit()
            form.add_error(error.field, error.message)
        else:
            db.session.commit()
            flash(_("The draw is done and recorded."), "success")
            return redirect(url_for("selection.plan", call_id=call.id))
    return _page(call, _plan_form(call), form)


@bp.route("/admin/calls/<int:call_id>/selection/decisions", methods=["POST"])
@roles_required(Role.ADMIN)
def decisions(call_id: int):
    call = _call(call_id)
    try:
        sent = send_decisions(current_user._get_current_object(), call, utcnow())
    except SelectionRuleError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        db.session.commit()
        flash(_("Everyone is being told: %(emails)d emails and %(texts)d texts queued, "
                "%(letters)d letters to print, %(calls)d people to call.", emails=sent.emails,
                texts=sent.texts, letters=len(sent.letters), calls=len(sent.calls)),
              "success")
    return redirect(url_for("selection.plan", call_id=call.id))


@bp.route("/admin/calls/<int:call_id>/selection/letters")
@roles_required(Role.ADMIN)
def letters(call_id: int):
    """Every decision letter to post, each in the applicant's language, ready to print;
    or, with ?application=, the one letter of an alternate offered a seat later."""
    call = _call(call_id)
    record = draw_for(call)
    if record is None or record.decisions_sent_at is None:
        abort(404)
    only = request.args.get("application")
    if only is not None and not (only.isascii() and only.isdigit()):
        abort(404)
    pages = []
    for application in decisions_outstanding(call).letters:
        if only is not None and application.id != int(only):
            continue
        language = letter_language(application)
        with force_locale(language):
            pages.append(Markup(render_template(  # noqa: S704  # nosec B704 - our own template
                "selection/_decision_letter.html", call=call,
                letter_language=LANGUAGE_BY_CODE[language],
                **decision_context(record, application))))
    return render_template("selection/letters.html", call=call, letters=pages)


def _fill_needs(form: SeatForm, application: Application) -> None:
    """What they said on the application, so nobody types it twice."""
    needs = needs_from_application(application)
    form.interpretation_language.data = needs.interpretation_language or ""
    form.childcare_children.data = needs.childcare_children
    form.transport_help.data = needs.transport_help
    form.access_needs.data = needs.access_needs


def _needs(form: SeatForm) -> SeatNeeds:
    return SeatNeeds(form.interpretation_language.data or None,
                     form.childcare_children.data or 0, form.transport_help.data,
                     form.access_needs.data or None)


def _seat_page(application: Application, form: SeatForm, give_up_form: GiveUpForm):
    return render_template("selection/seat.html", application=application,
                           call=application.call, form=form, give_up_form=give_up_form)


@bp.route("/admin/applications/<int:application_id>/seat", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
@keeps_own_csrf
def seat(application_id: int):
    """A selected person's answer, recorded by staff: they become a member."""
    application = db.get_or_404(Application, application_id)
    form = SeatForm()
    if not form.is_submitted():
        _fill_needs(form, application)
        open_application(current_user._get_current_object(), application)
        db.session.commit()
    if form.validate_on_submit():
        try:
            invitation = confirm_seat(
                current_user._get_current_object(), application, _needs(form),
                utcnow(), current_app.config["INVITATION_LIFETIME"])
        except RuleError as error:
            db.session.rollback()
            form.add_error("confirmed", error.message)
        else:
            db.session.commit()
            if not invitation.emailed:
                return sign_in_sheet_page(invitation)
            flash(_("%(name)s is a member now. The invitation is on its way to %(email)s.",
                    name=invitation.user.name, email=invitation.user.email), "success")
            return redirect(url_for("selection.plan", call_id=application.call_id))
    return _seat_page(application, form, GiveUpForm(formdata=None))


@bp.route("/admin/applications/<int:application_id>/seat/give-up", methods=["POST"])
@roles_required(Role.ADMIN)
@keeps_own_csrf
def give_up(application_id: int):
    """A selected person declined or could not be reached: the next alternate is offered
    the seat, and the page says which targets still hold."""
    application = db.get_or_404(Application, application_id)
    form = GiveUpForm()
    if form.validate_on_submit():
        try:
            given_up = give_up_seat(current_user._get_current_object(), application,
                                    form.reason.data, utcnow())
        except SelectionRuleError as error:
            db.session.rollback()
            form.add_error(error.field, error.message)
        else:
            db.session.commit()
            flash(" ".join(filter(None, (replacement_words(given_up.replacement),
                                         told_words(given_up)))), "success")
            return redirect(url_for("selection.plan", call_id=application.call_id))
    return _seat_page(application, SeatForm(formdata=None), form)


@bp.route("/seat/<token>", methods=["GET", "POST"])
@public
@keeps_own_csrf
def answer_seat(token: str):
    """The link in a selected person's email: they say yes and what they need."""
    offer = find_seat_offer(token)
    if offer is None:
        abort(404)
    application = offer.application
    form = SeatAnswerForm()
    if not form.is_submitted():
        _fill_needs(form, application)
    if form.validate_on_submit():
        try:
            invitation = confirm_seat(None, application, _needs(form), utcnow(),
                                      current_app.config["INVITATION_LIFETIME"])
        except RuleError as error:
            db.session.rollback()
            form.add_error("confirmed", error.message)
        else:
            db.session.commit()
            return render_template("selection/seat_taken.html", application=application,
                                   emailed=invitation.emailed)
    return render_template("selection/answer_seat.html", application=application, form=form)


def replacement_words(replacement) -> str:
    missed = ", ".join(target.label for target in replacement.targets_missed)
    if replacement.alternate is None:
        return _("No alternate can take the seat. Targets no longer met: %(targets)s.",
                 targets=missed or "—")
    if replacement.keeps_every_target:
        return _("The seat is offered to number %(person)s. Every target still holds.",
                 person=replacement.alternate)
    return _("The seat is offered to number %(person)s, the alternate who keeps the most "
             "targets. Targets no longer met: %(targets)s.",
             person=replacement.alternate, targets=missed)


def told_words(given_up: SeatGivenUp) -> str | None:
    """How the alternate who was offered the seat hears of it."""
    offered = given_up.offered
    if given_up.told_by == EMAIL:
        return _("They are told by email, with a link to say yes.")
    if given_up.told_by == TEXT:
        return _("They are told by text, with a link to say yes.")
    if given_up.told_by == LETTER:
        return _("Print their letter from the draw page and post it.")
    if given_up.told_by == CALL:
        return _("Call %(name)s to tell them: %(phone)s.", name=offered.contact_name,
                 phone=offered.mobile or offered.phone or "—")
    return None


def _csv_file(text: str, name: str) -> Response:
    """Exactly the canonical file, so its SHA-256 is the published fingerprint."""
    return Response(text, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Cache-Control": "no-store"})


@bp.route("/admin/calls/<int:call_id>/selection/pool.csv")
@roles_required(Role.ADMIN)
def pool_file(call_id: int):
    call = _call(call_id)
    return _csv_file(exported_pool(call), f"pool-{call.slug}.csv")


@bp.route("/admin/calls/<int:call_id>/selection/targets.csv")
@roles_required(Role.ADMIN)
def targets_file(call_id: int):
    call = _call(call_id)
    return _csv_file(exported_targets(call), f"targets-{call.slug}.csv")
