"""The meeting calendar, meeting pages and answers; staff scheduling, roster and attendance."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from itertools import groupby

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import (
    Response as HttpResponse,
)
from flask_babel import format_date, format_percent, get_timezone, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import lazyload

from portal.access import is_safe_next, keeps_own_csrf, public, roles_required, signed_in
from portal.auth.forms import ButtonForm
from portal.auth.models import Role, RoleGrant, User
from portal.csv_export import ROWS_PER_FETCH, csv_download, xlsx_download
from portal.db import db, paginate_rows, utcnow
from portal.i18n import current_language
from portal.meetings.calendar import (
    build_calendar,
    issue_feed_token,
    user_for_feed_token,
    webcal_link,
)
from portal.meetings.forms import (
    ATTENDANCE_LABELS,
    FORMAT_LABELS,
    RESPONSE_LABELS,
    CancelMeetingForm,
    MeetingForm,
    MeetingTextForm,
    RsvpForm,
    SeriesForm,
)
from portal.meetings.models import (
    Attendance,
    AttendanceStatus,
    Meeting,
    MeetingFormat,
    Response,
    Rsvp,
)
from portal.meetings.season import held_meetings, season_page, season_rows
from portal.meetings.services import (
    AnswersClosed,
    MeetingDetails,
    MeetingRuleError,
    Needs,
    SeatsFull,
    answer_choices,
    answers_open,
    calendar_query,
    cancel_meeting,
    count_members,
    create_meeting,
    create_series,
    find_rsvp,
    is_program_member,
    join_link_open,
    local_instant,
    mark_attendance,
    members_without_answer,
    next_meeting,
    program_members,
    roster_rows,
    roster_summary,
    rsvp_for_meeting,
    scheduled_with,
    seats_taken,
    update_meeting,
    which_repeated_time,
)
from portal.meetings.translations import (
    MeetingTranslation,
    meeting_request_of,
    meeting_requests_waiting,
    request_meeting_translation,
    translate_meeting,
)
from portal.meetings.waitlist import my_waitlist_places
from portal.programs.current import current_program_or_404, enrolled_in_current_program
from portal.programs.services import program_for
from portal.texts.phones import for_people as phone_for_people
from portal.unsent import take_unsent_form
from portal.web import (
    interpretation_name,
    page_number,
    thank_for_translation_request,
    whole_number,
)

bp = Blueprint("meetings", __name__)
bp.add_app_template_global(format_percent, "percent")

STAFF = (Role.FACILITATOR, Role.ADMIN)


def get_meeting(meeting_id: int, check_member: bool = True) -> Meeting:
    """The meeting, if the signed-in person may see it: a member of its program or staff."""
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        abort(404)
    if check_member and not current_user.is_staff and not (
        enrolled_in_current_program(meeting.program_id)
        or is_program_member(current_user, meeting.program_id)
    ):
        abort(404)
    return meeting


@bp.app_template_global()
def format_label(value) -> str:
    return str(FORMAT_LABELS.get(MeetingFormat(value), value))


@bp.app_template_global()
def response_name(value) -> str:
    names = {
        Response.IN_PERSON: _("In person"),
        Response.VIRTUAL: _("Online"),
        Response.NOT_ATTENDING: _("Not coming"),
        Response.WAITLISTED: _("On the waitlist"),
    }
    return str(names.get(Response(value), value)) if value else _("No answer yet")


@bp.app_template_global()
def answer_label(value) -> str:
    """An answer as the person gives it ("I will join online")."""
    return str(RESPONSE_LABELS[Response(value)])


@bp.app_template_global()
def attendance_name(value) -> str:
    return str(ATTENDANCE_LABELS.get(str(value) if value else "", value))


def _my_answers(meetings: list[Meeting]) -> dict[int, Rsvp]:
    if not meetings:
        return {}
    return {r.meeting_id: r for r in db.session.scalars(select(Rsvp).where(
        Rsvp.user_id == current_user.id, Rsvp.meeting_id.in_([m.id for m in meetings])))}


@bp.route("/calendar")
@signed_in
def calendar():
    program = current_program_or_404()
    now = utcnow()
    page = db.paginate(calendar_query(program.id, now), page=page_number(),
                       per_page=current_app.config["MEETINGS_PER_PAGE"], error_out=False)
    upcoming = [m for m in page.items if m.ends_at > now]
    past = [m for m in page.items if m.ends_at <= now]
    coming = next((m for m in upcoming if not m.is_cancelled), None)
    if page.page > 1 or (coming is None and page.has_next):
        coming = next_meeting(program.id, now)  # it is on another page
    answers = _my_answers([*page.items, *([coming] if coming else [])])
    places = my_waitlist_places(current_user, [meeting_id for meeting_id, answer in answers.items()
                                               if answer.response == Response.WAITLISTED])
    zone = get_timezone()

    def by_month(items):
        return [(key, list(group)) for key, group in groupby(
            items, key=lambda m: m.starts_at.astimezone(zone).replace(day=1).date())]

    return render_template("meetings/calendar.html", upcoming=by_month(upcoming),
                           past=by_month(past), answers=answers, next_meeting=coming,
                           places=places, page=page, language=current_language().code,
                           asks_answer=enrolled_in_current_program(program.id))


def _response_choices(meeting: Meeting, seats_free: bool, current: Response | None):
    return [(choice.value, RESPONSE_LABELS[choice])
            for choice in answer_choices(meeting, seats_free, current)]


@bp.route("/meetings/<int:meeting_id>", methods=["GET", "POST"])
@signed_in
@keeps_own_csrf
def meeting(meeting_id: int):
    meeting = get_meeting(meeting_id)
    now = utcnow()
    rsvp = find_rsvp(meeting, current_user)
    # One count serves both the seat display and whether a seat is free for this person.
    taken = seats_taken(meeting)
    mine = 1 if rsvp is not None and rsvp.response == Response.IN_PERSON else 0
    free = meeting.capacity is None or taken - mine < meeting.capacity
    restored = take_unsent_form(current_user, now) if request.method == "GET" else None
    form = RsvpForm(formdata=restored) if restored else RsvpForm()
    if restored:
        flash(_("Here is what you typed before you were signed out. It is not saved yet: "
                "check it and send it."), "info")
    form.response.choices = _response_choices(meeting, free, rsvp.response if rsvp else None)
    if (request.method == "POST" and not free and meeting.has_seats
            and request.form.get("response") == Response.IN_PERSON.value):
        # The page was loaded while a seat was free: the seat rule below tells the person
        # the seat was just taken, instead of a bare "choose one of the options".
        form.response.choices.append(
            (Response.IN_PERSON.value, RESPONSE_LABELS[Response.IN_PERSON]))
    if request.method == "GET" and not restored:
        needs = Needs.of(rsvp, current_user)
        form.response.data = rsvp.response.value if rsvp else None
        form.interpretation_language.data = needs.interpretation_language or ""
        form.childcare_children.data = needs.childcare_children
        form.transport_help.data = needs.transport_help
        form.access_needs.data = needs.access_needs
    seats_full = False
    # Staff who are not members of the program run the meeting; they are not asked to come.
    asks_answer = (enrolled_in_current_program(meeting.program_id)
                   or not current_user.is_staff
                   or is_program_member(current_user, meeting.program_id))
    # A one-tap answer (the home page's buttons) sends only the answer: the needs
    # already given stay as they are.
    one_tap = request.form.get("one_tap") == "1"
    if asks_answer and request.method == "POST" and form.validate_on_submit():
        needs = Needs.of(rsvp, current_user) if one_tap else Needs(
            form.interpretation_language.data, form.childcare_children.data or 0,
            form.transport_help.data, form.access_needs.data)
        try:
            rsvp_for_meeting(current_user._get_current_object(), meeting,
                             Response(form.response.data), needs, now)
        except SeatsFull:
            db.session.rollback()
            seats_full = True
            form.response.choices = _response_choices(meeting, False, None)
            form.add_error("response", _("The last in-person seat was just taken. You can "
                                         "join online or go on the waitlist."))
        except AnswersClosed:
            db.session.rollback()
            flash(_("Answers for this meeting are closed."), "info")
            return redirect(url_for("meetings.meeting", meeting_id=meeting.id))
        except MeetingRuleError as error:
            db.session.rollback()
            form.add_error("response", error.message)
        else:
            db.session.commit()
            flash(_("Thank you. Your answer is saved."), "success")
            back = request.form.get("next")
            return redirect(back if one_tap and is_safe_next(back)
                            else url_for("meetings.meeting", meeting_id=meeting.id))
    join_soon = join_link_open(meeting, now)
    reader = current_language().code
    return render_template(
        "meetings/meeting.html", meeting=meeting, text=meeting.text_for(reader),
        words=meeting.words_for(reader), reader=reader,
        place=(my_waitlist_places(current_user, [meeting.id]).get(meeting.id)
               if rsvp is not None and rsvp.response == Response.WAITLISTED else None),
        asked=meeting_request_of(current_user, meeting, reader),
        waiting_translations=(meeting_requests_waiting(meeting)
                              if current_user.is_staff else None),
        button_form=ButtonForm(),
        rsvp=rsvp, form=form, open=answers_open(meeting, now), join_soon=join_soon,
        seats_full=seats_full or not free, taken=taken,
        contacts=_staff_contacts(), is_past=meeting.ends_at <= now, asks_answer=asks_answer,
    )


def _staff_contacts() -> list[User]:
    return list(db.session.scalars(
        select(User).join(RoleGrant).where(RoleGrant.role == Role.FACILITATOR,
                                           User.active.is_(True)).order_by(User.name)
        .options(lazyload(User.role_grants))))


# RFC 5545 8.1 / RFC 5546: the METHOD of the body, repeated in the media type, tells
# calendar apps these are events to show, not invitations to answer.
CALENDAR_TYPE = "text/calendar; charset=utf-8; method=PUBLISH"


def _ics_response(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=CALENDAR_TYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/meetings/<int:meeting_id>/meeting.ics")
@signed_in
def meeting_ics(meeting_id: int):
    meeting = get_meeting(meeting_id)
    body = build_calendar(current_user, [meeting], utcnow(),
                          meeting.program.name_in(current_user.preferred_language).text)
    return _ics_response(body, f"meeting-{meeting.id}.ics")


@bp.route("/calendar/feed/<token>.ics")
@public
def feed(token: str):
    user = user_for_feed_token(token)
    if user is None:
        abort(404)
    program = program_for(user)
    meetings = db.session.scalars(select(Meeting).where(
        Meeting.program_id == program.id).order_by(Meeting.starts_at)).all() if program else []
    name = program.name_in(user.preferred_language).text if program else ""
    return _ics_response(build_calendar(user, list(meetings), utcnow(), name), "meetings.ics")


@bp.route("/profile/calendar-feed", methods=["GET", "POST"])
@signed_in
def calendar_feed():
    form = ButtonForm()
    link = None
    if form.validate_on_submit():
        raw = issue_feed_token(current_user._get_current_object())
        db.session.commit()
        link = url_for("meetings.feed", token=raw, _external=True)
    return render_template("meetings/calendar_feed.html", form=form, link=link,
                           subscribe_link=webcal_link(link) if link else None)


@bp.route("/attendance")
@signed_in
def my_attendance():
    marks = paginate_rows(
        select(Meeting, Attendance).join(Attendance, Attendance.meeting_id == Meeting.id)
        .where(Attendance.user_id == current_user.id)
        .order_by(Meeting.starts_at.desc(), Meeting.id.desc()),
        page_number(), current_app.config["MEETINGS_PER_PAGE"])
    return render_template("meetings/attendance_history.html", page=marks,
                           language=current_language().code)


# Staff -----------------------------------------------------------------------

def _details_from(form, day: date, program) -> MeetingDetails:
    starts_at = local_instant(day, form.starts.data, program.timezone,
                              second_time=form.second_time)
    deadline = None
    if form.deadline_days.data is not None:
        deadline = starts_at - timedelta(days=form.deadline_days.data)
    return MeetingDetails(
        starts_at=starts_at,
        ends_at=local_instant(day, form.ends.data, program.timezone, field="ends",
                              second_time=form.second_time),
        format=MeetingFormat(form.format.data), venue=form.venue.data or None,
        room=form.room.data or None, accessibility_notes=form.accessibility_notes.data or None,
        join_link=form.join_link.data or None, capacity=form.capacity.data,
        rsvp_deadline=deadline,
    )


@bp.route("/meetings/new", methods=["GET", "POST"])
@roles_required(*STAFF)
@keeps_own_csrf
def new_meeting():
    program = current_program_or_404()
    form = MeetingForm()
    if request.method == "GET":
        form.language.data = current_language().code
    form.keep_submission_key()
    if form.validate_on_submit():
        earlier = scheduled_with(form.submission_key.data)
        if earlier is not None:
            flash(_("This meeting was already added, so it was not added a second time."),
                  "info")
            return redirect(url_for("meetings.meeting", meeting_id=earlier.id))
        try:
            meeting = create_meeting(
                current_user._get_current_object(), program,
                _details_from(form, form.day.data, program), language=form.language.data,
                title=form.title.data, description=form.description.data or None,
                submission_key=form.submission_key.data, now=utcnow())
            db.session.commit()
        except MeetingRuleError as error:
            db.session.rollback()
            form.add_error(error.field, error.message)
        except IntegrityError:  # the same form, sent twice at the same moment
            db.session.rollback()
            return redirect(url_for("meetings.calendar"))
        else:
            flash(_("The meeting is on the calendar."), "success")
            return redirect(url_for("meetings.meeting", meeting_id=meeting.id))
    return render_template("meetings/meeting_form.html", form=form, meeting=None,
                           program=program)


def _parse_skip_days(text: str | None) -> set[date] | None:
    days = set()
    for part in (text or "").replace(",", "\n").split():
        try:
            days.add(date.fromisoformat(part.strip()))
        except ValueError:
            return None
    return days


@bp.route("/meetings/series/new", methods=["GET", "POST"])
@roles_required(*STAFF)
@keeps_own_csrf
def new_series():
    program = current_program_or_404()
    form = SeriesForm()
    if request.method == "GET":
        form.language.data = current_language().code
        form.first_day.data = max(program.season_start, program.local_today(utcnow()))
        form.last_day.data = program.season_end
    form.keep_submission_key()
    if form.validate_on_submit():
        skip = _parse_skip_days(form.skip.data)
        if skip is None:
            form.add_error("skip", _("Write each date like 2026-12-23, one per line."))
        else:
            try:
                template = _details_from(form, form.first_day.data, program)
                meetings = create_series(
                    current_user._get_current_object(), program,
                    first_day=form.first_day.data, last_day=form.last_day.data,
                    every_weeks=int(form.every_weeks.data), starts=form.starts.data,
                    ends=form.ends.data, skip=skip, template=template,
                    deadline_days_before=form.deadline_days.data, language=form.language.data,
                    title=form.title.data, description=form.description.data or None,
                    second_time=form.second_time, submission_key=form.submission_key.data,
                    now=utcnow())
                db.session.commit()
            except MeetingRuleError as error:
                db.session.rollback()
                form.add_error(error.field, error.message)
            except IntegrityError:  # the same form, sent twice at the same moment
                db.session.rollback()
                return redirect(url_for("meetings.calendar"))
            else:
                flash(ngettext("%(num)d meeting is on the calendar.",
                               "%(num)d meetings are on the calendar.", len(meetings)),
                      "success")
                return redirect(url_for("meetings.calendar"))
    return render_template("meetings/series_form.html", form=form, program=program)


@bp.route("/meetings/<int:meeting_id>/edit", methods=["GET", "POST"])
@roles_required(*STAFF)
@keeps_own_csrf
def edit_meeting(meeting_id: int):
    meeting = get_meeting(meeting_id)
    program = meeting.program
    form = MeetingForm()
    zone = get_timezone()
    if request.method == "GET":
        original = meeting.original_text
        local_start = meeting.starts_at.astimezone(zone)
        form.language.data = original.language
        form.title.data, form.description.data = original.title, original.description
        form.day.data = local_start.date()
        form.starts.data = local_start.time()
        # Saving the form unchanged must keep the same one of two repeated times.
        second = next((which for which in (
            which_repeated_time(meeting.starts_at, program.timezone),
            which_repeated_time(meeting.ends_at, program.timezone)) if which is not None), None)
        if second is not None:
            form.repeated_hour.data = "second" if second else "first"
        form.ends.data = meeting.ends_at.astimezone(zone).time()
        form.format.data = meeting.format.value
        form.venue.data, form.room.data = meeting.venue, meeting.room
        form.accessibility_notes.data = meeting.accessibility_notes
        form.join_link.data, form.capacity.data = meeting.join_link, meeting.capacity
        if meeting.rsvp_deadline:
            # Counted in calendar days, as the form sets it: across a clock change the
            # hours between them are one more or one fewer than whole days.
            form.deadline_days.data = (
                local_start.date() - meeting.rsvp_deadline.astimezone(zone).date()).days
    if form.validate_on_submit():
        try:
            changed = update_meeting(
                current_user._get_current_object(), meeting,
                _details_from(form, form.day.data, program), title=form.title.data,
                description=form.description.data or None, now=utcnow())
        except MeetingRuleError as error:
            db.session.rollback()
            form.add_error(error.field, error.message)
        else:
            db.session.commit()
            flash(_("The meeting is saved.") if changed else
                  _("Nothing was changed, so no one was emailed."), "success")
            return redirect(url_for("meetings.meeting", meeting_id=meeting.id))
    return render_template("meetings/meeting_form.html", form=form, meeting=meeting,
                           program=program)


@bp.route("/meetings/<int:meeting_id>/translations", methods=["GET", "POST"])
@roles_required(*STAFF)
@keeps_own_csrf
def meeting_translation(meeting_id: int):
    meeting = get_meeting(meeting_id)
    form = MeetingTextForm()
    if request.method == "GET":
        code = request.args.get("language", "")
        existing = next((t for t in meeting.texts if t.language == code), None)
        form.language.data = code or None
        if existing:
            form.title.data, form.description.data = existing.title, existing.description
            form.venue.data, form.room.data = existing.venue, existing.room
            form.accessibility_notes.data = existing.accessibility_notes
    if form.validate_on_submit():
        translate_meeting(current_user._get_current_object(), meeting, MeetingTranslation(
            form.language.data, form.title.data, form.description.data or None,
            form.venue.data, form.room.data, form.accessibility_notes.data), utcnow())
        db.session.commit()
        flash(_("The translation is saved."), "success")
        return redirect(url_for("meetings.meeting", meeting_id=meeting.id))
    return render_template("meetings/translation_form.html", form=form, meeting=meeting,
                           original=meeting.original_text)


@bp.route("/meetings/<int:meeting_id>/translation-requests", methods=["POST"])
@signed_in
def ask_for_meeting_translation(meeting_id: int):
    meeting = get_meeting(meeting_id)
    try:
        created = request_meeting_translation(current_user._get_current_object(), meeting,
                                              request.form.get("language", ""), utcnow())
    except MeetingRuleError:
        abort(400)
    db.session.commit()
    thank_for_translation_request(created)
    return redirect(url_for("meetings.meeting", meeting_id=meeting.id))


@bp.route("/meetings/<int:meeting_id>/cancel", methods=["GET", "POST"])
@roles_required(*STAFF)
@keeps_own_csrf
def cancel(meeting_id: int):
    """Ask why, say who will be told, then cancel."""
    meeting = get_meeting(meeting_id)
    if meeting.is_cancelled:
        flash(_("This meeting is cancelled."), "info")
        return redirect(url_for("meetings.meeting", meeting_id=meeting.id))
    form = CancelMeetingForm()
    if form.validate_on_submit():
        try:
            cancel_meeting(current_user._get_current_object(), meeting, form.reason.data)
        except MeetingRuleError as error:
            db.session.rollback()
            form.add_error(error.field, error.message)
        else:
            db.session.commit()
            flash(_("The meeting is cancelled. Every member of the program is told, by email "
                    "or text as they chose, with your reason."), "success")
            return redirect(url_for("meetings.meeting", meeting_id=meeting.id))
    return render_template("meetings/cancel.html", form=form, meeting=meeting,
                           text=meeting.text_for(current_language().code),
                           members=count_members(meeting.program_id))


@bp.route("/meetings/<int:meeting_id>/roster")
@roles_required(*STAFF)
def roster(meeting_id: int):
    meeting = get_meeting(meeting_id)
    per_page = current_app.config["ROSTER_PER_PAGE"]
    return render_template("meetings/roster.html", meeting=meeting,
                           summary=roster_summary(meeting),
                           page=paginate_rows(roster_rows(meeting), page_number(), per_page),
                           not_answered=members_without_answer(meeting, per_page),
                           text=meeting.text_for(current_language().code),
                           action_form=ButtonForm(), responses=list(Response),
                           can_mark=utcnow() >= meeting.starts_at,
                           attendance_choices=list(ATTENDANCE_LABELS.items()))


def _roster_table(meeting: Meeting) -> tuple[list, Iterator[tuple]]:
    header = [_("Name"), _("Email address"), _("Phone number"), _("Answer"),
              _("Interpretation"), _("Children who need childcare"), _("Transport help"),
              _("Access needs"), _("Attendance")]
    yes, no = _("Yes"), _("No")
    query = roster_rows(meeting)

    def rows():
        # Runs while the download is written, fetching a few hundred members at a time.
        result = db.session.execute(query.execution_options(yield_per=ROWS_PER_FETCH))
        for member, rsvp, mark in result:
            yield (member.name, member.email, phone_for_people(member.phone),
                   response_name(rsvp.response if rsvp else None),
                   interpretation_name(rsvp.interpretation_language) if rsvp else "",
                   rsvp.childcare_children if rsvp else "",
                   (yes if rsvp.transport_help else no) if rsvp else "",
                   rsvp.access_needs if rsvp else "",
                   attendance_name(mark.status if mark else None))

    return header, rows()


@bp.route("/meetings/<int:meeting_id>/roster.csv")
@roles_required(*STAFF)
def roster_csv(meeting_id: int):
    meeting = get_meeting(meeting_id)
    header, rows = _roster_table(meeting)
    return csv_download(header, rows,
                        f"roster-{format_date(meeting.starts_at, 'yyyy-MM-dd')}.csv")


@bp.route("/meetings/<int:meeting_id>/roster.xlsx")
@roles_required(*STAFF)
def roster_xlsx(meeting_id: int):
    meeting = get_meeting(meeting_id)
    header, rows = _roster_table(meeting)
    return xlsx_download(header, rows,
                         f"roster-{format_date(meeting.starts_at, 'yyyy-MM-dd')}.xlsx",
                         _("Answers"))


@bp.route("/meetings/<int:meeting_id>/answers", methods=["POST"])
@roles_required(*STAFF)
def answer_for_member(meeting_id: int):
    meeting = get_meeting(meeting_id)
    member = _member_of(meeting, request.form.get("user_id", ""))
    try:
        response = Response(request.form.get("response", ""))
    except ValueError:
        abort(400)
    try:
        needs = Needs.of(find_rsvp(meeting, member), member)
        rsvp_for_meeting(member, meeting, response, needs, utcnow(),
                         actor=current_user._get_current_object())
    except SeatsFull:
        db.session.rollback()
        flash(_("There is no free in-person seat. Choose online or the waitlist."), "error")
    except (AnswersClosed, MeetingRuleError):
        db.session.rollback()
        flash(_("This answer cannot be saved for this meeting."), "error")
    else:
        db.session.commit()
        flash(_("The answer for %(name)s is saved.", name=member.name), "success")
    return redirect(url_for("meetings.roster", meeting_id=meeting.id))


def _member_of(meeting: Meeting, user_id: str) -> User:
    number = whole_number(user_id)
    if number is None:
        abort(400)
    member = db.session.get(User, number)
    if member is None or not is_program_member(member, meeting.program_id):
        abort(404)
    return member


@bp.route("/meetings/<int:meeting_id>/attendance", methods=["POST"])
@roles_required(*STAFF)
def attendance(meeting_id: int):
    meeting = get_meeting(meeting_id)
    now = utcnow()
    changed = 0
    try:
        for member in program_members(meeting.program):
            value = request.form.get(f"attendance-{member.id}", "")
            if not value:
                continue
            try:
                status = AttendanceStatus(value)
            except ValueError:
                abort(400)
            mark_attendance(current_user._get_current_object(), meeting, member, status, now)
            changed += 1
    except MeetingRuleError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        db.session.commit()
        flash(_("Attendance is saved."), "success")
    return redirect(url_for("meetings.roster", meeting_id=meeting.id))


@bp.route("/meetings/attendance")
@roles_required(*STAFF)
def season_attendance():
    """Each member against each meeting held this season, with their attendance rate."""
    program = current_program_or_404()
    meetings = held_meetings(program, utcnow())
    page = season_page(program, meetings, page_number(), current_app.config["ROSTER_PER_PAGE"])
    return render_template("meetings/season_attendance.html", program=program,
                           meetings=meetings, page=page)


@bp.route("/meetings/attendance.csv")
@roles_required(*STAFF)
def season_attendance_csv():
    program = current_program_or_404()
    meetings = held_meetings(program, utcnow())
    header = [_("Name"), *(format_date(m.starts_at, "yyyy-MM-dd") for m in meetings),
              _("Came"), _("Marked, not excused"), _("Attendance rate")]

    def rows():
        for row in season_rows(program, meetings, ROWS_PER_FETCH):
            yield (row.member.name, *(attendance_name(row.marks.get(m.id)) for m in meetings),
                   row.came, row.counted,
                   format_percent(row.rate) if row.rate is not None else "")

    return csv_download(header, rows(), "attendance.csv")
