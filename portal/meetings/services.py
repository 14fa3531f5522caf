"""Rules for meetings: scheduling, series, answers and seats, attendance, reminders."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, case, func, select, update
from sqlalchemy.orm import lazyload

from portal.audit.services import record_event
from portal.auth.models import User
from portal.db import db, utcnow
from portal.meetings.answer_mail import queue_answer_confirmation
from portal.meetings.models import (
    Attendance,
    AttendanceStatus,
    Meeting,
    MeetingFormat,
    MeetingReminder,
    MeetingStatus,
    MeetingText,
    Response,
    Rsvp,
)
from portal.meetings.waitlist import tell_new_places, waitlist_places
from portal.outbox.services import external_url, notify
from portal.programs.models import Enrollment, EnrollmentStatus, Program
from portal.rules import RuleError


class MeetingRuleError(RuleError):
    """A meeting or an answer that breaks a rule; `field` names the form field."""


class SeatsFull(Exception):
    """Every in-person seat is taken."""


class AnswersClosed(Exception):
    """The meeting is cancelled, or its answer deadline has passed."""


@dataclass
class MeetingDetails:
    starts_at: datetime
    ends_at: datetime
    format: MeetingFormat
    venue: str | None = None
    room: str | None = None
    accessibility_notes: str | None = None
    join_link: str | None = None
    capacity: int | None = None
    rsvp_deadline: datetime | None = None


@dataclass
class Needs:
    interpretation_language: str | None = None
    childcare_children: int = 0
    transport_help: bool = False
    access_needs: str | None = None

    @classmethod
    def from_profile(cls, user: User) -> Needs:
        return cls(user.interpretation_language, user.childcare_children or 0,
                   bool(user.transport_help), user.access_needs)

    @classmethod
    def of(cls, rsvp: Rsvp | None, user: User) -> Needs:
        """The needs given with an answer, or the person's defaults before they answer."""
        if rsvp is None:
            return cls.from_profile(user)
        return cls(rsvp.interpretation_language, rsvp.childcare_children,
                   rsvp.transport_help, rsvp.access_needs)


class AmbiguousTime(MeetingRuleError):
    """A wall-clock time that happens twice, the night the clocks go back."""


def local_instant(day: date, clock: time, timezone: str, *, field: str = "starts",
                  second_time: bool | None = None) -> datetime:
    """A wall-clock time in the program's zone as an aware datetime (DST-safe).

    Refuses a time the clocks skip (it would be stored an hour off, as 3:30–3:30).
    A time that happens twice needs `second_time` to say which one is meant;
    without it, AmbiguousTime is raised so the form can ask.
    """
    zone = ZoneInfo(timezone)
    moment = datetime.combine(day, clock, tzinfo=zone)
    # A skipped time does not survive the round trip through UTC unchanged.
    if moment.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != moment.replace(
            tzinfo=None):
        raise MeetingRuleError(field, _l(
            "The clocks move forward that night, so this time does not exist on that day. "
            "Choose a time at least an hour later."))
    if moment.replace(fold=1).utcoffset() != moment.utcoffset():
        if second_time is None:
            raise AmbiguousTime("repeated_hour", _l(
                "The clocks go back that night, so this time happens twice. "
                "Choose which one you mean."))
        moment = moment.replace(fold=1 if second_time else 0)
    return moment


def which_repeated_time(instant: datetime, timezone: str) -> bool | None:
    """For a stored time whose local wall-clock time happens twice: True when it is
    the second one, False the first; None for every ordinary time."""
    local = instant.astimezone(ZoneInfo(timezone))
    if local.replace(fold=1 - local.fold).utcoffset() == local.utcoffset():
        return None
    return bool(local.fold)


def check_details(details: MeetingDetails) -> None:
    if details.ends_at <= details.starts_at:
        raise MeetingRuleError("ends", _l("The meeting must end after it starts."))
    if details.format != MeetingFormat.VIRTUAL and not details.venue:
        raise MeetingRuleError("venue", _l("Enter where the meeting takes place."))
    if details.join_link and not details.join_link.startswith(("https://", "http://")):
        raise MeetingRuleError("join_link", _l("Enter a link that starts with https://"))
    if details.rsvp_deadline and details.rsvp_deadline > details.starts_at:
        raise MeetingRuleError(
            "rsvp_deadline", _l("The answer deadline must be before the meeting starts.")
        )


def check_when(program: Program, starts_at: datetime, now: datetime, field: str) -> None:
    """A meeting staff schedule now must start later than now, on a day of the
    program's season."""
    if starts_at <= now:
        raise MeetingRuleError(field, _l(
            "This day and time have already passed. Choose a time that is still to come."))
    day = starts_at.astimezone(ZoneInfo(program.timezone)).date()
    if not program.season_start <= day <= program.season_end:
        raise MeetingRuleError(field, _l("Choose a day within the program's season."))


def scheduled_with(submission_key: str | None) -> Meeting | None:
    """The meeting a filled-in form already scheduled, if it was sent before."""
    if not submission_key:
        return None
    return db.session.scalars(
        select(Meeting).where(Meeting.submission_key == submission_key)).first()


def _apply(meeting: Meeting, details: MeetingDetails) -> None:
    meeting.starts_at = details.starts_at
    meeting.ends_at = details.ends_at
    meeting.format = details.format
    meeting.venue = details.venue if details.format != MeetingFormat.VIRTUAL else None
    meeting.room = details.room if details.format != MeetingFormat.VIRTUAL else None
    meeting.accessibility_notes = details.accessibility_notes
    meeting.join_link = details.join_link if details.format != MeetingFormat.IN_PERSON else None
    meeting.capacity = details.capacity if details.format != MeetingFormat.VIRTUAL else None
    meeting.rsvp_deadline = details.rsvp_deadline


def create_meeting(
    actor: User,
    program: Program,
    details: MeetingDetails,
    *,
    language: str,
    title: str,
    description: str | None,
    series_key: str | None = None,
    submission_key: str | None = None,
    now: datetime | None = None,
) -> Meeting:
    """Schedule a meeting with its title in the language it was written in.

    With `now` (staff scheduling through a form), the meeting must be still to
    come and within the program's season; the demo and tests leave it out to
    set up meetings that are already over. Callers check `scheduled_with` first
    when they pass a `submission_key`.
    """
    check_details(details)
    if now is not None:
        check_when(program, details.starts_at, now, "day")
    meeting = Meeting(
        program=program,
        ical_uid=f"{uuid.uuid4()}@design-group-portal",
        series_key=series_key,
        submission_key=submission_key,
        texts=[MeetingText(language=language, title=title, description=description,
                           is_original=True)],
    )
    _apply(meeting, details)
    db.session.add(meeting)
    db.session.flush()
    record_event(actor, "meeting.created", "meeting", meeting.id, title=title,
                 starts_at=details.starts_at.isoformat())
    return meeting


def series_days(first_day: date, last_day: date, every_weeks: int, skip: set[date]) -> list[date]:
    """Every `every_weeks` weeks from `first_day` up to `last_day`, without the skipped days."""
    days, day = [], first_day
    while day <= last_day:
        if day not in skip:
            days.append(day)
        day += timedelta(weeks=every_weeks)
    return days


def create_series(
    actor: User,
    program: Program,
    *,
    first_day: date,
    last_day: date,
    every_weeks: int,
    starts: time,
    ends: time,
    skip: set[date],
    template: MeetingDetails,
    deadline_days_before: int | None,
    language: str,
    title: str,
    description: str | None,
    second_time: bool | None = None,
    submission_key: str | None = None,
    now: datetime | None = None,
) -> list[Meeting]:
    """Schedule a repeating meeting in one step. Times stay at the same local
    wall-clock time across daylight-saving changes.

    The same rules as `create_meeting` hold for every day; a form sent twice
    (same `submission_key`) returns the series it already scheduled.
    """
    earlier = scheduled_with(submission_key)
    if earlier is not None:
        return list(db.session.scalars(select(Meeting).where(
            Meeting.series_key == earlier.series_key).order_by(Meeting.starts_at)))
    if last_day < first_day:
        raise MeetingRuleError("last_day", _l("The last day must be after the first day."))
    if now is not None and last_day > program.season_end:
        raise MeetingRuleError("last_day", _l("Choose a day within the program's season."))
    days = series_days(first_day, last_day, every_weeks, skip)
    if not days:
        raise MeetingRuleError("first_day", _l("These dates give no meetings."))
    if len(days) > 60:
        raise MeetingRuleError("last_day", _l("A series can have at most 60 meetings."))
    key = str(uuid.uuid4())
    meetings = []
    for day in days:
        starts_at = local_instant(day, starts, program.timezone, second_time=second_time)
        if now is not None:
            check_when(program, starts_at, now, "first_day")
        deadline = None
        if deadline_days_before is not None:
            deadline = starts_at - timedelta(days=deadline_days_before)
        details = MeetingDetails(
            starts_at=starts_at,
            ends_at=local_instant(day, ends, program.timezone, field="ends",
                                  second_time=second_time),
            format=template.format, venue=template.venue, room=template.room,
            accessibility_notes=template.accessibility_notes, join_link=template.join_link,
            capacity=template.capacity, rsvp_deadline=deadline,
        )
        meetings.append(create_meeting(
            actor, program, details, language=language, title=title, description=description,
            series_key=key, submission_key=None if meetings else submission_key))
    return meetings


def _tell_members(meeting: Meeting, template: str) -> None:
    """Email every active member of the program who may come, in their language,
    whether or not they answered yet: a new time or place may suit someone who
    could not come, and someone who has not answered still plans to."""
    link = external_url("meetings.meeting", meeting_id=meeting.id)
    for person in program_members(meeting.program):
        if person.notify_meeting_changes:
            notify(person, template, meeting=meeting, link=link)


def _utc(moment: datetime | None) -> datetime | None:
    return moment.astimezone(UTC) if moment is not None else None


def _snapshot(meeting: Meeting) -> dict:
    """The meeting's details as plain values, to see what an edit changed. Times are
    compared as instants in UTC: a stored time and a typed local one are the same
    meeting time (and Python never calls a local time that happens twice equal to
    a time in another zone)."""
    return {
        "starts_at": _utc(meeting.starts_at), "ends_at": _utc(meeting.ends_at),
        "format": str(meeting.format), "venue": meeting.venue, "room": meeting.room,
        "join_link": meeting.join_link, "capacity": meeting.capacity,
        "rsvp_deadline": _utc(meeting.rsvp_deadline),
        "accessibility_notes": meeting.accessibility_notes,
    }


def _as_text(value):
    """A snapshot value as the audit log stores it: instants in ISO 8601."""
    return value.isoformat() if isinstance(value, datetime) else value


def update_meeting(
    actor: User,
    meeting: Meeting,
    details: MeetingDetails,
    *,
    title: str,
    description: str | None,
    now: datetime | None = None,
) -> set[str]:
    """Change a meeting and its original text; returns the names of what changed.

    Saving what is already there changes nothing. Calendars see a new SEQUENCE
    when the time, place, format or text changes; every active member of the
    program is emailed when the time or the place changes. With `now`, a new
    time must be still to come and within the season.
    """
    check_details(details)
    if now is not None and _utc(details.starts_at) != _utc(meeting.starts_at):
        check_when(meeting.program, details.starts_at, now, "day")
    before = _snapshot(meeting)
    original = meeting.original_text
    text_before = (original.title, original.description)
    _apply(meeting, details)
    original.title, original.description = title, description
    after = _snapshot(meeting)
    changed = {key for key in after if after[key] != before[key]}
    if text_before != (title, description):
        changed.add("text")
    if not changed:
        return changed
    if changed & {"starts_at", "ends_at", "format", "venue", "room", "join_link", "text"}:
        meeting.sequence += 1
    # Values are kept for what the audit log may show; a join link is for members only.
    shown = changed - {"join_link", "accessibility_notes", "text"}
    record_event(actor, "meeting.updated", "meeting", meeting.id, changed=sorted(changed),
                 changes={key: {"from": _as_text(before[key]), "to": _as_text(after[key])}
                          for key in sorted(shown)})
    if changed & {"starts_at", "ends_at", "format", "venue", "room"} and not meeting.is_cancelled:
        _tell_members(meeting, "meeting_changed")
    if "capacity" in changed:
        promote_from_waitlist(meeting, utcnow())
    return changed


def set_meeting_text(actor: User, meeting: Meeting, language: str, title: str,
                     description: str | None) -> MeetingText:
    """Add or replace the title and description in one language."""
    text = next((t for t in meeting.texts if t.language == language), None)
    if text is not None and (text.title, text.description) == (title, description):
        return text  # nothing for calendars to see again
    if text is None:
        text = MeetingText(language=language, is_original=False)
        meeting.texts.append(text)
    text.title, text.description = title, description
    meeting.sequence += 1
    record_event(actor, "meeting.translated", "meeting", meeting.id, language=language)
    return text


def cancel_meeting(actor: User, meeting: Meeting, reason: str) -> bool:
    """Cancel a meeting with the reason members will read; every active member of
    the program is told in their language. False if it was already cancelled."""
    reason = (reason or "").strip()
    if not reason:
        raise MeetingRuleError("reason", _l("Say why the meeting is cancelled."))
    if meeting.is_cancelled:
        return False
    meeting.status = MeetingStatus.CANCELLED
    meeting.cancel_reason = reason
    meeting.sequence += 1
    record_event(actor, "meeting.cancelled", "meeting", meeting.id, reason=reason)
    _tell_members(meeting, "meeting_cancelled")
    return True


def answers_open(meeting: Meeting, now: datetime) -> bool:
    if meeting.is_cancelled or now >= meeting.ends_at:
        return False
    return meeting.rsvp_deadline is None or now < meeting.rsvp_deadline


JOIN_LINK_PROMINENT_FROM = timedelta(minutes=30)


def join_link_open(meeting: Meeting, now: datetime) -> bool:
    """From half an hour before the start to the end, the join link is the page's main action."""
    return (bool(meeting.join_link) and not meeting.is_cancelled
            and meeting.starts_at - JOIN_LINK_PROMINENT_FROM <= now < meeting.ends_at)


def answer_choices(meeting: Meeting, seats_free: bool, current: Response | None) -> list[Response]:
    """The answers a person may give: a seat only while one is free (or already theirs),
    the waitlist only when none is."""
    choices = []
    if meeting.has_seats and (seats_free or current == Response.IN_PERSON):
        choices.append(Response.IN_PERSON)
    if meeting.can_join_online:
        choices.append(Response.VIRTUAL)
    if meeting.has_seats and not seats_free and current != Response.IN_PERSON:
        choices.append(Response.WAITLISTED)
    choices.append(Response.NOT_ATTENDING)
    return choices


def _lock_seats(meeting: Meeting) -> None:
    """Take the meeting's row lock before counting seats.

    The UPDATE makes concurrent answers for the same meeting wait for each
    other on PostgreSQL (row lock) and on SQLite (write lock), so the last
    seat can never be given twice.
    """
    db.session.execute(
        update(Meeting).where(Meeting.id == meeting.id)
        .values(seat_version=Meeting.seat_version + 1)
        .execution_options(synchronize_session=False)
    )


def seats_taken(meeting: Meeting, excluding_user_id: int | None = None) -> int:
    query = select(func.count(Rsvp.id)).where(
        Rsvp.meeting_id == meeting.id, Rsvp.response == Response.IN_PERSON
    )
    if excluding_user_id is not None:
        query = query.where(Rsvp.user_id != excluding_user_id)
    return db.session.scalar(query)


def find_rsvp(meeting: Meeting, user: User) -> Rsvp | None:
    return db.session.scalars(
        select(Rsvp).where(Rsvp.meeting_id == meeting.id, Rsvp.user_id == user.id)
    ).first()


def rsvp_for_meeting(
    user: User,
    meeting: Meeting,
    response: Response,
    needs: Needs,
    now: datetime,
    *,
    actor: User | None = None,
) -> Rsvp:
    """Record a person's answer and needs for a meeting.

    Raises AnswersClosed after the deadline (staff may still answer for a
    member), SeatsFull when asking for an in-person seat that is not free.
    A freed seat goes to the first person on the waitlist.
    """
    by_staff = actor is not None and actor.id != user.id
    if meeting.is_cancelled or (not by_staff and not answers_open(meeting, now)):
        raise AnswersClosed
    if response in (Response.IN_PERSON, Response.WAITLISTED) and not meeting.has_seats:
        raise MeetingRuleError("response", _l("This meeting is online only."))
    if response == Response.VIRTUAL and not meeting.can_join_online:
        raise MeetingRuleError("response", _l("This meeting is in person only."))
    _lock_seats(meeting)
    # Read the answer again under the lock: another tab may have saved one since this
    # request loaded it, and the answer saved last must win whole.
    rsvp = db.session.scalars(
        select(Rsvp).where(Rsvp.meeting_id == meeting.id, Rsvp.user_id == user.id)
        .execution_options(populate_existing=True)
    ).first()
    previous = rsvp.response if rsvp else None
    # Leaving the waitlist moves everyone behind up a place; they are told.
    places_before = waitlist_places(meeting) if previous == Response.WAITLISTED else None
    saved_before = _answer_as_saved(rsvp)
    free = meeting.capacity is None or seats_taken(meeting, user.id) < meeting.capacity
    if response == Response.IN_PERSON and previous != Response.IN_PERSON and not free:
        raise SeatsFull
    if response == Response.WAITLISTED and free:
        response = Response.IN_PERSON
    if rsvp is None:
        rsvp = Rsvp(meeting_id=meeting.id, user_id=user.id, response=response)
        db.session.add(rsvp)
    rsvp.response = response
    if response == Response.WAITLISTED:
        rsvp.waitlisted_at = rsvp.waitlisted_at if previous == Response.WAITLISTED else now
    else:
        rsvp.waitlisted_at = None
    rsvp.interpretation_language = needs.interpretation_language or None
    rsvp.childcare_children = needs.childcare_children or 0
    rsvp.transport_help = bool(needs.transport_help)
    rsvp.access_needs = needs.access_needs or None
    rsvp.updated_at = now
    db.session.flush()
    if by_staff:
        record_event(actor, "rsvp.changed_by_staff", "meeting", meeting.id,
                     person_id=user.id, response=str(response),
                     previous=str(previous) if previous else None)
    if previous == Response.IN_PERSON and response != Response.IN_PERSON:
        promote_from_waitlist(meeting, now)
    if places_before is not None and response != Response.WAITLISTED:
        tell_new_places(meeting, places_before)
    if _answer_as_saved(rsvp) != saved_before:
        queue_answer_confirmation(user, meeting, rsvp, now)
    return rsvp


def _answer_as_saved(rsvp: Rsvp | None) -> tuple | None:
    """What a confirmation reports; saving the same answer again sends nothing."""
    if rsvp is None:
        return None
    return (rsvp.response, rsvp.interpretation_language, rsvp.childcare_children,
            rsvp.transport_help, rsvp.access_needs)


def promote_from_waitlist(meeting: Meeting, now: datetime) -> list[Rsvp]:
    """Give free seats to the waitlist, first come first served, and tell each person."""
    if meeting.capacity is None or meeting.is_cancelled:
        return []
    promoted = []
    free = meeting.capacity - seats_taken(meeting)
    if free <= 0:
        return promoted
    places_before = waitlist_places(meeting)
    waiting = db.session.scalars(
        select(Rsvp).where(Rsvp.meeting_id == meeting.id, Rsvp.response == Response.WAITLISTED)
        .order_by(Rsvp.waitlisted_at, Rsvp.id).limit(free)
    ).all()
    link = external_url("meetings.meeting", meeting_id=meeting.id)
    for rsvp in waiting:
        rsvp.response = Response.IN_PERSON
        rsvp.waitlisted_at = None
        rsvp.updated_at = now
        promoted.append(rsvp)
        person = db.session.get(User, rsvp.user_id)
        notify(person, "seat_available", meeting=meeting, link=link)
    db.session.flush()
    tell_new_places(meeting, places_before)
    return promoted


def waitlist_place(rsvp: Rsvp) -> int:
    """The person's place on the meeting's waitlist, first come first served (1 is next)."""
    ahead = db.session.scalar(
        select(func.count(Rsvp.id)).where(
            Rsvp.meeting_id == rsvp.meeting_id, Rsvp.response == Response.WAITLISTED,
            (Rsvp.waitlisted_at < rsvp.waitlisted_at)
            | ((Rsvp.waitlisted_at == rsvp.waitlisted_at) & (Rsvp.id < rsvp.id)))
    )
    return ahead + 1


def calendar_query(program_id: int, now: datetime) -> Select:
    """A program's meetings as the calendar lists them: those still to come, soonest
    first, then those that are over, latest first; for paging."""
    over = Meeting.ends_at <= now
    return (
        select(Meeting).where(Meeting.program_id == program_id)
        .order_by(case((over, 1), else_=0), case((~over, Meeting.starts_at)),
                  case((over, Meeting.starts_at)).desc(), Meeting.id)
    )


def next_meeting(program_id: int, now: datetime) -> Meeting | None:
    """The program's next meeting that is not over and not cancelled."""
    return db.session.scalars(
        select(Meeting).where(Meeting.program_id == program_id, Meeting.ends_at > now,
                              Meeting.status == MeetingStatus.SCHEDULED)
        .order_by(Meeting.starts_at, Meeting.id).limit(1)
    ).first()


def program_members(program: Program) -> list[User]:
    """Active members of a program, by name."""
    return list(db.session.scalars(_active_members(program.id)))


def count_members(program_id: int) -> int:
    """How many active members the program has: the people its emails reach."""
    members = _active_members(program_id, User.id).order_by(None).subquery()
    return db.session.scalar(select(func.count()).select_from(members))


def is_program_member(user: User, program_id: int) -> bool:
    return db.session.scalar(
        select(func.count(Enrollment.id)).where(
            Enrollment.user_id == user.id, Enrollment.program_id == program_id,
            Enrollment.status == EnrollmentStatus.ACTIVE)
    ) > 0


def _active_members(program_id: int, *columns) -> Select:
    """The program's active members (or some of their columns), by name: the people
    a roster lists."""
    query = select(*columns) if columns else select(User).options(lazyload(User.role_grants))
    return (
        query.join(Enrollment, Enrollment.user_id == User.id)
        .where(Enrollment.program_id == program_id,
               Enrollment.status == EnrollmentStatus.ACTIVE, User.active.is_(True))
        .order_by(func.lower(User.name), User.id)
    )


def roster_rows(meeting: Meeting) -> Select:
    """(member, their answer or None, their attendance or None) for each active member
    of the meeting's program, by name; page it or stream it, never load it whole."""
    return (
        _active_members(meeting.program_id).add_columns(Rsvp, Attendance)
        .outerjoin(Rsvp, and_(Rsvp.user_id == User.id, Rsvp.meeting_id == meeting.id))
        .outerjoin(Attendance, and_(Attendance.user_id == User.id,
                                    Attendance.meeting_id == meeting.id))
    )


def members_without_answer(meeting: Meeting, limit: int) -> list[str]:
    """Names of the first `limit` members, by name, who have not answered yet."""
    return list(db.session.scalars(
        _active_members(meeting.program_id, User.name)
        .outerjoin(Rsvp, and_(Rsvp.user_id == User.id, Rsvp.meeting_id == meeting.id))
        .where(Rsvp.id.is_(None)).limit(limit)
    ))


@dataclass
class RosterSummary:
    """Answers added up over every member of the meeting's program, and what staff
    must arrange: interpretation for everyone who comes (in person or online);
    childcare, transport and access for those who come in person. Nobody on the
    waitlist is counted until they have a seat."""

    counts: Counter = field(default_factory=Counter)
    no_answer: int = 0
    interpretation: Counter = field(default_factory=Counter)
    children: int = 0
    transport: int = 0
    access: int = 0


def roster_summary(meeting: Meeting) -> RosterSummary:
    """How many answered what, how many have not, and the needs to arrange, in one
    query however many members the program has."""
    members = _active_members(meeting.program_id, User.id).order_by(None).subquery()
    rows = db.session.execute(
        select(Rsvp.response, Rsvp.interpretation_language, func.count(members.c.id),
               func.coalesce(func.sum(Rsvp.childcare_children), 0),
               func.count(case((Rsvp.transport_help.is_(True), 1))),
               func.count(case((Rsvp.access_needs != "", 1))))
        .select_from(members)
        .outerjoin(Rsvp, and_(Rsvp.user_id == members.c.id, Rsvp.meeting_id == meeting.id))
        .group_by(Rsvp.response, Rsvp.interpretation_language)
    ).all()
    summary = RosterSummary()
    for response, language, people, children, transport, access in rows:
        if response is None:
            summary.no_answer += people
            continue
        summary.counts[str(response)] += people
        if response in (Response.IN_PERSON, Response.VIRTUAL) and language:
            summary.interpretation[language] += people
        if response == Response.IN_PERSON:
            summary.children += int(children)
            summary.transport += transport
            summary.access += access
    return summary


def mark_attendance(actor: User, meeting: Meeting, user: User, status: AttendanceStatus,
                    now: datetime) -> Attendance:
    """Record whether a person came; only once the meeting has started."""
    if now < meeting.starts_at:
        raise MeetingRuleError("attendance",
                               _l("Attendance can be marked once the meeting has started."))
    mark = db.session.scalars(select(Attendance).where(
        Attendance.meeting_id == meeting.id, Attendance.user_id == user.id)).first()
    previous = mark.status if mark else None
    if previous == status:
        return mark
    if mark is None:
        mark = Attendance(meeting_id=meeting.id, user_id=user.id, status=status)
        db.session.add(mark)
    mark.status, mark.marked_by_id, mark.marked_at = status, actor.id, now
    record_event(actor, "attendance.marked", "meeting", meeting.id, person_id=user.id,
                 status=str(status), previous=str(previous) if previous else None)
    return mark


def queue_reminders(now: datetime, window: timedelta) -> int:
    """Queue one reminder per person for each meeting starting within `window`.

    Goes to active members who have not declined and have not opted out, in
    their language. Running it again queues nothing twice.
    """
    meetings = db.session.scalars(select(Meeting).where(
        Meeting.status == MeetingStatus.SCHEDULED, Meeting.starts_at > now,
        Meeting.starts_at <= now + window)).all()
    queued = 0
    for meeting in meetings:
        declined = set(db.session.scalars(select(Rsvp.user_id).where(
            Rsvp.meeting_id == meeting.id, Rsvp.response == Response.NOT_ATTENDING)))
        already = set(db.session.scalars(select(MeetingReminder.user_id).where(
            MeetingReminder.meeting_id == meeting.id)))
        link = external_url("meetings.meeting", meeting_id=meeting.id)
        for member in program_members(meeting.program):
            if member.id in declined or member.id in already or not member.notify_reminders:
                continue
            db.session.add(MeetingReminder(meeting_id=meeting.id, user_id=member.id,
                                           queued_at=now))
            if notify(member, "meeting_reminder", meeting=meeting, link=link):
                queued += 1
        db.session.commit()
    return queued
