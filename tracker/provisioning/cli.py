"""flask scim-token create|revoke|list: the bearer tokens of provisioning clients."""

from __future__ import annotations

import click

from tracker.errors import DomainError
from tracker.extensions import db
from tracker.provisioning import queries, tokens


@click.group("scim-token")
def scim_token() -> None:
    """Bearer tokens for SCIM provisioning clients (Entra ID, Keycloak…)."""


@scim_token.command("create")
@click.argument("name")
def create(name: str) -> None:
    """Create a token and print it (once: only its hash is kept)."""
    try:
        token, secret = tokens.create_token(None, name)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from None
    db.session.commit()
    click.echo(f"Token {token.name} created. It is shown only this once:")
    click.echo(secret)


@scim_token.command("revoke")
@click.argument("name")
def revoke(name: str) -> None:
    """Revoke a token: it stops working at once."""
    token = queries.token_named(name)
    if token is None:
        raise click.ClickException(f"There is no token named {name}.")
    try:
        tokens.revoke_token(None, token)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from None
    db.session.commit()
    click.echo(f"Token {token.name} revoked.")


@scim_token.command("list")
def list_tokens() -> None:
    """List the tokens: created, last used, revoked."""
    rows = queries.tokens()
    if not rows:
        click.echo("No tokens.")
        return

    def moment(value):
        return value.strftime("%Y-%m-%d %H:%M UTC") if value else "-"

    click.echo(f"{'name':<30} {'created':<20} {'last used':<20} revoked")
    for token in rows:
        click.echo(
            f"{token.name:<30} {moment(token.created_at):<20} "
            f"{moment(token.last_used_at):<20} {moment(token.revoked_at)}"
        )
