"""Backups and restores of the whole database: SQLite through its online backup API,
PostgreSQL through pg_dump / pg_restore."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from tracker.extensions import db


class BackupError(RuntimeError):
    pass


def _pg_tool(name: str) -> str:
    """The newest Debian server binaries first (they match the server), then PATH."""
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)
    if candidates:
        return str(candidates[0])
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (Debian package postgresql-client)")
    return found


def _pg_args(url) -> tuple[list[str], dict]:
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    args = [
        "--host",
        url.host or "localhost",
        "--port",
        str(url.port or 5432),
        "--username",
        url.username or os.environ.get("USER", "postgres"),
        "--dbname",
        url.database,
    ]
    return args, env


def backup(path: Path) -> str:
    """Write a consistent copy of the database to `path`; returns the method used."""
    url = make_url(str(db.engine.url))
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(url.database)
        target = sqlite3.connect(str(path))
        try:
            # The online backup API copies a consistent snapshot while others keep writing.
            source.backup(target)
        finally:
            target.close()
            source.close()
        return "sqlite-online-backup"
    if url.get_backend_name() == "postgresql":
        args, env = _pg_args(url)
        result = subprocess.run(
            [_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(path), *args],
            env=env,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise BackupError(result.stderr.strip())
        return "pg_dump"
    raise BackupError(f"no backup method for {url.get_backend_name()}")


def restore(path: Path) -> str:
    """Replace the database's contents with the backup at `path`, then move the data
    version past anything a running process saw before (their caches are stale)."""
    from tracker import changes

    method = _restore(path)
    changes.touch()
    return method


def _restore(path: Path) -> str:
    if not path.exists():
        raise BackupError(f"{path} does not exist")
    url = make_url(str(db.engine.url))
    db.session.remove()
    db.engine.dispose()
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(str(path))
        target = sqlite3.connect(url.database)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        return "sqlite-online-backup"
    if url.get_backend_name() == "postgresql":
        args, env = _pg_args(url)
        result = subprocess.run(
            [
                _pg_tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                *args,
                str(path),
            ],
            env=env,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise BackupError(result.stderr.strip())
        return "pg_restore"
    raise BackupError(f"no restore method for {url.get_backend_name()}")
