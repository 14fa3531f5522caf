"""Each person's place on a meeting's waitlist, and telling them when it changes."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.auth.models import User
from portal.db import db
from portal.meetings.models import Meeting, Response, Rsvp
from portal.outbox.services import external_url, notify


def _places(meeting_ids):
    """(meeting id, person id, place) for everyone waiting, first come first served:
    the order promote_from_waitlist gives seats in."""
    place = func.row_number().over(partition_by=Rsvp.meeting_id,
                                   order_by=(Rsvp.waitlisted_at, Rsvp.id))
    return (select(Rsvp.meeting_id, Rsvp.user_id, place.label("place"))
            .where(Rsvp.meeting_id.in_(meeting_ids), Rsvp.response == Response.WAITLISTED))


def waitlist_places(meeting: Meeting) -> dict[int, int]:
    """Person id -> place on this meeting's waitlist (1 is next in line)."""
    return {user_id: place for _meeting, user_id, place in db.session.execute(
        _places([meeting.id]))}


def my_waitlist_places(user: User, meeting_ids: list[int]) -> dict[int, int]:
    """Meeting id -> the person's place, for the meetings where they wait; one query."""
    if not meeting_ids:
        return {}
    ranked = _places(meeting_ids).subquery()
    return dict(db.session.execute(
        select(ranked.c.meeting_id, ranked.c.place).where(ranked.c.user_id == user.id)).all())


def tell_new_places(meeting: Meeting, before: dict[int, int]) -> int:
    """Email everyone still waiting whose place changed since `before`, in their
    language. Returns how many were told."""
    moved = {user_id: place for user_id, place in waitlist_places(meeting).items()
             if before.get(user_id) not in (None, place)}
    if not moved:
        return 0
    link = external_url("meetings.meeting", meeting_id=meeting.id)
    told = 0
    for person in db.session.scalars(select(User).where(User.id.in_(moved))):
        if person.active and notify(person, "waitlist_place", meeting=meeting,
                                    place=moved[person.id], link=link):
            told += 1
    return told
