"""A meeting in each member's language: description, place and access notes fall back
to the original with a notice and a request button, as materials do."""

from __future__ import annotations

from sqlalchemy import select

from portal.db import db, utcnow
from portal.meetings.models import Meeting
from portal.meetings.services import set_meeting_text
from portal.outbox.models import OutboxMessage
from tests.conftest import make_person, sign_in
from tests.test_meetings import make_meeting

DESCRIPTION = "We plan together."


def meeting_with_translated_title_only(program, facilitator) -> Meeting:
    meeting = make_meeting(program, facilitator)
    meeting.accessibility_notes = "Step-free entrance on Congress Street."
    set_meeting_text(facilitator, meeting, "ht", "Sesyon konsepsyon", None)
    db.session.commit()
    return meeting


def test_a_description_missing_in_the_readers_language_shows_the_original(
        client, people, program):
    meeting = meeting_with_translated_title_only(program, people["facilitator"])
    member = make_person(program, people["member"].role_grants[0].role, name="Widline",
                         language="ht")
    sign_in(client, member)
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "Sesyon konsepsyon" in page
    assert f'<div class="description" dir="auto" lang="en">{DESCRIPTION}</div>' in page
    assert 'lang="en">Step-free entrance on Congress Street.</dd>' in page
    # The notice and the button, in Kreyòl, naming the languages in Kreyòl.
    assert 'id="translation-notice"' in page
    assert "<bdi>angle</bdi>" in page
    assert f'action="/meetings/{meeting.id}/translation-requests"' in page


def test_a_reader_of_the_original_sees_no_notice(client, people, program):
    meeting = meeting_with_translated_title_only(program, people["facilitator"])
    sign_in(client, people["member"])
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert DESCRIPTION in page
    assert 'id="translation-notice"' not in page


def test_asking_for_a_meeting_translation_once_and_being_told_when_it_is_ready(
        client, people, program):
    from portal.meetings.models import MeetingTranslationRequest
    from portal.meetings.translations import MeetingTranslation, translate_meeting

    meeting = meeting_with_translated_title_only(program, people["facilitator"])
    member = people["member_es"]
    sign_in(client, member)
    for _ in range(2):
        client.post(f"/meetings/{meeting.id}/translation-requests", data={"language": "es"})
    asked = db.session.scalars(select(MeetingTranslationRequest)).all()
    assert [(r.language, r.requester_id, r.closed_at) for r in asked] == [
        ("es", member.id, None)]
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert 'id="translation-notice"' in page
    assert f'action="/meetings/{meeting.id}/translation-requests"' not in page

    translate_meeting(people["facilitator"], meeting, MeetingTranslation(
        "es", "Sesión de diseño", "Planeamos juntos.", "Alcaldía", "Sala 801",
        "Entrada sin escalones por la calle Congress."), utcnow())
    db.session.commit()
    db.session.expire_all()
    assert db.session.scalars(select(MeetingTranslationRequest)).one().closed_at is not None
    email = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.recipient_id == member.id)).one()
    assert email.language == "es" and "Alcaldía, Sala 801" in email.body
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert 'lang="es">Planeamos juntos.</div>' in page
    assert '<span dir="auto" lang="es">Alcaldía, Sala 801</span>' in page
    assert 'lang="es">Entrada sin escalones por la calle Congress.</dd>' in page
    assert 'id="translation-notice"' not in page


def test_staff_write_place_and_access_notes_on_the_translation_form(as_role, people, program):
    meeting = meeting_with_translated_title_only(program, people["facilitator"])
    staff = as_role("facilitator")
    form = staff.get(f"/meetings/{meeting.id}/translations?language=ht").get_data(as_text=True)
    assert 'name="venue"' in form and 'name="accessibility_notes"' in form
    staff.post(f"/meetings/{meeting.id}/translations", data={
        "language": "ht", "title": "Sesyon konsepsyon", "description": "Nou planifye ansanm.",
        "venue": "Meri Boston", "room": "", "accessibility_notes": "Antre san mach."})
    db.session.expire_all()
    words = db.session.get(Meeting, meeting.id).words_for("ht")
    assert (words.description.text, words.venue.text, words.venue.language,
            words.room.text, words.room.language, words.accessibility_notes.text) == (
        "Nou planifye ansanm.", "Meri Boston", "ht", "801", "en", "Antre san mach.")


def test_the_calendar_shows_the_place_in_the_readers_language(client, people, program):
    from portal.meetings.translations import MeetingTranslation, translate_meeting

    meeting = meeting_with_translated_title_only(program, people["facilitator"])
    translate_meeting(people["facilitator"], meeting, MeetingTranslation(
        "es", "Sesión", None, "Alcaldía de Boston"), utcnow())
    db.session.commit()
    sign_in(client, people["member_es"])
    page = client.get("/calendar").get_data(as_text=True)
    assert '<bdi lang="es">Alcaldía de Boston</bdi>' in page


def test_the_demo_translates_place_and_notes_for_a_few_meetings(app, ctx):
    assert app.test_cli_runner().invoke(args=["seed", "demo"]).exit_code == 0
    meetings = db.session.scalars(select(Meeting).order_by(Meeting.starts_at)).all()
    translated = [m for m in meetings
                  if any(t.venue and t.accessibility_notes for t in m.texts)]
    assert 2 <= len(translated) < len(meetings)
    session = translated[-1]
    assert session.words_for("es").venue.language == "es"
    assert session.words_for("ht").untranslated and session.words_for("ar").untranslated


def test_an_english_address_reads_whole_on_an_arabic_page(client, people, program):
    meeting = meeting_with_translated_title_only(program, people["facilitator"])
    reader = make_person(program, people["member"].role_grants[0].role, name="Amina",
                         language="ar")
    sign_in(client, reader)
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert '<dd><span dir="auto" lang="en">City Hall, 801</span></dd>' in page


def test_the_calendar_file_keeps_the_description_and_gives_the_readers_place(
        client, people, program):
    from icalendar import Calendar

    from portal.meetings.translations import MeetingTranslation, translate_meeting

    meeting = meeting_with_translated_title_only(program, people["facilitator"])
    translate_meeting(people["facilitator"], meeting, MeetingTranslation(
        "es", "Sesión", None, "Alcaldía de Boston", "Sala 801"), utcnow())
    db.session.commit()
    for person, location in ((make_person(program, people["member"].role_grants[0].role,
                                          name="Widline", language="ht"), "City Hall, 801"),
                             (people["member_es"], "Alcaldía de Boston, Sala 801")):
        reader = client.application.test_client()
        sign_in(reader, person)
        event = next(iter(Calendar.from_ical(
            reader.get(f"/meetings/{meeting.id}/meeting.ics").data).walk("VEVENT")))
        assert DESCRIPTION in str(event["description"])
        assert str(event["location"]) == location


def test_staff_read_interpretation_languages_by_name_in_the_roster_file(
        as_role, people, program):
    from portal.meetings.models import Response
    from portal.meetings.services import Needs, rsvp_for_meeting

    meeting = make_meeting(program, people["facilitator"])
    rsvp_for_meeting(people["member"], meeting, Response.VIRTUAL, Needs("ht"), utcnow())
    db.session.commit()
    rows = as_role("facilitator").get(f"/meetings/{meeting.id}/roster.csv").get_data(
        as_text=True)
    assert "Haitian Creole" in rows
