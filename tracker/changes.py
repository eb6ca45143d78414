"""The data version: a number in the database that moves with every commit that changes what
pages show, for every process on every server (no shared disk needed).

A commit that wrote to any table but the bookkeeping ones (the outbox, job runs, the
scheduler's lease, log-in attempts) raises `data_version.version` by one in the same
transaction. Caches key on it: the organisation's settings (`remembered`), the rendered
anonymous "you said, we did" pages and their ETags, and what pages keep (`kept`: figures
over many rows, rendered content per reader, see tracker.rendering). A process reads the number at most once
per DATA_VERSION_MAX_AGE seconds (default 0.5), and at once after its own commits, so a
change saved on one server is seen on another within a second, without a query per request.

The read carries the SQL comment `data-version` so the query counter of the tests and the
benchmarks can leave it out: it is a time-bounded poll per process, not part of a page.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict

from flask import Flask, current_app, has_app_context
from sqlalchemy import event, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import TextClause

from tracker.extensions import db

#: Written often, shown on no page that is cached: they do not move the version.
BOOKKEEPING_TABLES = frozenset(
    {
        "data_version",
        "outbox_message",
        "job_run",
        "scheduler_lease",
        "login_attempt",
        "audit_event",
        "password_token",
        # Feed addresses: shown only on their owner's page, which is never kept.
        "news_feed",
        "calendar_feed",
    }
)
MARK = "/* data-version */"
_WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|TRUNCATE)\b", re.IGNORECASE)
_READ = text(f"SELECT version {MARK} FROM data_version WHERE id = 1")
_BUMP = text(
    f"UPDATE data_version {MARK} SET version = version + 1, changed_at = :now WHERE id = 1"
)

_lock = threading.Lock()
#: (version, monotonic time it was read); None: read it again.
_known: tuple[int, float] | None = None


def _forget() -> None:
    global _known
    with _lock:
        _known = None


def current() -> int:
    """The data version, read from the database at most every DATA_VERSION_MAX_AGE seconds."""
    global _known
    max_age = float(current_app.config["DATA_VERSION_MAX_AGE"])
    known = _known
    now = time.monotonic()
    if known is not None and now - known[1] < max_age:
        return known[0]
    with db.engine.connect() as connection:
        version = connection.execute(_READ).scalar()
    version = int(version or 0)
    with _lock:
        _known = (version, now)
    return version


def touch(app: Flask | None = None) -> None:
    """Move the version outside a unit of work (after a restore, or a write by hand): to at
    least the current time in milliseconds, above anything a process saw before a restore
    put an older number back."""
    from tracker.types import utcnow

    app = app or (current_app._get_current_object() if has_app_context() else None)
    if app is None:
        return
    with app.app_context():
        floor = int(time.time() * 1000)
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    f"UPDATE data_version {MARK} SET version = CASE WHEN version + 1 > :floor "
                    "THEN version + 1 ELSE :floor END, changed_at = :now WHERE id = 1"
                ),
                {"floor": floor, "now": utcnow()},
            )
    _forget()


def _tables_of_flush(session) -> set[str]:
    names = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        table = getattr(type(obj), "__table__", None)
        if table is not None:
            names.add(table.name)
    return names


def _before_flush(session, _context, _instances) -> None:
    session.info.setdefault("written_tables", set()).update(_tables_of_flush(session))


def _do_orm_execute(state) -> None:
    statement = state.statement
    if state.is_insert or state.is_update or state.is_delete:
        name = getattr(getattr(statement, "table", None), "name", None) or "?"
    elif isinstance(statement, TextClause) and _WRITE.match(statement.text):
        name = "?"  # raw SQL that writes: assume it matters
    else:
        return
    state.session.info.setdefault("written_tables", set()).add(name)


def _before_commit(session) -> None:
    # Flush first, so every row lock of this transaction is taken before the version's
    # (always last: two writers cannot wait on each other in a circle).
    session.flush()
    written = session.info.pop("written_tables", set())
    if written - BOOKKEEPING_TABLES:
        from tracker.types import utcnow

        session.connection().execute(_BUMP, {"now": utcnow()})
        session.info["bumped"] = True


def _after_commit(session) -> None:
    if session.info.pop("bumped", False):
        _forget()


def _after_rollback(session) -> None:
    session.info.pop("written_tables", None)
    session.info.pop("bumped", None)


def init_app(app: Flask) -> None:
    for name, listener in (
        ("before_flush", _before_flush),
        ("do_orm_execute", _do_orm_execute),
        ("before_commit", _before_commit),
        ("after_commit", _after_commit),
        ("after_rollback", _after_rollback),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


_remembered: dict[str, tuple[int, object]] = {}


def remembered(name: str, build):
    """A plain value (a string, a number) computed once per data version in this process:
    settings that nearly every request reads and that only a commit can change."""
    version = current()
    entry = _remembered.get(name)
    if entry is not None and entry[0] == version:
        return entry[1]
    value = build()
    _remembered[name] = (version, value)
    return value


#: Parts of pages kept for the current data version (`kept`): key -> (value, its size); all
#: dropped when the version moves. Bounded, least recently used first out.
_kept: OrderedDict[tuple, tuple[object, int]] = OrderedDict()
_kept_state = {"version": None, "size": 0}
_kept_lock = threading.Lock()
MAX_KEPT_CHARS = 20_000_000


def _size(value) -> int:
    return len(value) if isinstance(value, str) else 1000


def kept(key: tuple, build, size=_size):
    """What `build()` returns, computed once per data version in this process for `key`: a
    part of a page that only a commit can change (rendered HTML, figures over many rows).

    The key must name everything the value depends on besides the data: the language, and the
    reader whenever what they may see differs (a value is never shared between readers it
    could differ for). Everything kept is dropped when the version moves, so a change saved on
    any server shows within DATA_VERSION_MAX_AGE. At most MAX_KEPT_CHARS of text per process
    (`size`: how many characters a value counts for; a string its length, anything else 1000)."""
    version = current()
    with _kept_lock:
        if _kept_state["version"] != version:
            _kept.clear()
            _kept_state.update(version=version, size=0)
        if key in _kept:
            _kept.move_to_end(key)
            return _kept[key][0]
    value = build()
    with _kept_lock:
        if _kept_state["version"] == version and key not in _kept:
            _kept[key] = (value, size(value))
            _kept_state["size"] += _kept[key][1]
            while _kept_state["size"] > MAX_KEPT_CHARS and len(_kept) > 1:
                _old, (_dropped, dropped_size) = _kept.popitem(last=False)
                _kept_state["size"] -= dropped_size
    return value
