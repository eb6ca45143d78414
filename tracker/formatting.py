"""Locale-aware display of dates and numbers, and template helpers."""

import re
from collections.abc import Callable
from datetime import datetime

from babel.numbers import NumberPattern, parse_pattern
from flask import Flask
from flask_babel import format_date, format_datetime, format_decimal, get_locale
from flask_babel import gettext as _

#: Parsed number patterns by digits: babel parses a pattern string on every call, and pages
#: show hundreds of numbers.
_PATTERNS: dict[int, NumberPattern] = {}


def number(value, digits: int = 1) -> str:
    """7.4 -> '7,4' in Dutch, '7.4' in English; None -> an en dash."""
    if value is None:
        return "–"
    pattern = _PATTERNS.get(digits)
    if pattern is None:
        pattern = _PATTERNS[digits] = parse_pattern(f"#,##0.{'0' * digits}" if digits else "#,##0")
    return format_decimal(value, format=pattern)


#: What XML 1.0 cannot hold (lxml refuses the whole document): control characters but tab and
#: line breaks, lone surrogates, U+FFFE and U+FFFF. Text people typed may contain them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def xml_text(value) -> str:
    """Text as every export (Word, Excel, Atom, iCalendar) can hold it: the characters XML
    cannot hold removed, line ends as \\n. None -> ''."""
    if value is None:
        return ""
    return _NOT_XML.sub("", str(value).replace("\r\n", "\n").replace("\r", "\n"))


#: The one short form of a day ("di 3 maart 2026", "Tue 3 March 2026") and of a time ("10:00"):
#: no seconds, no time zone name, the same on every page and in every mail.
DAY_PATTERN = "EEE d MMMM y"
TIME_PATTERN = "HH:mm"


def day(value) -> str:
    """A date (or the local day of a datetime) as "di 3 maart 2026"; None -> an en dash."""
    if value is None:
        return "–"
    if isinstance(value, datetime):
        return format_datetime(value, DAY_PATTERN)
    return format_date(value, DAY_PATTERN)


def moment(value) -> str:
    """A datetime in the organisation's time zone as "di 3 maart 2026 om 10:00"."""
    if value is None:
        return "–"
    return _("%(day)s at %(time)s", day=day(value), time=format_datetime(value, TIME_PATTERN))


def time_of_day(value) -> str:
    return format_datetime(value, TIME_PATTERN) if value else "–"


#: Where the organisation's anonymity threshold is read (a setting, kept per data version):
#: set by the organisation area at set-up, so this module imports no area.
_anonymity_threshold: Callable[[], int] | None = None


def use_anonymity_threshold_of(source: Callable[[], int]) -> None:
    global _anonymity_threshold
    _anonymity_threshold = source


def people_count(value, threshold: int | None = None) -> str:
    """A number of respondents or answers as anyone may see it: under the anonymity
    threshold "fewer than 5", never the number (it would tell how small the group is)."""
    if value is None:
        return "–"
    if threshold is None:
        threshold = _anonymity_threshold()
    if value < threshold:
        return _("fewer than %(n)d", n=threshold)
    return str(value)


def init_app(app: Flask) -> None:
    # The format argument of the filters is kept for the templates that pass one, but every
    # page shows the same short forms (see DAY_PATTERN).
    app.jinja_env.filters["date"] = lambda value, fmt=None: day(value)
    app.jinja_env.filters["datetime"] = lambda value, fmt=None: moment(value)
    app.jinja_env.filters["time"] = time_of_day
    app.jinja_env.filters["number"] = number
    app.jinja_env.filters["people"] = people_count

    @app.context_processor
    def layout_context():
        from flask_login import current_user

        # The language form and Role come from auth, the organisation's name from
        # organisation (their blueprints add them): this module imports no area.
        return {"current_locale": str(get_locale()), "user": current_user}
