"""Start the test OpenID provider (provider.mjs, panva's oidc-provider under Node) on a free
loopback port, change its people between sign-ins, and walk its sign-in pages over HTTP."""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import subprocess
import tempfile
import time
from html import unescape
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests

HERE = Path(__file__).resolve().parent
CLIENT_ID = "tracker"
CLIENT_SECRET = "tracker-test-secret"
#: A second application at the same provider, with the same redirect URI.
OTHER_CLIENT_ID = "intranet"
OTHER_CLIENT_SECRET = "intranet-test-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Provider:
    def __init__(self, issuer: str, state_file: Path):
        self.issuer = issuer
        self.state_file = state_file
        self.state = {"accounts": {}, "id_token_audience": None}
        self.save()

    def save(self) -> None:
        self.state_file.write_text(json.dumps(self.state))

    def reset(self) -> None:
        self.state = {"accounts": {}, "id_token_audience": None}
        self.save()

    def set_account(self, sub: str, **claims) -> None:
        """Add or change a person at the provider (email, email_verified, name, groups…)."""
        account = self.state["accounts"].setdefault(sub, {})
        account.update(claims)
        self.save()

    def issue_tokens_for(self, audience: str | None) -> None:
        self.state["id_token_audience"] = audience
        self.save()

    def sign_in(
        self,
        authorize_url: str,
        sub: str,
        redirect_uri: str,
        session: requests.Session | None = None,
        cancel: bool = False,
    ) -> str:
        """Follow the provider's pages from the authorization URL, log in as `sub` on its
        login form (any password) — or press its Cancel link — and return the URL it sends
        the browser back to."""
        session = session or requests.Session()
        url, form = authorize_url, None
        for _ in range(12):
            if form is None:
                response = session.get(url, allow_redirects=False, timeout=10)
            else:
                response = session.post(url, data=form, allow_redirects=False, timeout=10)
            form = None
            if response.is_redirect:
                url = urljoin(url, response.headers["Location"])
                if url.startswith(redirect_uri):
                    return url
                continue
            action = re.search(r'<form[^>]*action="([^"]+)"', response.text)
            if response.status_code == 200 and action and 'name="login"' in response.text:
                if cancel:
                    link = re.search(r'<a href="([^"]+)">\[ Cancel \]</a>', response.text)
                    url = urljoin(url, unescape(link.group(1)))
                    continue
                url = urljoin(url, unescape(action.group(1)))
                form = {"prompt": "login", "login": sub, "password": "any password"}
                continue
            raise AssertionError(
                f"unexpected answer from the provider at {url}: {response.status_code} "
                f"{response.text[:500]}"
            )
        raise AssertionError("the provider never sent the browser back")


@contextlib.contextmanager
def running_provider(redirect_uris: list[str]):
    """A provider on 127.0.0.1:<free port> with the clients `tracker` and `intranet`, both
    allowed to send people back to `redirect_uris`; stopped when the block ends."""
    if not (HERE / "node_modules" / "oidc-provider").is_dir():
        raise RuntimeError(
            "tests/oidc/node_modules is missing: run `make test` or `cd tests/oidc && npm ci` first"
        )
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        provider = Provider(issuer, Path(tmp) / "state.json")
        clients = [
            {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "redirect_uris": redirect_uris,
            },
            {
                "client_id": OTHER_CLIENT_ID,
                "client_secret": OTHER_CLIENT_SECRET,
                "redirect_uris": redirect_uris,
            },
        ]
        log = open(Path(tmp) / "provider.log", "w+")  # noqa: SIM115 - open while node runs
        process = subprocess.Popen(
            ["node", str(HERE / "provider.mjs")],
            cwd=HERE,
            env={
                **os.environ,
                "PORT": str(port),
                "ISSUER": issuer,
                "CLIENTS": json.dumps(clients),
                "STATE_FILE": str(provider.state_file),
            },
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_for_discovery(issuer, process, log)
            yield provider
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()


def _wait_for_discovery(issuer: str, process: subprocess.Popen, log) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"the test provider stopped: {log.read()}")
        with contextlib.suppress(requests.RequestException):
            answer = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=2)
            if answer.ok and answer.json().get("issuer") == issuer:
                return
        time.sleep(0.1)
    raise RuntimeError("the test provider did not answer discovery within 30 seconds")


def query_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"
