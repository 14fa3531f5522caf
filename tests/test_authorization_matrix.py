"""Who may use which address: every route, every method, every kind of visitor.

The cases come from the app's URL map, so a new route or a new method on an
old one fails here until ACCESS below says who may use it. Each case starts
from the same small world (two programs, one person per role, a meeting, a
published document with a file, a payment, a calendar feed and one-time links).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time, timedelta

import pytest
from sqlalchemy import select

from portal import create_app
from portal.admin.services import request_role
from portal.applications.models import ApplicationStatus, OpenCall
from portal.applications.services import save_draft
from portal.auth.models import Role, TokenPurpose, User
from portal.auth.services import issue_token
from portal.csv_export import XLSX_TYPE
from portal.db import db, utcnow
from portal.documents.models import Document, DocumentKind, TranslationRequest
from portal.documents.services import VersionContent, create_document, publish_document
from portal.extensions import limiter
from portal.meetings.calendar import issue_feed_token
from portal.meetings.models import MeetingFormat, Response, Rsvp
from portal.meetings.services import (
    MeetingDetails,
    Needs,
    create_meeting,
    local_instant,
    rsvp_for_meeting,
)
from portal.programs.models import Enrollment, EnrollmentStatus, Installment, Program
from portal.review.models import Review
from portal.review.services import (
    CriterionWording,
    assign_reviewer,
    save_rubric,
    save_setup,
    share_out_reviews,
)
from portal.stipends.models import Payment, PaymentMethod
from portal.stipends.services import PaymentDetails, new_submission_key, record_payment
from tests import sample_files
from tests.conftest import PASSWORD, TEST_CONFIG, empty_tables, make_person
from tests.sample_applications import sample_call, sample_paper_application

ANONYMOUS = "anonymous"
MEMBER = "member"
OTHER_MEMBER = "member-of-another-program"
FACILITATOR = "facilitator"
FINANCE = "finance"
ADMIN = "admin"
DEACTIVATED = "deactivated"  # signed in with every role, then deactivated
# Still active and a member by role, but their enrollment was withdrawn: they see no
# program at all, theirs or another's.
WITHDRAWN = "withdrawn-member"
# Holds only the reviewer role and reviews the world's call: not staff, in no program.
REVIEWER = "reviewer"
ROLES = (ANONYMOUS, MEMBER, OTHER_MEMBER, WITHDRAWN, REVIEWER, FACILITATOR, FINANCE, ADMIN,
         DEACTIVATED)

SIGNED_IN = frozenset({MEMBER, OTHER_MEMBER, WITHDRAWN, REVIEWER, FACILITATOR, FINANCE, ADMIN})
EVERYONE = SIGNED_IN | {ANONYMOUS, DEACTIVATED}
STAFF = frozenset({FACILITATOR, ADMIN})
FINANCE_ONLY = frozenset({FINANCE})
ADMIN_ONLY = frozenset({ADMIN})
ADMIN_OR_FINANCE = frozenset({ADMIN, FINANCE})
REVIEWER_ONLY = frozenset({REVIEWER})
NOT_SIGNED_IN = (ANONYMOUS, DEACTIVATED)
# Signed in, but no program is theirs: pages of this program are not found for them.
OUTSIDE_THE_PROGRAM = (OTHER_MEMBER, WITHDRAWN, REVIEWER)


@dataclass(frozen=True)
class Rule:
    """Who may use one route with one method, and what they get.

    Allowed roles get `status` (and, for a redirect, a Location starting with
    `location`). A member of another program gets `other_program` when the
    address names something of this program. Visitors who are not signed in
    are sent to sign in; signed-in people without the role get 403.
    """

    allowed: frozenset[str]
    status: int = 200
    location: str | None = None
    other_program: int | None = None
    form: dict[str, str] = field(default_factory=dict)
    # Outcomes that differ from the above for a role: {role: (status, location)}.
    exceptions: dict[str, tuple[int, str | None]] = field(default_factory=dict)

    def expected(self, role: str) -> tuple[int, str | None]:
        if role in self.exceptions:
            return self.exceptions[role]
        if role in OUTSIDE_THE_PROGRAM and self.other_program is not None:
            return self.other_program, None
        if role in self.allowed:
            return self.status, self.location
        if role in NOT_SIGNED_IN:
            return 302, "/sign-in"
        return 403, None


HOME_FOR_SIGNED_IN = {role: (302, "/") for role in SIGNED_IN}
# Pages of "the program": a withdrawn member has none, nor does a reviewer.
NO_PROGRAM = {WITHDRAWN: (404, None), REVIEWER: (404, None)}

# Where each route is reached; {names} are filled from the world built for each case.
PATHS = {
    "static": "/static/portal.css",
    "account.password": "/profile/password",
    "account.profile": "/profile/",
    # A link that was never issued: a real one changes the member's address.
    "account.confirm_email": "/profile/email/not-a-real-link",
    "admin.role_requests": "/admin/finance-rights",
    "admin.confirm_role": "/admin/finance-rights/{grant_request_id}/confirm",
    "admin.decline_role": "/admin/finance-rights/{grant_request_id}/decline",
    "admin.add_person_page": "/admin/people/new",
    "admin.audit_log": "/admin/audit",
    "admin.deactivate": "/admin/people/{spare_id}/deactivate",
    "admin.outbox": "/admin/outbox",
    "admin.people": "/admin/people",
    "admin.person": "/admin/people/{spare_id}",
    "admin.program_settings": "/admin/program",
    "admin.program_translation": "/admin/program/languages/es",
    "admin.reactivate": "/admin/people/{spare_id}/reactivate",
    "admin.resend_invitation": "/admin/people/{spare_id}/invitation",
    "auth.accept_invitation": "/invitation/{invitation_token}",
    "auth.enter_code": "/code",
    "auth.forgot_password": "/forgot-password",
    "auth.reset_password": "/reset-password/{reset_token}",
    "auth.sign_in": "/sign-in",
    "auth.sign_out": "/sign-out",
    "documents.ask_for_translation": "/materials/{document_id}/translation-requests",
    "documents.document": "/materials/{document_id}",
    "documents.download": "/materials/{document_id}/files/en",
    "documents.edit_document": "/materials/{document_id}/edit",
    "documents.materials": "/materials",
    "documents.new_document": "/materials/new",
    "documents.publish": "/materials/{document_id}/publish",
    "documents.translation_requests": "/materials/translation-requests",
    "documents.version": "/materials/{document_id}/versions?language=es",
    "home.choose_language": "/language",
    "home.favicon": "/favicon.ico",
    "home.index": "/",
    "home.set_language": "/language/es",
    "meetings.answer_for_member": "/meetings/{meeting_id}/answers",
    "meetings.ask_for_meeting_translation": "/meetings/{meeting_id}/translation-requests",
    "meetings.attendance": "/meetings/{meeting_id}/attendance",
    "meetings.calendar": "/calendar",
    "meetings.calendar_feed": "/profile/calendar-feed",
    "meetings.cancel": "/meetings/{meeting_id}/cancel",
    "meetings.edit_meeting": "/meetings/{meeting_id}/edit",
    "meetings.feed": "/calendar/feed/{feed_token}.ics",
    "meetings.meeting": "/meetings/{meeting_id}",
    "meetings.meeting_ics": "/meetings/{meeting_id}/meeting.ics",
    "meetings.meeting_translation": "/meetings/{meeting_id}/translations",
    "meetings.my_attendance": "/attendance",
    "meetings.new_meeting": "/meetings/new",
    "meetings.new_series": "/meetings/series/new",
    "meetings.roster": "/meetings/{meeting_id}/roster",
    "meetings.roster_csv": "/meetings/{meeting_id}/roster.csv",
    "meetings.roster_xlsx": "/meetings/{meeting_id}/roster.xlsx",
    "meetings.season_attendance": "/meetings/attendance",
    "meetings.season_attendance_csv": "/meetings/attendance.csv",
    "stipends.ledger": "/finance/members/{spare_enrollment_id}",
    "stipends.ledger_csv": "/finance/ledger.csv",
    "stipends.ledger_xlsx": "/finance/ledger.xlsx",
    "stipends.my_stipend": "/stipend",
    "stipends.overview": "/finance",
    "stipends.record": "/finance/members/{spare_enrollment_id}/payments/new",
    "stipends.tax_form": "/finance/members/{spare_enrollment_id}/tax-form",
    "stipends.tax_details": "/finance/members/{spare_enrollment_id}/tax-details",
    "stipends.tax_year": "/finance/tax-year",
    "stipends.tax_year_csv": "/finance/tax-year/{year}.csv",
    "stipends.tax_year_xlsx": "/finance/tax-year/{year}.xlsx",
    "stipends.void": "/finance/payments/{payment_id}/void",
    "admin.audit_log_csv": "/admin/audit.csv",
    "texts.inbound": "/sms/inbound",
    "texts.delivery_status": "/sms/status",
    "texts.meeting_call_list": "/meetings/{meeting_id}/call-list",
    "applications.index": "/apply",
    "applications.apply": "/apply/{call_slug}",
    "applications.draft_saved": "/apply/{call_slug}/saved",
    "applications.sent": "/apply/{call_slug}/sent",
    "applications.print_form": "/apply/{call_slug}/print",
    "applications.continue_later": "/apply/continue",
    "applications.continue_draft": "/apply/continue/{draft_code}",
    "applications.status": "/apply/status",
    "applications.my_application": "/apply/my-application",
    "applications.change_my_contact": "/apply/my-application/contact",
    "applications.withdraw_mine": "/apply/my-application/withdraw",
    "applications.delete_mine": "/apply/my-application/delete",
    "applications.calls": "/admin/calls",
    "applications.new_call": "/admin/calls/new",
    "applications.translate": "/admin/calls/{call_id}/translations?language=es",
    "applications.call_applications": "/admin/calls/{call_id}",
    "applications.enter_paper_application": "/admin/calls/{call_id}/applications/new",
    "applications.staff_application": "/admin/applications/{application_id}",
    "applications.eligibility": "/admin/applications/{application_id}/eligibility",
    "applications.merge": "/admin/applications/{application_id}/merge",
    "applications.letter": "/admin/applications/{application_id}/letter",
    "applications.scan": "/admin/applications/{application_id}/scan",
    "selection.plan": "/admin/calls/{call_id}/selection",
    "selection.draw": "/admin/calls/{call_id}/selection/draw",
    "selection.pool_file": "/admin/calls/{call_id}/selection/pool.csv",
    "selection.targets_file": "/admin/calls/{call_id}/selection/targets.csv",
    "selection.decisions": "/admin/calls/{call_id}/selection/decisions",
    "selection.letters": "/admin/calls/{call_id}/selection/letters",
    "selection.seat": "/admin/applications/{application_id}/seat",
    "selection.give_up": "/admin/applications/{application_id}/seat/give-up",
    "selection.answer_seat": "/seat/no-such-link",
    "review.my_reviews": "/reviews",
    "review.review": "/reviews/{review_id}",
    "review.conflict": "/reviews/{review_id}/conflict",
    "review.call_review": "/admin/calls/{call_id}/review",
    "review.rules": "/admin/calls/{call_id}/review/rules",
    "review.add_reviewer": "/admin/calls/{call_id}/review/reviewers",
    "review.take_off_reviewer": "/admin/calls/{call_id}/review/reviewers/{reviewer_id}/remove",
    "review.rubric": "/admin/calls/{call_id}/review/rubric",
    "review.share": "/admin/calls/{call_id}/review/share",
    "review.translate": "/admin/calls/{call_id}/review/rubric/es",
}

# Who may use each route. A POST sent with no fields gets the form back with its
# problems (200); buttons and small forms get the fields they need.
ACCESS: dict[str, dict[str, Rule]] = {
    "static": {"GET": Rule(EVERYONE)},
    "account.password": {"GET": Rule(SIGNED_IN), "POST": Rule(SIGNED_IN)},
    "account.profile": {"GET": Rule(SIGNED_IN), "POST": Rule(SIGNED_IN)},
    "account.confirm_email": {"GET": Rule(SIGNED_IN, 404)},
    "admin.role_requests": {"GET": Rule(ADMIN_OR_FINANCE)},
    # Asked for by an admin who is none of the visitors, so both may decide.
    "admin.confirm_role": {"POST": Rule(ADMIN_OR_FINANCE, 302, "/admin/finance-rights")},
    "admin.decline_role": {"POST": Rule(ADMIN_OR_FINANCE, 302, "/admin/finance-rights")},
    "admin.add_person_page": {"GET": Rule(ADMIN_ONLY), "POST": Rule(ADMIN_ONLY)},
    "admin.audit_log": {"GET": Rule(ADMIN_ONLY)},
    "admin.audit_log_csv": {"GET": Rule(ADMIN_ONLY)},
    "admin.deactivate": {"POST": Rule(ADMIN_ONLY, 302, "/admin/people/{spare_id}")},
    "admin.outbox": {"GET": Rule(ADMIN_ONLY)},
    "admin.people": {"GET": Rule(ADMIN_ONLY)},
    "admin.person": {"GET": Rule(ADMIN_ONLY), "POST": Rule(ADMIN_ONLY)},
    "admin.program_settings": {"GET": Rule(ADMIN_ONLY), "POST": Rule(ADMIN_ONLY)},
    "admin.program_translation": {
        "GET": Rule(ADMIN_ONLY),
        "POST": Rule(ADMIN_ONLY, 302, "/admin/program", form={"name": "Grupo de Diseño"})},
    "admin.reactivate": {"POST": Rule(ADMIN_ONLY, 302, "/admin/people/{spare_id}")},
    # The spare member has an email address, so the link is emailed, not shown.
    "admin.resend_invitation": {"POST": Rule(ADMIN_ONLY, 302, "/admin/people/{spare_id}")},
    "auth.accept_invitation": {"GET": Rule(EVERYONE), "POST": Rule(EVERYONE)},
    "auth.enter_code": {"GET": Rule(EVERYONE), "POST": Rule(EVERYONE)},
    "auth.forgot_password": {"GET": Rule(EVERYONE), "POST": Rule(EVERYONE)},
    "auth.reset_password": {"GET": Rule(EVERYONE), "POST": Rule(EVERYONE)},
    "auth.sign_in": {"GET": Rule(EVERYONE, exceptions=HOME_FOR_SIGNED_IN),
                     "POST": Rule(EVERYONE, exceptions=HOME_FOR_SIGNED_IN)},
    "auth.sign_out": {"POST": Rule(SIGNED_IN, 302, "/sign-in")},
    "documents.ask_for_translation": {
        "POST": Rule(SIGNED_IN, 302, "/materials/{document_id}", other_program=404,
                     form={"language": "es"})},
    "documents.document": {"GET": Rule(SIGNED_IN, other_program=404)},
    "documents.download": {"GET": Rule(SIGNED_IN, other_program=404)},
    "documents.edit_document": {"GET": Rule(STAFF), "POST": Rule(STAFF)},
    "documents.materials": {"GET": Rule(SIGNED_IN, exceptions=NO_PROGRAM)},
    "documents.new_document": {"GET": Rule(STAFF), "POST": Rule(STAFF)},
    "documents.publish": {"POST": Rule(STAFF, 302, "/materials/{document_id}")},
    "documents.translation_requests": {"GET": Rule(STAFF)},
    "documents.version": {"GET": Rule(STAFF), "POST": Rule(STAFF)},
    "home.choose_language": {"GET": Rule(EVERYONE)},
    "home.favicon": {"GET": Rule(EVERYONE)},
    "home.index": {"GET": Rule(SIGNED_IN)},
    "home.set_language": {"GET": Rule(EVERYONE, 302, "/")},
    "meetings.answer_for_member": {
        "POST": Rule(STAFF, 302, "/meetings/{meeting_id}/roster",
                     form={"user_id": "{spare_id}", "response": "virtual"})},
    "meetings.ask_for_meeting_translation": {
        "POST": Rule(SIGNED_IN, 302, "/meetings/{meeting_id}", other_program=404,
                     form={"language": "es"})},
    "meetings.attendance": {"POST": Rule(STAFF, 302, "/meetings/{meeting_id}/roster")},
    "meetings.calendar": {"GET": Rule(SIGNED_IN, exceptions=NO_PROGRAM)},
    "meetings.calendar_feed": {"GET": Rule(SIGNED_IN), "POST": Rule(SIGNED_IN)},
    "meetings.cancel": {"GET": Rule(STAFF),
                        "POST": Rule(STAFF, 302, "/meetings/{meeting_id}",
                                     form={"reason": "The room is closed that day."})},
    "meetings.edit_meeting": {"GET": Rule(STAFF), "POST": Rule(STAFF)},
    # The feed's secret address is the key: it works for whoever holds it.
    "meetings.feed": {"GET": Rule(EVERYONE)},
    "meetings.meeting": {"GET": Rule(SIGNED_IN, other_program=404),
                         "POST": Rule(SIGNED_IN, other_program=404)},
    "meetings.meeting_ics": {"GET": Rule(SIGNED_IN, other_program=404)},
    "meetings.meeting_translation": {"GET": Rule(STAFF), "POST": Rule(STAFF)},
    "meetings.my_attendance": {"GET": Rule(SIGNED_IN)},
    "meetings.new_meeting": {"GET": Rule(STAFF), "POST": Rule(STAFF)},
    "meetings.new_series": {"GET": Rule(STAFF), "POST": Rule(STAFF)},
    "meetings.roster": {"GET": Rule(STAFF)},
    "meetings.roster_csv": {"GET": Rule(STAFF)},
    "meetings.roster_xlsx": {"GET": Rule(STAFF)},
    "meetings.season_attendance": {"GET": Rule(STAFF)},
    "meetings.season_attendance_csv": {"GET": Rule(STAFF)},
    "stipends.ledger": {"GET": Rule(FINANCE_ONLY)},
    "stipends.ledger_csv": {"GET": Rule(FINANCE_ONLY)},
    "stipends.ledger_xlsx": {"GET": Rule(FINANCE_ONLY)},
    "stipends.my_stipend": {"GET": Rule(SIGNED_IN)},
    "stipends.overview": {"GET": Rule(FINANCE_ONLY)},
    "stipends.record": {"GET": Rule(FINANCE_ONLY), "POST": Rule(FINANCE_ONLY)},
    "stipends.tax_form": {
        "POST": Rule(FINANCE_ONLY, 302, "/finance/members/{spare_enrollment_id}",
                     form={"tax_form_status": "received"})},
    "stipends.tax_details": {
        "GET": Rule(FINANCE_ONLY),
        "POST": Rule(FINANCE_ONLY, 302, "/finance/members/{spare_enrollment_id}",
                     form={"legal_name": "Maria Lopes", "city": "Boston"})},
    "stipends.tax_year": {"GET": Rule(FINANCE_ONLY)},
    "stipends.tax_year_csv": {"GET": Rule(FINANCE_ONLY)},
    "stipends.tax_year_xlsx": {"GET": Rule(FINANCE_ONLY)},
    "stipends.void": {"GET": Rule(FINANCE_ONLY), "POST": Rule(FINANCE_ONLY)},
    # Only the provider, with its signature, may post texts and delivery reports:
    # anyone else, signed in or not, is refused (tests/test_texts.py signs them).
    "texts.inbound": {"POST": Rule(EVERYONE, 403)},
    "texts.delivery_status": {"POST": Rule(EVERYONE, 403)},
    "texts.meeting_call_list": {"GET": Rule(STAFF)},
    # The open call is for anyone; what a person sent is reached through their session only.
    "applications.index": {"GET": Rule(EVERYONE, 302, "/apply/{call_slug}")},
    "applications.apply": {"GET": Rule(EVERYONE), "POST": Rule(EVERYONE)},
    "applications.draft_saved": {"GET": Rule(EVERYONE, 302, "/apply/{call_slug}")},
    "applications.sent": {"GET": Rule(EVERYONE, 302, "/apply/{call_slug}")},
    "applications.print_form": {"GET": Rule(EVERYONE)},
    "applications.continue_later": {"GET": Rule(EVERYONE), "POST": Rule(EVERYONE)},
    "applications.continue_draft": {"GET": Rule(EVERYONE, 302, "/apply/{call_slug}")},
    "applications.status": {"GET": Rule(EVERYONE), "POST": Rule(EVERYONE)},
    "applications.my_application": {"GET": Rule(EVERYONE, 302, "/apply/status")},
    "applications.change_my_contact": {"POST": Rule(EVERYONE, 302, "/apply/status")},
    "applications.withdraw_mine": {"POST": Rule(EVERYONE, 302, "/apply/status")},
    "applications.delete_mine": {"POST": Rule(EVERYONE, 302, "/apply/status")},
    # Applications are read by admins only: never members, facilitators or finance.
    "applications.calls": {"GET": Rule(ADMIN_ONLY)},
    "applications.new_call": {"GET": Rule(ADMIN_ONLY), "POST": Rule(ADMIN_ONLY)},
    "applications.translate": {"GET": Rule(ADMIN_ONLY), "POST": Rule(ADMIN_ONLY)},
    "applications.call_applications": {"GET": Rule(ADMIN_ONLY)},
    "applications.enter_paper_application": {"GET": Rule(ADMIN_ONLY),
                                             "POST": Rule(ADMIN_ONLY)},
    "applications.staff_application": {"GET": Rule(ADMIN_ONLY)},
    "applications.eligibility": {"POST": Rule(ADMIN_ONLY)},
    "applications.merge": {"POST": Rule(ADMIN_ONLY)},
    "applications.letter": {"GET": Rule(ADMIN_ONLY)},
    "applications.scan": {"GET": Rule(ADMIN_ONLY)},
    # The draw: admins only.
    "selection.plan": {"GET": Rule(ADMIN_ONLY), "POST": Rule(ADMIN_ONLY)},
    "selection.draw": {"POST": Rule(ADMIN_ONLY)},
    "selection.pool_file": {"GET": Rule(ADMIN_ONLY)},
    "selection.targets_file": {"GET": Rule(ADMIN_ONLY)},
    # Not drawn yet: nobody can be told, and there are no letters.
    "selection.decisions": {"POST": Rule(ADMIN_ONLY, 302, "/admin/calls/{call_id}/selection")},
    "selection.letters": {"GET": Rule(ADMIN_ONLY, 404)},
    "selection.seat": {"GET": Rule(ADMIN_ONLY), "POST": Rule(ADMIN_ONLY)},
    "selection.give_up": {"POST": Rule(ADMIN_ONLY)},
    # A selected person's one-time link; an unknown link is not found, for everyone.
    "selection.answer_seat": {"GET": Rule(EVERYONE, 404), "POST": Rule(EVERYONE, 404)},
    # Reviewing: a reviewer reaches their own reviews only (another's is not found, see
    # test_a_reviewer_reaches_only_their_own_reviews); admins set the review up. An admin
    # without the reviewer role reads no application blind.
    "review.my_reviews": {"GET": Rule(REVIEWER_ONLY)},
    "review.review": {"GET": Rule(REVIEWER_ONLY), "POST": Rule(REVIEWER_ONLY)},
    "review.conflict": {"POST": Rule(REVIEWER_ONLY, 302, "/reviews")},
    "review.call_review": {"GET": Rule(ADMIN_ONLY)},
    "review.rules": {"POST": Rule(ADMIN_ONLY)},
    "review.add_reviewer": {"POST": Rule(ADMIN_ONLY)},
    "review.take_off_reviewer": {
        "POST": Rule(ADMIN_ONLY, 302, "/admin/calls/{call_id}/review")},
    "review.rubric": {"POST": Rule(ADMIN_ONLY)},
    "review.share": {"POST": Rule(ADMIN_ONLY, 302, "/admin/calls/{call_id}/review")},
    "review.translate": {"GET": Rule(ADMIN_ONLY), "POST": Rule(ADMIN_ONLY)},
}

# What an allowed GET sends back, where it is not an HTML page.
CONTENT_TYPES = {
    "static": "text/css",
    "home.favicon": "image/x-icon",
    "documents.download": "application/pdf",
    "meetings.feed": "text/calendar",
    "meetings.meeting_ics": "text/calendar",
    "meetings.roster_csv": "text/csv",
    "meetings.season_attendance_csv": "text/csv",
    "stipends.ledger_csv": "text/csv",
    "stipends.tax_year_csv": "text/csv",
    "admin.audit_log_csv": "text/csv",
    "meetings.roster_xlsx": XLSX_TYPE,
    "stipends.ledger_xlsx": XLSX_TYPE,
    "stipends.tax_year_xlsx": XLSX_TYPE,
    "applications.scan": "application/pdf",
    "selection.pool_file": "text/csv",
    "selection.targets_file": "text/csv",
}


def _routes() -> list[tuple[str, str]]:
    """(endpoint, method) for every route the portal has, HEAD and OPTIONS aside."""
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    found = set()
    for rule in app.url_map.iter_rules():
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found.add((rule.endpoint, method))
    return sorted(found)


ROUTES = _routes()
CASES = [(endpoint, method, role) for endpoint, method in ROUTES for role in ROLES]


@dataclass
class World:
    program: Program
    other_program: Program
    people: dict[str, User]
    spare: User  # a member of this program whose records others must not reach
    ids: dict[str, object]
    logins: dict[str, tuple[int, str]]  # role -> (user id, email), kept between cases


SPARE_NAME = "Sam Sparrow-Quill"
SPARE_PHONE = "617-555-0199"
SPARE_NEEDS = "Needs a quiet room near the lift"
SPARE_AMOUNT_CENTS = 34_567  # "$345.67", a figure found nowhere else


def _program(name: str, start: date) -> Program:
    program = Program(
        name=name, timezone="America/New_York", season_start=start,
        season_end=start + timedelta(days=180), stipend_cents=120_000, currency="USD",
        installments=[Installment(label="All of it", due_on=start + timedelta(days=90),
                                  amount_cents=120_000)])
    db.session.add(program)
    db.session.flush()
    return program


def build_world(app, upload: bool = True) -> World:
    """Two programs, one person per role, and one of each thing an address can name."""
    today = date.today()
    program = _program("Community-Led Design Group", today - timedelta(days=30))
    other = _program("Another Design Group", today - timedelta(days=30))
    db.session.commit()
    people = {
        ADMIN: make_person(program, Role.ADMIN, name="Ada Admin"),
        FACILITATOR: make_person(program, Role.FACILITATOR, name="Fern Facilitator"),
        FINANCE: make_person(program, Role.FINANCE, name="Finn Finance"),
        MEMBER: make_person(program, Role.MEMBER, name="Mo Member"),
        OTHER_MEMBER: make_person(other, Role.MEMBER, name="Olu Elsewhere"),
        DEACTIVATED: make_person(program, *Role, name="Dee Parted"),
        WITHDRAWN: make_person(program, Role.MEMBER, name="Wil Withdrawn"),
        REVIEWER: make_person(program, Role.REVIEWER, name="Rae Reviewer"),
    }
    db.session.scalars(select(Enrollment).where(
        Enrollment.user_id == people[WITHDRAWN].id)).one().status = EnrollmentStatus.WITHDRAWN
    spare = make_person(program, Role.MEMBER, name=SPARE_NAME)
    spare.phone = SPARE_PHONE
    invited = make_person(program, Role.MEMBER, name="Ivy Invited", password=None)
    now = utcnow()
    day = program.local_today(now) + timedelta(days=7)
    meeting = create_meeting(
        people[FACILITATOR], program,
        MeetingDetails(starts_at=local_instant(day, time(18), program.timezone),
                       ends_at=local_instant(day, time(20), program.timezone),
                       format=MeetingFormat.HYBRID, venue="City Hall", room="Room 806",
                       join_link="https://video.example.org/room", capacity=10),
        language="en", title="Second session", description="Ideas for crisis response")
    rsvp_for_meeting(spare, meeting, Response.IN_PERSON,
                     Needs(access_needs=SPARE_NEEDS), now)
    content = VersionContent(
        "Map to City Hall", "Take the Orange Line.",
        upload=sample_files.upload(sample_files.PDF, "map.pdf") if upload else None)
    document = create_document(people[FACILITATOR], program, kind=DocumentKind.HANDOUT,
                               meeting=None, language="en", content=content, now=now)
    publish_document(people[FACILITATOR], document, now)
    spare_enrollment = db.session.scalars(select(Enrollment).where(
        Enrollment.user_id == spare.id)).one()
    second_admin = make_person(program, Role.ADMIN, name="Abe Second-Admin")
    grant_request = request_role(second_admin, spare, Role.FINANCE, now)
    payment, _ = record_payment(
        people[FINANCE], spare_enrollment,
        PaymentDetails(SPARE_AMOUNT_CENTS, program.local_today(now), PaymentMethod.CHECK,
                       "Check 4411", None),
        submission_key=new_submission_key(), today=program.local_today(now))
    ids = {
        "spare_id": spare.id,
        "grant_request_id": grant_request.id,
        "spare_enrollment_id": spare_enrollment.id,
        "meeting_id": meeting.id,
        "document_id": document.id,
        "payment_id": payment.id,
        "year": payment.paid_on.year,
        "feed_token": issue_feed_token(people[MEMBER]),
        "invitation_token": issue_token(invited, TokenPurpose.INVITATION, now,
                                        app.config["INVITATION_LIFETIME"]),
        "reset_token": issue_token(people[MEMBER], TokenPurpose.PASSWORD_RESET, now,
                                   app.config["PASSWORD_RESET_LIFETIME"]),
    }
    ids.update(_open_call_with_an_application(people[ADMIN], program, now))
    ids.update(_reviews_of_the_call(people[ADMIN], people[REVIEWER], program, ids["call_id"],
                                    now))
    db.session.commit()
    logins = {role: (person.id, person.email) for role, person in people.items()}
    return World(program, other, people, spare, ids, logins)


APPLICANT_STATEMENT = "A night in the emergency room that nobody should repeat"


def _open_call_with_an_application(admin: User, program: Program, now) -> dict:
    """An open call, one paper application with its scan, and a saved draft."""
    call = sample_call(admin, program)
    application = sample_paper_application(admin, call, statement=APPLICANT_STATEMENT,
                                           scan=sample_files.PDF)
    code, _ = save_draft(call, {"name": ["Drew Draft"]}, None, now)
    return {"call_id": call.id, "call_slug": call.slug, "application_id": application.id,
            "draft_code": code}


REVIEWED_STATEMENT = "The bus stopped coming to our street after the storm"


def _reviews_of_the_call(admin: User, reviewer: User, program: Program, call_id: int,
                         now) -> dict:
    """An eligible application of the call, read by the reviewer and by a second one."""
    call = db.session.get(OpenCall, call_id)
    sample_paper_application(admin, call, statement=REVIEWED_STATEMENT).status = \
        ApplicationStatus.ELIGIBLE
    second = make_person(program, Role.REVIEWER, name="Ola Other-Reviewer")
    save_setup(admin, call, 2, "")
    assign_reviewer(admin, call, reviewer)
    assign_reviewer(admin, call, second)
    save_rubric(admin, call, [CriterionWording("Lived experience", "1: none. 5: close.")])
    share_out_reviews(admin, call, now)
    db.session.flush()
    review_ids = {review.reviewer_id: review.id for review in db.session.scalars(select(Review))}
    return {"reviewer_id": reviewer.id, "review_id": review_ids[reviewer.id],
            "other_review_id": review_ids[second.id]}


def client_for(app, world: World, role: str):
    client = app.test_client()
    if role == ANONYMOUS:
        return client
    user_id, email = world.logins[role]
    response = client.post("/sign-in", data={"identifier": email, "password": PASSWORD})
    assert response.status_code == 302
    if role == DEACTIVATED:
        # Deactivated after signing in: the session in hand must stop working.
        db.session.get(User, user_id).active = False
        db.session.commit()
    return client


# The matrix cases share one world while none of them could have changed it: a case
# that was refused (or only read) leaves it for the next; any other case ends with
# the tables emptied, as in the rest of the suite.
_kept: dict[str, object] = {}


@pytest.fixture(autouse=True)
def _clean_state(app, data_app):
    """This module's own version of the suite's cleanup (see _kept)."""
    with app.app_context():
        limiter.reset()
    yield
    if not _kept.pop("unchanged", False):
        _kept.clear()
        empty_tables(data_app)


@pytest.fixture(scope="module", autouse=True)
def _empty_when_done(data_app):
    yield
    _kept.clear()
    empty_tables(data_app)


def shared_world(app) -> World:
    if "world" not in _kept:
        _kept["world"] = build_world(app)
    return _kept["world"]


def leave_world_for_the_next_case(world: World, role: str) -> None:
    if role == DEACTIVATED:
        db.session.get(User, world.logins[DEACTIVATED][0]).active = True
        db.session.commit()
    _kept["unchanged"] = True


def fill(text: str, ids: dict) -> str:
    return text.format(**ids)


@pytest.mark.parametrize(("endpoint", "method", "role"), CASES)
def test_route_answers_each_role_as_the_table_says(app, ctx, endpoint, method, role):
    rules = ACCESS.get(endpoint)
    assert rules is not None, (f"{endpoint} is not in ACCESS: decide who may use it "
                               "and add it (and its path to PATHS)")
    assert method in rules, f"{endpoint} now answers {method}: add it to ACCESS"
    rule = rules[method]
    world = shared_world(app)
    path = fill(PATHS[endpoint], world.ids)
    matched, _ = app.url_map.bind("portal.test").match(path.split("?")[0], method=method)
    assert matched == endpoint, f"PATHS[{endpoint!r}] leads to {matched}"
    client = client_for(app, world, role)

    form = {key: fill(value, world.ids) for key, value in rule.form.items()}
    response = client.open(path, method=method, data=form if method == "POST" else None)

    status, location = rule.expected(role)
    assert (response.status_code, role) == (status, role), response.get_data(as_text=True)[:300]
    if status in (301, 302, 303):
        assert response.location.startswith(fill(location, world.ids)), response.location
    if status == 200:
        expected_type = CONTENT_TYPES.get(endpoint, "text/html") if method == "GET" \
            else "text/html"
        assert response.mimetype == expected_type
        if expected_type == "text/html":
            assert 'name="identifier"' not in response.get_data(as_text=True) or (
                endpoint == "auth.sign_in"), "an allowed person was shown the sign-in form"
    if status == 404 and role in OUTSIDE_THE_PROGRAM:
        body = response.get_data(as_text=True)
        assert "Second session" not in body and "Map to City Hall" not in body
        assert sample_files.PDF not in response.data
    refused = status in (403, 404) or (status == 302 and location == "/sign-in")
    if method == "GET" or refused:
        leave_world_for_the_next_case(world, role)


def test_table_has_no_routes_that_are_gone():
    """An entry for a route that no longer exists is a decision about nothing."""
    known = {endpoint for endpoint, _ in ROUTES}
    gone = sorted(set(ACCESS) - known)
    assert gone == []
    assert set(PATHS) == set(ACCESS)


# --- One member reaching for another member's records ------------------------------------

@pytest.fixture
def world(app, data_app, ctx):
    if _kept.pop("world", None) is not None:
        empty_tables(data_app)
    return build_world(app)


def _spare_rsvp(world):
    return db.session.scalars(select(Rsvp).where(Rsvp.user_id == world.spare.id)).one()


def test_member_cannot_read_or_change_another_members_answer(app, world):
    member = client_for(app, world, MEMBER)
    meeting_id = world.ids["meeting_id"]
    roster = member.get(f"/meetings/{meeting_id}/roster")
    assert roster.status_code == 403
    for path in (f"/meetings/{meeting_id}/roster.csv", f"/meetings/{meeting_id}"):
        body = member.get(path).get_data(as_text=True)
        assert SPARE_NEEDS not in body and SPARE_NAME not in body
    changed = member.post(f"/meetings/{meeting_id}/answers",
                          data={"user_id": str(world.spare.id), "response": "not_attending"})
    assert changed.status_code == 403
    db.session.expire_all()
    assert _spare_rsvp(world).response == Response.IN_PERSON


def test_staff_cannot_answer_for_a_member_of_another_program(app, world):
    facilitator = client_for(app, world, FACILITATOR)
    outsider = world.people[OTHER_MEMBER]
    response = facilitator.post(f"/meetings/{world.ids['meeting_id']}/answers",
                                data={"user_id": str(outsider.id), "response": "virtual"})
    assert response.status_code == 404
    assert db.session.scalars(select(Rsvp).where(Rsvp.user_id == outsider.id)).all() == []


def test_member_of_another_program_cannot_answer_for_this_programs_meeting(app, world):
    outsider = client_for(app, world, OTHER_MEMBER)
    response = outsider.post(f"/meetings/{world.ids['meeting_id']}",
                             data={"response": "virtual"})
    assert response.status_code == 404
    assert "Second session" not in response.get_data(as_text=True)
    assert db.session.scalars(select(Rsvp).where(
        Rsvp.user_id == world.people[OTHER_MEMBER].id)).all() == []


def test_member_cannot_see_another_members_stipend(app, world):
    member = client_for(app, world, MEMBER)
    amount = "345.67"
    for path in (f"/finance/members/{world.ids['spare_enrollment_id']}",
                 f"/finance/payments/{world.ids['payment_id']}/void", "/finance/ledger.csv",
                 f"/finance/tax-year/{world.ids['year']}.csv",
                 f"/finance/members/{world.ids['spare_enrollment_id']}/payments/new"):
        response = member.get(path)
        assert response.status_code == 403, path
        body = response.get_data(as_text=True)
        assert amount not in body and SPARE_NAME not in body and "Check 4411" not in body
    own = member.get("/stipend").get_data(as_text=True)
    assert amount not in own and SPARE_NAME not in own
    voided = member.post(f"/finance/payments/{world.ids['payment_id']}/void",
                         data={"reason": "Not mine"})
    assert voided.status_code == 403
    db.session.expire_all()
    assert db.session.get(Payment, world.ids["payment_id"]).voided_at is None


def test_member_cannot_open_another_members_profile(app, world):
    member = client_for(app, world, MEMBER)
    for method, path in (("GET", f"/admin/people/{world.spare.id}"),
                         ("POST", f"/admin/people/{world.spare.id}"),
                         ("POST", f"/admin/people/{world.spare.id}/deactivate")):
        response = member.open(path, method=method, data={"name": "Taken Over"})
        assert response.status_code == 403
        body = response.get_data(as_text=True)
        assert SPARE_NAME not in body and SPARE_PHONE not in body
    # Their own profile page shows only their own details.
    own = member.get("/profile/").get_data(as_text=True)
    assert "Mo Member" in own and SPARE_NAME not in own and SPARE_PHONE not in own
    db.session.expire_all()
    spare = db.session.get(User, world.spare.id)
    assert (spare.name, spare.active) == (SPARE_NAME, True)


def test_member_cannot_download_a_draft_file(app, world):
    now = utcnow()
    draft = create_document(
        world.people[FACILITATOR], world.program, kind=DocumentKind.READING, meeting=None,
        language="en", now=now,
        content=VersionContent("Draft reading", None,
                               upload=sample_files.upload(sample_files.png(), "draft.png")))
    db.session.commit()
    member = client_for(app, world, MEMBER)
    for path in (f"/materials/{draft.id}/files/en", f"/materials/{draft.id}"):
        response = member.get(path)
        assert response.status_code == 404
        assert sample_files.png() not in response.data
        assert "Draft reading" not in response.get_data(as_text=True)
    asked = member.post(f"/materials/{draft.id}/translation-requests", data={"language": "es"})
    assert asked.status_code == 404
    assert db.session.scalars(select(TranslationRequest)).all() == []
    # Staff who write materials do get the draft's file.
    assert client_for(app, world, FACILITATOR).get(
        f"/materials/{draft.id}/files/en").data == sample_files.png()


def test_member_of_another_program_cannot_download_this_programs_file(app, world):
    outsider = client_for(app, world, OTHER_MEMBER)
    document_id = world.ids["document_id"]
    for language in ("en", "es", "../en"):
        response = outsider.get(f"/materials/{document_id}/files/{language}")
        assert response.status_code == 404
        assert sample_files.PDF not in response.data
    assert client_for(app, world, MEMBER).get(
        f"/materials/{document_id}/files/en").data == sample_files.PDF


def test_a_deactivated_persons_calendar_feed_stops(app, world):
    client = app.test_client()
    path = f"/calendar/feed/{world.ids['feed_token']}.ics"
    assert client.get(path).status_code == 200
    world.people[MEMBER].active = False
    db.session.commit()
    assert client.get(path).status_code == 404


def test_documents_of_another_program_are_not_listed(app, world):
    outsider = client_for(app, world, OTHER_MEMBER)
    for path in ("/materials", "/calendar", "/"):
        body = outsider.get(path).get_data(as_text=True)
        assert "Map to City Hall" not in body and "Second session" not in body
    assert db.session.scalars(select(Document)).one().program_id == world.program.id



def test_a_withdrawn_members_feed_and_pages_show_no_program(app, world):
    withdrawn = world.people[WITHDRAWN]
    token = issue_feed_token(withdrawn)
    db.session.commit()
    feed = app.test_client().get(f"/calendar/feed/{token}.ics").get_data(as_text=True)
    assert "Second session" not in feed and "video.example.org" not in feed
    client = client_for(app, world, WITHDRAWN)
    for path in ("/", "/calendar", "/materials", "/stipend",
                 f"/meetings/{world.ids['meeting_id']}",
                 f"/meetings/{world.ids['meeting_id']}/meeting.ics"):
        body = client.get(path).get_data(as_text=True)
        assert "Second session" not in body and "Map to City Hall" not in body, path
        assert "video.example.org" not in body, path


def test_an_admin_cannot_grant_themselves_finance(app, world):
    admin = world.people[ADMIN]
    client = client_for(app, world, ADMIN)
    response = client.post(f"/admin/people/{admin.id}", data={
        "name": admin.name, "preferred_language": "en", "email": admin.email,
        "roles": ["admin", "finance"]})
    assert "Nobody can change their own roles." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, admin.id).roles == {Role.ADMIN}
    assert client.get("/finance").status_code == 403
    # Nor can they confirm finance rights for themselves that another admin asked for.
    second = db.session.scalars(select(User).where(User.name == "Abe Second-Admin")).one()
    own = request_role(second, admin, Role.FINANCE, utcnow())
    db.session.commit()
    client.post(f"/admin/finance-rights/{own.id}/confirm")
    db.session.expire_all()
    assert Role.FINANCE not in db.session.get(User, admin.id).roles


def test_a_reviewer_reaches_only_their_own_reviews(app, world):
    reviewer = client_for(app, world, REVIEWER)
    own, others = world.ids["review_id"], world.ids["other_review_id"]
    assert reviewer.get(f"/reviews/{own}").status_code == 200
    for method, path in (("GET", f"/reviews/{others}"), ("POST", f"/reviews/{others}"),
                         ("POST", f"/reviews/{others}/conflict")):
        response = reviewer.open(path, method=method, data={"score_1": "5", "note": "Mine"})
        assert response.status_code == 404, (method, path)
        assert REVIEWED_STATEMENT not in response.get_data(as_text=True)
    listed = reviewer.get("/reviews").get_data(as_text=True)
    assert f"/reviews/{own}" in listed and f"/reviews/{others}" not in listed
    db.session.expire_all()
    other = db.session.get(Review, others)
    assert (other.submitted_at, other.conflict_at) == (None, None)
    # An admin sets reviews up but reads no application blind through them.
    assert client_for(app, world, ADMIN).get(f"/reviews/{own}").status_code == 403
