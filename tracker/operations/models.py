from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger
from sqlalchemy.orm import Mapped, mapped_column

from tracker.extensions import db
from tracker.types import UTCDateTime, utcnow


class DataVersion(db.Model):
    """One row whose number moves in the same transaction as every change that affects
    pages (tracker.changes): how every process, on every server, knows its caches are stale."""

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=1)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
