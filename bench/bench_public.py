"""Load benchmark of the most-read page (issue 7): the "you said, we did" department page
under 64 connections for 30 s against gunicorn, beside a bare "hello" route on the same
server in the same run. Target: at least half the requests per second of "hello", zero errors.

Uses wrk (Debian's package; `make bench` installs it). The database is a copy of the shared
generator's full-scale organisation (SQLite; 50 departments, 10 rounds, 50,000 actions), in
kiosk mode so no log-in is needed; the page is the latest round's page of a department.

    .venv/bin/python bench/bench_public.py [--seconds 30] [--connections 64]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import Results  # noqa: E402
from bench.generate import app_for, copy_database  # noqa: E402

WSGI = """
from tracker import create_app
app = create_app()

@app.route("/bench/hello")
def hello():
    return "hello"
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _prepare(tmp: Path) -> tuple[dict, dict]:
    from tracker.extensions import db
    from tracker.organisation.models import Organisation

    path, world = copy_database("full", tmp / "bench.db")
    app = app_for(path)
    with app.app_context():
        db.session.scalar(db.select(Organisation)).public_without_login = True
        db.session.commit()
        db.engine.dispose()
    env = dict(
        os.environ, DATABASE_URL=f"sqlite:///{path}", SECRET_KEY="bench", PYTHONPATH=f"{tmp}:{ROOT}"
    )
    (tmp / "bench_wsgi.py").write_text(WSGI)
    return env, world


def _wrk(url: str, seconds: int, connections: int) -> tuple[float, int, str]:
    out = subprocess.run(
        ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = 0
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        errors += int(non2xx.group(1))
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    if socket_errors:
        errors += sum(int(x) for x in socket_errors.groups())
    p99 = re.search(r"99%\s+(\S+)", out)
    return rps, errors, p99.group(1) if p99 else "?"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (apt-get install wrk; `make bench` does it)")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        env, world = _prepare(tmp)
        port = _free_port()
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-w",
                "2",
                "--threads",
                "4",
                "-b",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
                "bench_wsgi:app",
            ],
            cwd=ROOT,
            env=env,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    urllib.request.urlopen(base + "/bench/hello", timeout=1)
                    break
                except OSError:
                    time.sleep(0.1)
            page = f"/you-said-we-did/{world['latest_round_id']}/{world['department_ids'][0]}"
            overview = urllib.request.urlopen(base + "/you-said-we-did").read().decode()
            assert page in overview, "the department page is not linked from the overview"
            hello_rps, hello_errors, hello_p99 = _wrk(
                base + "/bench/hello", args.seconds, args.connections
            )
            page_rps, page_errors, page_p99 = _wrk(base + page, args.seconds, args.connections)
        finally:
            server.terminate()
            server.wait(timeout=10)
    results = Results("bench_public")
    print(f"{args.connections} connections, {args.seconds} s each, gunicorn 2 workers x 4 threads")
    print(
        f"reference  GET /bench/hello: {hello_rps:8.1f} req/s, errors {hello_errors}, p99 {hello_p99}"
    )
    print(f"department GET {page}: {page_rps:8.1f} req/s, errors {page_errors}, p99 {page_p99}")
    ratio = results.ratio(
        f'"you said, we did" department page, {args.connections} connections',
        page_rps,
        hello_rps,
        "GET /bench/hello on the same server",
        unit="req/s",
        target=">= 0.5x (higher is better), zero errors",
        ok=page_rps / hello_rps >= 0.5 and page_errors == 0,
    )
    results.check(
        "errors (non-2xx/3xx and socket errors)",
        f"page {page_errors}, reference {hello_errors}",
        target="0",
        ok=page_errors == 0,
    )
    print(f"ratio: {ratio:.2f} of the bare route (target >= 0.5, zero errors)")
    results.save()
    return 1 if results.failed else 0


if __name__ == "__main__":
    sys.exit(main())
