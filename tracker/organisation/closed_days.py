"""The organisation's closed days: the public holidays of its country (and region), from the
`holidays` package, and the extra days it closes, e.g. between Christmas and New Year. Both
are set on the settings page; staff meetings are planned around them (meetings/services.py).

Extra closed days are written one per line: a day (28-12-2026) or a period
(28-12-2026 – 31-12-2026); without a year it is every year (27-12 – 31-12); a description
may follow a colon. `parse_closed_days` checks them and gives them one form, which is what
the settings row keeps.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import holidays
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from tracker.errors import DomainError

DEFAULT_COUNTRY = "NL"
MAX_LINES = 60
MAX_LABEL = 100
#: How far ahead "the next working day" is looked for.
SEARCH_DAYS = 31
#: The year of every-year periods (a leap year, so 29-02 is a day).
_ANY_YEAR = 2000
#: A day: 28-12-2026, 28/12/2026, 28.12 (every year) or 2026-12-28.
_DAY = re.compile(r"\d{1,4}[-/.]\d{1,2}(?:[-/.]\d{1,4})?")
_SEPARATORS = {"", "-", "–", "—", "..", "t/m", "tot en met", "tot", "to", "until", "through"}


# --- Extra closed days ------------------------------------------------------------------


@dataclass(frozen=True)
class ClosedPeriod:
    """Extra closed days from `first` to `last` (both included); `yearly`: every year (the
    year of `first` and `last` means nothing then, and a period may run over New Year)."""

    first: date
    last: date
    yearly: bool = False
    label: str | None = None

    def covers(self, day: date) -> bool:
        if not self.yearly:
            return self.first <= day <= self.last
        key = (day.month, day.day)
        start = (self.first.month, self.first.day)
        end = (self.last.month, self.last.day)
        if start <= end:
            return start <= key <= end
        return key >= start or key <= end

    @property
    def text(self) -> str:
        """The one form it is kept in, e.g. "27-12 – 31-12: kerstsluiting"."""
        pattern = "%d-%m" if self.yearly else "%d-%m-%Y"
        text = self.first.strftime(pattern)
        if self.last != self.first:
            text += " – " + self.last.strftime(pattern)
        return f"{text}: {self.label}" if self.label else text


def _line_error(number: int, line: str) -> DomainError:
    return DomainError(
        _l(
            'Line %(number)s, "%(line)s", is not a day or a period. Write for example '
            "28-12-2026, or 28-12-2026 – 31-12-2026, or 27-12 – 31-12 for every year.",
            number=number,
            line=line,
        ),
        "closed_days",
    )


def _day(token: str) -> tuple[date, bool] | None:
    """(the day, every year) of one written day; None when it is no day."""
    parts = re.split(r"[-/.]", token)
    try:
        if len(parts) == 3 and len(parts[0]) == 4:
            return date(int(parts[0]), int(parts[1]), int(parts[2])), False
        if len(parts) == 3 and len(parts[2]) == 4:
            return date(int(parts[2]), int(parts[1]), int(parts[0])), False
        if len(parts) == 2 and len(parts[0]) <= 2:
            return date(_ANY_YEAR, int(parts[1]), int(parts[0])), True
    except ValueError:
        return None
    return None


def parse_closed_days(text: str | None) -> list[ClosedPeriod]:
    """The extra closed days as written on the settings page, one per line; DomainError
    (field closed_days) naming the first line that is not a day or a period."""
    periods = []
    lines = [line.strip() for line in (text or "").splitlines()]
    lines = [line for line in lines if line]
    if len(lines) > MAX_LINES:
        raise DomainError(
            _l("At most %(count)s lines of closed days.", count=MAX_LINES), "closed_days"
        )
    for number, line in enumerate(lines, 1):
        written, _colon, label = line.partition(":")
        label = " ".join(label.split()) or None
        tokens = _DAY.findall(written)
        rest = " ".join(_DAY.sub(" ", written).split()).casefold()
        days = [_day(token) for token in tokens]
        if not 1 <= len(days) <= 2 or None in days or rest not in _SEPARATORS:
            raise _line_error(number, line)
        if (len(days) == 1) != (rest == ""):
            raise _line_error(number, line)
        (first, yearly), (last, last_yearly) = days[0], days[-1]
        if yearly != last_yearly:
            raise DomainError(
                _l(
                    'Line %(number)s, "%(line)s": write both days with a year, or both '
                    "without one (every year).",
                    number=number,
                    line=line,
                ),
                "closed_days",
            )
        if not yearly and last < first:
            raise DomainError(
                _l(
                    'Line %(number)s, "%(line)s": the period ends before it starts.',
                    number=number,
                    line=line,
                ),
                "closed_days",
            )
        if label and len(label) > MAX_LABEL:
            raise DomainError(
                _l(
                    "This text is too long: at most %(limit)s characters.",
                    limit=MAX_LABEL,
                ),
                "closed_days",
            )
        periods.append(ClosedPeriod(first, last, yearly, label))
    return periods


def normalise_closed_days(text: str | None) -> str | None:
    """The extra closed days in the form they are kept in; None when there are none."""
    return "\n".join(period.text for period in parse_closed_days(text)) or None


# --- Public holidays ----------------------------------------------------------------------


def countries() -> dict[str, list[str]]:
    """Country code -> its region codes, of every country the `holidays` package knows."""
    return holidays.list_supported_countries(include_aliases=False)


def country_choices(locale: str) -> list[tuple[str, str]]:
    """(code, name in `locale`) of every supported country, by name."""
    from babel import Locale

    names = Locale.parse(locale).territories
    choices = [(code, names.get(code, code)) for code in countries()]

    def key(choice):
        return unicodedata.normalize("NFKD", choice[1]).casefold()

    return sorted(choices, key=key)


def check_region(country: str | None, region: str | None) -> tuple[str | None, str | None]:
    """The country and region as kept (codes as the `holidays` package writes them);
    DomainError when the package does not know them."""
    country = (country or "").strip().upper() or None
    region = (region or "").strip() or None
    if country is None:
        return None, None
    if country not in countries():
        raise DomainError(_l("Choose a country from the list."), "holiday_country")
    if region is None:
        return country, None
    known = holidays.list_supported_countries(include_aliases=True).get(country, [])
    match = {code.casefold(): code for code in known}.get(region.casefold())
    if match is None:
        if not known:
            raise DomainError(
                _l("This country has the same public holidays everywhere: leave the region empty."),
                "holiday_region",
            )
        raise DomainError(
            _l(
                "Choose one of these regions, or leave it empty: %(regions)s.",
                regions=", ".join(known),
            ),
            "holiday_region",
        )
    return country, match


@lru_cache(maxsize=64)
def _languages(country: str) -> tuple[str, ...]:
    return tuple(holidays.country_holidays(country).supported_languages)


@lru_cache(maxsize=256)
def _public_holidays(
    country: str, region: str | None, year: int, language: str | None
) -> dict[date, str]:
    languages = _languages(country)
    wanted = {"nl": "nl", "en": "en_US"}.get(language or "")
    calendar = holidays.country_holidays(
        country, subdiv=region, years=year, language=wanted if wanted in languages else None
    )
    return dict(calendar.items())


# --- The organisation's closed days -------------------------------------------------------


@dataclass(frozen=True)
class Closure:
    """Why a day is closed: a public holiday (its name) or an extra closed day (its
    description, if it has one)."""

    holiday: bool
    name: str | None


class ClosedDays:
    """The organisation's closed days: ask it whether a day is closed and which working day
    comes next. Holiday names are in `language` ('nl' or 'en')."""

    def __init__(
        self,
        country: str | None,
        region: str | None = None,
        periods: list[ClosedPeriod] = (),
        language: str | None = None,
    ):
        self.country = country
        self.region = region
        self.periods = list(periods)
        self.language = language

    def closure(self, day: date) -> Closure | None:
        if self.country:
            name = _public_holidays(self.country, self.region, day.year, self.language).get(day)
            if name is not None:
                return Closure(True, name)
        for period in self.periods:
            if period.covers(day):
                return Closure(False, period.label)
        return None

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and self.closure(day) is None

    def next_working_day(self, day: date) -> date | None:
        """The first working day (Monday to Friday, not closed) after `day`, if there is
        one within a month."""
        for offset in range(1, SEARCH_DAYS + 1):
            following = day + timedelta(days=offset)
            if self.is_working_day(following):
                return following
        return None

    def closed_working_days(self, start: date, end: date) -> list[tuple[date, Closure]]:
        """Closed days from Monday to Friday, from `start` to `end`."""
        days = []
        day = start
        while day <= end:
            closure = self.closure(day) if day.weekday() < 5 else None
            if closure is not None:
                days.append((day, closure))
            day += timedelta(days=1)
        return days


def closed_days() -> ClosedDays:
    """The organisation's closed days (its settings), holiday names in the language of the
    request (the organisation's outside one)."""
    from tracker.organisation.queries import get_organisation

    organisation = get_organisation()
    locale = get_locale()
    language = locale.language if locale is not None else organisation.default_locale
    return ClosedDays(
        organisation.holiday_country,
        organisation.holiday_region,
        parse_closed_days(organisation.closed_days),
        language=language,
    )
