"""Every page a person reaches by following links: a breadth-first crawl with the Flask test
client, GET only, one page per kind of route (endpoint and argument names), skipping
downloads, feeds and log-out. Checks over "every page of every role" start here, so a new
page is checked the day it is linked, without a list to keep up to date."""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass
from html import unescape
from urllib.parse import urljoin, urlsplit

from flask import Flask
from werkzeug.exceptions import HTTPException

_HREF = re.compile(r'<a\b[^>]*\bhref="([^"#]*)(?:#[^"]*)?"', re.IGNORECASE)
#: Not pages: files, feeds, machine endpoints, and what ends the session.
SKIPPED_SUFFIXES = (".csv", ".xlsx", ".docx", ".ics", ".atom", ".svg", ".png", ".ico", ".json")
SKIPPED_ENDPOINTS = {
    "static",
    "bootstrap.static",
    "auth.logout",
    "operations.metrics",
    "operations.healthz",
    "operations.readyz",
    "operations.readyz_scheduler",
}


@dataclass
class Page:
    url: str
    endpoint: str
    html: str


def crawl(app: Flask, client, start: str = "/", limit: int = 400, per_kind: int = 1) -> list[Page]:
    """The pages reachable from `start` for `client`'s session, `per_kind` per kind of route
    (more than one reaches pages that show only for some records: an open action's decline
    form, a closed meeting's minutes)."""
    adapter = app.url_map.bind("localhost")
    seen_kinds: dict[tuple, int] = {}
    seen_urls: set[str] = set()
    queue = deque([start])
    pages: list[Page] = []
    while queue and len(seen_urls) < limit:
        url = queue.popleft()
        if url in seen_urls:
            continue
        seen_urls.add(url)
        parts = urlsplit(url)
        if parts.path.endswith(SKIPPED_SUFFIXES):
            continue
        try:
            endpoint, arguments = adapter.match(parts.path, method="GET")
        except HTTPException:
            continue
        if endpoint in SKIPPED_ENDPOINTS or endpoint.startswith("scim."):
            continue
        kind = (endpoint, tuple(sorted(arguments)), tuple(sorted(_query_names(parts.query))))
        if seen_kinds.get(kind, 0) >= per_kind:
            continue
        response = client.get(url)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        seen_kinds[kind] = seen_kinds.get(kind, 0) + 1
        html = response.get_data(as_text=True)
        pages.append(Page(url, endpoint, html))
        for href in _HREF.findall(html):
            target = urljoin(url, unescape(href))
            target_parts = urlsplit(target)
            if target_parts.netloc and target_parts.netloc != "localhost":
                continue
            local = target_parts.path + (f"?{target_parts.query}" if target_parts.query else "")
            if local and local not in seen_urls:
                queue.append(local)
    return pages


def _query_names(query: str) -> set[str]:
    return {pair.split("=", 1)[0] for pair in query.split("&") if pair}
