"""Rules of improvement actions: creating, the status workflow, progress updates, deadline
requests, the append-only history and optimistic locking. Through the services, no HTTP."""

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, text, update

from tests.factories import make_action, make_department, make_finding, make_user
from tracker import clock
from tracker.actions import services
from tracker.actions.models import (
    ActionChange,
    ActionStatus,
    AppendOnlyError,
    DeadlineDecision,
    DeadlineRequest,
    DeclineConstraint,
    ImprovementAction,
    Priority,
    ProgressUpdate,
    Visibility,
)
from tracker.actions.queries import (
    actions_by_finding,
    changes_since,
    counters,
    quarter_bounds,
    rollup,
    timeline,
)
from tracker.auth.models import Role
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.surveys.models import Sphere, Triage


@pytest.fixture
def world(ctx):
    ict = make_department("Informatievoorziening & ICT", "ICT")
    hr = make_department("Personeel & Organisatie", "P&O")
    return {
        "ict": ict,
        "hr": hr,
        "director": make_user(Role.director, email="dir@example.org", directs=[ict]),
        "other_director": make_user(Role.director, email="hrdir@example.org", directs=[hr]),
        "owner": make_user(
            Role.owner, email="owner@example.org", name="Olga Visser", staff_of=[ict]
        ),
        "colleague": make_user(
            Role.owner, email="col@example.org", name="Sanne Peters", staff_of=[ict]
        ),
        "employee": make_user(Role.employee, email="emp@example.org"),
        "admin": make_user(Role.admin, email="admin@example.org"),
    }


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _advance(action, by, status, **extra):
    """Post an update that moves the action one step."""
    return services.post_update(
        by,
        action,
        expected_version=action.version,
        text=f"Naar {status.value}",
        new_status=status,
        **extra,
    )


# --- Creating -----------------------------------------------------------------------------


def test_director_creates_an_action_with_every_field_and_a_history_entry(world):
    finding = make_finding(world["ict"], triage=Triage.act)
    action = services.create_action(
        world["director"],
        department=world["ict"],
        title="  Elke melding binnen 4 werkuren terugbellen ",
        description="Terugbellen, ook als er nog geen oplossing is.",
        owner=world["owner"],
        co_owners=[world["colleague"], world["owner"]],
        deadline=clock.today() + timedelta(days=60),
        priority=Priority.high,
        quick_win=True,
        sphere=Sphere.own,
        visibility=Visibility.public,
        public_summary="Wij bellen u binnen 4 uur terug.",
        findings=[finding],
    )
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(ImprovementAction, action.id)
    assert stored.title == "Elke melding binnen 4 werkuren terugbellen"
    assert stored.status is ActionStatus.proposed and stored.version == 1
    assert stored.owner.email == "owner@example.org"
    assert [u.email for u in stored.co_owners] == [
        "col@example.org"
    ]  # the owner is not also co-owner
    assert [f.id for f in stored.findings] == [finding.id]
    assert (stored.priority, stored.quick_win, stored.sphere) == (Priority.high, True, Sphere.own)
    changes = db.session.scalars(select(ActionChange)).all()
    assert [(c.field, c.new_value, c.changed_by_id, c.version) for c in changes] == [
        ("created", stored.title, world["director"].id, 1)
    ]


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"owner": None}, "owner_id", "Kies de actiehouder"),
        ({"deadline": None}, "deadline", "Geef een deadline"),
        ({"deadline": "past"}, "deadline", "in het verleden"),
        ({"owner": "deactivated"}, "owner_id", "gedeactiveerd"),
        ({"title": "x" * 10_000}, "title", "maximaal 200 tekens"),
        ({"title": "   "}, "title", "Geef de actie een titel"),
        ({"description": "y" * 5001}, "description", "te lang"),
        ({"findings": "other department"}, "finding_ids", "eigen afdeling"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_is_written(
    world, change, field, message
):
    """Messages are checked in Dutch, the organisation's default language."""
    values = {
        "title": "Terugbellen",
        "owner": world["owner"],
        "deadline": clock.today() + timedelta(days=10),
    }
    for key, value in change.items():
        if value == "past":
            value = clock.today() - timedelta(days=1)
        elif value == "deactivated":
            value = make_user(Role.owner, email="gone@example.org", staff_of=[world["ict"]])
            value.active = False
        elif value == "other department":
            value = [make_finding(world["hr"])]
        values[key] = value
    with pytest.raises(DomainError) as error:
        services.create_action(world["director"], department=world["ict"], **values)
    db.session.rollback()
    assert error.value.field == field
    assert message in str(error.value.message)
    assert _count(ImprovementAction) == 0 and _count(ActionChange) == 0


def test_only_the_departments_director_or_an_admin_creates_actions(world):
    deadline = clock.today() + timedelta(days=5)
    for user in (world["other_director"], world["owner"], world["employee"]):
        with pytest.raises(DomainError):
            services.create_action(
                user, department=world["ict"], title="T", owner=world["owner"], deadline=deadline
            )
        db.session.rollback()
    services.create_action(
        world["admin"], department=world["ict"], title="T", owner=world["owner"], deadline=deadline
    )
    assert _count(ImprovementAction) == 1


def test_an_owner_from_another_department_is_allowed(world):
    outsider = make_user(Role.employee, email="jurist@example.org")
    action = make_action(world["ict"], outsider)
    assert action.owner_id == outsider.id


# --- Status workflow ----------------------------------------------------------------------


def test_the_owner_walks_the_action_from_proposed_to_done(world):
    action = make_action(world["ict"], world["owner"])
    _advance(action, world["owner"], ActionStatus.planned)
    _advance(action, world["owner"], ActionStatus.in_progress)
    _advance(
        action,
        world["owner"],
        ActionStatus.done,
        result="Wij bellen nu elke melding binnen 4 uur terug.",
    )
    db.session.commit()
    assert action.status is ActionStatus.done
    assert action.progress == 100
    assert action.closed_on == clock.today()
    assert action.result == "Wij bellen nu elke melding binnen 4 uur terug."
    statuses = db.session.scalars(
        select(ActionChange.new_value)
        .where(ActionChange.field == "status")
        .order_by(ActionChange.id)
    ).all()
    assert statuses == ["planned", "in_progress", "done"]


@pytest.mark.parametrize("target", [ActionStatus.in_progress, ActionStatus.done])
def test_skipping_a_step_is_refused_with_the_next_step_named(world, target):
    action = make_action(world["ict"], world["owner"])
    with pytest.raises(DomainError) as error:
        _advance(
            action, world["owner"], target, result="klaar" if target is ActionStatus.done else ""
        )
    db.session.rollback()
    assert "De volgende stap is gepland" in str(error.value.message)
    db.session.refresh(action)
    assert action.status is ActionStatus.proposed
    assert _count(ProgressUpdate) == 0


def test_done_requires_the_result_text(world):
    action = make_action(world["ict"], world["owner"])
    _advance(action, world["owner"], ActionStatus.planned)
    _advance(action, world["owner"], ActionStatus.in_progress)
    db.session.commit()
    with pytest.raises(DomainError) as error:
        _advance(action, world["owner"], ActionStatus.done, result="  ")
    db.session.rollback()
    assert error.value.field == "result"
    assert db.session.get(ImprovementAction, action.id).status is ActionStatus.in_progress


def test_declining_needs_a_constraint_and_a_public_explanation(world):
    action = make_action(world["ict"], world["owner"])
    with pytest.raises(DomainError) as error:
        services.decline_action(
            world["director"],
            action,
            expected_version=action.version,
            constraint=DeclineConstraint.budget,
            explanation="",
        )
    db.session.rollback()
    assert error.value.field == "explanation"
    with pytest.raises(DomainError) as error:
        services.decline_action(
            world["director"],
            action,
            expected_version=action.version,
            constraint=None,
            explanation="Geen geld",
        )
    db.session.rollback()
    assert error.value.field == "constraint"
    services.decline_action(
        world["director"],
        action,
        expected_version=action.version,
        constraint=DeclineConstraint.budget,
        explanation="Een tweede servicedesk past niet in de begroting van 2027.",
    )
    db.session.commit()
    assert action.status is ActionStatus.declined
    assert action.decline_constraint is DeclineConstraint.budget
    assert action.closed_on == clock.today()


def test_owners_cannot_decline_cancel_or_reopen(world):
    action = make_action(world["ict"], world["owner"])
    with pytest.raises(DomainError, match="mag een actie afwijzen"):
        services.decline_action(
            world["owner"],
            action,
            expected_version=1,
            constraint=DeclineConstraint.law,
            explanation="Mag niet",
        )
    with pytest.raises(DomainError, match="mag een actie annuleren"):
        services.cancel_action(world["owner"], action, expected_version=1, reason="Dubbel")
    db.session.rollback()
    services.cancel_action(
        world["director"], action, expected_version=1, reason="Dubbel met actie 3"
    )
    db.session.commit()
    with pytest.raises(DomainError, match="mag een actie heropenen"):
        services.reopen_action(
            world["owner"],
            action,
            expected_version=action.version,
            status=ActionStatus.proposed,
            reason="Toch nodig",
        )


def test_cancelling_needs_an_internal_reason(world):
    action = make_action(world["ict"], world["owner"])
    with pytest.raises(DomainError) as error:
        services.cancel_action(world["director"], action, expected_version=1, reason="")
    assert error.value.field == "reason"


def test_a_closed_action_takes_no_updates_and_no_forward_steps(world):
    action = make_action(world["ict"], world["owner"])
    services.cancel_action(world["director"], action, expected_version=1, reason="Overbodig")
    db.session.commit()
    with pytest.raises(DomainError, match="afgesloten"):
        services.post_update(
            world["owner"], action, expected_version=action.version, text="Toch bezig"
        )
    with pytest.raises(DomainError, match="Heropen haar eerst"):
        services.change_status(
            world["director"],
            action,
            ActionStatus.declined,
            expected_version=action.version,
            constraint=DeclineConstraint.law,
            explanation="x",
        )


def test_reopening_is_recorded_with_its_reason_and_clears_the_result(world):
    action = make_action(world["ict"], world["owner"])
    for status in (ActionStatus.planned, ActionStatus.in_progress):
        _advance(action, world["owner"], status)
    _advance(action, world["owner"], ActionStatus.done, result="Gedaan")
    db.session.commit()
    with pytest.raises(DomainError) as error:
        services.reopen_action(
            world["director"],
            action,
            expected_version=action.version,
            status=ActionStatus.in_progress,
            reason="",
        )
    assert error.value.field == "reason"
    services.reopen_action(
        world["director"],
        action,
        expected_version=action.version,
        status=ActionStatus.in_progress,
        reason="Klanten merken er nog niets van",
    )
    db.session.commit()
    assert action.status is ActionStatus.in_progress
    assert action.result is None and action.closed_on is None
    reopened = db.session.scalars(
        select(ActionChange).where(ActionChange.field == "status").order_by(ActionChange.id.desc())
    ).first()
    assert (reopened.old_value, reopened.new_value, reopened.note) == (
        "done",
        "in_progress",
        "Klanten merken er nog niets van",
    )
    result_change = db.session.scalar(
        select(ActionChange).where(ActionChange.field == "result", ActionChange.new_value.is_(None))
    )
    assert result_change.old_value == "Gedaan"  # the old result stays in the history


# --- Progress updates and deadline requests -----------------------------------------------


def test_a_progress_update_is_stored_with_its_changes(world):
    action = make_action(world["ict"], world["owner"])
    update = services.post_update(
        world["owner"],
        action,
        expected_version=1,
        text="Script voor terugbellen geschreven",
        percent=40,
        new_status=ActionStatus.planned,
    )
    db.session.commit()
    assert action.progress == 40 and action.last_update_at == update.created_at
    assert action.version == 2
    changes = db.session.scalars(
        select(ActionChange).where(ActionChange.update_id == update.id)
    ).all()
    assert {(c.field, c.old_value, c.new_value) for c in changes} == {
        ("status", "proposed", "planned"),
        ("progress", "0", "40"),
    }
    entries = timeline(action)
    assert entries[0].update.id == update.id and len(entries[0].changes) == 2
    assert entries[-1].changes[0].field == "created"


@pytest.mark.parametrize(
    "values, field",
    [
        ({"text": ""}, "text"),
        ({"text": "x" * 2001}, "text"),
        ({"text": "ok", "percent": 101}, "percent"),
        ({"text": "ok", "percent": -1}, "percent"),
        ({"text": "ok", "new_status": ActionStatus.declined}, "new_status"),
    ],
)
def test_bad_updates_are_refused(world, values, field):
    action = make_action(world["ict"], world["owner"])
    with pytest.raises(DomainError) as error:
        services.post_update(world["owner"], action, expected_version=1, **values)
    db.session.rollback()
    assert error.value.field == field
    assert _count(ProgressUpdate) == 0


def test_only_owner_co_owners_and_managers_post_updates(world):
    action = make_action(world["ict"], world["owner"], co_owners=[world["colleague"]])
    for user in (world["owner"], world["colleague"], world["director"], world["admin"]):
        services.post_update(user, action, expected_version=action.version, text="Bijgewerkt")
    for user in (world["other_director"], world["employee"]):
        with pytest.raises(DomainError):
            services.post_update(user, action, expected_version=action.version, text="Nee")
    db.session.commit()
    assert _count(ProgressUpdate) == 4


def test_deadline_request_approved_moves_the_deadline_and_is_recorded(world):
    action = make_action(world["ict"], world["owner"])
    old_deadline = action.deadline
    wanted = old_deadline + timedelta(days=30)
    services.post_update(
        world["owner"],
        action,
        expected_version=1,
        text="Leverancier is later",
        requested_deadline=wanted,
    )
    db.session.commit()
    request_ = db.session.scalar(select(DeadlineRequest))
    assert request_.decision is DeadlineDecision.pending and action.deadline == old_deadline
    with pytest.raises(DomainError):
        services.decide_deadline_request(world["owner"], request_, action, approve=True)
    services.decide_deadline_request(
        world["director"],
        request_,
        action,
        approve=True,
        note="Akkoord, wel melden bij stafoverleg",
    )
    db.session.commit()
    assert action.deadline == wanted
    assert request_.decision is DeadlineDecision.approved
    assert request_.decided_by_id == world["director"].id
    deadline_change = db.session.scalar(
        select(ActionChange).where(ActionChange.field == "deadline")
    )
    assert (deadline_change.old_value, deadline_change.new_value) == (
        old_deadline.isoformat(),
        wanted.isoformat(),
    )
    with pytest.raises(DomainError, match="al beslist"):
        services.decide_deadline_request(world["director"], request_, action, approve=False)


def test_deadline_request_rejected_keeps_the_deadline(world):
    action = make_action(world["ict"], world["owner"])
    old_deadline = action.deadline
    services.post_update(
        world["owner"],
        action,
        expected_version=1,
        text="Meer tijd",
        requested_deadline=old_deadline + timedelta(days=7),
    )
    request_ = db.session.scalar(select(DeadlineRequest))
    services.decide_deadline_request(
        world["director"], request_, action, approve=False, note="Houd de afspraak"
    )
    db.session.commit()
    assert action.deadline == old_deadline and request_.decision is DeadlineDecision.rejected
    recorded = db.session.scalars(
        select(ActionChange.new_value)
        .where(ActionChange.field == "deadline_request")
        .order_by(ActionChange.id)
    ).all()
    assert recorded == [(old_deadline + timedelta(days=7)).isoformat(), "rejected"]


def test_a_new_deadline_request_replaces_the_pending_one(world):
    action = make_action(world["ict"], world["owner"])
    first = action.deadline + timedelta(days=7)
    services.post_update(
        world["owner"], action, expected_version=1, text="Eerste", requested_deadline=first
    )
    services.post_update(
        world["owner"],
        action,
        expected_version=action.version,
        text="Tweede",
        requested_deadline=first + timedelta(days=7),
    )
    db.session.commit()
    decisions = db.session.scalars(
        select(DeadlineRequest.decision).order_by(DeadlineRequest.id)
    ).all()
    assert decisions == [DeadlineDecision.withdrawn, DeadlineDecision.pending]


def test_a_deadline_request_must_lie_after_today(world):
    action = make_action(world["ict"], world["owner"])
    with pytest.raises(DomainError) as error:
        services.post_update(
            world["owner"], action, expected_version=1, text="x", requested_deadline=clock.today()
        )
    assert error.value.field == "requested_deadline"


# --- Editing, history and locking ---------------------------------------------------------


def test_every_changed_field_is_recorded_old_and_new(world):
    action = make_action(world["ict"], world["owner"], title="Oud")
    old_deadline = action.deadline
    changes = services.update_action(
        world["director"],
        action,
        expected_version=1,
        title="Nieuw",
        owner=world["colleague"],
        deadline=old_deadline + timedelta(days=1),
        priority=Priority.low,
        quick_win=True,
        visibility=Visibility.internal,
        description=action.description,
    )
    db.session.commit()
    recorded = {(c.field, c.old_value, c.new_value) for c in changes}
    assert recorded == {
        ("title", "Oud", "Nieuw"),
        ("owner", "Olga Visser", "Sanne Peters"),
        ("deadline", old_deadline.isoformat(), (old_deadline + timedelta(days=1)).isoformat()),
        ("priority", "normal", "low"),
        ("quick_win", "false", "true"),
        ("visibility", "public", "internal"),
    }
    assert all(c.version == 2 for c in changes) and action.version == 2


def test_saving_without_changes_records_nothing(world):
    action = make_action(world["ict"], world["owner"])
    assert (
        services.update_action(world["director"], action, expected_version=1, title=action.title)
        == []
    )
    db.session.commit()
    assert action.version == 1 and _count(ActionChange) == 1


def test_linking_findings_later_is_recorded(world):
    first = make_finding(world["ict"], question_text="Bereikbaarheid servicedesk")
    second = make_finding(world["ict"], question_text="Terugbellen zoals beloofd")
    action = make_action(world["ict"], world["owner"], findings=[first])
    services.update_action(world["director"], action, expected_version=1, findings=[first, second])
    db.session.commit()
    assert [f.id for f in action.findings] == [first.id, second.id]
    change = db.session.scalar(select(ActionChange).where(ActionChange.field == "findings"))
    assert "Terugbellen zoals beloofd" in change.new_value
    assert actions_by_finding([first.id, second.id]) == {first.id: [action], second.id: [action]}


def test_one_finding_may_have_several_actions(world):
    finding = make_finding(world["ict"])
    a = make_action(world["ict"], world["owner"], findings=[finding], title="A")
    b = make_action(world["ict"], world["colleague"], findings=[finding], title="B")
    assert {x.id for x in actions_by_finding([finding.id])[finding.id]} == {a.id, b.id}


def test_a_stale_form_is_refused_and_the_other_change_is_shown(world):
    action = make_action(world["ict"], world["owner"], title="Origineel")
    services.update_action(world["admin"], action, expected_version=1, title="Door beheerder")
    db.session.commit()
    with pytest.raises(services.ConflictError) as error:
        services.update_action(
            world["director"], action, expected_version=1, title="Door directeur"
        )
    db.session.rollback()
    assert action.title == "Door beheerder"
    others = changes_since(action.id, error.value.seen_version)
    assert [(c.field, c.new_value, c.changed_by.email) for c in others] == [
        ("title", "Door beheerder", "admin@example.org")
    ]


def test_a_concurrent_write_between_read_and_save_is_a_conflict_too(world):
    """The version check in the UPDATE itself catches what the form check cannot."""
    action = make_action(world["ict"], world["owner"], title="Origineel")
    db.session.expire_all()
    loaded = db.session.get(ImprovementAction, action.id)
    assert loaded.version == 1
    # Another request saves in its own transaction after we read.
    with db.engine.begin() as other:
        other.execute(
            update(ImprovementAction.__table__)
            .where(ImprovementAction.__table__.c.id == action.id)
            .values(title="Ander verzoek", version=2)
        )
    with pytest.raises(services.ConflictError):
        services.update_action(world["director"], loaded, expected_version=1, title="Mijn titel")
    db.session.rollback()
    title = db.session.execute(
        text("select title from improvement_action where id = :id"), {"id": action.id}
    ).scalar()
    assert title == "Ander verzoek"
    assert _count(ActionChange) == 1  # only 'created': the refused edit left nothing


def test_history_and_updates_cannot_be_changed_or_deleted(world):
    action = make_action(world["ict"], world["owner"])
    services.post_update(world["owner"], action, expected_version=1, text="Eerste stap")
    db.session.commit()
    change = db.session.scalar(select(ActionChange))
    change.new_value = "vervalst"
    with pytest.raises(AppendOnlyError):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.scalar(select(ProgressUpdate)))
    with pytest.raises(AppendOnlyError):
        db.session.flush()
    db.session.rollback()
    assert _count(ProgressUpdate) == 1


# --- Permissions --------------------------------------------------------------------------


def test_who_sees_and_does_what(world):
    internal = make_action(
        world["ict"], world["owner"], co_owners=[world["colleague"]], visibility=Visibility.internal
    )
    outsider_owner = make_user(Role.owner, email="fin@example.org")
    public = make_action(world["ict"], world["owner"])
    # A proposal is not decided yet: not public until it is planned.
    assert not services.may_view(world["employee"], public)
    _advance(public, world["owner"], ActionStatus.planned)
    matrix = {
        "owner": (True, True, False),
        "colleague": (True, True, False),
        "director": (True, True, True),
        "other_director": (True, False, False),
        "admin": (True, True, True),
        "employee": (False, False, False),
    }
    for name, (view, may_update, may_manage) in matrix.items():
        user = world[name]
        assert services.may_view(user, internal) is view, name
        assert services.may_update(user, internal) is may_update, name
        assert services.may_manage(user, internal) is may_manage, name
    assert services.may_view(world["employee"], public)
    assert not services.may_view_details(world["employee"], public)
    assert not services.may_view(outsider_owner, internal)


# --- Counters, roll-up, dates -------------------------------------------------------------


def test_quarter_bounds():
    assert quarter_bounds(date(2026, 2, 14)) == (date(2026, 1, 1), date(2026, 3, 31))
    assert quarter_bounds(date(2026, 11, 24)) == (date(2026, 10, 1), date(2026, 12, 31))
    assert quarter_bounds(date(2026, 4, 1)) == (date(2026, 4, 1), date(2026, 6, 30))


def test_the_quarter_follows_the_organisations_time_zone(world):
    # 22:30 UTC on 31 March is already 1 April in Amsterdam (summer time, UTC+2).
    late_evening = datetime(2026, 3, 31, 22, 30, tzinfo=timezone.utc)
    assert clock.today(late_evening) == date(2026, 4, 1)
    start = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
    action = make_action(world["ict"], world["owner"], now=start, deadline=date(2026, 5, 1))
    for status in (ActionStatus.planned, ActionStatus.in_progress):
        services.post_update(
            world["owner"],
            action,
            expected_version=action.version,
            text="stap",
            new_status=status,
            now=start,
        )
    services.post_update(
        world["owner"],
        action,
        expected_version=action.version,
        text="klaar",
        new_status=ActionStatus.done,
        result="Gedaan",
        now=late_evening,
    )
    db.session.commit()
    assert action.closed_on == date(2026, 4, 1)
    assert counters([world["ict"].id], date(2026, 4, 15)).done_this_quarter == 1
    assert counters([world["ict"].id], date(2026, 3, 15)).done_this_quarter == 0


def test_counters_and_roll_up(world):
    past = datetime.now(timezone.utc) - timedelta(days=60)
    today = clock.today()
    overdue = make_action(
        world["ict"], world["owner"], now=past, deadline=today - timedelta(days=3)
    )
    make_action(world["ict"], world["owner"])
    done_late = make_action(
        world["ict"], world["owner"], now=past, deadline=today - timedelta(days=1)
    )
    done_on_time = make_action(world["ict"], world["owner"])
    declined = make_action(world["ict"], world["owner"])
    for action in (done_late, done_on_time):
        for status in (ActionStatus.planned, ActionStatus.in_progress):
            _advance(action, world["owner"], status)
        _advance(action, world["owner"], ActionStatus.done, result="Gedaan")
    services.decline_action(
        world["director"],
        declined,
        expected_version=declined.version,
        constraint=DeclineConstraint.law,
        explanation="De wet staat dit niet toe.",
    )
    make_finding(world["ict"], triage=Triage.act)
    followed = make_finding(world["ict"], triage=Triage.act, question_text="Gevolgd")
    services.update_action(
        world["director"], overdue, expected_version=overdue.version, findings=[followed]
    )
    make_finding(world["hr"], triage=Triage.no_action, question_text="Bewust niet")
    db.session.commit()

    figures = counters([world["ict"].id], today)
    assert (figures.open, figures.overdue, figures.done_this_quarter, figures.declined) == (
        2,
        1,
        2,
        1,
    )
    rows = {row.department.short_name: row for row in rollup(today)}
    ict = rows["ICT"]
    assert (ict.findings_without_action, ict.open, ict.overdue, ict.done, ict.declined) == (
        1,
        2,
        1,
        2,
        1,
    )
    assert ict.on_time_rate == 0.5
    assert ict.last_update_at == done_on_time.last_update_at
    hr = rows["P&O"]
    assert (hr.findings_without_action, hr.open, hr.on_time_rate, hr.last_update_at) == (
        0,
        0,
        None,
        None,
    )


def test_an_update_is_public_only_when_asked_and_the_action_is_public(world):
    public = make_action(world["ict"], world["owner"])
    internal = make_action(world["ict"], world["owner"], visibility=Visibility.internal)
    services.post_update(world["owner"], public, expected_version=1, text="Zichtbaar", public=True)
    services.post_update(world["owner"], public, expected_version=public.version, text="Intern")
    services.post_update(world["owner"], internal, expected_version=1, text="Nooit", public=True)
    db.session.commit()
    shown = db.session.scalars(
        select(ProgressUpdate.text).where(ProgressUpdate.public.is_(True))
    ).all()
    assert shown == ["Zichtbaar"]


def test_a_deactivated_co_owner_may_stay_but_not_be_added(world):
    action = make_action(world["ict"], world["owner"], co_owners=[world["colleague"]])
    world["colleague"].active = False
    leaver = make_user(Role.owner, email="leaver@example.org")
    leaver.active = False
    db.session.commit()
    services.update_action(
        world["director"],
        action,
        expected_version=1,
        title="Nieuwe titel",
        co_owners=[world["colleague"]],
    )
    with pytest.raises(DomainError) as error:
        services.update_action(
            world["director"],
            action,
            expected_version=action.version,
            co_owners=[world["colleague"], leaver],
        )
    assert error.value.field == "co_owner_ids"
