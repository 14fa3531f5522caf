"""Each main page runs a small, fixed number of SQL statements, however much data
the program holds: a page with ten times the members, meetings, answers,
documents, payments and audit events must not run one statement more."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import insert

from portal.audit.models import AuditEvent
from portal.auth.models import Role, RoleGrant, User
from portal.db import db, utcnow
from portal.documents.models import (
    Document,
    DocumentKind,
    DocumentStatus,
    DocumentVersion,
    RequestStatus,
    TranslationRequest,
)
from portal.meetings.models import (
    Attendance,
    AttendanceStatus,
    Meeting,
    MeetingFormat,
    MeetingText,
    Response,
    Rsvp,
)
from portal.programs.models import Enrollment
from portal.stipends.models import Payment, PaymentMethod
from tests.conftest import queries_for

BUDGET = 10  # statements per page, whatever the size of the data
GROWTH = 10  # the large data set has this many times the rows of the small one


@dataclass
class World:
    """The rows a page address is built from, and who is looking."""

    program_id: int
    member_id: int
    member_enrollment_id: int
    meeting_id: int
    document_id: int
    finance_id: int
    admin_id: int
    languages_added: int = 0


def _insert(model, rows: list[dict]) -> None:
    if rows:
        db.session.execute(insert(model), rows)


def _new_ids(model, rows: list[dict]) -> list[int]:
    """Insert rows in one statement and hand back their ids, in order."""
    return list(db.session.scalars(insert(model).returning(model.id), rows))


def grow(world: World, times: int) -> None:
    """Add `times` portions of everything a city-sized program piles up."""
    now = utcnow()
    members, meetings = 4 * times, 3 * times
    names = [f"Member {uuid.uuid4().hex[:8]}" for _ in range(members)]
    user_ids = _new_ids(User, [
        {"name": name, "email": f"{name.split()[1]}@example.org", "preferred_language": "es",
         "session_token": uuid.uuid4().hex} for name in names])
    _insert(RoleGrant, [{"user_id": user_id, "role": Role.MEMBER, "granted_at": now}
                        for user_id in user_ids])
    enrollment_ids = _new_ids(Enrollment, [
        {"user_id": user_id, "program_id": world.program_id, "stipend_total_cents": 120_000,
         "enrolled_at": now} for user_id in user_ids])

    # Half of the new meetings are past, half to come.
    starts = [now + timedelta(days=7 * (n - meetings // 2) + 1) for n in range(meetings)]
    meeting_ids = _new_ids(Meeting, [
        {"program_id": world.program_id, "starts_at": start, "ends_at": start + timedelta(hours=2),
         "format": MeetingFormat.HYBRID, "venue": "City Hall", "capacity": 2 * members,
         "ical_uid": f"{uuid.uuid4()}@test", "created_at": now, "updated_at": now}
        for start in starts])
    _insert(MeetingText, [
        {"meeting_id": meeting_id, "language": language, "title": f"Session {language}",
         "is_original": language == "en"}
        for meeting_id in meeting_ids for language in ("en", "es")])

    # Everyone answers every meeting, the looked-at meeting included.
    answers = (Response.IN_PERSON, Response.VIRTUAL, Response.NOT_ATTENDING)
    everyone = [*user_ids, world.member_id]
    _insert(Rsvp, [
        {"meeting_id": meeting_id, "user_id": user_id, "response": answers[n % 3],
         "interpretation_language": "es" if n % 2 else None, "childcare_children": n % 2,
         "transport_help": bool(n % 3), "access_needs": "Ramp" if n % 5 == 0 else None,
         "created_at": now, "updated_at": now}
        for meeting_id in meeting_ids for n, user_id in enumerate(everyone)
        if user_id != world.member_id or meeting_id != world.meeting_id])
    _insert(Rsvp, [
        {"meeting_id": world.meeting_id, "user_id": user_id, "response": answers[n % 3],
         "childcare_children": 1, "transport_help": True, "created_at": now, "updated_at": now}
        for n, user_id in enumerate(user_ids)])
    past = [meeting_id for meeting_id, start in zip(meeting_ids, starts, strict=True)
            if start < now]
    _insert(Attendance, [
        {"meeting_id": meeting_id, "user_id": user_id, "status": AttendanceStatus.IN_PERSON,
         "marked_by_id": world.admin_id, "marked_at": now}
        for meeting_id in past for user_id in everyone])

    # An agenda for each meeting, in three languages, and readings without a meeting.
    document_ids = _new_ids(Document, [
        {"program_id": world.program_id, "meeting_id": meeting_id, "kind": kind,
         "status": DocumentStatus.PUBLISHED, "published_at": now, "created_at": now,
         "created_by_id": world.admin_id}
        for meeting_id, kind in [(m, DocumentKind.AGENDA) for m in meeting_ids]
        + [(None, DocumentKind.READING)] * times])
    _insert(DocumentVersion, [
        {"document_id": document_id, "language": language, "title": f"Text in {language}",
         "body": "Words", "is_original": language == "en", "written_by_id": world.admin_id,
         "written_at": now}
        for document_id in [*document_ids] for language in ("en", "es", "vi")])
    # The looked-at document gains translations too.
    languages = ("fr", "ru", "ar", "pt_BR", "zh_Hant")[world.languages_added:][:times]
    world.languages_added += len(languages)
    _insert(DocumentVersion, [
        {"document_id": world.document_id, "language": language, "title": f"In {language}",
         "body": "Words", "written_by_id": user_id, "written_at": now}
        for language, user_id in zip(languages, user_ids, strict=False)])
    _insert(TranslationRequest, [
        {"document_id": document_id, "language": "ht", "requester_id": user_id,
         "status": RequestStatus.OPEN, "created_at": now}
        for document_id in [world.document_id, *document_ids[:times]] for user_id in user_ids])

    # Two payments per member, one of them voided, and more for the looked-at member;
    # recorded and voided by many different people, as a per-row lookup would show.
    _insert(Payment, [
        {"enrollment_id": enrollment_id, "amount_cents": 10_000, "method": PaymentMethod.CHECK,
         "paid_on": date(2027, 1, 1 + n), "submission_key": uuid.uuid4().hex,
         "recorded_by_id": staff, "recorded_at": now,
         **({"voided_by_id": staff, "voided_at": now, "void_reason": "Twice"} if n else {})}
        for enrollment_id, staff in [*zip(enrollment_ids, user_ids, strict=True),
                                     *((world.member_enrollment_id, user_id)
                                       for user_id in user_ids[:times])]
        for n in range(2)])
    _insert(AuditEvent, [
        {"actor_id": user_ids[n % len(user_ids)] if n % 4 else None, "action": "roles.changed",
         "subject_type": "payment", "subject_id": n, "details": {"n": n}, "created_at": now}
        for n in range(10 * times)])
    db.session.commit()


@pytest.fixture
def world(program, people) -> World:
    admin, member = people["admin"], people["member"]
    now = utcnow()
    meeting = Meeting(program=program, starts_at=now - timedelta(hours=1),
                      ends_at=now + timedelta(hours=1), format=MeetingFormat.HYBRID,
                      venue="City Hall", capacity=1000, ical_uid=f"{uuid.uuid4()}@test",
                      texts=[MeetingText(language="en", title="The meeting", is_original=True)])
    document = Document(program=program, meeting=meeting, kind=DocumentKind.AGENDA,
                        status=DocumentStatus.PUBLISHED, published_at=now, created_at=now,
                        versions=[DocumentVersion(language="en", title="The agenda",
                                                  body="Plans", is_original=True,
                                                  written_by_id=admin.id, written_at=now)])
    db.session.add_all([meeting, document])
    db.session.commit()
    enrollment = db.session.scalars(db.select(Enrollment).filter_by(user_id=member.id)).one()
    world = World(program_id=program.id, member_id=member.id,
                  member_enrollment_id=enrollment.id, meeting_id=meeting.id,
                  document_id=document.id, finance_id=people["finance"].id, admin_id=admin.id)
    grow(world, 1)
    return world


PAGES = {
    "home": ("member", "/"),
    "calendar": ("member", "/calendar"),
    "meeting": ("member", "/meetings/{meeting_id}"),
    "attendance": ("member", "/attendance"),
    "roster": ("facilitator", "/meetings/{meeting_id}/roster"),
    "season-attendance": ("facilitator", "/meetings/attendance"),
    "staff-home": ("facilitator", "/"),
    "finance-home": ("finance", "/"),
    "materials": ("member", "/materials"),
    "document": ("member", "/materials/{document_id}"),
    "translation-requests": ("facilitator", "/materials/translation-requests"),
    "my-stipend": ("member", "/stipend"),
    "finance-overview": ("finance", "/finance"),
    "member-ledger": ("finance", "/finance/members/{member_enrollment_id}"),
    "tax-year": ("finance", "/finance/tax-year"),
    "audit-log": ("admin", "/admin/audit"),
    "people": ("admin", "/admin/people"),
}


@pytest.mark.parametrize("page", list(PAGES))
def test_page_runs_the_same_few_statements_for_ten_times_the_data(app, as_role, world, page):
    role, path = PAGES[page]
    path = path.format(**vars(world))
    client = as_role(role)
    client.get(path)  # the first request warms per-process caches
    small = queries_for(app, client, path)
    grow(world, GROWTH - 1)
    large = queries_for(app, client, path)
    print(f"{page}: {small} statements small, {large} large")
    assert large <= small, f"{path}: {small} statements on the small data, {large} on the large"
    assert large <= BUDGET, f"{path}: {large} statements, more than {BUDGET}"


def test_a_returning_members_home_runs_the_same_few_statements(app, people, world):
    """A second visit also counts what is new since the first; still a fixed few statements."""
    from tests.conftest import sign_in

    for _ in range(2):
        client = app.test_client()
        sign_in(client, people["member"])
    assert "New since your last visit" in client.get("/").get_data(as_text=True)
    small = queries_for(app, client, "/")
    grow(world, GROWTH - 1)
    large = queries_for(app, client, "/")
    assert large <= small <= BUDGET, f"{small} statements on the small data, {large} on the large"
