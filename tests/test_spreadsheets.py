"""Downloads other programs read: CSV files that Excel and LibreOffice open with every
name intact, and Excel workbooks with numbers as numbers and text never as formulas."""

from __future__ import annotations

import csv
import io
import tracemalloc
from datetime import date, timedelta
from decimal import Decimal

import openpyxl
import pytest
from flask import Flask

from portal.auth.models import Role
from portal.csv_export import BYTE_ORDER_MARK, XLSX_TYPE, xlsx_download
from portal.db import db, utcnow
from portal.meetings.models import MeetingFormat, Response
from portal.meetings.services import MeetingDetails, Needs, create_meeting, rsvp_for_meeting
from portal.stipends.models import PaymentMethod
from tests.conftest import make_person
from tests.test_stipends import pay

NAMES = ("陳美玲 (Mei-Ling Chen)", "Nguyễn Thị Lan", "أمينة حداد", "Ольга Петрова")
FORMULA_NAME = "=HYPERLINK(\"http://x\",\"pay\")"


@pytest.fixture
def world(program, people):
    members = [make_person(program, Role.MEMBER, name=name) for name in NAMES]
    sneaky = make_person(program, Role.MEMBER, name=FORMULA_NAME)
    for member in [*members, sneaky]:
        pay(people["finance"], member, 60_050, date(2026, 12, 2), PaymentMethod.CHECK,
            reference="Check 1041")
    start = utcnow() + timedelta(days=3)
    meeting = create_meeting(
        people["facilitator"], program,
        MeetingDetails(starts_at=start, ends_at=start + timedelta(hours=2),
                       format=MeetingFormat.HYBRID, venue="City Hall", room="801",
                       join_link="https://video.example.org/x", capacity=10),
        language="en", title="Design session", description=None)
    for member in members:
        rsvp_for_meeting(member, meeting, Response.IN_PERSON, Needs(childcare_children=2),
                         utcnow())
    rsvp_for_meeting(sneaky, meeting, Response.VIRTUAL, Needs(access_needs="+1 chair"),
                     utcnow())
    db.session.commit()
    return {"meeting_id": meeting.id}


def _downloads(world):
    return {
        "finance": ["/finance/ledger", "/finance/tax-year/2026"],
        "facilitator": [f"/meetings/{world['meeting_id']}/roster"],
        "admin": ["/admin/audit"],
    }


def test_every_csv_starts_with_a_byte_order_mark_and_keeps_names(world, as_role):
    for role, paths in _downloads(world).items():
        client = as_role(role)
        for path in paths:
            response = client.get(path + ".csv")
            assert response.status_code == 200 and response.is_streamed, path
            data = response.get_data()
            # Excel on Windows reads UTF-8 only when the file says so with this mark.
            assert data.startswith(BYTE_ORDER_MARK.encode("utf-8")), path
            assert data.count(BYTE_ORDER_MARK.encode("utf-8")) == 1
            rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
            cells = {cell for row in rows for cell in row}
            assert not rows[0][0].startswith(BYTE_ORDER_MARK)
            if role != "admin":
                assert set(NAMES) <= cells, path


def _read_workbook(response) -> list[list]:
    assert response.status_code == 200
    assert response.mimetype == XLSX_TYPE
    assert response.headers["Content-Disposition"].startswith("attachment;")
    workbook = openpyxl.load_workbook(io.BytesIO(response.get_data()))
    sheet = workbook.worksheets[0]
    for row in sheet.iter_rows():
        for cell in row:
            # Text is stored as text, never as a formula a spreadsheet would run.
            assert cell.data_type != "f", cell.value
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_ledger_workbook_has_names_numbers_and_dates(world, as_role):
    rows = _read_workbook(as_role("finance").get("/finance/ledger.xlsx"))
    assert rows[0][:4] == ["Payment number", "Member", "Date paid", "Amount"]
    by_name = {row[1]: row for row in rows[1:]}
    assert set(NAMES) <= set(by_name)
    row = by_name[NAMES[0]]
    assert isinstance(row[0], int)
    assert row[2].date() == date(2026, 12, 2)
    assert row[3] == pytest.approx(600.50) and isinstance(row[3], float)
    assert row[6] == "Check 1041"
    # The same guard as the CSV: a name that looks like a formula stays visible text.
    assert "'" + FORMULA_NAME in by_name


def test_tax_year_and_roster_workbooks(world, as_role):
    rows = _read_workbook(as_role("finance").get("/finance/tax-year/2026.xlsx"))
    totals = {row[0]: row for row in rows[1:]}
    assert set(NAMES) <= set(totals)
    assert totals[NAMES[1]][2] == 2026 and totals[NAMES[1]][3] == pytest.approx(600.50)
    rows = _read_workbook(as_role("facilitator").get(
        f"/meetings/{world['meeting_id']}/roster.xlsx"))
    roster = {row[0]: row for row in rows[1:]}
    assert set(NAMES) <= set(roster)
    assert roster[NAMES[2]][3] == "In person" and roster[NAMES[2]][5] == 2
    assert roster["'" + FORMULA_NAME][7] == "'+1 chair"


def _peak_while_writing(rows: int) -> int:
    app = Flask(__name__)

    def table():
        for number in range(rows):
            yield (number, NAMES[number % 4] * 3, date(2026, 12, 1), Decimal("600.50"),
                   "USD", "Check", f"Check {number}", "A note written by hand " * 3)

    with app.test_request_context():
        tracemalloc.start()
        response = xlsx_download(["n", "name", "day", "amount", "c", "how", "ref", "note"],
                                 table(), "ledger.xlsx", "Payments")
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        response.close()
    return peak


def test_workbook_memory_stays_flat_as_rows_grow():
    small, large = _peak_while_writing(2_000), _peak_while_writing(20_000)
    # Ten times the rows; without constant_memory the peak grows about tenfold.
    assert large < small * 2, (small, large)
