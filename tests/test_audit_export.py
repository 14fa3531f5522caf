"""The audit log as a spreadsheet: for admins only, every event, newest first."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest

from portal.audit.models import AuditEvent
from portal.db import db


def _event(actor, action, subject_type, subject_id, details, when):
    event = AuditEvent(actor=actor, action=action, subject_type=subject_type,
                       subject_id=subject_id, details=details, created_at=when)
    db.session.add(event)
    return event


def _download(client) -> list[list[str]]:
    response = client.get("/admin/audit.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv" and response.is_streamed
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def test_admin_downloads_every_event_newest_first_with_names_and_labels(as_role, people):
    admin, member = people["admin"], people["member"]
    _event(admin, "roles.changed", "user", member.id, {"added": ["facilitator"], "removed": []},
           datetime(2027, 1, 5, 14, 30, 15, tzinfo=UTC))
    _event(None, "outbox.cleanup", "outbox", None, {"removed": 3},
           datetime(2027, 1, 6, 9, 0, tzinfo=UTC))
    _event(admin, "payment.voided", "payment", 42, {"reason": "Typed twice", "amount": 6000},
           datetime(2027, 1, 4, 8, 0, tzinfo=UTC))
    db.session.commit()

    header, *rows = _download(as_role("admin"))
    assert header == ["When (UTC)", "Who", "What", "Subject type", "Subject number", "Details"]
    assert [row[0] for row in rows] == ["2027-01-06 09:00:00", "2027-01-05 14:30:15",
                                        "2027-01-04 08:00:00"]
    system, roles, void = rows
    assert system[1:5] == ["", "outbox.cleanup", "outbox", ""]  # no label: the action itself
    assert roles[1:5] == ["Ada Admin", "Roles changed", "user", str(member.id)]
    assert json.loads(roles[5]) == {"added": ["facilitator"], "removed": []}
    assert void[2] == "Payment voided"
    assert " " not in void[5].replace("Typed twice", "")  # compact, one line


def test_headers_and_labels_come_in_the_admins_language(as_role, people):
    _event(people["admin"], "payment.recorded", "payment", 1, {},
           datetime(2027, 1, 4, 8, 0, tzinfo=UTC))
    db.session.commit()
    client = as_role("admin")
    english = _download(client)
    client.get("/language/es")
    spanish = _download(client)
    assert english[0][1] == "Who" and english[1][2] == "Payment recorded"
    assert spanish[0][1] == "Quién" and spanish[1][2] == "Pago registrado"


def test_cells_that_look_like_formulas_stay_text(as_role, people):
    people["admin"].name = "=HYPERLINK(\"http://evil.example\")"
    _event(people["admin"], "+cmd", "user", 1, {}, datetime(2027, 1, 4, 8, 0, tzinfo=UTC))
    db.session.commit()
    row = _download(as_role("admin"))[1]
    assert row[1] == "'=HYPERLINK(\"http://evil.example\")"
    assert row[2] == "'+cmd"


def test_the_audit_log_page_links_to_the_download(as_role, people):
    page = as_role("admin").get("/admin/audit").get_data(as_text=True)
    assert 'href="/admin/audit.csv"' in page


@pytest.mark.parametrize("role", ["member", "facilitator", "finance"])
def test_only_admins_may_download_the_audit_log(as_role, people, role):
    _event(people["admin"], "roles.changed", "user", 1, {},
           datetime(2027, 1, 4, 8, 0, tzinfo=UTC))
    db.session.commit()
    response = as_role(role).get("/admin/audit.csv")
    assert response.status_code == 403
    assert "roles.changed" not in response.get_data(as_text=True)


def test_signed_out_visitors_are_sent_to_sign_in(client, people):
    response = client.get("/admin/audit.csv")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
