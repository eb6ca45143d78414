"""What the benchmarks share: recording each figure beside its reference (for
bench/results/latest.md), counting SQL statements, logging in through the test client.

Every figure is compared with a reference measured in the same run on the same machine; a
benchmark never holds a figure against a wall-clock limit.
"""

from __future__ import annotations

import json
import os
import re
import socket
import sys
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class Results:
    """The rows (figure, reference, ratio, target) and tables one benchmark reports.
    With BENCH_RESULTS set (bench/run.py sets it), saved there as <benchmark>.json."""

    def __init__(self, benchmark: str):
        self.benchmark = benchmark
        self.rows: list[dict] = []
        self.tables: list[dict] = []
        self.notes: list[str] = []

    def ratio(
        self,
        measurement: str,
        figure: float,
        reference: float,
        reference_name: str,
        *,
        unit: str = "ms",
        target: str = "",
        ok: bool | None = None,
        higher_is_better: bool = False,
    ) -> float:
        ratio = figure / reference if reference else float("inf")
        self.rows.append(
            {
                "measurement": measurement,
                "figure": figure,
                "reference": reference,
                "reference_name": reference_name,
                "unit": unit,
                "ratio": ratio,
                "target": target,
                "ok": ok,
                "higher_is_better": higher_is_better,
            }
        )
        return ratio

    def check(self, measurement: str, value: str, *, target: str = "", ok: bool | None = None):
        """A figure without a reference (a count that must be zero, equal counts, ...)."""
        self.rows.append({"measurement": measurement, "value": value, "target": target, "ok": ok})

    def table(self, title: str, header: list[str], rows: list[list]) -> None:
        self.tables.append({"title": title, "header": header, "rows": rows})

    @property
    def failed(self) -> bool:
        return any(row.get("ok") is False for row in self.rows)

    def save(self) -> None:
        folder = os.environ.get("BENCH_RESULTS")
        if not folder:
            return
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / f"{self.benchmark}.json").write_text(
            json.dumps(
                {
                    "benchmark": self.benchmark,
                    "rows": self.rows,
                    "tables": self.tables,
                    "notes": self.notes,
                },
                indent=1,
            )
        )


def markdown_table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell).replace("|", "/") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def verdict(ok: bool | None) -> str:
    return "" if ok is None else ("ok" if ok else "FAILED")


class QueryCounter:
    """Counts the SQL statements an engine sends while active (also the tests' counter)."""

    def __init__(self):
        self.statements: list[str] = []

    def __call__(self, _conn, _cursor, statement, _parameters, _context, _executemany):
        # The data version's poll is per process and time-bounded, not part of a page
        # (tracker.changes): left out, so a page's count does not depend on the clock.
        if "/* data-version */" not in statement:
            self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)


@contextmanager
def counting_queries(app):
    from sqlalchemy import event

    from tracker.extensions import db

    with app.app_context():
        engine = db.engine
    counter = QueryCounter()
    event.listen(engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", counter)


def login(client, email: str, password: str) -> None:
    """Log in through the form (with its CSRF token when the app checks them)."""
    page = client.get("/login").get_data(as_text=True)
    data = {"email": email, "password": password}
    token = CSRF.search(page)
    if token:
        data["csrf_token"] = token.group(1)
    response = client.post("/login", data=data)
    assert response.status_code == 302, f"log-in of {email} failed ({response.status_code})"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
