"""Who gets which reminder, escalation or digest, when (in the organisation's time zone), in
which language, and that each is queued once."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests.factories import make_action, make_department, make_user
from tests.mailserver import mail_server  # noqa: F401 (fixture)
from tracker.actions import reminders
from tracker.actions import services as action_services
from tracker.actions.models import ActionStatus
from tracker.auth.models import DepartmentMembership, MembershipRole, Role, User
from tracker.extensions import db
from tracker.notifications.models import OutboxMessage, OutboxStatus
from tracker.scheduler import jobs
from tracker.scheduler.models import JobRun

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
DEADLINE = date(2026, 6, 17)  # a Wednesday


def at(day: date, hour: int = 7, minute: int = 0) -> datetime:
    """A local time in Amsterdam, as the aware UTC moment jobs get."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=AMSTERDAM).astimezone(
        timezone.utc
    )


def outbox(kind: str | None = None, to: User | None = None) -> list[OutboxMessage]:
    db.session.expire_all()
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    if to:
        query = query.where(OutboxMessage.recipient_id == to.id)
    return list(db.session.scalars(query))


@pytest.fixture
def world(ctx):
    ict = make_department("ICT", "ICT")
    director = make_user(
        Role.director, email="director@example.org", name="Dirk Directeur", directs=[ict]
    )
    owner = make_user(Role.owner, email="eva@example.org", name="Eva Eigenaar", staff_of=[ict])
    owner.locale = "en"
    colleague = make_user(Role.owner, email="co@example.org", name="Cor Collega", staff_of=[ict])
    db.session.commit()
    return {"ict": ict, "director": director, "owner": owner, "colleague": colleague}


def action(world, deadline=DEADLINE, owner=None, title="Terugbellen binnen 4 uur", **extra):
    created = min(at(deadline) - timedelta(days=60), at(date(2026, 1, 5)))
    return make_action(
        world["ict"], owner or world["owner"], title=title, deadline=deadline, now=created, **extra
    )


def finish(world, act, when: datetime) -> None:
    """Through the workflow to done, as the owner would."""
    for status in (ActionStatus.planned, ActionStatus.in_progress, ActionStatus.done):
        action_services.post_update(
            world["owner"],
            act,
            expected_version=act.version,
            text="Voortgang",
            percent=100,
            new_status=status,
            result="Wij bellen nu terug." if status is ActionStatus.done else None,
            now=when,
        )
        db.session.commit()


def run_daily(app, name: str, first: date, last: date, hour: int = 7) -> None:
    day = first
    while day <= last:
        result = jobs.run_job(app, name, at(day, hour))
        assert "error" not in result, result
        day += timedelta(days=1)


# --- Deadline and overdue reminders -------------------------------------------------------


def test_reminders_14_and_3_days_before_and_on_the_day(app, world):
    act = action(world)
    run_daily(app, "reminders", DEADLINE - timedelta(days=20), DEADLINE + timedelta(days=2))
    messages = [m for m in outbox("reminder") if m.recipient_id == world["owner"].id]
    assert [m.key for m in messages] == [
        reminders.reminder_key(world["owner"].id, DEADLINE - timedelta(days=14)),
        reminders.reminder_key(world["owner"].id, DEADLINE - timedelta(days=3)),
        reminders.reminder_key(world["owner"].id, DEADLINE),
    ]
    # The owner reads English (User.locale).
    assert messages[0].subject == f"Deadline on Wed 17 June 2026: {act.title}"
    assert messages[2].subject == f"Deadline today: {act.title}"
    assert "Deadline in 14 days (Wed 17 June 2026)" in messages[0].body_text
    assert "Deadline in 3 days" in messages[1].body_text
    assert all(m.locale == "en" for m in messages)
    # Without a mail server they wait in the outbox.
    assert all(m.status is OutboxStatus.held for m in messages)


def test_the_settings_page_chooses_the_reminder_days_and_the_escalation(app, world):
    from tracker.organisation.services import save_settings

    save_settings(
        None,
        name="Gemeente",
        default_locale="nl",
        anonymity_threshold=5,
        timezone="Europe/Amsterdam",
        reminder_days_before="7, 1",
        escalation_days=5,
    )
    db.session.commit()
    action(world)
    run_daily(app, "reminders", DEADLINE - timedelta(days=20), DEADLINE - timedelta(days=1))
    assert [m.key for m in outbox("reminder", world["owner"])] == [
        reminders.reminder_key(world["owner"].id, DEADLINE - timedelta(days=7)),
        reminders.reminder_key(world["owner"].id, DEADLINE - timedelta(days=1)),
    ]
    run_daily(app, "escalations", DEADLINE, DEADLINE + timedelta(days=20))
    [escalation] = outbox("escalation")
    assert escalation.key == reminders.escalation_key(
        world["director"].id, DEADLINE + timedelta(days=5)
    )


def test_overdue_actions_are_reminded_weekly(app, world):
    action(world)
    run_daily(app, "reminders", DEADLINE + timedelta(days=1), DEADLINE + timedelta(days=22))
    keys = [m.key for m in outbox("reminder", world["owner"])]
    assert keys == [
        reminders.reminder_key(world["owner"].id, DEADLINE + timedelta(days=d)) for d in (7, 14, 21)
    ]
    [first, *_] = outbox("reminder", world["owner"])
    assert first.subject.startswith("Past the deadline: ")
    assert "7 days past the deadline" in first.body_text


def test_one_message_per_person_bundles_every_action_and_co_owners_get_it(app, world):
    a = action(world, DEADLINE, title="Terugbellen binnen 4 uur")
    b = action(
        world,
        DEADLINE + timedelta(days=3),
        title="Wachtrij zichtbaar maken",
        co_owners=[world["colleague"]],
    )
    action(world, DEADLINE + timedelta(days=5), title="Niets vandaag")
    jobs.run_job(app, "reminders", at(DEADLINE))
    [mine] = outbox("reminder", world["owner"])
    assert mine.subject == "Reminder: 2 improvement actions need your attention"
    assert a.title in mine.body_text and b.title in mine.body_text
    assert "Niets vandaag" not in mine.body_text
    [theirs] = outbox("reminder", world["colleague"])
    assert b.title in theirs.body_text and a.title not in theirs.body_text
    # Dutch for the colleague, who has no language of their own (organisation default).
    assert theirs.locale == "nl"
    assert theirs.subject == f"Deadline op za 20 juni 2026: {b.title}"
    assert "Deadline over 3 dagen" in theirs.body_text


def test_running_again_the_same_day_queues_nothing_new(app, world):
    action(world)
    assert jobs.run_job(app, "reminders", at(DEADLINE, 7)) == {"queued": 1}
    assert jobs.run_job(app, "reminders", at(DEADLINE, 9)) == {"queued": 0}
    # Even a run that forgot its window (the key holds): one per person per day.
    db.session.execute(db.update(JobRun).values(last_success_at=None))
    db.session.commit()
    assert jobs.run_job(app, "reminders", at(DEADLINE, 11)) == {"queued": 0}
    assert len(outbox("reminder")) == 1


def test_closed_actions_and_deactivated_people_get_no_reminders(app, world):
    done = action(world, title="Al gedaan")
    finish(world, done, at(DEADLINE - timedelta(days=1)))
    gone = make_user(Role.owner, email="gone@example.org", staff_of=[world["ict"]])
    action(world, owner=gone, title="Van iemand die weg is")
    gone.active = False
    db.session.commit()
    jobs.run_job(app, "reminders", at(DEADLINE))
    assert outbox("reminder") == []


def test_missed_days_are_caught_up_once(app, world):
    action(world)
    jobs.run_job(app, "reminders", at(DEADLINE - timedelta(days=20)))
    # Down for 19 days (the 14- and 3-day points passed): one run catches up, once.
    assert jobs.run_job(app, "reminders", at(DEADLINE - timedelta(days=1))) == {"queued": 1}
    [caught_up] = outbox("reminder")
    assert "Deadline tomorrow" in caught_up.body_text
    assert jobs.run_job(app, "reminders", at(DEADLINE - timedelta(days=1), 12)) == {"queued": 0}
    jobs.run_job(app, "reminders", at(DEADLINE))
    assert len(outbox("reminder")) == 2


def test_a_week_of_downtime_catches_up_the_weekly_overdue_reminder(app, world):
    action(world)
    jobs.run_job(app, "reminders", at(DEADLINE + timedelta(days=3)))
    assert outbox("reminder") == []
    jobs.run_job(app, "reminders", at(DEADLINE + timedelta(days=12)))  # day 7 was missed
    [message] = outbox("reminder")
    assert "12 days past the deadline" in message.body_text


def test_the_day_is_the_organisations_day_across_the_dst_change(app, world):
    """Summer time ends on Sunday 25 October 2026 at 03:00 in Amsterdam."""
    last_sunday = date(2026, 10, 25)
    act = action(world, last_sunday)
    world["owner"].digest_opt_out = True  # Monday 26 October: no weekly overview either
    db.session.commit()
    jobs.run_job(app, "reminders", datetime(2026, 10, 24, 5, 0, tzinfo=timezone.utc))
    assert outbox("reminder") == []
    # 22:30 UTC on Saturday is already Sunday 00:30 in Amsterdam (CEST, UTC+2).
    assert jobs.run_job(app, "reminders", datetime(2026, 10, 24, 22, 30, tzinfo=timezone.utc)) == {
        "queued": 1
    }
    [message] = outbox("reminder")
    assert message.subject == f"Deadline today: {act.title}"
    assert message.key.endswith(":2026-10-25")
    # 23:30 UTC on Sunday is Monday 00:30 (CET, UTC+1): a new day, nothing due that day.
    assert jobs.run_job(app, "reminders", datetime(2026, 10, 25, 23, 30, tzinfo=timezone.utc)) == {
        "queued": 0
    }


def test_daily_jobs_fire_at_seven_local_time_on_both_sides_of_the_dst_change(app, ctx):
    job = jobs.JOBS["reminders"]
    saturday = jobs.next_run(
        job, datetime(2026, 10, 24, 0, 0, tzinfo=timezone.utc), app.config, AMSTERDAM
    )
    sunday = jobs.next_run(job, saturday + timedelta(minutes=1), app.config, AMSTERDAM)
    assert saturday.astimezone(timezone.utc) == datetime(2026, 10, 24, 5, 0, tzinfo=timezone.utc)
    assert sunday.astimezone(timezone.utc) == datetime(2026, 10, 25, 6, 0, tzinfo=timezone.utc)
    # Due: once the Sunday fire time passed after a Saturday run; not before.
    ran = datetime(2026, 10, 24, 5, 0, 5, tzinfo=timezone.utc)
    assert not jobs.is_due(
        job, ran, datetime(2026, 10, 25, 5, 59, tzinfo=timezone.utc), app.config, AMSTERDAM
    )
    assert jobs.is_due(
        job, ran, datetime(2026, 10, 25, 6, 0, tzinfo=timezone.utc), app.config, AMSTERDAM
    )
    # After days of downtime: due, once (the next run moves past all of them).
    assert jobs.is_due(
        job, ran, datetime(2026, 10, 30, 12, 0, tzinfo=timezone.utc), app.config, AMSTERDAM
    )


def test_the_message_links_to_the_action_and_to_a_signed_update_link(app, world):
    act = action(world)
    jobs.run_job(app, "reminders", at(DEADLINE))
    [message] = outbox("reminder")
    assert f'http://127.0.0.1:5000/actions/{act.id}"' in message.body_html
    assert "http://127.0.0.1:5000/u/" in message.body_text
    assert "http://127.0.0.1:5000/actions/mine" in message.body_text


def test_a_deadline_calendar_is_attached_for_coming_deadlines_only(app, world):
    from icalendar import Calendar

    act = action(world)
    jobs.run_job(app, "reminders", at(DEADLINE - timedelta(days=3)))
    [message] = outbox("reminder")
    [attachment] = message.attachments
    assert attachment["filename"] == "deadlines.ics"
    [event] = Calendar.from_ical(attachment["content"]).walk("VEVENT")
    assert event.decoded("dtstart") == DEADLINE
    assert str(event["uid"]).startswith(f"action-{act.id}-deadline@")
    # Thunderbird's parser reads the same: an all-day event on the deadline.
    from tests.programs import ical_js

    [read] = ical_js(attachment["content"])["events"]
    assert read["all_day"] and read["start"] == DEADLINE.isoformat()
    assert read["uid"] == str(event["uid"])
    jobs.run_job(app, "reminders", at(DEADLINE + timedelta(days=7)))
    overdue = outbox("reminder")[-1]
    assert overdue.attachments == []


def test_social_proof_where_it_is_true(app, world):
    action(world, DEADLINE, title="Vandaag")
    for number in range(3):
        action(world, DEADLINE + timedelta(days=40 + number), title=f"Later {number}")
    jobs.run_job(app, "reminders", at(DEADLINE))
    [message] = outbox("reminder")
    assert "4 of 4 ICT actions are on track." in message.body_text
    # Mostly overdue: no such line.
    for number in range(3):
        action(world, DEADLINE - timedelta(days=20 + number), title=f"Te laat {number}")
    jobs.run_job(app, "reminders", at(DEADLINE + timedelta(days=14)))
    latest = outbox("reminder")[-1]
    assert "on track" not in latest.body_text


# --- The owners' weekly overview ----------------------------------------------------------


def test_weekly_overview_on_mondays_unless_opted_out_and_merged_with_reminders(app, world):
    monday = date(2026, 6, 15)
    action(world, monday + timedelta(days=30), title="Lang lopend")
    today = action(world, monday, title="Vandaag af", co_owners=[world["colleague"]])
    world["colleague"].digest_opt_out = True
    db.session.commit()
    jobs.run_job(app, "reminders", at(monday))
    [owner_mail] = outbox(to=world["owner"])
    assert owner_mail.kind == "reminder"  # one message: the reminder and the overview
    assert "Your open improvement actions:" in owner_mail.body_text
    assert "Lang lopend" in owner_mail.body_text
    assert "Turn it off in your account" in owner_mail.body_text
    [colleague_mail] = outbox(to=world["colleague"])
    assert "Vandaag af" in colleague_mail.body_text
    assert "Je openstaande verbeteracties" not in colleague_mail.body_text
    # Tuesday: no overview again; nothing due.
    jobs.run_job(app, "reminders", at(monday + timedelta(days=1)))
    assert len(outbox()) == 2
    # Done on Tuesday; the next Monday: an overview only, for the owner who did not opt out.
    finish(world, today, at(monday + timedelta(days=1), 12))
    jobs.run_job(app, "reminders", at(monday + timedelta(days=7)))
    [overview] = outbox("owner-digest")
    assert overview.recipient_id == world["owner"].id
    assert overview.subject == "Your improvement actions this week"


# --- Escalation ---------------------------------------------------------------------------


def test_escalation_to_the_directors_once_at_fourteen_days_overdue(app, world):
    act = action(world)
    world["director"].digest_opt_out = True  # escalations cannot be opted out of
    db.session.commit()
    run_daily(app, "escalations", DEADLINE, DEADLINE + timedelta(days=30))
    [escalation] = outbox("escalation")
    assert escalation.recipient_id == world["director"].id
    assert escalation.key == reminders.escalation_key(
        world["director"].id, DEADLINE + timedelta(days=14)
    )
    assert escalation.locale == "nl"
    assert escalation.subject == (f"Escalatie: {act.title} is 14 dagen over de deadline")
    assert "Eva Eigenaar" in escalation.body_text
    assert outbox("escalation", world["owner"]) == []


def test_escalation_bundles_a_directors_actions_across_departments(app, world):
    hr = make_department("Personeel en Organisatie", "P&O")
    db.session.add(
        DepartmentMembership(department=hr, user=world["director"], role=MembershipRole.director)
    )
    db.session.commit()
    action(world, title="ICT te laat")
    hr_owner = make_user(Role.owner, email="hr@example.org", staff_of=[hr])
    make_action(
        hr,
        hr_owner,
        by=make_user(Role.admin, email="a@example.org"),
        title="P&O te laat",
        deadline=DEADLINE,
        now=at(DEADLINE - timedelta(days=30)),
    )
    jobs.run_job(app, "escalations", at(DEADLINE + timedelta(days=14)))
    [escalation] = outbox("escalation")
    assert "ICT te laat" in escalation.body_text and "P&O te laat" in escalation.body_text
    assert escalation.subject == "Escalatie: 2 verbeteracties staan al lang over de deadline"


# --- The directors' weekly digest ---------------------------------------------------------


def test_director_digest_once_a_week_with_open_overdue_changed_and_done(app, world):
    monday = date(2026, 6, 22)
    late = action(world, monday - timedelta(days=10), title="Te laat")
    action(world, monday + timedelta(days=30), title="Op schema")
    finished = action(world, monday + timedelta(days=5), title="Afgerond")
    finish(world, finished, at(monday - timedelta(days=2)))
    assert jobs.run_job(app, "director_digest", at(monday)) == {"queued": 1}
    [digest] = outbox("director-digest")
    assert digest.recipient_id == world["director"].id
    assert digest.subject == "Wekelijks overzicht van verbeteracties, week 26"
    text = digest.body_text
    assert "== ICT ==" in text
    assert "Open: 2 · over de deadline: 1 · gewijzigd: 0 · afgerond: 1" in text
    assert late.title in text and finished.title in text
    # The same week again: nothing new.
    assert jobs.run_job(app, "director_digest", at(monday + timedelta(days=2))) == {"queued": 0}
    assert jobs.run_job(app, "director_digest", at(monday + timedelta(days=7))) == {"queued": 1}


# --- The agendas job -----------------------------------------------------------------------


def test_the_agendas_job_runs_without_meetings(app, world):
    result = jobs.run_job(app, "agendas", at(DEADLINE))
    assert result == {"agendas": 0}
    run = db.session.get(JobRun, "agendas")
    db.session.refresh(run)
    assert run.last_status == "ok"


def test_housekeeping_job_forgets_failed_log_ins_older_than_30_days(app, world):
    from tracker.auth.models import LoginAttempt

    now = at(DEADLINE)
    db.session.add_all(
        [
            LoginAttempt(
                email="old@example.org",
                ip_address="10.0.0.1",
                succeeded=False,
                created_at=now - timedelta(days=31),
            ),
            LoginAttempt(
                email="new@example.org",
                ip_address="10.0.0.1",
                succeeded=False,
                created_at=now - timedelta(days=2),
            ),
        ]
    )
    db.session.commit()
    assert jobs.run_job(app, "housekeeping", now)["login_attempts_removed"] == 1
    db.session.expire_all()
    assert [a.email for a in db.session.scalars(select(LoginAttempt))] == ["new@example.org"]


def _fires(trigger, start: datetime, end: datetime) -> list[datetime]:
    """Every fire time of an APScheduler trigger from start to end, as the scheduler asks."""
    fires, previous, now = [], None, start
    while True:
        fire = trigger.get_next_fire_time(previous, now)
        if fire is None or fire > end:
            return fires
        fires.append(fire.astimezone(timezone.utc))
        assert len(fires) < 50, "the trigger keeps answering the same time"
        previous, now = fire, fire


@pytest.mark.parametrize("weekly", [False, True], ids=["daily", "weekly"])
def test_a_job_at_half_past_two_runs_once_on_both_daylight_saving_days(app, weekly):
    """02:30 does not exist on 29 March 2026 (clocks go 02:00 -> 03:00) and happens twice on
    25 October 2026 (03:00 -> 02:00): the job runs once on each day, just after the gap in
    March, the first time in October."""
    config = {**app.config, "SCHEDULER_HOUR": 2, "DIGEST_WEEKDAY": 6}  # Sunday
    job = jobs.JOBS["director_digest" if weekly else "followers"]
    minute = 10 if weekly else 15
    trigger = job.trigger(config, AMSTERDAM)
    spring = _fires(
        trigger,
        datetime(2026, 3, 28, 12, 0, tzinfo=timezone.utc),
        datetime(2026, 3, 30, 12, 0, tzinfo=timezone.utc),
    )
    autumn = _fires(
        trigger,
        datetime(2026, 10, 24, 12, 0, tzinfo=timezone.utc),
        datetime(2026, 10, 26, 12, 0, tzinfo=timezone.utc),
    )
    # 02:xx CET in the skipped hour is 01:xx UTC = 03:xx CEST: just after the gap.
    march = datetime(2026, 3, 29, 1, minute, tzinfo=timezone.utc)
    october = datetime(2026, 10, 25, 0, minute, tzinfo=timezone.utc)  # 02:xx CEST, the first
    if weekly:
        assert spring == [march] and autumn == [october]
    else:
        assert spring == [march, datetime(2026, 3, 30, 0, minute, tzinfo=timezone.utc)]
        assert autumn == [october, datetime(2026, 10, 26, 1, minute, tzinfo=timezone.utc)]
    # The runner's "is it due?" agrees: after the first run in October, not due again.
    ran = october + timedelta(seconds=5)
    assert not jobs.is_due(job, ran, october + timedelta(hours=1, minutes=30), config, AMSTERDAM)
