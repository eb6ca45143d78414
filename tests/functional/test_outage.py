"""While the database is unreachable every page answers 503 with a maintenance page in the
visitor's language, /readyz fails and /healthz stays up; when the database is back the same
process serves again, without a restart. On PostgreSQL the database really goes away: the
app talks to it through a TCP proxy that the test closes and opens again."""

from __future__ import annotations

import os
import socket
import threading
from contextlib import suppress
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from tests import factories
from tests.mailserver import free_port
from tracker import create_app
from tracker.auth.models import Role
from tracker.extensions import db


class Proxy:
    """A TCP proxy to the database that can be taken down (every connection cut, nothing
    listening) and brought up again on the same port."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.port = free_port()
        self.listener: socket.socket | None = None
        self.sockets: list[socket.socket] = []

    def up(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def down(self) -> None:
        # shutdown() wakes the thread blocked in accept(); close() alone would not.
        with suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        with suppress(OSError):
            self.listener.close()
        for sock in self.sockets:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with suppress(OSError):
                sock.close()
        self.sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            self.sockets += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        with suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


def _app(url: str, tmp_path: Path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "outage-secret-key",
            "SQLALCHEMY_DATABASE_URI": url,
            "PASSWORD_HASH_METHOD": factories.HASH_METHOD,
            "SERVER_NAME": None,
            # Raise the driver's errors as in production, not as test failures.
            "PROPAGATE_EXCEPTIONS": False,
        }
    )
    app.instance_path = str(tmp_path / "instance")
    return app


def _assert_unavailable(client, *paths: str) -> None:
    for path, language, words in (
        ("/login", "nl", "Tijdelijk niet beschikbaar"),
        ("/you-said-we-did", "en", "Temporarily unavailable"),
        ("/reset-password", "nl", "Tijdelijk niet beschikbaar"),
        *((path, "en", "Temporarily unavailable") for path in paths),
    ):
        response = client.get(path, headers={"Accept-Language": language})
        assert response.status_code == 503, (path, response.status_code)
        page = response.get_data(as_text=True)
        assert words in page and f'<html lang="{language}">' in page
        assert response.headers["Retry-After"]
    assert client.post("/login", data={"email": "a@b.nl", "password": "x"}).status_code == 503
    assert client.get("/readyz").status_code == 503
    assert client.get("/healthz").status_code == 200


def test_an_unreachable_database_gives_a_maintenance_page_and_the_app_recovers(app, tmp_path):
    # The test run's database (each xdist worker has its own), reached through the proxy.
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("postgresql"):
        parts = urlsplit(url)
        proxy = Proxy(parts.hostname, parts.port)
        proxy.up()
        netloc = f"{parts.username}@127.0.0.1:{proxy.port}"
        app = _app(urlunsplit(parts._replace(netloc=netloc)), tmp_path)  # noqa: F811
        client = app.test_client()
        with app.app_context():
            factories.make_user(Role.owner, email="owner@example.org")
            db.session.commit()
        try:
            # Signed in, with connections in the pool.
            client.get("/login")
            with client.session_transaction() as session:
                token = session.get("csrf_token")
            app.config["WTF_CSRF_ENABLED"] = False
            signed_in = client.post(
                "/login", data={"email": "owner@example.org", "password": factories.PASSWORD}
            )
            assert signed_in.status_code == 302, token
            assert client.get("/actions/mine").status_code == 200
            proxy.down()
            _assert_unavailable(client, "/actions/mine", "/")
            proxy.up()
            assert client.get("/actions/mine").status_code == 200
            assert client.get("/readyz").status_code == 200
        finally:
            proxy.down()
            with app.app_context():
                db.engine.dispose()
    else:
        # SQLite: the database file's folder is not there (a missing mount), then it is.
        folder = tmp_path / "mounted"
        app = _app(f"sqlite:///{folder / 'tracker.db'}", tmp_path)
        client = app.test_client()
        _assert_unavailable(client)
        folder.mkdir()
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
        assert client.get("/login").status_code == 200
        assert client.get("/readyz").status_code == 200
        with app.app_context():
            db.engine.dispose()
