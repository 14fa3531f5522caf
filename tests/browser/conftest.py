"""A live portal on 127.0.0.1 with the demo data, and headless Chromium driven by Playwright."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from datetime import date
from importlib.resources import files
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
DEMO_PASSWORD = "community-design-demo"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

if not Path(CHROMIUM).exists():
    message = (f"No Chromium at {CHROMIUM}. Install Debian's package with "
               "'apt-get install -y chromium' (or set PORTAL_CHROMIUM) to run the browser tests.")
    if os.environ.get("CI"):
        raise RuntimeError(message)  # in CI the browser suite must run, not skip
    pytest.skip(message, allow_module_level=True)

from playwright.sync_api import sync_playwright  # noqa: E402


@dataclass
class LiveData:
    base_url: str
    member_id: int
    meeting_id: int
    past_meeting_id: int
    full_meeting_id: int
    journey_meeting_id: int
    enrollment_id: int  # a member with a voided and a re-recorded payment
    payment_id: int  # a payment that is not voided
    paid_enrollment_id: int
    unpaid_enrollment_id: int  # left for the finance journey to pay
    document_id: int
    minutes_id: int
    session_agenda_id: int
    draft_id: int
    long_title_meeting_id: int  # a title with no place to break a line
    invitation_token: str
    reset_token: str
    season_call_id: int  # this season's call, drawn, everyone told
    application_id: int
    seat_token: str  # the link an alternate got when a member gave up their seat
    second_call_id: int  # the next group's call, open, its reviews under way
    review_id: int  # the demo reviewer's next review to do
    scored_review_id: int  # one they scored
    people: dict[str, str]  # role -> sign-in name


@pytest.fixture(scope="session")
def live(tmp_path_factory):
    from flask_migrate import upgrade

    from portal import create_app
    from portal.admin.services import add_person
    from portal.auth.models import Role, TokenPurpose, User
    from portal.auth.services import issue_token
    from portal.db import db, utcnow
    from portal.demo import seed_demo
    from portal.programs.models import Program
    from portal.programs.services import PlannedInstallment, update_program_settings
    from tests.conftest import TEST_CONFIG, make_database_url

    url, drop = make_database_url(tmp_path_factory, "browser")
    app = create_app({
        **TEST_CONFIG,
        "SQLALCHEMY_DATABASE_URI": url,
        "UPLOAD_FOLDER": str(tmp_path_factory.mktemp("browser-uploads")),
        "WTF_CSRF_ENABLED": True,
        "TESTING": False,
        "MAIL_BACKEND": "console",
        "SIGN_IN_LIMIT_PER_ADDRESS": "100000 per minute",
        "SIGN_IN_LIMIT_PER_ACCOUNT": "100000 per minute",
    })
    with app.app_context():
        upgrade()
        program = seed_demo(date.today())
        db.session.commit()
        admin = db.session.scalars(select(User).where(User.email == "admin@demo.example.org")).one()
        # Some history for the audit log and the outbox.
        invitation = add_person(
            admin, program, name="Invited Person", email="invited@demo.example.org",
            username=None, phone=None, preferred_language="es", roles={Role.MEMBER},
            now=utcnow(), invitation_lifetime=app.config["INVITATION_LIFETIME"],
        )
        program = db.session.get(Program, program.id)
        update_program_settings(
            admin, program, name=program.name, season_start=program.season_start,
            season_end=program.season_end, timezone=program.timezone,
            stipend_cents=program.stipend_cents,
            installments=[PlannedInstallment(i.label, i.due_on, i.amount_cents)
                          for i in program.installments],
        )
        member = db.session.scalars(
            select(User).where(User.email == "rosa.delgado@demo.example.org")).one()
        reset_token = issue_token(member, TokenPurpose.PASSWORD_RESET, utcnow(),
                                  app.config["PASSWORD_RESET_LIFETIME"])
        db.session.commit()
        from portal.documents.models import Document, DocumentKind, DocumentStatus
        from portal.meetings.models import Meeting

        meetings = db.session.scalars(select(Meeting).order_by(Meeting.starts_at)).all()
        long_title = _long_title_meeting(db, meetings[-1])
        documents = db.session.scalars(select(Document).order_by(Document.id)).all()
        agendas = [d for d in documents if d.kind == DocumentKind.AGENDA]
        data = dict(
            meeting_id=meetings[1].id,
            past_meeting_id=meetings[0].id,
            full_meeting_id=meetings[2].id,
            journey_meeting_id=meetings[3].id,
            document_id=agendas[0].id,
            minutes_id=next(d.id for d in documents if d.kind == DocumentKind.MINUTES),
            session_agenda_id=agendas[1].id,
            draft_id=next(d.id for d in documents if d.status == DocumentStatus.DRAFT),
            member_id=member.id,
            long_title_meeting_id=long_title,
            **_stipend_ids(db),
            invitation_token=invitation.link.rsplit("/", 1)[1],
            reset_token=reset_token,
            **_application_ids(db),
        )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveData(
        base_url=f"http://127.0.0.1:{server.server_port}",
        people={
            "member": "marcus.bell@demo.example.org",
            "facilitator": "dana.whitfield@demo.example.org",
            "finance": "finance@demo.example.org",
            "admin": "admin@demo.example.org",
            "reviewer": "reviewer@demo.example.org",
        },
        **data,
    )
    server.shutdown()
    thread.join(timeout=5)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    drop()


LONG_TITLE = "Neighbourhood" * 15  # 195 letters, no space: a pasted address or a typo


def _long_title_meeting(db, last) -> int:
    """A meeting after all the others (so their order is untouched) whose title cannot wrap."""
    from datetime import timedelta
    from uuid import uuid4

    from portal.meetings.models import Meeting, MeetingText

    meeting = Meeting(program_id=last.program_id, starts_at=last.starts_at + timedelta(days=1),
                      ends_at=last.ends_at + timedelta(days=1), format=last.format,
                      venue="Boston City Hall, Room 801", capacity=20,
                      ical_uid=f"{uuid4()}@test",
                      texts=[MeetingText(language="en", title=LONG_TITLE, is_original=True)])
    db.session.add(meeting)
    db.session.commit()
    return meeting.id


def _stipend_ids(db) -> dict[str, int]:
    from portal.auth.models import User
    from portal.programs.models import Enrollment
    from portal.stipends.models import Payment, PaymentMethod
    from portal.stipends.services import PaymentDetails, new_submission_key, record_payment

    def enrollment_of(email):
        return db.session.scalars(select(Enrollment).join(User).where(User.email == email)).one()

    marcus = enrollment_of("marcus.bell@demo.example.org")
    paid = enrollment_of("rosa.delgado@demo.example.org")
    # Pay Rosa's second half too, so one ledger shows "paid in full".
    finance = db.session.scalars(select(User).where(
        User.email == "finance@demo.example.org")).one()
    record_payment(finance, paid,
                   PaymentDetails(60_000, date.today(), PaymentMethod.CHECK, "Check 1050", None),
                   submission_key=new_submission_key(), today=date.today())
    db.session.commit()
    return dict(
        enrollment_id=marcus.id,
        payment_id=db.session.scalars(select(Payment.id).where(
            Payment.enrollment_id == marcus.id, Payment.voided_at.is_(None))).one(),
        paid_enrollment_id=paid.id,
        unpaid_enrollment_id=enrollment_of("thiago.souza@demo.example.org").id,
    )


def _application_ids(db) -> dict[str, int | str]:
    from portal.applications.models import Application, OpenCall
    from portal.auth.models import User
    from portal.review.models import Review

    call = db.session.scalars(select(OpenCall).where(OpenCall.slug == "design-group")).one()
    first = db.session.scalars(select(Application.id).where(Application.call_id == call.id)
                               .order_by(Application.id)).first()
    second = db.session.scalars(select(OpenCall).where(OpenCall.slug == "second-group")).one()
    reviewer = db.session.scalars(select(User).where(
        User.email == "reviewer@demo.example.org")).one()
    reviews = db.session.scalars(select(Review).where(Review.reviewer_id == reviewer.id)
                                 .order_by(Review.id)).all()
    return dict(season_call_id=call.id, application_id=first, seat_token=_seat_token(db, call),
                second_call_id=second.id,
                review_id=next(r.id for r in reviews if r.is_open),
                scored_review_id=next(r.id for r in reviews if r.submitted_at))


def _seat_token(db, call) -> str:
    """A member gives up their seat; the first alternate with email who keeps every
    target is offered it, and their decision email carries the one-time link."""
    import re

    from portal.applications.models import Application
    from portal.auth.models import User
    from portal.db import utcnow
    from portal.outbox.models import OutboxMessage
    from portal.selection.seats import give_up_seat
    from portal.selection.services import draw_for

    record = draw_for(call)
    alternates = [db.session.get(Application, int(p)) for p in record.ranked_alternates]
    offered = next(a for a in alternates if a.email)
    declined = next(db.session.get(Application, int(p)) for p in record.panel
                    if db.session.get(Application, int(p)).language == offered.language)
    admin = db.session.scalars(select(User).where(User.email == "admin@demo.example.org")).one()
    given_up = give_up_seat(admin, declined, "declined", utcnow())
    assert given_up.replacement.alternate == str(offered.id), "the seat went to another alternate"
    assert given_up.told_by == "email", given_up.told_by
    db.session.commit()
    email = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.to_address == offered.email).order_by(OutboxMessage.id.desc())).first()
    return re.search(r"/seat/([\w-]+)", email.body).group(1)


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"],
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    return files("axe_playwright_python").joinpath("axe.min.js").read_text("utf-8")


def new_context(browser, live, axe_source, viewport="desktop", javascript=True):
    from tests.browser.pages import VIEWPORTS

    context = browser.new_context(
        base_url=live.base_url,
        viewport=VIEWPORTS[viewport],
        java_script_enabled=javascript,
        is_mobile=viewport == "phone",
        has_touch=viewport == "phone",
    )
    if javascript:
        # Injected by the browser itself, so the page's CSP is untouched.
        context.add_init_script(script=axe_source)
    context.set_default_timeout(10_000)
    return context


def choose_language(page, code: str) -> None:
    page.goto(f"/language/{code}?next=/sign-in")


def sign_in(page, identifier: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/sign-in")
    page.fill("#identifier", identifier)
    page.fill("#password", password)
    page.click("form button[type=submit]")
    page.wait_for_url(lambda url: "/sign-in" not in url)


def drawn(page) -> None:
    """Wait until the page is drawn as people see it: its stylesheet applied, its fonts in.

    A check made as soon as an element appears can otherwise judge the page unstyled:
    the browser revalidates the stylesheet on every page, and on a busy machine its
    answer can come after the content. Unstyled, the skip link sits in the page as a
    small text link beside the header's, and axe rightly finds it too small to tap.
    """
    page.wait_for_load_state("load")
    page.evaluate("() => document.fonts.ready.then(() => true)")


def axe_violations(page) -> list[str]:
    drawn(page)
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        AXE_TAGS,
    )
    found = []
    for violation in result["violations"]:
        targets = "; ".join(
            " ".join(node["target"]) if isinstance(node["target"], list) else str(node["target"])
            for node in violation["nodes"][:5]
        )
        found.append(f"{violation['id']} ({violation['impact']}): {violation['help']} at {targets}")
    return found


def horizontal_overflow(page) -> int:
    """How many CSS pixels the page is wider than the viewport (0 when it fits).

    Measured against the configured width: a phone browser zooms out to fit
    a page that is too wide, which makes window.innerWidth grow with it.
    """
    width = page.viewport_size["width"]
    drawn(page)
    return page.evaluate(
        f"() => Math.max(0, document.documentElement.scrollWidth - {width})"
    )


# Everything a person reads or uses; each must sit inside the viewport, or inside a
# container that scrolls sideways (which must itself sit inside the viewport).
OUTSIDE_VIEWPORT = """(width) => {
  const selector = 'a, button, input, select, textarea, summary, label, h1, h2, h3, p, li, '
                 + 'th, td, dt, dd, img, .table-scroll, [tabindex]';
  const scrolls = (element) => {
    for (let up = element.parentElement; up && up !== document.body; up = up.parentElement) {
      const overflow = getComputedStyle(up).overflowX;
      if (overflow === 'auto' || overflow === 'scroll') return true;
    }
    return false;
  };
  const found = [];
  for (const element of document.querySelectorAll(selector)) {
    const box = element.getBoundingClientRect();
    if (box.width < 1 || box.height < 1) continue;
    if (element.closest('.visually-hidden, .skip-link') || scrolls(element)) continue;
    if (!element.checkVisibility({visibilityProperty: true})) continue;  // e.g. a closed menu
    const left = box.left + scrollX, right = box.right + scrollX;
    if (left < -1 || right > width + 1) {
      const text = (element.innerText || element.value || '').trim().slice(0, 30);
      const tag = element.tagName.toLowerCase();
      found.push(`<${tag}> "${text}" at ${Math.round(left)}..${Math.round(right)}`);
    }
  }
  return found;
}"""


def outside_viewport(page) -> list[str]:
    """Visible things whose box reaches past the left or right edge of the viewport.

    Positioned content (an open menu) does not widen the page, so a page can fit
    and still put links where nobody can reach them; this looks at where each is.
    """
    drawn(page)
    return page.evaluate(OUTSIDE_VIEWPORT, page.viewport_size["width"])


def html_lang_dir(page) -> tuple[str, str]:
    return page.evaluate(
        "() => [document.documentElement.lang, document.documentElement.dir]"
    )
