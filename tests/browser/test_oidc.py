"""Sign in through the identity provider in Chromium: our log-in page, the provider's own
login page (panva's oidc-provider on loopback), and back, with a group mapping applied."""

import pytest
from playwright.sync_api import expect

from tests.factories import make_department
from tests.oidc.harness import CLIENT_ID, CLIENT_SECRET, running_provider
from tracker.auth.group_mappings import save_group_mapping
from tracker.auth.models import Role
from tracker.extensions import db


@pytest.fixture(scope="module")
def provider(live_server):
    with running_provider([f"{live_server}/login/oidc/callback"]) as running:
        yield running


@pytest.fixture
def sso(app, live_server, provider, monkeypatch):
    provider.reset()
    for key, value in {
        "OIDC_ISSUER": provider.issuer,
        "OIDC_CLIENT_ID": CLIENT_ID,
        "OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "OIDC_PROVIDER_NAME": "Gemeente-ID",
        "BASE_URL": live_server,
    }.items():
        monkeypatch.setitem(app.config, key, value)
    return provider


def test_sign_in_through_the_providers_login_page(ctx, page, live_server, sso):
    ict = make_department("Informatievoorziening & ICT", "ICT")
    save_group_mapping(None, None, group_name="ict-directie", role=Role.director, department=ict)
    db.session.commit()
    sso.set_account(
        "dirk-1",
        email="dirk@example.org",
        email_verified=True,
        name="Dirk Jansen",
        groups=["ict-directie"],
    )

    # Only our own pages must be free of console errors (the provider's development pages
    # ask for web fonts that cannot load here).
    ours = []
    page.on(
        "console",
        lambda m: (
            ours.append(m.text)
            if m.type == "error" and m.location.get("url", "").startswith(live_server)
            else None
        ),
    )
    page.goto(f"{live_server}/login")
    page.get_by_role("link", name="Inloggen met Gemeente-ID").click()
    # The provider's own page, on its own origin.
    page.wait_for_url(lambda url: url.startswith(sso.issuer))
    page.locator("input[name=login]").fill("dirk-1")
    page.locator("input[name=password]").fill("any password")
    page.get_by_role("button", name="Sign-in").click()

    page.wait_for_url(f"{live_server}/")
    assert page.get_by_role("heading", level=1).inner_text() == "Welkom, Dirk Jansen"
    nav = page.get_by_role("navigation", name="Hoofdnavigatie")
    expect(nav.get_by_role("link", name="Onderzoeksresultaten")).to_be_visible()  # a director
    expect(page.get_by_role("link", name="Dirk Jansen (Directeur)")).to_be_visible()
    assert ours == []
