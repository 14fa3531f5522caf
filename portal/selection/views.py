"""Admins' draw page for a call: the plan, each person's chance, the draw with a
seed typed by staff, its record, and the two files anyone can check it with."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.access import keeps_own_csrf, roles_required
from portal.applications.models import OpenCall
from portal.auth.models import Role
from portal.db import db
from portal.selection.commands import four_decimals
from portal.selection.forms import DrawForm, PlanForm
from portal.selection.inputs import targets_csv
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
    preview,
    run_draw,
    save_plan,
)

bp = Blueprint("selection", __name__)


def _call(call_id: int) -> OpenCall:
    return db.get_or_404(OpenCall, call_id)


def _page(call: OpenCall, plan_form: PlanForm, draw_form: DrawForm, status: int = 200):
    record = draw_for(call)
    applications = {str(a.id): a for a in pool_applications(call)} if not record else {}
    return render_template(
        "selection/draw.html", call=call, record=record, plan=plan_for(call),
        preview=None if record else preview(call), plan_form=plan_form,
        draw_form=draw_form, applications=applications, four_decimals=four_decimals,
        chance_text=chance_text, answer=answer), status


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
