"""Languages, locale formatting, error pages, static assets."""

from datetime import date, datetime, timezone

import pytest
from flask import render_template_string

from tests.factories import make_user
from tracker import create_app
from tracker.auth.models import Role
from tracker.extensions import db


def test_dutch_is_the_default_and_english_is_one_click_away(ctx, client):
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="nl">' in page and "Inloggen" in page
    client.post("/language", {"language": "en", "next": "/login"})
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in page and "Log in with your work e-mail address" in page


def test_language_choice_of_a_user_is_remembered(ctx, client, make_client):
    user = make_user(email="en@example.org")
    client.login(user.email)
    client.post("/language", {"language": "en", "next": "/"})
    db.session.expire_all()
    assert db.session.get(type(user), user.id).locale == "en"
    again = make_client()
    again.login(user.email)
    assert "Welcome" in again.get("/").get_data(as_text=True)


def test_language_form_refuses_unknown_languages(ctx, client):
    response = client.post("/language", {"language": "de", "next": "/login"})
    assert response.status_code == 302
    assert '<html lang="nl">' in client.get("/login").get_data(as_text=True)


@pytest.mark.parametrize(
    "locale, expected_date, expected_number, expected_time",
    [
        ("nl", "zo 22 november 2026", "7,4", "zo 22 november 2026 om 13:05"),
        ("en", "Sun 22 November 2026", "7.4", "Sun 22 November 2026 at 13:05"),
    ],
)
def test_dates_and_numbers_follow_the_language(
    app, locale, expected_date, expected_number, expected_time
):
    with app.test_request_context(headers={"Cookie": ""}):
        from flask import session

        session["lang"] = locale
        out = render_template_string(
            "{{ d|date }}|{{ n|number }}|{{ t|datetime }}",
            d=date(2026, 11, 22),
            n=7.44,
            t=datetime(2026, 11, 22, 12, 5, tzinfo=timezone.utc),
        )
    # 12:05 UTC is 13:05 in Amsterdam in November.
    assert out == f"{expected_date}|{expected_number}|{expected_time}"


@pytest.mark.parametrize("lang, text", [("nl", "Pagina niet gevonden"), ("en", "Page not found")])
def test_unknown_page_is_a_404_page_in_both_languages(ctx, client, lang, text):
    client.post("/language", {"language": lang, "next": "/"})
    response = client.get("/does-not-exist")
    assert response.status_code == 404
    assert text in response.get_data(as_text=True)


def test_too_large_request_is_a_413_page(ctx, client, app):
    limit = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 1000
    try:
        response = client.post("/login", {"email": "x" * 5000, "password": "y"})
    finally:
        app.config["MAX_CONTENT_LENGTH"] = limit
    assert response.status_code == 413
    assert "Bestand te groot" in response.get_data(as_text=True)


def test_unexpected_error_is_a_500_page_not_a_trace(tmp_path):
    broken = create_app(
        {"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/b.db"}
    )

    @broken.route("/boom")
    def boom():
        raise RuntimeError("secret internals")

    with broken.app_context():
        db.create_all()
    response = broken.test_client().get("/boom")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Er ging iets mis" in html and "secret internals" not in html


def test_bootstrap_and_favicon_are_served_locally(ctx, client):
    page = client.get("/login").get_data(as_text=True)
    assert "cdn.jsdelivr" not in page and "https://" not in page
    css = client.get("/bootstrap/static/css/bootstrap.min.css")
    assert css.status_code == 200 and b"Bootstrap" in css.data[:200]
    assert client.get("/favicon.ico").status_code == 200


def test_navigation_fits_the_role(ctx, client, make_client):
    make_user(Role.employee, email="emp@example.org")
    make_user(Role.admin, email="adm@example.org")
    client.login("emp@example.org")
    assert 'data-nav-item="admin-users"' not in client.get("/").get_data(as_text=True)
    admin = make_client()
    admin.login("adm@example.org")
    assert 'data-nav-item="admin-users"' in admin.get("/").get_data(as_text=True)
