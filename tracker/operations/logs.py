"""The tracker's log: one JSON object per line (python-json-logger), so nothing a user typed
can start a line of its own, and every line of a request carries its request id.

The request id comes from `X-Request-ID` when a trusted proxy sets it (PROXY_FIX on, and a
plain token of at most 64 characters), else it is generated; it is returned in the response
header and shown on the error page, so a user's report can be found in the log. The request
line holds the route (its URL rule), the path with secrets taken out, the status, the
duration and the user id; never a query string or a form body.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, g, has_request_context, request, session
from pythonjsonlogger.json import JsonFormatter

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
#: URL arguments that are secrets (password links, calendar feeds, signed links): left out.
_SECRET_ARGUMENT = re.compile(r"token|secret|signature", re.IGNORECASE)


class RequestContext(logging.Filter):
    """Adds the request id (and route) to every record logged during a request."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            record.request_id = g.get("request_id", "-")
        return True


def formatter() -> logging.Formatter:
    return JsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        timestamp=False,
    )


def safe_path() -> str:
    """The request's path with the values of secret URL arguments replaced by "…"."""
    path = request.path
    for name, value in (request.view_args or {}).items():
        if _SECRET_ARGUMENT.search(name) and isinstance(value, str) and value:
            path = path.replace(value, "…")
    return path


def signed_in_id() -> str | None:
    """The signed-in person's id, without loading them from the database when the request
    did not: a health check, a static file or a page during a database outage must not ask
    the database just to be logged."""
    user = g.get("_login_user")
    if user is not None:
        return user.get_id() if user.is_authenticated else None
    return session.get("_user_id")


def init_app(app: Flask, handler: logging.Handler) -> None:
    handler.setFormatter(formatter())
    # Flask only adds its handler when nothing else handles the logger (a test runner's
    # capture does); always write the tracker's own lines the same way.
    if handler not in app.logger.handlers:
        app.logger.addHandler(handler)
    if not any(isinstance(f, RequestContext) for f in handler.filters):
        handler.addFilter(RequestContext())
    log = logging.getLogger("tracker.requests")

    @app.before_request
    def _start() -> None:
        g.request_started = time.perf_counter()
        incoming = request.headers.get("X-Request-ID", "")
        trusted = app.config.get("PROXY_FIX") and _REQUEST_ID.match(incoming)
        g.request_id = incoming if trusted else uuid.uuid4().hex

    @app.after_request
    def _log(response):
        started = g.get("request_started")
        duration = (time.perf_counter() - started) * 1000 if started else 0.0
        signed_in = signed_in_id()
        user_id = signed_in.split(":")[0] if signed_in else None
        route = request.url_rule.rule if request.url_rule is not None else None
        response.headers["X-Request-ID"] = g.get("request_id", "-")
        log.info(
            "%s %s %s %.1fms user=%s",
            request.method,
            safe_path(),
            response.status_code,
            duration,
            user_id or "-",
            extra={
                "method": request.method,
                "route": route,
                "path": safe_path(),
                "status": response.status_code,
                "duration_ms": round(duration, 1),
                "user_id": int(user_id) if user_id else None,
            },
        )
        return response
