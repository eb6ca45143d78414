"""What comes in is bounded before any route sees it, so no value someone can type or forge
reaches the database as something it cannot hold:

- numbers in addresses (`<int:...>`) beyond 64 bits are "not found", not an overflow;
- whole numbers read from the query string or a form with `.get(name, type=int)` beyond 64
  bits count as absent, like any other value that is not a number;
- text in the query string and forms loses the control characters no one types (NUL, which
  PostgreSQL refuses, escape codes, ...); tab and line breaks stay.

Dates outside 1900-2100 are refused by the forms' date field (tracker.forms.DayField)."""

from __future__ import annotations

import re

from flask import Request as FlaskRequest
from werkzeug.datastructures import ImmutableMultiDict, iter_multi_items
from werkzeug.routing import IntegerConverter

#: The largest id the databases hold (BIGINT; SQLite's INTEGER).
MAX_ID = 2**63 - 1
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def clean_text(value: str) -> str:
    return _CONTROL.sub("", value)


class IdConverter(IntegerConverter):
    """`<int:...>` for ids: at most 64 bits; a larger number is a 404 like any unknown id."""

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):
        super().__init__(map, fixed_digits, min, MAX_ID if max is None else max, signed)


class CleanMultiDict(ImmutableMultiDict):
    """The query string and form values: without control characters; `get(..., type=int)`
    gives the default for a number beyond 64 bits."""

    def __init__(self, mapping=None):
        if mapping is None:
            super().__init__()
            return
        super().__init__(
            [
                (key, clean_text(value) if isinstance(value, str) else value)
                for key, value in iter_multi_items(mapping)
            ]
        )

    def get(self, key, default=None, type=None):
        if type is int:
            number = super().get(key, None, int)
            return number if number is not None and -MAX_ID <= number <= MAX_ID else default
        return super().get(key, default, type)


class Request(FlaskRequest):
    parameter_storage_class = CleanMultiDict


def id_or_none(text) -> int | None:
    """An id typed or sent as text: a whole number the database can hold, else None."""
    text = str(text or "").strip()
    if not text.isdigit():
        return None
    number = int(text)
    return number if number <= MAX_ID else None


def whole_number(value) -> int:
    """`coerce` of choice fields whose choices are ids: a number beyond 64 bits is not a
    valid choice (WTForms shows that next to the field), instead of reaching the database."""
    number = int(value)
    if not -MAX_ID <= number <= MAX_ID:
        raise ValueError("out of range")
    return number
