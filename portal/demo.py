"""Demo data: one program for the coming December–May season and the people in it.

Everyone here is invented. Running it twice changes nothing the second time.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import date, time, timedelta

from sqlalchemy import func, select

from portal.applications.demo import ensure_calls
from portal.auth.models import Role, RoleGrant, User
from portal.db import db, utcnow
from portal.documents.demo import ensure_documents
from portal.meetings.models import AttendanceStatus, Meeting, MeetingFormat, Response
from portal.meetings.services import (
    MeetingDetails,
    Needs,
    create_meeting,
    create_series,
    local_instant,
    mark_attendance,
    rsvp_for_meeting,
    set_meeting_text,
)
from portal.meetings.translations import MeetingTranslation, translate_meeting
from portal.programs.models import Enrollment, Installment, Program, TaxFormStatus
from portal.programs.services import enroll
from portal.stipends.models import Payment, PaymentMethod, VoidReason
from portal.stipends.services import (
    PaymentDetails,
    new_submission_key,
    record_payment,
    void_payment,
)
from portal.texts.models import ConsentSource, ReachBy
from portal.texts.phones import to_e164
from portal.texts.services import choose_ways

DEMO_PASSWORD = "community-design-demo"  # noqa: S105 - printed for the demo on purpose
PROGRAM_NAME = "Community-Led Design Group: Mental-Health Crisis Response"


@dataclass(frozen=True)
class DemoPerson:
    name: str
    email: str | None
    language: str
    roles: tuple[Role, ...]
    username: str | None = None
    phone: str | None = None
    interpretation: str | None = None
    children: int = 0
    transport: bool = False
    access_needs: str | None = None
    reach_by: ReachBy = ReachBy.EMAIL
    # Where a member lives, as their application says.
    neighborhood: str | None = None


DEMO_PEOPLE = (
    DemoPerson("Grace Okafor", "admin@demo.example.org", "en", (Role.ADMIN,)),
    DemoPerson("Dana Whitfield", "dana.whitfield@demo.example.org", "en", (Role.FACILITATOR,)),
    DemoPerson("Luis Ortega", "luis.ortega@demo.example.org", "es", (Role.FACILITATOR,)),
    DemoPerson("Priya Raman", "finance@demo.example.org", "en", (Role.FINANCE,)),
    DemoPerson("Rosa Delgado", "rosa.delgado@demo.example.org", "es", (Role.MEMBER,),
               phone="617-555-0141", interpretation="es", children=2, reach_by=ReachBy.BOTH,
               neighborhood="Jamaica Plain"),
    DemoPerson("Widline Joseph", "widline.joseph@demo.example.org", "ht", (Role.MEMBER,),
               phone="617-555-0152", interpretation="ht", transport=True, reach_by=ReachBy.TEXT,
               neighborhood="Mattapan"),
    DemoPerson("陳美玲 (Mei-Ling Chen)", "meiling.chen@demo.example.org", "zh_Hant",
               (Role.MEMBER,), phone="617-555-0163", interpretation="zh_Hant",
               neighborhood="Chinatown"),
    DemoPerson("Nguyễn Thị Lan", "lan.nguyen@demo.example.org", "vi", (Role.MEMBER,),
               phone="617-555-0124", interpretation="vi", children=1, reach_by=ReachBy.BOTH,
               neighborhood="Dorchester"),
    DemoPerson("Amina Haddad", "amina.haddad@demo.example.org", "ar", (Role.MEMBER,),
               phone="617-555-0135", interpretation="ar",
               access_needs="Step-free entrance, please.", reach_by=ReachBy.BOTH,
               neighborhood="South End"),
    DemoPerson("Djenaba Monteiro", None, "kea", (Role.MEMBER,), username="djenaba",
               phone="617-555-0178", interpretation="kea", transport=True, reach_by=ReachBy.TEXT,
               neighborhood="Dorchester"),
    DemoPerson("Thiago Souza", "thiago.souza@demo.example.org", "pt_BR", (Role.MEMBER,),
               neighborhood="East Boston"),
    DemoPerson("Marcus Bell", "marcus.bell@demo.example.org", "en", (Role.MEMBER,),
               children=3, transport=True, neighborhood="Roxbury"),
    DemoPerson("Olga Petrova", "olga.petrova@demo.example.org", "ru", (Role.MEMBER,),
               phone="617-555-0187", interpretation="ru", reach_by=ReachBy.NEITHER,
               neighborhood="Brighton"),
    DemoPerson("Fatou Diallo", "fatou.diallo@demo.example.org", "fr", (Role.MEMBER,),
               neighborhood="Roxbury"),
    # They read the second group's applications, blind; the first signs in as "the reviewer".
    DemoPerson("Keisha Grant", "reviewer@demo.example.org", "en", (Role.REVIEWER,)),
    DemoPerson("Jorge Ramírez", "jorge.ramirez@demo.example.org", "es", (Role.REVIEWER,)),
    DemoPerson("Nadège Pierre-Louis", "nadege.pierrelouis@demo.example.org", "ht",
               (Role.REVIEWER,)),
)


def season_for(today: date) -> tuple[date, date]:
    """The December–May season that is running or coming next."""
    start_year = today.year if today.month >= 6 else today.year - 1
    return date(start_year, 12, 1), date(start_year + 1, 5, 31)


def seed_demo(today: date) -> Program:
    """Create the demo program and people if they are not there yet."""
    program = db.session.scalars(select(Program).where(Program.name == PROGRAM_NAME)).first()
    if program is None:
        start, end = season_for(today)
        program = Program(
            name=PROGRAM_NAME,
            timezone="America/New_York",
            season_start=start,
            season_end=end,
            stipend_cents=120_000,
            currency="USD",
            # Half up front, so members can arrange childcare and rides from the start.
            installments=[
                Installment(label="First half, at the welcome meeting",
                            due_on=today - timedelta(days=WELCOME_DAYS_AGO), amount_cents=60_000),
                Installment(label="Second half, at the end of the season",
                            due_on=date(end.year, 5, 28), amount_cents=60_000),
            ],
        )
        db.session.add(program)
        db.session.flush()
    for person in DEMO_PEOPLE:
        _ensure_person(program, person)
    db.session.flush()
    _ensure_meetings(program, today)
    db.session.flush()
    ensure_documents(program)
    # One member has not sent the tax form yet; the others have.
    enrollments = db.session.scalars(
        select(Enrollment).where(Enrollment.program_id == program.id).order_by(Enrollment.id)
    ).all()
    for index, enrollment in enumerate(enrollments):
        if enrollment.tax_form_status == TaxFormStatus.NOT_REQUESTED:
            enrollment.tax_form_status = (
                TaxFormStatus.REQUESTED if index == 1 else TaxFormStatus.RECEIVED
            )
    _ensure_payments(program, enrollments, today)
    ensure_calls(program, today)
    return program


# Who was paid the first half, and how. Widline's tax form is still missing,
# and Thiago asked to be paid at the next meeting.
DEMO_PAYMENTS = {
    "Rosa Delgado": (PaymentMethod.DIRECT_DEPOSIT, None),
    "陳美玲 (Mei-Ling Chen)": (PaymentMethod.CHECK, "Check 1041"),
    "Nguyễn Thị Lan": (PaymentMethod.PREPAID_CARD, "Card ending 3307"),
    "Amina Haddad": (PaymentMethod.DIRECT_DEPOSIT, None),
    "Djenaba Monteiro": (PaymentMethod.CASH, "Receipt 0012"),
    "Marcus Bell": (PaymentMethod.CHECK, "Check 1043"),
    "Olga Petrova": (PaymentMethod.GIFT_CARD, "Grocery card 5521"),
    "Fatou Diallo": (PaymentMethod.CHECK, "Check 1045"),
}


def _ensure_payments(program: Program, enrollments: list[Enrollment], today: date) -> None:
    ids = [enrollment.id for enrollment in enrollments]
    if db.session.scalars(select(Payment).where(Payment.enrollment_id.in_(ids))).first():
        return
    finance = db.session.scalars(
        select(User).where(User.email == "finance@demo.example.org")).one()
    first = program.installments[0]
    paid_on = min(today, first.due_on + timedelta(days=1))
    for enrollment in enrollments:
        if enrollment.user.name not in DEMO_PAYMENTS:
            continue
        method, reference = DEMO_PAYMENTS[enrollment.user.name]
        details = PaymentDetails(first.amount_cents, paid_on, method, reference, None)
        payment, _ = record_payment(finance, enrollment, details,
                                    submission_key=new_submission_key(), today=today)
        if enrollment.user.name == "Marcus Bell":
            # The first check was lost in the mail: voided, then paid again by deposit.
            void_payment(finance, payment, "Check 1043 was lost in the mail; stopped at the bank.",
                         utcnow(), kind=VoidReason.LOST)
            record_payment(
                finance, enrollment,
                PaymentDetails(first.amount_cents, today, PaymentMethod.DIRECT_DEPOSIT, None,
                               "Paid again after the lost check."),
                submission_key=new_submission_key(), today=today)


SESSION_TITLES = {
    "en": "Design session",
    "es": "Sesión de diseño",
    "ht": "Sesyon konsepsyon",
    "zh_Hant": "設計會議",
    "zh_Hans": "设计会议",
    "vi": "Buổi thiết kế",
    "ru": "Дизайн-сессия",
    "kea": "Sesãu di dizenhu",
    "ar": "جلسة تصميم",
    "pt_BR": "Sessão de design",
    "fr": "Séance de conception",
}
SESSION_DESCRIPTION = (
    "We work together on how the city should answer a mental-health crisis call. "
    "Food is served. Masks and a well-ventilated room are available for anyone who "
    "prefers them; the video call is open to everyone who would rather join from home."
)
VENUE = "Boston City Hall, 1 City Hall Square"
# The first sessions' description, place and access notes in a few languages; the
# others (Kreyòl, Arabic...) show the original with a request button.
SESSION_TRANSLATIONS = (
    MeetingTranslation(
        "es", SESSION_TITLES["es"],
        "Trabajamos juntos en cómo la ciudad debe responder a una llamada por una crisis "
        "de salud mental. Se sirve comida. Hay mascarillas y una sala bien ventilada para "
        "quien las prefiera; la videollamada está abierta para todos los que prefieran "
        "participar desde casa.",
        "Alcaldía de Boston, 1 City Hall Square", "Sala 801",
        "Entrada sin escalones por Congress Street; ascensor al 8.º piso. Cuidado de niños "
        "en la sala 803."),
    MeetingTranslation(
        "pt_BR", SESSION_TITLES["pt_BR"],
        "Trabalhamos juntos em como a cidade deve responder a uma ligação de crise de saúde "
        "mental. Servimos comida. Há máscaras e uma sala bem ventilada para quem preferir; "
        "a chamada de vídeo está aberta a todos que preferirem participar de casa.",
        "Prefeitura de Boston, 1 City Hall Square", "Sala 801",
        "Entrada sem degraus pela Congress Street; elevador até o 8º andar. Cuidado "
        "infantil na sala 803."),
    MeetingTranslation(
        "vi", SESSION_TITLES["vi"],
        "Chúng ta cùng nhau bàn cách thành phố nên đáp ứng một cuộc gọi về khủng hoảng sức "
        "khỏe tâm thần. Có phục vụ đồ ăn. Có khẩu trang và phòng thoáng khí cho ai muốn; "
        "cuộc gọi video mở cho tất cả những ai muốn tham gia từ nhà.",
        "Tòa Thị chính Boston, 1 City Hall Square", "Phòng 801",
        "Lối vào không có bậc thang ở đường Congress; thang máy lên tầng 8. Giữ trẻ ở "
        "phòng 803."),
)
WELCOME_IN_KREYOL = MeetingTranslation(
    "ht", "Byenveni ak oryantasyon",
    "Vin rankontre lòt manm yo ak ekip vil la, epi planifye sezon an ansanm.",
    "Meri Boston, 1 City Hall Square", "Sal 801",
    "Antre san mach sou Congress Street; asansè pou monte 8yèm etaj. Estasyon T ki pi pre: "
    "Government Center, Haymarket.")
WELCOME_DAYS_AGO = 4


def _ensure_meetings(program: Program, today: date) -> None:
    if db.session.scalars(select(Meeting).where(Meeting.program_id == program.id)).first():
        return
    admin = db.session.scalars(select(User).where(User.email == "admin@demo.example.org")).one()
    facilitator = db.session.scalars(
        select(User).where(User.email == "dana.whitfield@demo.example.org")).one()
    members = db.session.scalars(
        select(User).join(Enrollment, Enrollment.user_id == User.id)
        .where(Enrollment.program_id == program.id).order_by(User.id)).all()

    # A welcome meeting a few days ago, which most members came to.
    past_day = today - timedelta(days=WELCOME_DAYS_AGO)
    welcome = create_meeting(
        facilitator, program,
        MeetingDetails(
            starts_at=local_instant(past_day, time(18), program.timezone),
            ends_at=local_instant(past_day, time(20), program.timezone),
            format=MeetingFormat.HYBRID, venue=VENUE, room="Room 801",
            accessibility_notes="Step-free entrance on Congress Street; elevator to the "
                                "8th floor. Closest T stops: Government Center, Haymarket.",
            join_link="https://video.example.org/design-group-welcome", capacity=12),
        language="en", title="Welcome and orientation",
        description="Meet each other and the city team, and plan the season together.")
    set_meeting_text(facilitator, welcome, "es", "Bienvenida y orientación", None)
    translate_meeting(facilitator, welcome, WELCOME_IN_KREYOL, utcnow())
    for index, member in enumerate(members):
        response = Response.VIRTUAL if index % 3 == 0 else Response.IN_PERSON
        rsvp_for_meeting(member, welcome, response, Needs.from_profile(member),
                         welcome.starts_at - timedelta(days=2), actor=facilitator)
        status = (AttendanceStatus.EXCUSED if index == 4 else AttendanceStatus.VIRTUAL
                  if response == Response.VIRTUAL else AttendanceStatus.IN_PERSON)
        mark_attendance(facilitator, welcome, member, status, welcome.ends_at)

    # The season: every other Wednesday, 6 to 8 pm, skipping the holidays.
    first = program.season_start
    while first.weekday() != 2:
        first += timedelta(days=1)
    series = create_series(
        admin, program, first_day=first, last_day=program.season_end, every_weeks=2,
        starts=time(18), ends=time(20),
        skip={date(first.year, 12, 30), date(first.year, 12, 23)},
        template=MeetingDetails(
            starts_at=local_instant(first, time(18), program.timezone),
            ends_at=local_instant(first, time(20), program.timezone),
            format=MeetingFormat.HYBRID, venue=VENUE, room="Room 801",
            accessibility_notes="Step-free entrance on Congress Street; elevator to the "
                                "8th floor. Childcare in Room 803.",
            join_link="https://video.example.org/design-group", capacity=8),
        deadline_days_before=1, language="en", title=SESSION_TITLES["en"],
        description=SESSION_DESCRIPTION)
    for meeting in series:
        for code, title in SESSION_TITLES.items():
            if code != "en":
                set_meeting_text(admin, meeting, code, title, None)
        meeting.sequence = 0
    for meeting in series[:3]:
        for translation in SESSION_TRANSLATIONS:
            translate_meeting(admin, meeting, translation, utcnow())
        meeting.sequence = 0
    # A range of answers for the first session, and a full room with a waitlist for the second.
    now = min(series[0].rsvp_deadline, welcome.ends_at + timedelta(days=1))
    answers = [Response.IN_PERSON] * 5 + [Response.VIRTUAL] * 3 + [Response.NOT_ATTENDING]
    for member, response in zip(members, answers, strict=False):
        rsvp_for_meeting(member, series[0], response, Needs.from_profile(member), now)
    series[1].capacity = 2
    for member, response in zip(members, [Response.IN_PERSON, Response.IN_PERSON,
                                          Response.WAITLISTED, Response.VIRTUAL], strict=False):
        rsvp_for_meeting(member, series[1], response, Needs.from_profile(member), now)


def _ensure_person(program: Program, person: DemoPerson) -> User:
    key = User.email if person.email else User.username
    value = person.email or person.username
    user = db.session.scalars(select(User).where(func.lower(key) == value)).first()
    if user is not None:
        return user
    user = User(
        name=person.name,
        email=person.email,
        username=person.username,
        phone=to_e164(person.phone) if person.phone else None,
        preferred_language=person.language,
        interpretation_language=person.interpretation,
        childcare_children=person.children,
        transport_help=person.transport,
        access_needs=person.access_needs,
        role_grants=[RoleGrant(role=role) for role in person.roles],
    )
    user.set_password(DEMO_PASSWORD)
    db.session.add(user)
    db.session.flush()
    # As the members said on their applications.
    choose_ways(user, person.reach_by, ConsentSource.APPLICATION, utcnow())
    if Role.MEMBER in person.roles:
        enroll(user, program)
    return user


def sign_in_table() -> str:
    lines = [f"{'Role':<12} {'Sign in with':<36} Language", "-" * 60]
    for person in DEMO_PEOPLE:
        roles = ",".join(role.value for role in person.roles)
        lines.append(f"{roles:<12} {person.email or person.username:<36} {person.language}")
    lines.append(f"\nPassword for everyone: {DEMO_PASSWORD}")
    return "\n".join(lines)


def public_address(host: str, port: int) -> str:
    """The address people open for a demo listening on `host`:`port`.

    Listening on every interface (0.0.0.0) means phones on the same network are
    meant to reach it, so links and QR codes carry this machine's network address.
    """
    if host in ("0.0.0.0", "::", ""):  # noqa: S104  # nosec B104  # read, not bound here
        host = _network_address()
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def _network_address() -> str:
    # Connecting a UDP socket sends nothing; it only picks the outgoing interface.
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))
            return probe.getsockname()[0]
    except OSError:
        return "127.0.0.1"


def main() -> None:
    """Create the database, load the demo and serve the portal on this machine."""
    os.environ.setdefault("PORTAL_ENV", "development")
    os.environ.setdefault("PORTAL_STAFF_CONTACT", "617-555-0100")
    from flask_migrate import upgrade

    from portal import create_app

    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "5000"))
    # Links in emails, calendar files and printed sheets lead to where the demo listens,
    # unless PORTAL_BASE_URL names another address.
    settings = {} if os.environ.get("PORTAL_BASE_URL") else {
        "BASE_URL": public_address(host, port)}
    app = create_app(settings)
    with app.app_context():
        upgrade()
        seed_demo(date.today())
        db.session.commit()
    print(f"\nDesign Group Portal demo: {app.config['BASE_URL']}/\n")
    print(sign_in_table())
    if app.config["MAIL_BACKEND"] == "console":
        print("\nEmails are printed here instead of being sent.", flush=True)
    if app.config["SMS_BACKEND"] == "console":
        print("Texts are printed here too. To answer a text reminder as a member would:\n"
              "  flask --app wsgi texts receive --from 617-555-0178 1", flush=True)
    print("Stop with Ctrl+C.\n", flush=True)
    app.run(host=host, port=port, debug=False, use_reloader=False)
