"""The program's name and its installments' names in more than one language: staff add them,
members read their own, or the original with the usual "not available yet" notice."""

from __future__ import annotations

from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.auth.models import Role
from portal.db import db
from portal.outbox.models import OutboxMessage
from portal.programs.models import Program
from tests.conftest import make_person, sign_in
from tests.test_admin import PROGRAM_FORM

SPANISH = {"name": "Grupo de Diseño Comunitario", "labels-0": "Primera mitad",
           "labels-1": "Segunda mitad"}


def _program() -> Program:
    db.session.expire_all()
    return db.session.scalars(select(Program)).one()


def test_staff_add_the_names_in_spanish_and_spanish_readers_see_them(as_role, people):
    admin = as_role("admin")
    settings = admin.get("/admin/program").get_data(as_text=True)
    assert 'href="/admin/program/languages/es"' in settings
    assert "/admin/program/languages/en" not in settings  # the original's own language
    form = admin.get("/admin/program/languages/es").get_data(as_text=True)
    assert "Original: <bdi>First half</bdi>" in form and 'lang="es"' in form

    response = admin.post("/admin/program/languages/es", data=SPANISH)
    assert response.status_code == 302
    program = _program()
    assert program.name_translations == {"es": "Grupo de Diseño Comunitario"}
    assert [i.label_translations for i in program.installments] == [
        {"es": "Primera mitad"}, {"es": "Segunda mitad"}]
    assert db.session.scalars(select(AuditEvent.details).where(
        AuditEvent.action == "program.translated")).one() == {"language": "es"}

    spanish = as_role("member_es")
    home = spanish.get("/").get_data(as_text=True)
    assert '<span lang="es" dir="auto">Grupo de Diseño Comunitario</span>' in home
    # The name is isolated in the title, so a right-to-left name cannot turn it around.
    assert "<title>Inicio – \u2068Grupo de Diseño Comunitario\u2069</title>" in home
    assert '<span lang="es" dir="auto">Primera mitad</span>' in home
    assert "todavía no está disponible" not in home
    stipend = spanish.get("/stipend").get_data(as_text=True)
    assert '<span lang="es" dir="auto">Primera mitad</span>' in stipend
    english = as_role("member").get("/").get_data(as_text=True)
    assert '<span lang="en" dir="auto">Community-Led Design Group</span>' in english


def test_readers_of_a_language_without_a_version_see_the_original_with_a_notice(
        app, as_role, people, program):
    as_role("admin").post("/admin/program/languages/es", data=SPANISH)
    vietnamese = make_person(program, Role.MEMBER, name="Lan Nguyen", language="vi")
    client = app.test_client()
    sign_in(client, vietnamese)
    home = client.get("/").get_data(as_text=True)
    assert '<span lang="en" dir="auto">Community-Led Design Group</span>' in home
    assert "Bạn đang đọc bằng" in home  # "You are reading it in …", in Vietnamese
    stipend = client.get("/stipend").get_data(as_text=True)
    assert '<span lang="en" dir="auto">First half</span>' in stipend


def test_a_changed_original_drops_its_old_translation_and_an_unchanged_one_keeps_it(
        as_role, people):
    admin = as_role("admin")
    admin.post("/admin/program/languages/es", data=SPANISH)
    response = admin.post("/admin/program", data={
        **PROGRAM_FORM, "installments-1-label": "Second half, at the end"})
    assert response.status_code == 302
    program = _program()
    assert program.name_translations == {"es": "Grupo de Diseño Comunitario"}
    assert [i.label_translations for i in program.installments] == [
        {"es": "Primera mitad"}, None]
    # An empty box removes that language's version.
    admin.post("/admin/program/languages/es", data={**SPANISH, "labels-0": ""})
    assert _program().installments[0].label_translations is None


def test_the_invitation_names_the_program_in_the_invited_persons_language(as_role, people):
    admin = as_role("admin")
    admin.post("/admin/program/languages/es", data=SPANISH)
    admin.post("/admin/people/new", data={
        "name": "Lucía Nueva", "email": "lucia@example.org", "preferred_language": "es",
        "roles": ["member"]})
    message = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.to_address == "lucia@example.org")).one()
    assert "Grupo de Diseño Comunitario" in message.subject


def test_the_original_language_and_unknown_languages_have_no_translation_page(as_role):
    admin = as_role("admin")
    assert admin.get("/admin/program/languages/en").status_code == 404
    assert admin.get("/admin/program/languages/klingon").status_code == 404
    page = admin.post("/admin/program/languages/es",
                      data={"name": "Grupo\x00"}).get_data(as_text=True)
    assert "Error:" in page and _program().name_translations is None


def test_the_calendar_feed_is_named_in_the_members_language(app, as_role, people):
    from portal.meetings.calendar import issue_feed_token

    as_role("admin").post("/admin/program/languages/es", data=SPANISH)
    token = issue_feed_token(people["member_es"])
    db.session.commit()
    feed = app.test_client().get(f"/calendar/feed/{token}.ics").get_data(as_text=True)
    assert "X-WR-CALNAME:Grupo de Diseño Comunitario" in feed
    english = issue_feed_token(people["member"])
    db.session.commit()
    assert "X-WR-CALNAME:Community-Led Design Group" in app.test_client().get(
        f"/calendar/feed/{english}.ics").get_data(as_text=True)


def test_the_notice_names_the_original_language_even_where_babel_has_no_names(
        client, people):
    sign_in(client, people["member"])
    client.get("/language/ht")
    page = client.get("/").get_data(as_text=True)
    # Kreyòl names English in Kreyòl, never by its code "en".
    assert "W ap li l an <bdi>angle</bdi>." in page
