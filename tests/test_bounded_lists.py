"""Lists that grow with the program come in pages; totals above a paged list still
count everything; nonsense in ?page= never breaks a page."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.auth.models import Role, User
from portal.db import db, utcnow
from portal.meetings.models import Attendance, AttendanceStatus, Response
from portal.meetings.services import Needs, rsvp_for_meeting
from portal.stipends.services import void_payment
from tests.conftest import make_person
from tests.test_documents import make_document
from tests.test_meetings import make_meeting
from tests.test_stipends import enrollment_of, pay, payments


@pytest.fixture
def per_page(app, monkeypatch):
    """Two rows a page, so a handful of rows makes several pages."""
    for key in ("ROSTER_PER_PAGE", "MEETINGS_PER_PAGE", "PAYMENTS_PER_PAGE",
                "DOCUMENTS_PER_PAGE", "AUDIT_EVENTS_PER_PAGE", "PEOPLE_PER_PAGE",
                "ENROLLMENTS_PER_PAGE", "OUTBOX_PER_PAGE"):
        monkeypatch.setitem(app.config, key, 2)
    return 2


def _table(page: str) -> str:
    return page.split("<tbody>")[1].split("</tbody>")[0]


def _answer(member, meeting, response, **needs):
    rsvp_for_meeting(member, meeting, response, Needs(**needs), utcnow())
    db.session.commit()


def test_roster_comes_in_pages_and_its_counts_cover_the_whole_meeting(
        as_role, people, program, per_page):
    meeting = make_meeting(program, people["facilitator"], capacity=10)
    for name in ("Ana Uno", "Bea Dos", "Cy Tres", "Dee Cuatro", "Ed Cinco"):
        make_person(program, Role.MEMBER, name=name)
    # Seven members by name: Ana, Bea, Cy, Dee, Ed, Mo, Rosa. Ed, Mo and Rosa answer.
    members = {person.name: person for person in db.session.scalars(db.select(User))}
    _answer(members["Ed Cinco"], meeting, Response.IN_PERSON, interpretation_language="es",
            childcare_children=2, transport_help=True)
    _answer(members["Mo Member"], meeting, Response.VIRTUAL, access_needs="Captions")
    _answer(members["Rosa Miembro"], meeting, Response.NOT_ATTENDING, childcare_children=5)
    client = as_role("facilitator")

    first = client.get(f"/meetings/{meeting.id}/roster").get_data(as_text=True)
    assert "Page 1 of 4" in first
    assert "Ana Uno" in _table(first) and "Bea Dos" in _table(first)
    assert "Cy Tres" not in _table(first)
    # The counts and needs are the whole meeting's, not this page's.
    assert "In person: <strong>1</strong> / 10" in first
    assert "Online: <strong>1</strong>" in first
    assert "Not coming: <strong>1</strong>" in first
    assert "No answer yet: <strong>4</strong>" in first
    assert "childcare for 2 children" in first and "transport help: 1" in first
    # Mo's captions are for joining online: nothing to arrange in the room.
    assert "access needs: 0" in first and "Spanish" in first
    # Who has not answered: the first names, and how many more.
    assert "Not answered yet: Ana Uno, Bea Dos and 2 more" in first

    third = client.get(f"/meetings/{meeting.id}/roster?page=3").get_data(as_text=True)
    rows = _table(third)
    assert "Ed Cinco" in rows and "Mo Member" in rows and "Ana Uno" not in rows
    assert "No answer yet: <strong>4</strong>" in third
    # The last page, and a page past the end shows the last one.
    last = client.get(f"/meetings/{meeting.id}/roster?page=9").get_data(as_text=True)
    assert "Page 4 of 4" in last and "Rosa Miembro" in _table(last)


def test_roster_spreadsheet_has_every_member_whatever_the_page_size(
        as_role, people, program, per_page):
    meeting = make_meeting(program, people["facilitator"])
    for n in range(5):
        make_person(program, Role.MEMBER, name=f"Member {n}")
    response = as_role("facilitator").get(f"/meetings/{meeting.id}/roster.csv")
    assert response.is_streamed
    lines = response.get_data(as_text=True).strip().splitlines()
    assert len(lines) == 1 + 7  # the header and every member


def test_calendar_comes_in_pages_soonest_first_then_past_latest_first(
        as_role, people, program, per_page):
    facilitator = people["facilitator"]
    for days, title in ((3, "Soon A"), (10, "Later B"), (20, "Latest C"), (-3, "Past D"),
                        (-30, "Old E")):
        make_meeting(program, facilitator, starts_in=timedelta(days=days), title=title)
    client = as_role("member")
    pages = [client.get(f"/calendar?page={n}").get_data(as_text=True) for n in (1, 2, 3)]

    def listed(page):
        return [t for t in ("Soon A", "Later B", "Latest C", "Past D", "Old E")
                if page.split("</section>")[-1].count(t)]

    assert [listed(page) for page in pages] == [["Soon A", "Later B"], ["Latest C", "Past D"],
                                                ["Old E"]]
    # Every page still says which meeting is next.
    for page in pages:
        assert "Next meeting" in page and page.count("Soon A") >= 1
    assert "Page 3 of 3" in pages[2]


def test_ledger_and_my_stipend_page_payments_but_add_up_all_of_them(
        as_role, people, program, per_page):
    finance, member = people["finance"], people["member"]
    for cents in (10_000, 20_000, 30_000):
        pay(finance, member, cents)
    void_payment(finance, payments()[0], "Typed twice", utcnow())
    db.session.commit()
    ledger = as_role("finance").get(
        f"/finance/members/{enrollment_of(member).id}").get_data(as_text=True)
    mine = as_role("member").get("/stipend").get_data(as_text=True)
    for page in (ledger, mine):
        assert "Page 1 of 2" in page
        assert "$500.00" in page  # paid: the two payments not voided, across both pages
        assert page.count('class="payment-row') == 2
    second = as_role("member").get("/stipend?page=2").get_data(as_text=True)
    assert second.count('class="payment-row') == 1 and "payment-row--voided" in second


def test_my_attendance_comes_in_pages(as_role, people, program, per_page):
    member = people["member"]
    for n in range(3):
        meeting = make_meeting(program, people["facilitator"],
                               starts_in=timedelta(days=-7 * (n + 1)), title=f"Session {n}")
        db.session.add(Attendance(meeting_id=meeting.id, user_id=member.id,
                                  status=AttendanceStatus.IN_PERSON, marked_at=utcnow()))
    db.session.commit()
    client = as_role("member")
    first = client.get("/attendance").get_data(as_text=True)
    assert "Session 0" in first and "Session 1" in first and "Session 2" not in first
    assert "Session 2" in client.get("/attendance?page=2").get_data(as_text=True)


def test_translation_requests_come_in_pages_longest_waiting_first(
        as_role, people, program, per_page):
    facilitator = people["facilitator"]
    client = as_role("member")
    for n in range(3):
        document = make_document(program, facilitator, title=f"Reading {n}")
        client.post(f"/materials/{document.id}/translation-requests", data={"language": "ht"})
    staff = as_role("facilitator")
    first = staff.get("/materials/translation-requests").get_data(as_text=True)
    assert "Reading 0" in first and "Reading 1" in first and "Reading 2" not in first
    assert "Page 1 of 2" in first and "1 member asked" in first
    assert "Reading 2" in staff.get("/materials/translation-requests?page=2").get_data(
        as_text=True)


JUNK_PAGES = ("abc", "-1", "0", "1.5", "99999999999999999999", "2e3", "%00", "", "%C2%B2",
              "%D9%A2")  # the last two: a superscript two and an Arabic-Indic two
PAGED = {
    "member": ("/calendar", "/attendance", "/materials", "/stipend"),
    "facilitator": ("/meetings/{meeting_id}/roster", "/materials/translation-requests"),
    "finance": ("/finance", "/finance/tax-year", "/finance/members/{enrollment_id}"),
    "admin": ("/admin/people", "/admin/audit", "/admin/outbox"),
}


@pytest.mark.parametrize("role", list(PAGED))
def test_nonsense_page_numbers_show_a_page_not_an_error(as_role, people, program, role):
    meeting = make_meeting(program, people["facilitator"])
    ids = {"meeting_id": meeting.id, "enrollment_id": enrollment_of(people["member"]).id}
    client = as_role(role)
    for path in PAGED[role]:
        path = path.format(**ids)
        for junk in JUNK_PAGES:
            response = client.get(f"{path}?page={junk}")
            assert response.status_code == 200, (path, junk)
            assert "<title>Error:" not in response.get_data(as_text=True), (path, junk)
        # Far past the end: still a page.
        assert client.get(f"{path}?page=99999").status_code == 200, path
