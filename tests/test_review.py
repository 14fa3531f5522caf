"""Reviewing a call: blind reading, a rubric, scores, conflicts handed on, the
admins' view of scores and the pool rule the draw then follows."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.applications.models import ApplicationStatus
from portal.audit.models import AuditEvent
from portal.auth.models import Role
from portal.db import db
from portal.review.models import CallReviewer, Review, ReviewSetup, RubricCriterion
from tests.conftest import make_person, sign_in
from tests.test_selection_web import PEOPLE, add_application, call  # noqa: F401 - fixture

RUBRIC = {"names-0": "Lived experience", "guides-0": "1: not described. 5: clear and close.",
          "names-1": "Ideas for the service", "guides-1": "1: none. 5: concrete and new."}


@pytest.fixture
def reviewers(program):
    return [make_person(program, Role.REVIEWER, name=name)
            for name in ("Rene Reader", "Sam Scorer", "Tova Third")]


def reviewer_client(app, person):
    client = app.test_client()
    sign_in(client, person)
    return client


def set_up_review(admin, call, reviewers, reviews="2", min_mean=""):
    assert admin.post(f"/admin/calls/{call.id}/review/rules",
                      data={"reviews_per_application": reviews,
                            "pool_min_mean": min_mean}).status_code == 302
    for person in reviewers:
        assert admin.post(f"/admin/calls/{call.id}/review/reviewers",
                          data={"reviewer": str(person.id)}).status_code == 302
    assert admin.post(f"/admin/calls/{call.id}/review/rubric", data=RUBRIC).status_code == 302
    assert admin.post(f"/admin/calls/{call.id}/review/share").status_code == 302


def test_each_eligible_application_gets_its_reviews_shared_evenly(as_role, call, reviewers):
    set_up_review(as_role("admin"), call, reviewers)
    reviews = db.session.scalars(select(Review)).all()
    # Eight eligible applications, two reviews each, three reviewers: 6, 5 and 5.
    assert len(reviews) == 16
    per_application = {}
    for review in reviews:
        per_application.setdefault(review.application_id, set()).add(review.reviewer_id)
    assert all(len(readers) == 2 for readers in per_application.values())
    load = sorted(sum(r.reviewer_id == p.id for r in reviews) for p in reviewers)
    assert load == [5, 5, 6]
    assert db.session.scalars(select(RubricCriterion)).all()


def test_a_reviewer_reads_blind_and_only_their_own(app, as_role, call, reviewers):
    set_up_review(as_role("admin"), call, reviewers)
    mine = db.session.scalars(select(Review).where(
        Review.reviewer_id == reviewers[0].id)).first()
    others = db.session.scalars(select(Review).where(
        Review.reviewer_id != reviewers[0].id)).first()
    client = reviewer_client(app, reviewers[0])
    page = client.get(f"/reviews/{mine.id}").get_data(as_text=True)
    application = mine.application
    assert application.statement in page
    for hidden in (application.name, application.email, application.reference,
                   application.neighborhood):
        assert hidden not in page
    assert client.get(f"/reviews/{others.id}").status_code == 404
    assert client.get(f"/admin/applications/{application.id}").status_code in (403, 404)
    assert db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "review.opened")).first()


def test_scores_are_saved_and_a_bad_score_changes_nothing(app, as_role, call, reviewers):
    set_up_review(as_role("admin"), call, reviewers)
    review = db.session.scalars(select(Review).where(
        Review.reviewer_id == reviewers[0].id)).first()
    criteria = db.session.scalars(select(RubricCriterion).order_by(RubricCriterion.position)).all()
    client = reviewer_client(app, reviewers[0])
    bad = client.post(f"/reviews/{review.id}", data={f"score_{criteria[0].id}": "9",
                                                     "comment": "Keep this text"})
    assert bad.status_code == 400 and "Keep this text" in bad.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Review, review.id).submitted_at is None
    good = client.post(f"/reviews/{review.id}", data={f"score_{criteria[0].id}": "4",
                                                      f"score_{criteria[1].id}": "5"})
    assert good.status_code == 302
    db.session.expire_all()
    assert db.session.get(Review, review.id).scores == {str(criteria[0].id): 4,
                                                        str(criteria[1].id): 5}


def test_a_conflict_hands_the_application_to_someone_else(app, as_role, call, reviewers):
    set_up_review(as_role("admin"), call, reviewers)
    review = db.session.scalars(select(Review).where(
        Review.reviewer_id == reviewers[0].id)).first()
    application_id = review.application_id
    client = reviewer_client(app, reviewers[0])
    assert client.post(f"/reviews/{review.id}/conflict",
                       data={"note": "My neighbour"}).status_code == 302
    db.session.expire_all()
    readers = db.session.scalars(select(Review).where(
        Review.application_id == application_id, Review.conflict_at.is_(None))).all()
    assert len(readers) == 2 and reviewers[0].id not in {r.reviewer_id for r in readers}
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"review.conflict_declared", "review.reassigned"} <= actions


def test_the_pool_rule_keeps_out_low_and_unfinished(app, as_role, call, reviewers):
    admin = as_role("admin")
    set_up_review(admin, call, reviewers[:2], min_mean="3.5")
    criteria = db.session.scalars(select(RubricCriterion).order_by(RubricCriterion.position)).all()
    applications = sorted({r.application_id for r in db.session.scalars(select(Review))})
    # Everyone scores everything 4 and 3 (mean 3.5: in), except the first application
    # (3 and 4 from one, 3 and 3 from the other: mean 3.25, out) and the last, unscored.
    for person in reviewers[:2]:
        client = reviewer_client(app, person)
        for review in db.session.scalars(select(Review).where(Review.reviewer_id == person.id)):
            if review.application_id == applications[-1]:
                continue
            low = review.application_id == applications[0] and person == reviewers[1]
            client.post(f"/reviews/{review.id}", data={
                f"score_{criteria[0].id}": "3" if low else "4",
                f"score_{criteria[1].id}": "3"})
    from portal.selection.services import pool_applications
    pool = {a.id for a in pool_applications(call)}
    assert applications[0] not in pool and applications[-1] not in pool
    assert pool == set(applications[1:-1])
    page = admin.get(f"/admin/calls/{call.id}/review").get_data(as_text=True)
    assert "<td>3.50</td>" in page and "<td>3.25</td>" in page
