"""Uploaded files waiting between an import wizard's preview and its confirmation (survey files,
the HR file of people): shared by the areas that import, so it is no area of its own.

Kept on disk under instance/uploads, named by a random token and tied to the uploader, so a
large file is sent once and nothing reaches the database before the user confirms.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

MAX_AGE_SECONDS = 24 * 3600


@dataclass
class PendingUpload:
    token: str
    file_name: str
    user_id: int
    data: bytes


def _folder(instance_path: str) -> Path:
    folder = Path(instance_path) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def store(instance_path: str, file_name: str, user_id: int, data: bytes) -> str:
    folder = _folder(instance_path)
    _remove_old(folder)
    token = secrets.token_urlsafe(16)
    (folder / f"{token}.upload").write_bytes(data)
    (folder / f"{token}.json").write_text(json.dumps({"file_name": file_name, "user_id": user_id}))
    return token


def load(instance_path: str, token: str, user_id: int) -> PendingUpload | None:
    """The upload, if the token is well-formed, still there and the user's own."""
    if not token or not all(c.isalnum() or c in "-_" for c in token):
        return None
    folder = _folder(instance_path)
    meta_file, data_file = folder / f"{token}.json", folder / f"{token}.upload"
    if not meta_file.exists() or not data_file.exists():
        return None
    meta = json.loads(meta_file.read_text())
    if meta["user_id"] != user_id:
        return None
    return PendingUpload(token, meta["file_name"], user_id, data_file.read_bytes())


def discard(instance_path: str, token: str) -> None:
    folder = _folder(instance_path)
    for suffix in (".json", ".upload"):
        (folder / f"{token}{suffix}").unlink(missing_ok=True)


def _remove_old(folder: Path) -> None:
    limit = time.time() - MAX_AGE_SECONDS
    for path in folder.iterdir():
        if path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)


def remove_older_than(instance_path: str, age: timedelta, now: datetime) -> int:
    """Uploads never confirmed, older than `age` (retention); returns how many files went."""
    folder = Path(instance_path) / "uploads"
    if not folder.exists():
        return 0
    limit = now.timestamp() - age.total_seconds()
    gone = 0
    for path in folder.glob("*.upload"):
        if path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)
            path.with_suffix(".json").unlink(missing_ok=True)
            gone += 1
    return gone
