"""Turning a template into a message: text and HTML in the recipient's language, absolute
links from BASE_URL, signed one-click links, a deterministic Message-ID.

Templates live in `templates/emails/<name>.txt` and `<name>.html`. They are rendered with the
app's Jinja environment directly (no request, no context processors), so jobs can render
them; everything a template needs is passed in.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import force_locale
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from tracker.rendering import absolute_url

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_SPACES = re.compile(r"\s+")

SIGNED_LINK_SALT = "tracker.signed-link"


def one_line(text: str | None, limit: int | None = None) -> str:
    """Text for a mail header: no line breaks or control characters (so nothing a user
    typed can start a header of its own), runs of white space collapsed."""
    value = _SPACES.sub(" ", _CONTROL.sub(" ", text or "")).strip()
    if limit and len(value) > limit:
        value = value[: limit - 1].rstrip() + "…"
    return value


def render_message(name: str, locale: str, **context) -> tuple[str, str]:
    """(text, html) of `templates/emails/<name>.{txt,html}` in `locale`."""
    env = current_app.jinja_env
    context["locale"] = locale
    with force_locale(locale):
        text = env.get_template(f"emails/{name}.txt").render(**context)
        html = env.get_template(f"emails/{name}.html").render(**context)
    return _tidy_text(text), html


def _tidy_text(text: str) -> str:
    """Templates leave blank lines where blocks were skipped: at most one in a row."""
    # "-- " (with its space) is the signature delimiter mail programs recognise.
    lines = [line if line == "-- " else line.rstrip() for line in text.strip().splitlines()]
    tidy: list[str] = []
    for line in lines:
        if line or (tidy and tidy[-1]):
            tidy.append(line)
    return "\n".join(tidy) + "\n"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SIGNED_LINK_SALT)


def signed_link(path: str, user_id: int) -> str:
    """A one-click link that leads to `path` (a path inside the app, may carry a #anchor).

    It expires after SIGNED_LINK_MAX_AGE_DAYS and still requires log-in: it only saves the
    recipient from finding the page; what they may do there is decided by the page."""
    if not path.startswith("/") or path.startswith("//"):
        raise ValueError("signed links lead to paths inside the app")
    token = _serializer().dumps({"p": path, "u": user_id})
    return absolute_url("notifications.signed_link", link=token)


class LinkExpired(Exception):
    pass


def read_signed_link(token: str) -> tuple[str, int]:
    """(path, user id) of a signed link; LinkExpired when too old, BadSignature when forged."""
    max_age = int(current_app.config["SIGNED_LINK_MAX_AGE_DAYS"]) * 86400
    try:
        data = _serializer().loads(token, max_age=max_age)
    except SignatureExpired as error:
        raise LinkExpired() from error
    if not isinstance(data, dict) or not isinstance(data.get("p"), str):
        raise BadSignature("unexpected payload")
    path = data["p"]
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        raise BadSignature("not a path inside the app")
    return path, data.get("u")


def message_id_for(key: str) -> str:
    """The same key always gives the same Message-ID, so a copy sent again after an
    interruption is recognisable as the same message."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "tracker.invalid"
    return f"<{digest}@{host}>"


def app_path(endpoint: str, **values) -> str:
    """The path of a page inside the app, without any prefix BASE_URL may have."""
    return current_app.url_map.bind("localhost").build(endpoint, values)
