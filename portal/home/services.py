"""What a member's home page answers first: when and where the next meeting is, whether
they are coming, what changed since they last came, and what waits on them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, func, literal, or_, select
from sqlalchemy.orm import joinedload

from portal.audit.models import AuditEvent
from portal.auth.models import User
from portal.db import db
from portal.documents.models import Document, DocumentKind, DocumentStatus, DocumentVersion
from portal.meetings.models import Meeting, MeetingStatus, MeetingText, Response, Rsvp
from portal.meetings.services import answer_choices, answers_open, join_link_open
from portal.programs.models import Enrollment, TaxFormStatus
from portal.stipends.models import Payment

# The audit actions that change what a member sees of a meeting.
MEETING_CHANGES = ("meeting.created", "meeting.updated", "meeting.cancelled")


@dataclass(frozen=True)
class NextMeeting:
    meeting: Meeting
    text: MeetingText
    answer: Response | None
    choices: list[Response]  # empty when answers are closed
    join_open: bool
    agenda: Document | None
    agenda_version: DocumentVersion | None  # in the reader's language, or the original


@dataclass(frozen=True)
class News:
    """What happened since the member's last visit."""

    materials: int
    meetings: int
    payments: int

    def __bool__(self) -> bool:
        return bool(self.materials or self.meetings or self.payments)


@dataclass(frozen=True)
class MemberHome:
    next: NextMeeting | None
    unanswered: int  # meetings still taking answers that have none from this member
    tax_form_needed: bool
    news: News | None  # None on a first visit


def member_home(person: User, enrollment: Enrollment, language: str,
                since: datetime | None, now: datetime) -> MemberHome:
    """The member's home page in three statements, however much the program holds:
    the next meeting with its titles, one row of counts, and its agenda."""
    program_id = enrollment.program_id
    meeting = db.session.scalars(
        select(Meeting).where(Meeting.program_id == program_id, Meeting.ends_at > now,
                              Meeting.status == MeetingStatus.SCHEDULED)
        .order_by(Meeting.starts_at, Meeting.id).limit(1).options(joinedload(Meeting.texts))
    ).unique().first()
    counts = db.session.execute(select(
        _my_answer(meeting, person), _seats_taken(meeting), _unanswered(program_id, person, now),
        *_news(enrollment, since),
    )).one()
    answer, taken, unanswered = counts[0], counts[1], counts[2]
    news = None if since is None else News(*counts[3:])
    upcoming = None
    if meeting is not None:
        answer = Response(answer) if answer else None
        free = meeting.capacity is None or taken - (answer == Response.IN_PERSON) < meeting.capacity
        agenda = db.session.scalars(
            select(Document).where(Document.meeting_id == meeting.id,
                                   Document.kind == DocumentKind.AGENDA,
                                   Document.status == DocumentStatus.PUBLISHED)
            .order_by(Document.id.desc()).limit(1).options(joinedload(Document.versions))
        ).unique().first()
        upcoming = NextMeeting(
            meeting=meeting, text=meeting.text_for(language), answer=answer,
            choices=answer_choices(meeting, free, answer) if answers_open(meeting, now) else [],
            join_open=join_link_open(meeting, now), agenda=agenda,
            agenda_version=(agenda.version_in(language) or agenda.original) if agenda else None,
        )
    return MemberHome(
        next=upcoming, unanswered=unanswered,
        tax_form_needed=enrollment.tax_form_status == TaxFormStatus.REQUESTED, news=news,
    )


def _my_answer(meeting: Meeting | None, person: User):
    if meeting is None:
        return literal(None)
    return (select(Rsvp.response)
            .where(Rsvp.meeting_id == meeting.id, Rsvp.user_id == person.id).scalar_subquery())


def _seats_taken(meeting: Meeting | None):
    if meeting is None:
        return literal(0)
    return (select(func.count(Rsvp.id))
            .where(Rsvp.meeting_id == meeting.id, Rsvp.response == Response.IN_PERSON)
            .scalar_subquery())


def _unanswered(program_id: int, person: User, now: datetime):
    answered = exists().where(Rsvp.meeting_id == Meeting.id, Rsvp.user_id == person.id)
    return (select(func.count(Meeting.id))
            .where(Meeting.program_id == program_id, Meeting.ends_at > now,
                   Meeting.status == MeetingStatus.SCHEDULED,
                   or_(Meeting.rsvp_deadline.is_(None), Meeting.rsvp_deadline > now), ~answered)
            .scalar_subquery())


def _news(enrollment: Enrollment, since: datetime | None) -> list:
    if since is None:
        return [literal(0)] * 3
    program_id = enrollment.program_id
    materials = (select(func.count(Document.id))
                 .where(Document.program_id == program_id,
                        Document.status == DocumentStatus.PUBLISHED, Document.published_at > since)
                 .scalar_subquery())
    # Answers touch a meeting's row too, so its changes are read from the audit log.
    meetings = (select(func.count(func.distinct(AuditEvent.subject_id)))
                .where(AuditEvent.subject_type == "meeting",
                       AuditEvent.action.in_(MEETING_CHANGES), AuditEvent.created_at > since,
                       AuditEvent.subject_id.in_(
                           select(Meeting.id).where(Meeting.program_id == program_id)))
                .scalar_subquery())
    payments = (select(func.count(Payment.id))
                .where(Payment.enrollment_id == enrollment.id,
                       or_(Payment.recorded_at > since, Payment.voided_at > since))
                .scalar_subquery())
    return [materials, meetings, payments]
