"""Templates only show what their route passed: no template calls a query, a service or a
permission check that the app offers every template (a context processor, a Jinja global,
test or filter). Such a helper runs a query from the middle of a page, once per row when it
sits in a loop, where no query count of the route sees it coming."""

from __future__ import annotations

import inspect
import re
import types
from pathlib import Path

from flask_login import login_user

from tests.factories import make_user
from tracker.auth.models import Role

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
#: The modules that read or change the database, or decide who may.
LOOKING_UP = re.compile(r"^tracker\.\w+\.(queries|services|effects|permissions)$")


def _looks_up(value) -> bool:
    """A function of such a module, or one that calls one (a closure in a routes.py); the
    constants of such a module (a message's prefix) may be read."""
    if not inspect.isfunction(value):
        return False
    if LOOKING_UP.match(value.__module__ or ""):
        return True
    found = inspect.getclosurevars(value)
    for used in [*found.globals.values(), *found.nonlocals.values()]:
        if inspect.isfunction(used) and LOOKING_UP.match(used.__module__ or ""):
            return True
        # `queries.has_actions(...)`: a function of such a module, read as its attribute.
        if (
            isinstance(used, types.ModuleType)
            and LOOKING_UP.match(used.__name__)
            and any(callable(getattr(used, name, None)) for name in value.__code__.co_names)
        ):
            return True
    return False


def _offered_helpers(app) -> dict[str, object]:
    """Everything every template can call: the context processors' values, the globals, the
    tests and the filters."""
    offered = {}
    with app.test_request_context("/"):
        login_user(make_user(Role.employee, email="helpers@example.org"))
        for processors in app.template_context_processors.values():
            for processor in processors:
                offered.update(processor())
    offered.update(app.jinja_env.globals)
    offered.update(app.jinja_env.tests)
    offered.update(app.jinja_env.filters)
    return offered


def _forbidden_helpers(app) -> set[str]:
    return {name for name, value in _offered_helpers(app).items() if _looks_up(value)}


def test_the_scan_recognises_a_helper_that_queries(ctx, app):
    # The scan is only worth something if it sees a query helper, directly or in a closure.
    from tracker.actions import queries

    def my_actions_exist(user):
        return queries.has_actions(user)

    assert _looks_up(queries.has_actions)
    assert _looks_up(my_actions_exist)
    assert not _looks_up(lambda: 1)


def test_no_template_calls_a_query_service_or_permission_helper(ctx, app):
    forbidden = _forbidden_helpers(app)
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")) + sorted(TEMPLATES.rglob("*.txt")):
        text = re.sub(r"{#.*?#}", "", path.read_text(), flags=re.S)
        for name in forbidden:
            if re.search(rf"\b{re.escape(name)}\b", text):
                found.append(f"{path.relative_to(TEMPLATES)}: {name}")
    assert not found, "templates that look things up themselves: " + ", ".join(found)


def test_no_helper_that_queries_is_offered_to_templates(ctx, app):
    # None in use is good; none on offer keeps the next page from starting again.
    assert _forbidden_helpers(app) == set()
