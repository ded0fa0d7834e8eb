"""A real SMTP server on loopback (aiosmtpd) that keeps what it accepts and can be told to refuse."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from shared.config import get_settings


@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: bytes

    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.data, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Mailbox:
    """The handler: stores accepted messages; ``refusals`` are answered to DATA first, one per message."""

    received: list[Received] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    counter: int = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            if self.refusals:
                return self.refusals.pop(0)
            self.counter += 1
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content)))
            return f"250 2.0.0 Ok: queued as TEST{self.counter:04d}"

    def reset(self) -> None:
        with self.lock:
            self.received.clear()
            self.refusals.clear()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    port = _free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


@pytest.fixture
def mailbox(smtp_server: tuple[Mailbox, int]) -> Mailbox:
    box, _ = smtp_server
    box.reset()
    return box


@pytest.fixture
def mail_settings(database_url: str, smtp_server: tuple[Mailbox, int], monkeypatch: pytest.MonkeyPatch) -> str:
    """The email channel on, pointed at the loopback server; quick retries."""
    _, port = smtp_server
    for name, value in {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(port),
        "SMTP_SECURITY": "none",
        "SMTP_FROM": "Сверка <noreply@sverka.example>",
        "SMTP_TIMEOUT_SECONDS": "5",
        "COMPANY_NAME": 'ООО "Сверка"',
        "COMPANY_INN": "7709876543",
        "COMPANY_KPP": "770901001",
        "ACCOUNTING_EMAIL": "buh@sverka.example",
        "PUBLIC_BASE_URL": "https://sverka.example",
        "PARTNER_LINK_SECRET": "test-partner-link-secret",
    }.items():
        monkeypatch.setenv(f"SVERKA_{name}", value)
    get_settings.cache_clear()
    return database_url
