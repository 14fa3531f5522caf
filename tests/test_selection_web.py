"""The draw page: the plan, each person's chance, refusing impossible targets before
anything is drawn, the draw and its record, and files that let anyone check it."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal.applications.models import Application, ApplicationStatus, ContactWay, OpenCall
from portal.audit.models import AuditEvent
from portal.auth.models import Role, User
from portal.db import db, utcnow
from portal.outbox.models import OutboxMessage
from portal.programs.models import Enrollment
from portal.selection.inputs import Target, read_pool_csv
from portal.selection.lottery import next_alternate
from portal.selection.models import SelectionDraw, SelectionPlan
from tests.test_applications import make_call

# (neighborhood, language, age band) of each eligible applicant.
PEOPLE = [
    ("Roxbury", "es", "18-24"), ("Roxbury", "en", "35-44"), ("Dorchester", "en", ""),
    ("Dorchester", "es", "prefer_not"), ("Dorchester", "en", "65+"),
    ("Mattapan", "ht", "25-34"), ("Mattapan", "en", "45-54"), ("East Boston", "es", "18-24"),
]
TARGETS = """category,value,min,max
neighborhood,Roxbury,1,2
neighborhood,Dorchester,1,2
neighborhood,Mattapan,1,1
neighborhood,East Boston,0,1
language,en,1,2
language,es,1,2
language,ht,0,1
"""
SEED = "4 2 6 1 3 5, thrown at City Hall"


def add_application(call, number, neighborhood, language, age_band,
                    status=ApplicationStatus.ELIGIBLE) -> Application:
    application = Application(
        call=call, reference=f"TEST-{number:04d}", status=status, language=language,
        name=f"Applicant {number}", email=f"applicant{number}@example.net",
        preferred_contact=ContactWay.EMAIL, neighborhood=neighborhood,
        eligibility={"lives_in_area": "yes", "adult": "yes"}, answers={},
        statement="I care about this.", availability={"times": [], "format": "either"},
        needs={}, demographics={"age_band": age_band, "gender": "", "race": []},
        consent_at=utcnow())
    db.session.add(application)
    return application


def closed_call(program, admin) -> OpenCall:
    """The draw page's call: eight eligible applications (TEST-0001 to 8), four seats,
    one not eligible (TEST-0099), and a deadline already passed."""
    call = make_call(program, admin)
    call.seats = 4
    call.deadline_day = date.today() - timedelta(days=1)
    for number, person in enumerate(PEOPLE, start=1):
        add_application(call, number, *person)
    add_application(call, 99, "Roxbury", "en", "", status=ApplicationStatus.INELIGIBLE)
    db.session.commit()
    return call


@pytest.fixture
def call(program, people):
    return closed_call(program, people["admin"])


def save_plan(client, call, targets=TARGETS, alternates="2"):
    return client.post(f"/admin/calls/{call.id}/selection",
                       data={"alternates": alternates, "targets": targets})


def statuses(call) -> dict[str, ApplicationStatus]:
    db.session.expire_all()
    return {a.reference: a.status for a in db.session.scalars(
        select(Application).where(Application.call_id == call.id))}


def test_the_plan_is_written_down_and_everyone_eligible_gets_a_chance(as_role, call):
    admin = as_role("admin")
    assert save_plan(admin, call).status_code == 302
    plan = db.session.scalars(select(SelectionPlan)).one()
    assert plan.alternates == 2 and ["neighborhood", "Mattapan", 1, 1] in plan.targets
    page = admin.get(f"/admin/calls/{call.id}/selection").get_data(as_text=True)
    # Eight eligible people share four seats; the ineligible one is not in the pool.
    assert page.count("<td>TEST-") == 8 and "TEST-0099" not in page
    assert "0.5000" in page  # every Roxbury applicant: 1 or 2 seats between two people
    assert db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "selection.plan_saved")).one()


def test_malformed_targets_are_refused_and_kept_as_typed(as_role, call):
    admin = as_role("admin")
    typed = "category,value,min,max\nneighborhood,Roxbury,two,3\n"
    response = save_plan(admin, call, targets=typed)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'class="error-summary"' in page
    assert "neighborhood,Roxbury,two,3" in page
    assert db.session.scalars(select(SelectionPlan)).all() == []


def test_a_category_the_applications_lack_is_refused(as_role, call):
    response = save_plan(as_role("admin"), call,
                         targets="category,value,min,max\nshoe_size,42,0,1\n")
    assert "There is no category shoe_size" in response.get_data(as_text=True)


def test_impossible_targets_are_refused_before_anything_is_drawn(as_role, call):
    admin = as_role("admin")
    impossible = TARGETS.replace("neighborhood,Mattapan,1,1", "neighborhood,Mattapan,3,3")
    assert save_plan(admin, call, targets=impossible).status_code == 302
    page = admin.get(f"/admin/calls/{call.id}/selection").get_data(as_text=True)
    assert "cannot be met" in page and "neighborhood=Mattapan" in page
    before = statuses(call)
    response = admin.post(f"/admin/calls/{call.id}/selection/draw", data={"seed": SEED})
    assert response.status_code == 200
    assert "neighborhood=Mattapan" in response.get_data(as_text=True)
    assert db.session.scalars(select(SelectionDraw)).all() == []
    assert statuses(call) == before
    assert db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "selection.draw_refused")).one()


def test_the_draw_is_recorded_and_every_application_gets_its_outcome(as_role, call):
    admin = as_role("admin")
    save_plan(admin, call)
    response = admin.post(f"/admin/calls/{call.id}/selection/draw", data={"seed": SEED})
    assert response.status_code == 302
    record = db.session.scalars(select(SelectionDraw)).one()
    assert (record.seed, record.seats, record.alternates) == (SEED, 4, 2)
    assert len(record.panel) == 4 and len(record.ranked_alternates) == 2
    assert set(record.chances) == {str(a.id) for a in db.session.scalars(
        select(Application).where(Application.status != ApplicationStatus.INELIGIBLE))}
    outcome = statuses(call)
    assert list(outcome.values()).count(ApplicationStatus.SELECTED) == 4
    assert list(outcome.values()).count(ApplicationStatus.ALTERNATE) == 2
    assert list(outcome.values()).count(ApplicationStatus.NOT_SELECTED) == 2
    assert outcome["TEST-0099"] == ApplicationStatus.INELIGIBLE
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "selection.drawn")).one()
    assert event.details["panel"] == record.panel
    # A second draw of the same call is refused.
    again = admin.post(f"/admin/calls/{call.id}/selection/draw", data={"seed": "other"})
    assert again.status_code == 200 and len(db.session.scalars(select(SelectionDraw)).all()) == 1


def test_nothing_is_drawn_while_the_call_is_open(as_role, call):
    admin = as_role("admin")
    save_plan(admin, call)
    call.deadline_day = date.today() + timedelta(days=3)
    db.session.commit()
    response = admin.post(f"/admin/calls/{call.id}/selection/draw", data={"seed": SEED})
    assert "The call is still open" in response.get_data(as_text=True)
    assert db.session.scalars(select(SelectionDraw)).all() == []


def test_an_empty_seed_draws_nothing(as_role, call):
    admin = as_role("admin")
    save_plan(admin, call)
    response = admin.post(f"/admin/calls/{call.id}/selection/draw", data={"seed": "  "})
    assert response.status_code == 200 and "Enter the seed." in response.get_data(as_text=True)
    assert db.session.scalars(select(SelectionDraw)).all() == []


def test_the_web_draw_and_the_auditors_command_agree(app, as_role, call, tmp_path):
    admin = as_role("admin")
    save_plan(admin, call)
    admin.post(f"/admin/calls/{call.id}/selection/draw", data={"seed": SEED})
    record = db.session.scalars(select(SelectionDraw)).one()
    pool = admin.get(f"/admin/calls/{call.id}/selection/pool.csv").get_data()
    targets = admin.get(f"/admin/calls/{call.id}/selection/targets.csv").get_data()
    assert pool.startswith(b"id,") and targets.startswith(b"category,value,min,max\n")
    assert hashlib.sha256(pool).hexdigest() == record.pool_fingerprint
    assert hashlib.sha256(targets).hexdigest() == record.targets_fingerprint
    (tmp_path / "POOL.csv").write_bytes(pool)
    (tmp_path / "TARGETS.csv").write_bytes(targets)
    result = app.test_cli_runner().invoke(args=[
        "selection", "draw", "--pool", str(tmp_path / "POOL.csv"),
        "--targets", str(tmp_path / "TARGETS.csv"), "--seats", str(record.seats),
        "--seed", record.seed, "--alternates", str(record.alternates)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert sorted(r["id"] for r in rows if r["outcome"] == "selected") == sorted(record.panel)
    ranked = sorted((r for r in rows if r["outcome"] == "alternate"), key=lambda r: int(r["rank"]))
    assert [r["id"] for r in ranked] == record.ranked_alternates
    page = admin.get(f"/admin/calls/{call.id}/selection").get_data(as_text=True)
    for row in rows:
        assert f"<td>{row['id']}</td>" in page or row["outcome"] == "not_selected"
    assert record.pool_fingerprint in page and SEED in page


def test_the_pool_file_names_nobody(as_role, call):
    admin = as_role("admin")
    save_plan(admin, call)
    pool = admin.get(f"/admin/calls/{call.id}/selection/pool.csv").get_data(as_text=True)
    assert pool.splitlines()[0] == "id,language,neighborhood"
    assert "Applicant" not in pool and "TEST-" not in pool and "@" not in pool


def draw_and_tell(admin, call):
    save_plan(admin, call)
    admin.post(f"/admin/calls/{call.id}/selection/draw", data={"seed": SEED})
    return admin.post(f"/admin/calls/{call.id}/selection/decisions")


def test_everyone_is_told_at_once_in_their_language_the_way_they_prefer(as_role, call):
    by_post = db.session.scalars(select(Application).where(
        Application.reference == "TEST-0006")).one()
    by_post.preferred_contact, by_post.mailing_address = ContactWay.MAIL, "12 Blue Hill Ave"
    by_phone = db.session.scalars(select(Application).where(
        Application.reference == "TEST-0007")).one()
    by_phone.preferred_contact, by_phone.phone = ContactWay.CALL, "617-555-0107"
    db.session.commit()
    admin = as_role("admin")
    response = draw_and_tell(admin, call)
    assert response.status_code == 302
    emails = {m.to_address: m for m in db.session.scalars(select(OutboxMessage))}
    # Everyone but the letter and the call, the ineligible applicant included.
    assert len(emails) == 7 and "applicant6@example.net" not in emails
    record = db.session.scalars(select(SelectionDraw)).one()
    spanish = emails["applicant1@example.net"]
    assert spanish.language == "es"
    first_alternate = db.session.get(Application, int(record.ranked_alternates[0]))
    assert "number 1" in emails[first_alternate.email].body
    assert "We will contact you if that happens" in emails[first_alternate.email].body
    seated = db.session.get(Application, int(record.panel[0]))
    if seated.language == "en":
        assert "you have a seat" in emails[seated.email].body
    assert "this time you were not chosen" in emails["applicant99@example.net"].body
    page = admin.get(f"/admin/calls/{call.id}/selection").get_data(as_text=True)
    assert "617-555-0107" in page and "1 letter to print and post" in page
    # Whoever calls knows what to say.
    assert re.search(r"617-555-0107 · (Selected|On the alternate list|Not selected)", page)
    letters = admin.get(f"/admin/calls/{call.id}/selection/letters").get_data(as_text=True)
    assert "12 Blue Hill Ave" in letters and 'lang="ht"' in letters
    assert db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "selection.decisions_sent")).one().details["emails"] == 7
    # Telling twice is refused and sends nothing more.
    admin.post(f"/admin/calls/{call.id}/selection/decisions")
    assert len(db.session.scalars(select(OutboxMessage)).all()) == 7


def test_nobody_is_told_before_the_draw(as_role, call):
    admin = as_role("admin")
    admin.post(f"/admin/calls/{call.id}/selection/decisions")
    assert db.session.scalars(select(OutboxMessage)).all() == []
    assert admin.get(f"/admin/calls/{call.id}/selection/letters").status_code == 404


def seated_application(call, record, **changes) -> Application:
    application = db.session.get(Application, int(record.panel[0]))
    for name, value in changes.items():
        setattr(application, name, value)
    db.session.commit()
    return application


def test_a_confirmed_seat_makes_a_member_with_nothing_typed_twice(as_role, call, program):
    admin = as_role("admin")
    draw_and_tell(admin, call)
    record = db.session.scalars(select(SelectionDraw)).one()
    application = seated_application(call, record, needs={
        "interpretation": "es", "childcare": True, "transport": True, "access": "Ramp"})
    form = admin.get(f"/admin/applications/{application.id}/seat").get_data(as_text=True)
    assert "Ramp" in form and 'value="1"' in form  # the application's needs, filled in
    assert db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "application.opened")).all()
    response = admin.post(f"/admin/applications/{application.id}/seat", data={
        "confirmed": "y", "interpretation_language": "es", "childcare_children": "2",
        "transport_help": "y", "access_needs": "Ramp"})
    assert response.status_code == 302
    db.session.expire_all()
    user = db.session.scalars(select(User).where(User.email == application.email)).one()
    assert (user.name, user.preferred_language) == (application.name, application.language)
    assert (user.interpretation_language, user.childcare_children, user.transport_help,
            user.access_needs) == ("es", 2, True, "Ramp")
    assert user.has_role(Role.MEMBER)
    enrollment = db.session.scalars(select(Enrollment).where(Enrollment.user_id == user.id)).one()
    assert enrollment.program_id == program.id
    assert db.session.get(Application, application.id).status == ApplicationStatus.CONFIRMED
    invitation = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.recipient_id == user.id)).one()
    assert invitation.language == application.language
    # Confirming twice is refused.
    again = admin.post(f"/admin/applications/{application.id}/seat", data={"confirmed": "y"})
    assert again.status_code == 200 and "Only someone with a seat" in again.get_data(as_text=True)


def test_someone_without_email_gets_a_printed_sign_in_sheet(as_role, call):
    admin = as_role("admin")
    draw_and_tell(admin, call)
    record = db.session.scalars(select(SelectionDraw)).one()
    application = seated_application(call, record, email=None, phone="617-555-0190",
                                     preferred_contact=ContactWay.CALL)
    response = admin.post(f"/admin/applications/{application.id}/seat",
                          data={"confirmed": "y", "childcare_children": "0"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "/invitation/" in page
    assert application.reference.lower() in page
    user = db.session.scalars(select(User).where(
        User.username == application.reference.lower())).one()
    assert user.phone == "+16175550190"  # as every account keeps it


def test_a_seat_is_not_confirmed_without_the_yes(as_role, call):
    admin = as_role("admin")
    draw_and_tell(admin, call)
    record = db.session.scalars(select(SelectionDraw)).one()
    application = seated_application(call, record)
    response = admin.post(f"/admin/applications/{application.id}/seat",
                          data={"access_needs": "Large print"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Large print" in page
    assert db.session.scalars(select(User).where(User.email == application.email)).all() == []


def test_a_declined_seat_goes_to_the_next_alternate_who_keeps_the_targets(as_role, call):
    admin = as_role("admin")
    draw_and_tell(admin, call)
    record = db.session.scalars(select(SelectionDraw)).one()
    declined = db.session.get(Application, int(record.panel[0]))
    pool = read_pool_csv(record.pool_file)
    expected = next_alternate(record.panel, record.panel[0], record.ranked_alternates, pool,
                              [Target(*row) for row in record.targets])
    response = admin.post(f"/admin/applications/{declined.id}/seat/give-up",
                          data={"reason": "declined"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Application, declined.id).status == ApplicationStatus.WITHDRAWN
    if expected.alternate is None:
        assert "No alternate can take the seat" in page
    else:
        offered = db.session.get(Application, int(expected.alternate))
        assert offered.status == ApplicationStatus.SELECTED
        assert f"number {expected.alternate}" in page
        assert ("Every target still holds" in page) == expected.keeps_every_target
        assert db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "selection.seat_offered")).one().details[
                "in_place_of"] == declined.reference
    # The seat cannot be given up twice.
    again = admin.post(f"/admin/applications/{declined.id}/seat/give-up",
                       data={"reason": "declined"})
    assert "Only someone with a seat can give it up." in again.get_data(as_text=True)


def test_when_no_alternate_keeps_the_targets_the_page_says_which_are_missed(as_role, call):
    admin = as_role("admin")
    # Mattapan has exactly one seat and two people; with no alternates ranked, the
    # Mattapan seat cannot be refilled.
    save_plan(admin, call, alternates="0")
    admin.post(f"/admin/calls/{call.id}/selection/draw", data={"seed": SEED})
    seated = db.session.scalars(select(Application).where(
        Application.status == ApplicationStatus.SELECTED,
        Application.neighborhood == "Mattapan")).one()
    page = admin.post(f"/admin/applications/{seated.id}/seat/give-up",
                      data={"reason": "unreachable"}, follow_redirects=True
                      ).get_data(as_text=True)
    assert "No alternate can take the seat" in page and "neighborhood=Mattapan" in page


def test_a_selected_person_takes_their_seat_from_the_link_in_their_email(app, as_role, call):
    admin = as_role("admin")
    draw_and_tell(admin, call)
    record = db.session.scalars(select(SelectionDraw)).one()
    application = db.session.get(Application, int(record.panel[0]))
    email = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.to_address == application.email)).one()
    link = re.search(r"https?://\S+/seat/(\S+)", email.body)
    assert link, email.body
    path = "/seat/" + link.group(1)
    visitor = app.test_client()
    assert "I care about this." not in visitor.get(path).get_data(as_text=True)
    response = visitor.post(path, data={"confirmed": "y", "childcare_children": "1",
                                        "access_needs": "Quiet room"})
    assert response.status_code == 200
    assert "Welcome to the design group" in response.get_data(as_text=True)
    db.session.expire_all()
    user = db.session.scalars(select(User).where(User.email == application.email)).one()
    assert user.childcare_children == 1 and user.access_needs == "Quiet room"
    assert db.session.get(Application, application.id).status == ApplicationStatus.CONFIRMED
    # The link works once.
    assert visitor.get(path).status_code == 404


def test_nobody_else_gets_a_seat_link(as_role, call):
    draw_and_tell(as_role("admin"), call)
    record = db.session.scalars(select(SelectionDraw)).one()
    for message in db.session.scalars(select(OutboxMessage)):
        application = db.session.scalars(select(Application).where(
            Application.email == message.to_address)).one()
        assert ("/seat/" in message.body) == (str(application.id) in record.panel)


def test_the_call_page_leads_to_its_draw(as_role, call):
    page = as_role("admin").get(f"/admin/calls/{call.id}").get_data(as_text=True)
    assert f'href="/admin/calls/{call.id}/selection"' in page


def test_the_chances_are_not_computed_again_while_nothing_changed(as_role, call, monkeypatch):
    from portal.selection import services

    admin = as_role("admin")
    save_plan(admin, call)
    services._lottery.cache_clear()
    computed = []
    real = services.find_lottery
    monkeypatch.setattr(services, "find_lottery",
                        lambda *args: computed.append(1) or real(*args))
    for _ in range(2):
        admin.get(f"/admin/calls/{call.id}/selection")
    assert len(computed) == 1
    save_plan(admin, call, targets=TARGETS.replace("Roxbury,1,2", "Roxbury,1,1"))
    admin.get(f"/admin/calls/{call.id}/selection")
    assert len(computed) == 2
