"""A webhook receiver for tests: a small ASGI app that verifies every request as a partner would.

Each path (``/a``, ``/internal``, …) is one :class:`Inbox` with the secrets it knows and a
script of failures to serve before it answers 200. Verification uses the ``standardwebhooks``
package, independently of our signing code. Only requests answered 2xx count as received.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from standardwebhooks import Webhook, WebhookVerificationError


@dataclass(frozen=True)
class Reply:
    status: int = 200
    delay: float = 0.0  # seconds to stall before answering (a timeout when longer than the client waits)
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b"ok"


@dataclass
class Inbox:
    secrets: list[str] = field(default_factory=list)
    script: deque[Reply] = field(default_factory=deque)
    received: list[dict[str, Any]] = field(default_factory=list)  # payloads answered 2xx
    received_at: list[float] = field(default_factory=list)  # time.monotonic() of each, in the same order
    requests: list[dict[str, str]] = field(default_factory=list)  # headers of every request
    verified_with: list[list[bool]] = field(default_factory=list)  # per request: which secrets verify it
    unsigned_or_invalid: int = 0

    def fail_next(self, *replies: Reply) -> None:
        self.script.extend(replies)

    @property
    def received_ids(self) -> list[str]:
        return [p["id"] for p in self.received]


class Receiver:
    """Routes ``/<name>`` to ``inboxes[name]``; unknown paths answer 404."""

    def __init__(self, base_url: str = "") -> None:
        self.base_url = base_url  # where it is served, set by the fixture
        self.inboxes: dict[str, Inbox] = {}

    def inbox(self, name: str) -> Inbox:
        return self.inboxes.setdefault(name, Inbox())

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        inbox = self.inboxes.get(scope["path"].strip("/"))
        if inbox is None:
            await _respond(send, Reply(404, body=b"no such inbox"))
            return
        inbox.requests.append(headers)
        checks = [_verifies(secret, body, headers) for secret in inbox.secrets]
        inbox.verified_with.append(checks)
        if not checks or not any(checks):
            inbox.unsigned_or_invalid += 1
            await _respond(send, Reply(401, body=b"bad signature"))
            return
        reply = inbox.script.popleft() if inbox.script else Reply()
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if 200 <= reply.status < 300:
            inbox.received.append(json.loads(body))
            inbox.received_at.append(time.monotonic())
        await _respond(send, reply)


def _verifies(secret: str, body: bytes, headers: dict[str, str]) -> bool:
    try:
        Webhook(secret).verify(body, headers)
    except WebhookVerificationError:
        return False
    return True


async def _respond(send: Any, reply: Reply) -> None:
    headers = [(b"content-type", b"text/plain"), *((k.encode(), v.encode()) for k, v in reply.headers)]
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": reply.body})


def reserved_port() -> socket.socket:
    """A loopback socket bound but not listening: connections to its port are refused until it serves."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def serve_on(sock: socket.socket, app: Any) -> Iterator[str]:
    """Serve ``app`` on an already bound socket (so a refused port can start answering)."""
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", ws="none"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.005)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(5)
