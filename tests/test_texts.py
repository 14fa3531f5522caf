"""Texts: numbers in E.164, the consent ledger, the ways each person chose,
quiet hours, segments, replies that answer, STOP/START/HELP in each language,
signed webhooks, delivery reports, Twilio's SDK against a local stand-in for
its API, and the staff's call list."""

from __future__ import annotations

import base64
import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from portal.auth.models import Role, User
from portal.db import db, utcnow
from portal.meetings.models import MeetingFormat, Response, Rsvp
from portal.meetings.services import Needs, queue_reminders, rsvp_for_meeting
from portal.outbox.models import Channel, OutboxMessage, OutboxStatus
from portal.outbox.services import notify, send_queued_messages
from portal.texts.call_list import CallReason, call_list
from portal.texts.models import ConsentSource, InboundText, ReachBy, TextConsent
from portal.texts.phones import NotAPhoneNumber, takes_texts, to_e164
from portal.texts.segments import count_segments
from portal.texts.services import after_quiet_hours, choose_ways, record_consent
from tests.conftest import make_person, sign_in
from tests.test_meetings import make_meeting

AUTH_TOKEN = "test-auth-token-0123456789abcdef"  # noqa: S105 - a test token
ACCOUNT_SID = "AC" + "0" * 32
FROM_NUMBER = "+16175550100"
NEW_YORK = "America/New_York"


@pytest.fixture
def texting(app, data_app, monkeypatch):
    """Texts on, printed to the console, with a known auth token for signing webhooks."""
    for each in (app, data_app):
        monkeypatch.setitem(each.config, "SMS_BACKEND", "console")
        monkeypatch.setitem(each.config, "TWILIO_AUTH_TOKEN", AUTH_TOKEN)
        monkeypatch.setitem(each.config, "TWILIO_ACCOUNT_SID", ACCOUNT_SID)
        monkeypatch.setitem(each.config, "TWILIO_FROM_NUMBER", FROM_NUMBER)
        monkeypatch.setitem(each.config, "STAFF_CONTACT", "617-555-0100")


def texter(program, *, name="Djenaba Monteiro", language="kea", phone="617-555-0178",
           reach_by=ReachBy.TEXT, email=None):
    person = make_person(program, Role.MEMBER, name=name, language=language, email=email,
                         username=None if email else name.split()[0].lower())
    person.phone = to_e164(phone)
    choose_ways(person, reach_by, ConsentSource.PROFILE, utcnow())
    db.session.commit()
    return person


def texts_to(person) -> list[OutboxMessage]:
    db.session.expire_all()
    return db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.recipient_id == person.id, OutboxMessage.channel == Channel.TEXT)
        .order_by(OutboxMessage.id)).all()


def signed_post(client, path, fields, token=AUTH_TOKEN):
    signature = RequestValidator(token).compute_signature("http://portal.test" + path, fields)
    return client.post(path, data=fields, headers={"X-Twilio-Signature": signature})


def text_in(client, person_or_number, body, sid=None):
    number = person_or_number if isinstance(person_or_number, str) else person_or_number.phone
    text_in.counter += 1
    fields = {"From": number, "To": FROM_NUMBER, "Body": body,
              "MessageSid": sid or f"SM{text_in.counter:032d}", "AccountSid": ACCOUNT_SID}
    return signed_post(client, "/sms/inbound", fields)


text_in.counter = 0


def reply_of(response) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/xml"
    body = response.get_data(as_text=True)
    return body.split("<Message>", 1)[1].split("</Message>", 1)[0] if "<Message>" in body else ""


# Numbers ----------------------------------------------------------------------

def test_numbers_are_stored_in_e164_with_the_us_as_home():
    assert to_e164("617-555-0141") == "+16175550141"
    assert to_e164("(617) 555 0141") == "+16175550141"
    assert to_e164("+44 20 7946 0958") == "+442079460958"
    for bad in ("555-0141", "12", "call me", ""):
        with pytest.raises(NotAPhoneNumber):
            to_e164(bad)
    assert takes_texts("+16175550141")
    assert not takes_texts("+442079460958")  # a London landline
    assert not takes_texts(None)


def test_profile_says_when_a_number_cannot_take_texts(app, program, texting):
    person = make_person(program, Role.MEMBER, name="Mo Member")
    client = app.test_client()
    sign_in(client, person)
    form = {"name": "Mo Member", "preferred_language": "en", "email": person.email,
            "childcare_children": "0", "reach_by": "text"}
    page = client.post("/profile/", data={**form, "phone": "555-0141"}).get_data(as_text=True)
    assert "Enter a phone number with its area code, like 617-555-0141." in page
    page = client.post("/profile/", data={**form, "phone": "+44 20 7946 0958"})
    assert "enter a mobile phone number that can receive them" in page.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, person.id).reach_by == ReachBy.EMAIL
    assert db.session.scalar(select(func.count(TextConsent.id))) == 0
    response = client.post("/profile/", data={**form, "phone": "617 555 0141"})
    assert response.status_code == 302
    db.session.expire_all()
    saved = db.session.get(User, person.id)
    assert (saved.phone, saved.reach_by, saved.texts_allowed) == (
        "+16175550141", ReachBy.TEXT, True)
    (line,) = db.session.scalars(select(TextConsent)).all()
    assert (line.given, line.source, line.phone) == (True, ConsentSource.PROFILE, "+16175550141")
    assert "(617) 555-0141" in client.get("/profile/").get_data(as_text=True)


def test_texts_are_not_offered_where_the_portal_cannot_send_them(app, program):
    person = make_person(program, Role.MEMBER, name="Mo Member")
    client = app.test_client()
    sign_in(client, person)
    page = client.get("/profile/").get_data(as_text=True)
    assert 'value="neither"' in page and 'value="text"' not in page


# The consent ledger -------------------------------------------------------------

def test_the_ledger_keeps_every_change_and_who_recorded_it(app, program, people, texting):
    person = texter(program)
    now = utcnow()
    record_consent(person, True, ConsentSource.PROFILE, now)  # the same answer: no line
    choose_ways(person, ReachBy.NEITHER, ConsentSource.PAPER, now, actor=people["admin"])
    db.session.commit()
    lines = db.session.scalars(select(TextConsent).order_by(TextConsent.id)).all()
    assert [(line.given, line.source, line.recorded_by_id) for line in lines] == [
        (True, ConsentSource.PROFILE, None), (False, ConsentSource.PAPER, people["admin"].id)]
    assert not person.texts_allowed


def test_staff_record_consent_given_on_paper_with_their_name(app, program, people, texting):
    person = make_person(program, Role.MEMBER, name="Paper Person", username="paper",
                         email=None)
    client = app.test_client()
    sign_in(client, people["admin"])
    response = client.post(f"/admin/people/{person.id}", data={
        "name": "Paper Person", "preferred_language": "ht", "username": "paper",
        "phone": "617-555-0199", "reach_by": "text", "roles": ["member"]})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    (line,) = db.session.scalars(select(TextConsent)).all()
    assert (line.source, line.recorded_by_id, line.phone) == (
        ConsentSource.PAPER, people["admin"].id, "+16175550199")
    page = client.get(f"/admin/people/{person.id}").get_data(as_text=True)
    assert "recorded by staff" in page


# The ways a person chose ---------------------------------------------------------

@pytest.mark.parametrize(("reach_by", "channels"), [
    (ReachBy.EMAIL, [Channel.EMAIL]),
    (ReachBy.TEXT, [Channel.TEXT]),
    (ReachBy.BOTH, [Channel.EMAIL, Channel.TEXT]),
    (ReachBy.NEITHER, []),
])
def test_each_message_goes_by_the_ways_the_person_chose(app, program, people, texting,
                                                       reach_by, channels):
    person = texter(program, email="chooser@example.org", reach_by=reach_by)
    meeting = make_meeting(program, people["facilitator"])
    queued = notify(person, "seat_available", meeting=meeting, link="http://portal.test/m")
    db.session.commit()
    assert [message.channel for message in queued] == channels


def test_a_stopped_member_gets_no_text(app, program, people, texting):
    person = texter(program)
    record_consent(person, False, ConsentSource.REPLY, utcnow())
    meeting = make_meeting(program, people["facilitator"])
    assert notify(person, "meeting_changed", meeting=meeting, link="x") == []


def test_everything_the_portal_tells_members_has_a_short_text(app, program, people, texting):
    """Reminders, changes, cancellations, a freed seat, new materials, translations
    and payments all have a text form that names the meeting and its place."""
    from flask import render_template
    from flask_babel import force_locale

    person = texter(program, language="en")
    meeting = make_meeting(program, people["facilitator"], title="Design session")
    with force_locale("en"):
        for template in ("meeting_reminder", "meeting_changed", "meeting_cancelled",
                         "seat_available"):
            text = render_template(f"text/{template}.txt", recipient=person, meeting=meeting,
                                   link="http://portal.test/meetings/1")
            assert "Design session" in text and "City Hall, 801" in text, template
    reminder = notify(person, "meeting_reminder", meeting=meeting, link="http://portal.test/m")
    assert "Reply 1 in person, 2 online, 3 can't come." in reminder[0].body


# Quiet hours -------------------------------------------------------------------

def at(local: str) -> datetime:
    return datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(NEW_YORK)).astimezone(UTC)


@pytest.mark.parametrize(("sent", "due"), [
    ("2026-12-02 14:00", "2026-12-02 14:00"),
    ("2026-12-02 21:30", "2026-12-03 08:00"),
    ("2026-12-03 02:00", "2026-12-03 08:00"),
    ("2026-12-03 07:59", "2026-12-03 08:00"),
    ("2026-12-03 08:00", "2026-12-03 08:00"),
    # The night the clocks go forward: morning is still 8:00 local.
    ("2027-03-13 23:00", "2027-03-14 08:00"),
])
def test_texts_wait_for_the_morning(sent, due):
    from datetime import time

    assert after_quiet_hours(at(sent), NEW_YORK, (time(21), time(8))) == at(due)


def test_a_text_queued_at_night_waits_but_a_late_cancellation_does_not(
        app, program, people, texting, monkeypatch):
    import portal.outbox.services as outbox

    person = texter(program)
    soon = make_meeting(program, people["facilitator"], starts_in=timedelta(hours=10))
    later = make_meeting(program, people["facilitator"], starts_in=timedelta(days=3))
    night = at("2026-12-02 23:30")
    monkeypatch.setattr(outbox, "utcnow", lambda: night)
    (urgent,) = notify(person, "meeting_cancelled", meeting=soon, link="x")
    soon.starts_at = night + timedelta(hours=10)
    later.starts_at = night + timedelta(days=3)
    (urgent,) = notify(person, "meeting_cancelled", meeting=soon, link="x")
    (waits,) = notify(person, "meeting_cancelled", meeting=later, link="x")
    assert urgent.next_attempt_at == night
    assert waits.next_attempt_at == at("2026-12-03 08:00")


# Segments ---------------------------------------------------------------------

def test_typographic_characters_do_not_make_a_text_ucs2():
    from portal.texts.segments import plain_for_texts

    babel_time = "6:00\u202fPM\u20138:00\u202fPM, it\u2019s"
    assert count_segments(babel_time).encoding == "UCS-2"
    assert plain_for_texts(babel_time) == "6:00 PM-8:00 PM, it's"
    assert count_segments(plain_for_texts(babel_time)).encoding == "GSM-7"


def test_segments_count_gsm_and_ucs2_as_phones_do():
    assert count_segments("a" * 160) == count_segments("a" * 160)
    assert (count_segments("a" * 160).encoding, count_segments("a" * 160).count) == ("GSM-7", 1)
    assert count_segments("a" * 161).count == 2
    assert count_segments("a" * 306).count == 2 and count_segments("a" * 307).count == 3
    assert count_segments("€" * 80).count == 1 and count_segments("€" * 81).count == 2
    assert count_segments("ó" * 70).encoding == "UCS-2"
    assert count_segments("ó" * 70).count == 1 and count_segments("ó" * 71).count == 2
    assert count_segments("会" * 134).count == 2 and count_segments("会" * 135).count == 3
    assert count_segments("😀" * 35).count == 1  # two UTF-16 units each


# A reminder of a hybrid meeting on Wednesday 16 December 2026, 6–8 pm at "Boston
# City Hall, Room 806", with a 38-character link: (encoding, units, segments) in each
# language. Latin scripts with letters outside GSM 03.38 (á, í, ư, ê, è…) and every
# non-Latin script go as UCS-2, where 70 units fit one segment and 67 each part.
REMINDER_SEGMENTS = {
    "en": ("GSM-7", 184, 2), "es": ("UCS-2", 200, 3), "ht": ("GSM-7", 181, 2),
    "zh_Hant": ("UCS-2", 144, 3), "zh_Hans": ("UCS-2", 141, 3), "vi": ("UCS-2", 191, 3),
    "ru": ("UCS-2", 180, 3), "kea": ("GSM-7", 195, 2), "ar": ("UCS-2", 184, 3),
    "pt_BR": ("UCS-2", 194, 3), "fr": ("GSM-7", 177, 2),
}


def test_a_reminder_costs_few_segments_in_every_language(app, program, people, texting):
    from portal.i18n import LANGUAGES
    from portal.meetings.services import local_instant

    facilitator = people["facilitator"]
    meeting = make_meeting(program, facilitator, title="Design session 3")
    meeting.starts_at = local_instant(datetime(2026, 12, 16).date(),
                                      datetime(2026, 12, 16, 18).time(), NEW_YORK)
    meeting.ends_at = meeting.starts_at + timedelta(hours=2)
    meeting.venue, meeting.room = "Boston City Hall", "Room 806"
    found = {}
    for language in LANGUAGES:
        person = texter(program, language=language.code, name=f"Reader {language.code}",
                        email=f"reader.{language.code.lower()}@example.org",
                        phone=f"617-555-01{len(found):02d}")
        (text,) = notify(person, "meeting_reminder", meeting=meeting,
                         link="https://portal.example.org/meetings/12")
        segments = count_segments(text.body)
        found[language.code] = (segments.encoding, segments.units, segments.count)
        assert text.segments == segments.count
    assert found == REMINDER_SEGMENTS


# Replies that answer -------------------------------------------------------------

def reminded(program, people, person, **meeting_options):
    meeting = make_meeting(program, people["facilitator"], starts_in=timedelta(hours=20),
                           **meeting_options)
    queue_reminders(utcnow(), timedelta(hours=24))
    return meeting


def test_a_reply_answers_the_reminder_in_the_members_language(app, client, program, people,
                                                             texting):
    person = texter(program, language="es", name="Rosa Delgado")
    meeting = reminded(program, people, person)
    (reminder,) = texts_to(person)
    assert reminder.meeting_id == meeting.id
    reply = reply_of(text_in(client, person, " 2 "))
    db.session.expire_all()
    rsvp = db.session.scalars(select(Rsvp).where(Rsvp.user_id == person.id)).one()
    assert rsvp.response == Response.VIRTUAL
    assert "Design session" in reply
    assert reply != ""
    member = app.test_client()
    sign_in(member, person)
    page = member.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    import re

    (checked,) = [tag for tag in re.findall(r"<input[^>]*>", page)
                  if 'name="response"' in tag and " checked" in tag]
    assert 'value="virtual"' in checked


def test_reply_digits_from_an_arabic_keyboard_count(app, client, program, people, texting):
    person = texter(program, language="ar", name="Amina Haddad")
    reminded(program, people, person)
    reply_of(text_in(client, person, "٣"))
    db.session.expire_all()
    assert db.session.scalars(select(Rsvp.response).where(Rsvp.user_id == person.id)).one() \
        == Response.NOT_ATTENDING


def test_a_full_room_puts_a_texter_on_the_waitlist_and_says_their_place(
        app, client, program, people, texting):
    person = texter(program, language="en")
    meeting = reminded(program, people, person, capacity=1)
    rsvp_for_meeting(people["member"], meeting, Response.IN_PERSON, Needs(), utcnow())
    db.session.commit()
    reply = reply_of(text_in(client, person, "1"))
    db.session.expire_all()
    rsvp = db.session.scalars(select(Rsvp).where(Rsvp.user_id == person.id)).one()
    assert rsvp.response == Response.WAITLISTED
    assert "number 1 on the waitlist" in reply
    assert "Reply 2 to join online instead." in reply


def test_a_reply_after_the_deadline_changes_nothing_and_says_why(app, client, program,
                                                                 people, texting):
    person = texter(program, language="en")
    reminded(program, people, person, deadline_before=timedelta(days=1))
    reply = reply_of(text_in(client, person, "1"))
    assert "Answers are closed" in reply
    assert db.session.scalar(select(func.count(Rsvp.id))) == 0


def test_an_online_only_meeting_refuses_in_person_by_text(app, client, program, people,
                                                         texting):
    person = texter(program, language="en")
    reminded(program, people, person, format=MeetingFormat.VIRTUAL)
    reply = reply_of(text_in(client, person, "1"))
    assert "This meeting is online only." in reply
    assert "Reply 2 if you are joining online" in reply
    assert db.session.scalar(select(func.count(Rsvp.id))) == 0


def test_unknown_replies_get_short_help(app, client, program, people, texting):
    person = texter(program, language="en")
    reply = reply_of(text_in(client, person, "maybe?"))
    assert "did not understand" in reply and len(reply) <= 160


def test_a_retried_webhook_is_answered_once(app, client, program, people, texting):
    person = texter(program, language="en")
    meeting = reminded(program, people, person, capacity=1)
    first = reply_of(text_in(client, person, "1", sid="SM" + "7" * 32))
    # The member changes their mind by web; the provider then retries the old text.
    rsvp_for_meeting(person, meeting, Response.NOT_ATTENDING, Needs(), utcnow())
    db.session.commit()
    again = reply_of(text_in(client, person, "1", sid="SM" + "7" * 32))
    assert again == first
    db.session.expire_all()
    assert db.session.scalars(select(Rsvp.response).where(Rsvp.user_id == person.id)).one() \
        == Response.NOT_ATTENDING
    assert db.session.scalar(select(func.count(InboundText.id))) == 1


# STOP, START, HELP ----------------------------------------------------------------

@pytest.mark.parametrize(("language", "word"), [
    ("en", "STOP"), ("en", "unsubscribe"), ("es", "Parar"), ("ht", "SISPANN"),
    ("fr", "Arrêt"), ("vi", "DỪNG"), ("ru", "Стоп"), ("ar", "توقف"), ("zh_Hans", "退订"),
    ("zh_Hant", "退訂"), ("pt_BR", "parar"), ("kea", "PARA"),
])
def test_stop_in_each_language_turns_texts_off_at_once(app, client, program, people, texting,
                                                       language, word):
    person = texter(program, language=language)
    reply = reply_of(text_in(client, person, word))
    assert reply
    db.session.expire_all()
    person = db.session.get(User, person.id)
    assert not person.texts_allowed
    line = db.session.scalars(select(TextConsent).order_by(TextConsent.id.desc())).first()
    assert (line.given, line.source) == (False, ConsentSource.REPLY)
    meeting = make_meeting(program, people["facilitator"])
    assert notify(person, "meeting_changed", meeting=meeting, link="x") == []
    # The member and staff see it.
    member = app.test_client()
    sign_in(member, person)
    assert "STOP" in member.get("/profile/").get_data(as_text=True)
    staff = app.test_client()
    sign_in(staff, people["facilitator"])
    page = staff.get(f"/meetings/{meeting.id}/call-list").get_data(as_text=True)
    assert person.name in page


def test_start_turns_texts_back_on_and_help_says_who_runs_them(app, client, program, people,
                                                              texting):
    person = texter(program, language="en")
    reply_of(text_in(client, person, "STOP"))
    reply = reply_of(text_in(client, person, "start"))
    db.session.expire_all()
    assert db.session.get(User, person.id).texts_allowed
    assert "on again" in reply
    help_reply = reply_of(text_in(client, person, "HELP"))
    assert "Community-Led Design Group" in help_reply and "617-555-0100" in help_reply
    stranger = reply_of(text_in(client, "+16175550111", "1"))
    assert "617-555-0100" in stranger  # a number nobody has: who runs this, nothing changed
    assert db.session.scalar(select(func.count(Rsvp.id))) == 0


# Signed webhooks --------------------------------------------------------------------

def table_counts():
    db.session.expire_all()
    return {model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Rsvp, TextConsent, InboundText, OutboxMessage, User)}


@pytest.mark.parametrize("signature", [None, "", "bm90IGEgc2lnbmF0dXJl", "wrong-token"])
def test_an_unsigned_or_badly_signed_webhook_is_refused_and_changes_nothing(
        app, client, program, people, texting, signature):
    person = texter(program, language="en")
    reminded(program, people, person)
    before = table_counts()
    fields = {"From": person.phone, "To": FROM_NUMBER, "Body": "STOP",
              "MessageSid": "SM" + "9" * 32}
    if signature == "wrong-token":
        response = signed_post(client, "/sms/inbound", fields, token="another-token")
    else:
        headers = {} if signature is None else {"X-Twilio-Signature": signature}
        response = client.post("/sms/inbound", data=fields, headers=headers)
    assert response.status_code == 403
    assert table_counts() == before
    assert db.session.get(User, person.id).texts_allowed


def test_a_signature_for_other_fields_is_refused(app, client, program, people, texting):
    person = texter(program, language="en")
    fields = {"From": person.phone, "To": FROM_NUMBER, "Body": "HELP", "MessageSid": "SM1"}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(
        "http://portal.test/sms/inbound", fields)
    response = client.post("/sms/inbound", data={**fields, "Body": "STOP"},
                           headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403
    assert db.session.get(User, person.id).texts_allowed


# Twilio's SDK against a stand-in for its API --------------------------------------------

class StandInApi(BaseHTTPRequestHandler):
    """Answers POST /2010-04-01/Accounts/<sid>/Messages.json as the provider does."""

    received: list = []
    fail_with: int | None = None

    def do_POST(self):  # noqa: N802 - the standard library's name
        length = int(self.headers["Content-Length"])
        fields = {key: values[0] for key, values in
                  parse_qs(self.rfile.read(length).decode()).items()}
        auth = base64.b64decode(self.headers["Authorization"].split()[1]).decode()
        type(self).received.append((self.path, auth, fields))
        if type(self).fail_with:
            body = {"code": 21211, "message": "The 'To' number is not valid.",
                    "status": type(self).fail_with}
            self.send_response(type(self).fail_with)
        else:
            body = {"sid": f"SM{len(type(self).received):032d}", "status": "queued",
                    "to": fields["To"], "from": fields["From"], "body": fields["Body"],
                    "num_segments": "1", "account_sid": ACCOUNT_SID}
            self.send_response(201)
        payload = json.dumps(body).encode()
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def provider(app, data_app, texting, monkeypatch):
    StandInApi.received, StandInApi.fail_with = [], None
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandInApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    for each in (app, data_app):
        monkeypatch.setitem(each.config, "SMS_BACKEND", "twilio")
        monkeypatch.setitem(each.config, "TWILIO_API_BASE",
                            f"http://127.0.0.1:{server.server_address[1]}")
    yield StandInApi
    server.shutdown()
    server.server_close()


def test_texts_go_out_through_twilios_sdk(app, client, program, people, provider):
    person = texter(program, language="ht", name="Widline Joseph")
    reminded(program, people, person)
    # (The other members' reminders are emails, which this test's mail server refuses.)
    send_queued_messages(now=utcnow() + timedelta(hours=12))
    ((path, auth, fields),) = provider.received
    assert path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert auth == f"{ACCOUNT_SID}:{AUTH_TOKEN}"
    assert fields["To"] == "+16175550178" and fields["From"] == FROM_NUMBER
    assert fields["StatusCallback"] == "http://portal.test/sms/status"
    (message,) = texts_to(person)
    assert message.status == OutboxStatus.SENT and message.provider_id.startswith("SM")
    assert fields["Body"] == message.body
    # The delivery report marks it failed, and the member goes on the call list.
    meeting_id = message.meeting_id
    response = signed_post(client, "/sms/status", {
        "MessageSid": message.provider_id, "MessageStatus": "undelivered",
        "AccountSid": ACCOUNT_SID})
    assert response.status_code == 204
    (message,) = texts_to(person)
    assert message.delivery_status == "undelivered"
    from portal.meetings.models import Meeting

    (entry,) = call_list(db.session.get(Meeting, meeting_id))
    assert entry.member.id == person.id and entry.reasons == [CallReason.TEXT_FAILED]


def test_a_refused_text_stays_queued_and_is_tried_again(app, program, people, provider):
    person = texter(program, language="en")
    reminded(program, people, person)
    provider.fail_with = 400
    send_queued_messages(now=utcnow() + timedelta(hours=12))
    assert len(provider.received) == 1
    (message,) = texts_to(person)
    assert message.status == OutboxStatus.QUEUED and "not valid" in message.last_error


def test_an_unsigned_delivery_report_changes_nothing(app, client, program, people, provider):
    person = texter(program, language="en")
    reminded(program, people, person)
    send_queued_messages(now=utcnow() + timedelta(hours=12))
    (message,) = texts_to(person)
    response = client.post("/sms/status", data={"MessageSid": message.provider_id,
                                                "MessageStatus": "failed"})
    assert response.status_code == 403
    (message,) = texts_to(person)
    assert message.delivery_status == "queued"


# The call list ------------------------------------------------------------------

def test_the_call_list_shows_whom_no_channel_reaches(app, program, people, texting):
    reached = texter(program, name="Texts Fine", language="en")
    calls = texter(program, name="Calls Only", language="ru", reach_by=ReachBy.NEITHER,
                   phone="617-555-0187")
    no_email = make_person(program, Role.MEMBER, name="No Email", username="noemail",
                           email=None, language="kea")
    meeting = make_meeting(program, people["facilitator"])
    listed = {entry.member.name: entry.reasons for entry in call_list(meeting)}
    assert listed == {"Calls Only": [CallReason.CHOSE_CALLS],
                      "No Email": [CallReason.NO_CHANNEL]}
    assert reached.name not in listed and calls.name in listed
    staff = app.test_client()
    sign_in(staff, people["facilitator"])
    page = staff.get(f"/meetings/{meeting.id}/call-list").get_data(as_text=True)
    assert "(617) 555-0187" in page and "Русский" in page or "Russian" in page
    assert no_email.name in page
    member = app.test_client()
    sign_in(member, people["member"])
    assert member.get(f"/meetings/{meeting.id}/call-list").status_code == 403


def test_the_demo_reply_command_answers_like_a_text(app, program, people, texting):
    person = texter(program, language="en")
    meeting = reminded(program, people, person)
    result = app.test_cli_runner().invoke(args=["texts", "receive", "--from", "617-555-0178",
                                                "3"])
    assert result.exit_code == 0, result.output
    assert "can't come" in result.output
    db.session.expire_all()
    assert db.session.scalars(select(Rsvp.response).where(
        Rsvp.user_id == person.id, Rsvp.meeting_id == meeting.id)).one() \
        == Response.NOT_ATTENDING


def test_the_roster_download_writes_phones_as_people_read_them(app, program, people, texting):
    """E.164 starts with "+", which a spreadsheet would take for a formula (and the
    guard would mark with an apostrophe); the roster writes the number as dialled."""
    texter(program, language="en")
    meeting = make_meeting(program, people["facilitator"])
    staff = app.test_client()
    sign_in(staff, people["facilitator"])
    text = staff.get(f"/meetings/{meeting.id}/roster.csv").get_data(as_text=True)
    assert "(617) 555-0178" in text and "+1617" not in text and "'+" not in text


def test_email_cannot_be_chosen_without_an_address(app, program, people, texting):
    """A member without email who picks "by email" would hear nothing at all."""
    person = texter(program, name="Djenaba Monteiro", language="kea")
    client = app.test_client()
    sign_in(client, person)
    form = {"name": person.name, "preferred_language": "kea", "email": "",
            "phone": "617-555-0178", "childcare_children": "0", "reach_by": "email"}
    page = client.post("/profile/", data=form).get_data(as_text=True)
    assert 'href="#reach_by"' in page  # in the error summary
    db.session.expire_all()
    assert db.session.get(User, person.id).reach_by == ReachBy.TEXT
    admin = app.test_client()
    sign_in(admin, people["admin"])
    response = admin.post("/admin/people/new", data={
        "name": "Mariam Yusuf", "preferred_language": "ar", "username": "mariam",
        "phone": "617-555-0190", "reach_by": "email", "roles": ["member"]})
    assert response.status_code == 200 and 'href="#reach_by"' in response.get_data(as_text=True)
    assert db.session.scalars(select(User).where(User.username == "mariam")).first() is None
