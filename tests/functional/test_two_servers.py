"""Two app servers behind one PostgreSQL, as a municipality runs them: two gunicorn processes
from the same code, each with its own instance folder (no shared disk), no scheduler anywhere.
A change saved through one is served by the other within a second (kiosk mode on and off, a
setting, an action's title and its ETag), and both are ready for a load balancer.

Runs in the PostgreSQL pass of `make test` (TEST_DATABASE_URL); it makes its own database in
that cluster."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from html.parser import HTMLParser
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
DATABASE = os.environ.get("TEST_DATABASE_URL", "")
#: The data version is read at most every DATA_VERSION_MAX_AGE (0.5 s): after this, a change
#: made on the other server must show. (A design bound, not a speed measurement.)
VISIBLE_AFTER = 1.0

pytestmark = pytest.mark.skipif(
    not DATABASE.startswith("postgresql"),
    reason="several servers share PostgreSQL: runs in the PostgreSQL pass (make test-postgres)",
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Form(HTMLParser):
    """The fields of the first form on a page that posts to `action` (or to the page itself),
    as a browser submits them."""

    def __init__(self, action: str):
        super().__init__()
        self.action, self.inside, self.done = action, False, False
        self.values: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None
        self._clicked = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        target = attrs.get("action") or ""
        if tag == "form" and not self.done and (not target or target.startswith(self.action)):
            self.inside = True
        if not self.inside:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.values[name] = attrs.get("value", "y")
            elif kind == "submit":  # the first button is the one clicked
                if not self._clicked:
                    self._clicked = True
                    self.values[name] = attrs.get("value", "")
            else:
                self.values[name] = attrs.get("value", "")
        elif (
            tag == "button"
            and name
            and attrs.get("type", "submit") == "submit"
            and not self._clicked
        ):
            self._clicked = True
            self.values[name] = attrs.get("value", "")
        elif tag == "select" and name:
            self._select = name
        elif (
            tag == "option"
            and self._select
            and ("selected" in attrs or self._select not in self.values)
        ):
            self.values[self._select] = attrs.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form" and self.inside:
            self.inside, self.done = False, True


def form_values(html: str, action: str) -> dict[str, str]:
    parser = _Form(action)
    parser.feed(html)
    assert parser.done, f"no form posting to {action}"
    return parser.values


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    url = make_url(DATABASE)
    name = f"two_servers_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    database_url = url.set(database=name).render_as_string(hide_password=False)
    base = tmp_path_factory.mktemp("two-servers")
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "two-servers-secret",
        "BASE_URL": "http://tracker.example.org",
    }
    env.pop("TRACKER_SCHEDULER", None)
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    for step in (["db", "upgrade"], ["demo"]):
        subprocess.run(
            [*flask, *step],
            cwd=ROOT,
            env={**env, "INSTANCE_PATH": str(base / "cli")},
            check=True,
            capture_output=True,
        )
    processes, addresses = [], []
    for label in ("a", "b"):
        port = _free_port()
        metrics_dir = base / f"metrics-{label}"
        metrics_dir.mkdir()
        processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "-c",
                    "python:tracker.operations.gunicorn_conf",
                    "--workers",
                    "2",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "app:app",
                ],
                cwd=ROOT,
                env={
                    **env,
                    "INSTANCE_PATH": str(base / label),
                    "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
                },
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        addresses.append(f"http://127.0.0.1:{port}")
    try:
        for address in addresses:
            for _ in range(300):
                try:
                    if requests.get(address + "/healthz", timeout=10).status_code == 200:
                        break
                except requests.RequestException:
                    time.sleep(0.1)
            else:
                pytest.fail(f"{address} did not start")
        yield addresses, base
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
        admin.dispose()
        with create_engine(
            url.set(database="postgres"), isolation_level="AUTOCOMMIT"
        ).connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _signed_in(address: str) -> requests.Session:
    session = requests.Session()
    page = session.get(address + "/login").text
    values = form_values(page, "/login")
    values.update(email="admin@demo.example", password="tracker-demo")
    response = session.post(address + "/login", data=values)
    assert "/login" not in response.url, "log-in failed"
    return session


def _save_settings(session: requests.Session, address: str, **changes) -> None:
    values = form_values(session.get(address + "/admin/settings").text, "/admin/settings")
    for key, value in changes.items():
        if value is False:
            values.pop(key, None)
        else:
            values[key] = value
    response = session.post(address + "/admin/settings", data=values)
    assert response.status_code == 200 and "is-invalid" not in response.text, response.text[:500]


def test_a_change_on_one_server_is_served_by_the_other(servers):
    (a, b), base = servers
    admin_a = _signed_in(a)

    # Both ready for a load balancer, though no scheduler runs anywhere.
    for address in (a, b):
        assert requests.get(address + "/readyz").status_code == 200
        assert requests.get(address + "/readyz/scheduler").status_code == 503

    # Kiosk mode: off by default, so B sends anonymous readers to log in.
    assert "/login" in requests.get(b + "/you-said-we-did").url
    _save_settings(admin_a, a, public_without_login="y", name="Gemeente Twee Servers")
    assert "Gemeente Twee Servers" in admin_a.get(a + "/admin/settings").text  # saved
    time.sleep(VISIBLE_AFTER)
    overview = requests.get(b + "/you-said-we-did")
    assert "/login" not in overview.url and overview.status_code == 200
    assert "Gemeente Twee Servers" in overview.text  # a setting, read from B's cache

    # An action's title: B's public page and its ETag follow.
    # An action's title: B's public page and its ETag follow.
    links = [
        part.split('"')[0]
        for part in overview.text.split('href="')[1:]
        if part.startswith("/you-said-we-did/") and part.split('"')[0].count("/") == 3
    ]
    department_link, before = next(
        (link, page) for link in links if 'id="action-' in (page := requests.get(b + link)).text
    )
    etag = before.headers["ETag"]
    assert requests.get(b + department_link, headers={"If-None-Match": etag}).status_code == 304
    action_id = before.text.split('id="action-')[1].split('"')[0]
    edit = f"{a}/actions/{action_id}/edit"
    values = form_values(admin_a.get(edit).text, f"/actions/{action_id}/edit")
    values["title"] = "Nieuwe titel via server A"
    saved = admin_a.post(edit, data=values)
    assert saved.status_code == 200 and "Nieuwe titel via server A" in saved.text
    time.sleep(VISIBLE_AFTER)
    after = requests.get(b + department_link, headers={"If-None-Match": etag})
    assert after.status_code == 200 and after.headers["ETag"] != etag
    assert "Nieuwe titel via server A" in after.text

    # Kiosk mode off again: B stops serving anonymous readers, also its kept pages.
    _save_settings(admin_a, a, public_without_login=False)
    time.sleep(VISIBLE_AFTER)
    assert "/login" in requests.get(b + "/you-said-we-did").url
    assert "/login" in requests.get(b + department_link).url

    # Metrics add up over both workers of a server (multi-process mode) and say nothing
    # about the host.
    for _ in range(6):
        requests.get(b + "/healthz")
    metrics = requests.get(b + "/metrics").text
    healthz = [
        line
        for line in metrics.splitlines()
        if line.startswith("tracker_requests_total{") and 'route="/healthz"' in line
    ]
    assert sum(float(line.rsplit(" ", 1)[1]) for line in healthz) >= 6
    assert "tracker_data_version" in metrics and "python_info" not in metrics

    # Nothing was shared on disk: each server kept to its own instance folder.
    assert (
        not (base / "a" / "changes.stamp").exists() and not (base / "b" / "changes.stamp").exists()
    )
