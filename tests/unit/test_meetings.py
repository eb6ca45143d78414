"""Staff meetings: recurrence, the generated agenda, outcomes through the actions' services,
roll-over, minutes, and the .ics / .docx outputs."""

from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta, timezone

import pytest
from docx import Document
from icalendar import Calendar
from sqlalchemy import select

from tests.factories import make_action, make_department, make_finding, make_user
from tracker import clock
from tracker.actions import queries as action_queries
from tracker.actions import services as actions
from tracker.actions.models import (
    ActionChange,
    ActionStatus,
    DeadlineDecision,
    ImprovementAction,
    Visibility,
)
from tracker.auth.models import Role
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.meetings import agenda, decisions, exports, queries, services
from tracker.meetings.models import (
    AgendaItem,
    AgendaSection,
    ItemState,
    Meeting,
    MeetingStatus,
    Recurrence,
)
from tracker.notifications.models import OutboxMessage
from tracker.organisation.closed_days import closed_days
from tracker.surveys.models import Triage
from tracker.types import utcnow


def _people():
    ict = make_department("ICT", "ICT")
    director = make_user(Role.director, name="Diederik", directs=[ict])
    owner = make_user(Role.owner, name="Olga", staff_of=[ict])
    secretary = make_user(Role.employee, name="Sam")
    return ict, director, owner, secretary


def _series(director, ict, attendees, **overrides):
    values = dict(
        title="Stafoverleg ICT",
        department=ict,
        recurrence=Recurrence.weekly,
        weekday=0,
        starts_on=date.today() + timedelta(days=1),
        start_time=time(10, 0),
        attendees=attendees,
        location="Kamer 2.14",
    )
    values.update(overrides)
    series = services.save_series(director, **values)
    db.session.commit()
    return series


def _first_meeting(series) -> Meeting:
    return db.session.scalar(
        select(Meeting).where(Meeting.series_id == series.id).order_by(Meeting.starts_at)
    )


# --- Recurrence ----------------------------------------------------------------------------


def test_weekly_series_plans_meetings_on_the_weekday_in_local_time(ctx):
    ict, director, owner, secretary = _people()
    series = _series(director, ict, [director, secretary])
    meetings = db.session.scalars(select(Meeting).where(Meeting.series_id == series.id)).all()
    assert len(meetings) >= 15
    assert all(m.occurrence_on.weekday() == 0 for m in meetings)
    # On the Monday itself, unless it is a public holiday (Easter Monday, …): then on the
    # next working day.
    calendar = closed_days()
    for meeting in meetings:
        held = clock.local_date(meeting.starts_at)
        if calendar.closure(meeting.occurrence_on) is None:
            assert held == meeting.occurrence_on
        else:
            assert held == calendar.next_working_day(meeting.occurrence_on)
    # 10:00 in Amsterdam is 08:00 or 09:00 UTC depending on daylight-saving time.
    assert {m.starts_at.astimezone(timezone.utc).hour for m in meetings} <= {8, 9}
    assert all(m.starts_at.astimezone(clock.zone()).hour == 10 for m in meetings)


def test_monthly_on_the_last_friday(ctx):
    ict, director, owner, secretary = _people()
    series = _series(
        director, ict, [director], recurrence=Recurrence.monthly, weekday=4, week_of_month=-1
    )
    days = services.occurrences(series, date(2027, 1, 1), date(2027, 4, 30))
    assert days == [date(2027, 1, 29), date(2027, 2, 26), date(2027, 3, 26), date(2027, 4, 30)]


def test_biweekly(ctx):
    ict, director, owner, secretary = _people()
    series = _series(director, ict, [director], recurrence=Recurrence.biweekly, weekday=2)
    days = services.occurrences(series, series.starts_on, series.starts_on + timedelta(days=60))
    assert all((b - a).days == 14 for a, b in zip(days, days[1:]))


def test_a_series_starting_in_the_past_is_refused_and_nothing_is_written(ctx):
    ict, director, owner, secretary = _people()
    with pytest.raises(DomainError) as error:
        services.save_series(
            director,
            title="Stafoverleg",
            department=ict,
            recurrence=Recurrence.weekly,
            weekday=0,
            starts_on=date.today() - timedelta(days=7),
            start_time=time(10),
            attendees=[director],
        )
    assert error.value.field == "starts_on"
    db.session.rollback()
    assert db.session.scalar(select(Meeting.id)) is None


def test_a_recurrence_without_any_date_is_refused(ctx):
    ict, director, owner, secretary = _people()
    start = date.today() + timedelta(days=1)
    # Weekly on a weekday that does not occur between start and end.
    end = start + timedelta(days=1)
    weekday = (start.weekday() + 3) % 7
    with pytest.raises(DomainError) as error:
        services.save_series(
            director,
            title="Stafoverleg",
            department=ict,
            recurrence=Recurrence.weekly,
            weekday=weekday,
            starts_on=start,
            ends_on=end,
            start_time=time(10),
            attendees=[director],
        )
    assert error.value.field == "recurrence"
    assert "geen enkele overlegdatum" in str(error.value.message)


def test_only_the_departments_director_plans_its_meeting(ctx):
    ict, director, owner, secretary = _people()
    other = make_user(Role.director, directs=[make_department()])
    with pytest.raises(DomainError):
        _series(other, ict, [other])


def test_moving_a_meeting_into_the_past_is_refused(ctx):
    ict, director, owner, secretary = _people()
    meeting = _first_meeting(_series(director, ict, [director]))
    with pytest.raises(DomainError) as error:
        services.move_meeting(
            director,
            meeting,
            day=date.today() - timedelta(days=1),
            start_time=time(9),
            duration_minutes=60,
            location="x",
            online_url=None,
        )
    assert error.value.field == "day"
    services.move_meeting(
        director,
        meeting,
        day=meeting.occurrence_on + timedelta(days=1),
        start_time=time(14),
        duration_minutes=90,
        location="Raadzaal",
        online_url="https://meet.example/abc",
    )
    db.session.commit()
    assert meeting.moved and meeting.sequence == 1
    assert meeting.starts_at.astimezone(clock.zone()).hour == 14


# --- The agenda ---------------------------------------------------------------------------


def _agenda_world():
    ict, director, owner, secretary = _people()
    series = _series(director, ict, [director, secretary])
    meeting = _first_meeting(series)
    day = clock.local_date(meeting.starts_at)
    now = utcnow()
    today = clock.today()
    # Overdue at the meeting: created with a deadline today, the meeting is later.
    overdue = make_action(ict, owner, title="Terugbellen binnen 4 uur", deadline=today)
    actions.change_status(director, overdue, ActionStatus.planned, expected_version=overdue.version)
    far = make_action(ict, owner, title="Intranet vernieuwen", deadline=today + timedelta(days=200))
    actions.change_status(director, far, ActionStatus.planned, expected_version=far.version)
    asks = make_action(ict, owner, title="Wachtrij korter", deadline=today + timedelta(days=100))
    actions.change_status(director, asks, ActionStatus.planned, expected_version=asks.version)
    actions.post_update(
        owner,
        asks,
        expected_version=asks.version,
        text="Leverancier te laat",
        requested_deadline=today + timedelta(days=150),
    )
    proposed = make_action(
        ict, owner, title="Spreekuur op locatie", deadline=today + timedelta(days=300)
    )
    done = make_action(
        ict, owner, title="Bellijst publiceren", deadline=today + timedelta(days=300)
    )
    for status in (ActionStatus.planned, ActionStatus.in_progress):
        actions.change_status(director, done, status, expected_version=done.version)
    actions.change_status(
        director,
        done,
        ActionStatus.done,
        expected_version=done.version,
        result="De bellijst staat op intranet.",
    )
    declined = make_action(
        ict, owner, title="24/7 servicedesk", deadline=today + timedelta(days=300)
    )
    from tracker.actions.models import DeclineConstraint

    actions.decline_action(
        director,
        declined,
        expected_version=declined.version,
        constraint=DeclineConstraint.budget,
        explanation="Geen budget.",
    )
    finding = make_finding(ict, question_text="Ik weet bij wie ik terecht kan")
    finding.triage = Triage.act
    db.session.commit()
    return locals()


def test_agenda_has_every_section_with_owner_deadline_status_and_latest_update(ctx):
    w = _agenda_world()
    agenda.build_agenda(w["director"], w["meeting"])
    db.session.commit()
    rows = queries.agenda_rows(w["meeting"])
    by_title = {row.item.title: row.item for row in rows}
    assert by_title["Terugbellen binnen 4 uur"].section is AgendaSection.overdue
    assert by_title["Wachtrij korter"].section is AgendaSection.attention
    assert by_title["Wachtrij korter"].snapshot["request"]["reason"] == "Leverancier te laat"
    assert by_title["Wachtrij korter"].snapshot["latest_update"] == "Leverancier te laat"
    assert by_title["Spreekuur op locatie"].section is AgendaSection.proposed
    assert by_title["Bellijst publiceren"].section is AgendaSection.done
    assert by_title["24/7 servicedesk"].section is AgendaSection.declined
    assert by_title["Ik weet bij wie ik terecht kan"].section is AgendaSection.finding
    assert "Intranet vernieuwen" not in by_title
    overdue = by_title["Terugbellen binnen 4 uur"].snapshot
    assert overdue["owner"] == "Olga" and overdue["status"] == "planned"
    # Sections come in agenda order.
    order = [row.item.section for row in rows]
    assert order == sorted(order, key=lambda s: list(AgendaSection).index(s))


def test_reactions_of_colleagues_are_a_section_and_go_with_an_action_on_the_agenda(ctx):
    from tracker.cocreation import services as cocreation
    from tracker.cocreation.models import Verdict

    w = _agenda_world()
    colleague = make_user(Role.employee)
    # "Intranet vernieuwen" is on the agenda only for what colleagues said; "Bellijst
    # publiceren" is on it already (done since the last meeting).
    cocreation.react(colleague, w["far"], Verdict.helps, "Eindelijk!")
    cocreation.react(colleague, w["done"], Verdict.not_yet, "")
    db.session.commit()
    agenda.build_agenda(w["director"], w["meeting"])
    db.session.commit()
    item = db.session.scalar(
        select(AgendaItem).where(AgendaItem.section == AgendaSection.reactions)
    )
    assert item.action_id == w["far"].id
    assert item.snapshot["reactions"]["helps"] == 1
    # The comment waits for moderation: counted, not quoted.
    assert item.snapshot["reactions"]["waiting"] == 1
    assert item.snapshot["reactions"]["comments"] == []
    # One item per action: the done action carries what was said, it is not listed twice
    # (else the minutes' "not reached" would name it twice).
    done_items = db.session.scalars(
        select(AgendaItem).where(
            AgendaItem.meeting_id == w["meeting"].id, AgendaItem.action_id == w["done"].id
        )
    ).all()
    assert [i.section for i in done_items] == [AgendaSection.done]
    assert done_items[0].snapshot["reactions"]["not_yet"] == 1


def test_rebuild_keeps_free_items_and_removals_and_a_sent_agenda_is_kept_as_sent(ctx):
    w = _agenda_world()
    meeting, director = w["meeting"], w["director"]
    agenda.build_agenda(director, meeting)
    free = agenda.add_free_item(director, meeting, title="Rondvraag")
    proposed = db.session.scalar(select(AgendaItem).where(AgendaItem.action_id == w["proposed"].id))
    agenda.remove_item(director, proposed)
    db.session.commit()
    agenda.build_agenda(director, meeting)
    db.session.commit()
    titles = [row.item.title for row in queries.agenda_rows(meeting)]
    assert "Rondvraag" in titles and "Spreekuur op locatie" not in titles
    # Reorder: the free item goes up one place.
    before = [row.item.id for row in queries.agenda_rows(meeting)]
    agenda.move_item(director, free, "up")
    db.session.commit()
    after = [row.item.id for row in queries.agenda_rows(meeting)]
    assert after.index(free.id) == before.index(free.id) - 1

    sent = agenda.send_agenda(director, meeting)
    db.session.commit()
    assert sent == 2
    mails = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert {m.recipient_email for m in mails} == {director.email, w["secretary"].email}
    assert "Terugbellen binnen 4 uur" in mails[0].body_text
    assert mails[0].attachments[0]["filename"] == "invite.ics"
    with pytest.raises(DomainError):
        agenda.build_agenda(director, meeting)
    db.session.rollback()
    # A later change to the action shows live beside the snapshot; the snapshot stays.
    overdue = db.session.get(ImprovementAction, w["overdue"].id)
    actions.update_action(
        director, overdue, expected_version=overdue.version, title="Terugbellen binnen 2 uur"
    )
    db.session.commit()
    row = next(r for r in queries.agenda_rows(meeting) if r.item.action_id == overdue.id)
    assert row.item.title == "Terugbellen binnen 4 uur"
    assert row.action.title == "Terugbellen binnen 2 uur" and row.changed


def test_build_due_agendas_builds_within_the_configured_days_only(ctx):
    w = _agenda_world()
    meeting = w["meeting"]
    early = meeting.starts_at - timedelta(days=10)
    assert agenda.build_due_agendas(early) == 0
    now = meeting.starts_at - timedelta(days=2)
    assert agenda.build_due_agendas(now) == 1
    db.session.commit()
    assert meeting.agenda_built_at is not None
    # Idempotent: a second run builds nothing new.
    assert agenda.build_due_agendas(now) == 0


def _bulk_actions(department, owner, creator, count: int):
    today = clock.today()
    db.session.add_all(
        [
            ImprovementAction(
                department_id=department.id,
                title=f"Actie {n}",
                description="",
                owner_id=owner.id,
                deadline=today - timedelta(days=1 + n % 20),
                status=ActionStatus.in_progress,
                progress=n % 100,
                created_by_id=creator.id,
                visibility=Visibility.public,
                last_update_at=utcnow(),
            )
            for n in range(count)
        ]
    )
    db.session.commit()


@pytest.mark.parametrize("count", [5, 500])
def test_agenda_build_takes_the_same_number_of_queries_for_5_and_500_items(
    ctx, count_queries, count
):
    ict, director, owner, secretary = _people()
    meeting = _first_meeting(_series(director, ict, [director]))
    _bulk_actions(ict, owner, director, count)
    meeting = db.session.get(Meeting, meeting.id)
    with count_queries() as counter:
        agenda.build_agenda(director, meeting)
        db.session.commit()
    assert len(queries.agenda_rows(meeting)) == count
    _QUERY_COUNTS[count] = counter.count
    if len(_QUERY_COUNTS) == 2:
        assert _QUERY_COUNTS[5] == _QUERY_COUNTS[500], _QUERY_COUNTS


_QUERY_COUNTS: dict[int, int] = {}


def test_the_meeting_page_rows_take_the_same_number_of_queries(ctx, count_queries):
    ict, director, owner, secretary = _people()
    meeting = _first_meeting(_series(director, ict, [director]))
    _bulk_actions(ict, owner, director, 5)
    agenda.build_agenda(director, meeting)
    db.session.commit()
    with count_queries() as small:
        queries.agenda_rows(meeting)
    _bulk_actions(ict, owner, director, 300)
    db.session.delete(meeting.items[0])
    meeting.items.clear()
    db.session.commit()
    meeting = db.session.get(Meeting, meeting.id)
    agenda.build_agenda(director, meeting)
    db.session.commit()
    db.session.expire_all()
    with count_queries() as large:
        rows = queries.agenda_rows(meeting)
    assert len(rows) == 305
    assert small.count == large.count


# --- Meeting mode -------------------------------------------------------------------------


def test_outcome_goes_through_the_action_services_and_into_the_history(ctx):
    w = _agenda_world()
    meeting, director = w["meeting"], w["director"]
    agenda.build_agenda(director, meeting)
    db.session.commit()
    item = db.session.scalar(select(AgendaItem).where(AgendaItem.action_id == w["asks"].id))
    action = item.action
    new_owner = make_user(Role.owner, name="Sanne", staff_of=[w["ict"]])
    decisions.record_outcome(
        director,
        item,
        expected_version=action.version,
        decision="Akkoord, maar dit is de laatste keer.",
        deadline_request="approve",
        new_owner=new_owner,
    )
    db.session.commit()
    action = db.session.get(ImprovementAction, w["asks"].id)
    assert action.owner_id == new_owner.id
    assert action.deadline == clock.today() + timedelta(days=150)
    # The audit trail holds the meeting's decision on the item and the change of owner.
    from tracker.audit.models import AuditEvent

    audited = {(e.action, e.subject_id): e.details for e in db.session.scalars(select(AuditEvent))}
    decided = audited[("agenda_item.changed", item.id)]
    assert decided["state"] == ["open", "decided"]
    assert "laatste keer" in decided["outcome"][1]
    assert audited[("action.changed", action.id)]["owner_id"][1] == new_owner.id
    assert not action_queries.pending_deadline_requests(action.id)
    fields = [
        c.field
        for c in db.session.scalars(select(ActionChange).where(ActionChange.action_id == action.id))
    ]
    assert {"deadline_request", "deadline", "owner", "staff_meeting"} <= set(fields)
    note = db.session.scalar(
        select(ActionChange.note).where(
            ActionChange.action_id == action.id, ActionChange.field == "staff_meeting"
        )
    )
    assert note.startswith("besloten in stafoverleg van ")
    assert item.state is ItemState.decided
    assert "Akkoord" in item.outcome


def test_status_change_follows_the_same_rules(ctx):
    w = _agenda_world()
    meeting, director = w["meeting"], w["director"]
    agenda.build_agenda(director, meeting)
    db.session.commit()
    item = db.session.scalar(select(AgendaItem).where(AgendaItem.action_id == w["overdue"].id))
    # Declining needs a public explanation, as on the action page.
    with pytest.raises(DomainError) as error:
        decisions.record_outcome(
            director,
            item,
            expected_version=item.action.version,
            decision="Niet doen",
            new_status=ActionStatus.declined,
        )
    assert error.value.field == "constraint"
    db.session.rollback()
    assert db.session.get(AgendaItem, item.id).state is ItemState.open
    assert db.session.get(ImprovementAction, w["overdue"].id).status is ActionStatus.planned


def test_an_outcome_for_an_action_that_changed_is_asked_again(ctx):
    w = _agenda_world()
    meeting, director, owner = w["meeting"], w["director"], w["owner"]
    agenda.build_agenda(director, meeting)
    db.session.commit()
    item = db.session.scalar(select(AgendaItem).where(AgendaItem.action_id == w["overdue"].id))
    seen = item.action_version
    actions.post_update(
        owner, item.action, expected_version=item.action.version, text="Bijna klaar", percent=90
    )
    db.session.commit()
    with pytest.raises(decisions.MeetingConflict):
        decisions.record_outcome(director, item, expected_version=seen, decision="Door")
    db.session.rollback()
    item = db.session.get(AgendaItem, item.id)
    assert item.state is ItemState.open
    decisions.record_outcome(director, item, expected_version=item.action.version, decision="Door")
    db.session.commit()
    assert item.state is ItemState.decided


def test_items_not_reached_roll_over_and_minutes_are_drafted(ctx):
    w = _agenda_world()
    meeting, director = w["meeting"], w["director"]
    agenda.build_agenda(director, meeting)
    agenda.add_free_item(director, meeting, title="Jaarplanning 2027")
    db.session.commit()
    overdue = db.session.scalar(select(AgendaItem).where(AgendaItem.action_id == w["overdue"].id))
    decisions.record_outcome(
        director,
        overdue,
        expected_version=overdue.action.version,
        decision="Olga belt de leverancier.",
    )
    decisions.close_meeting(director, meeting)
    db.session.commit()
    assert "Olga belt de leverancier." in meeting.minutes
    assert "Jaarplanning 2027" in meeting.minutes
    # The next meeting, after this one took place, carries the free item over.
    following = db.session.scalars(
        select(Meeting).where(Meeting.series_id == meeting.series_id).order_by(Meeting.starts_at)
    ).all()[1]
    agenda.build_agenda(director, following, now=meeting.starts_at + timedelta(hours=2))
    db.session.commit()
    rolled = [
        r.item for r in queries.agenda_rows(following) if r.item.section is AgendaSection.rollover
    ]
    assert [i.title for i in rolled if i.action_id is None] == ["Jaarplanning 2027"]


def test_minutes_edit_is_locked_optimistically_and_published_to_attendees(ctx):
    w = _agenda_world()
    meeting, director = w["meeting"], w["director"]
    decisions.close_meeting(director, meeting)
    db.session.commit()
    version = meeting.version
    decisions.save_minutes(director, meeting, text="Versie van Diederik", expected_version=version)
    db.session.commit()
    with pytest.raises(decisions.MeetingConflict):
        decisions.save_minutes(director, meeting, text="Oude versie", expected_version=version)
    db.session.rollback()
    assert db.session.get(Meeting, meeting.id).minutes == "Versie van Diederik\n"
    assert decisions.publish_minutes(director, meeting) == 2
    db.session.commit()
    mail = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.recipient_id == w["secretary"].id)
    )
    assert "Versie van Diederik" in mail.body_text and mail.kind == "meeting_minutes"


def test_deleted_action_on_an_old_agenda_still_renders_from_the_snapshot(ctx):
    w = _agenda_world()
    meeting, director = w["meeting"], w["director"]
    agenda.build_agenda(director, meeting)
    db.session.commit()
    item = db.session.scalar(
        select(AgendaItem).where(AgendaItem.action_id == w["far"].id)
    ) or db.session.scalar(select(AgendaItem).where(AgendaItem.action_id == w["proposed"].id))
    item.action_id = None  # what ON DELETE SET NULL leaves behind
    db.session.commit()
    row = next(r for r in queries.agenda_rows(meeting) if r.item.id == item.id)
    assert row.action is None and row.missing
    assert row.item.snapshot["owner"] == "Olga"


# --- Exports ------------------------------------------------------------------------------


def test_invitation_is_valid_icalendar_with_uid_dtstamp_timezone_and_organiser(ctx):
    ict, director, owner, secretary = _people()
    meeting = _first_meeting(_series(director, ict, [director, secretary]))
    text = exports.invitation(meeting, utcnow())
    calendar = Calendar.from_ical(text)
    assert calendar["METHOD"] == "REQUEST"
    assert calendar.walk("VTIMEZONE")[0]["TZID"] == "Europe/Amsterdam"
    event = calendar.walk("VEVENT")[0]
    assert event["UID"] == f"meeting-{meeting.id}@127.0.0.1"
    assert event["DTSTAMP"].dt.tzinfo is not None
    assert event["DTSTART"].params["TZID"] == "Europe/Amsterdam"
    assert event.decoded("DTSTART") == meeting.starts_at
    assert str(event["ORGANIZER"]) == f"mailto:{director.email}"
    assert {str(a) for a in event.get("ATTENDEE")} == {
        f"mailto:{director.email}",
        f"mailto:{secretary.email}",
    }
    assert "\r\n" in text  # CRLF line endings as RFC 5545 asks


def test_docx_agenda_opens_with_the_items(ctx):
    w = _agenda_world()
    agenda.build_agenda(w["director"], w["meeting"])
    db.session.commit()
    rows = queries.agenda_rows(w["meeting"])
    from tracker.meetings.forms import SECTION_LABELS

    data = exports.docx_document(w["meeting"], rows, "agenda", SECTION_LABELS)
    document = Document(io.BytesIO(data))
    headings = [p.text for p in document.paragraphs]
    assert "Overdue actions" in headings or "Acties over de deadline" in headings
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    assert any("Terugbellen binnen 4 uur" in cell for cell in cells)
    assert "Olga" in [cell.split("\n")[0] for cell in cells]  # the owner, then the department


def test_an_owner_who_reports_being_stuck_is_on_the_agenda_until_the_next_update(ctx):
    w = _agenda_world()
    far = w["far"]
    db.session.refresh(far)
    actions.post_update(
        w["owner"],
        far,
        expected_version=far.version,
        text="Wachten op de leverancier; ik kom niet verder.",
        stuck=True,
    )
    db.session.commit()
    assert far.stuck is True
    agenda.build_agenda(w["director"], w["meeting"])
    db.session.commit()
    by_title = {row.item.title: row.item for row in queries.agenda_rows(w["meeting"])}
    assert by_title["Intranet vernieuwen"].section is AgendaSection.attention
    assert by_title["Intranet vernieuwen"].snapshot["stuck"] is True
    # The next update without the flag clears it, and the history shows both.
    db.session.refresh(far)
    actions.post_update(w["owner"], far, expected_version=far.version, text="Weer op gang.")
    db.session.commit()
    assert far.stuck is False
    from tracker.actions.models import ActionChange

    changes = db.session.scalars(
        select(ActionChange.new_value).where(
            ActionChange.action_id == far.id, ActionChange.field == "stuck"
        )
    ).all()
    assert len(changes) == 2


def test_after_a_new_survey_import_the_agenda_shows_the_effect_of_done_actions(ctx, client):
    from tracker.actions.models import ActionStatus as Status
    from tracker.surveys.models import ImportOutcome, SurveyImport, SurveyRound

    ict, director, owner, secretary = _people()
    db.session.add_all(
        [
            SurveyRound(
                name="KTO 2025",
                held_on=date(2025, 3, 1),
                fieldwork_started_on=date(2025, 2, 1),
                label_map={},
            ),
            SurveyRound(
                name="KTO 2026",
                held_on=date(2026, 3, 1),
                fieldwork_started_on=date(2026, 2, 1),
                label_map={},
            ),
        ]
    )
    db.session.commit()
    question = "Ik word teruggebeld zoals beloofd"
    before = make_finding(ict, "KTO 2025", score=6.1, sd=1.2, n=40, question_text=question)
    make_finding(ict, "KTO 2026", score=7.2, sd=1.0, n=36, question_text=question)
    # The rest of the department, without an action, rose by 0.2.
    make_finding(ict, "KTO 2025", score=6.0, sd=1.0, question_text="De servicedesk is bereikbaar")
    make_finding(ict, "KTO 2026", score=6.2, sd=1.0, question_text="De servicedesk is bereikbaar")
    action = make_action(ict, owner, title="Terugbelgarantie", findings=[before])
    moment = datetime(2025, 10, 1, 10, tzinfo=timezone.utc)
    for status in (Status.planned, Status.in_progress, Status.done):
        db.session.refresh(action)
        actions.change_status(
            director,
            action,
            status,
            expected_version=action.version,
            now=moment,
            result="Binnen 4 uur teruggebeld." if status is Status.done else None,
        )
        db.session.commit()
    series = _series(director, ict, [director, secretary])
    meeting = _first_meeting(series)
    # No import since the last meeting: no effects section.
    agenda.build_agenda(director, meeting)
    db.session.commit()
    assert not [r for r in queries.agenda_rows(meeting) if r.item.section is AgendaSection.effects]
    round_2026 = db.session.scalar(select(SurveyRound).where(SurveyRound.name == "KTO 2026"))
    db.session.add(
        SurveyImport(
            round_id=round_2026.id,
            file_name="kto-2026.csv",
            sha256="x" * 64,
            outcome=ImportOutcome.imported,
        )
    )
    db.session.commit()
    agenda.build_agenda(director, meeting)
    db.session.commit()
    effects = [
        r.item for r in queries.agenda_rows(meeting) if r.item.section is AgendaSection.effects
    ]
    assert [item.title for item in effects] == ["Terugbelgarantie"]
    measured = effects[0].snapshot["effects"][0]
    assert measured["verdict"] == "improved" and round(measured["value"], 2) == 0.9
    client.login(director.email)
    html = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "Effect van onze acties" in html
    assert "+0,9 (±0,7) boven de rest van de afdeling (+0,2)" in html
    assert "beter dan de rest van de afdeling" in html
    # The Word agenda says the same.
    from tracker.meetings.forms import SECTION_LABELS

    data = exports.docx_document(meeting, queries.agenda_rows(meeting), "agenda", SECTION_LABELS)
    cells = [c.text for t in Document(io.BytesIO(data)).tables for r in t.rows for c in r.cells]
    assert any(
        "+0,9 (±0,7) boven de rest van de afdeling (+0,2) – beter dan de rest van de afdeling"
        in cell
        for cell in cells
    )


# --- The meeting decides on its whole agenda ------------------------------------------------


def _directorate_meeting():
    """The services directorate's staff meeting, chaired by the director of ICT, with a
    proposed action of HR (which the chair does not direct) on its agenda."""
    from tracker.organisation.services import create_directorate

    directorate = create_directorate(None, "Dienstendirectie")
    ict = make_department("ICT", "ICT")
    hr = make_department("Personeel & Organisatie", "HR")
    ict.directorate = hr.directorate = directorate
    chair = make_user(Role.director, name="Diederik", directs=[ict])
    hr_director = make_user(Role.director, name="Petra", directs=[hr])
    hanna = make_user(Role.owner, name="Hanna", staff_of=[hr])
    henk = make_user(Role.owner, name="Henk", staff_of=[hr])
    secretary = make_user(Role.employee, name="Sam")
    hr_action = make_action(
        hr, hanna, title="Verzuimgesprek binnen een week", deadline=clock.today() + timedelta(60)
    )
    # Planned, deadline far away: not on the agenda.
    elsewhere = make_action(hr, hanna, title="Nieuw introductieprogramma")
    actions.change_status(
        hr_director, elsewhere, ActionStatus.planned, expected_version=elsewhere.version
    )
    elsewhere.deadline = clock.today() + timedelta(days=300)
    series = services.save_series(
        chair,
        title="Stafoverleg dienstendirectie",
        directorate=directorate,
        recurrence=Recurrence.weekly,
        weekday=(date.today() + timedelta(days=2)).weekday(),
        starts_on=date.today() + timedelta(days=1),
        start_time=time(10, 0),
        attendees=[chair, hr_director, secretary],
    )
    db.session.commit()
    meeting = _first_meeting(series)
    agenda.build_agenda(chair, meeting)
    db.session.commit()
    item = db.session.scalar(select(AgendaItem).where(AgendaItem.action_id == hr_action.id))
    assert not db.session.scalar(select(AgendaItem).where(AgendaItem.action_id == elsewhere.id))
    return locals()


def _history(action_id):
    return db.session.scalars(
        select(ActionChange).where(ActionChange.action_id == action_id).order_by(ActionChange.id)
    ).all()


def test_the_directorate_meeting_decides_on_an_item_of_a_department_its_chair_does_not_direct(
    ctx,
):
    w = _directorate_meeting()
    chair, item, meeting = w["chair"], w["item"], w["meeting"]
    new_deadline = clock.today() + timedelta(days=90)
    before = len(_history(w["hr_action"].id))
    decisions.record_outcome(
        chair,
        item,
        expected_version=item.action.version,
        decision="Henk neemt het over; eerst de leidinggevenden informeren.",
        new_deadline=new_deadline,
        new_owner=w["henk"],
        new_status=ActionStatus.planned,
    )
    db.session.commit()
    action = db.session.get(ImprovementAction, w["hr_action"].id)
    assert action.deadline == new_deadline
    assert action.owner_id == w["henk"].id
    assert action.status is ActionStatus.planned
    decided = _history(action.id)[before:]
    by_field = {c.field: c for c in decided}
    assert by_field["deadline"].new_value == new_deadline.isoformat()
    assert by_field["owner"].new_value == "Henk"
    assert by_field["status"].new_value == "planned"
    assert by_field["staff_meeting"].new_value.startswith("Henk neemt het over")
    # Every line of the decision names the meeting and is the chair's.
    assert all(c.meeting_id == meeting.id for c in decided)
    assert all(c.changed_by_id == chair.id for c in decided)
    assert all(c.note.startswith("besloten in stafoverleg van ") for c in decided)
    assert db.session.get(AgendaItem, item.id).state is ItemState.decided


def test_outside_the_meeting_the_chair_still_may_not_change_the_hr_action(ctx):
    w = _directorate_meeting()
    chair, action = w["chair"], w["hr_action"]
    with pytest.raises(DomainError, match="Alleen de directeur van de afdeling"):
        actions.update_action(
            chair, action, expected_version=action.version, deadline=date.today() + timedelta(99)
        )
    with pytest.raises(DomainError):
        actions.change_status(chair, action, ActionStatus.planned, expected_version=action.version)
    db.session.rollback()
    action = db.session.get(ImprovementAction, action.id)
    assert action.status is ActionStatus.proposed and action.owner_id == w["hanna"].id


def test_the_meetings_authority_covers_deadline_owner_and_status_only(ctx):
    w = _directorate_meeting()
    chair, action = w["chair"], w["hr_action"]
    authority = decisions.meeting_authority(chair, w["meeting"])
    with pytest.raises(DomainError):
        actions.update_action(
            chair,
            action,
            expected_version=action.version,
            authority=authority,
            title="Anders genoemd",
        )
    db.session.rollback()
    assert db.session.get(ImprovementAction, action.id).title == "Verzuimgesprek binnen een week"


def test_an_attendee_who_is_neither_chair_nor_director_is_refused(ctx):
    w = _directorate_meeting()
    secretary, item = w["secretary"], w["item"]
    with pytest.raises(DomainError, match="voorzitter en de directeuren"):
        decisions.record_outcome(
            secretary,
            item,
            expected_version=item.action.version,
            decision="Akkoord",
            new_status=ActionStatus.planned,
        )
    # Nor can the chair's authority be used by someone else.
    authority = decisions.meeting_authority(w["chair"], w["meeting"])
    with pytest.raises(DomainError):
        actions.change_status(
            secretary,
            item.action,
            ActionStatus.planned,
            expected_version=item.action.version,
            authority=authority,
        )
    db.session.rollback()
    assert db.session.get(ImprovementAction, w["hr_action"].id).status is ActionStatus.proposed
    assert db.session.get(AgendaItem, item.id).state is ItemState.open


def test_an_action_not_on_the_agenda_cannot_be_decided_through_the_meeting(ctx):
    w = _directorate_meeting()
    chair, meeting, elsewhere = w["chair"], w["meeting"], w["elsewhere"]
    authority = decisions.meeting_authority(chair, meeting)
    with pytest.raises(DomainError, match="staat niet op de agenda"):
        actions.update_action(
            chair,
            elsewhere,
            expected_version=elsewhere.version,
            authority=authority,
            deadline=clock.today() + timedelta(days=20),
        )
    db.session.rollback()
    # An item removed from the agenda is no longer the meeting's to decide.
    item = db.session.get(AgendaItem, w["item"].id)
    agenda.remove_item(chair, item)
    db.session.commit()
    with pytest.raises(DomainError):
        decisions.record_outcome(
            chair, item, expected_version=item.action.version, decision="Toch besluiten"
        )
    with pytest.raises(DomainError, match="staat niet op de agenda"):
        actions.change_status(
            chair,
            item.action,
            ActionStatus.planned,
            expected_version=item.action.version,
            authority=authority,
        )
    db.session.rollback()
    assert db.session.get(ImprovementAction, w["hr_action"].id).status is ActionStatus.proposed
    assert db.session.get(ImprovementAction, elsewhere.id).deadline == clock.today() + timedelta(
        days=300
    )


def test_a_closed_meeting_cannot_decide(ctx):
    w = _directorate_meeting()
    chair, meeting, item = w["chair"], w["meeting"], w["item"]
    authority = decisions.meeting_authority(chair, meeting)
    decisions.close_meeting(chair, meeting)
    db.session.commit()
    with pytest.raises(DomainError, match="gesloten"):
        decisions.record_outcome(
            chair, item, expected_version=item.action.version, decision="Te laat"
        )
    # An authority obtained while it was open is checked again at the change.
    with pytest.raises(DomainError, match="gesloten"):
        actions.change_status(
            chair,
            item.action,
            ActionStatus.planned,
            expected_version=item.action.version,
            authority=authority,
        )
    db.session.rollback()
    assert db.session.get(ImprovementAction, w["hr_action"].id).status is ActionStatus.proposed
    assert db.session.get(AgendaItem, item.id).outcome is None
