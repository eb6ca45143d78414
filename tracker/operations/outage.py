"""While the database is unreachable: every page answers 503 with a maintenance page that
needs no query (no organisation name, no signed-in person), in the visitor's language, and
the app serves normally again as soon as the database is back (the pool checks connections
before use: SQLALCHEMY_ENGINE_OPTIONS pool_pre_ping), without a restart."""

from __future__ import annotations

import logging
from contextlib import suppress

from flask import Flask, current_app, g, request, session
from flask_babel import force_locale
from flask_login import AnonymousUserMixin
from sqlalchemy import exc

from tracker.extensions import db

#: What the driver raises when it cannot reach the database or lost the connection; a pool
#: that cannot hand out a connection in time (exc.TimeoutError) means the same to a visitor.
UNREACHABLE = (exc.OperationalError, exc.InterfaceError, exc.TimeoutError)
RETRY_AFTER_SECONDS = 30

log = logging.getLogger("tracker.operations")


def visitor_locale() -> str:
    """The language without asking the database: the session's choice, else the browser's,
    else the configured default."""
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("lang") if "lang" in session else None
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(list(languages)) or current_app.config.get(
        "BABEL_DEFAULT_LOCALE", "nl"
    )


def unavailable(error: Exception):
    log.error("database unreachable: %s", type(error).__name__)
    # The connection may be gone; the pool replaces it on the next checkout.
    with suppress(Exception):
        db.session.rollback()
    # The hooks after the request ask for the signed-in person: answer "nobody" without
    # asking the database again.
    g._login_user = AnonymousUserMixin()
    locale = visitor_locale()
    with force_locale(locale):
        body = current_app.jinja_env.get_template("errors/503.html").render(
            locale=locale, request_id=g.get("request_id")
        )
    return body, 503, {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}


def init_app(app: Flask) -> None:
    for error_class in UNREACHABLE:
        app.register_error_handler(error_class, unavailable)
