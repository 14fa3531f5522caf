"""Calendar feeds (iCalendar, RFC 5545) in the reader's language."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from email.utils import parseaddr
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar, Event, Timezone, vCalAddress, vText
from sqlalchemy import select

from portal.auth.models import User, hash_token
from portal.db import db
from portal.meetings.models import CalendarFeed, Meeting, MeetingStatus, Response, Rsvp
from portal.meetings.waitlist import my_waitlist_places
from portal.outbox.services import external_url


def issue_feed_token(user: User) -> str:
    """A new private feed address for a person; the old one stops working."""
    raw = secrets.token_urlsafe(32)
    feed = db.session.get(CalendarFeed, user.id)
    if feed is None:
        feed = CalendarFeed(user_id=user.id, token_hash=hash_token(raw))
        db.session.add(feed)
    else:
        feed.token_hash = hash_token(raw)
    return raw


def webcal_link(address: str) -> str:
    """The feed's address with the webcal: scheme, which opens the calendar app's
    subscribe dialog directly (Apple Calendar, Outlook, most phone calendars)."""
    scheme, _, rest = address.partition("://")
    return "webcal://" + rest if scheme in ("http", "https") else address


def user_for_feed_token(raw: str) -> User | None:
    feed = db.session.scalars(
        select(CalendarFeed).where(CalendarFeed.token_hash == hash_token(raw))
    ).first()
    if feed is None:
        return None
    user = db.session.get(User, feed.user_id)
    return user if user is not None and user.active else None


def response_label(response: Response | None, place: int | None = None) -> str:
    if response == Response.WAITLISTED and place:
        return _("You are number %(place)d on the waitlist.", place=place)
    return {
        Response.IN_PERSON: _("You said: I will come in person."),
        Response.VIRTUAL: _("You said: I will join online."),
        Response.NOT_ATTENDING: _("You said: I cannot come."),
        Response.WAITLISTED: _("You are on the waitlist for an in-person seat."),
    }.get(response, _("You have not answered yet."))


def meeting_location(meeting: Meeting, language: str = "en") -> str:
    """The place and room in `language` where staff wrote them, or the original's."""
    words = meeting.words_for(language)
    if words.venue:
        return ", ".join(part.text for part in (words.venue, words.room) if part)
    return _("Online")


def _event(meeting: Meeting, rsvp: Rsvp | None, language: str, stamp: datetime,
           place: int | None = None) -> Event:
    zone = ZoneInfo(meeting.program.timezone)
    text = meeting.text_for(language)
    # A title-only translation must not hide the original's description.
    description = meeting.words_for(language).description
    lines = [description.text if description else "",
             response_label(rsvp.response if rsvp else None, place)]
    if meeting.join_link and not meeting.is_cancelled:
        lines.append(_("Join online: %(link)s", link=meeting.join_link))
    lines.append(external_url("meetings.meeting", meeting_id=meeting.id))
    event = Event()
    event.add("uid", meeting.ical_uid)
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", stamp)
    event.add("last-modified", meeting.updated_at)
    event.add("dtstart", meeting.starts_at.astimezone(zone))
    event.add("dtend", meeting.ends_at.astimezone(zone))
    event.add("summary", text.title)
    event.add("description", "\n\n".join(line for line in lines if line))
    event.add("location", meeting_location(meeting, language))
    event.add("url", external_url("meetings.meeting", meeting_id=meeting.id))
    event.add("status", "CANCELLED" if meeting.status == MeetingStatus.CANCELLED
              else "CONFIRMED")
    event.add("organizer", _organizer(meeting))
    return event


def _organizer(meeting: Meeting) -> vCalAddress:
    """RFC 5546 asks every published event for an ORGANIZER: the program, reached at the
    portal's sending address."""
    organizer = vCalAddress("mailto:" + parseaddr(current_app.config["MAIL_FROM"])[1])
    organizer.params["cn"] = vText(meeting.program.name)
    return organizer


def build_calendar(user: User, meetings: list[Meeting], stamp: datetime,
                   name: str) -> bytes:
    """An iCalendar file of `meetings` for `user`, in their language."""
    rsvps = {r.meeting_id: r for r in db.session.scalars(
        select(Rsvp).where(Rsvp.user_id == user.id,
                           Rsvp.meeting_id.in_([m.id for m in meetings])))} if meetings else {}
    places = my_waitlist_places(user, [meeting_id for meeting_id, rsvp in rsvps.items()
                                       if rsvp.response == Response.WAITLISTED])
    language = user.preferred_language
    calendar = Calendar()
    calendar.add("prodid", "-//Design Group Portal//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    with force_locale(language):
        zones = sorted({m.program.timezone for m in meetings})
        if meetings:
            first = min(m.starts_at for m in meetings).date() - timedelta(days=366)
            last = max(m.ends_at for m in meetings).date() + timedelta(days=366)
            for zone in zones:
                calendar.add_component(Timezone.from_tzid(zone, first_date=first, last_date=last))
            calendar.add("x-wr-timezone", zones[0])
        for meeting in meetings:
            calendar.add_component(_event(meeting, rsvps.get(meeting.id), language, stamp,
                                          places.get(meeting.id)))
    return calendar.to_ical()
