"""Decisions by text: someone who applied, chose texts and agreed to them is told by
text in their language, with the link to take a seat when selected; without the
agreement or a mobile that takes texts they are told the old way. The agreement is
in the consent ledger from the application on, and STOP by text ends it. A seat
given up goes to the next alternate, who is told the way they prefer."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale, format_date, gettext
from sqlalchemy import func, select

from portal.applications.models import Application, ApplicationStatus, ContactWay, OpenCall
from portal.applications.services import purge_after_decisions
from portal.audit.models import AuditEvent
from portal.auth.models import User
from portal.db import db, utcnow
from portal.outbox.models import Channel, OutboxMessage
from portal.selection.decisions import send_decisions
from portal.selection.models import SelectionDraw
from portal.texts.models import ConsentSource, ReachBy, TextConsent
from portal.texts.segments import count_segments, plain_for_texts
from portal.texts.services import record_application_consent
from tests.html_check import html_problems
from tests.test_applications import answers, make_call
from tests.test_selection_web import SEED, add_application, closed_call, save_plan
from tests.test_texts import reply_of, text_in

NEW_YORK = ZoneInfo("America/New_York")
AUTH_TOKEN = "test-auth-token-0123456789abcdef"  # noqa: S105 - a test token


@pytest.fixture
def texts_on(app, data_app, monkeypatch):
    """Texts on, printed to the console, with a known token for signed webhooks."""
    for each in (app, data_app):
        monkeypatch.setitem(each.config, "SMS_BACKEND", "console")
        monkeypatch.setitem(each.config, "TWILIO_AUTH_TOKEN", AUTH_TOKEN)


def mobile_of(number: int) -> str:
    return f"617-555-{number:04d}"


def e164(number: int) -> str:
    return f"+1617555{number:04d}"


def chose_texts(application: Application, agreed: bool = True) -> None:
    """As the application form records it: texts chosen, with a mobile, agreed to."""
    application.preferred_contact = ContactWay.TEXT
    application.mobile = mobile_of(application.id)
    db.session.flush()
    if agreed:
        record_application_consent(application, True, ConsentSource.APPLICATION, utcnow())


@pytest.fixture
def emailed_call(program, people):
    return closed_call(program, people["admin"])


@pytest.fixture
def texted_call(program, people):
    """The same, where everyone eligible chose texts and agreed, and two more who were
    not eligible write in Spanish and Haitian Creole."""
    call = closed_call(program, people["admin"])
    add_application(call, 97, "Roxbury", "es", "", status=ApplicationStatus.INELIGIBLE)
    add_application(call, 98, "Mattapan", "ht", "", status=ApplicationStatus.INELIGIBLE)
    db.session.flush()
    for application in by_reference(call).values():
        if application.reference != "TEST-0099":
            chose_texts(application)
    db.session.commit()
    return call


def by_reference(call) -> dict[str, Application]:
    return {a.reference: a for a in db.session.scalars(
        select(Application).where(Application.call_id == call.id))}


def draw(admin, call) -> SelectionDraw:
    save_plan(admin, call)
    admin.post(f"/admin/calls/{call.id}/selection/draw", data={"seed": SEED})
    db.session.expire_all()
    return db.session.scalars(select(SelectionDraw)).one()


def texts() -> dict[str, OutboxMessage]:
    db.session.expire_all()
    return {m.to_address: m for m in db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.channel == Channel.TEXT))}


def emails() -> dict[str, OutboxMessage]:
    db.session.expire_all()
    return {m.to_address: m for m in db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.channel == Channel.EMAIL))}


def says(language: str, message: str, **values) -> str:
    """A sentence as the applicant reads it: their catalog, then what texts can carry."""
    with force_locale(language):
        return plain_for_texts(gettext(message, **values))


def long_day(day: date, language: str) -> str:
    with force_locale(language):
        return format_date(day, "long")


def test_everyone_who_chose_texts_is_told_by_text_in_their_language(
        as_role, texted_call, texts_on):
    admin = as_role("admin")
    record = draw(admin, texted_call)
    response = admin.post(f"/admin/calls/{texted_call.id}/selection/decisions",
                          follow_redirects=True)
    page = response.get_data(as_text=True)
    people = by_reference(texted_call)
    sent = texts()
    # Ten chose texts; the one who did not gets an email, and nobody gets both.
    assert len(sent) == 10 and list(emails()) == ["applicant99@example.net"]
    for application in people.values():
        if application.reference == "TEST-0099":
            continue
        text = sent[e164(application.id)]
        assert text.language == application.language and text.recipient_id is None
        language = application.language
        assert application.reference in text.body
        assert says(language, "Reply STOP to end texts.") in text.body
        assert text.segments == count_segments(text.body).count
        person = str(application.id)
        if person in record.panel:
            assert re.search(r"http://portal\.test/seat/\S+", text.body), text.body
            assert says(language, "Staff will also call you in the next few days.") in text.body
        elif person in record.ranked_alternates:
            rank = record.ranked_alternates.index(person) + 1
            assert says(language, "You are number %(rank)d on the waiting list. If a seat "
                        "frees up, we will contact you.", rank=rank) in text.body
            assert "/seat/" not in text.body
        else:
            assert says(language, "The seats were drawn by lottery, and this time you "
                        "were not chosen.") in text.body and "/seat/" not in text.body
    # Those not chosen hear the day their application goes, written in their language.
    db.session.expire_all()
    deleted_on = db.session.get(OpenCall, texted_call.id).decided_at.date() + timedelta(days=180)
    spanish = sent[e164(people["TEST-0097"].id)].body
    creole = sent[e164(people["TEST-0098"].id)].body
    assert long_day(deleted_on, "es") in spanish and long_day(deleted_on, "en") not in spanish
    assert long_day(deleted_on, "ht") in creole and long_day(deleted_on, "fr") not in creole
    # Staff see the texts counted, in the message, on the page and in the audit log.
    assert "1 emails and 10 texts queued, 0 letters to print, 0 people to call" in page
    assert "10 texts queued" in page and "1 email queued" in page
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "selection.decisions_sent")).one()
    assert (event.details["emails"], event.details["texts"], event.details["letters"],
            event.details["calls"]) == (1, 10, 0, 0)


def test_the_link_in_the_text_takes_the_seat_and_texts_carry_over(app, as_role, texted_call,
                                                                  texts_on):
    admin = as_role("admin")
    record = draw(admin, texted_call)
    seated = db.session.get(Application, int(record.panel[0]))
    seated.email = None
    db.session.commit()
    admin.post(f"/admin/calls/{texted_call.id}/selection/decisions")
    body = texts()[e164(seated.id)].body
    path = "/seat/" + re.search(r"/seat/(\S+)", body).group(1)
    visitor = app.test_client()
    page = visitor.post(path, data={"confirmed": "y", "childcare_children": "0"}
                        ).get_data(as_text=True)
    # No email to send the sign-in link to: the page does not pretend there is one.
    assert "We will call you" in page and "sent you an email" not in page
    db.session.expire_all()
    user = db.session.scalars(select(User).where(
        User.username == seated.reference.lower())).one()
    assert (user.phone, user.reach_by, user.texts_allowed) == (
        e164(seated.id), ReachBy.TEXT, True)
    line = db.session.scalars(select(TextConsent).where(TextConsent.user_id == user.id)).one()
    assert (line.given, line.source, line.phone) == (True, ConsentSource.APPLICATION,
                                                     e164(seated.id))
    assert visitor.get(path).status_code == 404


def test_no_text_without_the_agreement_or_a_mobile_that_takes_texts(as_role, texted_call,
                                                                   texts_on):
    people = by_reference(texted_call)
    withdrawn = people["TEST-0001"]
    record_application_consent(withdrawn, False, ConsentSource.REPLY, utcnow())
    never_agreed = people["TEST-0002"]
    never_agreed.texts_allowed = False
    unreadable = people["TEST-0003"]
    unreadable.mobile, unreadable.email = "555-01", None
    landline = people["TEST-0004"]
    landline.mobile, landline.email = "+44 20 7946 0958", None
    db.session.commit()
    admin = as_role("admin")
    draw(admin, texted_call)
    page = admin.post(f"/admin/calls/{texted_call.id}/selection/decisions",
                      follow_redirects=True).get_data(as_text=True)
    sent = texts()
    for application in (withdrawn, never_agreed, unreadable, landline):
        assert e164(application.id) not in sent
    assert len(sent) == 6
    # They are called, as before texts existed.
    assert "7 texts queued" not in page and "6 texts queued" in page
    for number in (mobile_of(withdrawn.id), mobile_of(never_agreed.id), "555-01",
                   "+44 20 7946 0958"):
        assert number in page
    assert db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "selection.decisions_sent")).one().details["calls"] == 4


def test_with_texts_off_everyone_who_chose_them_is_called(as_role, texted_call):
    admin = as_role("admin")
    draw(admin, texted_call)
    page = admin.post(f"/admin/calls/{texted_call.id}/selection/decisions",
                      follow_redirects=True).get_data(as_text=True)
    assert texts() == {} and "0 emails and 0 texts" not in page
    assert "1 emails and 0 texts queued, 0 letters to print, 10 people to call" in page


def test_a_text_at_night_waits_for_the_end_of_quiet_hours(as_role, people, texted_call,
                                                        texts_on):
    draw(as_role("admin"), texted_call)
    night = datetime(2026, 12, 2, 22, 30, tzinfo=NEW_YORK).astimezone(UTC)
    sent = send_decisions(people["admin"], texted_call, night)
    db.session.commit()
    assert sent.texts == 10
    morning = datetime(2026, 12, 3, 8, 0, tzinfo=NEW_YORK).astimezone(UTC)
    assert {m.next_attempt_at for m in texts().values()} == {morning}
    # The email goes at once.
    assert all(m.next_attempt_at <= utcnow() for m in emails().values())


def test_a_decision_text_in_english_is_plain_and_short(as_role, texted_call, texts_on):
    admin = as_role("admin")
    draw(admin, texted_call)
    admin.post(f"/admin/calls/{texted_call.id}/selection/decisions")
    people = by_reference(texted_call)
    for reference in ("TEST-0002", "TEST-0003", "TEST-0005", "TEST-0007"):
        text = texts()[e164(people[reference].id)]
        # No typographic character turns it into UCS-2; two segments at most.
        assert count_segments(text.body).encoding == "GSM-7", text.body
        assert text.segments <= 2, text.body


# A seat given up ---------------------------------------------------------------------------

def give_up_first_seat(admin, record):
    declined = db.session.get(Application, int(record.panel[0]))
    return admin.post(f"/admin/applications/{declined.id}/seat/give-up",
                      data={"reason": "declined"}, follow_redirects=True)


def next_in_line(record) -> Application:
    from portal.selection.inputs import Target, read_pool_csv
    from portal.selection.lottery import next_alternate

    expected = next_alternate(record.panel, record.panel[0], record.ranked_alternates,
                              read_pool_csv(record.pool_file),
                              [Target(*row) for row in record.targets])
    assert expected.alternate is not None
    return db.session.get(Application, int(expected.alternate))


def test_the_alternate_offered_a_seat_is_told_by_text(as_role, texted_call, texts_on):
    admin = as_role("admin")
    record = draw(admin, texted_call)
    admin.post(f"/admin/calls/{texted_call.id}/selection/decisions")
    offered = next_in_line(record)
    before = texts()[e164(offered.id)].id
    page = give_up_first_seat(admin, record).get_data(as_text=True)
    assert "They are told by text, with a link to say yes." in page
    db.session.expire_all()
    latest = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.to_address == e164(offered.id)).order_by(OutboxMessage.id.desc())).first()
    assert latest.id != before and latest.language == offered.language
    assert "now free, and it is yours" in latest.body and "/seat/" in latest.body
    assert offered.email not in emails()
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "selection.seat_offered")).one()
    assert event.details["told_by"] == "text"
    draw_page = admin.get(f"/admin/calls/{texted_call.id}/selection").get_data(as_text=True)
    assert "Offered a seat · told by text" in draw_page
    assert f'href="/admin/applications/{offered.id}/seat"' in draw_page
    assert html_problems(draw_page) == []


def test_the_alternate_offered_a_seat_by_letter_or_call_is_left_to_staff(as_role, emailed_call):
    call = emailed_call
    admin = as_role("admin")
    record = draw(admin, call)
    offered = next_in_line(record)
    offered.preferred_contact = ContactWay.MAIL
    offered.mailing_address = "12 Blue Hill Ave"
    db.session.commit()
    admin.post(f"/admin/calls/{call.id}/selection/decisions")
    letters_before = emails()
    page = give_up_first_seat(admin, record).get_data(as_text=True)
    assert "Print their letter from the draw page and post it." in page
    assert emails().keys() == letters_before.keys()  # no email for them
    draw_page = admin.get(f"/admin/calls/{call.id}/selection").get_data(as_text=True)
    link = f"/admin/calls/{call.id}/selection/letters?application={offered.id}"
    assert link in draw_page
    letter = admin.get(link).get_data(as_text=True)
    assert letter.count('class="letter"') == 1 and "12 Blue Hill Ave" in letter
    assert "a seat in the design group is now free for you" in letter
    for odd in ("x", "²", "-1"):
        assert admin.get(f"/admin/calls/{call.id}/selection/letters?application={odd}"
                         ).status_code == 404


def test_an_alternate_who_prefers_a_call_is_named_with_their_number(as_role, emailed_call):
    call = emailed_call
    admin = as_role("admin")
    record = draw(admin, call)
    offered = next_in_line(record)
    offered.preferred_contact, offered.phone = ContactWay.CALL, "617-555-0177"
    db.session.commit()
    admin.post(f"/admin/calls/{call.id}/selection/decisions")
    page = give_up_first_seat(admin, record).get_data(as_text=True)
    assert f"Call {offered.contact_name} to tell them: 617-555-0177." in page


def test_a_seat_given_up_before_anyone_is_told_is_told_with_everyone_once(as_role, texted_call,
                                                                         texts_on):
    admin = as_role("admin")
    record = draw(admin, texted_call)
    offered = next_in_line(record)
    give_up_first_seat(admin, record)
    assert texts() == {}
    admin.post(f"/admin/calls/{texted_call.id}/selection/decisions")
    db.session.expire_all()
    to_them = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.to_address == e164(offered.id))).all()
    assert len(to_them) == 1 and "/seat/" in to_them[0].body


# The agreement to texts, from the application on -----------------------------------------

def test_choosing_texts_on_the_form_is_recorded_as_agreement(app, client, as_role, program,
                                                            people):
    make_call(program, people["admin"])
    client.post("/apply/design-group-2027", data=answers(
        email="", mobile="(617) 555-0123", preferred_contact="text"))
    client.post("/apply/design-group-2027", data=answers(name="Bo Email"))
    db.session.expire_all()
    texting, emailing = db.session.scalars(select(Application).order_by(Application.id)).all()
    assert texting.texts_allowed and not emailing.texts_allowed
    (line,) = db.session.scalars(select(TextConsent)).all()
    assert (line.application_id, line.user_id, line.given, line.source, line.phone) == (
        texting.id, None, True, ConsentSource.APPLICATION, "+16175550123")
    # Choosing another way later withdraws it; saving again as it is changes nothing.
    status = app.test_client()
    status.post("/apply/status", data={"reference": texting.reference,
                                       "contact": "617-555-0123"})
    contact = {"email": "", "mobile": "617-555-0123", "phone": "617-555-0101",
               "mailing_address": ""}
    status.post("/apply/my-application/contact", data={**contact, "preferred_contact": "call"})
    status.post("/apply/my-application/contact", data={**contact, "preferred_contact": "call"})
    db.session.expire_all()
    lines = db.session.scalars(select(TextConsent).order_by(TextConsent.id)).all()
    assert [(line.given, line.source) for line in lines] == [
        (True, ConsentSource.APPLICATION), (False, ConsentSource.APPLICATION)]
    assert not db.session.get(Application, texting.id).texts_allowed


def test_staff_typing_in_a_paper_application_record_the_agreement_as_theirs(as_role, program,
                                                                            people):
    call = make_call(program, people["admin"])
    as_role("admin").post(f"/admin/calls/{call.id}/applications/new", data=answers(
        email="", mobile="617-555-0124", preferred_contact="text", channel="mail",
        received_on=date.today().isoformat()))
    db.session.expire_all()
    (line,) = db.session.scalars(select(TextConsent)).all()
    assert (line.source, line.recorded_by_id, line.given) == (
        ConsentSource.PAPER, people["admin"].id, True)


def test_stop_from_someone_who_applied_ends_their_texts(client, texted_call, texts_on):
    application = by_reference(texted_call)["TEST-0001"]
    reply = reply_of(text_in(client, e164(application.id), "PARAR"))
    assert reply
    db.session.expire_all()
    application = db.session.get(Application, application.id)
    assert not application.texts_allowed
    line = db.session.scalars(select(TextConsent).order_by(TextConsent.id.desc())).first()
    assert (line.application_id, line.given, line.source) == (
        application.id, False, ConsentSource.REPLY)
    reply_of(text_in(client, e164(application.id), "START"))
    db.session.expire_all()
    assert db.session.get(Application, application.id).texts_allowed


def test_the_ledger_lines_of_a_deleted_application_go_with_it(texted_call):
    call = db.session.get(OpenCall, texted_call.id)
    call.decided_at = utcnow() - timedelta(days=400)
    db.session.commit()
    before = db.session.scalar(select(func.count(TextConsent.id)))
    assert purge_after_decisions(utcnow(), 180) == 11
    db.session.commit()
    assert before == 10 and db.session.scalar(select(func.count(TextConsent.id))) == 0


def test_the_decision_email_and_letter_keep_their_paragraphs(as_role, emailed_call):
    admin = as_role("admin")
    record = draw(admin, emailed_call)
    admin.post(f"/admin/calls/{emailed_call.id}/selection/decisions")
    seated = db.session.get(Application, int(record.panel[0]))
    not_chosen = by_reference(emailed_call)["TEST-0099"]
    body = emails()[seated.email].body
    paragraphs = body.strip().split("\n\n")
    assert len(paragraphs) == 5, body  # greeting, outcome, what next, the link, reference
    assert "/seat/" in paragraphs[3] and paragraphs[4].startswith(
        ("Your reference number:", "Su número de referencia:", "Nimewo referans"))
    paragraphs = emails()[not_chosen.email].body.strip().split("\n\n")
    assert "We will delete your application on" in paragraphs[3]
    assert paragraphs[4] == "Your reference number: TEST-0099"


def test_the_form_says_that_choosing_texts_is_agreeing_to_them(client, program, people):
    make_call(program, people["admin"])
    page = client.get("/apply/design-group-2027").get_data(as_text=True)
    assert "If you choose text messages, you agree that we text you" in page
    assert 'id="preferred_contact-hint"' in page


# Applications from before the ledger held them ---------------------------------------------

def test_applications_that_chose_texts_before_the_upgrade_count_as_agreed(scratch_app):
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import MetaData, Table

    from portal.programs.models import Program

    with scratch_app.app_context():
        upgrade(revision="0013_review")
        program = Program(name="Group", timezone="America/New_York",
                          season_start=date(2026, 12, 1), season_end=date(2027, 5, 31),
                          stipend_cents=120_000, currency="USD")
        db.session.add(program)
        db.session.flush()
        call = OpenCall(program_id=program.id, slug="old-call", deadline_day=date(2026, 11, 10),
                        seats=10)
        db.session.add(call)
        db.session.commit()
        applications = Table("applications", MetaData(), autoload_with=db.engine)
        applied = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
        row = {"call_id": call.id, "status": "eligible", "received_at": applied,
               "language": "ht", "name": "Old Applicant", "neighborhood": "Mattapan",
               "eligibility": {}, "answers": {}, "statement": "s", "availability": {},
               "needs": {}, "demographics": {}, "consent_at": applied}
        with db.engine.begin() as connection:
            connection.execute(applications.insert(), [
                {**row, "reference": "OLD1-TEXT", "channel": "online",
                 "preferred_contact": "text", "mobile": "617 555 0150"},
                {**row, "reference": "OLD2-CALL", "channel": "online",
                 "preferred_contact": "call", "mobile": "617 555 0151", "phone": "617 555 0151"},
                {**row, "reference": "OLD3-MAIL", "channel": "mail",
                 "preferred_contact": "text", "mobile": "555-01"},
            ])
        upgrade()
        db.session.expire_all()
        found = {a.reference: a for a in db.session.scalars(select(Application))}
        assert [found[r].texts_allowed for r in ("OLD1-TEXT", "OLD2-CALL", "OLD3-MAIL")] \
            == [True, False, True]
        lines = {line.application_id: line for line in db.session.scalars(select(TextConsent))}
        online = lines[found["OLD1-TEXT"].id]
        assert (online.given, online.source, online.phone, online.recorded_at) == (
            True, ConsentSource.APPLICATION, "+16175550150", applied)
        paper = lines[found["OLD3-MAIL"].id]
        assert (paper.source, paper.phone) == (ConsentSource.PAPER, "555-01")
        assert len(lines) == 2
        db.session.rollback()  # PostgreSQL: the downgrade waits for no open transaction
        downgrade(revision="0013_review")
        upgrade()
