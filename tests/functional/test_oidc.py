"""Signing in through OpenID Connect, against a real provider (panva's oidc-provider under
Node, tests/oidc/provider.mjs) on loopback: the test client starts the flow, the provider's
own login page is filled in over HTTP, and the provider's answer comes back to our callback.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
from sqlalchemy import func, select

from tests.factories import make_department, make_user
from tests.oidc.harness import (
    CLIENT_ID,
    CLIENT_SECRET,
    OTHER_CLIENT_ID,
    free_port,
    query_of,
    running_provider,
)
from tracker.auth import group_mappings
from tracker.auth.identities import SignInRefused, sign_in_with_claims
from tracker.auth.models import (
    DepartmentMembership,
    GroupMapping,
    MembershipRole,
    Role,
    User,
    UserIdentity,
)
from tracker.auth.services import set_active
from tracker.extensions import db

BASE_URL = "http://localhost"
REDIRECT_URI = f"{BASE_URL}/login/oidc/callback"

STATE_NL = "Deze inlogpoging hoort niet bij een inlogpoging die hier is begonnen"
ANSWER_NL = "Het antwoord van de identiteitsprovider kon niet worden gecontroleerd"
UNREACHABLE_NL = "De identiteitsprovider is nu niet bereikbaar"


@pytest.fixture(scope="module")
def provider():
    with running_provider([REDIRECT_URI]) as running:
        yield running


@pytest.fixture
def sso(app, provider, monkeypatch):
    """The app signs in through the test provider (settings are read at each request)."""
    provider.reset()
    settings = {
        "OIDC_ISSUER": provider.issuer,
        "OIDC_CLIENT_ID": CLIENT_ID,
        "OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "OIDC_PROVIDER_NAME": "Gemeente-ID",
        "BASE_URL": BASE_URL,
    }
    for key, value in settings.items():
        monkeypatch.setitem(app.config, key, value)
    return provider


def start(client, path="/login/oidc") -> str:
    response = client.get(path)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def sign_in(client, provider, sub, *, path="/login/oidc", **options):
    """The whole journey; returns our callback's response."""
    back = provider.sign_in(start(client, path), sub, REDIRECT_URI, **options)
    return client.get(query_of(back))


def with_param(url: str, **changes) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


def page_text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def user_count() -> int:
    return db.session.scalar(select(func.count(User.id)))


def person(provider, sub="anna-1", **claims):
    values = {
        "email": "anna@example.org",
        "email_verified": True,
        "name": "Anna de Vries",
        "groups": [],
    }
    values.update(claims)
    provider.set_account(sub, **values)
    return sub


# --- Who the person is ----------------------------------------------------------------


def test_first_sign_in_creates_an_employee_account(ctx, client, sso):
    sub = person(sso, "anna-1", groups=["unknown-group"])
    login_page = page_text(client.get("/login"))
    assert "Inloggen met Gemeente-ID" in login_page
    assert 'name="password"' in login_page  # the password form stays

    response = sign_in(client, sso, sub)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "Welkom, Anna de Vries" in page_text(client.get("/"))

    user = db.session.scalar(select(User).where(User.email == "anna@example.org"))
    assert user.role is Role.employee
    assert user.password_hash is None
    assert user.last_login_at is not None
    assert user.memberships == []
    identity = db.session.scalar(select(UserIdentity))
    assert (identity.issuer, identity.subject, identity.user_id) == (sso.issuer, sub, user.id)
    assert identity.email_at_provider == "anna@example.org"
    assert identity.groups == ["unknown-group"]


def test_the_name_comes_from_given_and_family_name_else_the_email(ctx, client, make_client, sso):
    person(sso, "jan-1", email="jan@example.org", name=None, given_name="Jan", family_name="Bos")
    person(sso, "kim-1", email="kim@example.org", name=None)
    assert sign_in(client, sso, "jan-1").status_code == 302
    assert sign_in(make_client(), sso, "kim-1").status_code == 302
    names = dict(db.session.execute(select(User.email, User.name)).all())
    assert names == {"jan@example.org": "Jan Bos", "kim@example.org": "kim@example.org"}


def test_sign_in_honours_a_safe_next_and_the_users_language(ctx, client, make_client, sso):
    make_user(email="anna@example.org", name="Anna de Vries")  # no language of her own
    person(sso, "anna-1")
    client.post("/language", {"language": "en"}, csrf=False)
    assert "Sign in with Gemeente-ID" in page_text(client.get("/login"))
    response = sign_in(client, sso, "anna-1", path="/login/oidc?next=/account")
    assert response.headers["Location"] == "/account"
    # As with the password: the anonymous visitor's language choice is dropped at sign-in,
    # the account's language (here the organisation's, Dutch) shows.
    assert "<h1>Mijn account</h1>" in page_text(client.get("/account"))
    other = sign_in(make_client(), sso, "anna-1", path="/login/oidc?next=https://evil.example/")
    assert other.headers["Location"] == "/"


def test_first_sign_in_links_to_the_account_with_the_same_verified_email(ctx, client, sso):
    ict = make_department("ICT")
    piet = make_user(Role.director, email="piet@example.org", name="Piet Local", directs=[ict])
    person(sso, "piet-1", email="Piet@Example.org", name="Piet at the provider")

    assert sign_in(client, sso, "piet-1").status_code == 302
    assert user_count() == 1
    identity = db.session.scalar(select(UserIdentity))
    assert identity.user_id == piet.id
    db.session.refresh(piet)
    # No group mappings on this installation: the role and departments stay as they were.
    assert piet.role is Role.director and piet.directed_department_ids == {ict.id}
    assert "Welkom, Piet Local" in page_text(client.get("/"))


def test_an_unverified_email_is_not_linked_to_an_account(ctx, client, sso, caplog):
    make_user(Role.admin, email="piet@example.org")
    person(sso, "mallory-1", email="piet@example.org", email_verified=False)
    with caplog.at_level(logging.WARNING, logger="tracker.security"):
        response = sign_in(client, sso, "mallory-1")
    assert response.status_code == 400
    assert "heeft je e-mailadres niet bevestigd" in page_text(response)
    assert db.session.scalar(select(func.count(UserIdentity.id))) == 0
    assert user_count() == 1
    assert client.get("/").status_code == 302  # not logged in
    assert "email not verified sub=mallory-1" in caplog.text


def test_a_changed_email_at_the_provider_updates_the_same_account(ctx, client, make_client, sso):
    person(sso, "anna-1", email="anna@example.org")
    assert sign_in(client, sso, "anna-1").status_code == 302
    sso.set_account("anna-1", email="anna.devries@example.org")

    assert sign_in(make_client(), sso, "anna-1").status_code == 302
    assert user_count() == 1
    assert db.session.scalar(select(User.email)) == "anna.devries@example.org"
    assert db.session.scalar(select(UserIdentity.email_at_provider)) == "anna.devries@example.org"


def test_a_changed_email_that_another_account_holds_is_refused(ctx, client, make_client, sso):
    person(sso, "anna-1", email="anna@example.org")
    assert sign_in(client, sso, "anna-1").status_code == 302
    make_user(email="bob@example.org")
    sso.set_account("anna-1", email="bob@example.org")

    response = sign_in(make_client(), sso, "anna-1")
    assert response.status_code == 409
    assert "(bob@example.org) hoort bij een ander account" in page_text(response)
    emails = set(db.session.scalars(select(User.email)))
    assert emails == {"anna@example.org", "bob@example.org"}


def test_a_deactivated_account_stays_out(ctx, client, make_client, sso):
    admin = make_user(Role.admin)
    person(sso, "anna-1")
    assert sign_in(client, sso, "anna-1").status_code == 302
    anna = db.session.scalar(select(User).where(User.email == "anna@example.org"))
    set_active(admin, anna, False)
    db.session.commit()

    response = sign_in(make_client(), sso, "anna-1")
    assert response.status_code == 403
    assert "Je account in de tracker is gedeactiveerd" in page_text(response)
    assert client.get("/").status_code == 302  # the first session ended too


def test_a_deactivated_local_account_is_not_linked_either(ctx, client, sso):
    admin = make_user(Role.admin)
    local = make_user(email="anna@example.org")
    set_active(admin, local, False)
    db.session.commit()
    person(sso, "anna-1")
    response = sign_in(client, sso, "anna-1")
    assert response.status_code == 403
    assert db.session.scalar(select(func.count(UserIdentity.id))) == 0


def test_no_email_from_the_provider_is_refused(ctx, client, sso):
    person(sso, "anna-1", email=None)
    response = sign_in(client, sso, "anna-1")
    assert response.status_code == 400
    assert "heeft geen e-mailadres van je gestuurd" in page_text(response)
    assert user_count() == 0


def test_claims_without_a_subject_are_refused(ctx):
    with pytest.raises(SignInRefused) as refused:
        sign_in_with_claims(
            {"email": "anna@example.org", "email_verified": True}, "https://id.example.org"
        )
    assert refused.value.reason == "missing sub"
    assert user_count() == 0


# --- Group mappings -------------------------------------------------------------------


def _memberships(user_id):
    return {
        (m.department.short_name, m.role, m.from_groups)
        for m in db.session.scalars(
            select(DepartmentMembership).where(DepartmentMembership.user_id == user_id)
        )
    }


def test_group_mappings_give_role_and_department_and_follow_the_groups(
    ctx, client, make_client, sso
):
    ict = make_department("ICT", "ICT")
    hr = make_department("Personeel en Organisatie", "P&O")
    finance = make_department("Financiën", "FIN")
    group_mappings.save_group_mapping(
        None, None, group_name="ICT-Directie", role=Role.director, department=ict
    )
    group_mappings.save_group_mapping(
        None, None, group_name="po-eigenaren", role=Role.owner, department=hr
    )
    group_mappings.save_group_mapping(
        None, None, group_name="medewerkers", role=Role.employee, department=None
    )
    db.session.commit()

    person(sso, "anna-1", groups=["ict-directie", "medewerkers"])
    assert sign_in(client, sso, "anna-1").status_code == 302
    anna = db.session.scalar(select(User))
    assert anna.role is Role.director
    assert _memberships(anna.id) == {("ICT", MembershipRole.director, True)}
    assert "Welkom, Anna de Vries" in page_text(client.get("/"))
    assert "Directeur" in page_text(client.get("/"))

    # An administrator adds a membership by hand: the groups never take that away.
    admin = make_user(Role.admin)
    from tracker.auth.services import set_memberships  # the user form's own rule

    set_memberships(anna, directs=[ict], staff_of=[finance])
    db.session.commit()

    sso.set_account("anna-1", groups=["po-eigenaren"])
    assert sign_in(make_client(), sso, "anna-1").status_code == 302
    db.session.refresh(anna)
    assert anna.role is Role.owner
    assert _memberships(anna.id) == {
        ("P&O", MembershipRole.staff, True),
        ("FIN", MembershipRole.staff, False),
    }

    sso.set_account("anna-1", groups=[])
    assert sign_in(make_client(), sso, "anna-1").status_code == 302
    db.session.refresh(anna)
    assert anna.role is Role.employee
    assert _memberships(anna.id) == {("FIN", MembershipRole.staff, False)}
    assert admin.role is Role.admin


def test_the_admin_role_comes_only_from_a_mapping_and_goes_with_it(ctx, client, make_client, sso):
    make_user(Role.admin, email="beheer@example.org")
    group_mappings.save_group_mapping(
        None, None, group_name="tracker-beheer", role=Role.admin, department=None
    )
    db.session.commit()
    person(sso, "anna-1", groups=["tracker-beheer"])
    assert sign_in(client, sso, "anna-1").status_code == 302
    assert client.get("/admin/group-mappings").status_code == 200
    sso.set_account("anna-1", groups=["tracker-beheer-oud"])

    other = make_client()
    assert sign_in(other, sso, "anna-1").status_code == 302
    anna = db.session.scalar(select(User).where(User.email == "anna@example.org"))
    assert anna.role is Role.employee
    assert other.get("/admin/group-mappings").status_code == 403


def test_the_last_active_administrator_is_never_demoted_by_groups(ctx):
    group_mappings.save_group_mapping(
        None, None, group_name="ict", role=Role.employee, department=None
    )
    admin = make_user(Role.admin, email="enige@example.org")
    claims = {"sub": "x-1", "email": "enige@example.org", "email_verified": True, "groups": ["ict"]}
    user = sign_in_with_claims(claims, "https://id.example.org")
    assert user.id == admin.id and user.role is Role.admin

    make_user(Role.admin, email="tweede@example.org")
    assert sign_in_with_claims(claims, "https://id.example.org").role is Role.employee


def test_people_without_a_mapped_group_are_listed_for_the_admin(ctx, client, make_client, sso):
    ict = make_department("ICT", "ICT")
    group_mappings.save_group_mapping(None, None, group_name="ict", role=Role.owner, department=ict)
    db.session.commit()
    person(sso, "anna-1", name="Anna de Vries", groups=["marketing", "sport"])
    person(sso, "olga-1", email="olga@example.org", name="Olga Visser", groups=["ict"])
    assert sign_in(client, sso, "anna-1").status_code == 302
    assert sign_in(make_client(), sso, "olga-1").status_code == 302
    anna = db.session.scalar(select(User).where(User.name == "Anna de Vries"))
    assert anna.role is Role.employee and anna.memberships == []

    make_user(Role.admin, email="beheer@example.org")
    admin = make_client()
    admin.login("beheer@example.org")
    page = page_text(admin.get("/admin/group-mappings"))
    unmapped = page[page.index("Ingelogd zonder gekoppelde groep") :]
    assert "Anna de Vries" in unmapped
    assert "<code>marketing</code>, <code>sport</code>" in unmapped
    assert "Olga Visser" not in unmapped


def test_the_admin_manages_group_mappings(ctx, make_client):
    ict = make_department("ICT", "ICT")
    make_user(Role.admin, email="beheer@example.org")
    admin = make_client()
    admin.login("beheer@example.org")
    assert 'href="/admin/group-mappings"' in page_text(admin.get("/admin/users"))

    empty = admin.post(
        "/admin/group-mappings/new", {"group_name": " ", "role": "owner", "department_id": "None"}
    )
    assert empty.status_code == 200
    assert re.search(
        r'id="group_name-error"[^>]*>\s*Dit veld is vereist', empty.get_data(as_text=True)
    )

    created = admin.post(
        "/admin/group-mappings/new",
        {"group_name": "ICT-medewerkers", "role": "owner", "department_id": ict.id},
    )
    assert created.status_code == 302
    listing = page_text(admin.get("/admin/group-mappings"))
    assert "De koppeling van groep ICT-medewerkers is opgeslagen" in listing
    assert re.search(
        r"<code>ICT-medewerkers</code></a></td> <td>Actiehouder</td> <td>ICT</td>", listing
    )

    duplicate = admin.post(
        "/admin/group-mappings/new",
        {"group_name": "ict-MEDEWERKERS", "role": "admin", "department_id": "None"},
    )
    assert re.search(
        r'id="group_name-error"[^>]*>\s*Deze groep heeft al een koppeling',
        duplicate.get_data(as_text=True),
    )

    mapping = db.session.scalar(select(GroupMapping))
    edit_page = page_text(admin.get(f"/admin/group-mappings/{mapping.id}"))
    assert 'value="ICT-medewerkers"' in edit_page
    assert (
        admin.post(
            f"/admin/group-mappings/{mapping.id}",
            {
                "group_name": "ICT-directie",
                "role": "director",
                "department_id": ict.id,
            },
        ).status_code
        == 302
    )
    db.session.refresh(mapping)
    assert (mapping.group_name, mapping.role, mapping.department_id) == (
        "ICT-directie",
        Role.director,
        ict.id,
    )

    # Without the CSRF token nothing is deleted.
    assert (
        admin.post(f"/admin/group-mappings/{mapping.id}/delete", {}, csrf=False).status_code == 400
    )
    assert admin.post(f"/admin/group-mappings/{mapping.id}/delete", {}).status_code == 302
    assert db.session.scalar(select(func.count(GroupMapping.id))) == 0
    assert "Nog geen groepskoppelingen" in page_text(admin.get("/admin/group-mappings"))


# --- Failures: a page, never a 500 ----------------------------------------------------


def test_a_forged_state_gets_a_clear_page_and_the_password_still_works(ctx, client, sso, caplog):
    person(sso, "anna-1")
    back = sso.sign_in(start(client), "anna-1", REDIRECT_URI)
    code = dict(parse_qsl(urlsplit(back).query))["code"]
    with caplog.at_level(logging.WARNING, logger="tracker.security"):
        response = client.get(query_of(with_param(back, state="forged-state")))
    assert response.status_code == 400
    text = page_text(response)
    assert "<h1>Inloggen is niet gelukt</h1>" in text
    assert STATE_NL in text
    assert 'href="/login">Terug naar de inlogpagina' in text
    assert "reason=state does not match" in caplog.text
    assert code not in caplog.text
    assert user_count() == 0

    make_user(email="piet@example.org")
    assert client.login("piet@example.org").status_code == 302
    assert client.get("/").status_code == 200


def test_a_replayed_callback_is_refused(ctx, client, sso):
    person(sso, "anna-1")
    back = sso.sign_in(start(client), "anna-1", REDIRECT_URI)
    assert client.get(query_of(back)).status_code == 302
    client.post("/logout", {})
    replay = client.get(query_of(back))
    assert replay.status_code == 400
    assert STATE_NL in page_text(replay)


def test_the_error_page_speaks_english_too(ctx, client, sso):
    client.post("/language", {"language": "en"}, csrf=False)
    response = client.get("/login/oidc/callback?state=nothing-started&code=abc")
    assert response.status_code == 400
    text = page_text(response)
    assert "<h1>Signing in did not work</h1>" in text
    assert "This sign-in could not be matched to a sign-in started here" in text
    assert "Back to the log-in page" in text


def test_cancelling_at_the_provider_gets_a_clear_page(ctx, client, sso, caplog):
    person(sso, "anna-1")
    with caplog.at_level(logging.WARNING, logger="tracker.security"):
        response = sign_in(client, sso, "anna-1", cancel=True)
    assert response.status_code == 400
    assert "De identiteitsprovider heeft je niet ingelogd" in page_text(response)
    assert "provider error='access_denied'" in caplog.text


def test_a_wrong_nonce_is_refused(ctx, client, sso, caplog):
    person(sso, "anna-1")
    authorize = with_param(start(client), nonce="not-the-nonce-we-sent")
    back = sso.sign_in(authorize, "anna-1", REDIRECT_URI)
    with caplog.at_level(logging.WARNING, logger="tracker.security"):
        response = client.get(query_of(back))
    assert response.status_code == 400
    assert ANSWER_NL in page_text(response)
    assert "ID token rejected" in caplog.text and "nonce" in caplog.text
    assert user_count() == 0


def test_an_id_token_for_another_audience_is_refused(ctx, client, sso, caplog):
    person(sso, "anna-1")
    sso.issue_tokens_for(OTHER_CLIENT_ID)
    with caplog.at_level(logging.WARNING, logger="tracker.security"):
        response = sign_in(client, sso, "anna-1")
    assert response.status_code == 400
    assert ANSWER_NL in page_text(response)
    assert "ID token rejected" in caplog.text and "aud" in caplog.text
    assert user_count() == 0


def test_a_code_issued_to_another_application_is_refused(ctx, client, sso, caplog):
    person(sso, "anna-1")
    authorize = with_param(start(client), client_id=OTHER_CLIENT_ID)
    back = sso.sign_in(authorize, "anna-1", REDIRECT_URI)
    with caplog.at_level(logging.WARNING, logger="tracker.security"):
        response = client.get(query_of(back))
    assert response.status_code == 400
    assert ANSWER_NL in page_text(response)
    assert "token endpoint error=invalid_grant" in caplog.text
    assert user_count() == 0


def test_an_unreachable_provider_gets_a_clear_page(ctx, client, app, sso, monkeypatch, caplog):
    monkeypatch.setitem(app.config, "OIDC_ISSUER", f"http://127.0.0.1:{free_port()}")
    login_page = page_text(client.get("/login"))  # no request to the provider for this
    assert "Inloggen met Gemeente-ID" in login_page
    with caplog.at_level(logging.WARNING, logger="tracker.security"):
        response = client.get("/login/oidc")
    assert response.status_code == 502
    text = page_text(response)
    assert UNREACHABLE_NL in text
    assert 'href="/login">Terug naar de inlogpagina' in text
    assert "provider unreachable: discovery failed (ConnectionError)" in caplog.text
    make_user(email="piet@example.org")
    assert client.login("piet@example.org").status_code == 302


def test_the_app_starts_while_the_provider_is_down(ctx, app):
    from tracker import create_app

    down = create_app(
        {
            **{k: app.config[k] for k in ("SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "TESTING")},
            "OIDC_ISSUER": f"http://127.0.0.1:{free_port()}",
            "OIDC_CLIENT_ID": CLIENT_ID,
            "OIDC_CLIENT_SECRET": CLIENT_SECRET,
        }
    )
    response = down.test_client().get("/login")
    assert response.status_code == 200
    assert "Inloggen met SSO" in page_text(response)
    with down.app_context():
        db.engine.dispose()


# --- Configuration ----------------------------------------------------------------------


def test_without_oidc_settings_nothing_changes(ctx, client, app):
    assert not app.config.get("OIDC_ISSUER")
    text = page_text(client.get("/login"))
    assert "Inloggen met" not in text and "/login/oidc" not in text
    assert 'name="password"' in text
    assert client.get("/login/oidc").status_code == 404
    assert client.get("/login/oidc/callback?state=x&code=y").status_code == 404


def test_oidc_only_hides_the_password_form_except_for_administrators(
    ctx, app, make_client, sso, monkeypatch
):
    monkeypatch.setitem(app.config, "OIDC_ONLY", True)
    make_user(Role.admin, email="beheer@example.org")
    make_user(Role.director, email="piet@example.org")
    visitor = make_client()
    text = page_text(visitor.get("/login"))
    assert "Inloggen met Gemeente-ID" in text
    assert 'name="password"' not in text

    break_glass = page_text(visitor.get("/login?local=1"))
    assert 'name="password"' in break_glass
    assert "Alleen beheerders kunnen hier met een wachtwoord inloggen" in break_glass

    refused = visitor.post(
        "/login?local=1", {"email": "piet@example.org", "password": "correct horse battery"}
    )
    assert refused.status_code == 200
    assert "Het e-mailadres of wachtwoord is niet juist." in page_text(refused)
    assert visitor.get("/").status_code == 302

    admitted = visitor.post(
        "/login?local=1", {"email": "beheer@example.org", "password": "correct horse battery"}
    )
    assert admitted.status_code == 302
    assert visitor.client.get("/admin/users").status_code == 200

    # And the error page does not offer a password log-in then.
    person(sso, "anna-1")
    failed = make_client().get("/login/oidc/callback?state=forged&code=abc")
    assert failed.status_code == 400
    assert "met je e-mailadres en wachtwoord" not in page_text(failed)


def test_trust_email_links_without_email_verified_and_only_then(ctx):
    local = make_user(email="anna@example.org")
    claims = {"sub": "entra-oid-1", "email": "anna@example.org"}  # Entra ID: no email_verified
    with pytest.raises(SignInRefused):
        sign_in_with_claims(claims, "https://login.example.org/tenant/v2.0")
    user = sign_in_with_claims(claims, "https://login.example.org/tenant/v2.0", trust_email=True)
    assert user.id == local.id
