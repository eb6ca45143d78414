"""The organisation's clock: what time and which day it is where the organisation is.

Deadlines, reminder points, meeting days and "done this quarter" are calendar days in the
organisation's time zone (Organisation settings, default Europe/Amsterdam); moments are
stored in UTC. Every area asks this module instead of converting by itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app

from tracker.types import utcnow

__all__ = [
    "utcnow",
    "zone",
    "today",
    "local_date",
    "local_moment",
    "local_midnight",
    "Window",
    "window",
]


#: Where the organisation's time zone is read: set by the organisation area at set-up
#: (`use_time_zone_of`), so this module imports no area.
_time_zone_name: Callable[[], str] | None = None


def use_time_zone_of(source: Callable[[], str]) -> None:
    global _time_zone_name
    _time_zone_name = source


def zone() -> ZoneInfo:
    """The organisation's time zone (its settings row is read once per request); before
    the organisation area is set up, the configured default."""
    if _time_zone_name is None:
        return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Europe/Amsterdam"))
    return ZoneInfo(_time_zone_name())


def local_date(moment: datetime) -> date:
    """The organisation's calendar day at an (aware) moment."""
    return moment.astimezone(zone()).date()


def today(now: datetime | None = None) -> date:
    """Today where the organisation is."""
    return local_date(now or utcnow())


def local_moment(day: date, at: time) -> datetime:
    """A wall-clock time on a local day, as an aware UTC datetime."""
    return datetime.combine(day, at, tzinfo=zone()).astimezone(timezone.utc)


def local_midnight(day: date) -> datetime:
    """The start of a local day, in UTC (23 or 25 hours apart around DST changes)."""
    return local_moment(day, time())


#: Catch up at most this many days after downtime (older days are dropped).
MAX_CATCH_UP_DAYS = 62


@dataclass(frozen=True)
class Window:
    """The local days [first, today] a daily job's run covers."""

    first: date
    today: date

    @property
    def width(self) -> int:
        return (self.today - self.first).days + 1

    def __contains__(self, day: date) -> bool:
        return self.first <= day <= self.today

    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range(self.width)]


def window(since: datetime | None, now: datetime) -> Window | None:
    """The days after the last successful run (`since`) up to today; just today on the first
    run; None when today was covered already. A run missed during downtime is caught up by
    the next run, once."""
    current = local_date(now)
    if since is None:
        return Window(current, current)
    first = local_date(since) + timedelta(days=1)
    if first > current:
        return None
    return Window(max(first, current - timedelta(days=MAX_CATCH_UP_DAYS)), current)
