"""Rules about stipend money: what is owed, recording and voiding payments, tax-year totals.

Every function here leaves the commit to the caller, so a payment, its audit
event and the member's email are stored together or not at all.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import Select, and_, case, extract, func, select, update
from sqlalchemy.orm import aliased, joinedload

from portal.audit.services import record_event
from portal.auth.models import User
from portal.db import db
from portal.i18n import money
from portal.meetings.models import Attendance, AttendanceStatus, Meeting
from portal.outbox.services import external_url, notify
from portal.programs.models import (
    Enrollment,
    EnrollmentStatus,
    Installment,
    Program,
    TaxFormStatus,
)
from portal.rules import RuleError
from portal.stipends.labels import METHOD_LABELS
from portal.stipends.models import Payment, PaymentMethod, TaxDetails, VoidReason

# Payments dated before this are typing mistakes, not history.
EARLIEST_PAYMENT_DAY = date(2000, 1, 1)
SUBMISSION_KEY_BYTES = 24


class PaymentRuleError(RuleError):
    """A payment or void that would break a money rule; `field` names the form field."""


class Standing:
    """Whether a person still takes part. Nothing is due to someone who left, though
    finance may still record a payment to them."""

    ACTIVE = "active"
    WITHDRAWN = "withdrawn"  # left the program (their enrollment is withdrawn)
    DEACTIVATED = "deactivated"  # may no longer sign in at all


def standing(enrollment: Enrollment) -> str:
    if not enrollment.user.active:
        return Standing.DEACTIVATED
    if enrollment.status == EnrollmentStatus.WITHDRAWN:
        return Standing.WITHDRAWN
    return Standing.ACTIVE


def _takes_part():
    """SQL for "this enrollment's person still takes part" (the rows with a due)."""
    return and_(Enrollment.status == EnrollmentStatus.ACTIVE, User.active.is_(True))


@dataclass(frozen=True)
class StipendSummary:
    """Where one person's stipend stands on a given day."""

    total_cents: int
    paid_cents: int
    due_to_date_cents: int  # what the schedule says should be paid by now
    next_installment: Installment | None  # the first one not yet covered by payments
    standing: str = Standing.ACTIVE

    @property
    def has_left(self) -> bool:
        return self.standing != Standing.ACTIVE

    @property
    def remaining_cents(self) -> int:
        return self.total_cents - self.paid_cents

    @property
    def owed_now_cents(self) -> int:
        if self.has_left:
            return 0
        return max(0, min(self.due_to_date_cents, self.total_cents) - self.paid_cents)

    @property
    def suggested_payment_cents(self) -> int | None:
        """What the next payment would usually be: what is due now, else the next installment.
        None for someone who left: finance types what they decided to pay."""
        if self.has_left:
            return None
        if self.owed_now_cents:
            return self.owed_now_cents
        if self.next_installment is not None:
            return min(self.next_installment.amount_cents, self.remaining_cents)
        return None


def new_submission_key() -> str:
    """A random key for one filled-in payment form."""
    return secrets.token_urlsafe(SUBMISSION_KEY_BYTES)


def paid_cents(enrollment: Enrollment) -> int:
    """The total of the payments to this enrollment that are not voided."""
    return db.session.scalar(
        select(func.coalesce(func.sum(Payment.amount_cents), 0)).where(
            Payment.enrollment_id == enrollment.id, Payment.voided_at.is_(None)
        )
    )


def _due_to_date(program: Program, today: date) -> int:
    return sum(item.amount_cents for item in program.installments if item.due_on <= today)


def stipend_summary(enrollment: Enrollment, today: date) -> StipendSummary:
    """Total, paid, due by today and the next installment for one enrollment."""
    paid = paid_cents(enrollment)
    covered = 0
    next_installment = None
    for item in enrollment.program.installments:
        covered += item.amount_cents
        if covered > paid:
            next_installment = item
            break
    if paid >= enrollment.stipend_total_cents:
        next_installment = None
    left = standing(enrollment)
    return StipendSummary(
        total_cents=enrollment.stipend_total_cents,
        paid_cents=paid,
        due_to_date_cents=_due_to_date(enrollment.program, today),
        next_installment=next_installment if left == Standing.ACTIVE else None,
        standing=left,
    )


def payments_query(enrollment: Enrollment) -> Select:
    """Every payment of one enrollment, voided ones included, newest first, with who
    recorded and voided each (one query however many staff that is)."""
    return (
        select(Payment).where(Payment.enrollment_id == enrollment.id)
        .options(joinedload(Payment.recorded_by).lazyload(User.role_grants),
                 joinedload(Payment.voided_by).lazyload(User.role_grants))
        .order_by(Payment.paid_on.desc(), Payment.id.desc())
    )


def _lock_ledger(enrollment: Enrollment) -> None:
    """Take the enrollment's row lock until commit.

    A second payment for the same person waits here until the first is
    committed, then sees it when it adds up what is paid.
    """
    db.session.execute(
        update(Enrollment).where(Enrollment.id == enrollment.id)
        .values(ledger_version=Enrollment.ledger_version + 1)
        .execution_options(synchronize_session=False)
    )


def check_payment(enrollment: Enrollment, amount_cents: int, paid_on: date, today: date,
                  already_paid: int | None = None) -> None:
    """Raise PaymentRuleError if this payment may not be recorded."""
    if amount_cents <= 0:
        raise PaymentRuleError("amount", _l("Enter an amount greater than zero."))
    if paid_on > today:
        raise PaymentRuleError("paid_on", _l("The payment date cannot be in the future."))
    if paid_on < EARLIEST_PAYMENT_DAY:
        raise PaymentRuleError("paid_on", _l("Check the year of the payment date."))
    paid = paid_cents(enrollment) if already_paid is None else already_paid
    remaining = enrollment.stipend_total_cents - paid
    if amount_cents > remaining:
        raise PaymentRuleError(
            "amount",
            _l("This would pay more than the stipend. At most %(remaining)s is left to pay.",
               remaining=LazyString(money, remaining, enrollment.program.currency))
            if remaining > 0 else
            _l("This stipend is already paid in full, so no more can be recorded."),
        )


@dataclass(frozen=True)
class PaymentDetails:
    amount_cents: int
    paid_on: date
    method: PaymentMethod
    reference: str | None
    note: str | None


def record_payment(
    actor: User,
    enrollment: Enrollment,
    details: PaymentDetails,
    *,
    submission_key: str,
    today: date,
) -> tuple[Payment, bool]:
    """Record a payment to a member, writing an audit event and emailing them.

    Returns (payment, True) for a new payment, or the payment already recorded
    with this submission key and False, so a form sent twice pays once.
    Raises PaymentRuleError if the payment would take them past their total.
    """
    _lock_ledger(enrollment)
    earlier = db.session.scalars(
        select(Payment).where(Payment.submission_key == submission_key)
    ).first()
    if earlier is not None:
        if earlier.enrollment_id != enrollment.id:
            raise PaymentRuleError("amount", _l("This form was already used for someone else. "
                                                "Open the payment form again."))
        return earlier, False
    check_payment(enrollment, details.amount_cents, details.paid_on, today)
    payment = Payment(
        enrollment=enrollment,
        amount_cents=details.amount_cents,
        paid_on=details.paid_on,
        method=details.method,
        reference=details.reference or None,
        note=details.note or None,
        submission_key=submission_key,
        recorded_by=actor,
    )
    db.session.add(payment)
    db.session.flush()
    record_event(actor, "payment.recorded", "payment", payment.id,
                 member=enrollment.user.name, enrollment_id=enrollment.id,
                 amount_cents=payment.amount_cents, paid_on=payment.paid_on.isoformat(),
                 method=payment.method.value, reference=payment.reference)
    member = enrollment.user
    if member.notify_payments:
        summary = stipend_summary(enrollment, today)
        notify(member, "payment_recorded", payment=payment, summary=summary,
               currency=enrollment.program.currency, method_labels=METHOD_LABELS,
               link=external_url("stipends.my_stipend"))
    return payment, True


def void_payment(actor: User, payment: Payment, reason: str, now: datetime, *,
                 kind: VoidReason = VoidReason.OTHER) -> None:
    """Void a payment with a reason. It stays on the ledger, no longer counted, and the
    member is told by email in their language why and what happens next."""
    reason = (reason or "").strip()
    if not reason:
        raise PaymentRuleError("reason", _l("Say why this payment is voided."))
    _lock_ledger(payment.enrollment)
    db.session.refresh(payment)
    if payment.is_voided:
        raise PaymentRuleError("reason", _l("This payment was already voided."))
    payment.voided_by = actor
    payment.voided_at = now
    payment.void_reason = reason
    payment.void_reason_kind = kind
    enrollment = payment.enrollment
    record_event(actor, "payment.voided", "payment", payment.id,
                 member=enrollment.user.name, enrollment_id=payment.enrollment_id,
                 amount_cents=payment.amount_cents, paid_on=payment.paid_on.isoformat(),
                 reason=reason, reason_kind=kind.value)
    # Sent whatever the member's payment-email choice: it corrects what they were told,
    # and what they are owed may change.
    notify(enrollment.user, "payment_voided", payment=payment,
           summary=stipend_summary(enrollment, enrollment.program.local_today(now)),
           currency=enrollment.program.currency, method_labels=METHOD_LABELS,
           link=external_url("stipends.my_stipend"))


def set_tax_form_status(actor: User, enrollment: Enrollment, status: TaxFormStatus) -> bool:
    """Change where a member's tax form (W-9) stands; True if it changed."""
    previous = enrollment.tax_form_status
    if previous == status:
        return False
    enrollment.tax_form_status = status
    record_event(actor, "enrollment.tax_form_changed", "enrollment", enrollment.id,
                 member=enrollment.user.name, changes={
                     "tax_form_status": {"from": previous.value, "to": status.value}})
    return True


TAX_DETAIL_FIELDS = ("legal_name", "address_line1", "address_line2", "city", "state",
                     "postal_code")


def tax_details_of(user: User) -> TaxDetails | None:
    return db.session.scalars(select(TaxDetails).where(TaxDetails.user_id == user.id)).first()


def set_tax_details(actor: User, user: User, values: dict[str, str | None],
                    now: datetime) -> bool:
    """Keep a person's legal name and mailing address for tax forms; True if anything
    changed. The audit event names the fields that changed, never their contents,
    because the audit log is read by admins who may not see them."""
    details = tax_details_of(user)
    if details is None:
        details = TaxDetails(user=user)
        db.session.add(details)
    cleaned = {name: (values.get(name) or "").strip() or None for name in TAX_DETAIL_FIELDS}
    changed = [name for name in TAX_DETAIL_FIELDS if getattr(details, name) != cleaned[name]]
    if not changed:
        if details.id is None:
            db.session.expunge(details)
        return False
    for name in changed:
        setattr(details, name, cleaned[name])
    details.updated_by_id = actor.id
    details.updated_at = now
    record_event(actor, "tax_details.changed", "user", user.id, member=user.name,
                 changed=changed)
    return True


# --- Tax reporting threshold ---------------------------------------------------------------

def near_threshold_cents(threshold_cents: int) -> int:
    """"Near" the reporting threshold: three quarters of it, paid in the calendar year."""
    return threshold_cents * 3 // 4


def paid_in_year(user: User, year: int) -> int:
    """What one person was paid in a calendar year, in every program, voids left out."""
    return db.session.scalar(
        select(func.coalesce(func.sum(Payment.amount_cents), 0))
        .join(Enrollment, Enrollment.id == Payment.enrollment_id)
        .where(Enrollment.user_id == user.id, Payment.voided_at.is_(None),
               Payment.paid_on >= date(year, 1, 1), Payment.paid_on <= date(year, 12, 31))
    )


@dataclass(frozen=True)
class TaxCheck:
    """What a payment about to be recorded means for the payee's tax reporting."""

    year: int
    threshold_cents: int
    paid_before_cents: int  # in that calendar year, before this payment
    paid_after_cents: int
    tax_form_status: TaxFormStatus

    @property
    def reaches_threshold(self) -> bool:
        return self.paid_before_cents < self.threshold_cents <= self.paid_after_cents

    @property
    def already_over(self) -> bool:
        return self.paid_before_cents >= self.threshold_cents

    @property
    def comes_near(self) -> bool:
        return (not self.reaches_threshold and not self.already_over
                and self.paid_after_cents >= near_threshold_cents(self.threshold_cents))

    @property
    def tax_form_missing(self) -> bool:
        return self.tax_form_status != TaxFormStatus.RECEIVED


def tax_check(enrollment: Enrollment, amount_cents: int, paid_on: date,
              thresholds: dict[int, int]) -> TaxCheck:
    """How this payment stands against the reporting threshold of its calendar year."""
    before = paid_in_year(enrollment.user, paid_on.year)
    return TaxCheck(year=paid_on.year,
                    threshold_cents=reporting_threshold(paid_on.year, thresholds),
                    paid_before_cents=before, paid_after_cents=before + amount_cents,
                    tax_form_status=enrollment.tax_form_status)


# --- The finance overview ------------------------------------------------------------------

class OverviewFilter:
    ALL = "all"
    OWED = "owed"
    PAID_IN_FULL = "paid"
    TAX_FORM_MISSING = "tax_form"
    NEAR_THRESHOLD = "near_threshold"
    LEFT = "left"
    CHOICES = (ALL, OWED, PAID_IN_FULL, TAX_FORM_MISSING, NEAR_THRESHOLD, LEFT)


class OverviewSort:
    OWED = "owed"
    NAME = "name"
    REMAINING = "remaining"
    CHOICES = (OWED, NAME, REMAINING)


def _paid_by_enrollment(program: Program):
    # Narrowed to the program here, not only by the outer join: otherwise every payment
    # in every program is added up before the program's rows are picked.
    return (
        select(Payment.enrollment_id, func.sum(Payment.amount_cents).label("paid"))
        .join(Enrollment, Enrollment.id == Payment.enrollment_id)
        .where(Enrollment.program_id == program.id, Payment.voided_at.is_(None))
        .group_by(Payment.enrollment_id)
        .subquery("paid_so_far")
    )


def _attended_by_user(program: Program):
    return (
        select(Attendance.user_id, func.count(Attendance.id).label("attended"))
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .where(Meeting.program_id == program.id,
               Attendance.status.in_([AttendanceStatus.IN_PERSON, AttendanceStatus.VIRTUAL]))
        .group_by(Attendance.user_id)
        .subquery("attended")
    )


def _paid_in_year_by_user(program: Program, year: int):
    # Each member's total for the year counts their payments in every program: the
    # reporting threshold is about the person, not one season.
    members = select(Enrollment.user_id).where(Enrollment.program_id == program.id)
    return (
        select(Enrollment.user_id, func.sum(Payment.amount_cents).label("paid_in_year"))
        .join(Payment, Payment.enrollment_id == Enrollment.id)
        .where(Enrollment.user_id.in_(members), Payment.voided_at.is_(None),
               Payment.paid_on >= date(year, 1, 1), Payment.paid_on <= date(year, 12, 31))
        .group_by(Enrollment.user_id)
        .subquery("paid_in_year")
    )


def finance_overview(program: Program, today: date, *, show: str = OverviewFilter.ALL,
                     sort: str = OverviewSort.OWED, near_cents: int | None = None) -> Select:
    """One row per enrollment: (Enrollment, member's name, whether they may still sign in,
    paid, remaining, owed now, meetings attended, paid to them in today's calendar year).

    Nothing is owed to someone who withdrew or was deactivated. `near_cents` is the
    yearly total from which someone counts as near the tax reporting threshold.
    Everything is worked out in one query so a page of it costs the same
    whether the program has ten members or ten thousand.
    """
    paid = _paid_by_enrollment(program)
    attended = _attended_by_user(program)
    in_year = _paid_in_year_by_user(program, today.year)
    paid_col = func.coalesce(paid.c.paid, 0)
    in_year_col = func.coalesce(in_year.c.paid_in_year, 0)
    remaining_col = Enrollment.stipend_total_cents - paid_col
    due = _due_to_date(program, today)
    due_col = case((Enrollment.stipend_total_cents < due, Enrollment.stipend_total_cents),
                   else_=due)
    owed_col = case((and_(_takes_part(), due_col - paid_col > 0), due_col - paid_col),
                    else_=0)
    query = (
        select(Enrollment, User.name, User.active, paid_col.label("paid"),
               remaining_col.label("remaining"), owed_col.label("owed"),
               func.coalesce(attended.c.attended, 0).label("attended"),
               in_year_col.label("paid_in_year"))
        .join(User, User.id == Enrollment.user_id)
        .outerjoin(paid, paid.c.enrollment_id == Enrollment.id)
        .outerjoin(attended, attended.c.user_id == Enrollment.user_id)
        .outerjoin(in_year, in_year.c.user_id == Enrollment.user_id)
        .where(Enrollment.program_id == program.id)
    )
    if show == OverviewFilter.OWED:
        query = query.where(owed_col > 0)
    elif show == OverviewFilter.PAID_IN_FULL:
        query = query.where(remaining_col <= 0)
    elif show == OverviewFilter.TAX_FORM_MISSING:
        query = query.where(Enrollment.tax_form_status != TaxFormStatus.RECEIVED)
    elif show == OverviewFilter.NEAR_THRESHOLD and near_cents is not None:
        query = query.where(in_year_col >= near_cents)
    elif show == OverviewFilter.LEFT:
        query = query.where(~_takes_part())
    name = func.lower(User.name)
    if sort == OverviewSort.NAME:
        return query.order_by(name, Enrollment.id)
    if sort == OverviewSort.REMAINING:
        return query.order_by(remaining_col.desc(), name, Enrollment.id)
    return query.order_by(owed_col.desc(), name, Enrollment.id)


@dataclass(frozen=True)
class ProgramTotals:
    stipends_cents: int
    paid_cents: int
    owed_now_cents: int  # to people who still take part
    near_threshold: int = 0  # how many people are near or over the reporting threshold
    left: int = 0  # how many withdrew or were deactivated


def program_totals(program: Program, today: date, near_cents: int) -> ProgramTotals:
    """Money across the whole program, for the top of the finance overview."""
    rows = finance_overview(program, today).subquery()
    total, paid, owed, near, left = db.session.execute(select(
        func.coalesce(func.sum(rows.c.stipend_total_cents), 0),
        func.coalesce(func.sum(rows.c.paid), 0),
        func.coalesce(func.sum(rows.c.owed), 0),
        func.coalesce(func.sum(case((rows.c.paid_in_year >= near_cents, 1), else_=0)), 0),
        func.coalesce(func.sum(case((and_(rows.c.status == EnrollmentStatus.ACTIVE,
                                          rows.c.active.is_(True)), 0), else_=1)), 0),
    )).one()
    return ProgramTotals(int(total), int(paid), int(owed), int(near), int(left))


# --- Reports ----------------------------------------------------------------------------------

def reporting_threshold(year: int, thresholds: dict[int, int]) -> int:
    """The yearly total (cents) from which payments to one person must be reported."""
    applicable = [start for start in thresholds if start <= year]
    if not applicable:
        raise ValueError(f"No tax reporting threshold is configured for {year}.")
    return thresholds[max(applicable)]


def tax_year_totals(program: Program, year: int) -> Select:
    """(Enrollment, User, total paid in the calendar year, TaxDetails or None) for each
    member paid that year.

    A December–May season spans two calendar years; each payment counts in
    the year of its paid-on date. Voided payments do not count.
    """
    total = func.sum(Payment.amount_cents).label("total")
    return (
        select(Enrollment, User, total, TaxDetails)
        .join(Payment, Payment.enrollment_id == Enrollment.id)
        .join(User, User.id == Enrollment.user_id)
        .outerjoin(TaxDetails, TaxDetails.user_id == User.id)
        .where(Enrollment.program_id == program.id, Payment.voided_at.is_(None),
               Payment.paid_on >= date(year, 1, 1), Payment.paid_on <= date(year, 12, 31))
        .group_by(Enrollment.id, User.id, TaxDetails.id)
        .order_by(func.lower(User.name), Enrollment.id)
    )


def payment_years(program: Program, today: date) -> list[int]:
    """Calendar years with payments in this program, and this year, newest first."""
    years = set(db.session.scalars(
        select(extract("year", Payment.paid_on)).distinct()
        .join(Enrollment, Enrollment.id == Payment.enrollment_id)
        .where(Enrollment.program_id == program.id)
    ))
    years = {int(year) for year in years} | {today.year}
    return sorted(years, reverse=True)


def ledger_rows(program: Program) -> Select:
    """Every payment in a program, for the ledger export: (Payment, member's name,
    recorded by, voided by)."""
    member, recorder, voider = aliased(User), aliased(User), aliased(User)
    return (
        select(Payment, member.name, recorder.name, voider.name)
        .join(Enrollment, Enrollment.id == Payment.enrollment_id)
        .join(member, member.id == Enrollment.user_id)
        .join(recorder, recorder.id == Payment.recorded_by_id)
        .outerjoin(voider, voider.id == Payment.voided_by_id)
        .where(Enrollment.program_id == program.id)
        .order_by(Payment.paid_on, Payment.id)
    )
