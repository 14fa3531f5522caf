"""The audit log in words: each event as one sentence in the reader's language.

One sentence builder per kind of action; an action without one gets a plain generic
sentence. Money details (amounts, references, void reasons, stipend amounts) are read
only through `Reader.money`, so a reader who may not see them never does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from babel.dates import format_skeleton
from flask_babel import format_date, format_time, get_locale, to_user_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.admin.forms import ROLE_LABELS
from portal.audit.models import AuditEvent
from portal.documents.forms import KIND_LABELS
from portal.i18n import money, one_full_stop
from portal.meetings.forms import ATTENDANCE_LABELS, FORMAT_LABELS
from portal.stipends.labels import METHOD_LABELS, TAX_FORM_LABELS, VOID_REASON_LABELS
from portal.web import interpretation_name

# Details that are money: only readers with the finance role see them.
MONEY_DETAILS = frozenset({"amount_cents", "reference", "reason", "reason_kind",
                           "stipend_cents", "installments"})


@dataclass(frozen=True)
class Reader:
    """Who reads the log, and the names the page's events refer to (loaded in one query)."""

    show_money: bool
    people: dict[int, str] = field(default_factory=dict)
    meetings: dict[int, str] = field(default_factory=dict)  # titles in the reader's language
    currency: str = "USD"

    def money(self, details: dict) -> dict:
        """The money details of an event, or nothing for a reader who may not see them."""
        if not self.show_money:
            return {}
        return {key: value for key, value in details.items() if key in MONEY_DETAILS}

    def person(self, user_id) -> str:
        return self.people.get(user_id) or _("someone no longer in the portal")

    def meeting(self, meeting_id) -> str:
        return self.meetings.get(meeting_id) or _("a meeting")


def _when(value: str | None) -> str:
    """An instant stored as ISO text, as a day and time in the program's time zone."""
    if not value:
        return _("none")
    instant = to_user_timezone(datetime.fromisoformat(value))
    day = format_skeleton("yMMMEd", instant, locale=get_locale())
    return f"{day} {format_time(instant, 'short')}"


def _day(value: str | None) -> str:
    return format_date(date.fromisoformat(value), "medium") if value else _("none")


def _quoted(text) -> str:
    return _("“%(text)s”", text=text)


def _label(labels: dict, value) -> str:
    for key, label in labels.items():
        if str(key) == str(value):
            return str(label)
    return str(value) if value is not None else _("none")


def _from_to(what: str, old: str, new: str) -> str:
    return _("%(what)s from %(old)s to %(new)s", what=what, old=old, new=new)


def _joined(parts: list[str]) -> str:
    return _("; ").join(parts)


# --- People, roles and invitations ---------------------------------------------------------

def _person_added(event: AuditEvent, actor: str, reader: Reader) -> str:
    roles = ", ".join(_label(ROLE_LABELS, role) for role in event.details.get("roles", []))
    return _("%(actor)s added %(person)s (%(roles)s) and invited them.", actor=actor,
             person=reader.person(event.subject_id), roles=roles)


def _invitation_sent(event: AuditEvent, actor: str, reader: Reader) -> str:
    person = reader.person(event.subject_id)
    if event.details.get("delivery") == "printed":
        return _("%(actor)s made a sign-in link for %(person)s to hand over in person.",
                 actor=actor, person=person)
    return _("%(actor)s emailed %(person)s a sign-in link.", actor=actor, person=person)


def _roles_changed(event: AuditEvent, actor: str, reader: Reader) -> str:
    person = reader.person(event.subject_id)
    added = ", ".join(_label(ROLE_LABELS, role) for role in event.details.get("added", []))
    removed = ", ".join(_label(ROLE_LABELS, role) for role in event.details.get("removed", []))
    if added and removed:
        return _("%(actor)s gave %(person)s the role %(added)s and took away %(removed)s.",
                 actor=actor, person=person, added=added, removed=removed)
    if added:
        return _("%(actor)s gave %(person)s the role %(added)s.", actor=actor, person=person,
                 added=added)
    return _("%(actor)s took the role %(removed)s away from %(person)s.", actor=actor,
             person=person, removed=removed)


def _deactivated(event: AuditEvent, actor: str, reader: Reader) -> str:
    return _("%(actor)s deactivated %(person)s.", actor=actor,
             person=reader.person(event.subject_id))


def _reactivated(event: AuditEvent, actor: str, reader: Reader) -> str:
    return _("%(actor)s reactivated %(person)s.", actor=actor,
             person=reader.person(event.subject_id))


# --- Program settings ----------------------------------------------------------------------

def _installments(items, currency: str) -> str:
    return ", ".join(_("%(label)s: %(amount)s on %(date)s", label=label, date=_day(due),
                       amount=money(cents, currency)) for label, due, cents in items or [])


def _program_updated(event: AuditEvent, actor: str, reader: Reader) -> str:
    changes = event.details.get("changes", {})
    words = {"name": _("name"), "season_start": _("first day of the season"),
             "season_end": _("last day of the season"), "timezone": _("time zone")}
    parts = []
    for key, change in changes.items():
        if key in ("season_start", "season_end"):
            parts.append(_from_to(words[key], _day(change["from"]), _day(change["to"])))
        elif key in words:
            parts.append(_from_to(words[key], _quoted(change["from"]), _quoted(change["to"])))
    shown = reader.money(changes)
    if "stipend_cents" in shown:
        parts.append(_from_to(_("stipend"), money(shown["stipend_cents"]["from"], reader.currency),
                              money(shown["stipend_cents"]["to"], reader.currency)))
    elif "stipend_cents" in changes:
        parts.append(_("the stipend amount"))
    if "installments" in shown:
        parts.append(_("installments, now: %(items)s",
                       items=_installments(shown["installments"]["to"], reader.currency)
                       or _("none")))
    elif "installments" in changes:
        parts.append(_("the installments"))
    if not parts:
        return _("%(actor)s changed the program settings.", actor=actor)
    return _("%(actor)s changed the program settings: %(changes)s.", actor=actor,
             changes=_joined(parts))


def _program_translated(event: AuditEvent, actor: str, reader: Reader) -> str:
    return _("%(actor)s wrote the program name and installment names in %(language)s.",
             actor=actor, language=interpretation_name(event.details.get("language")))


# --- Meetings, answers and attendance -------------------------------------------------------

ANSWER_WORDS = {
    "in_person": _l("coming in person"),
    "virtual": _l("joining online"),
    "not_attending": _l("not coming"),
    "waitlisted": _l("on the waitlist"),
}


def _meeting_value(key: str, value) -> str:
    if key in ("starts_at", "ends_at", "rsvp_deadline"):
        return _when(value)
    if key == "format":
        return _label(FORMAT_LABELS, value)
    if value in (None, ""):
        return _("none")
    return _quoted(value)


def _meeting_created(event: AuditEvent, actor: str, reader: Reader) -> str:
    return _("%(actor)s added the meeting %(meeting)s on %(when)s.", actor=actor,
             meeting=_quoted(event.details.get("title") or reader.meeting(event.subject_id)),
             when=_when(event.details.get("starts_at")))


def _meeting_updated(event: AuditEvent, actor: str, reader: Reader) -> str:
    words = {"starts_at": _("time"), "ends_at": _("end time"), "format": _("format"),
             "venue": _("place"), "room": _("room"), "capacity": _("seats in the room"),
             "rsvp_deadline": _("deadline for answers")}
    # Said without their values: a join link is for members only, notes can be long.
    unvalued = {"join_link": _("the video link"), "accessibility_notes": _("the access notes"),
                "text": _("the title or description")}
    meeting = _quoted(reader.meeting(event.subject_id))
    # Events written before the values were kept have only the names of what changed.
    changes = event.details.get("changes") or {}
    parts = []
    order = [*words, *unvalued]
    for key in sorted(event.details.get("changed", []),
                      key=lambda key: order.index(key) if key in order else len(order)):
        if key in words and key in changes:
            parts.append(_from_to(words[key], _meeting_value(key, changes[key].get("from")),
                                  _meeting_value(key, changes[key].get("to"))))
        else:
            parts.append(str(words.get(key) or unvalued.get(key) or key))
    return _("%(actor)s changed the meeting %(meeting)s: %(changes)s.", actor=actor,
             meeting=meeting, changes=_joined(parts))


def _meeting_translated(event: AuditEvent, actor: str, reader: Reader) -> str:
    return _("%(actor)s wrote the meeting %(meeting)s in %(language)s.", actor=actor,
             meeting=_quoted(reader.meeting(event.subject_id)),
             language=interpretation_name(event.details.get("language")))


def _meeting_cancelled(event: AuditEvent, actor: str, reader: Reader) -> str:
    return _("%(actor)s cancelled the meeting %(meeting)s.", actor=actor,
             meeting=_quoted(reader.meeting(event.subject_id)))


def _person_at_meeting(event: AuditEvent, actor: str, reader: Reader, labels: dict,
                       key: str) -> tuple[dict, str | None]:
    """What a staff change to someone's answer or attendance names: the values for the
    sentence, and the earlier value in words (None when there was none)."""
    details = event.details
    values = {"actor": actor, "person": reader.person(details.get("person_id")),
              "meeting": _quoted(reader.meeting(event.subject_id)),
              "new": _label(labels, details.get(key))}
    previous = details.get("previous")
    return values, _label(labels, previous) if previous else None


def _answer_changed(event: AuditEvent, actor: str, reader: Reader) -> str:
    values, old = _person_at_meeting(event, actor, reader, ANSWER_WORDS, "response")
    if old:
        return _("%(actor)s changed the answer of %(person)s for the meeting %(meeting)s "
                 "from %(old)s to %(new)s.", old=old, **values)
    return _("%(actor)s answered for %(person)s for the meeting %(meeting)s: %(new)s.",
             **values)


def _attendance_marked(event: AuditEvent, actor: str, reader: Reader) -> str:
    values, old = _person_at_meeting(event, actor, reader, ATTENDANCE_LABELS, "status")
    if old:
        return _("%(actor)s marked the attendance of %(person)s at the meeting %(meeting)s "
                 "from %(old)s to %(new)s.", old=old, **values)
    return _("%(actor)s marked the attendance of %(person)s at the meeting %(meeting)s: "
             "%(new)s.", **values)


# --- Money ----------------------------------------------------------------------------------

def _payment_recorded(event: AuditEvent, actor: str, reader: Reader) -> str:
    details, shown = event.details, reader.money(event.details)
    values = {"actor": actor, "member": details.get("member", ""),
              "date": _day(details.get("paid_on")),
              "method": _label(METHOD_LABELS, details.get("method"))}
    if "amount_cents" not in shown:
        return _("%(actor)s recorded a payment to %(member)s, paid on %(date)s by %(method)s.",
                 **values)
    sentence = _("%(actor)s recorded a payment of %(amount)s to %(member)s, paid on %(date)s "
                 "by %(method)s.", amount=money(shown["amount_cents"], reader.currency),
                 **values)
    if shown.get("reference"):
        sentence += " " + _("Reference: %(reference)s.", reference=shown["reference"])
    return sentence


def _payment_voided(event: AuditEvent, actor: str, reader: Reader) -> str:
    details, shown = event.details, reader.money(event.details)
    values = {"actor": actor, "member": details.get("member", ""),
              "date": _day(details.get("paid_on"))}
    if "amount_cents" not in shown:
        return _("%(actor)s voided a payment to %(member)s paid on %(date)s.", **values)
    sentence = _("%(actor)s voided a payment of %(amount)s to %(member)s paid on %(date)s.",
                 amount=money(shown["amount_cents"], reader.currency), **values)
    if shown.get("reason_kind"):
        sentence += " " + _label(VOID_REASON_LABELS, shown["reason_kind"]) + "."
    if shown.get("reason"):
        sentence += " " + _("Reason: %(reason)s", reason=shown["reason"])
    return sentence


def _tax_form_changed(event: AuditEvent, actor: str, reader: Reader) -> str:
    change = event.details.get("changes", {}).get("tax_form_status", {})
    return _("%(actor)s changed the tax form (W-9) of %(member)s from %(old)s to %(new)s.",
             actor=actor, member=event.details.get("member", ""),
             old=_label(TAX_FORM_LABELS, change.get("from")),
             new=_label(TAX_FORM_LABELS, change.get("to")))


def _tax_details_changed(event: AuditEvent, actor: str, reader: Reader) -> str:
    return _("%(actor)s changed the legal name or mailing address of %(member)s.",
             actor=actor, member=event.details.get("member", ""))


# --- Materials --------------------------------------------------------------------------------

def _document_created(event: AuditEvent, actor: str, reader: Reader) -> str:
    return _("%(actor)s added %(title)s (%(kind)s) as a draft in %(language)s.", actor=actor,
             title=_quoted(event.details.get("title", "")),
             kind=_label(KIND_LABELS, event.details.get("kind")),
             language=interpretation_name(event.details.get("language")))


def _document_updated(event: AuditEvent, actor: str, reader: Reader) -> str:
    changes = event.details.get("changes", {})
    parts = []
    if "kind" in changes:
        parts.append(_from_to(_("kind"), _label(KIND_LABELS, changes["kind"]["from"]),
                              _label(KIND_LABELS, changes["kind"]["to"])))
    if "meeting_id" in changes:
        parts.append(_from_to(_("meeting"), _quoted(reader.meeting(changes["meeting_id"]["from"]))
                              if changes["meeting_id"]["from"] else _("none"),
                              _quoted(reader.meeting(changes["meeting_id"]["to"]))
                              if changes["meeting_id"]["to"] else _("none")))
    if "original" in changes:
        parts.append(_("the original, now titled %(title)s",
                       title=_quoted(changes["original"].get("title", ""))))
    return _("%(actor)s changed a document: %(changes)s.", actor=actor,
             changes=_joined(parts) or _("no details"))


def _document_published(event: AuditEvent, actor: str, reader: Reader) -> str:
    return _("%(actor)s published %(title)s (%(kind)s).", actor=actor,
             title=_quoted(event.details.get("title", "")),
             kind=_label(KIND_LABELS, event.details.get("kind")))


def _version_added(event: AuditEvent, actor: str, reader: Reader) -> str:
    return _("%(actor)s added the %(language)s version of %(title)s.", actor=actor,
             title=_quoted(event.details.get("title", "")),
             language=interpretation_name(event.details.get("language")))


def _version_replaced(event: AuditEvent, actor: str, reader: Reader) -> str:
    return _("%(actor)s replaced the %(language)s version of %(title)s.", actor=actor,
             title=_quoted(event.details.get("title", "")),
             language=interpretation_name(event.details.get("language")))


Builder = Callable[[AuditEvent, str, Reader], str]

SENTENCES: dict[str, Builder] = {
    "person.added": _person_added,
    "invitation.sent": _invitation_sent,
    "roles.changed": _roles_changed,
    "person.deactivated": _deactivated,
    "person.reactivated": _reactivated,
    "program.updated": _program_updated,
    "program.translated": _program_translated,
    "meeting.created": _meeting_created,
    "meeting.updated": _meeting_updated,
    "meeting.translated": _meeting_translated,
    "meeting.cancelled": _meeting_cancelled,
    "rsvp.changed_by_staff": _answer_changed,
    "attendance.marked": _attendance_marked,
    "payment.recorded": _payment_recorded,
    "payment.voided": _payment_voided,
    "enrollment.tax_form_changed": _tax_form_changed,
    "tax_details.changed": _tax_details_changed,
    "document.created": _document_created,
    "document.updated": _document_updated,
    "document.published": _document_published,
    "document.version_added": _version_added,
    "document.version_replaced": _version_replaced,
}


def generic_sentence(event: AuditEvent, actor: str, what: str) -> str:
    return _("%(actor)s: %(what)s.", actor=actor, what=what)


def describe(event: AuditEvent, reader: Reader, what: str) -> str:
    """One event as a sentence. `what` names the action for the generic sentence."""
    actor = reader.person(event.actor_id) if event.actor_id else _("The system")
    builder = SENTENCES.get(event.action)
    if builder is None:
        return one_full_stop(generic_sentence(event, actor, what))
    try:
        return one_full_stop(builder(event, actor, reader))
    except (KeyError, TypeError, ValueError, AttributeError):
        # Details written by an older version of the portal: say what happened, plainly.
        return one_full_stop(generic_sentence(event, actor, what))

