"""Reviewing a call: blind reading, a rubric, scores, conflicts handed on, the
admins' view of scores and the pool rule the draw then follows."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.applications.models import Application, ApplicationStatus
from portal.audit.models import AuditEvent
from portal.auth.models import Role, RoleGrant
from portal.db import db, utcnow
from portal.review.models import CallReviewer, Review, ReviewSetup, RubricCriterion
from tests.conftest import make_person, sign_in
from tests.test_selection_web import PEOPLE, add_application, closed_call

RUBRIC = {"names-0": "Lived experience", "guides-0": "1: not described. 5: clear and close.",
          "names-1": "Ideas for the service", "guides-1": "1: none. 5: concrete and new."}


@pytest.fixture
def call(program, people):
    return closed_call(program, people["admin"])


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
    assert bad.status_code == 200 and "Keep this text" in bad.get_data(as_text=True)
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


# --- Helpers for the tests below ------------------------------------------------------------

def criteria_in_order():
    return db.session.scalars(select(RubricCriterion).order_by(RubricCriterion.position)).all()


def reviews_by(person):
    return db.session.scalars(select(Review).where(Review.reviewer_id == person.id)
                              .order_by(Review.id)).all()


def score(client, review, *values, comment=""):
    data = {f"score_{criterion.id}": str(value)
            for criterion, value in zip(criteria_in_order(), values, strict=True)}
    return client.post(f"/reviews/{review.id}", data={**data, "comment": comment})


def flashed(response) -> str:
    return response.get_data(as_text=True)


def setup_row(call):
    db.session.expire_all()
    return db.session.scalars(select(ReviewSetup).where(ReviewSetup.call_id == call.id)).first()


# --- The rubric in other languages ----------------------------------------------------------

SPANISH = {"names-0": "Experiencia vivida", "guides-0": "1: no descrita. 5: clara y cercana.",
           "names-1": "Ideas para el servicio", "guides-1": "1: ninguna. 5: concretas y nuevas."}


def test_a_rubric_translation_is_saved_whole_or_not_at_all(as_role, call, reviewers):
    admin = as_role("admin")
    set_up_review(admin, call, reviewers)
    page = admin.get(f"/admin/calls/{call.id}/review/rubric/es")
    assert page.status_code == 200 and "Lived experience" in page.get_data(as_text=True)
    half = admin.post(f"/admin/calls/{call.id}/review/rubric/es",
                      data={"names-0": "Experiencia vivida", "guides-0": "1: no. 5: sí."})
    body = half.get_data(as_text=True)
    assert half.status_code == 200 and "Translate every criterion" in body
    assert 'class="error-summary"' in body and "Experiencia vivida" in body
    assert all("es" not in criterion.texts for criterion in criteria_in_order())
    assert admin.post(f"/admin/calls/{call.id}/review/rubric/es",
                      data=SPANISH).status_code == 302
    db.session.expire_all()
    assert [c.texts["es"]["name"] for c in criteria_in_order()] == [
        "Experiencia vivida", "Ideas para el servicio"]
    assert db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "review.rubric_translated")).one().details["language"] == "es"
    # The call's own language is not a translation, and neither is a made-up one.
    for code in ("en", "xx"):
        assert admin.get(f"/admin/calls/{call.id}/review/rubric/{code}").status_code == 404


def test_a_half_written_criterion_is_told_by_its_row_at_the_part_left_empty(
        as_role, call, reviewers):
    """The message gives the number the row has on the page (an empty row before it
    does not shift it), sits at the empty name or guide, and what was typed in that
    row stays on the page, even in a row the page did not offer."""
    admin = as_role("admin")
    set_up_review(admin, call, reviewers)
    before = [(criterion.id, criterion.texts) for criterion in criteria_in_order()]
    path = f"/admin/calls/{call.id}/review/rubric"
    # Every row the page shows is sent, the empty ones too, as a browser sends them.
    rows = {f"{column}-{row}": "" for column in ("names", "guides") for row in range(6)}
    for typed, empty in (({"names-3": "Time to give"}, "guides-3"),
                         ({"guides-5": "1: little. 5: a lot."}, "names-5")):
        response = admin.post(path, data={**rows, **RUBRIC, **typed})
        page = response.get_data(as_text=True)
        number = int(empty[-1]) + 1
        assert response.status_code == 200
        assert (f'<a href="#{empty}">Criterion {number} needs both a name and what its '
                f"scores mean.</a>") in page
        assert f'id="{empty}-error"' in page
        assert all(text in page for text in typed.values())
    db.session.expire_all()
    assert [(criterion.id, criterion.texts) for criterion in criteria_in_order()] == before


def value_of(page: str, name: str) -> str:
    found = re.search(rf'<input[^>]*\bname="{name}"[^>]*\bvalue="([^"]*)"', page)
    assert found, name
    return found.group(1)


def test_a_refused_section_of_the_review_page_leaves_the_others_as_saved(
        as_role, call, reviewers):
    """The rules, the reviewers and the rubric are separate forms on one page: when one
    comes back with a problem, it keeps what was typed and the others show what is saved."""
    admin = as_role("admin")
    set_up_review(admin, call, reviewers, min_mean="3.5")
    rules = admin.post(f"/admin/calls/{call.id}/review/rules",
                       data={"reviews_per_application": "3", "pool_min_mean": "9"})
    page = rules.get_data(as_text=True)
    assert rules.status_code == 200 and "like 3.5" in page
    assert (value_of(page, "reviews_per_application"), value_of(page, "pool_min_mean")) == (
        "3", "9")
    assert (value_of(page, "names-0"), value_of(page, "names-1")) == (
        "Lived experience", "Ideas for the service")
    rubric = admin.post(f"/admin/calls/{call.id}/review/rubric",
                        data={**RUBRIC, "names-2": "Time to give"})
    page = rubric.get_data(as_text=True)
    assert rubric.status_code == 200 and value_of(page, "names-2") == "Time to give"
    assert (value_of(page, "reviews_per_application"), value_of(page, "pool_min_mean")) == (
        "2", "3.5")


def test_a_half_translated_rubric_is_told_at_the_first_part_left_empty(as_role, call,
                                                                         reviewers):
    admin = as_role("admin")
    set_up_review(admin, call, reviewers)
    response = admin.post(f"/admin/calls/{call.id}/review/rubric/es",
                          data={**SPANISH, "guides-1": ""})
    page = response.get_data(as_text=True)
    assert '<a href="#guides-1">Translate every criterion' in page
    assert 'id="guides-1-error"' in page and "Ideas para el servicio" in page


def language_of(page: str, name: str) -> str:
    """The language a criterion's name is marked as being in, on a reviewer's page."""
    found = re.search(rf'<legend lang="([^"]+)" dir="auto">{re.escape(name)}</legend>', page)
    assert found, name
    return found.group(1)


def test_a_reviewer_reads_the_rubric_in_their_language_or_else_the_original(
        app, as_role, call, program):
    admin = as_role("admin")
    readers = [make_person(program, Role.REVIEWER, name=f"Reader {code}", language=code)
               for code in ("es", "ht", "ar")]
    set_up_review(admin, call, readers, reviews="3")
    admin.post(f"/admin/calls/{call.id}/review/rubric/es", data=SPANISH)
    spanish, creole, arabic = (reviewer_client(app, person) for person in readers)
    page = spanish.get(f"/reviews/{reviews_by(readers[0])[0].id}").get_data(as_text=True)
    assert language_of(page, "Experiencia vivida") == "es"
    assert 'lang="es" dir="auto">1: no descrita. 5: clara y cercana.</p>' in page
    assert "Lived experience</legend>" not in page
    # No Creole or Arabic rubric: the English one, marked as English for screen readers.
    for client, person in ((creole, readers[1]), (arabic, readers[2])):
        page = client.get(f"/reviews/{reviews_by(person)[0].id}").get_data(as_text=True)
        assert language_of(page, "Lived experience") == "en"
        assert language_of(page, "Ideas for the service") == "en"
        assert 'lang="en" dir="auto">1: none. 5: concrete and new.</p>' in page
        assert "Experiencia vivida" not in page


def test_rewording_after_scores_keeps_the_number_of_criteria(app, as_role, call, reviewers):
    admin = as_role("admin")
    set_up_review(admin, call, reviewers)
    admin.post(f"/admin/calls/{call.id}/review/rubric/es", data=SPANISH)
    review = reviews_by(reviewers[0])[0]
    assert score(reviewer_client(app, reviewers[0]), review, 4, 5).status_code == 302
    before = [criterion.id for criterion in criteria_in_order()]
    more = admin.post(f"/admin/calls/{call.id}/review/rubric", data={
        **RUBRIC, "names-2": "Time to give", "guides-2": "1: little. 5: a lot."})
    assert more.status_code == 200
    assert "you can reword them, not add or remove any" in more.get_data(as_text=True)
    fewer = admin.post(f"/admin/calls/{call.id}/review/rubric",
                       data={"names-0": "Lived experience", "guides-0": "1: no. 5: yes."})
    assert "not add or remove any" in fewer.get_data(as_text=True)
    assert [criterion.id for criterion in criteria_in_order()] == before
    reworded = admin.post(f"/admin/calls/{call.id}/review/rubric", data={
        **RUBRIC, "names-0": "What they have lived"})
    assert reworded.status_code == 302
    db.session.expire_all()
    first, second = criteria_in_order()
    assert [first.id, second.id] == before and first.texts["en"]["name"] == "What they have lived"
    # The Spanish words no longer say what the changed criterion says; the other's do.
    assert "es" not in first.texts and second.texts["es"]["name"] == "Ideas para el servicio"
    assert db.session.get(Review, review.id).scores == {str(before[0]): 4, str(before[1]): 5}


# --- Reviewers come and go ------------------------------------------------------------------

def open_reviews(application_id):
    return [r for r in db.session.scalars(select(Review).where(
        Review.application_id == application_id)) if r.conflict_at is None]


def test_taking_a_reviewer_off_hands_on_unfinished_reviews_and_keeps_finished(
        app, as_role, call, reviewers):
    admin = as_role("admin")
    set_up_review(admin, call, reviewers)
    leaving = reviewers[0]
    finished, *unfinished = reviews_by(leaving)
    unfinished = [review.application_id for review in unfinished]
    client = reviewer_client(app, leaving)
    assert score(client, finished, 3, 3).status_code == 302
    response = admin.post(f"/admin/calls/{call.id}/review/reviewers/{leaving.id}/remove",
                          follow_redirects=True)
    assert "no longer reviews this call" in response.get_data(as_text=True)
    db.session.expire_all()
    kept = reviews_by(leaving)
    assert [r.id for r in kept] == [finished.id] and kept[0].scores
    for application_id in unfinished:
        readers = open_reviews(application_id)
        assert len(readers) == 2 and leaving.id not in {r.reviewer_id for r in readers}
    # The finished review still counts for its application; nobody was added to it.
    assert len(open_reviews(finished.application_id)) == 2
    assert client.get(f"/reviews/{finished.id}").status_code == 404
    assert client.get("/reviews").get_data(as_text=True).count("/reviews/") == 0
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "review.reviewer_removed")).one()
    assert event.details == {"reviewer": leaving.id, "unfinished": len(unfinished)}


def test_a_reviewer_added_by_mistake_is_taken_off_before_anything_is_set_up(
        as_role, call, reviewers):
    admin = as_role("admin")
    admin.post(f"/admin/calls/{call.id}/review/reviewers", data={"reviewer": str(reviewers[0].id)})
    response = admin.post(f"/admin/calls/{call.id}/review/reviewers/{reviewers[0].id}/remove")
    assert response.status_code == 302
    assert db.session.scalars(select(CallReviewer)).all() == []


def test_taking_off_the_last_reviewer_leaves_the_applications_short(as_role, call, reviewers):
    admin = as_role("admin")
    set_up_review(admin, call, reviewers[:1], reviews="1")
    response = admin.post(f"/admin/calls/{call.id}/review/reviewers/{reviewers[0].id}/remove",
                          follow_redirects=True)
    assert "8 applications are short of reviewers." in flashed(response)
    assert db.session.scalars(select(CallReviewer)).all() == []
    assert db.session.scalars(select(Review)).all() == []


def test_sharing_out_twice_gives_nothing_more(as_role, call, reviewers):
    admin = as_role("admin")
    set_up_review(admin, call, reviewers)
    again = admin.post(f"/admin/calls/{call.id}/review/share", follow_redirects=True)
    assert "0 reviews given out." in flashed(again)
    assert len(db.session.scalars(select(Review)).all()) == 16
    assert len(db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "review.shared_out")).all()) == 1


def test_too_few_reviewers_leave_applications_short_and_the_page_says_so(
        as_role, call, reviewers):
    admin = as_role("admin")
    set_up_review(admin, call, reviewers[:2], reviews="3")
    # Each of the eight gets the two reviewers there are.
    assert len(db.session.scalars(select(Review)).all()) == 16
    again = admin.post(f"/admin/calls/{call.id}/review/share", follow_redirects=True)
    assert "8 applications are short of reviewers." in flashed(again)
    page = admin.get(f"/admin/calls/{call.id}/review").get_data(as_text=True)
    assert page.count("<td>0 / 3</td>") == 8


def test_one_short_application_is_told_in_the_singular(as_role, call, reviewers):
    admin = as_role("admin")
    db.session.execute(Application.__table__.update().where(
        Application.call_id == call.id, Application.reference != "TEST-0001")
        .values(status=ApplicationStatus.INELIGIBLE))
    db.session.commit()
    set_up_review(admin, call, reviewers[:1], reviews="2")
    again = admin.post(f"/admin/calls/{call.id}/review/share", follow_redirects=True)
    assert "1 application is short of reviewers." in flashed(again)


def test_only_an_assigned_active_reviewer_opens_a_review(app, as_role, call, reviewers, program):
    admin = as_role("admin")
    set_up_review(admin, call, reviewers)
    from portal.review.services import review_for_reviewer

    # Someone with the role who does not review this call has no way in.
    outsider = make_person(program, Role.REVIEWER, name="Otto Outsider")
    someone_elses = reviews_by(reviewers[0])[0]
    assert reviewer_client(app, outsider).get(f"/reviews/{someone_elses.id}").status_code == 404

    deactivated, unroled = reviewers[1], reviewers[2]
    theirs = {person.id: reviews_by(person)[0] for person in (deactivated, unroled)}
    clients = {person.id: reviewer_client(app, person) for person in (deactivated, unroled)}
    deactivated.active = False
    unroled.role_grants = []
    db.session.commit()
    # Their sessions stop at the door (as everywhere: a deactivated person is signed out,
    # someone without the role is refused); the rule itself refuses them too.
    for person, status in ((deactivated, 302), (unroled, 403)):
        response = clients[person.id].get(f"/reviews/{theirs[person.id].id}")
        assert response.status_code == status
        assert theirs[person.id].application.statement not in response.get_data(as_text=True)
        assert review_for_reviewer(person, theirs[person.id].id) is None
    # Given the role back, and still on the call: the review opens again.
    unroled.role_grants = [RoleGrant(role=Role.REVIEWER)]
    db.session.commit()
    assert clients[unroled.id].get(f"/reviews/{theirs[unroled.id].id}").status_code == 200


def test_a_withdrawn_application_is_no_longer_read(app, as_role, call, reviewers):
    set_up_review(as_role("admin"), call, reviewers)
    review = reviews_by(reviewers[0])[0]
    client = reviewer_client(app, reviewers[0])
    home = client.get("/").get_data(as_text=True)
    assert "6 applications are waiting for your review" in home
    review.application.status = ApplicationStatus.WITHDRAWN
    db.session.commit()
    response = client.get(f"/reviews/{review.id}")
    assert response.status_code == 404
    assert review.application.statement not in response.get_data(as_text=True)
    assert f"/reviews/{review.id}\"" not in client.get("/reviews").get_data(as_text=True)
    assert "5 applications are waiting for your review" in client.get("/").get_data(as_text=True)


# --- The draw --------------------------------------------------------------------------------

def score_everything(app, people, low=frozenset(), skip=frozenset()):
    """Every reviewer scores 4 and 4, or 1 and 1 for applications in `low`."""
    for person in people:
        client = reviewer_client(app, person)
        for review in reviews_by(person):
            if review.application.reference in skip:
                continue
            value = 1 if review.application.reference in low else 4
            assert score(client, review, value, value).status_code == 302


def test_the_draw_follows_and_records_the_review_rule(app, as_role, call, reviewers):
    from portal.selection.models import SelectionDraw
    from tests.test_selection_web import SEED, save_plan, statuses

    admin = as_role("admin")
    set_up_review(admin, call, reviewers, reviews="1", min_mean="3")
    score_everything(app, reviewers, low={"TEST-0005"}, skip={"TEST-0008"})
    save_plan(admin, call)
    assert admin.post(f"/admin/calls/{call.id}/selection/draw",
                      data={"seed": SEED}).status_code == 302
    record = db.session.scalars(select(SelectionDraw)).one()
    assert record.pool_rule == {"statuses": ["eligible"], "reviews": 1, "min_mean": "3.0"}
    outcome = statuses(call)
    # Kept out by a low mean or a missing review: eligible, but not drawn from.
    assert outcome["TEST-0005"] == outcome["TEST-0008"] == ApplicationStatus.NOT_SELECTED
    ids = {a.reference: str(a.id) for a in db.session.scalars(select(Application))}
    assert ids["TEST-0005"] not in record.chances and ids["TEST-0008"] not in record.chances
    assert len(record.chances) == 6

    # Nobody scores once the call is drawn, by the page or otherwise.
    review = next(r for r in reviews_by(reviewers[0]) if r.submitted_at)
    before = dict(review.scores)
    client = reviewer_client(app, reviewers[0])
    assert score(client, review, 1, 1).status_code == 404
    assert client.post(f"/reviews/{review.id}/conflict").status_code == 404
    db.session.expire_all()
    assert db.session.get(Review, review.id).scores == before
    from portal.review.services import ReviewRuleError, declare_conflict, submit_review

    criteria = criteria_in_order()
    with pytest.raises(ReviewRuleError):
        submit_review(reviewers[0], review, {c.id: 2 for c in criteria}, None, utcnow())
    with pytest.raises(ReviewRuleError):
        declare_conflict(reviewers[0], review, None, utcnow())
    db.session.rollback()

    # The admin still sees every score and who was drawn from, and can change nothing.
    page = admin.get(f"/admin/calls/{call.id}/review").get_data(as_text=True)
    assert page.count("<td>TEST-") == 0 and page.count(">TEST-0") == 8
    assert page.count("<td>Yes</td>") == 6
    assert "Give out the reviews" not in page and "Save the rules" not in page
    for path, data in (("rules", {"reviews_per_application": "2"}),
                       ("rubric", RUBRIC), ("share", {}),
                       (f"reviewers/{reviewers[0].id}/remove", {})):
        admin.post(f"/admin/calls/{call.id}/review/{path}", data=data)
    db.session.expire_all()
    assert setup_row(call).reviews_per_application == 1
    assert len(db.session.scalars(select(CallReviewer)).all()) == 3
    assert len(db.session.scalars(select(Review)).all()) == 8


# --- What admins see ------------------------------------------------------------------------

def test_reviewers_who_disagree_are_flagged(app, as_role, call, reviewers):
    admin = as_role("admin")
    set_up_review(admin, call, reviewers[:2])
    first, second = reviewers[:2]
    apart = reviews_by(first)[0].application_id
    near = reviews_by(first)[1].application_id
    for person, values in ((first, {apart: 5, near: 4}), (second, {apart: 2, near: 3})):
        client = reviewer_client(app, person)
        for review in reviews_by(person):
            if review.application_id in values:
                value = values[review.application_id]
                score(client, review, value, value)
    page = admin.get(f"/admin/calls/{call.id}/review").get_data(as_text=True)
    # 5 against 2 is a spread of 3: flagged; 4 against 3 is 1: not.
    assert re.search(r"<td>3\.00 <strong[^>]*>Reviewers disagree</strong></td>", page)
    assert "<td>1.00</td>" in page and page.count("Reviewers disagree") == 1


def test_each_score_change_is_audited_with_the_scores_before(app, as_role, call, reviewers):
    set_up_review(as_role("admin"), call, reviewers)
    review = reviews_by(reviewers[0])[0]
    client = reviewer_client(app, reviewers[0])
    score(client, review, 4, 5, comment="Clear")
    score(client, review, 2, 3)
    first, second = criteria_in_order()
    # Opened again, the page shows the scores given.
    page = client.get(f"/reviews/{review.id}").get_data(as_text=True)
    assert re.search(rf'id="score_{first.id}-1"[^>]*checked|checked[^>]*id="score_{first.id}-1"',
                     page)
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "review.scored").order_by(AuditEvent.id)).all()
    assert [event.details["before"] for event in events] == [
        None, {str(first.id): 4, str(second.id): 5}]
    assert events[1].details["scores"] == {str(first.id): 2, str(second.id): 3}
    assert {event.subject_id for event in events} == {review.id}
    db.session.expire_all()
    assert db.session.get(Review, review.id).comment is None


def test_a_reviewers_home_counts_what_waits_and_leads_to_it(app, as_role, call, reviewers):
    set_up_review(as_role("admin"), call, reviewers)
    client = reviewer_client(app, reviewers[1])
    home = client.get("/").get_data(as_text=True)
    assert "5 applications are waiting for your review" in home
    assert 'href="/reviews"' in home and ">Reviews</a>" in home
    score(client, reviews_by(reviewers[1])[0], 3, 3)
    assert "4 applications are waiting for your review" in client.get("/").get_data(as_text=True)
    # Nobody else is offered reviews.
    member = as_role("member").get("/").get_data(as_text=True)
    assert 'href="/reviews"' not in member and "waiting for your review" not in member


# --- Bad input changes nothing --------------------------------------------------------------

def test_a_score_out_of_range_is_refused_with_its_criterion_named(app, as_role, call, reviewers):
    set_up_review(as_role("admin"), call, reviewers)
    review = reviews_by(reviewers[0])[0]
    first, second = criteria_in_order()
    client = reviewer_client(app, reviewers[0])
    for bad in ("9", "0", "", "four"):
        response = client.post(f"/reviews/{review.id}", data={
            f"score_{first.id}": bad, f"score_{second.id}": "3", "comment": "Kept as typed"})
        body = response.get_data(as_text=True)
        assert response.status_code == 200, bad
        assert "Give criterion 1 a score from 1 to 5." in body and "Kept as typed" in body
    db.session.expire_all()
    assert db.session.get(Review, review.id).submitted_at is None
    assert db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "review.scored")).all() == []


@pytest.mark.parametrize(("reviews", "mean", "message"), [
    ("2", "abc", "Enter the lowest mean score as a number from 1 to 5, like 3.5."),
    ("2", "7", "Enter the lowest mean score as a number from 1 to 5, like 3.5."),
    ("2", "0.5", "Enter the lowest mean score as a number from 1 to 5, like 3.5."),
    ("2", "NaN", "Enter the lowest mean score as a number from 1 to 5, like 3.5."),
    # Tenths only: 3.55 is not quietly read as 3.6.
    ("2", "3.55", "Enter the lowest mean score as a number from 1 to 5, like 3.5."),
    ("0", "3", "Enter a whole number from 1 to 5."),
    ("6", "3", "Enter a whole number from 1 to 5."),
    ("", "3", "Enter how many reviews each application gets."),
])
def test_bad_review_rules_are_refused_and_change_nothing(as_role, call, reviews, mean,
                                                         message):
    admin = as_role("admin")
    admin.post(f"/admin/calls/{call.id}/review/rules",
               data={"reviews_per_application": "3", "pool_min_mean": "2.5"})
    response = admin.post(f"/admin/calls/{call.id}/review/rules",
                          data={"reviews_per_application": reviews, "pool_min_mean": mean})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and message in body
    assert f'value="{mean}"' in body
    setup = setup_row(call)
    assert (setup.reviews_per_application, setup.pool_min_mean_tenths) == (3, 25)


def test_a_mean_written_with_a_comma_is_read_as_tenths(as_role, call):
    admin = as_role("admin")
    admin.post(f"/admin/calls/{call.id}/review/rules",
               data={"reviews_per_application": "2", "pool_min_mean": "3,5"})
    assert setup_row(call).pool_min_mean_tenths == 35


# --- A conflict nobody can take -------------------------------------------------------------

def test_a_conflict_nobody_else_can_take_leaves_the_application_short(
        app, as_role, call, reviewers):
    admin = as_role("admin")
    set_up_review(admin, call, reviewers[:1], reviews="1")
    # An application found eligible after the reviews went out is not the conflict's business.
    late = db.session.scalars(select(Application).where(
        Application.reference == "TEST-0099")).one()
    late.status = ApplicationStatus.ELIGIBLE
    db.session.commit()
    review = reviews_by(reviewers[0])[0]
    response = reviewer_client(app, reviewers[0]).post(
        f"/reviews/{review.id}/conflict", data={"note": "I know them"}, follow_redirects=True)
    assert response.status_code == 200
    assert "An admin will find someone else" in response.get_data(as_text=True)
    assert db.session.scalars(select(Review).where(
        Review.application_id == late.id)).all() == []
    actions = list(db.session.scalars(select(AuditEvent.action)))
    assert "review.conflict_declared" in actions and "review.reassigned" not in actions
    page = admin.get(f"/admin/calls/{call.id}/review").get_data(as_text=True)
    assert "I know them" in page


# --- Pages that stay quick however big the call ------------------------------------------

REVIEW_BUDGET = 14  # statements per page; the admin's page holds five forms


def grow_the_call(call, admin, times: int, start: int) -> None:
    """`times` portions of eligible applications, given out, half of them scored and
    one in four stepped back from."""
    from portal.review.services import share_out_reviews

    for number in range(start, start + 8 * times):
        add_application(call, number, *PEOPLE[number % len(PEOPLE)])
    db.session.flush()
    share_out_reviews(admin, call, utcnow())
    criteria = criteria_in_order()
    for n, review in enumerate(db.session.scalars(select(Review).where(
            Review.submitted_at.is_(None), Review.conflict_at.is_(None)))):
        if n % 4 == 3:
            review.conflict_at, review.conflict_note = utcnow(), "A neighbour"
        elif n % 2:
            review.scores = {str(c.id): 1 + (n + c.position) % 5 for c in criteria}
            review.submitted_at, review.comment = utcnow(), "Thoughtful"
    db.session.commit()


@pytest.mark.parametrize("page", ["admin", "reviewer"])
def test_review_pages_run_the_same_few_statements_for_ten_times_the_applications(
        app, as_role, call, reviewers, people, page):
    from tests.conftest import queries_for

    admin = as_role("admin")
    set_up_review(admin, call, reviewers)
    client, path = ((admin, f"/admin/calls/{call.id}/review") if page == "admin"
                    else (reviewer_client(app, reviewers[0]), "/reviews"))
    client.get(path)  # the first request warms per-process caches
    grow_the_call(call, people["admin"], 1, start=100)
    small = queries_for(app, client, path)
    grow_the_call(call, people["admin"], 9, start=200)
    large = queries_for(app, client, path)
    assert len(db.session.scalars(select(Review)).all()) > 150
    assert large <= small, f"{path}: {small} statements on the small call, {large} on the large"
    assert large <= REVIEW_BUDGET, f"{path}: {large} statements, more than {REVIEW_BUDGET}"
