"""Shared fixtures: the app on SQLite or PostgreSQL (TEST_DATABASE_URL), a clean database per
test, a test client that handles CSRF tokens like a browser does, and log-in helpers."""

from __future__ import annotations

import contextvars
import os
import re
import tempfile
from pathlib import Path

import pytest
from flask import has_app_context
from sqlalchemy import text

from tests import factories
from tracker import create_app
from tracker.extensions import db

TEST_PASSWORD = factories.PASSWORD
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _database_url(tmp_dir: Path) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_dir / 'test.db'}"
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return _worker_database(url, worker) if worker else url


def _worker_database(url: str, worker: str) -> str:
    """With `pytest -n`, each worker its own PostgreSQL database on the same server (made
    afresh here), so the workers' clean-ups cannot empty each other's tables."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{base.database}_{worker}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def app():
    with tempfile.TemporaryDirectory() as tmp:
        application = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "test-secret-key",
                "SQLALCHEMY_DATABASE_URI": _database_url(Path(tmp)),
                # Cheap but still scrypt, so tests stay fast.
                "PASSWORD_HASH_METHOD": factories.HASH_METHOD,
                "SERVER_NAME": None,
            }
        )
        # Its own instance folder (uploads): parallel test runs and a
        # `make run` in the same checkout do not see each other's.
        application.instance_path = str(Path(tmp) / "instance")
        with application.app_context():
            from flask_migrate import upgrade

            # The schema comes from the migrations, exactly as in production.
            upgrade()
        yield application
        with application.app_context():
            db.engine.dispose()


@pytest.fixture(autouse=True)
def clean_database(app):
    yield
    with app.app_context():
        db.session.remove()
        # The data version's one row stays (it is part of the schema, like the migrations').
        tables = [t for t in reversed(db.metadata.sorted_tables) if t.name != "data_version"]
        with db.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                names = ", ".join(f'"{t.name}"' for t in tables)
                connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    connection.execute(table.delete())


@pytest.fixture
def ctx(app):
    """An application context with a request context, as services run in."""
    with app.test_request_context():
        yield
        db.session.remove()


def _as_separate_request(call, *args, **kwargs):
    """Run a test-client request in its own application context (own `g`, own session),
    as in production, even while the test holds one; then let the test see what was stored."""
    response = contextvars.Context().run(call, *args, **kwargs)
    if has_app_context():
        db.session.expire_all()
    return response


class Browserish:
    """The Flask test client plus the CSRF token of its session, sent with every POST."""

    def __init__(self, client):
        self.client = client
        self.csrf_token: str | None = None

    def __getattr__(self, name):
        return getattr(self.client, name)

    def get(self, *args, **kwargs):
        response = _as_separate_request(self.client.get, *args, **kwargs)
        match = (
            _CSRF.search(response.get_data(as_text=True))
            if response.mimetype == "text/html"
            else None
        )
        if match:
            self.csrf_token = match.group(1)
        return response

    def post(self, url, data=None, *, csrf=True, **kwargs):
        data = dict(data or {})
        if csrf and "csrf_token" not in data:
            if self.csrf_token is None:
                self.get("/login")
            data["csrf_token"] = self.csrf_token
        return _as_separate_request(self.client.post, url, data=data, **kwargs)

    def login(self, email: str, password: str = TEST_PASSWORD, **extra):
        self.get("/login")
        response = self.post("/login", {"email": email, "password": password, **extra})
        return response


@pytest.fixture
def client(app):
    return Browserish(app.test_client())


@pytest.fixture
def make_client(app):
    return lambda: Browserish(app.test_client())


@pytest.fixture
def count_queries(app):
    """`with count_queries() as counter: ...`, then `counter.count` (the benchmarks' counter)."""
    from bench.common import counting_queries

    return lambda: counting_queries(app)
