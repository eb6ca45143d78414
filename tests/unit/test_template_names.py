"""No page passes a variable under a name the layout already has for everyone (`user`, the
signed-in person, in the header; `config`, `request`, `g`, ...): the page's value would
quietly replace it in every template it renders, the header included."""

from __future__ import annotations

import ast
from pathlib import Path

from flask_login import login_user

from tests.factories import make_user
from tracker.auth.models import Role

SOURCE = Path(__file__).resolve().parents[2] / "tracker"
#: The functions that hand a context to templates, and where their keywords start.
RENDERERS = {
    "render_template",
    "render_template_string",
    "kept_page",
    "_render_action",
    "render_message",
    "mail_person",
}


def _reserved_names(app) -> set[str]:
    """The template globals and everything the context processors give every template."""
    names = set(app.jinja_env.globals)
    with app.test_request_context("/"):
        login_user(make_user(Role.admin, email="names@example.org"))
        for processors in app.template_context_processors.values():
            for processor in processors:
                names.update(processor())
    return names


def _keywords_passed() -> list[tuple[str, int, str]]:
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name in RENDERERS:
                found += [
                    (str(path.relative_to(SOURCE.parent)), node.lineno, keyword.arg)
                    for keyword in node.keywords
                    if keyword.arg
                ]
    return found


def test_the_reserved_names_are_found(ctx, app):
    # The scan below is only worth something if it knows the names the header relies on.
    assert {"user", "config", "request", "session", "g", "current_user"} <= _reserved_names(app)


def test_no_page_passes_a_variable_named_like_a_template_global(ctx, app):
    reserved = _reserved_names(app)
    clashes = [(f, line, kw) for f, line, kw in _keywords_passed() if kw in reserved]
    assert clashes == []


def _names_templates_assign(env) -> list[tuple[str, int, str]]:
    from jinja2 import nodes

    found = []
    for path in sorted((SOURCE.parent / "templates").rglob("*")):
        if path.suffix not in (".html", ".txt"):
            continue
        tree = env.parse(path.read_text())
        for node in tree.find_all((nodes.Assign, nodes.For, nodes.Macro, nodes.With)):
            if isinstance(node, nodes.Macro):
                targets = node.args
            elif isinstance(node, nodes.With):
                targets = node.targets
            else:
                targets = [node.target]
            found += [
                (path.name, node.lineno, name.name)
                for target in targets
                for name in ([target] if isinstance(target, nodes.Name) else [])
                + list(target.find_all(nodes.Name))
            ]
    return found


def test_no_template_assigns_a_name_of_a_template_global(ctx, app):
    # `{% set _ = ... %}` hid gettext in the rest of the macro; `{% for g in ... %}` Flask's g.
    reserved = _reserved_names(app) | {"_", "gettext", "ngettext"}
    clashes = [
        (name, line, kw)
        for name, line, kw in _names_templates_assign(app.jinja_env)
        if kw in reserved
    ]
    assert clashes == []
