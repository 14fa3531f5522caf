"""The demo as its first user meets it: this season's call drawn by the real rule with
the ten members as its panel, re-checkable from the exported files; the next group's
call open, its reviews under way; a reviewer who signs in and finds their reviews."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from html import unescape

import pytest
from sqlalchemy import func, select

from portal.applications.models import Application, ApplicationStatus, OpenCall
from portal.applications.services import call_counts
from portal.audit.models import AuditEvent
from portal.auth.models import Role, User
from portal.db import db, utcnow
from portal.demo import DEMO_PASSWORD, DEMO_PEOPLE, seed_demo, sign_in_table
from portal.outbox.models import OutboxMessage, OutboxStatus
from portal.review.models import Review
from portal.review.scores import scores_of
from portal.review.services import criteria_of, reviewers_of, setup_for
from portal.selection.demo import seed_drawing
from portal.selection.inputs import Target
from portal.selection.lottery import find_lottery, sample_panel
from portal.selection.models import SeatOffer, SelectionDraw
from portal.selection.services import chance_text, plan_for

MEMBERS = [person for person in DEMO_PEOPLE if Role.MEMBER in person.roles]
REVIEWER = "reviewer@demo.example.org"


@pytest.fixture
def demo(ctx):
    seed_demo(date.today())
    db.session.commit()
    season = db.session.scalars(select(OpenCall).where(OpenCall.slug == "design-group")).one()
    second = db.session.scalars(select(OpenCall).where(OpenCall.slug == "second-group")).one()
    return season, second


def draw_of(call: OpenCall) -> SelectionDraw:
    return db.session.scalars(select(SelectionDraw).where(SelectionDraw.call_id == call.id)).one()


def sign_in(client, identifier: str) -> None:
    response = client.post("/sign-in", data={"identifier": identifier,
                                             "password": DEMO_PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]


def test_this_seasons_call_is_closed_and_the_next_groups_is_open(demo):
    season, second = demo
    assert not season.is_open(utcnow()) and second.is_open(utcnow())
    counts = dict(db.session.execute(select(OpenCall.slug, func.count(Application.id))
                                     .outerjoin(Application).group_by(OpenCall.slug)).all())
    assert counts["design-group"] >= 30 and counts["second-group"] >= 10
    by_place = call_counts(season).by_neighborhood
    assert by_place.most_common(3)[0][0] in ("Dorchester", "Roxbury", "South End")


def test_the_drawn_panel_is_the_ten_members_who_all_said_yes(demo):
    season, _ = demo
    record = draw_of(season)
    panel = [db.session.get(Application, int(person)) for person in record.panel]
    assert sorted(a.name for a in panel) == sorted(p.name for p in MEMBERS)
    assert {a.status for a in panel} == {ApplicationStatus.CONFIRMED}
    # Each application says what its member's account says.
    by_name = {person.name: person for person in MEMBERS}
    confirmed = {event.subject_id: event.details["user_id"] for event in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "selection.seat_confirmed"))}
    for application in panel:
        person = by_name[application.name]
        user = db.session.get(User, confirmed[application.id])
        assert (user.name, user.email, user.username) == (person.name, person.email,
                                                          person.username)
        assert application.email == user.email
        assert application.language == user.preferred_language == person.language
        assert application.neighborhood == person.neighborhood
        assert Role.MEMBER in user.roles
    # Nobody is left with a live link to a seat that is already taken.
    assert db.session.scalar(select(func.count(SeatOffer.id))) == 0


def test_four_ranked_alternates_wait_and_the_rest_were_told_no(demo):
    season, _ = demo
    record = draw_of(season)
    assert len(record.ranked_alternates) == record.alternates == 4
    assert {db.session.get(Application, int(person)).status
            for person in record.ranked_alternates} == {ApplicationStatus.ALTERNATE}
    statuses = set(db.session.scalars(select(Application.status).where(
        Application.call_id == season.id)))
    assert ApplicationStatus.NOT_SELECTED in statuses
    assert ApplicationStatus.ELIGIBLE not in statuses  # everyone in the pool has an outcome
    assert record.decisions_sent_at is not None and season.decided_at is not None
    assert record.drawn_at < record.decisions_sent_at < utcnow()
    assert record.targets == plan_for(season).targets
    # The decision emails went out when everyone was told; the demo does not send them again.
    told = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.topic == "selection_decision")).all()
    assert told and {m.status for m in told} == {OutboxStatus.SENT}


def test_the_exported_files_and_the_recorded_seed_give_the_same_draw(app, client, demo,
                                                                  tmp_path):
    """What an auditor does: download the two files, run `flask selection draw` with the
    published seed, and find the published panel, alternates and chances."""
    season, _ = demo
    record = draw_of(season)
    sign_in(client, "admin@demo.example.org")
    pool = client.get(f"/admin/calls/{season.id}/selection/pool.csv").get_data(as_text=True)
    targets = client.get(f"/admin/calls/{season.id}/selection/targets.csv").get_data(
        as_text=True)
    (tmp_path / "POOL.csv").write_text(pool, encoding="utf-8")
    (tmp_path / "TARGETS.csv").write_text(targets, encoding="utf-8")
    result = app.test_cli_runner().invoke(args=[
        "selection", "draw", "--pool", str(tmp_path / "POOL.csv"),
        "--targets", str(tmp_path / "TARGETS.csv"), "--seats", str(record.seats),
        "--seed", record.seed, "--alternates", str(record.alternates)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert sorted(r["id"] for r in rows if r["outcome"] == "selected") == sorted(record.panel)
    alternates = sorted((r for r in rows if r["outcome"] == "alternate"),
                        key=lambda r: int(r["rank"]))
    assert [r["id"] for r in alternates] == record.ranked_alternates
    assert {r["id"]: r["probability"] for r in rows} == {
        person: chance_text(chance) for person, chance in record.chances.items()}
    assert record.pool_fingerprint in result.stderr
    assert record.targets_fingerprint in result.stderr
    # Every member had a real chance, not a certainty.
    assert all(0 < float(r["probability"]) < 1 for r in rows)
    # The draw page gives the same command, word for word, to copy.
    page = client.get(f"/admin/calls/{season.id}/selection").get_data(as_text=True)
    shown = " ".join(unescape(re.sub(r"<[^>]+>", "", page)).split())
    assert (f'flask --app wsgi selection draw --pool POOL.csv --targets TARGETS.csv '
            f'--seats 10 --seed "{record.seed}" --alternates 4') in shown


def test_the_seed_search_finds_the_wanted_panel_whatever_the_numbering():
    """A database that numbered the applications differently needs another seed; the
    search finds one the rule itself confirms."""
    pool = {f"A{n}": {"language": language} for n, language in enumerate(
        ["en", "en", "en", "es", "es", "ht", "ht"])}
    targets = [Target("language", "en", 1, 1), Target("language", "es", 1, 1),
               Target("language", "ht", 1, 1)]
    lottery = find_lottery(pool, targets, 3)
    seed = seed_drawing(lottery, ["A2", "A4", "A6"])
    assert sample_panel(lottery, seed) == ("A2", "A4", "A6")


def test_the_next_groups_call_has_reviews_under_way(demo):
    _, second = demo
    setup = setup_for(second)
    assert (setup.reviews_per_application, setup.pool_min_mean_tenths) == (2, 30)
    criteria = criteria_of(second)
    assert len(criteria) == 3
    assert all({"en", "es"} <= set(criterion.texts) for criterion in criteria)
    assert REVIEWER in {person.email for person in reviewers_of(second)}
    assert len(reviewers_of(second)) >= 2
    reviews = db.session.scalars(select(Review).join(Application).where(
        Application.call_id == second.id)).all()
    done = [r for r in reviews if r.submitted_at]
    to_do = [r for r in reviews if r.is_open]
    conflicts = [r for r in reviews if r.conflict_at]
    assert done and to_do and len(conflicts) == 1
    rows = scores_of(second)
    assert any(row.disagree for row in rows)
    # The conflict was handed on: that application still gets its two reviews.
    handed = next(row for row in rows if row.conflicts)
    assert len([r for r in handed.reviews if r.conflict_at is None]) == 2
    # Some applications are still to be checked: the call is open.
    assert db.session.scalar(select(func.count(Application.id)).where(
        Application.call_id == second.id,
        Application.status == ApplicationStatus.SUBMITTED)) > 0
    assert all(r.assigned_at < utcnow() for r in reviews)


def test_the_demo_reviewer_signs_in_and_finds_their_reviews(client, demo):
    _, second = demo
    sign_in(client, REVIEWER)
    page = client.get("/reviews").get_data(as_text=True)
    assert second.original.title in page
    assert page.count("/reviews/") >= 4
    assert "you declared a conflict of interest" in page
    assert "to review" in page and "scored" in page
    reviewer = db.session.scalars(select(User).where(User.email == REVIEWER)).one()
    open_review = next(r for r in db.session.scalars(select(Review).where(
        Review.reviewer_id == reviewer.id).order_by(Review.id)) if r.is_open)
    application = open_review.application
    reading = client.get(f"/reviews/{open_review.id}").get_data(as_text=True)
    assert application.statement.split(".")[0] in reading.replace("&#39;", "'")
    assert application.name not in reading  # blind


def test_the_reviewer_is_listed_with_the_demo_accounts():
    table = sign_in_table()
    assert re.search(r"reviewer\s+reviewer@demo\.example\.org", table)


def test_loading_the_demo_twice_adds_nothing(demo):
    counts = (db.session.scalar(select(func.count(SelectionDraw.id))),
              db.session.scalar(select(func.count(Review.id))),
              db.session.scalar(select(func.count(Application.id))))
    seed_demo(date.today())
    db.session.commit()
    assert counts == (1, *counts[1:])
    assert counts == (db.session.scalar(select(func.count(SelectionDraw.id))),
                      db.session.scalar(select(func.count(Review.id))),
                      db.session.scalar(select(func.count(Application.id))))
