"""Command-line tools: create-admin and demo."""

from sqlalchemy import func, select

from tracker.auth.models import Role, User
from tracker.extensions import db
from tracker.organisation.models import Department


def test_create_admin_makes_an_admin_who_can_log_in(ctx, app, client):
    result = app.test_cli_runner().invoke(
        args=["create-admin", "Beheer@Gemeente.nl", "--password", "a long admin secret"]
    )
    assert result.exit_code == 0, result.output
    admin = db.session.scalar(select(User).where(User.email == "beheer@gemeente.nl"))
    assert admin.role is Role.admin
    assert client.login("beheer@gemeente.nl", "a long admin secret").status_code == 302


def test_create_admin_refuses_short_password_and_duplicates(ctx, app):
    runner = app.test_cli_runner()
    short = runner.invoke(args=["create-admin", "a@b.nl", "--password", "short"])
    assert short.exit_code != 0 and "at least 10" in short.output
    assert db.session.scalar(select(func.count(User.id))) == 0
    runner.invoke(args=["create-admin", "a@b.nl", "--password", "long enough secret"])
    again = runner.invoke(args=["create-admin", "a@b.nl", "--password", "long enough secret"])
    assert again.exit_code != 0
    assert db.session.scalar(select(func.count(User.id))) == 1


def test_demo_loads_once_with_every_role(ctx, app, client):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "director@demo.example" in result.output
    roles = {u.email: u.role for u in db.session.scalars(select(User))}
    assert roles["admin@demo.example"] is Role.admin
    assert roles["director@demo.example"] is Role.director
    assert roles["owner@demo.example"] is Role.owner
    assert roles["employee@demo.example"] is Role.employee
    departments = db.session.scalar(select(func.count(Department.id)))
    # The six of the survey files, and Inkoop, whose scores all rose (demo._demo_rising_department).
    assert 5 <= departments <= 7
    users = len(roles)
    again = runner.invoke(args=["demo", "--if-empty"])
    assert again.exit_code == 0
    assert db.session.scalar(select(func.count(User.id))) == users
    assert client.login("director@demo.example", "tracker-demo").status_code == 302
