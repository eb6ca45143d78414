"""No input makes the app fail: every route, as every kind of user, with ids beyond 64 bits,
negative and non-numeric numbers, dates outside 1900-2100, control characters (NUL among
them: PostgreSQL refuses it in text), invalid UTF-8 and very long values, in the address,
the query string and every form field the app knows. Any 5xx fails the test; the answer
must be a page, a redirect, 400, 403, 404 or 405 (on SQLite and PostgreSQL alike)."""

from __future__ import annotations

import traceback

import pytest
from flask import got_request_exception
from flask_wtf import FlaskForm
from wtforms.fields.core import UnboundField

from tests.functional.test_authorization import BEARER_TOKEN_ONLY, EXPECTED, _world

#: One request per set: every value of the query string and of the form gets it.
HOSTILE = {
    "numbers": "9" * 30,  # beyond 64 bits
    "negative": "-1",
    "far-future": "9999-12-31",
    "long-ago": "0001-01-01",
    "words": "abc",
    "control": "a\x00b\x07c\x1bd\r\ne\x7f",
    "long": "x" * 60_000,
}
#: Names the app reads from the query string (filters, pages, choices).
QUERY_NAMES = (
    "page",
    "department",
    "department_id",
    "status",
    "owner",
    "q",
    "since",
    "until",
    "closed",
    "round",
    "round_id",
    "theme",
    "size",
    "template",
    "finding",
    "next",
    "kind",
    "actor",
    "action",
    "explanation",
    "sort",
    "lang",
    "overdue",
    "quick_win",
    "visibility",
)
SKIPPED = {"static", "bootstrap.static", "auth.oidc_login", "auth.oidc_callback"}
ROLES = ("admin", "director", "employee")


def _form_field_names() -> set[str]:
    names: set[str] = set()
    forms = list(FlaskForm.__subclasses__())
    while forms:
        form = forms.pop()
        forms.extend(form.__subclasses__())
        names |= {n for n in dir(form) if isinstance(getattr(form, n, None), UnboundField)}
    return names - {"csrf_token", "submit"}


def _urls(rule, values) -> list[str]:
    """The route with the world's values, and with each number in the address too big."""
    arguments = {**values, **values.get("per_endpoint", {}).get(rule.endpoint, {})}
    build = {k: v for k, v in arguments.items() if k in rule.arguments}
    urls = [rule.build(build, append_unknown=False)[1]]
    for name, converter in rule._converters.items():
        if converter.__class__.__name__.lower().startswith(("integer", "id")):
            urls.append(rule.build({**build, name: 2**70}, append_unknown=False)[1])
    return urls


@pytest.mark.parametrize("role", ROLES)
def test_no_route_answers_5xx_to_hostile_input(ctx, app, make_client, monkeypatch, role):
    # Answer as in production (a 500 page), so every failure is collected, not raised.
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    users, values = _world()
    fields = sorted(_form_field_names())
    raised: list[str] = []

    def remember(sender, exception, **extra):
        frames = [
            f"{f.filename.rsplit('/tracker/', 1)[-1]}:{f.lineno}"
            for f in traceback.extract_tb(exception.__traceback__)
            if "/tracker/" in f.filename
        ]
        raised.append(f"{type(exception).__name__}: {str(exception)[:120]} at {frames[-3:]}")

    got_request_exception.connect(remember, app)
    client = make_client()
    assert client.login(users[role].email).status_code == 302
    failures = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint in SKIPPED or rule.endpoint in BEARER_TOKEN_ONLY:
            continue
        assert rule.endpoint in EXPECTED
        for url in _urls(rule, values):
            for label, value in HOSTILE.items():
                responses = []
                if "GET" in rule.methods:
                    query = {name: value for name in QUERY_NAMES}
                    responses.append(client.get(url, query_string=query))
                if "POST" in rule.methods:
                    responses.append(client.post(url, {name: value for name in fields}))
                for response in responses:
                    if response.status_code >= 500:
                        failures.append(
                            f"{rule.endpoint} {url} [{label}]: {response.status_code} "
                            + (raised[-1] if raised else "")
                        )
            # Invalid UTF-8 in the address and the body.
            raw = client.get(url + "?q=%ED%A0%80&page=%FF")
            if raw.status_code >= 500:
                failures.append(f"{rule.endpoint} {url} [invalid utf-8]: {raw.status_code}")
    got_request_exception.disconnect(remember, app)
    assert not failures, "\n".join(failures)
