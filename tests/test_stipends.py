"""Stipends: a member's own page, recording with a confirmation step, the total as a hard
limit (also under concurrency), voids that never delete, the recent-sign-in rule, tax forms,
tax-year totals across two calendar years, and streamed CSV exports."""

from __future__ import annotations

import csv
import io
import re
import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.auth.models import Role, User
from portal.config import ConfigError, parse_thresholds
from portal.db import db, utcnow
from portal.outbox.models import OutboxMessage
from portal.programs.models import Enrollment, TaxFormStatus
from portal.stipends.models import Payment, PaymentIsPermanent, PaymentMethod
from portal.stipends.services import (
    PaymentDetails,
    PaymentRuleError,
    finance_overview,
    new_submission_key,
    record_payment,
    reporting_threshold,
    stipend_summary,
    void_payment,
)
from tests.conftest import PASSWORD, make_person, queries_for, sign_in

TODAY = date(2026, 11, 23)


def enrollment_of(user: User) -> Enrollment:
    return db.session.scalars(select(Enrollment).where(Enrollment.user_id == user.id)).one()


def pay(finance: User, member: User, cents: int, paid_on: date = TODAY,
        method: PaymentMethod = PaymentMethod.CHECK, reference: str | None = None,
        note: str | None = None) -> Payment:
    payment, _ = record_payment(finance, enrollment_of(member),
                                PaymentDetails(cents, paid_on, method, reference, note),
                                submission_key=new_submission_key(), today=max(TODAY, paid_on))
    db.session.commit()
    return payment


def payments() -> list[Payment]:
    db.session.expire_all()
    return list(db.session.scalars(select(Payment).order_by(Payment.id)))


def form_for(client, enrollment_id: int) -> dict:
    """The payment form's hidden key, as the browser gets it."""
    page = client.get(f"/finance/members/{enrollment_id}/payments/new").get_data(as_text=True)
    return {"submission_key": re.search(
        r'name="submission_key" type="hidden" value="([^"]+)"', page)[1]}


def payment_data(client, enrollment_id: int, **values) -> dict:
    data = {**form_for(client, enrollment_id), "amount": "600", "paid_on": "2026-11-20",
            "method": "check", "reference": "Check 2001", "note": ""}
    data.update(values)
    return data


# A member's own stipend ------------------------------------------------------------------

def test_member_sees_total_paid_remaining_and_each_payment_in_their_language(
        as_role, people):
    pay(people["finance"], people["member_es"], 60_000, date(2026, 11, 20),
        PaymentMethod.DIRECT_DEPOSIT)
    page = as_role("member_es").get("/stipend").get_data(as_text=True)
    assert 'lang="es"' in page
    # Spanish as written in the United States, where the members live.
    assert "$600.00" in page and "$1,200.00" in page
    assert "20 de noviembre de 2026" in page
    assert "status--ok" in page and "status--error" not in page


def test_member_sees_next_installment_and_voided_payment_as_cancelled(as_role, people):
    first = pay(people["finance"], people["member"], 60_000, date(2026, 11, 20))
    void_payment(people["finance"], first, "Check lost", utcnow())
    pay(people["finance"], people["member"], 60_000, date(2026, 11, 21),
        PaymentMethod.DIRECT_DEPOSIT)
    page = as_role("member").get("/stipend").get_data(as_text=True)
    assert "You have received $600.00 of $1,200.00." in page
    assert "$600.00 around February 26, 2027" not in page  # the first half is covered
    assert "$600.00 around May 28, 2027" in page
    assert "<s>$600.00</s>" in page and "was cancelled and does not count" in page
    assert "Check lost" not in page  # the finance team's reason is not shown to the member
    assert "Direct deposit" in page


def test_member_sees_only_their_own_payments(as_role, people):
    pay(people["finance"], people["member"], 12_345)
    pay(people["finance"], people["member_es"], 23_456)
    member = as_role("member")
    page = member.get("/stipend").get_data(as_text=True)
    assert "$123.45" in page and "$234.56" not in page
    other = enrollment_of(people["member_es"]).id
    for path in (f"/finance/members/{other}", f"/finance/members/{other}/payments/new",
                 "/finance", "/finance/ledger.csv", "/finance/tax-year",
                 "/finance/tax-year/2026.csv",
                 f"/finance/payments/{payments()[1].id}/void"):
        response = member.get(path)
        assert response.status_code == 403, path
        assert b"23456" not in response.data and b"234.56" not in response.data


def test_staff_without_an_enrollment_are_told_they_have_no_stipend(as_role):
    page = as_role("facilitator").get("/stipend").get_data(as_text=True)
    assert "You do not have a stipend in this program." in page


@pytest.mark.parametrize("role", ["admin", "facilitator"])
def test_finance_pages_are_for_the_finance_role_only(as_role, people, role):
    enrollment_id = enrollment_of(people["member"]).id
    client = as_role(role)
    for path in ("/finance", f"/finance/members/{enrollment_id}", "/finance/tax-year",
                 f"/finance/members/{enrollment_id}/payments/new", "/finance/ledger.csv"):
        assert client.get(path).status_code == 403, path
    assert client.post(f"/finance/members/{enrollment_id}/payments/new",
                       data={"amount": "600"}).status_code == 403
    assert payments() == []


# Recording -------------------------------------------------------------------------------

def test_recording_shows_what_will_be_recorded_then_records_audits_and_emails(
        as_role, people):
    finance = as_role("finance")
    enrollment_id = enrollment_of(people["member_es"]).id
    data = payment_data(finance, enrollment_id, amount="600.00", note="First half")
    confirm = finance.post(f"/finance/members/{enrollment_id}/payments/new",
                           data={**data, "step": "review"}).get_data(as_text=True)
    assert "Check the payment before it is recorded" in confirm
    assert "$600.00" in confirm and "November 20, 2026" in confirm and "Check 2001" in confirm
    assert "After this payment, $600.00 will be left to pay." in confirm
    assert payments() == []  # nothing is saved before the confirmation

    response = finance.post(f"/finance/members/{enrollment_id}/payments/new",
                            data={**data, "step": "record"})
    assert response.status_code == 302
    [payment] = payments()
    assert (payment.amount_cents, payment.paid_on, payment.method, payment.reference,
            payment.note) == (60_000, date(2026, 11, 20), "check", "Check 2001", "First half")
    assert payment.recorded_by_id == people["finance"].id
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "payment.recorded")).one()
    assert event.details["amount_cents"] == 60_000 and event.actor_id == people["finance"].id
    message = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.recipient_id == people["member_es"].id)).one()
    assert message.language == "es"
    assert "$600.00" in message.subject and "/stipend" in message.body
    assert "Recorded: $600.00 paid to Rosa Miembro." in finance.get(
        response.location).get_data(as_text=True)


def test_member_who_opted_out_of_payment_emails_gets_none(people):
    people["member"].notify_payments = False
    db.session.commit()
    pay(people["finance"], people["member"], 10_000)
    assert db.session.scalars(select(OutboxMessage)).all() == []


def test_sending_the_same_form_twice_records_one_payment(as_role, people):
    finance = as_role("finance")
    enrollment_id = enrollment_of(people["member"]).id
    data = {**payment_data(finance, enrollment_id), "step": "record"}
    first = finance.post(f"/finance/members/{enrollment_id}/payments/new", data=data)
    second = finance.post(f"/finance/members/{enrollment_id}/payments/new", data=data)
    assert first.status_code == second.status_code == 302
    assert len(payments()) == 1
    page = finance.get(second.location).get_data(as_text=True)
    assert "already recorded, so it was not recorded a second time" in page


def test_a_payment_past_the_total_is_refused_and_the_form_keeps_what_was_typed(
        as_role, people):
    pay(people["finance"], people["member"], 100_000)
    finance = as_role("finance")
    enrollment_id = enrollment_of(people["member"]).id
    for step in ("review", "record"):
        response = finance.post(f"/finance/members/{enrollment_id}/payments/new",
                                data=payment_data(finance, enrollment_id, amount="250",
                                                  reference="Check 77", step=step))
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "At most $200.00 is left to pay." in page
        assert 'value="250"' in page and 'value="Check 77"' in page
        assert "<title>Error:" in page
    assert [p.amount_cents for p in payments()] == [100_000]


def test_a_paid_in_full_stipend_takes_no_more(data_app, people):
    pay(people["finance"], people["member"], 120_000)
    with pytest.raises(PaymentRuleError) as refused:
        pay(people["finance"], people["member"], 1)
    with data_app.test_request_context():
        assert "already paid in full" in str(refused.value.message)
    db.session.rollback()
    assert stipend_summary(enrollment_of(people["member"]), TODAY).remaining_cents == 0


@pytest.mark.parametrize(("field", "value", "message"), [
    ("amount", "", "Enter the amount."),
    ("amount", "abc", "Enter an amount in dollars, like 600 or 600.00."),
    ("amount", "-50", "Enter an amount greater than zero."),
    ("amount", "0", "Enter an amount greater than zero."),
    ("amount", "600,5", "Enter an amount in dollars, like 600 or 600.00."),
    ("amount", "10.005", "Enter an amount in dollars, like 600 or 600.00."),
    ("amount", "99999999999999999999", "Enter an amount"),
    ("paid_on", "2026-02-30", "Enter a real date, like 2026-12-02."),
    ("paid_on", "2099-01-01", "The payment date cannot be in the future."),
    ("paid_on", "1999-12-31", "Check the year of the payment date."),
    ("method", "bitcoin", "Choose one of the options."),
    ("reference", "x" * 81, "Use 80 characters or fewer."),
    ("note", "bad\x00note", "Remove the invisible control characters from this text."),
])
def test_bad_payment_input_gets_a_clear_message_and_records_nothing(
        as_role, people, field, value, message):
    finance = as_role("finance")
    enrollment_id = enrollment_of(people["member"]).id
    response = finance.post(f"/finance/members/{enrollment_id}/payments/new",
                            data=payment_data(finance, enrollment_id, step="record",
                                              **{field: value}))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert payments() == []


def test_bad_input_message_is_in_the_finance_officers_language(app, people):
    people["finance"].preferred_language = "es"
    db.session.commit()
    client = app.test_client()
    sign_in(client, people["finance"])
    enrollment_id = enrollment_of(people["member"]).id
    page = client.post(f"/finance/members/{enrollment_id}/payments/new",
                       data=payment_data(client, enrollment_id, amount="abc",
                                         step="review")).get_data(as_text=True)
    assert 'lang="es"' in page and "Enter an amount in dollars" not in page


def test_simultaneous_payments_never_take_a_member_past_their_total(app, people):
    enrollment_id = enrollment_of(people["member"]).id
    finance_ids = [people["finance"].id,
                   make_person(None, Role.FINANCE, name="Second Finance").id] * 3
    barrier = threading.Barrier(len(finance_ids))
    results = []

    def record(finance_id):
        with app.app_context():
            actor = db.session.get(User, finance_id)
            enrollment = db.session.get(Enrollment, enrollment_id)
            barrier.wait()
            try:
                record_payment(actor, enrollment,
                               PaymentDetails(50_000, TODAY, PaymentMethod.CHECK, None, None),
                               submission_key=new_submission_key(), today=TODAY)
                db.session.commit()
                results.append("recorded")
            except PaymentRuleError:
                db.session.rollback()
                results.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=record, args=(fid,)) for fid in finance_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # $1,200 holds two payments of $500; the third would pass the total.
    assert sorted(results) == ["recorded"] * 2 + ["refused"] * 4
    assert sum(p.amount_cents for p in payments()) == 100_000


# Voiding, and nothing is ever edited or deleted ----------------------------------------------

def test_void_keeps_the_payment_visible_with_who_and_why(as_role, people):
    payment = pay(people["finance"], people["member"], 60_000, reference="Check 1043")
    finance = as_role("finance")
    assert finance.get(f"/finance/payments/{payment.id}/void").status_code == 200
    empty = finance.post(f"/finance/payments/{payment.id}/void",
                         data={"reason": "  ", "reason_kind": "lost"})
    assert "Say why this payment is voided." in empty.get_data(as_text=True)
    assert not payments()[0].is_voided

    response = finance.post(f"/finance/payments/{payment.id}/void",
                            data={"reason": "Check lost in the mail", "reason_kind": "lost"})
    assert response.status_code == 302
    [kept] = payments()
    assert kept.is_voided and kept.amount_cents == 60_000
    assert kept.voided_by_id == people["finance"].id
    ledger = finance.get(response.location).get_data(as_text=True)
    assert "<s>$600.00</s>" in ledger
    assert "Voided by <bdi>Finn Finance</bdi>" in ledger and "Check lost in the mail" in ledger
    assert stipend_summary(enrollment_of(people["member"]), TODAY).paid_cents == 0
    assert db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "payment.voided")).one().details["reason"] == \
        "Check lost in the mail"
    again = finance.post(f"/finance/payments/{payment.id}/void",
                         data={"reason": "Twice", "reason_kind": "recorded_twice"})
    assert "already voided" in finance.get(again.location).get_data(as_text=True)
    assert payments()[0].void_reason == "Check lost in the mail"


def test_no_page_edits_or_deletes_a_payment(app):
    rules = [rule for rule in app.url_map.iter_rules() if "payment" in rule.rule]
    assert {rule.endpoint for rule in rules} == {"stipends.record", "stipends.void"}
    for rule in rules:
        assert rule.methods - {"HEAD", "OPTIONS"} <= {"GET", "POST"}


def test_the_database_layer_refuses_to_delete_or_edit_a_payment(people):
    payment = pay(people["finance"], people["member"], 60_000)
    payment.amount_cents = 1
    with pytest.raises(PaymentIsPermanent):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(Payment, payment.id))
    with pytest.raises(PaymentIsPermanent):
        db.session.commit()
    db.session.rollback()
    void_payment(people["finance"], payment, "Typed wrong", utcnow())
    db.session.commit()
    payment.voided_at = None
    with pytest.raises(PaymentIsPermanent):
        db.session.commit()
    db.session.rollback()
    assert payments()[0].amount_cents == 60_000 and payments()[0].is_voided


# Asking for the password again -----------------------------------------------------------

@pytest.fixture
def later(monkeypatch):
    """Move the finance pages' clock past the recent-sign-in window."""
    import portal.stipends.views as views

    def move(minutes: int):
        real = utcnow()
        monkeypatch.setattr(views, "utcnow", lambda: real + timedelta(minutes=minutes))

    return move


def test_recording_after_the_window_asks_for_the_password_again(as_role, people, later):
    finance = as_role("finance")
    enrollment_id = enrollment_of(people["member"]).id
    data = payment_data(finance, enrollment_id)
    later(16)
    url = f"/finance/members/{enrollment_id}/payments/new"
    confirm = finance.post(url, data={**data, "step": "review"}).get_data(as_text=True)
    assert "enter your password again" in confirm
    for password in ("", "not-my-password"):
        page = finance.post(url, data={**data, "step": "record", "password": password})
        assert page.status_code == 200
        assert "Enter your password. It did not match" in page.get_data(as_text=True)
        assert 'value="Check 2001"' in page.get_data(as_text=True)  # nothing typed is lost
    assert payments() == []
    assert finance.post(url, data={**data, "step": "record",
                                   "password": PASSWORD}).status_code == 302
    assert len(payments()) == 1


def test_within_the_window_no_password_is_asked(as_role, people, later):
    finance = as_role("finance")
    enrollment_id = enrollment_of(people["member"]).id
    data = payment_data(finance, enrollment_id)
    later(14)
    url = f"/finance/members/{enrollment_id}/payments/new"
    assert "enter your password again" not in finance.post(
        url, data={**data, "step": "review"}).get_data(as_text=True)
    assert finance.post(url, data={**data, "step": "record"}).status_code == 302


def test_the_window_is_a_setting(app, as_role, people, later, monkeypatch):
    monkeypatch.setitem(app.config, "RECENT_SIGN_IN_MINUTES", 5)
    finance = as_role("finance")
    enrollment_id = enrollment_of(people["member"]).id
    later(6)
    page = finance.post(f"/finance/members/{enrollment_id}/payments/new",
                        data={**payment_data(finance, enrollment_id), "step": "review"})
    assert "enter your password again" in page.get_data(as_text=True)


def test_voiding_after_the_window_asks_for_the_password_again(as_role, people, later):
    payment = pay(people["finance"], people["member"], 60_000)
    finance = as_role("finance")
    assert finance.get(f"/finance/payments/{payment.id}/void").status_code == 200
    later(30)
    url = f"/finance/payments/{payment.id}/void"
    refused = finance.post(url, data={"reason": "Duplicate", "reason_kind": "recorded_twice",
                                      "password": "wrong-password"})
    assert "Enter your password. It did not match" in refused.get_data(as_text=True)
    assert "Duplicate" in refused.get_data(as_text=True)
    assert not payments()[0].is_voided
    assert finance.post(url, data={"reason": "Duplicate", "reason_kind": "recorded_twice",
                                   "password": PASSWORD}).status_code == 302
    assert payments()[0].is_voided


def test_too_many_wrong_passwords_end_the_session(as_role, people, later):
    finance = as_role("finance")
    enrollment_id = enrollment_of(people["member"]).id
    url = f"/finance/members/{enrollment_id}/payments/new"
    data = {**payment_data(finance, enrollment_id), "step": "record", "password": "guess-1234"}
    later(20)
    for _ in range(5):
        assert finance.post(url, data=data).status_code == 200
    ended = finance.post(url, data=data)
    assert ended.status_code == 302 and "/sign-in" in ended.location
    assert "Too many tries" in finance.get("/sign-in").get_data(as_text=True)
    assert finance.get("/finance").status_code == 302  # signed out
    assert payments() == []


# Tax forms and the overview ---------------------------------------------------------------

def test_tax_form_status_changes_are_saved_and_audited(as_role, people):
    finance = as_role("finance")
    enrollment = enrollment_of(people["member"])
    finance.post(f"/finance/members/{enrollment.id}/tax-form",
                 data={"tax_form_status": "requested"})
    finance.post(f"/finance/members/{enrollment.id}/tax-form",
                 data={"tax_form_status": "lost"})
    db.session.expire_all()
    assert enrollment_of(people["member"]).tax_form_status == TaxFormStatus.REQUESTED
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "enrollment.tax_form_changed")).one()
    assert event.details["changes"]["tax_form_status"] == {"from": "not_requested",
                                                           "to": "requested"}
    assert "Choose one of the options." in finance.get(
        f"/finance/members/{enrollment.id}").get_data(as_text=True)


def test_overview_shows_what_is_due_and_filters_and_sorts_by_it(program, people):
    members = [make_person(program, Role.MEMBER, name=name) for name in ("Ana", "Bo", "Cy")]
    pay(people["finance"], members[0], 60_000, date(2027, 2, 27))
    pay(people["finance"], members[1], 120_000, date(2027, 2, 27))
    enrollment_of(members[2]).tax_form_status = TaxFormStatus.RECEIVED
    db.session.commit()
    on = date(2027, 3, 1)  # the first half ($600) is due

    def names(**kwargs):
        return [name for _, name, *_ in db.session.execute(
            finance_overview(program, on, **kwargs))]

    rows = {name: (paid, remaining, owed) for _, name, _, paid, remaining, owed, _, _ in
            db.session.execute(finance_overview(program, on))}
    assert rows["Ana"] == (60_000, 60_000, 0)
    assert rows["Bo"] == (120_000, 0, 0)
    assert rows["Cy"] == (0, 120_000, 60_000)
    assert names(show="owed") == ["Cy", "Mo Member", "Rosa Miembro"]
    assert names(show="paid") == ["Bo"]
    assert "Cy" not in names(show="tax_form")
    assert names(sort="name")[:3] == ["Ana", "Bo", "Cy"]
    assert names(sort="remaining")[-1] == "Bo"


def test_finance_and_member_pages_make_the_same_few_queries_for_more_payments(
        app, as_role, program, people):
    finance, member = as_role("finance"), as_role("member")
    ledger = f"/finance/members/{enrollment_of(people['member']).id}"
    pages = ((finance, "/finance"), (finance, ledger), (finance, "/finance/tax-year"),
             (member, "/stipend"))
    pay(people["finance"], people["member"], 10_000)
    small = [queries_for(app, client, path) for client, path in pages]
    other_finance = make_person(None, Role.FINANCE, name="Other Finance")
    for n in range(30):
        someone = make_person(program, Role.MEMBER, name=f"Member {n:02d}")
        pay(people["finance"], someone, 10_000)
        pay(other_finance, people["member"], 100)
    void_payment(other_finance, payments()[-1], "Typed twice", utcnow())
    db.session.commit()
    assert [queries_for(app, client, path) for client, path in pages] == small
    assert max(small) <= 10, small
    page = finance.get("/finance?show=everyone&sort=nonsense&page=abc").get_data(as_text=True)
    assert "Member 00" in page  # odd parameters fall back to the defaults
    assert "Mo Member" in page


# Tax year ------------------------------------------------------------------------------------

def test_a_season_from_december_to_may_is_split_across_two_tax_years(as_role, people,
                                                                      monkeypatch):
    import portal.stipends.views as views

    monkeypatch.setattr(views, "utcnow", lambda: utcnow() + timedelta(days=400))
    finance_user, member = people["finance"], people["member"]
    pay(finance_user, member, 30_000, date(2026, 12, 10))
    pay(finance_user, member, 40_000, date(2027, 3, 1))
    voided = pay(finance_user, member, 50_000, date(2027, 4, 1))
    void_payment(finance_user, voided, "Duplicate", utcnow())
    db.session.commit()
    finance = as_role("finance")
    page_2026 = finance.get("/finance/tax-year?year=2026").get_data(as_text=True)
    page_2027 = finance.get("/finance/tax-year?year=2027").get_data(as_text=True)
    assert "$300.00" in page_2026 and "$400.00" not in page_2026
    assert "$400.00" in page_2027 and "$900.00" not in page_2027
    rows = list(csv.reader(io.StringIO(finance.get("/finance/tax-year/2027.csv")
                                       .get_data().decode("utf-8-sig"))))
    assert rows[1][:4] == ["Mo Member", people["member"].email, "2027", "400.00"]


def test_reporting_threshold_is_600_through_2025_and_2000_from_2026(app, as_role, people,
                                                                      monkeypatch):
    thresholds = app.config["TAX_REPORTING_THRESHOLDS"]
    assert reporting_threshold(2025, thresholds) == 60_000
    assert reporting_threshold(2026, thresholds) == 200_000
    assert reporting_threshold(2031, thresholds) == 200_000
    pay(people["finance"], people["member"], 70_000, date(2025, 12, 15))
    pay(people["finance"], people["member_es"], 70_000, date(2026, 1, 15))
    finance = as_role("finance")
    page_2025 = finance.get("/finance/tax-year?year=2025").get_data(as_text=True)
    page_2026 = finance.get("/finance/tax-year?year=2026").get_data(as_text=True)
    assert "Must be reported" in page_2025 and "$600.00" in page_2025
    assert "Below the threshold" in page_2026 and "$2,000.00" in page_2026
    monkeypatch.setitem(app.config, "TAX_REPORTING_THRESHOLDS", {1900: 60_000, 2030: 100_000})
    assert "Must be reported" in finance.get("/finance/tax-year?year=2026").get_data(
        as_text=True)


def test_thresholds_are_read_from_configuration():
    assert parse_thresholds("1900:600, 2026:2000") == {1900: 60_000, 2026: 200_000}
    with pytest.raises(ConfigError, match="year:dollars"):
        parse_thresholds("2026=2000")


# Exports -----------------------------------------------------------------------------------

def test_ledger_csv_streams_plain_amounts_voids_and_neutralised_formulas(as_role, people):
    first = pay(people["finance"], people["member"], 60_050, date(2026, 11, 20),
                note="=HYPERLINK(\"http://x\")")
    void_payment(people["finance"], first, "@lost", utcnow())
    pay(people["finance"], people["member"], 60_000, date(2026, 11, 21),
        PaymentMethod.DIRECT_DEPOSIT)
    db.session.commit()
    response = as_role("finance").get("/finance/ledger.csv")
    assert response.mimetype == "text/csv" and response.is_streamed
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows[0][:4] == ["Payment number", "Member", "Date paid", "Amount"]
    assert [row[3] for row in rows[1:]] == ["600.50", "600.00"]
    assert rows[1][7].startswith("'=") and rows[1][10] == "Voided" and rows[1][13] == "'@lost"
    assert rows[2][5] == "Direct deposit" and rows[2][10] == "Paid"


def test_demo_has_first_installments_a_voided_payment_and_a_missing_tax_form(ctx):
    from portal.demo import seed_demo

    program = seed_demo(TODAY)
    db.session.commit()
    seed_demo(TODAY)  # a second run adds nothing
    db.session.commit()
    all_payments = payments()
    assert len(all_payments) == 9 and sum(p.is_voided for p in all_payments) == 1
    paid_members = db.session.scalar(
        select(func.count(func.distinct(Payment.enrollment_id))).where(
            Payment.voided_at.is_(None)))
    assert paid_members == 8
    statuses = db.session.scalars(select(Enrollment.tax_form_status).where(
        Enrollment.program_id == program.id)).all()
    assert TaxFormStatus.REQUESTED in statuses
