"""Attendance over the season: every active member against every meeting held so far."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import groupby

from sqlalchemy import and_, select

from portal.auth.models import User
from portal.db import RowPage, db, paginate_rows
from portal.meetings.models import Attendance, AttendanceStatus, Meeting, MeetingStatus
from portal.meetings.services import _active_members
from portal.programs.models import Program

CAME = (AttendanceStatus.IN_PERSON, AttendanceStatus.VIRTUAL)


@dataclass
class SeasonRow:
    """One member's marks, by meeting id, and their attendance rate: the meetings they
    came to out of those marked for them, leaving out the ones they were excused from."""

    member: User
    marks: dict[int, AttendanceStatus] = field(default_factory=dict)

    @property
    def came(self) -> int:
        return sum(1 for status in self.marks.values() if status in CAME)

    @property
    def counted(self) -> int:
        return sum(1 for status in self.marks.values() if status != AttendanceStatus.EXCUSED)

    @property
    def rate(self) -> float | None:
        return self.came / self.counted if self.counted else None


def held_meetings(program: Program, now: datetime) -> list[Meeting]:
    """The program's meetings that have started and were not cancelled, oldest first:
    a program is one season."""
    return list(db.session.scalars(
        select(Meeting).where(
            Meeting.program_id == program.id, Meeting.status == MeetingStatus.SCHEDULED,
            Meeting.starts_at <= now)
        .order_by(Meeting.starts_at, Meeting.id)))


def season_page(program: Program, meetings: list[Meeting], page: int,
                per_page: int) -> RowPage:
    """One page of members, by name, as SeasonRows: three queries whatever the size."""
    members = paginate_rows(_active_members(program.id), page, per_page)
    rows = {member.id: SeasonRow(member) for (member,) in members.items}
    if rows and meetings:
        for user_id, meeting_id, status in db.session.execute(
                select(Attendance.user_id, Attendance.meeting_id, Attendance.status).where(
                    Attendance.user_id.in_(list(rows)),
                    Attendance.meeting_id.in_([m.id for m in meetings]))):
            rows[user_id].marks[meeting_id] = status
    return replace(members, items=list(rows.values()))


def season_rows(program: Program, meetings: list[Meeting],
                rows_per_fetch: int) -> Iterator[SeasonRow]:
    """Every member as a SeasonRow, by name, read a few hundred at a time: one
    statement, streamed, for a download that stays small in memory."""
    meeting_ids = [m.id for m in meetings]
    query = (
        _active_members(program.id).add_columns(Attendance.meeting_id, Attendance.status)
        .outerjoin(Attendance, and_(Attendance.user_id == User.id,
                                    Attendance.meeting_id.in_(meeting_ids or [-1])))
    )  # ordered by name, then id: each member's rows come together
    result = db.session.execute(query.execution_options(yield_per=rows_per_fetch))
    for _member_id, group in groupby(result, key=lambda row: row[0].id):
        group = list(group)
        row = SeasonRow(group[0][0])
        for _member, meeting_id, status in group:
            if meeting_id is not None:
                row.marks[meeting_id] = status
        yield row
