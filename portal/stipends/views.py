"""A member's own stipend; finance staff's overview, ledgers, payments, voids and reports."""

from __future__ import annotations

from collections.abc import Iterator

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.access import keeps_own_csrf, roles_required, signed_in
from portal.auth.models import Role, User
from portal.auth.recent import (
    confirm_password,
    password_entered_recently,
    too_many_wrong_passwords,
)
from portal.auth.views import sign_out_after_wrong_passwords
from portal.csv_export import ROWS_PER_FETCH, csv_download, decimal_amount, xlsx_download
from portal.db import db, paginate_rows, utcnow
from portal.i18n import money
from portal.programs.current import current_program, current_program_or_404
from portal.programs.models import Enrollment, Program, TaxFormStatus
from portal.stipends.forms import PaymentForm, TaxDetailsForm, TaxFormForm, VoidForm
from portal.stipends.labels import (
    METHOD_LABELS,
    STANDING_LABELS,
    TAX_FORM_LABELS,
    VOID_REASON_LABELS,
)
from portal.stipends.models import Payment, PaymentMethod, VoidReason
from portal.stipends.services import (
    TAX_DETAIL_FIELDS,
    OverviewFilter,
    OverviewSort,
    PaymentDetails,
    PaymentRuleError,
    check_payment,
    finance_overview,
    ledger_rows,
    near_threshold_cents,
    new_submission_key,
    payment_years,
    payments_query,
    program_totals,
    record_payment,
    reporting_threshold,
    set_tax_details,
    set_tax_form_status,
    stipend_summary,
    tax_check,
    tax_details_of,
    tax_year_totals,
    void_payment,
)
from portal.texts.services import reachable
from portal.web import page_number, whole_number

bp = Blueprint("stipends", __name__)

def _filter_labels() -> dict[str, str]:
    return {
        OverviewFilter.ALL: _("Everyone"),
        OverviewFilter.OWED: _("Payment due now"),
        OverviewFilter.PAID_IN_FULL: _("Paid in full"),
        OverviewFilter.TAX_FORM_MISSING: _("Tax form not received"),
        OverviewFilter.NEAR_THRESHOLD: _("Near or over the tax reporting threshold"),
        OverviewFilter.LEFT: _("Withdrawn or deactivated"),
    }


def _sort_labels() -> dict[str, str]:
    return {
        OverviewSort.OWED: _("Most due first"),
        OverviewSort.REMAINING: _("Most left to pay first"),
        OverviewSort.NAME: _("Name"),
    }


def get_enrollment(enrollment_id: int) -> Enrollment:
    enrollment = db.session.get(Enrollment, enrollment_id, options=[
        joinedload(Enrollment.user).lazyload(User.role_grants), joinedload(Enrollment.program)])
    if enrollment is None:
        abort(404)
    return enrollment


def get_payment(payment_id: int) -> Payment:
    payment = db.session.get(Payment, payment_id)
    if payment is None:
        abort(404)
    return payment


def _finance_program() -> Program:
    """The program named in ?program=, or the current one."""
    requested = whole_number(request.args.get("program"))
    if requested is None:
        return current_program_or_404()
    return db.get_or_404(Program, requested)


def _program_choices() -> list:
    """(id, name) of every program, newest season first, for the program switcher."""
    return db.session.execute(select(Program.id, Program.name).order_by(
        Program.season_start.desc(), Program.id)).all()


# --- Members ---------------------------------------------------------------------------------

@bp.route("/stipend")
@signed_in
def my_stipend():
    # Their own money stays theirs to see after a withdrawal: the enrollment of the
    # program they see, or else their latest one.
    program = current_program()
    enrollment = db.session.scalars(
        select(Enrollment).where(Enrollment.user_id == current_user.id)
        .order_by(Enrollment.program_id != (program.id if program else 0),
                  Enrollment.id.desc())).first()
    if enrollment is None:
        return render_template("stipends/my_stipend.html", enrollment=None)
    today = enrollment.program.local_today(utcnow())
    return render_template("stipends/my_stipend.html", enrollment=enrollment,
                           summary=stipend_summary(enrollment, today),
                           payments=_payments_page(enrollment), method_labels=METHOD_LABELS)


def _payments_page(enrollment: Enrollment):
    """One page of a ledger's payments; the summary above it counts them all."""
    return db.paginate(payments_query(enrollment), page=page_number(),
                       per_page=current_app.config["PAYMENTS_PER_PAGE"], error_out=False)


# --- Finance ---------------------------------------------------------------------------------

@bp.route("/finance")
@roles_required(Role.FINANCE)
def overview():
    program = _finance_program()
    today = program.local_today(utcnow())
    show = request.args.get("show", OverviewFilter.ALL)
    show = show if show in OverviewFilter.CHOICES else OverviewFilter.ALL
    sort = request.args.get("sort", OverviewSort.OWED)
    sort = sort if sort in OverviewSort.CHOICES else OverviewSort.OWED
    threshold = reporting_threshold(today.year, current_app.config["TAX_REPORTING_THRESHOLDS"])
    near = near_threshold_cents(threshold)
    page = paginate_rows(finance_overview(program, today, show=show, sort=sort, near_cents=near),
                         page_number(), current_app.config["ENROLLMENTS_PER_PAGE"])
    return render_template(
        "stipends/overview.html", finance_program=program, page=page, show=show, sort=sort,
        filter_labels=_filter_labels(), sort_labels=_sort_labels(),
        totals=program_totals(program, today, near), today=today, threshold=threshold,
        near_cents=near, programs=_program_choices(), tax_form_labels=TAX_FORM_LABELS,
        standing_labels=STANDING_LABELS)


@bp.route("/finance/members/<int:enrollment_id>")
@roles_required(Role.FINANCE)
def ledger(enrollment_id: int):
    enrollment = get_enrollment(enrollment_id)
    today = enrollment.program.local_today(utcnow())
    tax_form = TaxFormForm(tax_form_status=enrollment.tax_form_status.value)
    return render_template("stipends/ledger.html", enrollment=enrollment,
                           summary=stipend_summary(enrollment, today),
                           payments=_payments_page(enrollment), method_labels=METHOD_LABELS,
                           tax_form=tax_form, tax_form_labels=TAX_FORM_LABELS,
                           tax_details=tax_details_of(enrollment.user),
                           standing_labels=STANDING_LABELS,
                           void_reason_labels=VOID_REASON_LABELS)


def _has_usable_key(form: PaymentForm) -> bool:
    key = form.submission_key.data or ""
    return 16 <= len(key) <= 64 and key.replace("-", "").replace("_", "").isalnum()


def _payment_page(template: str, enrollment: Enrollment, form: PaymentForm, summary):
    check = None
    if template == "stipends/payment_confirm.html":
        # What this payment means for the payee's tax reporting, said before it is recorded.
        check = tax_check(enrollment, form.amount.data, form.paid_on.data,
                          current_app.config["TAX_REPORTING_THRESHOLDS"])
    return render_template(
        template, enrollment=enrollment, form=form, summary=summary, tax_check=check,
        method_labels=METHOD_LABELS, standing_labels=STANDING_LABELS,
        tax_form_labels=TAX_FORM_LABELS,
        password_needed=not password_entered_recently(utcnow()))


@bp.route("/finance/members/<int:enrollment_id>/payments/new", methods=["GET", "POST"])
@roles_required(Role.FINANCE)
@keeps_own_csrf
def record(enrollment_id: int):
    """Fill in a payment, see what will be recorded, then record it."""
    enrollment = get_enrollment(enrollment_id)
    today = enrollment.program.local_today(utcnow())
    form = PaymentForm()
    step = request.form.get("step", "review")
    # The record step reads the total under the row lock instead, in record_payment.
    summary = stipend_summary(enrollment, today) if step != "record" else None
    if request.method == "GET":
        form.submission_key.data = new_submission_key()
        form.paid_on.data = today
        form.method.data = PaymentMethod.CHECK.value
        form.amount.data = summary.suggested_payment_cents
        return _payment_page("stipends/payment_form.html", enrollment, form, summary)

    if not _has_usable_key(form):
        form.submission_key.data = new_submission_key()
    if not form.validate() or step == "change":
        return _payment_page("stipends/payment_form.html", enrollment, form,
                             summary or stipend_summary(enrollment, today))
    details = PaymentDetails(
        amount_cents=form.amount.data, paid_on=form.paid_on.data,
        method=PaymentMethod(form.method.data), reference=form.reference.data,
        note=form.note.data)
    if step != "record":
        try:
            check_payment(enrollment, details.amount_cents, details.paid_on, today,
                          already_paid=summary.paid_cents)
        except PaymentRuleError as error:
            form.add_error(error.field, error.message)
            return _payment_page("stipends/payment_form.html", enrollment, form, summary)
        return _payment_page("stipends/payment_confirm.html", enrollment, form, summary)

    now = utcnow()
    if not password_entered_recently(now) and not confirm_password(
            current_user, form.password.data, now):
        if too_many_wrong_passwords(current_user):
            return sign_out_after_wrong_passwords()
        form.add_error("password", _("Enter your password. It did not match, or it was empty."))
        return _payment_page("stipends/payment_confirm.html", enrollment, form,
                             stipend_summary(enrollment, today))
    try:
        payment, is_new = record_payment(current_user._get_current_object(), enrollment, details,
                                         submission_key=form.submission_key.data, today=today)
    except PaymentRuleError as error:
        db.session.rollback()
        form.add_error(error.field, error.message)
        return _payment_page("stipends/payment_form.html", enrollment, form,
                             stipend_summary(enrollment, today))
    db.session.commit()
    if is_new:
        flash(_("Recorded: %(amount)s paid to %(name)s.",
                amount=money(payment.amount_cents, enrollment.program.currency),
                name=enrollment.user.name), "success")
    else:
        flash(_("This payment was already recorded, so it was not recorded a second time."),
              "info")
    return redirect(url_for("stipends.ledger", enrollment_id=enrollment.id))


@bp.route("/finance/payments/<int:payment_id>/void", methods=["GET", "POST"])
@roles_required(Role.FINANCE)
@keeps_own_csrf
def void(payment_id: int):
    payment = get_payment(payment_id)
    back = url_for("stipends.ledger", enrollment_id=payment.enrollment_id)
    if payment.is_voided:
        flash(_("This payment was already voided."), "info")
        return redirect(back)
    form = VoidForm()
    now = utcnow()
    password_needed = not password_entered_recently(now)
    if form.validate_on_submit():
        if password_needed and not confirm_password(current_user, form.password.data, now):
            if too_many_wrong_passwords(current_user):
                return sign_out_after_wrong_passwords()
            form.add_error("password",
                           _("Enter your password. It did not match, or it was empty."))
        else:
            try:
                void_payment(current_user._get_current_object(), payment, form.reason.data, now,
                             kind=VoidReason(form.reason_kind.data))
            except PaymentRuleError as error:
                db.session.rollback()
                form.add_error(error.field, error.message)
            else:
                db.session.commit()
                if reachable(payment.enrollment.user):
                    flash(_("The payment is voided. It stays on the ledger, crossed out. "
                            "%(name)s is told why, by email or text as they chose.",
                            name=payment.enrollment.user.name), "success")
                else:
                    flash(_("The payment is voided. It stays on the ledger, crossed out. "
                            "No email or text reaches %(name)s: tell them yourself.",
                            name=payment.enrollment.user.name), "success")
                return redirect(back)
    return render_template("stipends/void.html", payment=payment, form=form,
                           method_labels=METHOD_LABELS,
                           password_needed=not password_entered_recently(now))


@bp.route("/finance/members/<int:enrollment_id>/tax-form", methods=["POST"])
@roles_required(Role.FINANCE)
def tax_form(enrollment_id: int):
    enrollment = get_enrollment(enrollment_id)
    form = TaxFormForm()
    if form.validate():
        if set_tax_form_status(current_user._get_current_object(), enrollment,
                               TaxFormStatus(form.tax_form_status.data)):
            db.session.commit()
            flash(_("The tax form status is saved."), "success")
    else:
        flash(_("Choose one of the options."), "error")
    return redirect(url_for("stipends.ledger", enrollment_id=enrollment.id))


@bp.route("/finance/members/<int:enrollment_id>/tax-details", methods=["GET", "POST"])
@roles_required(Role.FINANCE)
@keeps_own_csrf
def tax_details(enrollment_id: int):
    """The legal name and mailing address a tax form needs; finance staff only."""
    enrollment = get_enrollment(enrollment_id)
    saved = tax_details_of(enrollment.user)
    form = TaxDetailsForm(obj=saved if request.method == "GET" else None)
    if form.validate_on_submit():
        values = {name: getattr(form, name).data for name in TAX_DETAIL_FIELDS}
        if set_tax_details(current_user._get_current_object(), enrollment.user, values,
                           utcnow()):
            db.session.commit()
            flash(_("The legal name and mailing address are saved."), "success")
        return redirect(url_for("stipends.ledger", enrollment_id=enrollment.id))
    return render_template("stipends/tax_details.html", enrollment=enrollment, form=form)


# --- Reports ---------------------------------------------------------------------------------

def _report_year(program: Program, today) -> tuple[int, list[int]]:
    years = payment_years(program, today)
    requested = whole_number(request.args.get("year"), 9999)
    year = requested if requested in years else years[0]
    return year, years


@bp.route("/finance/tax-year")
@roles_required(Role.FINANCE)
def tax_year():
    program = _finance_program()
    today = program.local_today(utcnow())
    year, years = _report_year(program, today)
    threshold = reporting_threshold(year, current_app.config["TAX_REPORTING_THRESHOLDS"])
    page = paginate_rows(tax_year_totals(program, year), page_number(),
                         current_app.config["ENROLLMENTS_PER_PAGE"])
    return render_template("stipends/tax_year.html", finance_program=program, year=year,
                           years=years, threshold=threshold, page=page,
                           tax_form_labels=TAX_FORM_LABELS)


def _ledger_table(program) -> tuple[list, Iterator[tuple]]:
    header = [_("Payment number"), _("Member"), _("Date paid"), _("Amount"), _("Currency"),
              _("How it was paid"), _("Reference"), _("Note"), _("Recorded by"),
              _("Recorded at (UTC)"), _("Status"), _("Voided by"), _("Voided at (UTC)"),
              _("Why it was voided")]
    methods = {method.value: str(label) for method, label in METHOD_LABELS.items()}
    voided, counted = _("Voided"), _("Paid")
    query, currency = ledger_rows(program), program.currency

    def rows():
        # Runs while the download is written, fetching a few hundred rows at a time.
        result = db.session.execute(query.execution_options(yield_per=ROWS_PER_FETCH))
        for payment, member, recorder, voider in result:
            yield (payment.id, member, payment.paid_on,
                   decimal_amount(payment.amount_cents), currency,
                   methods[payment.method.value], payment.reference, payment.note, recorder,
                   payment.recorded_at.strftime("%Y-%m-%d %H:%M"),
                   voided if payment.voided_at else counted, voider,
                   payment.voided_at.strftime("%Y-%m-%d %H:%M") if payment.voided_at else "",
                   payment.void_reason)

    return header, rows()


@bp.route("/finance/ledger.csv")
@roles_required(Role.FINANCE)
def ledger_csv():
    program = _finance_program()
    header, rows = _ledger_table(program)
    return csv_download(header, rows, f"stipend-ledger-program-{program.id}.csv")


@bp.route("/finance/ledger.xlsx")
@roles_required(Role.FINANCE)
def ledger_xlsx():
    program = _finance_program()
    header, rows = _ledger_table(program)
    return xlsx_download(header, rows, f"stipend-ledger-program-{program.id}.xlsx",
                         _("Payments"))


def _tax_year_table(program, year: int) -> tuple[list, Iterator[tuple]]:
    if not 1900 <= year <= 9999:
        abort(404)
    threshold = reporting_threshold(year, current_app.config["TAX_REPORTING_THRESHOLDS"])
    header = [_("Member"), _("Email address"), _("Year"), _("Total paid"), _("Currency"),
              _("Reaches the reporting threshold"), _("Tax form (W-9)"), _("Legal name"),
              _("Street address"), _("Apartment, suite or unit"), _("City"), _("State"),
              _("ZIP code")]
    yes, no = _("Yes"), _("No")
    forms = {status.value: str(label) for status, label in TAX_FORM_LABELS.items()}
    query, currency = tax_year_totals(program, year), program.currency

    def rows():
        result = db.session.execute(query.execution_options(yield_per=ROWS_PER_FETCH))
        for enrollment, user, total, details in result:
            yield (user.name, user.email, year, decimal_amount(total), currency,
                   yes if total >= threshold else no, forms[enrollment.tax_form_status.value],
                   *(getattr(details, name) if details else None
                     for name in TAX_DETAIL_FIELDS))

    return header, rows()


@bp.route("/finance/tax-year/<int:year>.csv")
@roles_required(Role.FINANCE)
def tax_year_csv(year: int):
    program = _finance_program()
    header, rows = _tax_year_table(program, year)
    return csv_download(header, rows, f"tax-year-{year}-program-{program.id}.csv")


@bp.route("/finance/tax-year/<int:year>.xlsx")
@roles_required(Role.FINANCE)
def tax_year_xlsx(year: int):
    program = _finance_program()
    header, rows = _tax_year_table(program, year)
    return xlsx_download(header, rows, f"tax-year-{year}-program-{program.id}.xlsx",
                         _("Tax year %(year)d", year=year))
