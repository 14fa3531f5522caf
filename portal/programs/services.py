"""Rules about programs, their stipend schedule and enrollment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, select
from sqlalchemy.orm import lazyload

from portal.audit.services import record_event
from portal.auth.models import User
from portal.db import db
from portal.programs.models import Enrollment, EnrollmentStatus, Installment, Program
from portal.rules import RuleError


class ProgramRuleError(RuleError):
    """A change to a program that would break one of its rules."""


@dataclass(frozen=True)
class PlannedInstallment:
    label: str
    due_on: date
    amount_cents: int


def program_for(user: User | None) -> Program | None:
    """The program a person sees: the one they are actively enrolled in, or for staff
    the first program. A withdrawn member, or anyone else, sees none."""
    return program_and_membership(user)[0]


def program_and_membership(user: User | None) -> tuple[Program | None, bool]:
    """The program a person belongs to and True; for staff, the first program and
    False; for anyone else (a withdrawn member, say) None and False. Visitors who are
    not signed in get the first program's name on public pages and nothing more.
    One query either way. Installments load only when asked for, since most pages
    show none."""
    first = select(Program).options(lazyload(Program.installments)).order_by(Program.id)
    if user is None or not getattr(user, "is_authenticated", False):
        return db.session.scalars(first.limit(1)).first(), False
    row = db.session.execute(
        select(Program, Enrollment.id).options(lazyload(Program.installments))
        .outerjoin(Enrollment, and_(Enrollment.program_id == Program.id,
                                    Enrollment.user_id == user.id,
                                    Enrollment.status == EnrollmentStatus.ACTIVE))
        .order_by(Enrollment.id.is_(None), Enrollment.id, Program.id)
        .limit(1)
    ).first()
    if row is None:
        return None, False
    if row[1] is not None:
        return row[0], True
    # Nothing falls back to another program for someone who is not staff.
    return (row[0], False) if user.is_staff else (None, False)


def enroll(user: User, program: Program) -> Enrollment:
    """Enroll a person in a program with the program's stipend, or reactivate them."""
    enrollment = db.session.scalars(
        select(Enrollment).where(Enrollment.user_id == user.id, Enrollment.program_id == program.id)
    ).first()
    if enrollment is None:
        enrollment = Enrollment(
            user=user, program=program, stipend_total_cents=program.stipend_cents
        )
        db.session.add(enrollment)
    else:
        enrollment.status = EnrollmentStatus.ACTIVE
    return enrollment


def _snapshot(program: Program) -> dict:
    """The settings as plain values, to record what an edit changed."""
    return {
        "name": program.name,
        "language": program.language,
        "season_start": program.season_start.isoformat(),
        "season_end": program.season_end.isoformat(),
        "timezone": program.timezone,
        "stipend_cents": program.stipend_cents,
        "installments": [
            [item.label, item.due_on.isoformat(), item.amount_cents]
            for item in program.installments
        ],
    }


def update_program_settings(
    actor: User,
    program: Program,
    *,
    name: str,
    season_start: date,
    season_end: date,
    timezone: str,
    stipend_cents: int,
    installments: list[PlannedInstallment],
    language: str | None = None,
) -> None:
    """Change a program's settings and stipend schedule, writing an audit event.

    Stipend totals of people already enrolled are money promised to them and
    are not changed here. Translations of the name and of each installment's name
    are kept while their original stays the same; a changed original drops them,
    since they would now say something else.
    """
    if season_end < season_start:
        raise ProgramRuleError("season_end", _l("The season must end after it starts."))
    if stipend_cents <= 0:
        raise ProgramRuleError("stipend", _l("Enter a stipend amount greater than zero."))
    if installments and sum(item.amount_cents for item in installments) != stipend_cents:
        raise ProgramRuleError(
            "stipend", _l("The installments must add up to the stipend amount.")
        )
    before = _snapshot(program)
    language = language or program.language
    if name != program.name or language != program.language:
        program.name_translations = None
    translations = {item.label: item.label_translations for item in program.installments}
    if language != program.language:
        translations = {}
    program.name = name
    program.language = language
    program.season_start = season_start
    program.season_end = season_end
    program.timezone = timezone
    program.stipend_cents = stipend_cents
    program.installments = [
        Installment(label=item.label, due_on=item.due_on, amount_cents=item.amount_cents,
                    label_translations=translations.get(item.label))
        for item in sorted(installments, key=lambda item: item.due_on)
    ]
    after = _snapshot(program)
    changed = {key: {"from": before[key], "to": after[key]} for key in after
               if before[key] != after[key]}
    if changed:
        record_event(actor, "program.updated", "program", program.id, changes=changed)


def _with(translations: dict | None, language: str, text: str | None) -> dict | None:
    """A new {language: text} (a new object, so the JSON column sees the change)."""
    updated = {key: value for key, value in (translations or {}).items() if key != language}
    if text and text.strip():
        updated[language] = text.strip()
    return updated or None


def set_program_translation(actor: User, program: Program, language: str, name: str | None,
                            labels: list[str | None]) -> bool:
    """Keep the program's name and its installments' names in one more language (an empty
    text removes that language's version); True if anything changed, which is audited."""
    if language == program.language:
        raise ProgramRuleError("name", _l("This is the language of the original. "
                                          "Change the original in the program settings."))
    changed = False
    name_translations = _with(program.name_translations, language, name)
    if name_translations != program.name_translations:
        program.name_translations, changed = name_translations, True
    for installment, label in zip(program.installments, labels, strict=False):
        label_translations = _with(installment.label_translations, language, label)
        if label_translations != installment.label_translations:
            installment.label_translations, changed = label_translations, True
    if changed:
        record_event(actor, "program.translated", "program", program.id, language=language)
    return changed
