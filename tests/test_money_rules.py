"""Finance tools that say what they mean: tax warnings before a payment is recorded, who is
near the reporting threshold, nothing due to people who left, voids told to the member, and
the legal name and mailing address a tax form needs."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.auth.models import Role
from portal.db import db
from portal.outbox.models import OutboxMessage
from portal.programs.models import Enrollment, EnrollmentStatus, Program, TaxFormStatus
from portal.programs.services import enroll
from portal.stipends.models import PaymentMethod, TaxDetails
from portal.stipends.services import (
    PaymentDetails,
    finance_overview,
    new_submission_key,
    program_totals,
    record_payment,
)
from tests.conftest import make_person
from tests.test_stipends import enrollment_of, pay, payment_data, payments

# The first half ($600) of the test program's stipend is due from 26 February 2027.
AFTER_FIRST_HALF = datetime(2027, 3, 1, 17, 0, tzinfo=UTC)


@pytest.fixture
def on_first_of_march(monkeypatch):
    import portal.stipends.views as views

    monkeypatch.setattr(views, "utcnow", lambda: AFTER_FIRST_HALF)


def confirm_page(client, enrollment_id: int, **values) -> str:
    data = payment_data(client, enrollment_id, **values)
    return client.post(f"/finance/members/{enrollment_id}/payments/new",
                       data={**data, "step": "review"}).get_data(as_text=True)


# 1. Tax warnings at the confirm step and near the threshold on the overview ----------------

def test_confirm_step_warns_when_the_tax_form_was_asked_for_but_not_received(as_role, people):
    enrollment = enrollment_of(people["member"])
    enrollment.tax_form_status = TaxFormStatus.REQUESTED
    db.session.commit()
    page = confirm_page(as_role("finance"), enrollment.id)
    assert "Check the payment before it is recorded" in page
    assert "The tax form (W-9) of <bdi>Mo Member</bdi> was asked for but has not been " \
           "received." in page

    enrollment.tax_form_status = TaxFormStatus.RECEIVED
    db.session.commit()
    assert "tax-form-warning" not in confirm_page(as_role("finance"), enrollment.id)


def test_confirm_step_says_plainly_when_a_payment_reaches_the_threshold(
        app, as_role, people, program, monkeypatch):
    monkeypatch.setitem(app.config, "TAX_REPORTING_THRESHOLDS", {1900: 60_000})
    member = people["member"]
    # An earlier season paid them $500 in 2026: the threshold is about the person.
    earlier = Program(name="Last season", season_start=date(2026, 1, 1),
                      season_end=date(2026, 6, 1), stipend_cents=50_000)
    db.session.add(earlier)
    enroll(member, earlier)
    db.session.commit()
    earlier_enrollment = next(e for e in enrollments_of(member) if e.program_id == earlier.id)
    record(people["finance"], earlier_enrollment, 50_000, date(2026, 5, 1))
    finance = as_role("finance")
    current = next(e for e in enrollments_of(member) if e.program_id == program.id)
    page = confirm_page(finance, current.id, amount="100", paid_on="2026-11-20")
    assert "This payment reaches the tax reporting threshold." in page
    assert "will have been paid $600.00 in 2026" in page and "From $600.00 in a year" in page

    below = confirm_page(finance, current.id, amount="50", paid_on="2026-11-20")
    assert "reaches the tax reporting threshold" not in below
    assert "near the $600.00 from which payments must be reported" in below
    # A payment dated in another calendar year starts that year's count afresh.
    other_year = confirm_page(finance, current.id, amount="100", paid_on="2025-12-20")
    assert "tax-threshold-warning" not in other_year


def enrollments_of(user) -> list[Enrollment]:
    return list(db.session.scalars(select(Enrollment).where(Enrollment.user_id == user.id)))


def record(finance, enrollment, cents: int, paid_on: date) -> None:
    record_payment(finance, enrollment, PaymentDetails(cents, paid_on, PaymentMethod.CHECK,
                                                       None, None),
                   submission_key=new_submission_key(), today=paid_on)
    db.session.commit()


def test_overview_shows_who_is_near_the_threshold_and_says_what_near_means(
        app, as_role, people, program, monkeypatch, on_first_of_march):
    monkeypatch.setitem(app.config, "TAX_REPORTING_THRESHOLDS", {1900: 100_000})
    near = make_person(program, Role.MEMBER, name="Nadia Near")
    over = make_person(program, Role.MEMBER, name="Omar Over")
    far = make_person(program, Role.MEMBER, name="Fay Far")
    pay(people["finance"], near, 80_000, date(2027, 2, 27))
    pay(people["finance"], over, 110_000, date(2027, 2, 27))
    pay(people["finance"], far, 70_000, date(2027, 2, 27))
    pay(people["finance"], far, 30_000, date(2026, 12, 20))  # another calendar year
    finance = as_role("finance")
    page = finance.get("/finance").get_data(as_text=True)
    assert "Near the tax reporting threshold means paid at least $750.00 in 2027" in page
    assert "Near or over the tax reporting threshold</a>: <strong>2</strong>" in page
    assert "Near the threshold" in page and "Must be reported" in page
    listed = finance.get("/finance?show=near_threshold").get_data(as_text=True)
    assert "Nadia Near" in listed and "Omar Over" in listed
    assert "Fay Far" not in listed and "Mo Member" not in listed


# 2. Nothing is due to someone who withdrew or was deactivated ---------------------------------

def test_nothing_is_due_to_people_who_left_and_each_row_says_why(
        as_role, people, program, on_first_of_march):
    gone = make_person(program, Role.MEMBER, name="Dee Deactivated")
    gone.active = False
    left = make_person(program, Role.MEMBER, name="Wes Withdrawn")
    enrollment_of(left).status = EnrollmentStatus.WITHDRAWN
    db.session.commit()
    on = AFTER_FIRST_HALF.date()
    owed = {name: owed for _, name, _, _, _, owed, *_ in
            db.session.execute(finance_overview(program, on))}
    assert owed["Dee Deactivated"] == 0 and owed["Wes Withdrawn"] == 0
    assert owed["Mo Member"] == 60_000
    totals = program_totals(program, on, 10**9)
    assert totals.owed_now_cents == 2 * 60_000 and totals.left == 2

    finance = as_role("finance")
    page = finance.get("/finance").get_data(as_text=True)
    assert "Due now: <strong>$1,200.00</strong>" in page
    assert "Nothing due: deactivated" in page and "Nothing due: left the program" in page
    assert "Deactivated</span>" in page and "Withdrawn</span>" in page
    assert "Dee Deactivated" not in finance.get("/finance?show=owed").get_data(as_text=True)

    ledger = finance.get(f"/finance/members/{enrollment_of(gone).id}").get_data(as_text=True)
    assert "was deactivated and can no longer sign in, so nothing is due to them" in ledger
    assert "Record a payment" in ledger  # finance may still decide to pay
    form = finance.get(f"/finance/members/{enrollment_of(left).id}/payments/new")
    text = form.get_data(as_text=True)
    assert "Due now: $0.00." in text and "withdrew from the program" in text
    assert 'name="amount" type="text" value=""' in text or 'value=""' in text


def test_a_member_who_withdrew_is_told_no_more_payments_are_planned(as_role, people):
    enrollment_of(people["member"]).status = EnrollmentStatus.WITHDRAWN
    db.session.commit()
    page = as_role("member").get("/stipend").get_data(as_text=True)
    assert "You have left the program, so no more payments are planned." in page
    assert "around February 26, 2027" not in page


# 3. A void is told to the member ------------------------------------------------------------

def test_voiding_emails_the_member_in_their_language_why_and_what_happens_next(
        as_role, people):
    payment = pay(people["finance"], people["member_es"], 60_000, reference="Cheque 1043")
    finance = as_role("finance")
    response = finance.post(f"/finance/payments/{payment.id}/void",
                            data={"reason": "Internal: stopped at the bank", "reason_kind": "lost"})
    assert response.status_code == 302
    page = finance.get(response.location).get_data(as_text=True)
    assert "is told why, by email or text as they chose" in page
    [message] = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.recipient_id == people["member_es"].id,
        OutboxMessage.subject.like("%cancel%"))).all()
    assert message.language == "es"
    assert "$600.00" in message.subject  # Spanish as written in the US
    assert "se perdió" in message.body  # the reason, in plain Spanish
    assert "Qué pasa ahora" in message.body  # and what happens next
    assert "stopped at the bank" not in message.body  # the staff's own note stays in-house
    assert "/stipend" in message.body


def test_a_void_for_a_double_entry_tells_the_member_nothing_is_missing(as_role, people):
    payment = pay(people["finance"], people["member"], 60_000)
    as_role("finance").post(f"/finance/payments/{payment.id}/void",
                            data={"reason": "Typed twice", "reason_kind": "recorded_twice"})
    message = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.subject.like("%cancelled%"))).one()
    assert "You were paid once, and nothing is missing." in message.body
    assert "What happens next: nothing." in message.body


def test_void_needs_to_say_what_went_wrong(as_role, people):
    payment = pay(people["finance"], people["member"], 60_000)
    page = as_role("finance").post(f"/finance/payments/{payment.id}/void",
                                   data={"reason": "Lost"}).get_data(as_text=True)
    assert "Choose what went wrong." in page and "Lost" in page
    assert not payments()[0].is_voided


# 4. Legal name and mailing address, for finance only ---------------------------------------

TAX_DETAILS = {"legal_name": "María José Lopes", "address_line1": "12 Dudley St",
               "address_line2": "Apt 3", "city": "Roxbury", "state": "MA",
               "postal_code": "02119"}


def test_finance_keeps_the_legal_name_and_address_and_the_tax_csv_has_them(
        as_role, people):
    member = people["member"]
    enrollment_id = enrollment_of(member).id
    finance = as_role("finance")
    response = finance.post(f"/finance/members/{enrollment_id}/tax-details", data=TAX_DETAILS)
    assert response.status_code == 302
    ledger = finance.get(response.location).get_data(as_text=True)
    assert "María José Lopes" in ledger and "12 Dudley St" in ledger
    details = db.session.scalars(select(TaxDetails)).one()
    assert (details.legal_name, details.postal_code) == ("María José Lopes", "02119")
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "tax_details.changed")).one()
    assert event.details["changed"] == list(TAX_DETAILS)
    assert "Dudley" not in str(event.details) and "María" not in str(event.details)

    pay(people["finance"], member, 60_000, date(2026, 11, 20))
    rows = list(csv.reader(io.StringIO(
        finance.get("/finance/tax-year/2026.csv").get_data(as_text=True))))
    header = rows[0]
    row = dict(zip(header, rows[1], strict=True))
    assert row["Legal name"] == "María José Lopes"
    assert (row["Street address"], row["Apartment, suite or unit"], row["City"], row["State"],
            row["ZIP code"]) == ("12 Dudley St", "Apt 3", "Roxbury", "MA", "02119")

    # Saving the same again changes nothing and writes no second event.
    finance.post(f"/finance/members/{enrollment_id}/tax-details", data=TAX_DETAILS)
    assert db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "tax_details.changed")).all() == [event]


def test_nobody_but_finance_sees_the_legal_name_or_address(as_role, people):
    member = people["member"]
    enrollment_id = enrollment_of(member).id
    as_role("finance").post(f"/finance/members/{enrollment_id}/tax-details", data=TAX_DETAILS)
    admin = as_role("admin")
    assert admin.get(f"/finance/members/{enrollment_id}/tax-details").status_code == 403
    for path in ("/admin/audit", "/admin/audit.csv", f"/admin/people/{member.id}"):
        page = admin.get(path).get_data(as_text=True)
        assert "Dudley" not in page and "María José" not in page, path
    for path in ("/stipend", "/profile", "/"):
        page = as_role("member").get(path).get_data(as_text=True)
        assert "Dudley" not in page, path


def test_tax_details_refuse_control_characters_and_keep_what_was_typed(as_role, people):
    enrollment_id = enrollment_of(people["member"]).id
    page = as_role("finance").post(f"/finance/members/{enrollment_id}/tax-details",
                                   data={**TAX_DETAILS, "city": "Rox\x00bury"}).get_data(
        as_text=True)
    assert "Error:" in page and "12 Dudley St" in page
    assert db.session.scalars(select(TaxDetails)).all() == []
