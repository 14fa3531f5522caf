"""Hostile input to every form and every query parameter.

Every POST route in the URL map gets the fields of its form, each one kept
valid, left out, sent twice or replaced by something hostile: over-long or
invisible text, bytes that are not UTF-8, odd amounts, impossible dates and
choices that do not exist. Every GET page gets every query parameter the
portal reads. Whatever arrives, the portal must answer without a server
error; a refusal must say what is wrong and leave the database as it was, and
a form shown again keeps what the person typed.
"""

from __future__ import annotations

import inspect
import io
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from functools import cache
from pathlib import Path
from urllib.parse import quote, quote_from_bytes, urlsplit

import pytest
from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from sqlalchemy import select
from werkzeug.routing import IntegerConverter
from wtforms import BooleanField, FieldList, FormField, HiddenField, PasswordField
from wtforms.fields import DateField, StringField
from wtforms.fields.choices import SelectFieldBase

import portal
from portal.access import PUBLIC, SIGNED_IN, access_of
from portal.account.forms import ChangePasswordForm, ProfileForm
from portal.admin.forms import PersonForm, ProgramForm, ProgramTranslationForm
from portal.admin.services import request_role
from portal.applications.forms import (
    ApplicationForm,
    CallForm,
    ContactFields,
    ContinueForm,
    EligibilityForm,
    MergeForm,
    NewCallForm,
    PaperApplicationForm,
    StatusForm,
)
from portal.applications.models import (
    Application,
    ApplicationDraft,
    ApplicationStatus,
    OpenCall,
)
from portal.applications.services import (
    CallDetails,
    CallWording,
    open_call,
)
from portal.auth.forms import (
    ButtonForm,
    ForgotPasswordForm,
    NewPasswordForm,
    SignInCodeForm,
    SignInForm,
)
from portal.auth.models import Role, TokenPurpose, User, hash_token
from portal.auth.services import issue_token
from portal.db import db, utcnow
from portal.documents.forms import DocumentForm, VersionForm
from portal.documents.models import DocumentKind
from portal.documents.services import VersionContent, create_document, publish_document
from portal.errors import PAGES as ERROR_PAGES
from portal.extensions import limiter
from portal.forms import MoneyField, WholeNumberField
from portal.i18n import LANGUAGE_BY_CODE
from portal.meetings.forms import (
    CancelMeetingForm,
    ClockField,
    MeetingForm,
    MeetingTextForm,
    RsvpForm,
    SeriesForm,
)
from portal.meetings.models import MeetingFormat
from portal.meetings.services import MeetingDetails, create_meeting
from portal.programs.models import Enrollment, Program
from portal.review.forms import (
    AddReviewerForm,
    ConflictForm,
    ReviewRulesForm,
    RubricForm,
    score_form,
)
from portal.review.models import Review
from portal.review.services import (
    CriterionWording,
    assign_reviewer,
    criteria_of,
    save_rubric,
    save_setup,
    share_out_reviews,
    submit_review,
)
from portal.selection.decisions import seat_link
from portal.selection.forms import DrawForm, GiveUpForm, PlanForm, SeatAnswerForm, SeatForm
from portal.selection.models import SelectionPlan
from portal.selection.services import run_draw
from portal.stipends.forms import PaymentForm, TaxDetailsForm, TaxFormForm, VoidForm
from portal.stipends.models import PaymentMethod
from portal.stipends.services import PaymentDetails, new_submission_key, record_payment
from tests.conftest import PASSWORD, make_person
from tests.sample_applications import sample_call, sample_paper_application

# Fixed examples, no example database: a failure in CI is the same failure here.
HOSTILE = settings(max_examples=15, deadline=None, derandomize=True, database=None,
                   suppress_health_check=[HealthCheck.function_scoped_fixture,
                                          HealthCheck.too_slow])
PAGES_WITH_PARAMETERS = settings(HOSTILE, max_examples=8)

FORM_BODY = "application/x-www-form-urlencoded"


# --- The world the requests act on ---------------------------------------------------------

@dataclass
class World:
    ids: dict[str, int] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)


def _meeting(actor, program, days_from_now: int, title: str):
    starts = utcnow() + timedelta(days=days_from_now)
    return create_meeting(
        actor, program,
        MeetingDetails(starts_at=starts, ends_at=starts + timedelta(hours=2),
                       format=MeetingFormat.HYBRID, venue="City Hall", capacity=20,
                       join_link="https://example.org/call"),
        language="en", title=title, description=None)


def _draft(actor, program, title="Reading list"):
    return create_document(actor, program, kind=DocumentKind.READING, meeting=None,
                           language="en", content=VersionContent(title=title, body="Read this."),
                           now=utcnow())


def _payment(finance, enrollment):
    today = date.today()
    payment, _ = record_payment(
        finance, enrollment,
        PaymentDetails(100, today, PaymentMethod.CHECK, "Check 1", None),
        submission_key=new_submission_key(), today=today)
    return payment


@pytest.fixture
def world(people, program) -> World:
    facilitator, finance = people["facilitator"], people["finance"]
    upcoming = _meeting(facilitator, program, 7, "Design session")
    past = _meeting(facilitator, program, -7, "Welcome meeting")
    agenda = create_document(facilitator, program, kind=DocumentKind.AGENDA, meeting=upcoming,
                             language="en",
                             content=VersionContent(title="Agenda", body="1. Welcome"),
                             now=utcnow())
    publish_document(facilitator, agenda, utcnow())
    target = make_person(program, Role.MEMBER, name="Tess Target")
    member = people["member"]
    enrollment = db.session.scalars(
        select(Enrollment).where(Enrollment.user_id == member.id)).one()
    payment = _payment(finance, enrollment)
    call, application = _call_and_application(people["admin"], program)
    reviewing = _reviews_of_the_call(people["admin"], program, call)
    db.session.commit()
    return World(
        ids={"call": call.id, "call_slug": call.slug, "application": application.id,
             "meeting": upcoming.id, "past_meeting": past.id, "document": agenda.id,
             "target": target.id, "enrollment": enrollment.id, "payment": payment.id,
             "program": program.id, "member": member.id,
             "spanish": "es",  # a language the program's name can be written in
             **reviewing,
             **{role: person.id for role, person in people.items()}},
        emails={"member": member.email, "target": target.email},
    )


APPLICATION_REFERENCE = "K7QM-3XPR"
DRAFT_CODE = "ABCDE-FGHJK"


def _call_and_application(admin, program):
    """An open call, an application with a known reference, and a draft with a known code."""
    call = sample_call(admin, program, questions=("Why now?",))
    application = sample_paper_application(admin, call)
    application.reference = APPLICATION_REFERENCE
    db.session.add(ApplicationDraft(call=call, code_hash=hash_token(DRAFT_CODE.replace("-", "")),
                                    fields={"name": ["Drew"]}))
    return call, application


RUBRIC = (CriterionWording("Lived experience", "1: not described. 5: clear and close."),
          CriterionWording("Ideas for the service", "1: none. 5: concrete and new."))


def _reviews_of_the_call(admin, program, call) -> dict:
    """The call under review: an eligible application read by the world's reviewer and a
    second one against a rubric of two criteria; the second's scores are in."""
    reviewer = make_person(program, Role.REVIEWER, name="Rae Reviewer")
    second = make_person(program, Role.REVIEWER, name="Ola Other-Reviewer")
    sample_paper_application(admin, call, statement="The bus stopped coming.").status = \
        ApplicationStatus.ELIGIBLE
    save_setup(admin, call, 2, "3.5")
    for person in (reviewer, second):
        assign_reviewer(admin, call, person)
    save_rubric(admin, call, list(RUBRIC))
    share_out_reviews(admin, call, utcnow())
    db.session.flush()
    criteria = criteria_of(call)
    reviews = {review.reviewer_id: review for review in db.session.scalars(select(Review))}
    submit_review(second, reviews[second.id], {criterion.id: 4 for criterion in criteria},
                  "Clear and close.", utcnow())
    return {"reviewer": reviewer.id, "review": reviews[reviewer.id].id,
            "first_criterion": criteria[0].id, "second_criterion": criteria[1].id}


def _planned_call(admin, program):
    """A closed call with one eligible application and targets it meets: ready to draw."""
    call = open_call(admin, program, CallDetails(
        slug=f"drawn-{uuid.uuid4().hex[:8]}", deadline_day=date.today() + timedelta(days=1),
        deadline_time=time(17), decisions_by=None, seats=1, paper_address=None,
        paper_office=None, paper_hours=None),
        CallWording("en", "Apply", "Join us.", "Boston residents", ()), utcnow())
    sample_paper_application(admin, call).status = ApplicationStatus.ELIGIBLE
    call.deadline_day = date.today() - timedelta(days=2)
    db.session.add(SelectionPlan(call=call, alternates=0,
                                 targets=[["neighborhood", "Roxbury", 1, 1]]))
    return call


def _fresh(kind: str, world: World) -> int | str:
    """Something a request uses up (a link, a payment to void, a draft), made anew for it."""
    facilitator = db.session.get(User, world.ids["facilitator"])
    program = db.session.get(Program, world.ids["program"])
    if kind == "invitation":
        person = make_person(program, Role.MEMBER, name="Ines Invited", password=None)
        value = issue_token(person, TokenPurpose.INVITATION, utcnow(), timedelta(days=7))
    elif kind == "reset":
        person = db.session.get(User, world.ids["target"])
        value = issue_token(person, TokenPurpose.PASSWORD_RESET, utcnow(), timedelta(hours=1))
    elif kind == "payment":
        value = _payment(db.session.get(User, world.ids["finance"]),
                         db.session.get(Enrollment, world.ids["enrollment"])).id
    elif kind == "application":
        value = sample_paper_application(db.session.get(User, world.ids["admin"]),
                                         db.session.get(OpenCall, world.ids["call"])).id
    elif kind == "selected_application":
        application = sample_paper_application(db.session.get(User, world.ids["admin"]),
                                               db.session.get(OpenCall, world.ids["call"]))
        application.status = ApplicationStatus.SELECTED
        value = application.id
    elif kind == "seat_link":
        application = sample_paper_application(db.session.get(User, world.ids["admin"]),
                                               db.session.get(OpenCall, world.ids["call"]))
        application.status = ApplicationStatus.SELECTED
        application.email = f"seat-{uuid.uuid4().hex[:8]}@example.net"
        value = seat_link(application, utcnow()).rsplit("/", 1)[1]
    elif kind == "seated_application":
        admin = db.session.get(User, world.ids["admin"])
        call = _planned_call(admin, program)
        run_draw(admin, call, "6 5 4")
        [value] = [a.id for a in db.session.scalars(
            select(Application).where(Application.call_id == call.id))]
    elif kind == "planned_call":
        value = _planned_call(db.session.get(User, world.ids["admin"]), program).id
    elif kind == "meeting":
        value = _meeting(facilitator, program, 14, "Extra session").id
    elif kind == "review":
        # A new eligible application of the reviewed call, shared out to both reviewers.
        admin, call = db.session.get(User, world.ids["admin"]), db.session.get(
            OpenCall, world.ids["call"])
        application = sample_paper_application(admin, call)
        application.status = ApplicationStatus.ELIGIBLE
        share_out_reviews(admin, call, utcnow())
        value = db.session.scalars(select(Review.id).where(
            Review.application_id == application.id,
            Review.reviewer_id == world.ids["reviewer"])).one()
    elif kind == "call_reviewer":
        person = make_person(program, Role.REVIEWER, name="Cy Reviewer")
        assign_reviewer(db.session.get(User, world.ids["admin"]),
                        db.session.get(OpenCall, world.ids["call"]), person)
        value = person.id
    elif kind == "call_to_review":
        value = sample_call(db.session.get(User, world.ids["admin"]), program,
                            slug=f"reviewed-{uuid.uuid4().hex[:8]}").id
    elif kind == "grant_request":
        # Asked for by the facilitator-turned-second-admin, so the admin may decide.
        asker = make_person(program, Role.ADMIN, name="Abe Asker")
        value = request_role(asker, db.session.get(User, world.ids["target"]),
                             Role.FINANCE, utcnow()).id
    else:
        value = _draft(facilitator, program).id
    db.session.commit()
    return value


# --- Every POST route, with its form and a valid answer to start from ----------------------

@dataclass(frozen=True)
class BuiltForm:
    """A form class the view builds for each request from rows of the world, as
    score_form builds one choice per criterion of a call's rubric."""

    builder: Callable[..., type]  # what the view calls to build it
    arguments: Callable[[World], tuple]  # what it is built from, in this world

    def form_class(self, world: World) -> type:
        return self.builder(*self.arguments(world))


def _rubric_of_the_call(world: World) -> tuple:
    return (criteria_of(db.session.get(OpenCall, world.ids["call"])),)


@dataclass(frozen=True)
class Route:
    role: str | None  # who may use it; None: nobody signed in
    form: type | BuiltForm | None = None  # its WTForms form, whose fields are discovered
    valid: dict[str, str] = field(default_factory=dict)  # a correct answer, by field
    extra: tuple[str, ...] = ()  # fields read from request.form outside the form
    ids: dict[str, str] = field(default_factory=dict)  # URL argument -> world id or fresh kind
    # A 200 answer that is not the form with errors: its heading, and whether it saves.
    answer_pages: tuple[str, ...] = ()
    answer_saves: bool = False
    # Only the provider's signature makes it valid: here every answer is a 403.
    provider_signed: bool = False


# Two days back: "today" in the program's time zone may still be yesterday here.
PAID_ON = (date.today() - timedelta(days=2)).isoformat()
NEW_PASSWORD = {"password": "a quiet green valley 42", "password_again": "a quiet green valley 42"}
MEETING = {"language": "en", "title": "Walk of the site", "description": "Bring shoes.",
           "day": "2027-01-20", "starts": "18:00", "ends": "20:00", "format": "hybrid",
           "venue": "City Hall", "room": "Room 2", "accessibility_notes": "Ramp at the side.",
           "join_link": "https://example.org/call", "capacity": "20", "deadline_days": "1"}
SERIES = {**{k: v for k, v in MEETING.items() if k != "day"}, "first_day": "2027-01-13",
          "last_day": "2027-03-10", "every_weeks": "2", "skip": "2027-02-10"}
PERSON = {"name": "Tess Target", "preferred_language": "en", "email": "",
          "username": "tess", "phone": "617-555-0100", "roles": "member"}
PROGRAM = {"name": "Community-Led Design Group", "season_start": "2026-12-01",
           "season_end": "2027-05-31", "timezone": "America/New_York", "stipend": "1,200.00",
           "language": "en",
           "installments-0-label": "First half", "installments-0-due_on": "2027-02-26",
           "installments-0-amount": "600", "installments-1-label": "Second half",
           "installments-1-due_on": "2027-05-28", "installments-1-amount": "600.00"}

APPLICATION = {
    "name": "Ana Rivera", "preferred_name": "Ana", "email": "ana@example.net", "mobile": "",
    "phone": "617-555-0101", "mailing_address": "12 Example St", "preferred_contact": "email",
    "language": "es", "language_other": "", "neighborhood": "Dorchester",
    "meets_conditions": "yes", "statement": "A crisis night.", "experience": "Peer support",
    "times": "weekend", "meeting_format": "online", "interpretation": "es", "childcare": "y",
    "transport": "y", "access_needs": "Quiet room", "age_band": "35-44", "gender": "woman",
    "race": "black", "consent": "y", "action": "send", "website": ""}

POST_ROUTES: dict[str, Route] = {
    "auth.sign_in": Route(None, SignInForm, {"identifier": "{member_email}",
                                             "password": PASSWORD}),
    "auth.sign_out": Route("member", ButtonForm),
    "auth.accept_invitation": Route(None, NewPasswordForm, NEW_PASSWORD,
                                    ids={"token": "fresh:invitation"}),
    "auth.reset_password": Route(None, NewPasswordForm, NEW_PASSWORD,
                                 ids={"token": "fresh:reset"}),
    # A code is used up by its first use, so the answer tried matches no code and the form
    # comes back with its message; tests/test_sign_in_sheet.py follows a real code through.
    "auth.enter_code": Route(None, SignInCodeForm, {"code": "ABCD-EFGH"},
                             answer_pages=("Type your sign-in code",)),
    "auth.forgot_password": Route(None, ForgotPasswordForm, {"email": "{member_email}"},
                                  answer_pages=("Check your email",), answer_saves=True),
    "account.profile": Route("member", ProfileForm, {
        "name": "Mo Member", "preferred_language": "en", "email": "{member_email}",
        "phone": "617-555-0199", "notify_payments": "y", "interpretation_language": "es",
        "childcare_children": "2", "access_needs": "Large print"}),
    "account.password": Route("member", ChangePasswordForm,
                              {"current_password": PASSWORD, **NEW_PASSWORD}),
    "admin.add_person_page": Route("admin", PersonForm, {**PERSON, "name": "Nia New",
                                                         "username": "nia"},
                                   answer_pages=("Sign-in link for",), answer_saves=True),
    # Taking the member role away first asks what happens to the enrollment.
    "admin.person": Route("admin", PersonForm, {**PERSON, "email": "{target_email}",
                                                "username": ""},
                          ids={"user_id": "target"},
                          answer_pages=("What should happen to their enrollment?",)),
    "admin.resend_invitation": Route("admin", ButtonForm, ids={"user_id": "target"},
                                     answer_pages=("Sign-in link for",), answer_saves=True),
    "admin.confirm_role": Route("admin", ButtonForm, ids={"request_id": "fresh:grant_request"}),
    "admin.decline_role": Route("admin", ButtonForm, ids={"request_id": "fresh:grant_request"}),
    "admin.deactivate": Route("admin", ButtonForm, ids={"user_id": "target"}),
    "admin.reactivate": Route("admin", ButtonForm, ids={"user_id": "target"}),
    "admin.program_settings": Route("admin", ProgramForm, PROGRAM),
    "admin.program_translation": Route("admin", ProgramTranslationForm, {
        "name": "Grupo de Diseño Comunitario", "labels-0": "Primera mitad",
        "labels-1": "Segunda mitad"}, ids={"language": "spanish"}),
    "meetings.meeting": Route("member", RsvpForm, {
        "response": "virtual", "interpretation_language": "ht", "childcare_children": "1",
        "transport_help": "y", "access_needs": "A quiet room"}, ids={"meeting_id": "meeting"},
        extra=("one_tap", "next")),  # the home page's one-tap answer and where it returns
    "meetings.calendar_feed": Route("member", ButtonForm,
                                    answer_pages=("Meetings in your phone calendar",),
                                    answer_saves=True),
    "meetings.new_meeting": Route("facilitator", MeetingForm, MEETING),
    "meetings.new_series": Route("facilitator", SeriesForm, SERIES),
    "meetings.edit_meeting": Route("facilitator", MeetingForm, MEETING,
                                   ids={"meeting_id": "meeting"}),
    "meetings.meeting_translation": Route("facilitator", MeetingTextForm, {
        "language": "es", "title": "Sesión de diseño", "description": "Traiga zapatos."},
        ids={"meeting_id": "meeting"}),
    "meetings.ask_for_meeting_translation": Route("member", None, {"language": "vi"},
                                                  extra=("language",),
                                                  ids={"meeting_id": "meeting"}),
    "meetings.cancel": Route("facilitator", CancelMeetingForm,
                             {"reason": "The room is closed that day."},
                             ids={"meeting_id": "fresh:meeting"}),
    "meetings.answer_for_member": Route("facilitator", None,
                                        {"user_id": "{member_id}", "response": "virtual"},
                                        extra=("user_id", "response"),
                                        ids={"meeting_id": "meeting"}),
    "meetings.attendance": Route("facilitator", None, {"attendance-{member_id}": "in_person"},
                                 extra=("attendance-{member_id}",),
                                 ids={"meeting_id": "past_meeting"}),
    "stipends.record": Route("finance", PaymentForm, {
        "amount": "10.00", "paid_on": PAID_ON, "method": "direct_deposit",
        "reference": "Deposit 7", "note": "Second try", "submission_key": "{submission_key}",
        "step": "record"}, extra=("step",), ids={"enrollment_id": "enrollment"},
        answer_pages=("Check the payment before it is recorded", "Record a payment to")),
    "stipends.void": Route("finance", VoidForm, {"reason": "The check was lost.",
                                                 "reason_kind": "lost"},
                           ids={"payment_id": "fresh:payment"}),
    "stipends.tax_form": Route("finance", TaxFormForm, {"tax_form_status": "received"},
                               ids={"enrollment_id": "enrollment"}),
    "stipends.tax_details": Route("finance", TaxDetailsForm, {
        "legal_name": "Maria Lopes", "address_line1": "12 Dudley St", "address_line2": "Apt 3",
        "city": "Roxbury", "state": "MA", "postal_code": "02119"},
        ids={"enrollment_id": "enrollment"}),
    "documents.ask_for_translation": Route("member", None, {"language": "vi"},
                                           extra=("language",),
                                           ids={"document_id": "document"}),
    "documents.new_document": Route("facilitator", DocumentForm, {
        "kind": "agenda", "meeting": "{meeting_id}", "language": "en", "title": "Agenda 2",
        "body": "1. Welcome back"}),
    "documents.edit_document": Route("facilitator", DocumentForm, {
        "kind": "agenda", "meeting": "{meeting_id}", "language": "en", "title": "Agenda",
        "body": "1. Welcome\n2. Walk"}, ids={"document_id": "document"}),
    "documents.version": Route("facilitator", VersionForm, {
        "language": "es", "title": "Orden del día", "body": "1. Bienvenida"},
        ids={"document_id": "document"}),
    "documents.publish": Route("facilitator", ButtonForm, ids={"document_id": "fresh:draft"}),
    # Webhooks: without the provider's signature every answer is a 403 that changes
    # nothing (signed ones are tested in tests/test_texts.py).
    "texts.inbound": Route(None, None, {"From": "+16175550199", "Body": "STOP",
                                        "MessageSid": "SM1"},
                           extra=("From", "Body", "MessageSid"), provider_signed=True),
    "texts.delivery_status": Route(None, None, {"MessageSid": "SM1", "MessageStatus": "failed"},
                                   extra=("MessageSid", "MessageStatus"),
                                   provider_signed=True),
    "applications.apply": Route(None, ApplicationForm, APPLICATION, ids={"slug": "call_slug"}),
    "applications.continue_later": Route(None, ContinueForm, {"code": DRAFT_CODE}),
    "applications.status": Route(None, StatusForm, {"reference": APPLICATION_REFERENCE,
                                                    "contact": "617-555-0142"}),
    # Without the session a status check gives, these lead back to the status check.
    "applications.change_my_contact": Route(None, ContactFields, {
        "phone": "617-555-0143", "preferred_contact": "call"}),
    "applications.withdraw_mine": Route(None, ButtonForm),
    "applications.delete_mine": Route(None, ButtonForm),
    "applications.new_call": Route("admin", NewCallForm, {
        "slug": "second-group", "language": "en", "title": "Second group",
        "invitation": "Join us.", "who_may_apply": "Boston residents, 18 or older",
        "questions": "Why now?\nWhat would help?", "deadline_day": "2027-03-01",
        "deadline_time": "17:00", "decisions_by": "2027-03-20", "seats": "10",
        "paper_address": "City Hall, Suite 806", "paper_office": "Suite 806",
        "paper_hours": "9 to 5"}),
    "applications.translate": Route("admin", CallForm, {
        "language": "es", "title": "Postúlese", "invitation": "Únase.",
        "who_may_apply": "Residentes de Boston", "questions": "¿Por qué ahora?"},
        ids={"call_id": "call"}),
    "applications.enter_paper_application": Route("admin", PaperApplicationForm, {
        **APPLICATION, "channel": "mail", "received_on": PAID_ON}, ids={"call_id": "call"}),
    "applications.eligibility": Route("admin", EligibilityForm, {
        "decision": "ineligible", "reason": "Lives in Quincy"},
        ids={"application_id": "application"}),
    "applications.merge": Route("admin", MergeForm, {"keep": APPLICATION_REFERENCE},
                                ids={"application_id": "fresh:application"}),
    "selection.plan": Route("admin", PlanForm, {
        "alternates": "2", "targets": "category,value,min,max\nneighborhood,Roxbury,0,1"},
        ids={"call_id": "call"}),
    "selection.draw": Route("admin", DrawForm, {"seed": "4 2 6 1"},
                            ids={"call_id": "fresh:planned_call"}),
    "selection.decisions": Route("admin", ButtonForm, ids={"call_id": "fresh:planned_call"}),
    # The applicant has no email: the answer is the sign-in link to print.
    "selection.seat": Route("admin", SeatForm, {
        "confirmed": "y", "interpretation_language": "ht", "childcare_children": "1",
        "transport_help": "y", "access_needs": "A quiet room"},
        ids={"application_id": "fresh:selected_application"},
        answer_pages=("Sign-in link for",), answer_saves=True),
    "selection.answer_seat": Route(None, SeatAnswerForm, {
        "confirmed": "y", "interpretation_language": "vi", "childcare_children": "0",
        "access_needs": "Large print"}, ids={"token": "fresh:seat_link"},
        answer_pages=("Welcome to the design group",), answer_saves=True),
    "selection.give_up": Route("admin", GiveUpForm, {"reason": "declined"},
                               ids={"application_id": "fresh:seated_application"}),
    # The world's call is reviewed by the world's reviewer and a second one.
    "review.review": Route("reviewer", BuiltForm(score_form, _rubric_of_the_call), {
        "score_{first_criterion}": "4", "score_{second_criterion}": "3",
        "comment": "The statement is close to the service."}, ids={"review_id": "review"}),
    "review.conflict": Route("reviewer", ConflictForm, {"note": "I think I know who wrote it."},
                             ids={"review_id": "fresh:review"}),
    "review.rules": Route("admin", ReviewRulesForm, {"reviews_per_application": "2",
                                                     "pool_min_mean": "3.5"},
                          ids={"call_id": "call"}),
    "review.add_reviewer": Route("admin", AddReviewerForm, {"reviewer": "{reviewer_id}"},
                                 ids={"call_id": "fresh:call_to_review"}),
    "review.take_off_reviewer": Route("admin", ButtonForm, ids={
        "call_id": "call", "user_id": "fresh:call_reviewer"}),
    "review.rubric": Route("admin", RubricForm, {
        "names-0": "Lived experience", "guides-0": "1: not described. 5: clear and close.",
        "names-1": "Ideas for the service", "guides-1": "1: none. 5: concrete and new, too."},
        ids={"call_id": "call"}),
    "review.share": Route("admin", ButtonForm, ids={"call_id": "call"}),
    "review.translate": Route("admin", RubricForm, {
        "names-0": "Experiencia vivida", "guides-0": "1: no descrita. 5: clara y cercana.",
        "names-1": "Ideas para el servicio", "guides-1": "1: ninguna. 5: concretas y nuevas."},
        ids={"call_id": "call", "language": "spanish"}),
}


def _rules(app, method: str):
    return [rule for rule in app.url_map.iter_rules()
            if method in rule.methods and rule.endpoint != "static"]


def test_every_post_route_is_covered(app):
    """A new POST route fails here until it is given its form and a valid answer."""
    assert {rule.endpoint for rule in _rules(app, "POST")} == set(POST_ROUTES)
    for endpoint, route in POST_ROUTES.items():
        if route.form not in (None, ButtonForm):  # a button's form is on another page
            made_by = route.form.builder if isinstance(route.form, BuiltForm) else route.form
            assert f"{made_by.__name__}(" in view_source(app, endpoint), (endpoint, route.form)


def view_source(app, endpoint: str) -> str:
    """A view's source and that of the helpers of its module it calls."""
    view = app.view_functions[endpoint]
    source = inspect.getsource(view)
    module = inspect.getmodule(view)
    helpers = [getattr(module, name) for name in set(re.findall(r"(\w+)\(", source))
               if inspect.isfunction(getattr(module, name, None))
               and getattr(module, name).__module__ == module.__name__]
    return source + "".join(inspect.getsource(helper) for helper in helpers)


def test_every_posted_field_is_read_by_its_route(app):
    """The fields sent outside a form are the ones the views really read."""
    source = "".join(inspect.getsource(module) for module in _view_modules())
    read = set(re.findall(r'request\.form\.get\(\s*f?"([^"]+)"', source))
    for endpoint, route in POST_ROUTES.items():
        for name in route.extra:
            assert name.replace("{member_id}", "{member.id}") in read, (endpoint, name)


def _view_modules():
    from portal.account import views as account
    from portal.admin import views as admin
    from portal.applications import staff as applications_staff
    from portal.applications import views as applications
    from portal.auth import views as auth
    from portal.documents import views as documents
    from portal.home import views as home
    from portal.meetings import views as meetings
    from portal.selection import views as selection
    from portal.stipends import views as stipends
    from portal.texts import views as texts

    return (account, admin, auth, documents, home, meetings, stipends, texts)
    return (account, admin, applications, applications_staff, auth, documents, home,
            meetings, selection, stipends)


# --- What each field is, and what hostile things to send it --------------------------------

TEXT, MONEY, WHOLE, DAY, CLOCK, CHOICE, BOOLEAN, SECRET, HIDDEN, FILE = (
    "text", "money", "whole", "day", "clock", "choice", "boolean", "secret", "hidden", "file")


def _kind_of(form_field) -> str:
    if isinstance(form_field, MoneyField):
        return MONEY
    if isinstance(form_field, WholeNumberField):
        return WHOLE
    if isinstance(form_field, ClockField):
        return CLOCK
    if isinstance(form_field, DateField):
        return DAY
    if isinstance(form_field, PasswordField):
        return SECRET
    if isinstance(form_field, HiddenField):
        return HIDDEN
    if isinstance(form_field, SelectFieldBase):
        return CHOICE
    if isinstance(form_field, BooleanField):
        return BOOLEAN
    if isinstance(form_field, StringField):
        return TEXT
    return FILE


def _leaf_fields(form):
    for form_field in form:
        if isinstance(form_field, FieldList):
            for entry in form_field:
                yield from (_leaf_fields(entry.form) if isinstance(entry, FormField)
                            else [entry])
        elif form_field.name != "csrf_token":
            yield form_field


def form_fields(app, route: Route, world: World) -> dict[str, str]:
    """Field name -> kind, read from the route's form class."""
    fields = {}
    if route.form is not None:
        form_class = (route.form.form_class(world) if isinstance(route.form, BuiltForm)
                      else route.form)
        with app.test_request_context(method="POST"):
            form = form_class(meta={"csrf": False})
            fields = {f.name: _kind_of(f) for f in _leaf_fields(form)}
    for name in route.extra:
        fields[name] = CHOICE if name != "user_id" else WHOLE
    return fields


LONG = st.builds(lambda piece, count: (piece * count)[:20_000],
                 st.sampled_from(["a", "é", "字", "🙂", "<b>", "\u202e", "a b ", "\x00"]),
                 st.integers(10_001, 20_000))
# Several dangers in one value, so a few examples meet them all.
KITCHEN_SINK = ("Zoë \x00\x1b[31m\r\n\u202eevil\u200b <script>alert(1)</script> "
                "'; DROP TABLE users; -- %(name)s %s {{ 7*7 }} \\ ﷺ 𝔘𝔫𝔦")
NASTY_TEXT = st.sampled_from([
    KITCHEN_SINK, "\x00", "a\x00@example.org", "line one\r\nline two", "\u202eabc",
    "\x1b[2J", " \t\x0b ", "\ufeff\u2028\x85", "Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇", "../../etc/passwd", "null"])
TEXT_VALUES = st.one_of(
    NASTY_TEXT,
    LONG,
    st.builds(lambda a, b: a + "\x00" + b, st.text(max_size=8), st.text(max_size=8)),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=40),
)
NUMBER_WORDS = ["-1", "0", "-0", "1.5", "1e400", "1E5", str(10**30), str(2**63), "NaN",
                "Infinity", "²", "①", "٣", "１２", "0x10", "+3", " 7 ", "", "abc", "1_000"]
MONEY_VALUES = st.one_of(st.sampled_from([
    "-5", "0.001", "10.005", "1,5", "600,50", "1,2,3", "$", "$-5", "9999999.99",
    "10000000", "1,000,000,000", "0.00", ".5", "5.", "٥", *NUMBER_WORDS]),
    st.decimals(allow_nan=True, allow_infinity=True).map(str))
WHOLE_VALUES = st.one_of(st.sampled_from(NUMBER_WORDS), st.integers().map(str))
DAY_VALUES = st.one_of(st.sampled_from([
    "2026-02-30", "0000-01-01", "9999-99-99", "9999-12-31", "0001-01-01", "2026-13-01",
    "20261201", "2026-W01-1", "2026-12-01T10:00", "٢٠٢٦-١٢-٠١", "-2026-12-01", "12/01/2026",
    "2026-12-1", "+002026-12-01"]), st.dates().map(date.isoformat))
CLOCK_VALUES = st.sampled_from([
    "24:00", "25:61", "18:00:00.123456", "T18:00", "18:00+05:00", "-1:00", "6pm", "18",
    "18:00:60", "００:００", "23:59:59.999999Z"])
CHOICE_VALUES = st.sampled_from([
    "", "xx", "\x00", "in_person ", "IN_PERSON", "paypal", "bitcoin", "zz_ZZ", "en-US",
    "x" * 10_001, "0", "-1", str(10**30), "²", "None", "1e400", "klingon", "owner"])
BOOLEAN_VALUES = st.sampled_from(["y", "on", "false", "0", "", "x" * 10_001, "\x00"])
ANY_HOSTILE = st.one_of(TEXT_VALUES, MONEY_VALUES, DAY_VALUES, CHOICE_VALUES)
HOSTILE_BY_KIND = {
    TEXT: TEXT_VALUES, MONEY: MONEY_VALUES, WHOLE: WHOLE_VALUES, DAY: DAY_VALUES,
    CLOCK: CLOCK_VALUES, CHOICE: CHOICE_VALUES, BOOLEAN: BOOLEAN_VALUES,
    SECRET: st.one_of(TEXT_VALUES, st.just(PASSWORD)), HIDDEN: ANY_HOSTILE, FILE: TEXT_VALUES,
}
# Bytes a browser never sends: they are not UTF-8.
BAD_BYTES = st.sampled_from([b"\xff\xfe", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80",
                             b"caf\xe9", b"\x80"])


@dataclass
class Sent:
    """One field as sent: left out, or its values (text or raw bytes)."""

    values: list[str | bytes]


def field_answer(kind: str, valid: str | None):
    """A hostile way to send one field."""
    hostile = HOSTILE_BY_KIND[kind]
    options = [
        st.builds(lambda v: Sent([v]), hostile),
        st.just(Sent([])),  # missing
        st.builds(lambda v: Sent([v, v]), hostile),  # repeated
        st.builds(lambda b: Sent([b]), BAD_BYTES),
    ]
    if valid is not None:
        options.append(st.builds(lambda v: Sent([valid, v]), hostile))
    return st.one_of(options)


def form_answers(fields: dict[str, str], valid: dict[str, str]):
    """A few fields hostile and the rest as a person would fill them, so that the
    hostile values reach the rules behind the form and not only its first check."""
    @st.composite
    def answers(draw):
        touched = draw(st.sets(st.sampled_from(sorted(fields)), max_size=3)) if fields else set()
        return {name: draw(field_answer(kind, valid.get(name))) if name in touched
                else Sent([valid[name]] if name in valid else [])
                for name, kind in fields.items()}
    return answers()


def encode(pairs: list[tuple[str, str | bytes]]) -> bytes:
    """A urlencoded body, byte for byte as given (so it may hold invalid UTF-8)."""
    def part(value):
        raw = value if isinstance(value, bytes) else value.encode("utf-8")
        return quote_from_bytes(raw, safe="")
    return "&".join(f"{part(name)}={part(value)}" for name, value in pairs).encode("ascii")


# --- Signing in, snapshots, and what a good answer looks like -------------------------------

def sign_in_fresh(app, user_id: int):
    """A new client signed in just now as this person, in English (password, language and
    active state put back in case an earlier example changed them)."""
    user = db.session.get(User, user_id)
    user.active = True
    user.preferred_language = "en"
    user.set_password(PASSWORD)
    db.session.commit()
    client = app.test_client()
    response = client.post("/sign-in", data={"identifier": user.email or user.username,
                                             "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return client


def snapshot() -> dict[str, list]:
    """Every row of every table, sorted, read in a fresh transaction."""
    db.session.commit()
    with db.engine.connect() as connection:
        return {table.name: sorted((tuple(row) for row in connection.execute(table.select())),
                                   key=repr)
                for table in db.metadata.sorted_tables}


def changed_tables(before, after) -> list[str]:
    return [name for name in before if before[name] != after[name]]


@cache
def error_headings() -> frozenset[str]:
    """The heading of every error page, in every language (a person may have chosen one)."""
    titles = [title for title, _ in ERROR_PAGES.values()] + [_l("This link does not work")]
    found = set()
    with current_app.test_request_context():
        for code in LANGUAGE_BY_CODE:
            with force_locale(code):
                found |= {str(title) for title in titles}
    return frozenset(found)


def heading(page: str) -> str:
    found = re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S)
    return re.sub(r"<[^>]+>", "", found[1]).strip() if found else ""


def has_error_summary(page: str) -> bool:
    return re.search(r'class="error-summary".*?<li>', page, re.S) is not None


def assert_clear_refusal(response, what):
    page = response.get_data(as_text=True)
    assert "Traceback" not in page, what
    assert has_error_summary(page) or heading(page) in error_headings(), (
        what, response.status_code, heading(page), page[:2000])


def assert_no_server_error(response, what):
    response.get_data()  # a streamed download is read to its end, as a browser would
    response.close()
    assert response.status_code < 500, (what, response.status_code,
                                        response.get_data(as_text=True)[:2000])


def follow(client, response, what) -> str:
    """The page a redirect leads to must work too (it may show what was just saved)."""
    location = response.headers["Location"]
    parts = urlsplit(location)
    assert parts.netloc in ("", "localhost"), (what, location)
    landing = client.get(parts.path + (f"?{parts.query}" if parts.query else ""))
    assert_no_server_error(landing, (what, location))
    return landing.get_data(as_text=True)


# --- The property for forms ------------------------------------------------------------------

def _fill(template: str, world: World, key: str) -> str:
    return template.format(member_email=world.emails["member"],
                           target_email=world.emails["target"],
                           member_id=world.ids["member"], meeting_id=world.ids["meeting"],
                           reviewer_id=world.ids["reviewer"],
                           first_criterion=world.ids["first_criterion"],
                           second_criterion=world.ids["second_criterion"],
                           submission_key=key)


def post_path(app, endpoint: str, route: Route, world: World) -> str:
    rule = next(r for r in _rules(app, "POST") if r.endpoint == endpoint)
    values = {}
    for argument in rule.arguments:
        source = route.ids[argument]
        values[argument] = (_fresh(source[6:], world) if source.startswith("fresh:")
                            else world.ids[source])
    return build_path(app, endpoint, values)


def build_path(app, endpoint: str, values: dict) -> str:
    with app.test_request_context():
        return url_for(endpoint, **values)


def send_and_judge(app, world: World, endpoint: str, answers: dict[str, Sent],
                   fields: dict[str, str], extra=(), query=()) -> int:
    """Post one answer to a route as the person who may use it, and check what happens."""
    route = POST_ROUTES[endpoint]
    with app.app_context():
        limiter.reset()
    path = post_path(app, endpoint, route, world)
    if query:
        path += "?" + encode(list(query)).decode("ascii")
    client = sign_in_fresh(app, world.ids[route.role]) if route.role else app.test_client()
    pairs = [(name, value) for name, sent in answers.items() for value in sent.values]
    pairs += list(extra)
    what = (endpoint, path, pairs)
    before = snapshot()
    response = client.post(path, data=encode(pairs), content_type=FORM_BODY)
    after = snapshot()
    assert_no_server_error(response, what)
    page = response.get_data(as_text=True)
    if response.status_code in (302, 303):
        if 'class="flash flash--error"' in follow(client, response, what):
            # Refused with a message on the page it leads back to.
            assert changed_tables(before, after) == [], what
    elif response.status_code == 200 and not has_error_summary(page):
        # Not a refusal: one of this route's own answer pages.
        assert route.answer_pages and heading(page).startswith(route.answer_pages), (
            what, heading(page), page[:2000])
        if not route.answer_saves:
            assert changed_tables(before, after) == [], what
    else:
        assert_clear_refusal(response, what)
        assert changed_tables(before, after) == [], what
        if response.status_code == 200:
            assert_typed_text_kept(page, answers, fields, what)
    return response.status_code


def route_fields(app, world: World, endpoint: str) -> tuple[dict[str, str], dict[str, str]]:
    """(field name -> kind, field name -> valid value) with this world's ids filled in."""
    route = POST_ROUTES[endpoint]
    key = new_submission_key()
    valid = {_fill(name, world, key): _fill(value, world, key)
             for name, value in route.valid.items()}
    fields = {_fill(name, world, key): kind
              for name, kind in form_fields(app, route, world).items()}
    return fields, valid


@pytest.mark.parametrize("endpoint", sorted(POST_ROUTES))
def test_hostile_form_input(app, ctx, world, endpoint):
    fields, valid = route_fields(app, world, endpoint)
    extra = st.lists(st.tuples(st.sampled_from(["unknown", "id", "user_id", "step", "csrf_token",
                                                "program_id", "roles"]), ANY_HOSTILE),
                     max_size=2)

    # Query parameters on a form's address too, e.g. /sign-in?next=...
    query = st.lists(st.tuples(st.sampled_from(sorted(query_parameters())), QUERY_VALUES),
                     max_size=2)

    @HOSTILE
    @given(answers=form_answers(fields, valid), extra=extra, query=query)
    def check(answers, extra, query):
        status = send_and_judge(app, world, endpoint, answers, fields, extra, query)
        event(f"answered {status}")

    check()


# The values at the edges of each kind of field, each tried alone in every field.
EDGES = {
    TEXT: (KITCHEN_SINK, "x" * 10_001),
    DAY: ("0001-01-01", "9999-12-31", "2026-02-30"),
    CLOCK: ("00:00", "23:59", "24:00"),
    MONEY: ("9999999.99", "10.005", "-5", "1e400"),
    WHOLE: ("²", str(10**30), "999999"),
    CHOICE: ("klingon",),
    SECRET: (KITCHEN_SINK,),
    HIDDEN: (KITCHEN_SINK,),
}


@pytest.mark.parametrize("endpoint", sorted(POST_ROUTES))
def test_edge_values_one_field_at_a_time(app, ctx, world, endpoint):
    """Every field, alone, at the edges of its kind (plus left out, plus bytes that are not
    UTF-8), with the rest of the form valid: rare for random examples, so tried each time."""
    fields, valid = route_fields(app, world, endpoint)
    base = {name: Sent([valid[name]] if name in valid else []) for name in fields}
    tried = set()
    for name, kind in fields.items():
        shape = re.sub(r"-\d+-", "-n-", name)  # one row of a list of rows is enough
        if shape in tried:
            continue
        tried.add(shape)
        for sent in [Sent([value]) for value in EDGES.get(kind, ())] + [
                Sent([]), Sent([b"caf\xe9 \xff\xfe"])]:
            send_and_judge(app, world, endpoint, {**base, name: sent}, fields)


@pytest.mark.parametrize("endpoint", sorted(POST_ROUTES))
def test_the_valid_answer_is_accepted(app, ctx, world, endpoint):
    """The answer the hostile ones start from works, so they reach past the first check."""
    route = POST_ROUTES[endpoint]
    key = new_submission_key()
    path = post_path(app, endpoint, route, world)
    client = sign_in_fresh(app, world.ids[route.role]) if route.role else app.test_client()
    pairs = [(_fill(name, world, key), _fill(value, world, key))
             for name, value in route.valid.items()]
    response = client.post(path, data=encode(pairs), content_type=FORM_BODY)
    page = response.get_data(as_text=True)
    if route.provider_signed:
        assert response.status_code == 403
        return
    assert response.status_code == 302 or (
        response.status_code == 200 and route.answer_pages
        and heading(page).startswith(route.answer_pages)), (
        response.status_code, re.findall(r'<li><a href="#[^"]*">([^<]*)</a>', page))


NO_SUCH_ROW = (0, 999_999, 2**31 - 1, 2**31, 2**63, 10**30)


def test_ids_no_row_can_have_are_not_found(app, ctx, world):
    """An id in the address that is no row, however large, is a clear 404 that changes nothing."""
    checked = 0
    for rule in app.url_map.iter_rules():
        numbers = [a for a in rule.arguments if isinstance(rule._converters[a], IntegerConverter)]
        if not numbers:
            continue
        method = "POST" if "POST" in rule.methods else "GET"
        role = (POST_ROUTES[rule.endpoint].role if method == "POST"
                else role_for(app, rule.endpoint))
        client = sign_in_fresh(app, world.ids[role]) if role else app.test_client()
        for number in NO_SUCH_ROW:
            values = {a: number if a in numbers else GET_TEXT[a] for a in rule.arguments}
            path = build_path(app, rule.endpoint, values)
            before = snapshot()
            response = client.open(path, method=method)
            assert response.status_code == 404, (path, response.status_code)
            assert_clear_refusal(response, path)
            assert changed_tables(before, snapshot()) == [], path
            checked += 1
    assert checked > 100


KEPT_KINDS = {TEXT, MONEY, WHOLE, DAY, CLOCK}


def assert_typed_text_kept(page: str, answers: dict[str, Sent], fields: dict[str, str], what):
    """A form shown again holds what was typed in each text box, so nothing is lost."""
    for name, sent in answers.items():
        if fields.get(name) not in KEPT_KINDS or len(sent.values) != 1:
            continue
        value = sent.values[0]
        if isinstance(value, bytes) or f'name="{name}"' not in page:
            continue
        assert str(escape(value.strip())) in page, (what, name, value[:80])


FILE_NAMES = st.one_of(
    st.sampled_from(["../../etc/passwd.pdf", "a\x00b.pdf", "\u202efdp.exe", ".pdf", "",
                     "con.pdf", "x" * 10_001 + ".pdf", "a\r\nContent-Type: text/html.pdf",
                     "\"; filename=evil.html.pdf", "C:\\Users\\me\\agenda.pdf"]),
    TEXT_VALUES.map(lambda name: name[:300] + ".pdf"),
)


def test_hostile_file_names(app, ctx, world):
    """Whatever a file is called, it is refused clearly or kept under a name that is safe
    to show and to offer for download."""
    from tests.sample_files import PDF

    path = post_path(app, "documents.new_document", POST_ROUTES["documents.new_document"], world)

    @HOSTILE
    @given(name=FILE_NAMES)
    def check(name):
        client = sign_in_fresh(app, world.ids["facilitator"])
        data = {"kind": "reading", "meeting": "", "language": "en", "title": "Handout",
                "file": (io.BytesIO(PDF), name)}
        before = snapshot()
        response = client.post(path, data=data, content_type="multipart/form-data")
        assert_no_server_error(response, name)
        if response.status_code != 302:
            assert_clear_refusal(response, name)
            assert changed_tables(before, snapshot()) == [], name
            return
        document_path = urlsplit(response.headers["Location"]).path
        download = client.get(f"{document_path}/files/en")
        assert download.status_code == 200, name
        disposition = download.headers["Content-Disposition"]
        assert not any(ord(ch) < 32 for ch in disposition), disposition
        assert disposition.count(";") == 2, disposition  # nothing smuggled into the header
        download.close()

    check()


def test_a_search_with_control_characters_says_so(app, ctx, world):
    client = sign_in_fresh(app, world.ids["admin"])
    page = client.get("/admin/people?q=Tess%00").get_data(as_text=True)
    assert "Remove the invisible control characters from this text." in page


# --- The property for query parameters -------------------------------------------------------

def query_parameters() -> set[str]:
    """Every query parameter the portal reads, found in its source."""
    names = set()
    forms_from_args = set()
    for path in Path(portal.__file__).parent.rglob("*.py"):
        text = path.read_text("utf-8")
        names |= set(re.findall(r'request\.args\.get\(\s*"([^"]+)"', text))
        forms_from_args |= set(re.findall(r"(\w+Form)\(request\.args\)", text))
    from portal.admin import forms as admin_forms
    from portal.documents import forms as documents_forms

    for name in forms_from_args:
        form_class = getattr(admin_forms, name, None) or getattr(documents_forms, name)
        names |= {attribute for attribute, value in vars(form_class).items()
                  if hasattr(value, "field_class")}
    return names


def test_query_parameters_are_found():
    assert {"page", "show", "sort", "program", "year", "language", "next", "kind", "meeting",
            "meeting_id", "q"} <= query_parameters()


QUERY_VALUES = st.one_of(
    st.sampled_from(["-1", "abc", str(10**20), str(10**30), "0", "1e400", "²", "①", "٣",
                     "", "1.5", "x", "9999", "0000", "2026", "//evil.example/", "/\\evil",
                     "javascript:alert(1)", "/%0d%0aSet-Cookie:a=b", "https://evil.example",
                     "owed", "name", "agenda", "klingon", "es"]),
    TEXT_VALUES.map(lambda v: v[:2000]),
)


def role_for(app, endpoint: str) -> str | None:
    rule = access_of(app.view_functions[endpoint])
    if rule == PUBLIC:
        return None
    if rule == SIGNED_IN:
        return "member"
    for role in (Role.FINANCE, Role.FACILITATOR, Role.ADMIN, Role.MEMBER, Role.REVIEWER):
        if role in rule:
            return role.value
    raise AssertionError(endpoint)


GET_IDS = {"meeting_id": "meeting", "document_id": "document", "user_id": "target",
           "enrollment_id": "enrollment", "payment_id": "payment"}
GET_TEXT = {"token": "not-a-real-link", "code": "es", "language": "en", "year": 2026,
            "slug": "design-group"}
GET_IDS.update({"call_id": "call", "application_id": "application", "review_id": "review"})
# A translation page is there only for a language other than the original (English).
GET_TEXT_OF = {"admin.program_translation": {"language": "es"},
               "review.translate": {"language": "es"}}


def get_path_values(world: World, rule) -> dict:
    """The address arguments of a GET page that is there, in this world."""
    return {argument: world.ids[GET_IDS[argument]] if argument in GET_IDS
            else GET_TEXT_OF.get(rule.endpoint, {}).get(argument, GET_TEXT[argument])
            for argument in rule.arguments}


def get_endpoints(app) -> list[str]:
    return sorted({rule.endpoint for rule in _rules(app, "GET")})


@pytest.mark.parametrize("group", ["public", "member", "staff", "finance", "admin",
                                   "reviewer"])
def test_hostile_query_parameters(app, ctx, world, group):
    endpoints = [e for e in get_endpoints(app)
                 if _group(role_for(app, e)) == group]
    parameters = sorted(query_parameters())
    segment = st.one_of(st.none(), TEXT_VALUES.map(lambda v: v[:300]))

    @settings(PAGES_WITH_PARAMETERS, max_examples=8 * len(endpoints))
    @given(endpoint=st.sampled_from(endpoints),
           query=st.fixed_dictionaries({name: st.one_of(st.none(), QUERY_VALUES, BAD_BYTES)
                                        for name in parameters}),
           again=st.lists(st.tuples(st.sampled_from(parameters), QUERY_VALUES), max_size=2),
           odd_segment=segment)
    def check(endpoint, query, again, odd_segment):
        with app.app_context():
            limiter.reset()
        rule = next(r for r in _rules(app, "GET") if r.endpoint == endpoint)
        values = get_path_values(world, rule)
        words = [a for a in values if not isinstance(rule._converters[a], IntegerConverter)]
        if odd_segment is not None and words:
            values[words[0]] = odd_segment
        path = build_path(app, endpoint, values)
        role = role_for(app, endpoint)
        client = sign_in_fresh(app, world.ids[role]) if role else app.test_client()
        pairs = [(name, value) for name, value in query.items() if value is not None] + again
        query_string = encode(pairs).decode("ascii")
        what = (endpoint, path, pairs)
        before = snapshot()
        response = client.get(f"{path}?{query_string}" if query_string else path)
        after = snapshot()
        assert_no_server_error(response, what)
        # Reading an application writes who read it, and nothing else.
        allowed = [["audit_events"]] if endpoint in AUDITED_READS else []
        assert changed_tables(before, after) in [[], *allowed], what
        if response.status_code in (301, 302, 303, 308):
            follow(client, response, what)
        elif response.status_code >= 400:
            assert_clear_refusal(response, what)
        elif response.mimetype == "text/html":
            assert "Traceback" not in response.get_data(as_text=True), what

    check()


AUDITED_READS = {"applications.staff_application", "applications.scan", "applications.letter",
                 "selection.seat", "review.review"}

ODD_VALUES = ("-1", "²", "١٢", "1e400", str(10**30), b"\xff\xfe", KITCHEN_SINK)


def test_odd_values_in_every_query_parameter(app, ctx, world):
    """Each odd value in every parameter at once, on every page: never a 500."""
    parameters = sorted(query_parameters())
    clients = {}
    for endpoint in get_endpoints(app):
        rule = next(r for r in _rules(app, "GET") if r.endpoint == endpoint)
        path = build_path(app, endpoint, get_path_values(world, rule))
        role = role_for(app, endpoint)
        if role not in clients:
            clients[role] = sign_in_fresh(app, world.ids[role]) if role else app.test_client()
        for value in ODD_VALUES:
            query = encode([(name, value) for name in parameters]).decode("ascii")
            response = clients[role].get(f"{path}?{query}")
            what = (endpoint, value)
            assert_no_server_error(response, what)
            if response.status_code >= 400:
                assert_clear_refusal(response, what)


def _group(role: str | None) -> str:
    return {None: "public", "member": "member", "facilitator": "staff",
            "finance": "finance", "admin": "admin", "reviewer": "reviewer"}[role]


def test_set_language_never_sends_people_off_the_site(app):
    client = app.test_client()
    for target in ("//evil.example/", "/\\evil.example", "https://evil.example/",
                   "/%0d%0aLocation:%20https://evil.example", "javascript:alert(1)"):
        response = client.get(f"/language/es?next={quote(target, safe='')}")
        assert response.status_code == 302
        assert urlsplit(response.headers["Location"]).netloc in ("", "localhost"), target
