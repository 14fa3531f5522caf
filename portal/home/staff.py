"""What the home page shows staff: the next meeting and what it needs, who has not
answered, the translations asked for, and for finance what is due today."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from portal.auth.models import Role, User
from portal.db import db
from portal.documents.services import documents_waiting
from portal.meetings.services import members_without_answer, next_meeting, roster_summary
from portal.programs.models import Enrollment, EnrollmentStatus, Program
from portal.stipends.services import (
    OverviewFilter,
    finance_overview,
    near_threshold_cents,
    program_totals,
    reporting_threshold,
    stipend_summary,
)

# How many names the home page lists before linking to the full roster.
SHOWN = 8


def _count(query) -> int:
    return db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))


def staff_home(person: User, program: Program | None, now: datetime,
               tax_thresholds: dict[int, int]) -> dict:
    """The staff home page's data for what this person's roles do: meetings for
    facilitators and admins, money and tax forms for finance. A small, fixed number
    of queries whatever the size of the program. `tax_thresholds` is the setting
    TAX_REPORTING_THRESHOLDS, for who is near the yearly reporting threshold."""
    page = {"program": program, "runs_meetings": person.has_role(Role.FACILITATOR, Role.ADMIN),
            "handles_money": person.has_role(Role.FINANCE)}
    if program is None:
        return page
    # Someone on staff may also be a member of the program, with their own stipend.
    enrollment = db.session.scalars(select(Enrollment).where(
        Enrollment.user_id == person.id, Enrollment.program_id == program.id,
        Enrollment.status == EnrollmentStatus.ACTIVE)).first()
    if enrollment is not None:
        page["enrollment"] = enrollment
        page["stipend"] = stipend_summary(enrollment, program.local_today(now))
    if page["runs_meetings"]:
        meeting = next_meeting(program.id, now)
        page["next_meeting"] = meeting
        if meeting is not None:
            page["summary"] = roster_summary(meeting)
            page["not_answered"] = members_without_answer(meeting, SHOWN)
        page["documents_waiting"] = _count(documents_waiting(program))
    if page["handles_money"]:
        today = program.local_today(now)
        near = near_threshold_cents(reporting_threshold(today.year, tax_thresholds))
        page["totals"] = program_totals(program, today, near)
        # Counted as the finance overview's filters count, so each number matches the
        # list its link opens.
        page["members_owed"] = _count(finance_overview(program, today,
                                                       show=OverviewFilter.OWED))
        page["tax_forms_missing"] = _count(finance_overview(
            program, today, show=OverviewFilter.TAX_FORM_MISSING))
        page["next_installment"] = next(
            (item for item in program.installments if item.due_on >= today), None)
    return page
