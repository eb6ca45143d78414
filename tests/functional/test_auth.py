"""Log-in, log-out, sessions, rate limits, redirects and security headers, over HTTP."""

import logging
import re

import pytest
from sqlalchemy import select

from tests.factories import make_department, make_user
from tracker.auth.models import LoginAttempt, Role, User
from tracker.extensions import db

GENERIC = "Het e-mailadres of wachtwoord is niet juist."


def test_login_with_right_password_shows_home(ctx, client):
    make_user(Role.owner, email="olga@example.org", name="Olga Visser")
    response = client.login("OLGA@example.org ")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    home = client.get("/")
    assert "Welkom, Olga Visser" in home.get_data(as_text=True)


@pytest.mark.parametrize("case", ["wrong password", "unknown account", "deactivated"])
def test_failed_login_gives_the_same_generic_message(ctx, client, case):
    user = make_user(email="piet@example.org")
    email, password = "piet@example.org", "wrong password here"
    if case == "unknown account":
        email = "nobody@example.org"
    if case == "deactivated":
        user.active = False
        db.session.commit()
        password = "correct horse battery"
    response = client.login(email, password)
    assert response.status_code == 200
    assert GENERIC in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # still not logged in


@pytest.mark.parametrize(
    "case", ["right password", "wrong password", "unknown account", "deactivated", "no password"]
)
def test_every_log_in_verifies_one_hash_of_the_configured_cost(ctx, client, app, monkeypatch, case):
    """Log-in takes the same time whatever the address: one hash verification, always of
    the cost real passwords have (a cheaper dummy hash told by its speed which exist)."""
    from tracker.auth import services

    method = "scrypt:2048:8:1"  # not the tests' default: the dummy must follow the setting
    monkeypatch.setitem(app.config, "PASSWORD_HASH_METHOD", method)
    user = make_user(email="piet@example.org")
    user.password_hash = services.hash_password("correct horse battery", method)
    email, password = "piet@example.org", "correct horse battery"
    if case == "wrong password":
        password = "wrong password here"
    elif case == "unknown account":
        email = "nobody@example.org"
    elif case == "deactivated":
        user.active = False
    elif case == "no password":  # signs in through the identity provider only
        user.password_hash = None
    db.session.commit()
    verified = []
    real_check = services.check_password_hash

    def check(stored, given):
        verified.append(stored.split("$", 1)[0])
        return real_check(stored, given)

    monkeypatch.setattr(services, "check_password_hash", check)
    response = client.login(email, password)
    assert verified == [method]
    assert (response.status_code == 302) is (case == "right password")


def test_failed_logins_are_limited_per_account(ctx, client, app):
    make_user(email="kim@example.org")
    for _ in range(app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]):
        client.login("kim@example.org", "guess guess guess")
    response = client.login("kim@example.org")  # the right password, but too late
    assert "Te veel mislukte inlogpogingen" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_failed_logins_are_limited_per_address(ctx, app, make_client):
    make_user(email="sam@example.org")
    app.config["LOGIN_MAX_FAILURES_PER_IP"] = 3
    try:
        attacker = make_client()
        attacker.client.environ_base["REMOTE_ADDR"] = "10.0.0.66"
        for number in range(3):
            attacker.login(f"random{number}@example.org", "guess guess guess")
        response = attacker.login("sam@example.org")
        assert "Te veel mislukte inlogpogingen" in response.get_data(as_text=True)
        # Someone at another address is not affected.
        other = make_client()
        other.client.environ_base["REMOTE_ADDR"] = "10.0.0.7"
        assert other.login("sam@example.org").status_code == 302
    finally:
        app.config["LOGIN_MAX_FAILURES_PER_IP"] = 20


def test_login_attempts_are_recorded_and_logged(ctx, client, caplog):
    make_user(email="lisa@example.org")
    with caplog.at_level(logging.INFO, logger="tracker.security"):
        client.login("lisa@example.org", "not the password")
        client.login("lisa@example.org")
    attempts = db.session.scalars(select(LoginAttempt).order_by(LoginAttempt.id)).all()
    assert [a.succeeded for a in attempts] == [False, True]
    assert "login failed email=lisa@example.org" in caplog.text
    assert "login user_id=" in caplog.text
    assert "not the password" not in caplog.text


def test_logout_ends_the_session_for_real(ctx, client, make_client):
    make_user(email="joost@example.org")
    client.login("joost@example.org")
    stolen = client.get_cookie("session").value
    assert client.post("/logout").status_code == 302
    assert client.get("/").status_code == 302
    replay = make_client()
    replay.set_cookie("session", stolen)
    response = replay.get("/account")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_logout_invalidates_the_remember_me_cookie(ctx, client, make_client):
    make_user(email="anouk@example.org")
    client.login("anouk@example.org", remember="y")
    remember = client.get_cookie("remember_token").value
    fresh = make_client()
    fresh.set_cookie("remember_token", remember)
    assert fresh.get("/account").status_code == 200  # the cookie works while logged in
    client.post("/logout")
    replay = make_client()
    replay.set_cookie("remember_token", remember)
    assert replay.get("/account").status_code == 302


def test_deactivation_ends_sessions_and_keeps_memberships(ctx, client, make_client):
    ict = make_department("ICT")
    admin = make_user(Role.admin, email="admin@example.org")
    owner = make_user(Role.owner, email="owner@example.org", staff_of=[ict])
    owner_client = make_client()
    owner_client.login("owner@example.org")
    assert owner_client.get("/account").status_code == 200

    client.login(admin.email)
    response = client.post(f"/admin/users/{owner.id}/deactivate", follow_redirects=True)
    assert "is gedeactiveerd" in response.get_data(as_text=True)

    assert owner_client.get("/account").status_code == 302
    assert "Het e-mailadres of wachtwoord" in owner_client.login("owner@example.org").get_data(
        as_text=True
    )
    db.session.expire_all()
    kept = db.session.get(User, owner.id)
    assert kept.active is False
    assert [m.department.name for m in kept.memberships] == ["ICT"]
    assert "owner@example.org" in client.get("/admin/users").get_data(as_text=True)


@pytest.mark.parametrize(
    "target, expected",
    [
        ("/departments", "/departments"),
        ("https://evil.example/phish", "/"),
        ("//evil.example/phish", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_next_only_redirects_inside_the_app(ctx, client, target, expected):
    make_user(email="eva@example.org")
    client.get("/login")
    response = client.post(
        "/login?next=" + target, {"email": "eva@example.org", "password": "correct horse battery"}
    )
    assert response.headers["Location"] == expected


def test_pages_need_a_login_and_come_back_after_it(ctx, client):
    make_user(email="bas@example.org")
    response = client.get("/departments")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    client.get(response.headers["Location"])
    back = client.post(
        response.headers["Location"],
        {"email": "bas@example.org", "password": "correct horse battery"},
    )
    assert back.headers["Location"] == "/departments"


def test_security_headers_and_cookie_flags(ctx, client):
    make_user(email="ruud@example.org")
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    login = client.post(
        "/login", {"email": "ruud@example.org", "password": "correct horse battery"}
    )
    cookie = login.headers.get("Set-Cookie")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    html = response.get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "inline script would break the CSP"
    assert " style=" not in html


def test_forms_without_csrf_token_are_refused_and_change_nothing(ctx, client):
    admin = make_user(Role.admin, email="root@example.org")
    client.login(admin.email)
    response = client.post(
        "/admin/users/new",
        {"email": "forged@example.org", "name": "Forged", "role": "admin"},
        csrf=False,
    )
    assert response.status_code == 400
    assert "beveiligingscode" in response.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.email == "forged@example.org")) is None


def test_changing_password_logs_out_other_sessions(ctx, client, make_client):
    make_user(email="mila@example.org")
    other = make_client()
    other.login("mila@example.org")
    client.login("mila@example.org")
    response = client.post(
        "/account",
        {
            "pw-current_password": "correct horse battery",
            "pw-new_password": "a brand new secret",
            "pw-confirm": "a brand new secret",
            "pw-submit": "y",
        },
        follow_redirects=True,
    )
    assert "Je wachtwoord is gewijzigd" in response.get_data(as_text=True)
    assert client.get("/account").status_code == 200
    assert other.get("/account").status_code == 302
    assert make_client().login("mila@example.org", "a brand new secret").status_code == 302


def test_wrong_current_password_is_a_field_error(ctx, client):
    make_user(email="noor@example.org")
    client.login("noor@example.org")
    response = client.post(
        "/account",
        {
            "pw-current_password": "not it at all",
            "pw-new_password": "a brand new secret",
            "pw-confirm": "a brand new secret",
            "pw-submit": "y",
        },
    )
    assert response.status_code == 200
    assert "Het huidige wachtwoord is niet juist." in response.get_data(as_text=True)
