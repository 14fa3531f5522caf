"""Demo materials: agendas in several languages, minutes, a printable handout and a
few open translation requests. Everything here is invented."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from portal.auth.models import User
from portal.db import db, utcnow
from portal.documents.models import Document, DocumentKind
from portal.documents.services import (
    Upload,
    VersionContent,
    create_document,
    publish_document,
    request_translation,
    set_version,
    update_document,
)
from portal.meetings.models import Meeting
from portal.programs.models import Program

WELCOME_AGENDA = {
    "en": ("Welcome and orientation", """\
**6:00 pm** Food, and time to settle in

**6:15 pm** Welcome from the city team and introductions: your name, your neighborhood,
and what brought you here

**6:45 pm** How the group works
- The season, the meetings, and how to take part in person or online
- The $1,200 stipend for childcare and transport, and when it is paid
- Interpretation in your language at every meeting

**7:15 pm** Group agreements: how we want to treat each other

**7:45 pm** Questions, and what you would like from the next meeting

If you need a break at any time, take it. There is a quiet room next door (Room 802).
"""),
    "es": ("Bienvenida y orientación", """\
**6:00 pm** Comida y tiempo para acomodarse

**6:15 pm** Bienvenida del equipo de la ciudad y presentaciones: su nombre, su barrio
y qué le trajo aquí

**6:45 pm** Cómo funciona el grupo
- La temporada, las reuniones y cómo participar en persona o en línea
- El estipendio de $1,200 para cuidado de niños y transporte, y cuándo se paga
- Interpretación en su idioma en cada reunión

**7:15 pm** Acuerdos del grupo: cómo queremos tratarnos

**7:45 pm** Preguntas, y qué le gustaría para la próxima reunión

Si necesita un descanso en cualquier momento, tómelo. Hay una sala tranquila al lado (Sala 802).
"""),
    "zh_Hant": ("歡迎與說明會", """\
**下午 6:00** 用餐，稍作休息

**下午 6:15** 市府團隊致歡迎詞及自我介紹：您的名字、您住的社區，以及您來參加的原因

**下午 6:45** 小組如何運作
- 本季安排、會議，以及如何親自或線上參加
- 用於托兒和交通的 $1,200 津貼，以及發放時間
- 每次會議都提供您的語言的口譯

**下午 7:15** 小組約定：我們希望如何對待彼此

**下午 7:45** 提問，以及您對下次會議的期望

任何時候需要休息都可以。隔壁有安靜的房間（802 室）。
"""),
    "vi": ("Chào mừng và giới thiệu", """\
**6:00 chiều** Ăn uống và ổn định chỗ ngồi

**6:15 chiều** Nhóm của thành phố chào mừng và mọi người tự giới thiệu: tên, khu phố,
và lý do bạn đến đây

**6:45 chiều** Cách nhóm hoạt động
- Mùa họp, các buổi họp, và cách tham gia trực tiếp hoặc trực tuyến
- Khoản hỗ trợ $1,200 cho giữ trẻ và đi lại, và thời gian chi trả
- Thông dịch bằng ngôn ngữ của bạn ở mỗi buổi họp

**7:15 chiều** Thỏa thuận chung của nhóm: chúng ta muốn đối xử với nhau thế nào

**7:45 chiều** Câu hỏi, và điều bạn mong muốn cho buổi họp tới

Bạn có thể nghỉ bất cứ lúc nào. Có một phòng yên tĩnh bên cạnh (Phòng 802).
"""),
    "ar": ("الترحيب والتعريف", """\
**6:00 مساءً** الطعام، ووقت للاستقرار

**6:15 مساءً** ترحيب من فريق المدينة والتعارف: اسمك، وحيّك، وما الذي جاء بك إلى هنا

**6:45 مساءً** كيف تعمل المجموعة
- الموسم والاجتماعات وكيفية المشاركة حضوريًا أو عبر الإنترنت
- المنحة البالغة 1,200 دولار لرعاية الأطفال والمواصلات، وموعد دفعها
- الترجمة الفورية بلغتك في كل اجتماع

**7:15 مساءً** اتفاقات المجموعة: كيف نريد أن نعامل بعضنا

**7:45 مساءً** الأسئلة، وما تودّ أن يكون في الاجتماع القادم

إذا احتجت إلى استراحة في أي وقت فخذها. توجد غرفة هادئة بجانبنا (الغرفة 802).
"""),
}

SESSION_AGENDA_FIRST = """\
**6:00 pm** Food and check-in

**6:15 pm** What happens today when someone in Boston calls 911 about a mental-health crisis
- In 2020 dispatchers took more than 10,000 of these calls
- Most came from Dorchester, Roxbury and the South End

**7:00 pm** Small groups: what would have helped you, or someone you love, in a crisis?

**7:45 pm** Share back, and plan the next session
"""
SESSION_AGENDA = SESSION_AGENDA_FIRST.replace(
    "**7:00 pm** Small groups",
    "**6:45 pm** A short talk from a peer support worker\n\n**7:00 pm** Small groups")
SESSION_AGENDA_TRANSLATIONS = {
    "es": ("Primera sesión de diseño", """\
**6:00 pm** Comida y bienvenida

**6:15 pm** Qué pasa hoy cuando alguien en Boston llama al 911 por una crisis de salud mental
- En 2020 los operadores recibieron más de 10,000 de estas llamadas
- La mayoría vino de Dorchester, Roxbury y el South End

**6:45 pm** Una charla corta de un trabajador de apoyo entre pares

**7:00 pm** Grupos pequeños: ¿qué le habría ayudado a usted, o a un ser querido, en una crisis?

**7:45 pm** Compartir, y planear la próxima sesión
"""),
    "zh_Hant": ("第一次設計會議", """\
**下午 6:00** 用餐與報到

**下午 6:15** 現在波士頓有人因心理健康危機撥打 911 時會發生什麼
- 2020 年調度員接到超過 10,000 通這類電話
- 大多數來自 Dorchester、Roxbury 和 South End

**下午 6:45** 同儕支持工作者的簡短分享

**下午 7:00** 分組討論：在危機中，什麼會對您或您所愛的人有幫助？

**下午 7:45** 分享，並計劃下次會議
"""),
    "ar": ("جلسة التصميم الأولى", """\
**6:00 مساءً** الطعام والتسجيل

**6:15 مساءً** ماذا يحدث اليوم عندما يتصل شخص في بوسطن بالرقم 911 بسبب أزمة نفسية
- في عام 2020 تلقى موظفو الطوارئ أكثر من 10,000 مكالمة من هذا النوع
- جاء معظمها من دورتشستر وروكسبري وساوث إند

**6:45 مساءً** حديث قصير من عامل دعم الأقران

**7:00 مساءً** مجموعات صغيرة: ما الذي كان سيساعدك أو يساعد من تحب في أزمة؟

**7:45 مساءً** المشاركة، والتخطيط للجلسة القادمة
"""),
}
# Written before the original gained the peer-support talk: shown as possibly out of date.
SESSION_AGENDA_VI = ("Chương trình: buổi thiết kế đầu tiên", """\
**6:00 chiều** Ăn uống và điểm danh

**6:15 chiều** Điều gì xảy ra hôm nay khi ai đó ở Boston gọi 911 vì khủng hoảng sức khỏe tâm thần
- Năm 2020, tổng đài viên nhận hơn 10.000 cuộc gọi như vậy
- Phần lớn đến từ Dorchester, Roxbury và South End

**7:00 chiều** Nhóm nhỏ: điều gì đã có thể giúp bạn, hoặc người thân của bạn, trong lúc khủng hoảng?

**7:45 chiều** Chia sẻ, và lên kế hoạch cho buổi tới
""")

WELCOME_MINUTES = ("Welcome and orientation", """\
Eleven members came: seven in person and four online. Interpreters for Spanish,
Haitian Creole, Cantonese, Vietnamese and Arabic joined us.

## What we agreed
- We speak one at a time, and anyone may pass.
- What people share about their own lives stays in the room.
- Meetings start with food and end on time.

## What members asked for
- Printed agendas in large type at each in-person meeting.
- A reminder by text message the day before (the city team is checking this).
- Childcare in Room 803 from 5:45 pm.

## Next time
The first design session: what happens today when someone calls 911 about a
mental-health crisis.
""")
WELCOME_MINUTES_ES = ("Bienvenida y orientación", """\
Vinieron once miembros: siete en persona y cuatro en línea. Nos acompañaron intérpretes
de español, criollo haitiano, cantonés, vietnamita y árabe.

## Lo que acordamos
- Hablamos de uno en uno, y cualquiera puede pasar su turno.
- Lo que las personas comparten de su propia vida se queda en la sala.
- Las reuniones empiezan con comida y terminan a tiempo.

## Lo que pidieron los miembros
- Órdenes del día impresas en letra grande en cada reunión presencial.
- Un recordatorio por mensaje de texto el día antes (el equipo de la ciudad lo está viendo).
- Cuidado de niños en la Sala 803 desde las 5:45 pm.

## La próxima vez
La primera sesión de diseño: qué pasa hoy cuando alguien llama al 911 por una crisis de
salud mental.
""")

HANDOUT_TITLE = "Getting to City Hall, and what to expect"
HANDOUT_BODY = """\
Meetings are in **Room 801** at Boston City Hall, 1 City Hall Square.

- The step-free entrance is on Congress Street. Take the elevator to the 8th floor.
- The closest T stops are Government Center (Green and Blue Lines) and Haymarket
  (Orange Line).
- Keep your receipts for rides and childcare; the stipend is meant for them.

The printable map is attached.
"""
HANDOUT_ES = ("Cómo llegar a City Hall, y qué esperar", """\
Las reuniones son en la **Sala 801** de Boston City Hall, 1 City Hall Square.

- La entrada sin escalones está en Congress Street. Tome el ascensor al piso 8.
- Las paradas del T más cercanas son Government Center (líneas Verde y Azul) y Haymarket
  (línea Naranja).
- Guarde sus recibos de viajes y cuidado de niños; el estipendio es para eso.
""")


def handout_pdf(lines: list[str]) -> bytes:
    """A small, valid one-page PDF with a few lines of text."""
    text = ["BT", "/F1 14 Tf", "72 720 Td", "18 TL"]
    for line in lines:
        escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        text.append(f"({escaped}) Tj T*")
    text.append("ET")
    stream = "\n".join(text).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


def _content(title_body: tuple[str, str]) -> VersionContent:
    return VersionContent(title=title_body[0], body=title_body[1])


def _person(email: str) -> User:
    return db.session.scalars(select(User).where(User.email == email)).one()


def ensure_documents(program: Program) -> None:
    if db.session.scalars(select(Document).where(Document.program_id == program.id)).first():
        return
    dana = _person("dana.whitfield@demo.example.org")
    luis = _person("luis.ortega@demo.example.org")
    meetings = db.session.scalars(select(Meeting).where(Meeting.program_id == program.id)
                                  .order_by(Meeting.starts_at)).all()
    welcome = next(m for m in meetings if m.series_key is None)
    first, second = [m for m in meetings if m.series_key is not None][:2]
    now = utcnow().replace(microsecond=0)

    def earlier(hours: float) -> datetime:
        return now - timedelta(hours=hours)

    # The welcome meeting: an agenda in five languages, and minutes afterwards.
    posted = min(welcome.starts_at - timedelta(days=3), earlier(100))
    agenda = create_document(dana, program, kind=DocumentKind.AGENDA, meeting=welcome,
                             language="en", content=_content(WELCOME_AGENDA["en"]), now=posted)
    for code in ("es", "zh_Hant", "vi", "ar"):
        set_version(luis if code == "es" else dana, agenda, code,
                    _content(WELCOME_AGENDA[code]), posted + timedelta(hours=2))
    publish_document(dana, agenda, posted + timedelta(hours=3))

    minutes = create_document(dana, program, kind=DocumentKind.MINUTES, meeting=welcome,
                              language="en", content=_content(WELCOME_MINUTES),
                              now=earlier(60))
    set_version(luis, minutes, "es", _content(WELCOME_MINUTES_ES), earlier(59))
    publish_document(dana, minutes, earlier(58))

    # The first design session: the Vietnamese version was written before the
    # original gained a talk, so it says it may be out of date.
    session_agenda = create_document(
        dana, program, kind=DocumentKind.AGENDA, meeting=first, language="en",
        content=VersionContent("First design session", SESSION_AGENDA_FIRST),
        now=earlier(50))
    set_version(dana, session_agenda, "vi", _content(SESSION_AGENDA_VI), earlier(49))
    update_document(dana, session_agenda, kind=DocumentKind.AGENDA, meeting=first,
                    content=VersionContent("First design session", SESSION_AGENDA),
                    now=earlier(30))
    for code, title_body in SESSION_AGENDA_TRANSLATIONS.items():
        set_version(luis if code == "es" else dana, session_agenda, code,
                    _content(title_body), earlier(29))
    publish_document(dana, session_agenda, earlier(28))

    # A handout with a printable map, not tied to one meeting.
    handout = create_document(
        dana, program, kind=DocumentKind.HANDOUT, meeting=None, language="en",
        content=VersionContent(HANDOUT_TITLE, HANDOUT_BODY, upload=Upload(
            handout_pdf(["Boston City Hall, 1 City Hall Square, Room 801",
                         "Step-free entrance: Congress Street",
                         "T: Government Center (Green, Blue), Haymarket (Orange)",
                         "Childcare: Room 803 from 5:45 pm"]),
            "city-hall-map.pdf")),
        now=earlier(70))
    set_version(luis, handout, "es", _content(HANDOUT_ES), earlier(69))
    publish_document(dana, handout, earlier(68))

    # The second session's agenda is still a draft that only staff see.
    create_document(dana, program, kind=DocumentKind.AGENDA, meeting=second, language="en",
                    content=VersionContent("Second design session (draft)",
                                           "**6:00 pm** Food and check-in\n\n"
                                           "**6:15 pm** To be planned with the group"),
                    now=earlier(2))

    # Members waiting for a translation into their language.
    for email, document, code, hours in (
        ("widline.joseph@demo.example.org", session_agenda, "ht", 20),
        ("thiago.souza@demo.example.org", session_agenda, "pt_BR", 12),
        ("olga.petrova@demo.example.org", minutes, "ru", 40),
        ("fatou.diallo@demo.example.org", minutes, "fr", 8),
    ):
        request_translation(_person(email), document, code, earlier(hours))
