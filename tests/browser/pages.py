"""Every page of the portal, who can reach it, and how to build its address.

The list is checked against the app's URL map: a new endpoint that is
neither a page here nor named in NOT_PAGES fails the suite.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ANONYMOUS = "anonymous"
MEMBER = "member"
FACILITATOR = "facilitator"
FINANCE = "finance"
ADMIN = "admin"
REVIEWER = "reviewer"
ROLES = (ANONYMOUS, MEMBER, FACILITATOR, FINANCE, ADMIN, REVIEWER)
SIGNED_IN = frozenset({MEMBER, FACILITATOR, FINANCE, ADMIN})

# Four languages for every page: left-to-right Latin, right-to-left, and CJK.
EVERY_PAGE_LANGUAGES = ("en", "es", "ar", "zh_Hant")
ALL_LANGUAGES = ("en", "es", "ht", "zh_Hant", "zh_Hans", "vi", "ru", "kea", "ar", "pt_BR", "fr")
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
SCREENSHOT_LANGUAGES = ("en", "es", "ar", "zh_Hant")


@dataclass(frozen=True)
class Page:
    name: str
    path: str  # may hold {placeholders} filled from the live data
    roles: frozenset[str]
    main: bool = False  # a member's main page: checked in all eleven languages
    status: int = 200
    form: dict[str, str] | None = field(default=None)  # bad values for the failed-submit check


PAGES: dict[str, Page] = {
    "auth.sign_in": Page("sign-in", "/sign-in", frozenset({ANONYMOUS}), main=True,
                         form={"identifier": "", "password": ""}),
    "auth.forgot_password": Page("forgot-password", "/forgot-password",
                                 frozenset({ANONYMOUS}), form={"email": "not an email"}),
    "auth.enter_code": Page("sign-in-code", "/code", frozenset({ANONYMOUS}),
                            form={"code": "WXYZ-2345"}),
    "auth.accept_invitation": Page("invitation", "/invitation/{invitation_token}",
                                   frozenset({ANONYMOUS}),
                                   form={"password": "short", "password_again": "other"}),
    "auth.reset_password": Page("reset-password", "/reset-password/{reset_token}",
                                frozenset({ANONYMOUS}),
                                form={"password": "password123", "password_again": ""}),
    "home.choose_language": Page("languages", "/language", frozenset({ANONYMOUS, MEMBER})),
    "home.index": Page("home", "/", SIGNED_IN | {REVIEWER}, main=True),
    "account.profile": Page("profile", "/profile/", SIGNED_IN | {REVIEWER}, main=True,
                            form={"name": "", "childcare_children": "many"}),
    "account.password": Page("password", "/profile/password", SIGNED_IN,
                             form={"current_password": "", "password": "short"}),
    "meetings.calendar": Page("calendar", "/calendar", SIGNED_IN, main=True),
    "meetings.meeting": Page("meeting", "/meetings/{meeting_id}", SIGNED_IN, main=True,
                             form={"childcare_children": "lots"}),
    "meetings.my_attendance": Page("attendance", "/attendance", SIGNED_IN),
    "meetings.calendar_feed": Page("calendar-feed", "/profile/calendar-feed", SIGNED_IN),
    "meetings.new_meeting": Page("new-meeting", "/meetings/new", frozenset({FACILITATOR, ADMIN}),
                                 form={"title": "", "capacity": "-3"}),
    "meetings.new_series": Page("new-series", "/meetings/series/new",
                                frozenset({FACILITATOR, ADMIN}),
                                form={"title": "", "skip": "someday"}),
    "meetings.edit_meeting": Page("edit-meeting", "/meetings/{meeting_id}/edit",
                                  frozenset({FACILITATOR, ADMIN}), form={"title": ""}),
    "meetings.meeting_translation": Page("meeting-translation",
                                         "/meetings/{meeting_id}/translations",
                                         frozenset({FACILITATOR, ADMIN}), form={"title": ""}),
    "meetings.roster": Page("roster", "/meetings/{meeting_id}/roster",
                            frozenset({FACILITATOR, ADMIN})),
    # This season's call is drawn: its page is the draw's record.
    "selection.plan": Page("selection-draw", "/admin/calls/{season_call_id}/selection",
                           frozenset({ADMIN})),
    "selection.seat": Page("seat", "/admin/applications/{application_id}/seat",
                           frozenset({ADMIN})),
    "selection.letters": Page("decision-letters",
                              "/admin/calls/{season_call_id}/selection/letters",
                              frozenset({ADMIN})),
    # The link in the email of the alternate who was offered a declined seat.
    "selection.answer_seat": Page("answer-seat", "/seat/{seat_token}", frozenset({ANONYMOUS}),
                                  form={"childcare_children": "two"}),
    # Reviewers read blind, in their language, often on a phone.
    "review.my_reviews": Page("my-reviews", "/reviews", frozenset({REVIEWER}), main=True),
    "review.review": Page("review", "/reviews/{review_id}", frozenset({REVIEWER}), main=True,
                          form={"comment": "Clear and close to home."}),
    "review.call_review": Page("call-review", "/admin/calls/{second_call_id}/review",
                               frozenset({ADMIN}), form={"pool_min_mean": "seven"}),
    "review.translate": Page("rubric-translation",
                             "/admin/calls/{second_call_id}/review/rubric/ar",
                             frozenset({ADMIN}), form={"names-0": "التجربة المعاشة"}),
    "texts.meeting_call_list": Page("call-list", "/meetings/{meeting_id}/call-list",
                                    frozenset({FACILITATOR, ADMIN})),
    "meetings.cancel": Page("cancel-meeting", "/meetings/{meeting_id}/cancel",
                            frozenset({FACILITATOR, ADMIN}), form={"reason": ""}),
    "meetings.season_attendance": Page("season-attendance", "/meetings/attendance",
                                       frozenset({FACILITATOR, ADMIN})),
    "stipends.my_stipend": Page("my-stipend", "/stipend", SIGNED_IN, main=True),
    "stipends.overview": Page("stipends", "/finance", frozenset({FINANCE})),
    "stipends.ledger": Page("ledger", "/finance/members/{enrollment_id}", frozenset({FINANCE})),
    "stipends.record": Page("record-payment", "/finance/members/{enrollment_id}/payments/new",
                            frozenset({FINANCE}), form={"amount": "600,5", "paid_on": ""}),
    "stipends.void": Page("void-payment", "/finance/payments/{payment_id}/void",
                          frozenset({FINANCE}), form={"reason": ""}),
    "stipends.tax_year": Page("tax-year", "/finance/tax-year", frozenset({FINANCE})),
    "stipends.tax_details": Page("tax-details", "/finance/members/{enrollment_id}/tax-details",
                                 frozenset({FINANCE}), form={"legal_name": "Ana\u0007"}),
    "documents.materials": Page("materials", "/materials", SIGNED_IN, main=True),
    "documents.document": Page("document", "/materials/{document_id}", SIGNED_IN, main=True),
    "documents.new_document": Page("new-document", "/materials/new",
                                   frozenset({FACILITATOR, ADMIN}),
                                   form={"title": "", "body": "Notes to keep"}),
    "documents.edit_document": Page("edit-document", "/materials/{document_id}/edit",
                                    frozenset({FACILITATOR, ADMIN}), form={"title": ""}),
    "documents.version": Page("document-version",
                              "/materials/{session_agenda_id}/versions?language=ht",
                              frozenset({FACILITATOR, ADMIN}),
                              form={"title": "", "body": "Tradiksyon an"}),
    "documents.translation_requests": Page("translation-requests",
                                           "/materials/translation-requests",
                                           frozenset({FACILITATOR, ADMIN})),
    "admin.people": Page("people", "/admin/people?q=a", frozenset({ADMIN})),
    "admin.add_person_page": Page("add-person", "/admin/people/new", frozenset({ADMIN}),
                                  form={"name": "", "email": "broken@"}),
    "admin.person": Page("person", "/admin/people/{member_id}", frozenset({ADMIN}),
                         form={"name": "", "email": "broken@"}),
    "admin.program_settings": Page("program", "/admin/program", frozenset({ADMIN}),
                                   form={"stipend": "12.345", "season_end": ""}),
    "admin.program_translation": Page("program-translation", "/admin/program/languages/es",
                                      frozenset({ADMIN}), form={"name": "Grupo\u0007"}),
    "admin.audit_log": Page("audit", "/admin/audit", frozenset({ADMIN})),
    "admin.outbox": Page("outbox", "/admin/outbox", frozenset({ADMIN})),
    "admin.role_requests": Page("finance-rights", "/admin/finance-rights",
                                frozenset({ADMIN, FINANCE})),
    # The open call: anyone, on a phone, in every language.
    "applications.index": Page("apply-start", "/apply", frozenset({ANONYMOUS})),
    "applications.apply": Page("application-form", "/apply/second-group",
                               frozenset({ANONYMOUS}), main=True,
                               form={"name": "", "statement": "What I lived through"}),
    "applications.print_form": Page("application-print", "/apply/second-group/print",
                                    frozenset({ANONYMOUS})),
    "applications.continue_later": Page("application-continue", "/apply/continue",
                                        frozenset({ANONYMOUS}), form={"code": "nothing"}),
    "applications.status": Page("application-status", "/apply/status", frozenset({ANONYMOUS}),
                                form={"reference": "", "contact": "617-555-0000"}),
    "applications.calls": Page("calls", "/admin/calls", frozenset({ADMIN})),
    "applications.new_call": Page("new-call", "/admin/calls/new", frozenset({ADMIN}),
                                  form={"slug": "Not a slug", "title": ""}),
    "applications.translate": Page("call-translation",
                                   "/admin/calls/{season_call_id}/translations?language=ar",
                                   frozenset({ADMIN}), form={"title": ""}),
    "applications.call_applications": Page("call-applications", "/admin/calls/{season_call_id}",
                                           frozenset({ADMIN})),
    "applications.enter_paper_application": Page(
        "paper-application", "/admin/calls/{season_call_id}/applications/new",
        frozenset({ADMIN}), form={"name": "", "statement": "From the letter"}),
    "applications.staff_application": Page("application", "/admin/applications/{application_id}",
                                           frozenset({ADMIN})),
    "applications.letter": Page("application-letter",
                                "/admin/applications/{application_id}/letter", frozenset({ADMIN})),
}

# Error pages are pages too.
EXTRA_PAGES = (
    Page("forbidden", "/admin/people", frozenset({MEMBER, FACILITATOR, FINANCE}), status=403),
    Page("finance-forbidden", "/finance", frozenset({MEMBER, ADMIN}), status=403),
    Page("paid-in-full", "/finance/members/{paid_enrollment_id}", frozenset({FINANCE})),
    Page("not-found", "/no-such-page", frozenset({ANONYMOUS, MEMBER}), status=404),
    Page("invalid-link", "/invitation/not-a-real-link", frozenset({ANONYMOUS}), status=404),
    Page("past-meeting", "/meetings/{past_meeting_id}", frozenset({MEMBER})),
    Page("past-roster", "/meetings/{past_meeting_id}/roster", frozenset({FACILITATOR, ADMIN})),
    Page("full-meeting", "/meetings/{full_meeting_id}", frozenset({MEMBER})),
    Page("document-not-in-my-language", "/materials/{minutes_id}", frozenset({MEMBER})),
    Page("document-out-of-date", "/materials/{session_agenda_id}?language=vi",
         frozenset({MEMBER, FACILITATOR})),
    Page("document-draft", "/materials/{draft_id}", frozenset({FACILITATOR, ADMIN})),
    Page("materials-filtered", "/materials?meeting={past_meeting_id}&kind=minutes",
         frozenset({MEMBER})),
    Page("call-closed", "/apply/design-group", frozenset({ANONYMOUS})),
    Page("selection-plan", "/admin/calls/{second_call_id}/selection", frozenset({ADMIN})),
    Page("review-scored", "/reviews/{scored_review_id}", frozenset({REVIEWER})),
    Page("rubric-translation-done", "/admin/calls/{second_call_id}/review/rubric/es",
         frozenset({ADMIN})),
    Page("call-applications-filtered",
         "/admin/calls/{season_call_id}?status=ineligible&neighborhood=Dorchester",
         frozenset({ADMIN})),
)

NOT_PAGES = {
    "static": "files, not pages",
    "selection.draw": "a button (POST) on the selection page",
    "selection.decisions": "a button (POST) on the selection page",
    "selection.give_up": "a button (POST) on the seat page",
    "selection.pool_file": "a CSV file for auditors, not a page",
    "selection.targets_file": "a CSV file for auditors, not a page",
    "review.conflict": "a form (POST) on the review page",
    "review.rules": "a form (POST) on the call's review page",
    "review.add_reviewer": "a form (POST) on the call's review page",
    "review.take_off_reviewer": "a button (POST) on the call's review page",
    "review.rubric": "a form (POST) on the call's review page",
    "review.share": "a button (POST) on the call's review page",
    "texts.inbound": "the text provider's webhook: TwiML for a signed POST, not a page",
    "texts.delivery_status": "the text provider's delivery reports: a signed POST, no page",
    "home.favicon": "the site's icon, not a page",
    "home.set_language": "redirects back to the page the person was on",
    "auth.sign_out": "a button (POST) on every signed-in page",
    "admin.resend_invitation": "a button (POST); its printable result is checked as a page",
    "admin.deactivate": "a button (POST) on the person page",
    "admin.reactivate": "a button (POST) on the person page",
    "admin.confirm_role": "a button (POST) on the finance-rights page",
    "admin.decline_role": "a button (POST) on the finance-rights page",
    "account.confirm_email": "a link from an email that changes the address, then redirects",
    "meetings.meeting_ics": "a calendar file, not a page",
    "meetings.feed": "a calendar feed, not a page",
    "meetings.roster_csv": "a spreadsheet download",
    "meetings.roster_xlsx": "a spreadsheet download",
    "meetings.cancel": "a button (POST) on the edit page",
    "meetings.season_attendance_csv": "a spreadsheet download",
    "meetings.answer_for_member": "a form (POST) on the roster page",
    "meetings.attendance": "a form (POST) on the roster page",
    "stipends.tax_form": "a form (POST) on the ledger page",
    "stipends.ledger_csv": "a spreadsheet download",
    "stipends.tax_year_csv": "a spreadsheet download",
    "stipends.ledger_xlsx": "a spreadsheet download",
    "stipends.tax_year_xlsx": "a spreadsheet download",
    "admin.audit_log_csv": "a spreadsheet download",
    "documents.download": "a file download",
    "documents.ask_for_translation": "a button (POST) on the document page",
    "meetings.ask_for_meeting_translation": "a button (POST) on the meeting page",
    "documents.publish": "a button (POST) on the document page",
    "applications.sent": "shown after sending; checked in the application journey",
    "applications.draft_saved": "shown after saving; checked in the application journey",
    "applications.my_application": "shown after a status check; checked in the journey",
    "applications.continue_draft": "the emailed link: opens the saved form",
    "applications.change_my_contact": "a form (POST) on the applicant's page",
    "applications.withdraw_mine": "a button (POST) on the applicant's page",
    "applications.delete_mine": "a button (POST) on the applicant's page",
    "applications.eligibility": "a form (POST) on the application page",
    "applications.merge": "a form (POST) on the application page",
    "applications.scan": "a file download",
}


def pages_for(role: str, language: str) -> list[Page]:
    every = language in EVERY_PAGE_LANGUAGES
    found = [page for page in (*PAGES.values(), *EXTRA_PAGES)
             if role in page.roles and (every or page.main)]
    return found


def combinations() -> list[tuple[str, str, str]]:
    return [
        (role, language, viewport)
        for role in ROLES
        for language in ALL_LANGUAGES
        for viewport in VIEWPORTS
        if pages_for(role, language)
    ]
