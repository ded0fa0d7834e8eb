"""Run any ASGI app on a real loopback socket for the duration of a test.

    with serve_asgi(create_app()) as base_url:
        httpx.get(f"{base_url}/sandbox/health")

The socket is bound by us (port 0 = the OS picks a free one) and handed to uvicorn, so there is
no race between "find a free port" and "bind it". uvicorn runs in a daemon thread; leaving the
block asks it to exit and waits for the thread, so no server outlives its test.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

_START_TIMEOUT = 10.0


class AppSlot:
    """An ASGI app that forwards to whichever app is in the slot now.

    Starting uvicorn costs ~0.2 s; building a fresh app per test is cheap. Serve one slot per
    module and put a fresh app in it per test: isolated state, one server.
    """

    def __init__(self, app: Any = None) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if self.app is None:
            raise RuntimeError("AppSlot is empty: assign .app before sending requests")
        await self.app(scope, receive, send)


@contextmanager
def serve_asgi(app: Any, *, host: str = "127.0.0.1", shutdown_timeout: float = 5.0) -> Iterator[str]:
    """Serve ``app`` on ``host`` and a free port; yield ``http://host:port``."""
    # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose proto says
    # TCP, and without it every keep-alive request waits ~40 ms on Nagle + delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="auto",  # the API's shutdown closes its async connections (shared/db_async.py)
        ws="none",  # no websockets import: keeps third-party deprecation warnings out of tests
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + _START_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not start on {host}:{port}")
            time.sleep(0.005)
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(shutdown_timeout)
        sock.close()
        if thread.is_alive():  # pragma: no cover - only when a handler ignores shutdown
            raise RuntimeError(f"uvicorn on {host}:{port} did not stop within {shutdown_timeout}s")
