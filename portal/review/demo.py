"""Demo: the second group's call half way through its reviews. Three reviewers, a rubric
in English, Spanish and Haitian Creole, two reviews per application and a lowest mean
of 3 for the lottery; some reviews scored (two reviewers who disagree among them),
one conflict of interest handed on, the rest still to do. All through the review
rules, so the audit log tells it as it would have happened."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from portal.applications.models import OpenCall
from portal.auth.models import User
from portal.db import db
from portal.review.services import (
    CriterionWording,
    assign_reviewer,
    criteria_of,
    declare_conflict,
    reviewed_applications,
    reviews_of,
    save_rubric,
    save_setup,
    share_out_reviews,
    submit_review,
    translate_rubric,
)

DEMO_REVIEWER = "reviewer@demo.example.org"
REVIEWERS = (DEMO_REVIEWER, "jorge.ramirez@demo.example.org",
             "nadege.pierrelouis@demo.example.org")
REVIEWS_PER_APPLICATION = 2
LOWEST_MEAN = "3"

RUBRIC = (
    CriterionWording(
        "Lived experience",
        "How the statement speaks from a mental-health crisis lived by the person or "
        "someone close to them. 1: not at all. 3: it is there, in a few words. 5: it is "
        "clear what happened and what it was like. Spelling and style do not count."),
    CriterionWording(
        "Ideas for the city",
        "What they would change about the city's crisis response. 1: nothing is said. "
        "3: a general wish. 5: a change someone could start working on."),
    CriterionWording(
        "Working in a group",
        "Signs they can share their view and listen to others, twice a month for six "
        "months. 1: no sign. 3: some. 5: they tell of doing it already, anywhere: family, "
        "church, work, a support group."),
)
RUBRIC_TRANSLATIONS = {
    "es": (
        CriterionWording(
            "Experiencia vivida",
            "Cuánto habla la declaración desde una crisis de salud mental vivida por la "
            "persona o por alguien cercano. 1: nada. 3: aparece, en pocas palabras. 5: queda "
            "claro qué pasó y cómo fue. La ortografía y el estilo no cuentan."),
        CriterionWording(
            "Ideas para la ciudad",
            "Qué cambiaría en la respuesta de la ciudad a las crisis. 1: no dice nada. "
            "3: un deseo general. 5: un cambio en el que se podría empezar a trabajar."),
        CriterionWording(
            "Trabajo en grupo",
            "Señales de que puede compartir su opinión y escuchar a otros, dos veces al mes "
            "durante seis meses. 1: ninguna señal. 3: algunas. 5: cuenta que ya lo hace, "
            "en cualquier lugar: familia, iglesia, trabajo, un grupo de apoyo."),
    ),
    "ht": (
        CriterionWording(
            "Eksperyans ou viv",
            "Kijan deklarasyon an pale de yon kriz sante mantal moun nan oswa yon moun ki "
            "pre li te viv. 1: li pa pale de sa ditou. 3: li la, nan kèk mo. 5: li klè sa "
            "ki te pase ak kijan sa te ye. Òtograf ak style pa konte."),
        CriterionWording(
            "Lide pou vil la",
            "Kisa li ta chanje nan fason vil la reyaji nan kriz. 1: li pa di anyen. "
            "3: yon swè jeneral. 5: yon chanjman yon moun ta ka kòmanse travay sou li."),
        CriterionWording(
            "Travay an gwoup",
            "Siy ki montre li ka pataje opinyon li epi koute lòt moun, de fwa pa mwa pandan "
            "sis mwa. 1: okenn siy. 3: kèk siy. 5: li rakonte li deja fè sa, nenpòt kote: "
            "fanmi, legliz, travay, yon gwoup sipò."),
    ),
}

CONFLICT = "conflict"
# What each reviewer did with the applications given to them, by the application's
# place in the call (its first eligible application is 0). Anything not listed is
# still to do. Application 1 is read very differently by two reviewers; the demo
# reviewer knows who wrote application 3 and steps back, and it goes to another.
READINGS = (
    (0, DEMO_REVIEWER, (4, 5, 4), "A clear story and a concrete change."),
    (0, "jorge.ramirez@demo.example.org", (5, 4, 4), None),
    (1, DEMO_REVIEWER, (5, 4, 5), "Peer support experience; would bring a lot to the group."),
    (1, "nadege.pierrelouis@demo.example.org", (2, 2, 1),
     "Reads like a résumé; I could not find what they lived through."),
    (2, "jorge.ramirez@demo.example.org", (4, 2, 2), None),
    (2, "nadege.pierrelouis@demo.example.org", (5, 2, 3),
     "Short, but every word counts. Spelling should not matter."),
    (3, "jorge.ramirez@demo.example.org", (5, 4, 3), "Ha vivido esto como madre."),
    (3, DEMO_REVIEWER, CONFLICT, "I think this is my neighbor: the story is hers."),
    (4, DEMO_REVIEWER, (4, 4, 2), None),
    (5, "jorge.ramirez@demo.example.org", (1, 3, 3),
     "No lived experience of a crisis, by their own words."),
)
SHARED_DAYS_AGO = 6


def review_second_call(admin: User, call: OpenCall, now: datetime) -> None:
    """Rules, rubric and reviewers for the call; the reviews given out and partly done."""
    save_setup(admin, call, REVIEWS_PER_APPLICATION, LOWEST_MEAN)
    save_rubric(admin, call, list(RUBRIC))
    for language, wording in RUBRIC_TRANSLATIONS.items():
        translate_rubric(admin, call, language, list(wording))
    reviewers = {person.email: person for person in db.session.scalars(
        select(User).where(User.email.in_(REVIEWERS)))}
    for email in REVIEWERS:
        assign_reviewer(admin, call, reviewers[email])
        db.session.flush()
    shared_at = now - timedelta(days=SHARED_DAYS_AGO)
    share_out_reviews(admin, call, shared_at)
    db.session.flush()
    applications = reviewed_applications(call)
    criteria = criteria_of(call)
    for step, (place, email, scores, note) in enumerate(READINGS, start=1):
        person = reviewers[email]
        review = next(r for r in reviews_of(person, call)
                      if r.application_id == applications[place].id)
        when = shared_at + timedelta(hours=10 * step)
        if scores == CONFLICT:
            declare_conflict(person, review, note, when)
        else:
            submit_review(person, review, dict(zip([c.id for c in criteria], scores,
                                                   strict=True)), note, when)
        db.session.flush()
