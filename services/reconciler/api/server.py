"""uvicorn's HTTP/1.1 protocols with ``TCP_NODELAY`` on every connection, whatever bound the socket.

Run the API with ``uvicorn … --workers N --loop uvloop --http
services.reconciler.api.server:NoDelayHttpToolsProtocol`` (the Procfile and docker-compose.yml do).

Why: with ``--workers N`` uvicorn's supervisor binds the listening socket itself, with ``proto`` 0,
and hands it to the workers; asyncio turns ``TCP_NODELAY`` on only for sockets that report
``IPPROTO_TCP``, so every connection keeps Nagle's algorithm (Kludex/uvicorn#3149, open as of
uvicorn 0.54). uvicorn writes a response's head and body separately, so on a keep-alive connection
the body waits for the client's delayed ACK: on Linux 40 ms for every request after a connection's
first. A service asking "is this paid?" through a connection pool paid that on every call
(``make bench-prod``, docs/benchmarks.md: p50 48 ms for one client's sequential reads, ~7 ms of it
work). A single-process uvicorn, which lets asyncio bind, was never affected; this makes both the same.

The httptools protocol (uvicorn's binding of the C parser of Node.js) is the production one: a
status read spends far less CPU parsing and writing HTTP than with the pure-Python h11. The h11
variant stays for an installation without the compiled wheels.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket

from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


def disable_nagle(transport: asyncio.BaseTransport) -> None:
    """Send small writes at once on a TCP connection (a no-op for anything else)."""
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        with contextlib.suppress(OSError):  # the peer is already gone: nothing to speed up
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class NoDelayHttpToolsProtocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]  # as uvicorn's own
        disable_nagle(transport)
        super().connection_made(transport)


class NoDelayH11Protocol(H11Protocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]  # as uvicorn's own
        disable_nagle(transport)
        super().connection_made(transport)
