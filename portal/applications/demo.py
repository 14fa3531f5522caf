"""Demo calls, all invented: this season's, drawn a few weeks ago (its panel is the ten
members, its alternates wait), and an open call for a second group whose first
applications are being reviewed."""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass
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
    mark_eligibility,
    new_reference,
    open_call,
    translate_call,
)
from portal.auth.models import Role, RoleGrant, User
from portal.db import db
from portal.programs.models import Installment, Program
from portal.review.demo import review_second_call
from portal.selection.demo import draw_the_members
from portal.texts.models import ReachBy

SEASON_SLUG = "design-group"
SECOND_SLUG = "second-group"
SECOND_PROGRAM = "Community-Led Design Group: Second Group"
CITY_HALL = "Boston City Hall\n1 City Hall Square\nBoston, MA 02201"

# This season's call closed a month ago; the seats were drawn in public nine days
# later and everyone was told that afternoon, so the members had time to say yes
# before the welcome meeting.
DEADLINE_DAYS_AGO = 30
DRAWN_DAYS_AFTER_DEADLINE = 9

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

# Who else entered this season's pool, by language: how many, and how many of them
# sent a paper application and asked for the answer by post. The draw's targets give
# every language of the pool a seat, and each member had someone of their language
# beside them, so every seat was a real chance, not a certainty.
POOL_OTHERS = (("en", 5, 1), ("es", 4, 1), ("ht", 2, 1), ("pt_BR", 2, 0), ("zh_Hant", 1, 1),
               ("vi", 1, 0), ("ar", 1, 1), ("kea", 1, 0), ("ru", 1, 0), ("fr", 1, 0))
# Applications that never entered the pool, with their languages.
OUT_OF_POOL = ((ApplicationStatus.INELIGIBLE, ("en", "es", "en", "zh_Hans", "ht", "en")),
               (ApplicationStatus.WITHDRAWN, ("en", "vi")))
INELIGIBLE_REASONS = ("Lives in Cambridge, not Boston.", "Under 18.",
                      "Lives in Quincy; said so on the phone.")
# The second group's call so far: the first applications were checked and given out
# for review; the newest wait to be checked.
SECOND_APPLICATIONS = ((ApplicationStatus.ELIGIBLE, 9), (ApplicationStatus.INELIGIBLE, 1),
                       (ApplicationStatus.SUBMITTED, 4))
SECOND_OPENED_DAYS_AGO = 16

# Invented names, as people who write each language in Boston might be called:
# (women, men).
NAMES = {
    "en": (("Keisha Williams", "Tanisha Brooks", "Shanice Greene", "Denise Carter",
            "Alicia Hughes", "Esther Johnson", "Kathleen Walsh", "Monique Daniels"),
           ("Jamal Greene", "Dwayne Brooks", "Kevin O'Neill", "Tyrone Carter", "Daniel Hughes",
            "Brian Walsh", "Marcus Reed", "Terrence Hall")),
    "es": (("Lucía Rivera", "Yesenia Cruz", "Carmen Peña", "Ana Martínez", "María Santiago"),
           ("Carlos López", "José Rodríguez", "Luis Figueroa", "Héctor Ramos")),
    "ht": (("Mirlande Pierre", "Fabiola Jean-Baptiste", "Guerda Exantus", "Rose-Marie Dorval"),
           ("Wilner Charles", "Jean-Robert Joseph", "Frantz Désir")),
    "vi": (("Huong Tran", "Linh Pham", "Thanh Vo"), ("Minh Nguyen", "Tuan Le", "Bao Tran")),
    "zh_Hant": (("Wong Siu-Ling", "Chan Mei-Yee", "Lee Wai-Han"),
                ("Cheung Kwok-Wai", "Lau Chi-Keung")),
    "zh_Hans": (("Zhang Jing", "Liu Yan"), ("Wang Hao", "Chen Lei")),
    "pt_BR": (("Fernanda Oliveira", "Luciana Ferreira", "Juliana Costa"),
              ("João Santos", "Rafael Almeida", "Paulo Ribeiro")),
    "kea": (("Djamila Fernandes", "Adelina Tavares", "Nha Gomes"),
            ("Manuel Barros", "Nelson Lopes")),
    "ar": (("Layla Mansour", "Nadia Saleh", "Huda Khalil"), ("Yusuf Nasser", "Omar Khatib")),
    "ru": (("Irina Morozova", "Natalia Ivanova", "Svetlana Orlova"),
           ("Sergei Volkov", "Ivan Sokolov")),
    "fr": (("Aminata Diop", "Awa Ndiaye", "Mariam Traoré"), ("Moussa Camara", "Ibrahima Sow")),
}
LANGUAGES = ("en", "en", "en", "es", "es", "ht", "vi", "zh_Hant", "pt_BR", "kea", "ar", "ru")
# Most 911 mental-health calls came from these three; the demo's applicants do too.
PLACES = (("Dorchester", 10), ("Roxbury", 8), ("South End", 6), ("Mattapan", 3),
          ("Jamaica Plain", 3), ("East Boston", 3), ("Hyde Park", 2), ("Chinatown", 2),
          ("Allston", 1), ("Brighton", 1), ("South Boston", 1), ("Roslindale", 1),
          ("other", 1))
ZIP_CODES = {"Dorchester": "02124", "Roxbury": "02119", "South End": "02118",
             "Mattapan": "02126", "Jamaica Plain": "02130", "East Boston": "02128",
             "Hyde Park": "02136", "Chinatown": "02111", "Allston": "02134",
             "Brighton": "02135", "South Boston": "02127", "Roslindale": "02131"}
CHANNELS = ((Channel.ONLINE, 40), (Channel.MAIL, 9), (Channel.IN_PERSON, 7), (Channel.PHONE, 4))
STATEMENTS = (
    "My brother went through a crisis and the police came instead of someone who could "
    "help. I want the next family to get care, not handcuffs.",
    "I have lived with depression for years and called 911 once. I know what helped and "
    "what did not.",
    "I work nights and raise two children. I have been in crisis myself and I want a "
    "say in how the city answers those calls.",
)
ANSWERS = ("Send counselors, not only police.",
           "Someone who speaks my language on the phone.",
           "A place to go that is not the emergency room.")
# What the second group's eligible applicants wrote, in their language: the reviewers
# read these, blind.
SECOND_STATEMENTS = (
    ("en", "When my son stopped sleeping and talked to people who were not there, I called 911 "
     "because I did not know who else to call. Four officers came. He was scared, I was "
     "scared. A nurse at the hospital was the first person who explained anything to us. "
     "I want the first person to be someone like her.",
     "The first person who comes should be someone trained for this, and they should "
     "explain what happens next."),
    ("en", "I have bipolar disorder and I have been hospitalized three times. Once the crisis "
     "team came to my apartment and it was completely different: they sat down, they "
     "asked me what I needed. I have also volunteered on a peer support line for two "
     "years, so I know what people say when they call.",
     "More peer workers on the crisis team, people who have been there."),
    ("en", "I don't write well but I know this. My husband had a breakdown in the street in "
     "Mattapan. People filmed him. Nobody helped. I went to every meeting after that "
     "and nobody listened.",
     "Listen to families."),
    ("es", "Soy madre de tres hijos. Mi hija mayor tuvo una crisis el año pasado y en la sala "
     "de emergencias nadie hablaba español. Esperamos once horas. Quiero que la próxima "
     "familia no pase por lo mismo.",
     "Intérpretes en cada llamada y en cada hospital."),
    ("en", "I was homeless for two winters. During that time I saw people in crisis almost every "
     "week, and I was one of them more than once. The shelter staff did their best. What "
     "was missing was somewhere to go at 3 a.m. that was not the ER or a cell.",
     "A 24-hour place to go that is not the ER."),
    ("en", "I am a retired bus driver. I saw many people in crisis on my route over 30 years. "
     "I called for help many times. I have no personal experience myself but I care about "
     "my neighbors.",
     "Training for bus drivers."),
    ("en", "After my best friend died by suicide I started talking about it at my church. "
     "People came to me afterwards and told me things they had never told anyone. I think "
     "the city should hear what they told me.",
     "Follow-up after the crisis, not only during it."),
    ("en", "I have PTSD from my time in the service and anxiety that sometimes turns into "
     "panic. Once a neighbor called the police on me during a panic attack. I would like "
     "to help design something better, and I am good at keeping a meeting on track.",
     "Ask the person what they need before anything else."),
    ("es", "Mi hermano tiene esquizofrenia. Lo hemos cuidado en casa por diez años. Sé lo que "
     "funciona y lo que no, y sé lo que cuesta a una familia.",
     "Apoyo para las familias que cuidan en casa."),
)


@dataclass(frozen=True)
class Applicant:
    name: str
    language: str
    neighborhood: str
    email: str | None
    phone: str | None
    preferred_contact: ContactWay
    channel: Channel
    needs: dict
    gender: str


def _weighted(rng: random.Random, pairs) -> object:
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


def _admin() -> User:
    return db.session.scalars(select(User).join(RoleGrant).where(
        RoleGrant.role == Role.ADMIN).order_by(User.id)).first()


def ensure_calls(program: Program, today: date) -> None:
    """This season's call, drawn, with its applications, and an open call for a second
    group under review. Adds nothing when they are there already."""
    if db.session.scalar(select(OpenCall.id).where(OpenCall.slug == SEASON_SLUG)):
        return
    admin = _admin()
    zone = ZoneInfo(program.timezone)
    deadline = today - timedelta(days=DEADLINE_DAYS_AGO)
    opened = datetime.combine(deadline - timedelta(days=35), time(9), tzinfo=zone)
    drawn_day = deadline + timedelta(days=DRAWN_DAYS_AFTER_DEADLINE)
    season = open_call(admin, program, CallDetails(
        slug=SEASON_SLUG, deadline_day=deadline, deadline_time=time(17),
        decisions_by=deadline + timedelta(days=14), seats=10, paper_address=CITY_HALL,
        paper_office="Suite 806", paper_hours="Monday to Friday, 9 a.m. to 5 p.m."),
        CallWording("en", "Community-Led Design Group: apply to join", INVITATION, WHO,
                    (QUESTION,)), opened)
    # The same invented demo every time: nothing secret comes from this.
    rng = random.Random(2021)  # noqa: S311  # nosec B311
    members = _add_season_applications(season, admin, opened, rng)
    db.session.flush()
    draw_the_members(admin, season, members,
                     drawn_at=datetime.combine(drawn_day, time(14), tzinfo=zone),
                     told_at=datetime.combine(drawn_day, time(16), tzinfo=zone))

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
    second_opened = now - timedelta(days=SECOND_OPENED_DAYS_AGO)
    call = open_call(admin, second, CallDetails(
        slug=SECOND_SLUG, deadline_day=today + timedelta(days=21), deadline_time=time(17),
        decisions_by=today + timedelta(days=35), seats=10, paper_address=CITY_HALL,
        paper_office="Suite 806", paper_hours="Monday to Friday, 9 a.m. to 5 p.m."),
        CallWording("en", "Community-Led Design Group: second group", INVITATION, WHO,
                    (QUESTION,)), second_opened)
    for language, (title, invitation, who, question) in SECOND_TEXTS.items():
        translate_call(admin, call, CallWording(language, title, invitation, who, (question,)),
                       second_opened)
    _add_second_applications(call, admin, second_opened, now, rng)
    db.session.flush()
    review_second_call(admin, call, now)


def _member_applicant(person) -> Applicant:
    """A demo member as they applied: their name, language, neighborhood, contact and
    needs as their account has them."""
    if person.email is None:
        # No email: they came to City Hall and asked for a text.
        contact, channel = ContactWay.TEXT, Channel.IN_PERSON
    elif person.reach_by == ReachBy.NEITHER:
        contact, channel = ContactWay.CALL, Channel.MAIL
    else:
        contact, channel = ContactWay.EMAIL, Channel.ONLINE
    return Applicant(
        name=person.name, language=person.language, neighborhood=person.neighborhood,
        email=person.email, phone=person.phone, preferred_contact=contact, channel=channel,
        needs={"interpretation": person.interpretation or "",
               "childcare": person.children > 0, "transport": person.transport,
               "access": person.access_needs or ""},
        gender="man" if person.name in ("Thiago Souza", "Marcus Bell") else "woman")


def _invented_applicant(rng: random.Random, language: str, taken: set[str],
                        by_post: bool = False) -> Applicant:
    """Someone who writes `language`, with a name nobody else in the call has; `by_post`:
    they sent a paper form and want the answer in a letter."""
    gender = _weighted(rng, (("woman", 5), ("man", 4), ("prefer_not", 1)))
    women, men = NAMES[language]
    names = [n for n in (men if gender == "man" else women if gender == "woman"
                         else women + men) if n not in taken] or [
        n for n in women + men if n not in taken]
    name = rng.choice(names)
    taken.add(name)
    slug = unicodedata.normalize("NFKD", name.lower()).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z]+", ".", slug).strip(".")
    email = f"{slug}@example.net" if not by_post and rng.random() < 0.8 else None
    if by_post:
        contact, channel = ContactWay.MAIL, Channel.MAIL
    elif email:
        contact = ContactWay.TEXT if rng.random() < 0.15 else ContactWay.EMAIL
        channel = _weighted(rng, CHANNELS)
    else:
        contact, channel = ContactWay.CALL, _weighted(rng, CHANNELS[1:])
    return Applicant(
        name=name, language=language, neighborhood=_weighted(rng, PLACES), email=email,
        phone=f"617-555-{rng.randrange(200, 999):04d}", preferred_contact=contact,
        channel=channel,
        needs={"interpretation": language if language != "en" else "",
               "childcare": rng.random() < 0.3, "transport": rng.random() < 0.4,
               "access": ""},
        gender=gender)


def _add_season_applications(call: OpenCall, admin: User, opened: datetime,
                             rng: random.Random) -> dict[Application, User]:
    """Everyone who applied this season; the pool's applications are eligible, waiting
    for the draw. Returns the members' applications with their accounts."""
    from portal.demo import DEMO_PEOPLE

    people = [(_member_applicant(p), ApplicationStatus.ELIGIBLE, p)
              for p in DEMO_PEOPLE if Role.MEMBER in p.roles]
    taken = {person.name for person in DEMO_PEOPLE}
    for language, count, by_post in POOL_OTHERS:
        people += [(_invented_applicant(rng, language, taken, by_post=number < by_post),
                    ApplicationStatus.ELIGIBLE, None) for number in range(count)]
    for status, languages in OUT_OF_POOL:
        people += [(_invented_applicant(rng, language, taken), status, None)
                   for language in languages]
    rng.shuffle(people)
    reasons = iter(INELIGIBLE_REASONS * 3)
    window = (call.closes_at - opened).total_seconds()
    members = {}
    for applicant, status, person in people:
        received = opened + timedelta(seconds=window * rng.random() ** 0.6)
        application = _application(call, admin, applicant, status, received, rng)
        if status == ApplicationStatus.INELIGIBLE:
            application.eligibility_reason = next(reasons)
        if status == ApplicationStatus.WITHDRAWN:
            application.withdrawn_at = received + timedelta(days=3)
        if person is not None:
            members[application] = _account(person)
    return members


def _account(person) -> User:
    key = User.email if person.email else User.username
    return db.session.scalars(select(User).where(key == (person.email or person.username))).one()


def _application(call: OpenCall, admin: User, applicant: Applicant, status: ApplicationStatus,
                 received: datetime, rng: random.Random, statement: str | None = None,
                 answer: str | None = None) -> Application:
    mailing = None
    if applicant.preferred_contact == ContactWay.MAIL or not applicant.email:
        zip_code = ZIP_CODES.get(applicant.neighborhood, "02201")
        mailing = f"{rng.randrange(2, 240)} Example Street\nBoston, MA {zip_code}"
    application = Application(
        call=call, reference=new_reference(), status=status, channel=applicant.channel,
        received_at=received,
        entered_by=None if applicant.channel == Channel.ONLINE else admin,
        language=applicant.language, name=applicant.name, email=applicant.email,
        mobile=applicant.phone if applicant.preferred_contact == ContactWay.TEXT else None,
        phone=applicant.phone, mailing_address=mailing,
        preferred_contact=applicant.preferred_contact, neighborhood=applicant.neighborhood,
        eligibility={"meets_conditions": "no" if status == ApplicationStatus.INELIGIBLE
                     else "yes"},
        answers={str(call.questions[0].id): answer or rng.choice(ANSWERS)},
        statement=statement or rng.choice(STATEMENTS), experience=None,
        availability={"times": rng.sample(["weekday_evening", "weekend",
                                           "weekday_daytime"], 2),
                      "format": rng.choice(["in_person", "online", "either"])},
        needs=applicant.needs,
        demographics={"age_band": rng.choice(["25-34", "35-44", "45-54", "prefer_not"]),
                      "gender": applicant.gender, "race": []},
        consent_at=received)
    db.session.add(application)
    return application


def _add_second_applications(call: OpenCall, admin: User, opened: datetime, now: datetime,
                             rng: random.Random) -> None:
    """The second call's applications so far. Staff checked the earliest ones, in the
    order they came, and found all but one eligible."""
    from portal.demo import DEMO_PEOPLE

    count = sum(how_many for _, how_many in SECOND_APPLICATIONS)
    window = (now - opened).total_seconds()
    received = sorted(opened + timedelta(seconds=window * rng.random()) for _ in range(count))
    statuses = [status for status, how_many in SECOND_APPLICATIONS for _ in range(how_many)]
    # The ineligible one came among the first; the unchecked ones are the newest.
    statuses.insert(3, statuses.pop(statuses.index(ApplicationStatus.INELIGIBLE)))
    written = iter(SECOND_STATEMENTS)
    taken = {person.name for person in DEMO_PEOPLE}
    for status, when in zip(statuses, received, strict=True):
        language, statement, answer = next(written) if status == ApplicationStatus.ELIGIBLE \
            else (rng.choice(LANGUAGES), None, None)
        application = _application(call, admin, _invented_applicant(rng, language, taken),
                                   ApplicationStatus.SUBMITTED, when, rng, statement, answer)
        if status != ApplicationStatus.SUBMITTED:
            db.session.flush()
            mark_eligibility(admin, application, status == ApplicationStatus.ELIGIBLE,
                             None if status == ApplicationStatus.ELIGIBLE
                             else INELIGIBLE_REASONS[0])
