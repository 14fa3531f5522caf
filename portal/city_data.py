"""A city-scale data set for measuring the portal: fifty programs, five thousand
members, a quarter of a million answers and a hundred thousand payments.

Everything is invented and follows the same rules the services enforce: no
enrollment is paid more than its stipend, no meeting has more in-person
answers than seats (and a waitlist only when it is full), every document has
exactly one original, agendas and minutes belong to a meeting.

The same seed gives the same rows, ids included. Only the secrets differ from
run to run (the password's salt and each person's session token): they are
never derived from a seed anyone can read.

Rows are written with Core `insert()` in chunks, so scale 1.0 takes minutes,
not hours. The database must be empty (just migrated).
"""

from __future__ import annotations

import base64
import math
import time as clock
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from random import Random
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Table, bindparam, func, select, text
from werkzeug.security import generate_password_hash

from portal.audit.models import AuditEvent
from portal.auth.models import Role, RoleGrant, User, new_session_token
from portal.db import db
from portal.demo import DEMO_PASSWORD
from portal.documents.models import Document, DocumentKind, DocumentStatus, DocumentVersion
from portal.meetings.models import (
    Attendance,
    AttendanceStatus,
    Meeting,
    MeetingFormat,
    MeetingStatus,
    MeetingText,
    Response,
    Rsvp,
)
from portal.programs.models import (
    Enrollment,
    EnrollmentStatus,
    Installment,
    Program,
    TaxFormStatus,
)
from portal.stipends.models import Payment, PaymentMethod

# The day the data describes; nothing is dated by the clock of the machine.
BASE_DATE = date(2026, 11, 1)
BASE_INSTANT = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
SEASON_START = date(2025, 12, 1)
TIMEZONE = "America/New_York"
EMAIL_DOMAIN = "city.example.org"
CHUNK_ROWS = 5_000

# What scale 1.0 makes.
FULL = {
    "programs": 50,
    "members": 5_000,
    "meetings": 2_500,
    "rsvps": 250_000,
    "documents": 30_000,
    "payments": 100_000,
    "audit_events": 50_000,
}
VERSIONS_PER_DOCUMENT = 3  # the original and two translations
VOID_SHARE = 0.01  # a few payments were voided and paid again


class CityDataError(RuntimeError):
    """The city data set cannot be made here (e.g. the database is not empty)."""


@dataclass(frozen=True)
class CityPlan:
    """How many of each thing a scale makes."""

    scale: float
    programs: int
    members: int
    meetings: int
    rsvps: int
    documents: int
    payments: int
    audit_events: int
    facilitators: int
    finance: int
    admins: int

    @property
    def document_versions(self) -> int:
        return self.documents * VERSIONS_PER_DOCUMENT


def _scaled(full: int, scale: float) -> int:
    return int(math.floor(full * scale + 0.5))


def plan_for(scale: float) -> CityPlan:
    """The counts at `scale` (1.0 = the whole city). Every count grows linearly with
    the scale. Below 0.02 there is a single, smaller program; everyone in it
    answers every meeting, so the answers are then fewer than a linear share."""
    if scale <= 0:
        raise CityDataError("The scale must be greater than zero.")
    programs = max(1, _scaled(FULL["programs"], scale))
    members = max(4, _scaled(FULL["members"], scale))
    meetings = max(2, _scaled(FULL["meetings"], scale))
    rsvps = _scaled(FULL["rsvps"], scale)
    # Nobody answers twice: at most every member of a program answers each of its meetings.
    most = sum(len(m) * len(p) for m, p in zip(_split(range(meetings), programs),
                                              _split(range(members), programs), strict=True))
    return CityPlan(
        scale=scale,
        programs=programs,
        members=members,
        meetings=meetings,
        rsvps=min(rsvps, most),
        documents=max(meetings, _scaled(FULL["documents"], scale)),
        payments=max(members, _scaled(FULL["payments"], scale)),
        audit_events=max(10, _scaled(FULL["audit_events"], scale)),
        facilitators=2 * programs,
        finance=max(1, _scaled(5, scale)),
        admins=max(1, _scaled(2, scale)),
    )


def _split(items, parts: int) -> list:
    """`items` cut into `parts` runs whose lengths differ by at most one."""
    items = list(items)
    size, extra = divmod(len(items), parts)
    runs, start = [], 0
    for index in range(parts):
        end = start + size + (1 if index < extra else 0)
        runs.append(items[start:end])
        start = end
    return runs


# --- Words for invented people, programs and materials ---------------------------------------

GIVEN_NAMES = (
    "Rosa", "Widline", "Mei-Ling", "Lan", "Amina", "Djenaba", "Thiago", "Marcus", "Olga",
    "Fatou", "Keisha", "José", "Nadia", "Hung", "Marie", "Ahmed", "Carla", "Dmitri", "Yolanda",
    "Samir", "Esperanza", "Jean-Baptiste", "Wei", "Tuấn", "Leila", "Ana", "Kwame", "Irina",
    "Manuel", "Aisha", "Paulo", "Sophie", "Darnell", "Guadalupe", "Minh", "Yasmin", "Edwige",
    "Ricardo", "Natasha", "Omar",
)
FAMILY_NAMES = (
    "Delgado", "Joseph", "Chen", "Nguyễn", "Haddad", "Monteiro", "Souza", "Bell", "Petrova",
    "Diallo", "Washington", "Ramírez", "Pierre", "Trần", "Li", "Ivanova", "Barros", "Mensah",
    "Santos", "Jean-Louis", "Wong", "Phạm", "Khalil", "Gomes", "Okafor", "Rivera", "Baptiste",
    "Huang", "Lopes", "Abdi", "Moreau", "Freeman", "Ortiz", "Lê", "Sokolova", "Fernandes",
)
LANGUAGES = ("en", "es", "ht", "zh_Hant", "zh_Hans", "vi", "ru", "kea", "ar", "pt_BR", "fr")
# How often each language is someone's first choice, roughly as in Boston.
LANGUAGE_WEIGHTS = (40, 20, 8, 5, 4, 6, 4, 4, 3, 4, 2)
NEIGHBORHOODS = (
    "Dorchester", "Roxbury", "South End", "Mattapan", "East Boston", "Hyde Park",
    "Jamaica Plain", "Allston-Brighton", "Charlestown", "South Boston", "Roslindale",
    "West Roxbury", "Mission Hill", "Chinatown", "Fenway",
)
TOPICS = (
    "Mental-Health Crisis Response", "Safe Streets", "Housing Stability", "Youth Spaces",
    "Food Access", "Heat and Climate", "Library Hours", "Transit Access", "Parks",
    "Neighborhood Health",
)
VENUES = (
    "Boston City Hall, 1 City Hall Square", "Dudley Branch Library, 65 Warren Street",
    "Codman Square Health Center, 637 Washington Street", "Mattahunt Community Center",
    "East Boston Branch Library, 365 Bremen Street", "Blackstone Community Center",
)
ACCESS_NEEDS = (
    "Step-free entrance, please.", "A seat near the interpreter.",
    "Large-print handouts.", "Captions on the video call.", "A quiet room for breaks.",
)
VOID_REASONS = (
    "Check lost in the mail; stopped at the bank.",
    "Recorded for the wrong member.",
    "Card was not activated; paid again by deposit.",
    "Amount typed wrong; recorded again.",
)
METHOD_REFERENCES = {
    PaymentMethod.CHECK: "Check {n}",
    PaymentMethod.DIRECT_DEPOSIT: None,
    PaymentMethod.PREPAID_CARD: "Card ending {n}",
    PaymentMethod.GIFT_CARD: "Grocery card {n}",
    PaymentMethod.CASH: "Receipt {n}",
}
SESSION_TITLES = {
    "en": "Design session", "es": "Sesión de diseño", "ht": "Sesyon konsepsyon",
    "zh_Hant": "設計會議", "zh_Hans": "设计会议", "vi": "Buổi thiết kế", "ru": "Дизайн-сессия",
    "kea": "Sesãu di dizenhu", "ar": "جلسة تصميم", "pt_BR": "Sessão de design",
    "fr": "Séance de conception",
}
KIND_TITLES = {
    DocumentKind.AGENDA: {
        "en": "Agenda", "es": "Orden del día", "ht": "Ajanda", "zh_Hant": "議程",
        "zh_Hans": "议程", "vi": "Chương trình", "ru": "Повестка дня", "kea": "Ajenda",
        "ar": "جدول الأعمال", "pt_BR": "Pauta", "fr": "Ordre du jour"},
    DocumentKind.MINUTES: {
        "en": "Minutes", "es": "Acta", "ht": "Pwosè-vèbal", "zh_Hant": "會議記錄",
        "zh_Hans": "会议记录", "vi": "Biên bản", "ru": "Протокол", "kea": "Ata",
        "ar": "محضر الاجتماع", "pt_BR": "Ata", "fr": "Compte rendu"},
    DocumentKind.READING: {
        "en": "Reading", "es": "Lectura", "ht": "Lekti", "zh_Hant": "閱讀材料",
        "zh_Hans": "阅读材料", "vi": "Tài liệu đọc", "ru": "Материалы для чтения",
        "kea": "Leitura", "ar": "قراءة", "pt_BR": "Leitura", "fr": "Lecture"},
    DocumentKind.HANDOUT: {
        "en": "Handout", "es": "Folleto", "ht": "Fèy enfòmasyon", "zh_Hant": "講義",
        "zh_Hans": "讲义", "vi": "Tờ thông tin", "ru": "Раздаточный материал",
        "kea": "Folhetu", "ar": "نشرة", "pt_BR": "Folheto", "fr": "Document à emporter"},
}
BODY = """\
**6:00 pm** Food, and time to settle in

**6:15 pm** Where we are: what the group decided last time, and what the city did with it

**6:40 pm** Working in small groups
- What should happen in the first ten minutes after a call for help
- Who should come, and how they should speak with the person and their family
- What a good follow-up looks like a week later

**7:30 pm** Each group shares what it found

**7:50 pm** Questions, and what you would like from the next meeting

Interpretation is offered in every language members asked for. If you need a break at
any time, take it.
"""


# --- Writing rows in chunks ---------------------------------------------------------------

class _Writer:
    """Collects rows per table and inserts them in chunks, parents before children,
    so foreign keys always point at rows already written."""

    def __init__(self, connection, tables: list[Table]):
        self.connection = connection
        self.order = tables
        self.pending: dict[str, list[dict]] = {table.name: [] for table in tables}
        self.written: dict[str, int] = {table.name: 0 for table in tables}

    def add(self, table: Table, row: dict) -> None:
        rows = self.pending[table.name]
        rows.append(row)
        if len(rows) >= CHUNK_ROWS:
            self.flush()

    def flush(self) -> None:
        for table in self.order:
            rows = self.pending[table.name]
            if rows:
                self.connection.execute(table.insert(), rows)
                self.written[table.name] += len(rows)
                self.pending[table.name] = []


def _tables() -> list[Table]:
    return [model.__table__ for model in (
        User, RoleGrant, Program, Installment, Enrollment, Meeting, MeetingText, Rsvp,
        Attendance, Document, DocumentVersion, Payment, AuditEvent)]


def _check_empty() -> None:
    for model in (User, Program, Meeting, Payment, AuditEvent):
        if db.session.scalar(select(func.count()).select_from(model)):
            raise CityDataError(
                f"The database already has rows in {model.__tablename__}. The city data set "
                "is made in an empty, freshly migrated database only."
            )


def _first_weekday_on_or_after(day: date, weekday: int) -> date:
    """The first `weekday` (0 = Monday) on or after `day`."""
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def _key(rng: Random, size: int = 24) -> str:
    return base64.urlsafe_b64encode(rng.randbytes(size)).decode("ascii").rstrip("=")


@dataclass
class _Person:
    id: int
    language: str
    interpretation: str | None
    children: int
    transport: bool
    access_needs: str | None


@dataclass(frozen=True)
class CitySummary:
    plan: CityPlan
    seed: int
    counts: dict[str, int]
    seconds: float


def build_city(scale: float = 1.0, seed: int = 7,
               report: Callable[[str], None] | None = None) -> CitySummary:
    """Fill an empty, migrated database with the city data set and commit.

    `report` receives a line of progress after each step. Raises CityDataError
    when the database already holds people, programs or money.
    """
    say = report or (lambda line: None)
    started = clock.perf_counter()
    plan = plan_for(scale)
    _check_empty()
    rng = Random(seed)  # noqa: S311 - invented data, not secrets
    # One hash for everyone: hashing 5,000 passwords would take longer than the rest.
    method = current_app.config["PASSWORD_HASH_METHOD"]
    password_hash = generate_password_hash(DEMO_PASSWORD, method=method)
    connection = db.session.connection()
    writer = _Writer(connection, _tables())

    def step(label: str) -> None:
        writer.flush()
        say(f"{clock.perf_counter() - started:7.1f} s  {label}")

    people = _write_people(writer, rng, plan, password_hash)
    step(f"{plan.members:,} members and {len(people['staff']):,} staff")
    programs = _write_programs(writer, rng, plan, people)
    step(f"{plan.programs:,} programs and their enrollments")
    meetings = _write_meetings(writer, rng, plan, programs)
    step(f"{plan.meetings:,} meetings, {plan.rsvps:,} answers and the attendance")
    _write_documents(writer, rng, plan, programs, meetings)
    step(f"{plan.documents:,} documents in {plan.document_versions:,} language versions")
    payments = _write_payments(writer, rng, plan, programs, people)
    step(f"{plan.payments:,} payments")
    _write_audit_events(writer, rng, plan, programs, meetings, payments, people)
    step(f"{plan.audit_events:,} audit events")

    if connection.dialect.name == "postgresql":
        # Ids were given explicitly, so move each id sequence past them, then let
        # the planner see the new sizes at once instead of after autovacuum.
        for table in writer.order:
            if "id" in table.c:
                highest = select(func.max(table.c.id)).scalar_subquery()
                connection.execute(select(func.setval(
                    func.pg_get_serial_sequence(table.name, "id"), func.greatest(highest, 1))))
    db.session.commit()
    if connection.dialect.name == "postgresql":
        for table in writer.order:
            db.session.execute(text(f"ANALYZE {table.name}"))
        db.session.commit()
    seconds = clock.perf_counter() - started
    say(f"{seconds:7.1f} s  done")
    return CitySummary(plan=plan, seed=seed, counts=dict(writer.written), seconds=seconds)


def _write_people(writer: _Writer, rng: Random, plan: CityPlan,
                  password_hash: str) -> dict:
    users, grants = User.__table__, RoleGrant.__table__
    joined = BASE_INSTANT - timedelta(days=400)
    next_id = 1
    staff: dict[Role, list[int]] = {Role.ADMIN: [], Role.FINANCE: [], Role.FACILITATOR: []}
    for role, count in ((Role.ADMIN, plan.admins), (Role.FINANCE, plan.finance),
                        (Role.FACILITATOR, plan.facilitators)):
        for number in range(1, count + 1):
            name = f"{rng.choice(GIVEN_NAMES)} {rng.choice(FAMILY_NAMES)}"
            writer.add(users, _user_row(next_id, name, f"{role.value}{number}@{EMAIL_DOMAIN}",
                                        None, "en", password_hash, joined))
            writer.add(grants, {"user_id": next_id, "role": role, "granted_at": joined})
            # The first admin also runs meetings: people may hold several roles.
            if role == Role.ADMIN and number == 1:
                writer.add(grants, {"user_id": next_id, "role": Role.FACILITATOR,
                                    "granted_at": joined})
            staff[role].append(next_id)
            next_id += 1
    members = []
    for number in range(1, plan.members + 1):
        language = rng.choices(LANGUAGES, LANGUAGE_WEIGHTS)[0]
        name = f"{rng.choice(GIVEN_NAMES)} {rng.choice(FAMILY_NAMES)}"
        # A few members have no email address and sign in with a username.
        no_email = rng.random() < 0.03
        email = None if no_email else f"member{number:05d}@{EMAIL_DOMAIN}"
        username = f"member{number:05d}" if no_email else None
        row = _user_row(next_id, name, email, username, language, password_hash, joined)
        person = _Person(
            id=next_id, language=language,
            interpretation=language if language != "en" and rng.random() < 0.7 else None,
            children=rng.choice((0, 0, 0, 1, 2, 3)),
            transport=rng.random() < 0.3,
            access_needs=rng.choice(ACCESS_NEEDS) if rng.random() < 0.08 else None,
        )
        row.update(phone=f"617-555-{rng.randrange(10_000):04d}" if rng.random() < 0.6 else None,
                   interpretation_language=person.interpretation,
                   childcare_children=person.children, transport_help=person.transport,
                   access_needs=person.access_needs)
        writer.add(users, row)
        writer.add(grants, {"user_id": next_id, "role": Role.MEMBER, "granted_at": joined})
        members.append(person)
        next_id += 1
    return {"staff": [i for ids in staff.values() for i in ids], "admins": staff[Role.ADMIN],
            "finance": staff[Role.FINANCE], "facilitators": staff[Role.FACILITATOR],
            "members": members}


def _user_row(user_id: int, name: str, email: str | None, username: str | None, language: str,
              password_hash: str, joined: datetime) -> dict:
    return {
        "id": user_id, "name": name, "email": email, "username": username, "phone": None,
        "preferred_language": language, "password_hash": password_hash, "active": True,
        "session_token": new_session_token(), "created_at": joined, "last_sign_in_at": None,
        "notify_meeting_changes": True, "notify_reminders": True, "notify_new_materials": True,
        "notify_payments": True, "notify_answer_confirmations": True,
        "interpretation_language": None, "childcare_children": 0,
        "transport_help": False, "access_needs": None,
    }


@dataclass
class _Program:
    id: int
    stipend_cents: int
    weekday: int
    facilitators: list[int]
    members: list[_Person]
    enrollment_ids: list[int]
    meeting_count: int
    season_end: date


def _write_programs(writer: _Writer, rng: Random, plan: CityPlan, people: dict) -> list[_Program]:
    member_runs = _split(people["members"], plan.programs)
    meeting_runs = _split(range(plan.meetings), plan.programs)
    facilitator_runs = _split(people["facilitators"], plan.programs)
    programs, next_installment, next_enrollment = [], 1, 1
    for index in range(plan.programs):
        program_id = index + 1
        meeting_count = len(meeting_runs[index])
        # Twice a month from December: the season ends with the month of its last meeting.
        months = max(1, -(-meeting_count // 2))
        last_month = SEASON_START.month - 1 + months - 1
        season_end = date(SEASON_START.year + (last_month + 1) // 12, (last_month + 1) % 12 + 1,
                          1) - timedelta(days=1)
        stipend = rng.choice((100_000, 120_000, 150_000))
        writer.add(Program.__table__, {
            "id": program_id,
            "name": f"Community-Led Design Group {program_id}: {TOPICS[index % len(TOPICS)]} "
                    f"({NEIGHBORHOODS[index % len(NEIGHBORHOODS)]})",
            "timezone": TIMEZONE, "season_start": SEASON_START, "season_end": season_end,
            "stipend_cents": stipend, "currency": "USD",
            "created_at": BASE_INSTANT - timedelta(days=420),
        })
        for label, due_on, amount in (
                ("First half, at the first meeting", SEASON_START + timedelta(days=7),
                 stipend // 2),
                ("Second half, at the end of the season", season_end, stipend - stipend // 2)):
            writer.add(Installment.__table__, {"id": next_installment, "program_id": program_id,
                                               "label": label, "due_on": due_on,
                                               "amount_cents": amount})
            next_installment += 1
        enrollment_ids = []
        for person in member_runs[index]:
            writer.add(Enrollment.__table__, {
                "id": next_enrollment, "user_id": person.id, "program_id": program_id,
                "status": EnrollmentStatus.WITHDRAWN if rng.random() < 0.01
                else EnrollmentStatus.ACTIVE,
                "stipend_total_cents": stipend,
                "tax_form_status": rng.choices(
                    (TaxFormStatus.RECEIVED, TaxFormStatus.REQUESTED,
                     TaxFormStatus.NOT_REQUESTED), (80, 15, 5))[0],
                "enrolled_at": BASE_INSTANT - timedelta(days=400),
                # Set once the payments are known (see _write_payments).
                "ledger_version": 0,
            })
            enrollment_ids.append(next_enrollment)
            next_enrollment += 1
        programs.append(_Program(program_id, stipend, index % 5, facilitator_runs[index],
                                 member_runs[index], enrollment_ids, meeting_count, season_end))
    return programs


@dataclass
class _Meeting:
    id: int
    program: _Program
    starts_at: datetime
    ends_at: datetime
    cancelled: bool


def _write_meetings(writer: _Writer, rng: Random, plan: CityPlan,
                    programs: list[_Program]) -> list[_Meeting]:
    zone = ZoneInfo(TIMEZONE)
    answer_runs = _split(range(plan.rsvps), plan.meetings)
    meetings: list[_Meeting] = []
    next_id, next_text, next_rsvp, next_mark = 1, 1, 1, 1
    for program in programs:
        series_key = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        first = _first_weekday_on_or_after(SEASON_START, program.weekday)
        for number in range(program.meeting_count):
            month_start = date(SEASON_START.year + (SEASON_START.month - 1 + number // 2) // 12,
                               (SEASON_START.month - 1 + number // 2) % 12 + 1, 1)
            day = _first_weekday_on_or_after(month_start, first.weekday()) + timedelta(
                weeks=2 * (number % 2))
            starts_at = datetime.combine(day, time(18), tzinfo=zone).astimezone(UTC)
            ends_at = datetime.combine(day, time(20), tzinfo=zone).astimezone(UTC)
            meeting_format = rng.choices(
                (MeetingFormat.HYBRID, MeetingFormat.IN_PERSON, MeetingFormat.VIRTUAL),
                (60, 20, 20))[0]
            seats = meeting_format != MeetingFormat.VIRTUAL
            online = meeting_format != MeetingFormat.IN_PERSON
            # Rooms for a quarter to two thirds of the members: some fill up.
            size = len(program.members)
            capacity = rng.randrange(max(1, size // 4), max(2, size * 2 // 3)) if seats else None
            cancelled = rng.random() < 0.02
            answers = len(answer_runs[next_id - 1])
            created = min(starts_at - timedelta(days=60), BASE_INSTANT - timedelta(days=30))
            writer.add(Meeting.__table__, {
                "id": next_id, "program_id": program.id, "starts_at": starts_at,
                "ends_at": ends_at, "format": meeting_format,
                "venue": rng.choice(VENUES) if seats else None,
                "room": f"Room {rng.randrange(100, 900)}" if seats else None,
                "accessibility_notes": "Step-free entrance; elevator to every floor. "
                                       "Childcare in the room next door." if seats else None,
                "join_link": f"https://video.example.org/design-group-{program.id}"
                if online else None,
                "capacity": capacity,
                "rsvp_deadline": starts_at - timedelta(days=1),
                "status": MeetingStatus.CANCELLED if cancelled else MeetingStatus.SCHEDULED,
                "ical_uid": f"{uuid.UUID(int=rng.getrandbits(128), version=4)}"
                            "@design-group-portal",
                "sequence": 1 if cancelled else 0, "seat_version": answers,
                "series_key": series_key, "created_at": created, "updated_at": created,
            })
            for language, original in (("en", True), ("es", False)):
                writer.add(MeetingText.__table__, {
                    "id": next_text, "meeting_id": next_id, "language": language,
                    "title": f"{SESSION_TITLES[language]} {number + 1}",
                    "description": "We work together on what the city should do next. Food is "
                                   "served; the video call is open to everyone." if original
                    else None,
                    "is_original": original})
                next_text += 1
            meeting = _Meeting(next_id, program, starts_at, ends_at, cancelled)
            next_rsvp, next_mark = _write_answers(
                writer, rng, meeting, meeting_format, capacity, answers, next_rsvp, next_mark)
            meetings.append(meeting)
            next_id += 1
    return meetings


def _write_answers(writer: _Writer, rng: Random, meeting: _Meeting, meeting_format: MeetingFormat,
                   capacity: int | None, answers: int, next_rsvp: int,
                   next_mark: int) -> tuple[int, int]:
    """Answers in the order they came in: in-person seats go first come, first served,
    and once the room is full the next people wait for a seat."""
    people = rng.sample(meeting.program.members, answers)
    deadline = meeting.starts_at - timedelta(days=1)
    times = sorted(deadline - timedelta(minutes=rng.randrange(10, 20_000)) for _ in people)
    if meeting_format == MeetingFormat.HYBRID:
        wishes = (Response.IN_PERSON, Response.VIRTUAL, Response.NOT_ATTENDING)
        weights = (45, 40, 15)
    elif meeting_format == MeetingFormat.IN_PERSON:
        wishes, weights = (Response.IN_PERSON, Response.NOT_ATTENDING), (75, 25)
    else:
        wishes, weights = (Response.VIRTUAL, Response.NOT_ATTENDING), (80, 20)
    taken = 0
    past = meeting.ends_at <= BASE_INSTANT and not meeting.cancelled
    facilitator = meeting.program.facilitators[0] if meeting.program.facilitators else None
    for person, answered_at in zip(people, times, strict=True):
        response = rng.choices(wishes, weights)[0]
        waitlisted_at = None
        if response == Response.IN_PERSON:
            if taken < capacity:
                taken += 1
            else:
                response, waitlisted_at = Response.WAITLISTED, answered_at
        coming = response != Response.NOT_ATTENDING
        writer.add(Rsvp.__table__, {
            "id": next_rsvp, "meeting_id": meeting.id, "user_id": person.id,
            "response": response, "waitlisted_at": waitlisted_at,
            "interpretation_language": person.interpretation if coming else None,
            "childcare_children": person.children if coming else 0,
            "transport_help": person.transport if coming else False,
            "access_needs": person.access_needs if coming else None,
            "created_at": answered_at, "updated_at": answered_at,
        })
        next_rsvp += 1
        if past and response != Response.WAITLISTED:
            status = {Response.IN_PERSON: AttendanceStatus.IN_PERSON,
                      Response.VIRTUAL: AttendanceStatus.VIRTUAL,
                      Response.NOT_ATTENDING: AttendanceStatus.EXCUSED}[response]
            if status != AttendanceStatus.EXCUSED and rng.random() < 0.08:
                status = AttendanceStatus.ABSENT
            writer.add(Attendance.__table__, {
                "id": next_mark, "meeting_id": meeting.id, "user_id": person.id,
                "status": status, "marked_by_id": facilitator, "marked_at": meeting.ends_at})
            next_mark += 1
    return next_rsvp, next_mark


def _write_documents(writer: _Writer, rng: Random, plan: CityPlan, programs: list[_Program],
                     meetings: list[_Meeting]) -> None:
    by_program: dict[int, list[_Meeting]] = {}
    for meeting in meetings:
        by_program.setdefault(meeting.program.id, []).append(meeting)
    next_id, next_version = 1, 1
    for program, count in zip(programs, (len(r) for r in _split(range(plan.documents),
                                                                plan.programs)), strict=True):
        own = by_program[program.id]
        # Every meeting has an agenda; each meeting that took place has minutes;
        # the rest are readings and handouts, half of them for a meeting.
        kinds: list[tuple[DocumentKind, _Meeting | None]] = [
            (DocumentKind.AGENDA, m) for m in own]
        kinds += [(DocumentKind.MINUTES, m) for m in own
                  if m.ends_at + timedelta(days=2) <= BASE_INSTANT and not m.cancelled]
        kinds = kinds[:count]
        while len(kinds) < count:
            kind = rng.choice((DocumentKind.READING, DocumentKind.HANDOUT))
            kinds.append((kind, rng.choice(own) if rng.random() < 0.5 else None))
        author = program.facilitators[0] if program.facilitators else None
        for number, (kind, meeting) in enumerate(kinds, start=1):
            if meeting is None:
                created = BASE_INSTANT - timedelta(days=7 + rng.randrange(330))
            elif kind == DocumentKind.MINUTES:
                created = meeting.ends_at + timedelta(days=1)
            else:
                created = min(meeting.starts_at - timedelta(days=10),
                              BASE_INSTANT - timedelta(days=7, hours=rng.randrange(48)))
            # Agendas for meetings more than a month away are still drafts.
            draft = meeting is not None and meeting.starts_at > BASE_INSTANT + timedelta(days=30)
            writer.add(Document.__table__, {
                "id": next_id, "program_id": program.id,
                "meeting_id": meeting.id if meeting else None, "kind": kind,
                "status": DocumentStatus.DRAFT if draft else DocumentStatus.PUBLISHED,
                "published_at": None if draft else created + timedelta(days=1),
                "created_by_id": author, "created_at": created,
            })
            original = rng.choices(LANGUAGES, (70, 15, 2, 2, 2, 2, 2, 1, 1, 2, 1))[0]
            others = rng.sample([code for code in LANGUAGES if code != original],
                                VERSIONS_PER_DOCUMENT - 1)
            # One translation in ten was written before the original's last change.
            changed_later = rng.random() < 0.1
            for language in [original, *others]:
                is_original = language == original
                written = created + timedelta(hours=rng.randrange(1, 48))
                if is_original and changed_later:
                    written = created + timedelta(days=3)
                title = f"{KIND_TITLES[kind][language]} {number}"
                writer.add(DocumentVersion.__table__, {
                    "id": next_version, "document_id": next_id, "language": language,
                    "title": title, "body": f"# {title}\n\n{BODY}", "file_key": None,
                    "file_name": None, "file_type": None, "file_size": None,
                    "is_original": is_original, "written_by_id": author, "written_at": written,
                })
                next_version += 1
            next_id += 1


@dataclass
class _Payment:
    id: int
    enrollment_id: int
    amount_cents: int
    paid_on: date
    voided: bool


def _write_payments(writer: _Writer, rng: Random, plan: CityPlan, programs: list[_Program],
                    people: dict) -> list[_Payment]:
    finance = people["finance"]
    enrollments = [(program, e) for program in programs for e in program.enrollment_ids]
    runs = _split(range(plan.payments), len(enrollments))
    payments, versions, next_id = [], {}, 1
    days = (BASE_DATE - SEASON_START).days
    for (program, enrollment_id), run in zip(enrollments, runs, strict=True):
        count = len(run)
        # Each payment is at most a share of the stipend, so the total never passes it;
        # some members were paid in full by the last one.
        share = program.stipend_cents // count
        amounts = [rng.randrange(share // 2, share + 1) // 100 * 100 or 100 for _ in range(count)]
        if rng.random() < 0.3:
            amounts[-1] += program.stipend_cents - sum(amounts)
        dates = sorted(SEASON_START + timedelta(days=rng.randrange(days + 1)) for _ in range(count))
        bumps = 0
        for amount, paid_on in zip(amounts, dates, strict=True):
            method = rng.choices(tuple(PaymentMethod), (35, 30, 15, 10, 10))[0]
            reference = METHOD_REFERENCES[method]
            recorded_by = finance[next_id % len(finance)]
            recorded_at = datetime.combine(paid_on, time(15), tzinfo=UTC)
            voided = rng.random() < VOID_SHARE
            writer.add(Payment.__table__, {
                "id": next_id, "enrollment_id": enrollment_id, "amount_cents": amount,
                "paid_on": paid_on, "method": method,
                "reference": reference.format(n=rng.randrange(1000, 9999)) if reference else None,
                "note": None, "submission_key": _key(rng), "recorded_by_id": recorded_by,
                "recorded_at": recorded_at,
                "voided_by_id": recorded_by if voided else None,
                "voided_at": recorded_at + timedelta(hours=2) if voided else None,
                "void_reason": rng.choice(VOID_REASONS) if voided else None,
            })
            payments.append(_Payment(next_id, enrollment_id, amount, paid_on, voided))
            bumps += 2 if voided else 1
            next_id += 1
        versions[enrollment_id] = bumps
    # Every payment and every void bumped the enrollment's ledger version.
    writer.flush()
    enrollments_table = Enrollment.__table__
    statement = (enrollments_table.update()
                 .where(enrollments_table.c.id == bindparam("enrollment"))
                 .values(ledger_version=bindparam("version")))
    rows = [{"enrollment": key, "version": value} for key, value in versions.items()]
    for start in range(0, len(rows), CHUNK_ROWS):
        writer.connection.execute(statement, rows[start:start + CHUNK_ROWS])
    return payments


def _write_audit_events(writer: _Writer, rng: Random, plan: CityPlan, programs: list[_Program],
                        meetings: list[_Meeting], payments: list[_Payment],
                        people: dict) -> None:
    """Voids first (each has its event), then a mix of the changes staff make every day."""
    enrollment_ids = [e for program in programs for e in program.enrollment_ids]
    finance, facilitators = people["finance"], people["facilitators"] or people["admins"]
    admins = people["admins"]
    events: list[tuple[datetime, int, str, str, int, dict]] = []
    for payment in payments:
        if payment.voided and len(events) < plan.audit_events:
            when = datetime.combine(payment.paid_on, time(17), tzinfo=UTC)
            events.append((when, finance[0], "payment.voided", "payment", payment.id,
                           {"enrollment_id": payment.enrollment_id,
                            "amount_cents": payment.amount_cents,
                            "paid_on": payment.paid_on.isoformat()}))
    actions = ("payment.recorded", "payment.recorded", "payment.recorded", "meeting.created",
               "rsvp.changed_by_staff", "attendance.marked", "enrollment.tax_form_changed",
               "person.invited")
    while len(events) < plan.audit_events:
        action = rng.choice(actions)
        if action == "payment.recorded":
            payment = rng.choice(payments)
            events.append((datetime.combine(payment.paid_on, time(15), tzinfo=UTC),
                           rng.choice(finance), action, "payment", payment.id,
                           {"enrollment_id": payment.enrollment_id,
                            "amount_cents": payment.amount_cents,
                            "paid_on": payment.paid_on.isoformat()}))
        elif action == "enrollment.tax_form_changed":
            enrollment = rng.choice(enrollment_ids)
            events.append((BASE_INSTANT - timedelta(minutes=rng.randrange(480_000)),
                           rng.choice(finance), action, "enrollment", enrollment,
                           {"changes": {"tax_form_status": {"from": "requested",
                                                            "to": "received"}}}))
        elif action == "person.invited":
            member = rng.choice(people["members"])
            events.append((BASE_INSTANT - timedelta(days=390, minutes=rng.randrange(10_000)),
                           rng.choice(admins), action, "user", member.id, {}))
        else:
            meeting = rng.choice(meetings)
            when = meeting.starts_at - timedelta(days=60 if action == "meeting.created" else 2)
            details = {"person_id": rng.choice(meeting.program.members).id}
            if action == "meeting.created":
                details = {"starts_at": meeting.starts_at.isoformat()}
            elif action == "attendance.marked":
                when = meeting.ends_at
                details["status"] = "in_person"
            events.append((min(when, BASE_INSTANT), rng.choice(facilitators), action, "meeting",
                           meeting.id, details))
    events.sort(key=lambda event: event[0])
    for number, (when, actor, action, subject_type, subject_id, details) in enumerate(
            events, start=1):
        writer.add(AuditEvent.__table__, {
            "id": number, "actor_id": actor, "action": action, "subject_type": subject_type,
            "subject_id": subject_id, "details": details, "created_at": when})


def sign_in_examples() -> list[tuple[str, str]]:
    """(role, sign-in name) of a few people in the city data set."""
    member = db.session.scalars(
        select(User.email).join(Enrollment, Enrollment.user_id == User.id)
        .where(Enrollment.status == EnrollmentStatus.ACTIVE, User.email.is_not(None))
        .order_by(User.id).limit(1)).first()
    return [("member", member or ""), ("facilitator", f"facilitator1@{EMAIL_DOMAIN}"),
            ("finance", f"finance1@{EMAIL_DOMAIN}"), ("admin", f"admin1@{EMAIL_DOMAIN}")]
