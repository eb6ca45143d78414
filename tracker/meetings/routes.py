"""Pages of staff meetings: the list, series, one meeting with its agenda (edited before it is
sent), meeting mode for the chair, the minutes, the printable page, the Word document, the
invitation, and the personal calendar feed."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from babel.dates import format_date as babel_format_date
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from tracker import clock
from tracker.actions.effects import Verdict, verdict_text
from tracker.actions.forms import STATUS_LABELS
from tracker.actions.models import ActionStatus, DeclineConstraint
from tracker.actions.queries import owner_candidates
from tracker.auth.models import Role, User
from tracker.auth.permissions import may_manage_department, refuse, role_required
from tracker.extensions import db
from tracker.formatting import DAY_PATTERN
from tracker.forms import saving
from tracker.inputs import id_or_none
from tracker.meetings import agenda, decisions, exports, permissions, queries, services
from tracker.meetings.forms import (
    CLOSED_DAY_LABELS,
    RECURRENCE_LABELS,
    SECTION_LABELS,
    STATE_LABELS,
    WEEKDAY_LABELS,
    FreeItemForm,
    MeetingForm,
    MinutesForm,
    OutcomeForm,
    SeriesForm,
)
from tracker.meetings.models import (
    AgendaItem,
    ClosedDayRule,
    Meeting,
    MeetingSeries,
    MeetingStatus,
    Recurrence,
)
from tracker.organisation.closed_days import closed_days
from tracker.organisation.models import Department, Directorate
from tracker.rendering import kept_page
from tracker.types import utcnow

bp = Blueprint("meetings", __name__)


@bp.record_once
def _template_globals(state) -> None:
    state.app.jinja_env.globals.update(
        SECTION_LABELS=SECTION_LABELS,
        ITEM_STATE_LABELS=STATE_LABELS,
        RECURRENCE_LABELS=RECURRENCE_LABELS,
        CLOSED_DAY_LABELS=CLOSED_DAY_LABELS,
        WEEKDAY_LABELS=WEEKDAY_LABELS,
        MeetingStatus=MeetingStatus,
        snapshot_date=_snapshot_date,
        snapshot_status=_snapshot_status,
        agenda_labels=_agenda_labels,
    )


@lru_cache(maxsize=4096)
def _medium_date(locale: str, value: str) -> str:
    return babel_format_date(date.fromisoformat(value), DAY_PATTERN, locale=locale)


def _snapshot_date(value: str | None) -> str:
    # Made once per day and language in this process: an agenda shows hundreds of dates.
    return _medium_date(str(get_locale()), value) if value else "–"


def _snapshot_status(value: str | None) -> str:
    try:
        return str(STATUS_LABELS[ActionStatus(value)])
    except (ValueError, KeyError):
        return value or "–"


def _agenda_labels() -> dict:
    """The words of an agenda item's facts (meetings/_macros.html, item_facts), translated
    once per page instead of once per item."""
    return {
        "owner": _("Owner"),
        "deadline": _("Deadline"),
        "status": _("Status"),
        "progress": _("Progress"),
        "latest_update": _("Latest update"),
        "no_update": _("No update yet."),
        "asks": _("Asks for a new deadline"),
        "stuck": _("Stuck"),
        "stuck_text": _("No progress reported for four weeks."),
        "explanation": _("Public explanation"),
        "result": _("Result"),
        "score": _("score"),
        "benchmark": _("benchmark"),
        "percentage_points": _("percentage points"),
        "rest": _("beyond the rest of the department"),
        "verdicts": {verdict.value: verdict_text(verdict) for verdict in Verdict},
    }


# --- Loading and permission ---------------------------------------------------------------


def _meeting_or_404(meeting_id: int) -> Meeting:
    meeting = queries.meeting_with_series(meeting_id)
    if meeting is None:
        abort(404)
    return meeting


def _require_manager(series: MeetingSeries) -> None:
    if not permissions.may_manage_series(current_user, series):
        refuse("not a director of this meeting")


def _require_chair(series: MeetingSeries) -> None:
    if not permissions.may_chair(current_user, series):
        refuse("neither chair nor director of this meeting")


def _require_reader(series: MeetingSeries) -> None:
    if not permissions.may_read(current_user, series):
        refuse("not an attendee of this meeting")


# --- The list and the series --------------------------------------------------------------


@bp.route("/meetings")
@login_required
def index():
    series = queries.series_list(current_user)
    now = utcnow()
    coming = queries.upcoming(queries.meetings_of([s.id for s in series], now, limit=30), now)
    return render_template(
        "meetings/index.html",
        series=series,
        coming=coming,
        my_items=queries.meetings_with_my_items(current_user, now),
        may_create=permissions.may_create_series(current_user),
    )


def _body_choices() -> list[tuple[str, str]]:
    choices: list[tuple[str, str]] = []
    if current_user.is_admin or current_user.role is Role.director:
        for directorate in db.session.scalars(db.select(Directorate).order_by(Directorate.name)):
            choices.append((f"directorate:{directorate.id}", directorate.name))
        if not choices:
            choices.append(("organisation", _("The whole organisation")))
    departments = db.session.scalars(
        db.select(Department).where(Department.active.is_(True)).order_by(Department.name)
    )
    for department in departments:
        if may_manage_department(current_user, department.id):
            choices.append((f"department:{department.id}", department.name))
    return choices


def _body(value: str) -> tuple[Department | None, Directorate | None]:
    kind, _sep, number = (value or "").partition(":")
    number = id_or_none(number)
    if kind == "department" and number is not None:
        return db.session.get(Department, number), None
    if kind == "directorate" and number is not None:
        return None, db.session.get(Directorate, number)
    return None, None


def _series_form(series: MeetingSeries | None) -> SeriesForm:
    form = SeriesForm(obj=series) if series is not None else SeriesForm()
    form.body.choices = _body_choices()
    people = db.session.scalars(
        db.select(User).where(User.active.is_(True)).order_by(User.name)
    ).all()
    form.attendee_ids.choices = [(u.id, f"{u.name} ({u.email})") for u in people]
    if not form.is_submitted():
        if series is not None:
            form.recurrence.data = series.recurrence.value
            form.attendee_ids.data = [u.id for u in series.attendees]
            form.body.data = (
                f"department:{series.department_id}"
                if series.department_id
                else f"directorate:{series.directorate_id}"
                if series.directorate_id
                else "organisation"
            )
        else:
            form.week_of_month.data = 1
            form.attendee_ids.data = [current_user.id]
    return form


def _save_series(series: MeetingSeries | None):
    form = _series_form(series)
    if form.validate_on_submit():
        department, directorate = _body(form.body.data)
        attendees = db.session.scalars(
            db.select(User).where(User.id.in_(form.attendee_ids.data or []))
        ).all()
        with saving(form) as outcome:
            saved = services.save_series(
                current_user,
                series,
                title=form.title.data,
                department=department,
                directorate=directorate,
                recurrence=Recurrence(form.recurrence.data),
                weekday=form.weekday.data,
                week_of_month=form.week_of_month.data,
                starts_on=form.starts_on.data,
                ends_on=form.ends_on.data,
                start_time=form.start_time.data,
                duration_minutes=form.duration_minutes.data or 0,
                location=form.location.data,
                online_url=form.online_url.data,
                attendees=attendees,
                agenda_days_before=form.agenda_days_before.data
                if form.agenda_days_before.data is not None
                else 3,
                chair=series.chair if series else current_user,
                on_closed_day=ClosedDayRule(form.on_closed_day.data),
            )
        if outcome.ok:
            flash(_("The meeting series is saved and its meetings are planned."), "success")
            return redirect(url_for("meetings.series", series_id=saved.id))
    return render_template("meetings/series_form.html", form=form, series=series)


@bp.route("/meetings/series/new", methods=["GET", "POST"])
@role_required(Role.director)
def new_series():
    return _save_series(None)


@bp.route("/meetings/series/<int:series_id>/edit", methods=["GET", "POST"])
@login_required
def edit_series(series_id: int):
    series = queries.series_with_people(series_id) or abort(404)
    _require_manager(series)
    return _save_series(series)


@bp.route("/meetings/series/<int:series_id>")
@login_required
def series(series_id: int):
    series = queries.series_with_people(series_id) or abort(404)
    _require_reader(series)
    now = utcnow()
    return render_template(
        "meetings/series.html",
        series=series,
        coming=queries.meetings_of([series.id], now, limit=20),
        past=queries.past_meetings(series.id, now),
        may_manage=permissions.may_manage_series(current_user, series),
    )


# --- One meeting and its agenda -----------------------------------------------------------


@bp.route("/meetings/<int:meeting_id>")
@login_required
def meeting(meeting_id: int):
    return _meeting_page(_meeting_or_404(meeting_id))


def _meeting_page(meeting: Meeting, sent_item: FreeItemForm | None = None):
    """The meeting page; `sent_item`: an agenda item just refused, shown open with its
    values and errors (rendered fresh, not kept)."""
    reader = permissions.may_read(current_user, meeting.series)
    rows = None if reader else queries.agenda_rows(meeting, only_owner=current_user)
    if not reader and not rows:
        refuse("neither attendee nor owner of an item")
    may_manage = permissions.may_manage_series(current_user, meeting.series)
    may_chair = permissions.may_chair(current_user, meeting.series)
    upcoming = meeting.starts_at > utcnow()
    held_on = clock.local_date(meeting.starts_at)
    # Not held on its day because that day is closed (a move by hand is not explained).
    closure = (
        closed_days().closure(meeting.occurrence_on)
        if held_on != meeting.occurrence_on and not meeting.moved
        else None
    )

    def body() -> str:
        shown = rows if rows is not None else queries.agenda_rows(meeting)
        return render_template(
            "meetings/_meeting.html",
            meeting=meeting,
            closure=closure,
            rows=shown,
            grouped=queries.sections(shown),
            reader=reader,
            may_manage=may_manage,
            may_chair=may_chair,
            editable=may_manage
            and meeting.agenda_sent_at is None
            and meeting.status is MeetingStatus.scheduled,
            item_form=sent_item or (FreeItemForm(formdata=None) if may_manage else None),
            upcoming=upcoming,
        )

    if sent_item is not None:
        return render_template("meetings/meeting.html", body=Markup(body()), meeting=meeting)
    # An agenda of hundreds of items takes long to render: kept until anything changes.
    return kept_page(
        "meetings/meeting.html",
        ("meetings.meeting", meeting.id, reader, may_manage, may_chair, upcoming),
        body,
        meeting=meeting,
    )


@bp.route("/meetings/<int:meeting_id>/edit", methods=["GET", "POST"])
@login_required
def edit_meeting(meeting_id: int):
    meeting = _meeting_or_404(meeting_id)
    _require_manager(meeting.series)
    form = MeetingForm()
    if not form.is_submitted():
        local = meeting.starts_at.astimezone(clock.zone())
        form.day.data = local.date()
        form.start_time.data = local.time().replace(tzinfo=None)
        form.duration_minutes.data = int(
            (meeting.ends_at - meeting.starts_at).total_seconds() // 60
        )
        form.location.data = meeting.location
        form.online_url.data = meeting.online_url
    closed_day = False
    if form.validate_on_submit():
        with saving(form) as outcome:
            services.move_meeting(
                current_user,
                meeting,
                day=form.day.data,
                start_time=form.start_time.data,
                duration_minutes=form.duration_minutes.data or 0,
                location=form.location.data,
                online_url=form.online_url.data,
                on_closed_day=form.on_closed_day.data,
            )
        # A public holiday or closed day: ask to confirm.
        closed_day = isinstance(outcome.error, services.ClosedDayWarning)
        if outcome.ok:
            flash(
                _("The meeting is moved.")
                + (
                    " " + _("The attendees get the new time and an updated invitation by e-mail.")
                    if meeting.agenda_sent_at
                    else ""
                ),
                "success",
            )
            return redirect(url_for("meetings.meeting", meeting_id=meeting.id))
    return render_template(
        "meetings/meeting_form.html",
        form=form,
        meeting=meeting,
        closed_day=closed_day or form.on_closed_day.data,
    )


def _meeting_step(meeting_id: int, run, done: str, require=_require_manager):
    meeting = _meeting_or_404(meeting_id)
    require(meeting.series)
    with saving() as outcome:
        run(meeting)
    if outcome.ok:
        flash(done, "success")
    return redirect(url_for("meetings.meeting", meeting_id=meeting_id))


@bp.route("/meetings/<int:meeting_id>/cancel", methods=["POST"])
@login_required
def cancel_meeting(meeting_id: int):
    sent = _meeting_or_404(meeting_id).agenda_sent_at is not None
    return _meeting_step(
        meeting_id,
        lambda m: services.cancel_meeting(current_user, m),
        _("The meeting is cancelled.")
        + (
            " " + _("The attendees get the cancellation for their calendar by e-mail.")
            if sent
            else ""
        ),
    )


@bp.route("/meetings/<int:meeting_id>/agenda/build", methods=["POST"])
@login_required
def build_agenda(meeting_id: int):
    return _meeting_step(
        meeting_id,
        lambda m: agenda.build_agenda(current_user, m),
        _("The agenda is built from the current state of the actions."),
    )


@bp.route("/meetings/<int:meeting_id>/agenda/send", methods=["POST"])
@login_required
def send_agenda(meeting_id: int):
    return _meeting_step(
        meeting_id,
        lambda m: agenda.send_agenda(current_user, m),
        _("The agenda is sent to the attendees, with an invitation."),
    )


@bp.route("/meetings/<int:meeting_id>/close", methods=["POST"])
@login_required
def close_meeting(meeting_id: int):
    return _meeting_step(
        meeting_id,
        lambda m: decisions.close_meeting(current_user, m),
        _("The meeting is closed; items not reached go to the next meeting."),
        require=_require_chair,
    )


@bp.route("/meetings/<int:meeting_id>/agenda/items", methods=["POST"])
@login_required
def add_item(meeting_id: int):
    meeting = _meeting_or_404(meeting_id)
    _require_manager(meeting.series)
    form = FreeItemForm()
    if not form.validate_on_submit():
        return _meeting_page(meeting, sent_item=form)
    with saving(form) as outcome:
        agenda.add_free_item(
            current_user, meeting, title=form.title.data, description=form.description.data
        )
    if not outcome.ok:
        return _meeting_page(meeting, sent_item=form)
    flash(_("The item is added to the agenda."), "success")
    return redirect(url_for("meetings.meeting", meeting_id=meeting_id, _anchor="agenda"))


def _item_or_404(meeting: Meeting, item_id: int) -> AgendaItem:
    item = db.session.get(AgendaItem, item_id)
    if item is None or item.meeting_id != meeting.id:
        abort(404)
    return item


@bp.route("/meetings/<int:meeting_id>/agenda/items/<int:item_id>/remove", methods=["POST"])
@login_required
def remove_item(meeting_id: int, item_id: int):
    meeting = _meeting_or_404(meeting_id)
    _require_manager(meeting.series)
    item = _item_or_404(meeting, item_id)
    with saving() as outcome:
        agenda.remove_item(current_user, item)
    if outcome.ok:
        flash(_("The item is removed from the agenda."), "success")
    return redirect(url_for("meetings.meeting", meeting_id=meeting_id, _anchor="agenda"))


@bp.route(
    "/meetings/<int:meeting_id>/agenda/items/<int:item_id>/<any(up, down):direction>",
    methods=["POST"],
)
@login_required
def move_item(meeting_id: int, item_id: int, direction: str):
    meeting = _meeting_or_404(meeting_id)
    _require_manager(meeting.series)
    item = _item_or_404(meeting, item_id)
    with saving():
        agenda.move_item(current_user, item, direction)
    return redirect(url_for("meetings.meeting", meeting_id=meeting_id, _anchor=f"item-{item.id}"))


# --- Meeting mode -------------------------------------------------------------------------


def _outcome_form(row) -> OutcomeForm:
    form = OutcomeForm()
    action = row.action
    form.owner_id.choices = [(None, _("(unchanged)"))]
    form.new_status.choices = [("", _("(unchanged)"))]
    if action is not None:
        members, others = owner_candidates(action.department_id)
        form.owner_id.choices += [
            (u.id, u.name) for u in members + others if u.id != action.owner_id
        ]
        form.new_status.choices += [
            (s.value, STATUS_LABELS[s]) for s in ActionStatus if s is not action.status
        ]
        if not form.is_submitted():
            form.version.data = str(action.version)
    return form


def _enum(kind, value):
    try:
        return kind(value) if value else None
    except ValueError:
        return None


@bp.route("/meetings/<int:meeting_id>/run/<int:number>", methods=["GET", "POST"])
@login_required
def run(meeting_id: int, number: int):
    meeting = _meeting_or_404(meeting_id)
    _require_chair(meeting.series)
    rows = queries.agenda_rows(meeting)
    if not rows:
        flash(_("The agenda is empty. Build it or add an item first."), "warning")
        return redirect(url_for("meetings.meeting", meeting_id=meeting.id))
    if not 1 <= number <= len(rows):
        abort(404)
    row = rows[number - 1]
    form = _outcome_form(row)
    conflict = False
    if form.validate_on_submit():
        try:
            version = int(form.version.data) if form.version.data else None
        except ValueError:
            version = None
        new_owner = db.session.get(User, form.owner_id.data) if form.owner_id.data else None
        with saving(form) as outcome:
            decisions.record_outcome(
                current_user,
                row.item,
                expected_version=version,
                decision=form.decision.data,
                deadline_request=form.deadline_request.data,
                new_deadline=form.new_deadline.data,
                new_owner=new_owner,
                new_status=_enum(ActionStatus, form.new_status.data),
                result=form.result.data,
                constraint=_enum(DeclineConstraint, form.constraint.data),
                explanation=form.explanation.data,
                reason=form.reason.data,
            )
        if not outcome.ok:
            # Show the item as it is now, keep what was typed; on a conflict, ask again.
            meeting = _meeting_or_404(meeting_id)
            rows = queries.agenda_rows(meeting)
            row = rows[number - 1]
            if isinstance(outcome.error, decisions.MeetingConflict):
                if row.action is not None:
                    form.version.data = str(row.action.version)
                conflict = True
        else:
            flash(_("The decision is recorded."), "success")
            if number < len(rows):
                return redirect(url_for("meetings.run", meeting_id=meeting.id, number=number + 1))
            return redirect(url_for("meetings.meeting", meeting_id=meeting.id, _anchor="agenda"))
    return render_template(
        "meetings/run.html",
        meeting=meeting,
        row=row,
        number=number,
        total=len(rows),
        rows=rows,
        form=form,
        conflict=conflict,
    )


# --- Minutes ------------------------------------------------------------------------------


@bp.route("/meetings/<int:meeting_id>/attendance", methods=["POST"])
@login_required
def record_attendance(meeting_id: int):
    present = []
    for value in request.form.getlist("present"):
        try:
            present.append(int(value))
        except ValueError:
            present.append(-1)  # refused by the service as not an attendee
    return _meeting_step(
        meeting_id,
        lambda m: decisions.record_attendance(current_user, m, present),
        _("The attendance is saved; the minutes list who was present and who was absent."),
    )


@bp.route("/meetings/<int:meeting_id>/minutes", methods=["GET", "POST"])
@login_required
def minutes(meeting_id: int):
    meeting = _meeting_or_404(meeting_id)
    _require_manager(meeting.series)
    form = MinutesForm()
    theirs = None
    if not form.is_submitted():
        form.version.data = str(meeting.version)
        form.text.data = meeting.minutes or decisions.draft_minutes(meeting)
    if form.validate_on_submit():
        try:
            version = int(form.version.data)
        except (TypeError, ValueError):
            version = None
        with saving(form) as outcome:
            decisions.save_minutes(
                current_user, meeting, text=form.text.data, expected_version=version
            )
        if isinstance(outcome.error, decisions.MeetingConflict):
            meeting = _meeting_or_404(meeting_id)
            theirs = meeting.minutes
            form.version.data = str(meeting.version)
        elif outcome.ok:
            flash(_("The minutes are saved."), "success")
            return redirect(url_for("meetings.meeting", meeting_id=meeting.id, _anchor="minutes"))
    return render_template("meetings/minutes.html", meeting=meeting, form=form, theirs=theirs)


@bp.route("/meetings/<int:meeting_id>/minutes/publish", methods=["POST"])
@login_required
def publish_minutes(meeting_id: int):
    return _meeting_step(
        meeting_id,
        lambda m: decisions.publish_minutes(current_user, m),
        _("The minutes are sent to the attendees."),
    )


# --- Out of the app -----------------------------------------------------------------------


@bp.route("/meetings/<int:meeting_id>/print/<any(agenda, minutes):part>")
@login_required
def printable(meeting_id: int, part: str):
    meeting = _meeting_or_404(meeting_id)
    _require_reader(meeting.series)
    rows = queries.agenda_rows(meeting) if part == "agenda" else []
    return render_template(
        "meetings/print.html", meeting=meeting, part=part, rows=rows, grouped=queries.sections(rows)
    )


@bp.route("/meetings/<int:meeting_id>/<any(agenda, minutes):part>.docx")
@login_required
def document(meeting_id: int, part: str):
    meeting = _meeting_or_404(meeting_id)
    _require_reader(meeting.series)
    # The minutes list the decisions on the agenda's items, so both parts need the rows.
    rows = queries.agenda_rows(meeting)
    data = exports.docx_document(meeting, rows, part, SECTION_LABELS)
    name = f"{part}-{clock.local_date(meeting.starts_at).isoformat()}.docx"
    return Response(
        _chunks(data),
        mimetype="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Content-Length": str(len(data)),
        },
    )


def _chunks(data, size: int = 64 * 1024):
    for start in range(0, len(data), size):
        yield data[start : start + size]


@bp.route("/meetings/<int:meeting_id>/invite.ics")
@login_required
def invitation(meeting_id: int):
    meeting = _meeting_or_404(meeting_id)
    _require_reader(meeting.series)
    return Response(
        exports.invitation(meeting, utcnow()),
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="meeting-{meeting.id}.ics"'},
    )


@bp.route("/calendar")
@login_required
def calendar():
    feed = services.feed_for(current_user)
    db.session.commit()
    from tracker.rendering import absolute_url

    return render_template(
        "meetings/calendar.html",
        feed_url=absolute_url("meetings.calendar_feed", feed_token=feed.token),
    )


@bp.route("/calendar/rotate", methods=["POST"])
@login_required
def rotate_calendar():
    services.rotate_feed(current_user)
    db.session.commit()
    flash(_("Your calendar address is renewed; the old address no longer works."), "success")
    return redirect(url_for("meetings.calendar"))


@bp.route("/calendar/<feed_token>.ics")
def calendar_feed(feed_token: str):
    """No log-in: calendar programs cannot log in. The secret token is the key."""
    feed = queries.feed_by_token(feed_token)
    if feed is None or not feed.user.active:
        abort(404)
    now = utcnow()
    meetings, owned = queries.feed_contents(feed.user, now)
    response = Response(exports.feed(meetings, owned, now), mimetype="text/calendar")
    response.headers["Cache-Control"] = "private, max-age=900"
    return response
