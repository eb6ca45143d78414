"""flask commands: create-admin, demo."""
from __future__ import annotations

import click
from flask import Flask, current_app
from sqlalchemy import func, select

from tracker.auth import services as auth_services
from tracker.auth.models import Role, User
from tracker.errors import DomainError
from tracker.extensions import db


def register(app: Flask) -> None:
    app.cli.add_command(create_admin)
    app.cli.add_command(demo)


@click.command("create-admin")
@click.argument("email")
@click.option("--name", default="Beheerder", show_default=True)
@click.password_option(
    "--password", envvar="TRACKER_ADMIN_PASSWORD",
    help="Asked for when not given (or set TRACKER_ADMIN_PASSWORD).",
)
def create_admin(email: str, name: str, password: str) -> None:
    """Create an administrator account (there is no built-in one)."""
    if len(password) < 10:
        raise click.ClickException("The password must have at least 10 characters.")
    try:
        user = auth_services.create_user(
            None, email=email, name=name, role=Role.admin, password=password,
            hash_method=current_app.config["PASSWORD_HASH_METHOD"],
        )
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from None
    db.session.commit()
    click.echo(f"Administrator {user.email} created.")


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
def demo(if_empty: bool) -> None:
    """Load the demo municipality (for trying the tracker; never in production)."""
    from tracker import demo as demo_data

    if db.session.scalar(select(func.count(User.id))):
        if if_empty:
            click.echo("The database already has users; the demo is not loaded.")
            return
        raise click.ClickException("The database is not empty; the demo needs an empty one.")
    demo_data.load()
    db.session.commit()
    click.echo("Demo organisation loaded. Log in at http://127.0.0.1:5000/login with:")
    for email, role in demo_data.LOGINS:
        click.echo(f"  {email:<28} {role:<10} password: {demo_data.PASSWORD}")
