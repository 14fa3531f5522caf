"""The city-scale data set: its size follows the scale, it keeps every rule the
portal enforces, the same seed makes the same rows, and its people can sign in."""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest
from sqlalchemy import func, select

from portal.auth.models import User
from portal.city_data import CityDataError, build_city, plan_for
from portal.db import db
from portal.demo import DEMO_PASSWORD
from portal.documents.models import Document, DocumentKind, DocumentVersion
from portal.meetings.models import Meeting, Response, Rsvp
from portal.programs.models import Enrollment, EnrollmentStatus
from portal.stipends.models import Payment

TINY = 0.004  # one program, twenty members, ten meetings


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def snapshot() -> dict[str, list[tuple]]:
    """Every row the generator writes, in id order; secrets are left out because they
    are random on purpose."""
    secret = {"password_hash", "session_token"}
    rows = {}
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.c if c.name not in secret]
        rows[table.name] = [tuple(row) for row in db.session.execute(
            select(*columns).order_by(*table.primary_key.columns))]
    return rows


def wipe() -> None:
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


def test_counts_grow_linearly_with_the_scale():
    city = plan_for(1.0)
    assert (city.programs, city.members, city.meetings, city.rsvps, city.documents,
            city.document_versions, city.payments, city.audit_events) == (
        50, 5_000, 2_500, 250_000, 30_000, 90_000, 100_000, 50_000)
    tenth = plan_for(0.1)
    assert (tenth.programs, tenth.members, tenth.meetings, tenth.rsvps, tenth.documents,
            tenth.payments, tenth.audit_events) == (5, 500, 250, 25_000, 3_000, 10_000, 5_000)
    with pytest.raises(CityDataError):
        plan_for(0)


def test_a_small_city_has_the_planned_rows_and_keeps_the_rules(ctx):
    summary = build_city(TINY, seed=7)
    plan = summary.plan
    assert (plan.programs, plan.members, plan.meetings) == (1, 20, 10)
    assert count(Enrollment) == plan.members
    assert count(Meeting) == plan.meetings
    assert count(Rsvp) == plan.rsvps == 200  # everyone answers every meeting
    assert count(Document) == plan.documents == 120
    assert count(DocumentVersion) == 3 * plan.documents
    assert count(Payment) == plan.payments == 400
    assert summary.counts["audit_events"] == plan.audit_events

    # Nobody is paid more than their stipend; every payment and void moved the ledger on.
    for enrollment in db.session.scalars(select(Enrollment)):
        payments = db.session.scalars(
            select(Payment).where(Payment.enrollment_id == enrollment.id)).all()
        assert sum(p.amount_cents for p in payments if not p.is_voided) \
            <= enrollment.stipend_total_cents
        assert enrollment.ledger_version == len(payments) + sum(p.is_voided for p in payments)
    voided = db.session.scalars(select(Payment).where(Payment.voided_at.is_not(None))).all()
    assert all(p.void_reason and p.voided_by_id for p in voided)

    # In-person answers never pass the seats; a waitlist only forms once the room is full.
    answers = defaultdict(Counter)
    for rsvp in db.session.scalars(select(Rsvp)):
        answers[rsvp.meeting_id][rsvp.response] += 1
    for meeting in db.session.scalars(select(Meeting)):
        taken = answers[meeting.id][Response.IN_PERSON]
        if meeting.capacity is None:
            assert taken == 0 and answers[meeting.id][Response.WAITLISTED] == 0
        else:
            assert taken <= meeting.capacity
            if answers[meeting.id][Response.WAITLISTED]:
                assert taken == meeting.capacity

    # Exactly one original per document, in a language of its own; agendas and
    # minutes belong to a meeting.
    for document in db.session.scalars(select(Document)):
        assert sum(v.is_original for v in document.versions) == 1
        assert len({v.language for v in document.versions}) == 3
        if document.kind in (DocumentKind.AGENDA, DocumentKind.MINUTES):
            assert document.meeting_id is not None


def test_the_same_seed_makes_the_same_rows(ctx):
    build_city(TINY, seed=3)
    first = snapshot()
    wipe()
    build_city(TINY, seed=3)
    assert snapshot() == first
    wipe()
    build_city(TINY, seed=4)
    assert snapshot()["payments"] != first["payments"]


def test_it_refuses_a_database_that_has_data(ctx):
    build_city(TINY, seed=7)
    with pytest.raises(CityDataError, match="empty"):
        build_city(TINY, seed=7)
    assert count(Meeting) == plan_for(TINY).meetings


def test_a_member_signs_in_and_sees_their_calendar_and_stipend(ctx, client):
    build_city(TINY, seed=7)
    member = db.session.scalars(
        select(User).join(Enrollment, Enrollment.user_id == User.id)
        .where(Enrollment.status == EnrollmentStatus.ACTIVE, User.email.is_not(None),
               User.preferred_language == "en")
        .order_by(User.id)).first()
    paid = db.session.scalar(select(func.sum(Payment.amount_cents)).join(Enrollment).where(
        Enrollment.user_id == member.id, Payment.voided_at.is_(None)))
    db.session.commit()

    response = client.post("/sign-in", data={"identifier": member.email,
                                              "password": DEMO_PASSWORD})
    assert response.status_code == 302
    calendar = client.get("/calendar")
    assert calendar.status_code == 200
    assert "Design session 1" in calendar.get_data(as_text=True)
    stipend = client.get("/stipend")
    assert stipend.status_code == 200
    # The page adds up this member's own payments.
    assert f"{paid / 100:,.2f}" in stipend.get_data(as_text=True)
