"""The audit log page: each event a sentence in the reader's language with people's names and
what changed from what to what, filters, money details for finance staff only, and a
fixed number of SQL statements whatever the page holds."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.audit.services import record_event
from portal.auth.models import Role
from portal.db import db
from portal.meetings.models import MeetingFormat
from portal.meetings.services import MeetingDetails, create_meeting, local_instant, update_meeting
from portal.programs.models import TaxFormStatus
from portal.stipends.models import VoidReason
from portal.stipends.services import set_tax_form_status, void_payment
from tests.conftest import make_person, queries_for, sign_in
from tests.test_stipends import enrollment_of, pay


def _details(program, day: date, hour: int = 18) -> MeetingDetails:
    from datetime import time

    return MeetingDetails(
        starts_at=local_instant(day, time(hour), program.timezone),
        ends_at=local_instant(day, time(hour + 2), program.timezone),
        format=MeetingFormat.IN_PERSON, venue="City Hall", room="801",
        accessibility_notes=None, join_link=None, capacity=20, rsvp_deadline=None)


def _set_time(event: AuditEvent, when: datetime) -> None:
    event.created_at = when
    db.session.commit()


def test_a_meeting_change_reads_as_a_sentence_with_the_name_and_both_times(
        as_role, people, program):
    admin = make_person(program, Role.ADMIN, name="Ana Pérez")
    meeting = create_meeting(admin, program, _details(program, date(2026, 12, 2)),
                             language="en", title="Welcome", description=None)
    db.session.commit()
    update_meeting(admin, meeting, _details(program, date(2026, 12, 3)), title="Welcome",
                   description=None)
    db.session.commit()
    client = as_role("admin")
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "Ana Pérez changed the meeting “Welcome”: time from Wed, Dec 2, 2026 6:00" in page
    assert "to Thu, Dec 3, 2026 6:00" in page
    assert "Ana Pérez added the meeting “Welcome” on Wed, Dec 2, 2026 6:00" in page
    assert "\\u" not in page and "person #" not in page and "{&#34;" not in page

    client.get("/language/es")
    spanish = client.get("/admin/audit").get_data(as_text=True)
    assert "Ana Pérez cambió la reunión «Welcome»: hora de" in spanish
    assert "mié, 2 de dic de 2026 6:00\u202fp.m." in spanish  # as written in the US
    assert "p.m.." not in spanish  # one full stop after "p.m." ends the sentence


def test_people_events_name_the_person_and_roles(as_role, people):
    admin, member = people["admin"], people["member"]
    record_event(admin, "roles.changed", "user", member.id, added=["facilitator"], removed=[])
    record_event(admin, "person.deactivated", "user", member.id)
    db.session.commit()
    page = as_role("admin").get("/admin/audit").get_data(as_text=True)
    assert "Ada Admin gave Mo Member the role Facilitator." in page
    assert "Ada Admin deactivated Mo Member." in page


def test_unknown_kinds_of_event_fall_back_to_a_plain_sentence(as_role, people):
    record_event(people["admin"], "calls.reopened", "call", 3, seats=12)
    record_event(None, "meeting.updated", "meeting", 999, changed=["venue"])  # no such meeting
    db.session.commit()
    page = as_role("admin").get("/admin/audit").get_data(as_text=True)
    assert "Ada Admin: calls.reopened." in page
    assert "The system changed the meeting “a meeting”: place." in page


def test_money_details_are_shown_only_to_readers_with_the_finance_role(
        app, as_role, people, program):
    payment = pay(people["finance"], people["member"], 60_000, date(2026, 11, 20),
                  reference="Check 1043")
    void_payment(people["finance"], payment, "Lost in the mail", datetime.now(UTC),
                 kind=VoidReason.LOST)
    set_tax_form_status(people["finance"], enrollment_of(people["member"]),
                        TaxFormStatus.RECEIVED)
    db.session.commit()
    admin_page = as_role("admin").get("/admin/audit").get_data(as_text=True)
    assert "Finn Finance recorded a payment to Mo Member, paid on Nov 20, 2026 by Check." \
        in admin_page
    assert "Finn Finance voided a payment to Mo Member paid on Nov 20, 2026." in admin_page
    assert "$600.00" not in admin_page and "Check 1043" not in admin_page
    assert "Lost in the mail" not in admin_page
    assert "shown to finance staff only" in admin_page
    assert "from Not requested to Received" in admin_page  # not money: shown

    both = make_person(program, Role.ADMIN, Role.FINANCE, name="Bea Both")
    client = app.test_client()
    sign_in(client, both)
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "recorded a payment of $600.00 to Mo Member" in page
    assert "Reference: Check 1043." in page
    assert "voided a payment of $600.00" in page and "Reason: Lost in the mail" in page


def test_filters_by_who_what_kind_and_a_date_range(as_role, people):
    admin, finance, member = people["admin"], people["finance"], people["member"]
    _set_time(record_event(admin, "person.deactivated", "user", member.id),
              datetime(2026, 11, 2, 15, tzinfo=UTC))
    _set_time(record_event(admin, "person.reactivated", "user", member.id),
              datetime(2026, 11, 20, 15, tzinfo=UTC))
    _set_time(record_event(finance, "enrollment.tax_form_changed", "enrollment", 1,
                           member="Mo Member", changes={"tax_form_status": {
                               "from": "not_requested", "to": "requested"}}),
              datetime(2026, 11, 21, 4, tzinfo=UTC))  # 20 November, 11 p.m. in Boston
    client = as_role("admin")

    def shown(query: str) -> list[str]:
        page = client.get("/admin/audit" + query).get_data(as_text=True)
        return [word for word in ("deactivated", "reactivated", "tax form") if
                f"{word} Mo Member" in page or f"{word} (W-9) of Mo Member" in page]

    assert shown("") == ["deactivated", "reactivated", "tax form"]
    assert "There is a problem" not in client.get("/admin/audit").get_data(as_text=True)
    assert shown(f"?who={finance.id}") == ["tax form"]
    assert shown("?kind=people") == ["deactivated", "reactivated"]
    assert shown("?kind=money") == ["tax form"]
    assert shown("?since=2026-11-10&until=2026-11-20") == ["reactivated", "tax form"]
    assert shown("?until=2026-11-19") == ["deactivated"]
    bad = client.get("/admin/audit?since=2026-13-45&until=2026-11-19").get_data(as_text=True)
    assert "Enter a real date, like 2026-12-02." in bad and "<title>Error:" in bad
    assert "reactivated" not in bad  # the valid half of the filter still applies
    backwards = client.get("/admin/audit?since=2026-11-20&until=2026-11-01").get_data(
        as_text=True)
    assert "The end date must be on or after the start date." in backwards
    csv_text = client.get(f"/admin/audit.csv?who={finance.id}").get_data(as_text=True)
    assert "tax_form_status" in csv_text and "person.deactivated" not in csv_text


def test_the_page_makes_the_same_few_queries_however_many_people_and_meetings(
        app, as_role, people, program):
    admin = people["admin"]
    client = as_role("admin")
    meeting = create_meeting(admin, program, _details(program, date(2026, 12, 2)),
                             language="en", title="Welcome", description=None)
    record_event(admin, "roles.changed", "user", people["member"].id, added=["finance"],
                 removed=[])
    db.session.commit()
    few = queries_for(app, client, "/admin/audit")
    for n in range(12):
        someone = make_person(program, Role.ADMIN, name=f"Staff {n:02d}")
        other = create_meeting(someone, program, _details(program, date(2026, 12, 9 + n)),
                               language="es", title=f"Sesión {n}", description=None)
        record_event(someone, "rsvp.changed_by_staff", "meeting", other.id,
                     person_id=people["member"].id, response="virtual", previous=None)
        record_event(someone, "meeting.cancelled", "meeting", meeting.id)
    db.session.commit()
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "Staff 11 answered for Mo Member for the meeting “Sesión 11”: joining online." \
        in page
    assert queries_for(app, client, "/admin/audit") == few
    assert db.session.scalar(select(AuditEvent.id).limit(1)) is not None


def test_every_kind_of_event_the_portal_records_has_a_name():
    """An event recorded anywhere in the code is named in the reader's language on
    the audit page and in its filter, never shown as its code (call.opened)."""
    import re
    from pathlib import Path

    from portal.admin.views import AUDIT_ACTIONS

    source = "".join(path.read_text() for path in Path("portal").rglob("*.py"))
    recorded = set(re.findall(r'record_event\(\s*[^,]+,\s*"([a-z_]+\.[a-z_]+)"', source))
    assert len(recorded) > 30
    assert sorted(recorded - set(AUDIT_ACTIONS)) == []
