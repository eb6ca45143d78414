"""SCIM tokens: the administrator's page (Dutch and English) and `flask scim-token`."""

import hashlib
import re

from sqlalchemy import select

from tests.factories import make_user
from tracker.auth.models import Role
from tracker.extensions import db
from tracker.provisioning.models import ScimToken

SHOWN_TOKEN = re.compile(r"data-new-token.*?<code>([^<]+)</code>", re.S)


def _scim_status(app, secret: str) -> int:
    response = app.test_client(use_cookies=False).get(
        "/scim/v2/ServiceProviderConfig", headers={"Authorization": f"Bearer {secret}"}
    )
    return response.status_code


def test_an_administrator_creates_a_token_shown_once_and_revokes_it(app, ctx, client):
    make_user(Role.admin, email="beheer@gemeente.nl")
    client.login("beheer@gemeente.nl")
    users = client.get("/admin/users").get_data(as_text=True)
    assert 'href="/admin/scim-tokens"' in users and "SCIM-tokens" in users

    page = client.get("/admin/scim-tokens").get_data(as_text=True)
    assert "Nog geen tokens" in page
    assert "<code data-scim-url>http://127.0.0.1:5000/scim/v2</code>" in page  # on BASE_URL

    created = client.post("/admin/scim-tokens", {"name": "entra-id"})
    assert created.status_code == 200
    html = created.get_data(as_text=True)
    assert "Kopieer dit token nu: het wordt maar één keer getoond." in html
    secret = SHOWN_TOKEN.search(html).group(1)
    token = db.session.scalar(select(ScimToken))
    assert token.name == "entra-id" and token.created_by.email == "beheer@gemeente.nl"
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert _scim_status(app, secret) == 200

    # Shown once: the list names it, with no secret.
    listing = client.get("/admin/scim-tokens").get_data(as_text=True)
    assert secret not in listing and 'data-token="entra-id"' in listing
    assert "nooit" not in listing  # it was used just now
    assert "Er is al een token met deze naam" in client.post(
        "/admin/scim-tokens", {"name": "entra-id"}
    ).get_data(as_text=True)
    assert db.session.scalar(select(db.func.count(ScimToken.id))) == 1

    revoked = client.post(f"/admin/scim-tokens/{token.id}/revoke", {}, follow_redirects=True)
    html = revoked.get_data(as_text=True)
    assert "Token entra-id is ingetrokken: het werkt niet meer." in html
    assert "Ingetrokken op" in html
    assert db.session.scalar(select(ScimToken)).revoked_at is not None
    assert _scim_status(app, secret) == 401


def test_the_token_page_in_english(ctx, client):
    admin = make_user(Role.admin, email="beheer@gemeente.nl")
    admin.locale = "en"
    db.session.commit()
    client.login("beheer@gemeente.nl")
    html = client.post("/admin/scim-tokens", {"name": "keycloak"}).get_data(as_text=True)
    assert "Copy this token now: it is shown only once." in html
    assert "SCIM address (tenant URL)" in html and "Revoke" in html
    assert "Kopieer" not in html


def test_only_administrators_make_tokens(ctx, client):
    make_user(Role.director, email="directeur@gemeente.nl")
    client.login("directeur@gemeente.nl")
    assert client.post("/admin/scim-tokens", {"name": "stiekem"}).status_code == 403
    assert db.session.scalar(select(ScimToken)) is None


def test_the_command_line_creates_lists_and_revokes(app, ctx):
    runner = app.test_cli_runner()
    created = runner.invoke(args=["scim-token", "create", "entra-id"])
    assert created.exit_code == 0, created.output
    secret = created.output.strip().splitlines()[-1]
    token = db.session.scalar(select(ScimToken))
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert token.created_by is None
    assert _scim_status(app, secret) == 200

    twice = runner.invoke(args=["scim-token", "create", "entra-id"])
    assert twice.exit_code != 0

    listed = runner.invoke(args=["scim-token", "list"])
    assert listed.exit_code == 0
    line = next(line for line in listed.output.splitlines() if line.startswith("entra-id"))
    assert secret not in listed.output and "UTC" in line
    assert line.rstrip().endswith("-")  # not revoked

    revoked = runner.invoke(args=["scim-token", "revoke", "entra-id"])
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    assert _scim_status(app, secret) == 401
    line = next(
        line
        for line in runner.invoke(args=["scim-token", "list"]).output.splitlines()
        if line.startswith("entra-id")
    )
    assert not line.rstrip().endswith("-")
    assert runner.invoke(args=["scim-token", "revoke", "nobody"]).exit_code != 0
