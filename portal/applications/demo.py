"""Demo calls: this season's, closed, with the applications it received (the ten
members among them), and an open call for a second group. All invented."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from portal.applications.models import (
    Application,
    ApplicationStatus,
    Channel,
    ContactWay,
    OpenCall,
)
from portal.applications.services import (
    CallDetails,
    CallWording,
    new_reference,
    open_call,
    translate_call,
)
from portal.auth.models import Role, RoleGrant, User
from portal.db import db
from portal.programs.models import Installment, Program

SEASON_SLUG = "design-group"
SECOND_SLUG = "second-group"
SECOND_PROGRAM = "Community-Led Design Group: Second Group"
CITY_HALL = "Boston City Hall\n1 City Hall Square\nBoston, MA 02201"

INVITATION = (
    "The City of Boston is forming a Community-Led Design Group: ten residents with "
    "lived experience of mental-health crises who will help design how the city responds "
    "to them.\n\nThe group meets twice a month from December to May, online or in person. "
    "Each member receives a $1,200 stipend toward childcare and transportation. "
    "Translation is offered in your preferred language.")
WHO = "Boston residents, 18 or older, with lived experience of a mental-health crisis."
QUESTION = "What would you most like the city to change about crisis response?"

SECOND_TEXTS = {
    "es": ("Grupo de Diseño Comunitario: segundo grupo",
           "La Ciudad de Boston forma un segundo grupo de diseño: diez residentes con "
           "experiencia vivida de crisis de salud mental. Cada integrante recibe un estipendio "
           "de $1,200 para cuidado infantil y transporte. Ofrecemos traducción en su idioma.",
           "Residentes de Boston, de 18 años o más, con experiencia vivida de una crisis de "
           "salud mental.",
           "¿Qué le gustaría más que la ciudad cambiara en la respuesta a las crisis?"),
    "ht": ("Gwoup Konsepsyon Kominotè: dezyèm gwoup",
           "Vil Boston ap fòme yon dezyèm gwoup konsepsyon: dis rezidan ki viv eksperyans "
           "kriz sante mantal. Chak manm resevwa yon stipend $1,200 pou gadri ak transpò. "
           "Nou ofri tradiksyon nan lang ou prefere a.",
           "Rezidan Boston ki gen 18 an oswa plis, ki viv eksperyans yon kriz sante mantal.",
           "Kisa ou ta renmen vil la chanje plis nan fason li reyaji nan kriz?"),
}

# (status, how many) for the applicants who are not demo members.
OUTCOMES = ((ApplicationStatus.NOT_SELECTED, 36), (ApplicationStatus.ALTERNATE, 3),
            (ApplicationStatus.INELIGIBLE, 6), (ApplicationStatus.WITHDRAWN, 2),
            (ApplicationStatus.ELIGIBLE, 2))
INELIGIBLE_REASONS = ("Lives in Cambridge, not Boston.", "Under 18.",
                      "Lives in Quincy; said so on the phone.")
FIRST = ("Alicia", "Jamal", "Keisha", "Carlos", "Mirlande", "Huong", "Wei", "Sergei",
         "Yusuf", "Ana", "Tanisha", "Daniel", "Nadia", "Joao", "Fabiola", "Kevin", "Lucia",
         "Omar", "Shanice", "Ivan", "Maria", "Dwayne", "Esther", "Hao", "Paulo")
LAST = ("Rivera", "Williams", "Pierre", "Tran", "Lopez", "Brooks", "Wong", "Ivanova",
        "Mensah", "Fernandes", "Jean-Baptiste", "Santos", "Abdi", "Greene", "Cruz")
LANGUAGES = ("en", "en", "en", "es", "es", "ht", "vi", "zh_Hant", "pt_BR", "kea", "ar", "ru")
# Most 911 mental-health calls came from these three; the demo's applicants do too.
PLACES = (("Dorchester", 10), ("Roxbury", 8), ("South End", 6), ("Mattapan", 3),
          ("Jamaica Plain", 3), ("East Boston", 3), ("Hyde Park", 2), ("Chinatown", 2),
          ("Allston", 1), ("Brighton", 1), ("South Boston", 1), ("Roslindale", 1),
          ("other", 1))
CHANNELS = ((Channel.ONLINE, 40), (Channel.MAIL, 9), (Channel.IN_PERSON, 7), (Channel.PHONE, 4))
STATEMENTS = (
    "My brother went through a crisis and the police came instead of someone who could "
    "help. I want the next family to get care, not handcuffs.",
    "I have lived with depression for years and called 911 once. I know what helped and "
    "what did not.",
    "I work nights and raise two children. I have been in crisis myself and I want a "
    "say in how the city answers those calls.",
)


def _weighted(rng: random.Random, pairs) -> object:
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


def ensure_calls(program: Program, today: date) -> None:
    """This season's closed call with its applications, and an open call for a second
    group. Adds nothing when they are there already."""
    if db.session.scalar(select(OpenCall.id).where(OpenCall.slug == SEASON_SLUG)):
        return
    admin = db.session.scalars(select(User).join(RoleGrant).where(
        RoleGrant.role == Role.ADMIN).order_by(User.id)).first()
    zone = ZoneInfo(program.timezone)
    deadline = program.season_start - timedelta(days=21)
    opened = datetime.combine(deadline - timedelta(days=35), time(9), tzinfo=zone)
    season = open_call(admin, program, CallDetails(
        slug=SEASON_SLUG, deadline_day=deadline, deadline_time=time(17),
        decisions_by=deadline + timedelta(days=14), seats=10, paper_address=CITY_HALL,
        paper_office="Suite 806", paper_hours="Monday to Friday, 9 a.m. to 5 p.m."),
        CallWording("en", "Community-Led Design Group: apply to join", INVITATION, WHO,
                    (QUESTION,)), opened)
    season.decided_at = datetime.combine(deadline + timedelta(days=12), time(12), tzinfo=zone)
    _add_applications(season, admin, opened, zone)

    second = Program(name=SECOND_PROGRAM, timezone=program.timezone,
                     season_start=program.season_start + timedelta(days=90),
                     season_end=program.season_end + timedelta(days=90),
                     stipend_cents=program.stipend_cents, currency=program.currency,
                     installments=[Installment(label="Whole stipend",
                                               due_on=program.season_end + timedelta(days=60),
                                               amount_cents=program.stipend_cents)])
    db.session.add(second)
    db.session.flush()
    now = datetime.combine(today, time(9), tzinfo=zone)
    call = open_call(admin, second, CallDetails(
        slug=SECOND_SLUG, deadline_day=today + timedelta(days=21), deadline_time=time(17),
        decisions_by=today + timedelta(days=35), seats=10, paper_address=CITY_HALL,
        paper_office="Suite 806", paper_hours="Monday to Friday, 9 a.m. to 5 p.m."),
        CallWording("en", "Community-Led Design Group: second group", INVITATION, WHO,
                    (QUESTION,)), now)
    for language, (title, invitation, who, question) in SECOND_TEXTS.items():
        translate_call(admin, call, CallWording(language, title, invitation, who, (question,)),
                       now)


def _add_applications(call: OpenCall, admin: User, opened: datetime, zone: ZoneInfo) -> None:
    from portal.demo import DEMO_PEOPLE

    # The same invented demo every time: nothing secret comes from this.
    rng = random.Random(2021)  # noqa: S311  # nosec B311
    people = [(p.name, p.email, p.phone, p.language, ApplicationStatus.CONFIRMED)
              for p in DEMO_PEOPLE if Role.MEMBER in p.roles]
    for status, count in OUTCOMES:
        for _ in range(count):
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            slug = name.lower().replace(" ", ".")
            email = f"{slug}@example.net" if rng.random() < 0.75 else None
            phone = f"617-555-{rng.randrange(200, 999):04d}"
            people.append((name, email, phone, rng.choice(LANGUAGES), status))
    rng.shuffle(people)
    reasons = iter(INELIGIBLE_REASONS * 3)
    window = (call.closes_at - opened).total_seconds()
    for name, email, phone, language, status in people:
        channel = _weighted(rng, CHANNELS) if email or status != ApplicationStatus.CONFIRMED \
            else Channel.MAIL
        received = opened + timedelta(seconds=window * rng.random() ** 0.6)
        contact = ContactWay.EMAIL if email else ContactWay.CALL
        db.session.add(Application(
            call=call, reference=new_reference(), status=status, channel=channel,
            received_at=received, entered_by=None if channel == Channel.ONLINE else admin,
            language=language, name=name, email=email, phone=phone,
            mailing_address=None if email else "12 Example Street\nBoston, MA 02121",
            preferred_contact=contact, neighborhood=_weighted(rng, PLACES),
            eligibility={"meets_conditions": "no" if status == ApplicationStatus.INELIGIBLE
                         else "yes"},
            answers={str(call.questions[0].id): "Send counselors, not only police."},
            statement=rng.choice(STATEMENTS), experience=None,
            availability={"times": rng.sample(["weekday_evening", "weekend",
                                               "weekday_daytime"], 2),
                          "format": rng.choice(["in_person", "online", "either"])},
            needs={"interpretation": language if language != "en" else "",
                   "childcare": rng.random() < 0.3, "transport": rng.random() < 0.4,
                   "access": ""},
            demographics={"age_band": rng.choice(["25-34", "35-44", "45-54", "prefer_not"]),
                          "gender": rng.choice(["woman", "man", "prefer_not"]), "race": []},
            consent_at=received,
            eligibility_reason=next(reasons) if status == ApplicationStatus.INELIGIBLE
            else None,
            withdrawn_at=received + timedelta(days=3)
            if status == ApplicationStatus.WITHDRAWN else None))
