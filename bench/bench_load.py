"""Load test of the production set-up: a throw-away PostgreSQL cluster (tests/with_postgres.sh),
migrated and filled by the shared generator at full scale (50 departments, 10 rounds, 20,000
findings, 50,000 actions, 200,000 updates), served exactly as `make serve` serves it (gunicorn
workers plus the separate `flask --app app scheduler` process; it is `make serve` itself, on a
loopback port). Then 64 clients, each logged in once as an action owner of its own, for 60 s
over loopback: the most-used pages (dashboard, actions list, my actions, action page,
department results, "you said, we did" department page and overview) and progress updates
posted through the action page's form (CSRF token and version from the page), each update
with a unique marker text. GET /healthz in the same mix, under the same load, is the
reference.

Afterwards: zero 5xx and zero failed requests (exit non-zero otherwise), zero lost updates
(every update answered with success is in the database: posted vs found), and p50/p95/p99 per
kind beside the reference's and their ratio.

    .venv/bin/python bench/bench_load.py [--clients 64] [--seconds 60]
        [--database-url URL]   (an empty database to use instead of a throw-away cluster)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter, defaultdict
from html import unescape
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import CSRF, Results, free_port  # noqa: E402
from bench.generate import BENCH_PASSWORD, FULL, describe  # noqa: E402

BIN = Path(sys.executable).parent
#: What a client does next, and how often (the reference, /healthz, is in the same mix).
MIX = {
    "dashboard": 12,
    "actions list": 14,
    "my actions": 5,
    "action page": 14,
    "department results": 10,
    "public department page": 10,
    "public overview": 5,
    "progress update": 16,
    "healthz": 14,
}
REASON = re.compile(
    r'class="[^"]*(?:alert-danger|invalid-feedback)[^"]*"[^>]*>\s*(?:<p[^>]*>)?'
    r"\s*([^<]{1,60})"
)
HIDDEN = re.compile(r'<input[^>]*type="hidden"[^>]*>')
ATTRIBUTE = re.compile(r'(name|value)="([^"]*)"')


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def _update_form(html: str, action_id: int) -> dict | None:
    """The hidden fields (CSRF token, version, origin) of the action page's update form."""
    start = html.find(f'action="/actions/{action_id}/updates"')
    if start < 0:
        return None
    end = html.find("</form>", start)
    fields = {}
    for tag in HIDDEN.findall(html[start:end]):
        attributes = dict(ATTRIBUTE.findall(tag))
        if "name" in attributes:
            fields[attributes["name"]] = unescape(attributes.get("value", ""))
    return fields


class Client:
    """One person at a browser: logged in once, one request at a time."""

    def __init__(
        self, number: int, base: str, email: str, plan: dict, run: str, stats, rng: random.Random
    ):
        self.number = number
        self.base = base
        self.email = email
        self.plan = plan
        self.run = run
        self.stats = stats
        self.rng = rng
        self.sequence = 0
        self.session = None

    async def open(self):
        import aiohttp

        self.session = aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True),  # cookies for 127.0.0.1
            connector=aiohttp.TCPConnector(limit=1),
            timeout=aiohttp.ClientTimeout(total=120),
        )
        async with self.session.get(self.base + "/login") as response:
            page = await response.text()
        token = CSRF.search(page).group(1)
        async with self.session.post(
            self.base + "/login",
            allow_redirects=False,
            data={
                "email": self.email,
                "password": BENCH_PASSWORD,
                "csrf_token": token,
            },
        ) as response:
            await response.read()
            if response.status != 302:
                raise RuntimeError(f"log-in of {self.email} failed: {response.status}")

    async def close(self):
        if self.session is not None:
            await self.session.close()

    async def request(
        self, kind: str, page: str, method: str, path: str, record: bool, data: dict | None = None
    ):
        """(status, body, location); records the latency under `kind` and `page`."""
        started = time.perf_counter()
        try:
            async with self.session.request(
                method, self.base + path, data=data, allow_redirects=False
            ) as response:
                body = await response.text()
                status = response.status
                location = response.headers.get("Location", "")
        except Exception as error:  # noqa: BLE001 - every failure is counted, by its kind
            self.stats.failure(kind, page, type(error).__name__, record)
            return None, "", ""
        self.stats.record(kind, page, status, time.perf_counter() - started, path, record)
        return status, body, location

    def _address(self, name: str) -> str:
        plan, rng = self.plan, self.rng
        if name == "dashboard":
            return "/"
        if name == "actions list":
            return f"/departments/{plan['department']}/actions?page={rng.randint(1, 3)}"
        if name == "my actions":
            return "/actions/mine"
        if name == "action page":
            return f"/actions/{rng.choice(plan['department_actions'])}"
        if name == "department results":
            return f"/surveys/{rng.choice(plan['rounds'])}/departments/{plan['department']}"
        if name == "public department page":
            return (
                f"/you-said-we-did/{rng.choice(plan['rounds'][-3:])}/"
                f"{rng.choice(plan['departments'])}"
            )
        if name == "public overview":
            return "/you-said-we-did"
        if name == "healthz":
            return "/healthz"
        raise ValueError(name)

    async def progress_update(self, record: bool):
        """Open one's own action, fill in the quick update form, post it."""
        shared = self.plan["shared_actions"]
        # Most of them on the one action a colleague updates too: a save on top of the
        # other's must be refused (optimistic locking), never lost or a 5xx.
        pool = shared if shared and self.rng.random() < 0.7 else self.plan["own_open_actions"]
        action_id = self.rng.choice(pool)
        status, body, _ = await self.request(
            "GET", "action page", "GET", f"/actions/{action_id}", record
        )
        if status != 200:
            return
        fields = _update_form(body, action_id)
        if fields is None:
            self.stats.note(f"no update form on /actions/{action_id} for {self.email}")
            return
        self.sequence += 1
        marker = f"bench-load {self.run} c{self.number:02d} n{self.sequence:05d}"
        prefix = f"u{action_id}-"
        fields.update(
            {
                prefix + "text": marker,
                prefix + "percent": str(self.rng.randrange(0, 100, 5)),
                prefix + "new_status": "",
                prefix + "submit": "Post",
            }
        )
        if record:
            self.stats.attempted.add(marker)
        status, body, location = await self.request(
            "POST", "progress update", "POST", f"/actions/{action_id}/updates", record, fields
        )
        if not record or status is None:
            return
        if status == 302 and location.split("#")[0].endswith(f"/actions/{action_id}"):
            self.stats.saved.add(marker)
        elif status == 200:  # the form again, with the reason (a conflict, a domain error)
            reason = REASON.search(body)
            self.stats.refused[reason.group(1).strip() if reason else "form re-shown"] += 1

    async def loop(self, until: float, record: bool, steps: int | None = None):
        names, weights = list(MIX), list(MIX.values())
        done = 0
        while time.perf_counter() < until and (steps is None or done < steps):
            name = self.rng.choices(names, weights)[0]
            if name == "progress update":
                await self.progress_update(record)
            else:
                kind = "reference" if name == "healthz" else "GET"
                await self.request(kind, name, "GET", self._address(name), record)
            done += 1

    async def alone(self, rounds: int = 5):
        """Every kind of request by itself, one at a time (nothing else running): what each
        costs the server, beside which the loaded figures show the queueing."""
        for name in MIX:
            for _ in range(rounds):
                if name == "progress update":
                    await self.progress_update(True)
                else:
                    kind = "reference" if name == "healthz" else "GET"
                    await self.request(kind, name, "GET", self._address(name), True)


class Stats:
    def __init__(self):
        self.latencies: dict[tuple[str, str], list[float]] = defaultdict(list)
        self.statuses: Counter = Counter()
        self.server_errors: list[str] = []
        self.unexpected: Counter = Counter()
        self.failures: Counter = Counter()
        self.attempted: set[str] = set()
        self.saved: set[str] = set()
        self.refused: Counter = Counter()
        self.notes: list[str] = []

    def record(self, kind, page, status, seconds, path, measured=True):
        """Latencies of the measured minute; errors of the warm-up too."""
        if status >= 500:
            self.server_errors.append(f"{status} {path}{'' if measured else ' (warm-up)'}")
        elif status not in (200, 302):
            self.unexpected[(page, status)] += 1
        if measured:
            self.latencies[(kind, page)].append(seconds)
            self.statuses[status] += 1

    def failure(self, kind, page, error, measured=True):
        self.failures[(kind, page, error + ("" if measured else " (warm-up)"))] += 1

    def note(self, text):
        if text not in self.notes:
            self.notes.append(text)


# --- The server and its database ----------------------------------------------------------


def _environment(database_url: str, port: int) -> dict:
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("MAIL_", "TRACKER_"))
    }
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY=secrets.token_hex(32),
        BIND=f"127.0.0.1:{port}",
        PYTHONUNBUFFERED="1",
    )
    env.pop("WORKERS", None)  # `make serve`'s default
    return env


def _prepare_database(env: dict, tmp: Path) -> dict:
    started = time.perf_counter()
    subprocess.run(
        [str(BIN / "flask"), "--app", "app", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    migrated = time.perf_counter() - started
    world_file = tmp / "world.json"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "generate.py"),
            "--database-url",
            env["DATABASE_URL"],
            "--scale",
            "full",
            "--world",
            str(world_file),
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    loaded = time.perf_counter() - started - migrated
    from sqlalchemy import create_engine, text

    engine = create_engine(env["DATABASE_URL"], isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("ANALYZE"))
    engine.dispose()
    print(
        f"migrated in {migrated:.1f} s; generated {describe(FULL)} in {loaded:.1f} s "
        f"(bench/generate.py)",
        flush=True,
    )
    return json.loads(world_file.read_text())


def _plans(database_url: str, world: dict, clients: int) -> list[tuple[str, dict]]:
    """Who each client is (an owner; a different one per client, spread over the
    departments) and what it may open."""
    from sqlalchemy import create_engine, text

    departments = world["department_ids"]
    engine = create_engine(database_url)
    with engine.connect() as connection:
        by_department = defaultdict(list)
        for action_id, department_id in connection.execute(
            text("SELECT id, department_id FROM improvement_action")
        ):
            by_department[department_id].append(action_id)
        involved = defaultdict(set)  # open action -> its owner and co-owners
        for action_id, user_id in connection.execute(
            text(
                "SELECT id, owner_id FROM improvement_action "
                "WHERE status IN ('proposed', 'planned', 'in_progress') "
                "UNION ALL SELECT a.id, c.user_id FROM improvement_action a "
                "JOIN action_co_owner c ON c.action_id = a.id "
                "WHERE a.status IN ('proposed', 'planned', 'in_progress')"
            )
        ):
            involved[action_id].add(user_id)
        ids = dict(connection.execute(text('SELECT email, id FROM "user"')).tuples().all())
    engine.dispose()
    people = []
    for number in range(clients):
        department = departments[number % len(departments)]
        emails = world["staff_emails_by_department"][str(department)]
        people.append((department, emails[(number // len(departments)) % len(emails)]))
    assert len({email for _, email in people}) == clients, "every client is someone else"
    clients_by_department = defaultdict(list)
    for department, email in people:
        clients_by_department[department].append(ids[email])
    plans = []
    for department, email in people:
        me = ids[email]
        mine = sorted(a for a, users in involved.items() if me in users)
        # Actions this client and another client (a colleague) may both update.
        others = set(clients_by_department[department]) - {me}
        shared = [a for a in mine if involved[a] & others][:1]
        plans.append(
            (
                email,
                {
                    "department": department,
                    "departments": departments,
                    "department_actions": by_department[department],
                    "rounds": world["round_ids"],
                    "own_open_actions": mine,
                    "shared_actions": shared,
                },
            )
        )
    return plans


def _start_server(env: dict, tmp: Path) -> subprocess.Popen:
    """`make serve` as it is: db upgrade, the scheduler, gunicorn; in its own process group."""
    # Open for the server's whole life; closed when it is stopped.
    access = open(tmp / "serve.out", "wb")  # noqa: SIM115
    errors = open(tmp / "serve.err", "wb")  # noqa: SIM115
    server = subprocess.Popen(
        ["make", "--no-print-directory", "serve"],
        cwd=ROOT,
        env=env,
        stdout=access,
        stderr=errors,
        start_new_session=True,
    )
    base = f"http://{env['BIND']}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("make serve stopped:\n" + (tmp / "serve.err").read_text()[-3000:])
        try:
            with urllib.request.urlopen(base + "/readyz", timeout=2) as response:
                if response.status == 200:
                    return server
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError("the server did not become ready (GET /readyz) within 120 s")


def _as_if_restarted(database_url: str) -> None:
    """A scheduler's very first start lets every job wait for its time; the load test wants
    the start of one that ran before: every job last ran a week ago, so it catches up each
    once (reminders, escalations, agendas over 50,000 actions) before the measured minute."""
    from datetime import datetime, timedelta, timezone

    from sqlalchemy import create_engine, text

    from tracker.scheduler.jobs import JOBS

    week_ago = datetime.now(timezone.utc) - timedelta(days=7)
    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM job_run"))
            connection.execute(
                text(
                    "INSERT INTO job_run (name, last_run_at, last_success_at) VALUES (:n, :t, :t)"
                ),
                [{"n": name, "t": week_ago} for name in JOBS],
            )
    finally:
        engine.dispose()


def _wait_for_catch_up(database_url: str, since: float, limit: float = 180) -> float:
    """The scheduler, first started, catches up every job once (reminders, digests, ...).
    Wait until each job has run, so the measured minute is an ordinary one."""
    from datetime import datetime, timezone

    from sqlalchemy import create_engine, text

    from tracker.scheduler.jobs import JOBS

    started = datetime.fromtimestamp(since, timezone.utc)
    engine = create_engine(database_url)
    deadline = time.monotonic() + limit
    try:
        while time.monotonic() < deadline:
            with engine.connect() as connection:
                ran = set(
                    connection.execute(
                        text("SELECT name FROM job_run WHERE last_run_at >= :started"),
                        {"started": started},
                    ).scalars()
                )
            if ran >= set(JOBS):
                return time.time() - since
            time.sleep(0.5)
    finally:
        engine.dispose()
    raise RuntimeError(f"the scheduler's catch-up did not finish within {limit:.0f} s")


def _stop_server(server: subprocess.Popen) -> None:
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)  # make's group: the recipe's shell, scheduler, gunicorn
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)


def _processes(server: subprocess.Popen) -> list[str]:
    """The Python processes in the server's process group: gunicorn's and the scheduler."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getpgid(int(entry.name)) != server.pid:
                continue
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except (OSError, ProcessLookupError):
            continue
        # Python processes only (not make, nor the recipe's shell that names them all).
        if command and Path(command.split()[0]).name.startswith("python"):
            found.append(command)
    return found


def _found_markers(database_url: str, run: str) -> tuple[set[str], list]:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as connection:
        found = set(
            connection.execute(
                text("SELECT text FROM progress_update WHERE text LIKE :marker"),
                {"marker": f"bench-load {run} %"},
            ).scalars()
        )
        jobs = connection.execute(
            text(
                "SELECT name, last_status, last_trigger, last_duration, last_message FROM job_run "
                "ORDER BY name"
            )
        ).all()
    engine.dispose()
    return found, jobs


# --- The run ------------------------------------------------------------------------------


async def _load(
    base: str, plans, seconds: float, run: str, stats: Stats, alone: Stats
) -> tuple[float, int]:
    clients = [
        Client(n, base, email, plan, run, stats, random.Random(n))
        for n, (email, plan) in enumerate(plans)
    ]
    try:
        await asyncio.gather(*(client.open() for client in clients))
        warm = time.perf_counter() + 30
        await asyncio.gather(*(client.loop(warm, record=False, steps=4) for client in clients))
        clients[0].stats = alone
        await clients[0].alone()
        clients[0].stats = stats
        started = time.perf_counter()
        await asyncio.gather(*(client.loop(started + seconds, record=True) for client in clients))
        elapsed = time.perf_counter() - started
    finally:
        await asyncio.gather(*(client.close() for client in clients))
    return elapsed, len(clients)


def _latency_rows(stats: Stats):
    by_kind = defaultdict(list)
    for (kind, _page), values in stats.latencies.items():
        by_kind[kind].extend(values)
    return by_kind


def in_cluster(args) -> int:
    results = Results("bench_load")
    database_url = args.database_url or os.environ["TEST_DATABASE_URL"]
    port = free_port()
    env = _environment(database_url, port)
    with tempfile.TemporaryDirectory(prefix="tracker-load-") as tmp_name:
        tmp = Path(tmp_name)
        world = _prepare_database(env, tmp)
        plans = _plans(database_url, world, args.clients)
        pairs = sum(1 for _email, plan in plans if plan["shared_actions"])
        print(
            f"{args.clients} clients, each an owner of its own; {pairs} of them share an "
            f"action with a colleague among the clients",
            flush=True,
        )
        run = secrets.token_hex(4)
        stats = Stats()
        _as_if_restarted(database_url)
        started = time.time()
        server = _start_server(env, tmp)
        try:
            processes = _processes(server)
            workers = sum(1 for p in processes if "bin/gunicorn " in p) - 1
            scheduler = any(" scheduler" in p and "bin/flask " in p for p in processes)
            print(
                f"make serve on 127.0.0.1:{port}: gunicorn master + {workers} workers, "
                f"scheduler process {'running' if scheduler else 'MISSING'}",
                flush=True,
            )
            catch_up = _wait_for_catch_up(database_url, started)
            print(
                f"the scheduler's first catch-up (every job once) done "
                f"{catch_up:.0f} s after the start",
                flush=True,
            )
            log_start = (tmp / "serve.err").stat().st_size
            alone = Stats()
            elapsed, clients = asyncio.run(
                _load(f"http://127.0.0.1:{port}", plans, args.seconds, run, stats, alone)
            )
            log_end = (tmp / "serve.err").stat().st_size
            scheduler_alive = any(
                " scheduler" in p and "bin/flask " in p for p in _processes(server)
            )
        finally:
            _stop_server(server)
        keep = os.environ.get("BENCH_RESULTS")
        if keep:  # the server's logs beside the results, for a look afterwards
            for name in ("serve.out", "serve.err"):
                shutil.copyfile(tmp / name, Path(keep) / f"bench_load-{name}")
        access_log = (tmp / "serve.out").read_text(errors="replace")
        raw_errors = (tmp / "serve.err").read_bytes()
        error_log = raw_errors[log_start:log_end].decode(errors="replace")
        shutdown_log = raw_errors[log_end:].decode(errors="replace")
        found, jobs = _found_markers(database_url, run)

    # Server side: 5xx in gunicorn's access log, tracebacks in its error log.
    # (GET /readyz answers 503 until the scheduler holds its lease: the start-up's probes.)
    logged_5xx = len(
        [
            line
            for line in access_log.splitlines()
            if re.search(r'" 5\d\d ', line) and "GET /readyz " not in line
        ]
    )
    tracebacks = error_log.count("Traceback (most recent call last)")
    stats.server_errors += alone.server_errors
    stats.failures += alone.failures
    stats.unexpected += alone.unexpected
    stats.refused += alone.refused
    total = sum(len(v) for v in stats.latencies.values())
    failures = sum(stats.failures.values())
    saved, attempted = stats.saved | alone.saved, stats.attempted | alone.attempted
    lost = saved - found
    unconfirmed = (found & attempted) - saved

    print(
        f"{clients} clients for {elapsed:.0f} s: {total:,} requests "
        f"({total / elapsed:.0f}/s), statuses {dict(sorted(stats.statuses.items()))}"
    )
    by_kind = _latency_rows(stats)
    reference = by_kind.get("reference", [])
    ref = {q: _percentile(reference, q) for q in (0.5, 0.95, 0.99)}
    table = []
    for kind in ("GET", "POST", "reference"):
        values = by_kind.get(kind, [])
        if not values:
            continue
        figures = {q: _percentile(values, q) for q in (0.5, 0.95, 0.99)}
        label = {
            "GET": "GET pages (logged in)",
            "POST": "POST progress update",
            "reference": "reference: GET /healthz",
        }[kind]
        row = [label, f"{len(values):,}"]
        for q in (0.5, 0.95, 0.99):
            row.append(
                f"{figures[q] * 1000:.0f} ms"
                + ("" if kind == "reference" else f" ({figures[q] / ref[q]:.1f}x)")
            )
        table.append(row)
        print(
            f"  {label:<28} n={len(values):>6}  "
            + "  ".join(f"p{int(q * 100)} {figures[q] * 1000:7.1f} ms" for q in (0.5, 0.95, 0.99))
        )
        if kind != "reference":
            for q in (0.5, 0.95, 0.99):
                results.ratio(
                    f"load: {label}, p{int(q * 100)}",
                    figures[q] * 1000,
                    ref[q] * 1000,
                    f"GET /healthz p{int(q * 100)} under the same load",
                )
    pages = []
    for (kind, page), values in sorted(stats.latencies.items()):
        single = alone.latencies.get((kind, page))
        pages.append(
            [
                page,
                kind if kind != "reference" else "GET",
                f"{len(values):,}",
                *(f"{_percentile(values, q) * 1000:.0f} ms" for q in (0.5, 0.95, 0.99)),
                f"{statistics.median(values) / ref[0.5]:.1f}x",
                f"{statistics.median(single) * 1000:.0f} ms" if single else "-",
            ]
        )
        print(
            f"    {page:<24} {pages[-1][1]:<4} n={len(values):>6}  "
            + "  ".join(
                f"p{int(q * 100)} {_percentile(values, q) * 1000:7.1f} ms"
                for q in (0.5, 0.95, 0.99)
            )
            + f"   alone {pages[-1][-1]}"
        )
    print(
        f"5xx responses: {len(stats.server_errors)} (gunicorn's access log: {logged_5xx}); "
        f"failed requests (no response): {failures}; other statuses: "
        f"{dict(stats.unexpected) or 0}; tracebacks in the server's log: {tracebacks}"
    )
    print(
        f"progress updates: {len(attempted)} posted, {len(saved)} saved (success response), "
        f"{len(saved & found)} of those found in the database, lost {len(lost)}; "
        f"refused {dict(stats.refused) or 0}; saved without a success response "
        f"{len(unconfirmed)}"
    )
    print(
        f"scheduler process: {'still running' if scheduler_alive else 'STOPPED'}; jobs: "
        + ", ".join(
            f"{name} {status} ({trigger}, {duration or 0:.1f} s)"
            for name, status, trigger, duration, _message in jobs
        )
    )
    if "Segmentation fault" in shutdown_log or "Traceback" in shutdown_log:
        stats.note(
            "stopping `make serve` (SIGTERM to its process group) printed: "
            + " / ".join(
                line.strip()
                for line in shutdown_log.splitlines()
                if "Error" in line or "Segmentation" in line or "Exception" in line
            )[:400]
        )
    for note in stats.notes:
        print("note:", note)

    results.check(
        "load: 5xx responses",
        f"{len(stats.server_errors)} (access log: {logged_5xx})",
        target="0",
        ok=not stats.server_errors and not logged_5xx,
    )
    results.check(
        "load: failed requests (no response)", str(failures), target="0", ok=failures == 0
    )
    results.check(
        "load: progress updates, posted vs found",
        f"{len(attempted)} posted, {len(saved)} saved (success response), "
        f"{len(saved & found)} found, {len(lost)} lost; "
        f"{sum(stats.refused.values())} refused (form re-shown)",
        target="0 lost",
        ok=not lost and len(saved) > 0,
    )
    results.check(
        "load: scheduler process alive afterwards",
        "yes" if scheduler_alive else "no",
        target="yes",
        ok=scheduler_alive,
    )
    results.table(
        f"Load test: {clients} clients, {elapsed:.0f} s, PostgreSQL, make serve "
        f"(gunicorn {workers} workers + scheduler); p50 / p95 / p99 and ratio to "
        f"GET /healthz",
        ["kind", "requests", "p50", "p95", "p99"],
        table,
    )
    results.table(
        "Load test per page (alone: median of 5 requests by one client before the "
        "load, nothing else running)",
        ["page", "kind", "requests", "p50", "p95", "p99", "p50 / healthz p50", "alone"],
        pages,
    )
    results.table(
        "Load test totals",
        ["figure", "value"],
        [
            ["requests", f"{total:,} ({total / elapsed:.0f}/s)"],
            ["5xx responses (client / access log)", f"{len(stats.server_errors)} / {logged_5xx}"],
            ["failed requests (no response)", failures],
            ["other statuses", dict(stats.unexpected) or 0],
            ["tracebacks in the server's log", tracebacks],
            [
                "progress updates posted / saved / found / lost",
                f"{len(attempted)} / {len(saved)} / {len(saved & found)} / {len(lost)}",
            ],
            ["updates refused (form re-shown)", dict(stats.refused) or 0],
            ["saved without a success response", len(unconfirmed)],
            [
                "scheduler jobs (its first catch-up, before the measured minute)",
                "; ".join(
                    f"{name}: {status} ({trigger}, {duration or 0:.1f} s)"
                    for name, status, trigger, duration, _message in jobs
                ),
            ],
        ],
    )
    results.notes.extend(stats.notes)
    if stats.server_errors:
        print("first 5xx:", stats.server_errors[:10])
    if tracebacks:
        start = error_log.find("Traceback (most recent call last)")
        print(error_log[start : start + 3000])
    results.save()
    return 1 if results.failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--database-url", help="an empty PostgreSQL database to use")
    args = parser.parse_args()
    if args.database_url or os.environ.get("BENCH_LOAD_IN_CLUSTER") == "1":
        return in_cluster(args)
    # A throw-away cluster around the rest, as the PostgreSQL tests get one.
    command = ["env", "BENCH_LOAD_IN_CLUSTER=1", sys.executable, __file__, *sys.argv[1:]]
    return subprocess.run([str(ROOT / "tests" / "with_postgres.sh"), *command], cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main())
