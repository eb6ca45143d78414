"""A stamp that moves with every database commit, for every process on this host.

Pages that only show data (the "you said, we did" pages) use it as their version: for the
ETag and for reusing a rendering, without a query per request. Every commit in any process
(web workers, the scheduler, the command line) touches a file in instance/; a page compares
the file's modification time. Coarser than "this page changed" (any commit counts), never
staler.
"""
from __future__ import annotations

import itertools
import os
from pathlib import Path

from flask import Flask, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

_local = itertools.count()
_local_value = 0


def _path(app: Flask) -> Path:
    return Path(app.instance_path) / "changes.stamp"


def touch(app: Flask | None = None) -> None:
    """Move the stamp (called after every commit; call it after writing outside a session)."""
    global _local_value
    _local_value = next(_local)
    app = app or (current_app._get_current_object() if has_app_context() else None)
    if app is None:
        return
    path = _path(app)
    try:
        os.utime(path)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()


def current() -> tuple[int, int]:
    """The stamp: the file's modification time and this process's own commit count (the
    latter so a commit here is seen at once, whatever the file system's time resolution)."""
    try:
        stamp = os.stat(_path(current_app)).st_mtime_ns
    except FileNotFoundError:
        stamp = 0
    return stamp, _local_value


def init_app(app: Flask) -> None:
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
    touch(app)


def _after_commit(session) -> None:
    touch()


_remembered: dict[str, tuple[tuple[int, int], object]] = {}


def remembered(name: str, build):
    """A plain value (a string, a number) computed once per stamp in this process: settings
    that nearly every request reads and that only a commit can change."""
    stamp = current()
    entry = _remembered.get(name)
    if entry is not None and entry[0] == stamp:
        return entry[1]
    value = build()
    _remembered[name] = (stamp, value)
    return value
