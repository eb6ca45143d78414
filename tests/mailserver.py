"""A real SMTP server on loopback (aiosmtpd) for the mail tests, and fixtures that point the
app at it. Import the fixtures into a test module: `from tests.mailserver import mail_server`.
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from dataclasses import dataclass

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: email.message.EmailMessage
    raw: bytes
    #: Whether the session was encrypted (SMTPS or after STARTTLS).
    tls: bool = False

    @property
    def to(self) -> str:
        return self.rcpt_tos[0]

    def text(self) -> str:
        return self.message.get_body(("plain",)).get_content()

    def html(self) -> str:
        return self.message.get_body(("html",)).get_content()


def _encrypted(server, session) -> bool:
    if getattr(session, "ssl", None):  # after STARTTLS
        return True
    transport = getattr(server, "transport", None)
    return transport is not None and transport.get_extra_info("ssl_object") is not None


class Recorder:
    """aiosmtpd handler: keeps every accepted message; can refuse chosen recipients."""

    def __init__(self):
        self.messages: list[Received] = []
        self.sessions: list = []
        #: address -> SMTP reply for RCPT TO, e.g. "550 5.1.1 No such user".
        self.refuse: dict[str, str] = {}
        #: Called with the received message before "250" is answered.
        self.on_data = None
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        received = Received(
            envelope.mail_from,
            list(envelope.rcpt_tos),
            message,
            envelope.content,
            tls=_encrypted(server, session),
        )
        with self.lock:
            self.messages.append(received)
            if not any(s is session for s in self.sessions):
                self.sessions.append(session)
        if self.on_data:
            self.on_data(received)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Received]:
        return [m for m in self.messages if address in m.rcpt_tos]


class MailServer:
    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.recorder = Recorder()
        self.controller: Controller | None = None

    def start(self) -> MailServer:
        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self) -> list[Received]:
        return self.recorder.messages

    @property
    def connections(self) -> int:
        return len(self.recorder.sessions)


@pytest.fixture
def mail_server(app):
    """A running SMTP server, with the app's MAIL_* settings pointing at it."""
    server = MailServer().start()
    saved = {k: app.config.get(k) for k in ("MAIL_SERVER", "MAIL_PORT", "MAIL_TIMEOUT")}
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_TIMEOUT=5)
    try:
        yield server
    finally:
        server.stop()
        app.config.update(saved)
