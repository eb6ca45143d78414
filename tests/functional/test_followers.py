"""Followers hear, through the outbox and a real SMTP server, when a followed action is done
or declined, and once a month what a followed department did."""

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from tests.factories import make_action, make_department, make_finding, make_user
from tests.mailserver import mail_server  # noqa: F401 (fixture)
from tracker.actions import services as actions
from tracker.actions.models import ActionStatus, DeclineConstraint
from tracker.auth.models import Role
from tracker.cocreation import followers
from tracker.extensions import db
from tracker.notifications.models import OutboxMessage
from tracker.scheduler.jobs import run_in_context
from tracker.surveys.models import Triage


@pytest.fixture
def world(ctx, client):
    ict = make_department("Informatievoorziening & ICT", "ICT")
    director = make_user(Role.director, email="dir@example.org", directs=[ict])
    owner = make_user(Role.owner, email="own@example.org", staff_of=[ict])
    employee = make_user(Role.employee, email="emp@example.org", name="Emre Yilmaz")
    english = make_user(Role.employee, email="en@example.org", name="Eve English")
    english.locale = "en"
    db.session.commit()
    finding = make_finding(ict, triage=Triage.act)
    action = make_action(
        ict, owner, by=director, title="Terugbellen binnen 4 uur", findings=[finding]
    )
    for status in (ActionStatus.planned, ActionStatus.in_progress):
        db.session.refresh(action)
        actions.change_status(director, action, status, expected_version=action.version)
        db.session.commit()
    return {
        "ict": ict,
        "director": director,
        "employee": employee,
        "english": english,
        "action": action,
    }


def _follow(client, email, url):
    client.login(email)
    client.post(url)
    client.post("/logout")


def _finish(world, **kwargs):
    action = world["action"]
    db.session.refresh(action)
    actions.change_status(
        world["director"],
        action,
        kwargs.pop("status", ActionStatus.done),
        expected_version=action.version,
        **kwargs,
    )
    db.session.commit()


def test_followers_hear_once_that_an_action_is_done(world, client, mail_server, app):
    _follow(client, "emp@example.org", f"/follow/actions/{world['action'].id}")
    _follow(client, "en@example.org", f"/follow/actions/{world['action'].id}")
    _finish(world, result="Elke melding wordt binnen 4 werkuren teruggebeld.")
    first = app.test_cli_runner().invoke(args=["scheduler", "--run-once", "--job", "followers"])
    assert first.exit_code == 0, first.output
    run_in_context("deliver")
    subjects = {m.to: m.message["Subject"] for m in mail_server.messages}
    assert subjects == {
        "emp@example.org": "Klaar: Terugbellen binnen 4 uur",
        "en@example.org": "Done: Terugbellen binnen 4 uur",
    }
    dutch = mail_server.recorder.to("emp@example.org")[0]
    assert "Elke melding wordt binnen 4 werkuren teruggebeld." in dutch.text()
    assert f"#action-{world['action'].id}" in dutch.text()
    # The job again: nothing new.
    assert followers.notify_followers(datetime.now(timezone.utc), None) == {"queued": 0}
    db.session.commit()
    run_in_context("deliver")
    assert len(mail_server.messages) == 2


def test_a_declined_action_says_why_and_unfollowers_hear_nothing(world, client):
    _follow(client, "emp@example.org", f"/follow/actions/{world['action'].id}")
    _follow(client, "en@example.org", f"/follow/actions/{world['action'].id}")
    client.login("en@example.org")
    client.post(f"/follow/actions/{world['action'].id}/stop")
    _finish(
        world,
        status=ActionStatus.declined,
        constraint=DeclineConstraint.budget,
        explanation="Daar is dit jaar geen budget voor.",
    )
    followers.notify_followers(datetime.now(timezone.utc), None)
    db.session.commit()
    rows = db.session.scalars(select(OutboxMessage)).all()
    assert [(m.recipient_email, m.subject) for m in rows] == [
        ("emp@example.org", "Besluit: niet uitgevoerd: Terugbellen binnen 4 uur")
    ]
    assert "Daar is dit jaar geen budget voor." in rows[0].body_text


def test_following_after_the_fact_sends_no_news(world, client):
    _finish(world, result="Klaar.")
    action = world["action"]
    _follow(client, "emp@example.org", f"/follow/actions/{action.id}")
    # Closed yesterday, followed today: old news.
    db.session.refresh(action)
    action.closed_on = action.closed_on - timedelta(days=1)
    db.session.commit()
    assert followers.notify_followers(datetime.now(timezone.utc), None) == {"queued": 0}


def test_department_followers_get_one_monthly_digest(world, client):
    _follow(client, "emp@example.org", f"/follow/departments/{world['ict'].id}")
    _finish(world, result="Elke melding wordt binnen 4 werkuren teruggebeld.")
    action = world["action"]
    db.session.refresh(action)
    action.closed_on = date(2026, 10, 20)
    db.session.commit()
    november = datetime(2026, 11, 2, 8, 0, tzinfo=timezone.utc)
    assert followers.send_monthly_digests(november) == 1
    assert followers.send_monthly_digests(november + timedelta(days=3)) == 0
    db.session.commit()
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "follow_digest"))
    assert message.recipient_email == "emp@example.org"
    assert "10-2026" in message.subject and "Terugbellen binnen 4 uur" in message.body_text
    # December: nothing was done in November, so no digest.
    assert followers.send_monthly_digests(datetime(2026, 12, 1, 8, tzinfo=timezone.utc)) == 0
