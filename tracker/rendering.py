"""Pages whose content is rendered once per data version and reader: the pages that take long
to render however the queries are written (a meeting's agenda of hundreds of items, a
department's results with the effects of all its actions, lists with a form per row).

`kept_page` renders the content through `build()` the first time and keeps it with
`tracker.changes.kept`, keyed on the data version (any commit, on any server, drops it), the
reader (their user id: what they may see differs; never shared between readers), the
language and the application's root path, plus what the caller names. The layout around it
(the menu, messages just flashed) is rendered on every request.

The content may hold forms: their CSRF token is left out of what is kept (a mark in its
place) and filled in per request, so kept content never carries another session's token.
It is kept as UTF-8 and put into the rendered layout as bytes: a content of a megabyte is
then copied once per request, not once per step through Jinja and the response.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from urllib.parse import urlsplit

from flask import Response, current_app, g, make_response, render_template, request
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from tracker import changes

#: Stand for the CSRF token in kept content and for the content in the layout; random per
#: process, so no text typed into the tracker can be taken for them.
_TOKEN_MARK = f"csrf-{secrets.token_hex(16)}"
_CONTENT_MARK = f"content-{secrets.token_hex(16)}"


def _reader() -> tuple:
    user_id = current_user.id if current_user and current_user.is_authenticated else None
    return user_id, str(get_locale()), request.script_root


def _render_without_token(build: Callable[[], str]) -> tuple[bytes, ...]:
    # Flask-WTF keeps the request's signed token in `g` (generate_csrf); while the content is
    # rendered, forms and csrf_token() find the mark there instead.
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    had, earlier = field in g, g.get(field)
    setattr(g, field, _TOKEN_MARK)
    try:
        html = str(build())
    finally:
        if had:
            setattr(g, field, earlier)
        else:
            g.pop(field, None)
    # Cut where the token goes.
    return tuple(piece.encode() for piece in html.split(_TOKEN_MARK))


def kept_page(template: str, key: tuple, build: Callable[[], str], **context) -> Response:
    """`template` (which shows `{{ body }}`) rendered with `context` around the content that
    `build()` renders, kept per data version for this reader and `key` (name everything else
    the content depends on: the page, its ids, the day when it shows what is overdue)."""
    pieces = changes.kept(
        ("page", template, *key, *_reader()),
        lambda: _render_without_token(build),
        size=lambda pieces: sum(map(len, pieces)),
    )
    head, tail = (
        render_template(template, body=Markup(_CONTENT_MARK), **context)
        .encode()
        .split(_CONTENT_MARK.encode(), 1)
    )
    parts = [head, pieces[0]]
    if len(pieces) > 1:
        token = generate_csrf().encode()
        for piece in pieces[1:]:
            parts += [token, piece]
    parts.append(tail)
    response = make_response(b"".join(parts))
    response.mimetype = "text/html"
    return response


# --- Addresses outside a request ----------------------------------------------------------
#
# Mail, feeds, calendars and the identity provider need full addresses; every area makes
# them here, so none imports another area for it.


def absolute_url(endpoint: str, _anchor: str | None = None, **values) -> str:
    """A full URL on BASE_URL (mail has no request to take the host from)."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path.rstrip("/") or "/", url_scheme=base.scheme or "http"
    )
    url = adapter.build(endpoint, values, force_external=True)
    return f"{url}#{_anchor}" if _anchor else url


# --- Lists ---------------------------------------------------------------------------------


def list_args() -> dict:
    """The query string a list's page links carry over: without `page`, and without names
    the route takes from the address (`?department_id=x` must not replace the department)."""
    taken = set(request.view_args or {}) | {"page"}
    return {key: value for key, value in request.args.items() if key not in taken}


# --- What a higher area shows on a lower area's page --------------------------------------
#
# The survey results show each finding's actions and the effects of the department's
# actions, but `surveys` may not import `actions` (areas import downward only). The actions
# area provides that part of the page's context when the app is set up; the survey route
# asks for it by the page's name and passes it to its template with the rest.


def provide_page_context(app, page: str, provider: Callable[..., dict]) -> None:
    """Let `provider(**facts)` add to the context of `page` (an endpoint name)."""
    app.extensions.setdefault("tracker.page_context", {}).setdefault(page, []).append(provider)


def page_context(page: str, **facts) -> dict:
    """What the providers of `page` add, given the page's `facts` (its department, round,
    reader, ...)."""
    context: dict = {}
    for provider in current_app.extensions.get("tracker.page_context", {}).get(page, ()):
        context.update(provider(**facts))
    return context
