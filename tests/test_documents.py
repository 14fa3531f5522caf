"""Materials: drafts and publishing, reading in one's language, translation requests,
out-of-date versions, safe Markdown, who may see what, and the cost of the list."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from flask_babel import force_locale, gettext
from markupsafe import escape
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.auth.models import Role, User
from portal.db import db, utcnow
from portal.documents.models import (
    Document,
    DocumentKind,
    DocumentStatus,
    RequestStatus,
    TranslationRequest,
)
from portal.documents.services import (
    VersionContent,
    create_document,
    publish_document,
    request_translation,
    set_version,
    update_document,
)
from portal.meetings.models import MeetingFormat
from portal.meetings.services import MeetingDetails, create_meeting
from portal.outbox.models import OutboxMessage
from portal.programs.models import Enrollment, EnrollmentStatus, Program
from tests.conftest import make_person, queries_for, sign_in
from tests.sample_files import png, upload


def said(data_app, language: str, message: str) -> str:
    """What a reader of `language` sees of `message` in a page: its translation, escaped,
    up to its first placeholder."""
    with data_app.test_request_context(), force_locale(language):
        text = gettext(message, date="\x00")
    return str(escape(text.split("\x00")[0]))


def make_meeting(program, actor, *, days=7, title="Design session"):
    starts = utcnow().replace(microsecond=0) + timedelta(days=days)
    meeting = create_meeting(
        actor, program,
        MeetingDetails(starts_at=starts, ends_at=starts + timedelta(hours=2),
                       format=MeetingFormat.VIRTUAL, join_link="https://video.example.org/r"),
        language="en", title=title, description=None)
    db.session.commit()
    return meeting


def make_document(program, actor, *, kind=DocumentKind.READING, meeting=None, language="en",
                  title="Crisis line history", body="How **911** calls are answered today.",
                  publish=True, now=None) -> Document:
    now = now or utcnow()
    document = create_document(actor, program, kind=kind, meeting=meeting, language=language,
                               content=VersionContent(title=title, body=body), now=now)
    if publish:
        publish_document(actor, document, now)
    db.session.commit()
    return document


def add_version(document, actor, language, title, body="Texto.", now=None):
    version, _ = set_version(actor, document, language, VersionContent(title=title, body=body),
                             now or utcnow())
    db.session.commit()
    return version


def article(page: str) -> str:
    return page.split("<article", 1)[1].split("</article>", 1)[0]


@pytest.fixture
def document(program, people):
    document = make_document(program, people["facilitator"])
    add_version(document, people["facilitator"], "es", "Historia de la línea de crisis",
                "Cómo se atienden hoy las llamadas al **911**.")
    return document


# Who sees what ----------------------------------------------------------------------

def test_drafts_are_for_staff_only(as_role, program, people):
    draft = make_document(program, people["facilitator"], title="Draft agenda notes",
                          publish=False)
    member = as_role("member")
    assert member.get(f"/materials/{draft.id}").status_code == 404
    assert "Draft agenda notes" not in member.get("/materials").get_data(as_text=True)
    for role in ("facilitator", "admin"):
        client = as_role(role)
        page = client.get(f"/materials/{draft.id}").get_data(as_text=True)
        assert "Draft: only staff can see this" in page
        listing = client.get("/materials").get_data(as_text=True)
        assert "Draft agenda notes" in listing and "Draft" in listing


def test_members_of_another_program_get_nothing_not_even_the_file(app, program, people):
    document = make_document(program, people["facilitator"])
    set_version(people["facilitator"], document, "es",
                VersionContent("Folleto", None, upload=upload(png(), "folleto.png")),
                utcnow())
    db.session.commit()
    other = Program(name="Another group", season_start=program.season_start,
                    season_end=program.season_end, stipend_cents=1000)
    db.session.add(other)
    db.session.commit()
    outsider = make_person(other, Role.MEMBER, name="Other Member")
    client = app.test_client()
    sign_in(client, outsider)
    assert client.get(f"/materials/{document.id}").status_code == 404
    assert client.get(f"/materials/{document.id}/files/es").status_code == 404
    assert "Crisis line history" not in client.get("/materials").get_data(as_text=True)
    # A withdrawn member loses access too.
    member = people["member"]
    enrollment = db.session.scalars(select(Enrollment).where(
        Enrollment.user_id == member.id)).one()
    enrollment.status = EnrollmentStatus.WITHDRAWN
    db.session.commit()
    withdrawn = app.test_client()
    sign_in(withdrawn, member)
    assert withdrawn.get(f"/materials/{document.id}/files/es").status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, document):
    for path in ("/materials", f"/materials/{document.id}", f"/materials/{document.id}/files/en",
                 "/materials/translation-requests", "/materials/new"):
        response = client.get(path)
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    response = client.post(f"/materials/{document.id}/translation-requests",
                           data={"language": "vi"})
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


@pytest.mark.parametrize("role", ["member", "finance"])
def test_only_facilitators_and_admins_write(as_role, role, document):
    client = as_role(role)
    assert client.get("/materials/new").status_code == 403
    assert client.get(f"/materials/{document.id}/edit").status_code == 403
    assert client.post(f"/materials/{document.id}/versions",
                       data={"language": "vi", "title": "x", "body": "y"}).status_code == 403
    assert client.post(f"/materials/{document.id}/publish").status_code == 403
    assert client.get("/materials/translation-requests").status_code == 403


def test_navigation_shows_materials_to_everyone_and_requests_to_staff(as_role, people):
    member_page = as_role("member").get("/").get_data(as_text=True)
    assert 'href="/materials"' in member_page
    assert "/materials/translation-requests" not in member_page
    staff_page = as_role("facilitator").get("/").get_data(as_text=True)
    assert 'href="/materials"' in staff_page
    assert 'href="/materials/translation-requests"' in staff_page


# Reading in one's language ------------------------------------------------------------

def test_each_member_reads_their_own_language(as_role, document):
    spanish = as_role("member_es").get(f"/materials/{document.id}").get_data(as_text=True)
    assert "Historia de la línea de crisis" in article(spanish)
    assert 'lang="es"' in spanish.split("<article", 1)[1][:40]
    assert "Ask for a translation" not in spanish and "Pida" not in spanish
    english = as_role("member").get(f"/materials/{document.id}").get_data(as_text=True)
    assert "Crisis line history" in article(english)
    assert "<strong>911</strong>" in article(english)
    # Anyone can switch to another version.
    switched = as_role("member").get(f"/materials/{document.id}?language=es")
    assert "Historia de la línea de crisis" in article(switched.get_data(as_text=True))


def test_missing_language_shows_the_original_a_notice_and_one_request_button(app, program,
                                                                             people, document):
    reader = make_person(program, Role.MEMBER, name="Lan Reader", language="vi")
    client = app.test_client()
    sign_in(client, reader)
    page = client.get(f"/materials/{document.id}").get_data(as_text=True)
    assert "Crisis line history" in article(page)
    assert 'id="translation-notice"' in page
    assert page.count("/translation-requests") == 1
    assert 'name="language" value="vi"' in page
    # Links to every version, each in its own name and language.
    assert re.search(r'<a href="[^"]*language=es" lang="es" hreflang="es"[^>]*>Español</a>',
                     page)
    assert re.search(r'<a href="[^"]*language=en" lang="en" hreflang="en"[^>]*>English</a>',
                     page)


def test_asking_twice_does_not_duplicate_the_request(app, data_app, program, people,
                                                    document):
    reader = make_person(program, Role.MEMBER, name="Lan Reader", language="vi")
    client = app.test_client()
    sign_in(client, reader)
    first = client.post(f"/materials/{document.id}/translation-requests",
                        data={"language": "vi"}, follow_redirects=True)
    assert said(data_app, "vi", "Thank you. We asked for a translation and will email you "
                "when it is ready.") in first.get_data(as_text=True)
    second = client.post(f"/materials/{document.id}/translation-requests",
                         data={"language": "vi"}, follow_redirects=True)
    text = second.get_data(as_text=True)
    assert said(data_app, "vi", "You already asked for this translation, so there is nothing "
                "more to do. We will email you when it is ready.") in text
    assert db.session.scalar(select(func.count(TranslationRequest.id))) == 1
    # The page now says it was asked for, instead of offering the button again.
    page = client.get(f"/materials/{document.id}").get_data(as_text=True)
    assert said(data_app, "vi", "You asked for a translation on %(date)s. We will email you "
                "when it is ready.") in page
    assert "/translation-requests" not in page


def test_no_request_for_a_language_that_is_there(as_role, document):
    response = as_role("member").post(f"/materials/{document.id}/translation-requests",
                                      data={"language": "es"})
    assert response.status_code == 302
    assert db.session.scalar(select(func.count(TranslationRequest.id))) == 0
    assert as_role("member").post(f"/materials/{document.id}/translation-requests",
                                  data={"language": "xx"}).status_code == 400


def test_simultaneous_requests_make_one_row(app, data_app, program, people, document):
    reader_id = make_person(program, Role.MEMBER, name="Quick Clicker", language="ru").id
    document_id = document.id
    barrier = threading.Barrier(6)
    results, errors = [], []

    def ask():
        with app.app_context():
            try:
                user = db.session.get(User, reader_id)
                target = db.session.get(Document, document_id)
                barrier.wait()
                results.append(request_translation(user, target, "ru", utcnow()))
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
                db.session.rollback()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(results) == [False] * 5 + [True]
    db.session.expire_all()
    assert db.session.scalar(select(func.count(TranslationRequest.id))) == 1


# Translation requests for staff -------------------------------------------------------

def test_requests_are_grouped_counted_and_oldest_first(as_role, program, people):
    now = utcnow()
    newer = make_document(program, people["facilitator"], title="Newer handout")
    older = make_document(program, people["facilitator"], title="Older reading")
    askers = [make_person(program, Role.MEMBER, name=f"Asker {n}", language="vi")
              for n in range(3)]
    request_translation(askers[0], newer, "vi", now - timedelta(days=1))
    request_translation(askers[1], newer, "vi", now - timedelta(hours=2))
    request_translation(askers[2], newer, "ru", now - timedelta(hours=1))
    request_translation(askers[0], older, "ht", now - timedelta(days=3))
    request_translation(askers[1], older, "ht", now - timedelta(days=2))
    db.session.commit()
    page = as_role("facilitator").get("/materials/translation-requests").get_data(as_text=True)
    assert page.index("Older reading") < page.index("Newer handout")
    older_part = page.split("Older reading", 1)[1].split("Newer handout", 1)[0]
    assert "Haitian Creole</bdi></strong>:\n      2 members asked" in older_part
    newer_part = page.split("Newer handout", 1)[1]
    assert "Vietnamese</bdi></strong>:\n      2 members asked" in newer_part
    assert "Russian</bdi></strong>:\n      1 member asked" in newer_part
    assert newer_part.index("Vietnamese") < newer_part.index("Russian")


def test_adding_the_version_closes_requests_and_emails_each_asker_in_their_language(
        as_role, program, people, document):
    askers = [make_person(program, Role.MEMBER, name="Lan", language="vi"),
              make_person(program, Role.MEMBER, name="Olga", language="ru")]
    for person in askers:
        request_translation(person, document, "vi", utcnow())
    other = make_person(program, Role.MEMBER, name="Widline", language="ht")
    request_translation(other, document, "ht", utcnow())
    db.session.commit()
    db.session.execute(OutboxMessage.__table__.delete())
    db.session.commit()
    response = as_role("facilitator").post(f"/materials/{document.id}/versions", data={
        "language": "vi", "title": "Lịch sử đường dây khủng hoảng", "body": "Nội dung."})
    assert response.status_code == 302
    db.session.expire_all()
    requests = db.session.scalars(select(TranslationRequest).order_by(
        TranslationRequest.id)).all()
    assert [(r.language, r.status) for r in requests] == [
        ("vi", RequestStatus.DONE), ("vi", RequestStatus.DONE), ("ht", RequestStatus.OPEN)]
    assert all(r.closed_at is not None for r in requests[:2])
    messages = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [(m.recipient_id, m.language) for m in messages] == [
        (askers[0].id, "vi"), (askers[1].id, "ru")]
    assert all(f"/materials/{document.id}?language=vi" in m.body for m in messages)
    assert all("Lịch sử đường dây khủng hoảng" in m.subject for m in messages)
    page = as_role("facilitator").get("/materials/translation-requests").get_data(as_text=True)
    assert "Vietnamese" not in page and "Haitian Creole" in page


# Out of date -------------------------------------------------------------------------

def test_a_translation_older_than_the_original_says_so_until_updated(data_app, as_role,
                                                                    people, document):
    facilitator = people["facilitator"]
    reader = as_role("member_es")
    notice = said(data_app, "es", "This translation may be out of date: the original was "
                  "changed on %(date)s, after this was written.")
    label = said(data_app, "es", "may be out of date")
    assert notice and label and notice != label

    def reader_sees(path):
        return reader.get(path).get_data(as_text=True)

    assert notice not in reader_sees(f"/materials/{document.id}")
    # Changing only the kind is not a change to the text.
    update_document(facilitator, document, kind=DocumentKind.HANDOUT, meeting=None,
                    content=VersionContent(document.original.title, document.original.body),
                    now=utcnow() + timedelta(minutes=1))
    db.session.commit()
    assert notice not in reader_sees(f"/materials/{document.id}")
    assert label not in reader_sees("/materials")
    update_document(facilitator, document, kind=DocumentKind.HANDOUT, meeting=None,
                    content=VersionContent(document.original.title, "New text."),
                    now=utcnow() + timedelta(minutes=2))
    db.session.commit()
    assert notice in reader_sees(f"/materials/{document.id}")
    assert label in reader_sees("/materials")
    staff_page = as_role("facilitator").get(f"/materials/{document.id}").get_data(as_text=True)
    assert "May be out of date" in staff_page
    add_version(document, facilitator, "es", "Historia, al día", "Texto nuevo.",
                now=utcnow() + timedelta(minutes=3))
    page = reader_sees(f"/materials/{document.id}")
    assert notice not in page and label not in page and "Historia, al día" in page


# Writing and publishing ----------------------------------------------------------------

def test_facilitator_writes_a_draft_then_publishes_an_agenda(as_role, program, people):
    meeting = make_meeting(program, people["facilitator"])
    client = as_role("facilitator")
    form = client.get(f"/materials/new?meeting_id={meeting.id}&kind=agenda").get_data(
        as_text=True)
    assert f'<option selected value="{meeting.id}">' in form or \
        f'value="{meeting.id}" selected' in form
    response = client.post("/materials/new", data={
        "kind": "agenda", "meeting": str(meeting.id), "language": "en",
        "title": "Agenda: first session", "body": "1. Welcome\n2. Ground rules"})
    assert response.status_code == 302
    document = db.session.scalars(select(Document)).one()
    assert document.status == DocumentStatus.DRAFT
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0
    client.post(f"/materials/{document.id}/publish")
    db.session.expire_all()
    assert document.status == DocumentStatus.PUBLISHED and document.published_at
    meeting_page = as_role("member").get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert f'href="/materials/{document.id}"' in meeting_page
    assert "Agenda: first session" in meeting_page


def test_agendas_and_minutes_belong_to_a_meeting(as_role, program, people):
    response = as_role("facilitator").post("/materials/new", data={
        "kind": "minutes", "meeting": "", "language": "en", "title": "Minutes",
        "body": "We met."})
    page = response.get_data(as_text=True)
    assert "Choose the meeting this agenda or these minutes are for." in page
    assert 'value="Minutes"' in page and "We met." in page
    assert db.session.scalar(select(func.count(Document.id))) == 0


def test_publishing_emails_members_in_their_language_and_respects_the_opt_out(
        program, people):
    quiet = make_person(program, Role.MEMBER, name="Quiet Member", language="ar")
    quiet.notify_new_materials = False
    make_person(program, Role.MEMBER, name="Gone Member", active=False)
    db.session.commit()
    meeting = make_meeting(program, people["facilitator"])
    document = make_document(program, people["facilitator"], kind=DocumentKind.AGENDA,
                             meeting=meeting, title="Agenda", publish=False)
    add_version(document, people["facilitator"], "es", "Orden del día")
    assert publish_document(people["facilitator"], document, utcnow()) == 2
    db.session.commit()
    messages = db.session.scalars(select(OutboxMessage)).all()
    by_person = {m.recipient_id: m for m in messages}
    assert set(by_person) == {people["member"].id, people["member_es"].id}
    assert by_person[people["member_es"].id].language == "es"
    assert "Orden del día" in by_person[people["member_es"].id].subject
    assert "Agenda" in by_person[people["member"].id].subject
    # Publishing again sends nothing more.
    assert publish_document(people["facilitator"], document, utcnow()) == 0


def test_meeting_page_offers_staff_a_way_to_add_an_agenda(as_role, program, people):
    meeting = make_meeting(program, people["facilitator"])
    draft = make_document(program, people["facilitator"], kind=DocumentKind.MINUTES,
                          meeting=meeting, title="Draft minutes", publish=False)
    staff = as_role("facilitator").get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert f"/materials/new?meeting_id={meeting.id}&amp;kind=agenda" in staff
    assert "Draft minutes" in staff
    member = as_role("member").get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "Draft minutes" not in member and "/materials/new" not in member
    assert f"/materials/{draft.id}" not in member


def test_every_change_is_in_the_audit_log(as_role, program, people, document):
    add_version(document, people["facilitator"], "es", "Otra versión")
    update_document(people["facilitator"], document, kind=DocumentKind.HANDOUT, meeting=None,
                    content=VersionContent("New title", "New text."), now=utcnow())
    db.session.commit()
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["document.created", "document.published", "document.version_added",
                       "document.version_replaced", "document.updated"]
    page = as_role("admin").get("/admin/audit").get_data(as_text=True)
    for label in ("Document added as a draft", "Document published", "Language version added",
                  "Language version replaced", "Document changed"):
        assert label in page


# Safe content ----------------------------------------------------------------------------

HOSTILE = """# Welcome

<script>alert('x')</script>
<img src=x onerror="alert(1)">
<iframe src="https://evil.example"></iframe>
<p style="position:fixed">styled</p>

[click](javascript:alert(1)) [data](data:text/html;base64,PHNjcmlwdD4=)
[vb](vbscript:msgbox(1)) [ok](https://example.org/ok)
![pic](data:image/png;base64,iVBORw0KGgo=)
<a href="javascript:alert(2)" onclick="alert(3)">raw</a>
"""


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict]]:
    parser = _Elements()
    parser.feed(html)
    return parser.found


def test_hostile_markdown_is_shown_harmless(as_role, program, people):
    client = as_role("facilitator")
    client.post("/materials/new", data={"kind": "reading", "meeting": "", "language": "en",
                                        "title": "Hostile", "body": HOSTILE})
    document = db.session.scalars(select(Document)).one()
    html = article(client.get(f"/materials/{document.id}").get_data(as_text=True))
    found = elements("<article" + html)
    tags = {tag for tag, _ in found}
    assert "h1" in tags and "a" in tags
    assert not tags & {"script", "iframe", "img", "style", "object", "embed"}
    for tag, attrs in found:
        assert not [name for name in attrs if name.startswith("on") or name == "style"], tag
        if "href" in attrs:
            assert attrs["href"].startswith(("https://", "http://", "mailto:", "/")), attrs
    links = [attrs for tag, attrs in found if tag == "a" and "example.org" in attrs["href"]]
    assert links == [{"href": "https://example.org/ok", "rel": "noopener noreferrer"}]
    # What was refused is shown as plain text, so nothing is silently lost.
    assert "&lt;script&gt;" in html


# The materials list ----------------------------------------------------------------------

def test_materials_list_newest_meeting_first_with_filters(as_role, program, people):
    facilitator = people["facilitator"]
    early = make_meeting(program, facilitator, days=3, title="Early session")
    late = make_meeting(program, facilitator, days=20, title="Late session")
    make_document(program, facilitator, kind=DocumentKind.READING, title="Loose reading")
    make_document(program, facilitator, kind=DocumentKind.AGENDA, meeting=early,
                  title="Early agenda")
    make_document(program, facilitator, kind=DocumentKind.AGENDA, meeting=late,
                  title="Late agenda")
    make_document(program, facilitator, kind=DocumentKind.MINUTES, meeting=early,
                  title="Early minutes")
    client = as_role("member")
    page = client.get("/materials").get_data(as_text=True)
    positions = [page.index(t) for t in ("Late agenda", "Early minutes", "Early agenda",
                                          "Loose reading")]
    assert positions == sorted(positions)
    page = client.get(f"/materials?meeting={early.id}&kind=").get_data(as_text=True)
    assert "Early agenda" in page and "Early minutes" in page and "Late agenda" not in page
    page = client.get("/materials?meeting=&kind=minutes").get_data(as_text=True)
    assert "Early minutes" in page and "Early agenda" not in page
    # Nonsense in the address shows everything rather than failing.
    assert client.get("/materials?meeting=abc&kind=<x>&page=-1").status_code == 200


def test_the_meeting_filter_offers_only_meetings_with_something_to_read(as_role, program,
                                                                        people):
    facilitator = people["facilitator"]
    with_agenda = make_meeting(program, facilitator, days=3, title="Session with an agenda")
    with_draft = make_meeting(program, facilitator, days=10, title="Session with a draft")
    make_meeting(program, facilitator, days=17, title="Session with nothing yet")
    make_document(program, facilitator, kind=DocumentKind.AGENDA, meeting=with_agenda,
                  title="Published agenda")
    make_document(program, facilitator, kind=DocumentKind.AGENDA, meeting=with_draft,
                  title="Draft agenda", publish=False)

    member_page = as_role("member").get("/materials").get_data(as_text=True)
    assert "Session with an agenda" in member_page
    assert "Session with a draft" not in member_page
    assert "Session with nothing yet" not in member_page
    staff_page = as_role("facilitator").get("/materials").get_data(as_text=True)
    assert "Session with a draft" in staff_page
    assert "Session with nothing yet" not in staff_page
    # Attaching a new agenda still offers every meeting.
    form = as_role("facilitator").get("/materials/new").get_data(as_text=True)
    assert "Session with nothing yet" in form


def test_materials_page_makes_the_same_number_of_queries_for_many_documents(
        app, as_role, program, people):
    facilitator = people["facilitator"]

    def add(count):
        for n in range(count):
            meeting = make_meeting(program, facilitator, days=n + 1, title=f"Session {n}")
            document = make_document(program, facilitator, kind=DocumentKind.AGENDA,
                                     meeting=meeting, title=f"Agenda {n}")
            add_version(document, facilitator, "es", f"Orden {n}")

    client = as_role("member")
    add(2)
    few = queries_for(app, client, "/materials")
    add(12)
    many = queries_for(app, client, "/materials")
    assert many == few, (few, many)
    assert few > 5


def test_materials_come_in_pages(app, as_role, program, people, monkeypatch):
    monkeypatch.setitem(app.config, "DOCUMENTS_PER_PAGE", 2)
    for n in range(5):
        make_document(program, people["facilitator"], title=f"Reading number {n}",
                      now=utcnow() - timedelta(days=n))
    client = as_role("member")
    first = client.get("/materials?kind=reading").get_data(as_text=True)
    assert first.count("Reading number") == 2 and "Reading number 0" in first
    assert "/materials?page=2&amp;kind=reading" in first
    third = client.get("/materials?page=3&kind=reading").get_data(as_text=True)
    assert third.count("Reading number") == 1 and "Reading number 4" in third
    nonsense = client.get("/materials?meeting=abc")
    assert nonsense.status_code == 200
    assert "<title>Error:" not in nonsense.get_data(as_text=True)
