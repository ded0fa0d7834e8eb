"""``ETag`` on every successful ``/v1`` read, and ``304 Not Modified`` for ``If-None-Match``.

The tag is the SHA-256 of the response body, so it changes exactly when what the client would
receive changes (status, amounts, allocations, the page's cursor). The body is still computed to
compare; what a match saves is the transfer and the client's parsing, which is what a service
polling "is this paid?" all day pays for. A plain ASGI middleware: it buffers only ``/v1`` GET
responses, which are JSON of bounded size (pages are capped).
"""

from __future__ import annotations

import hashlib
from typing import Any

Scope = dict[str, Any]
Message = dict[str, Any]


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:40] + '"'


def matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110 weak comparison: ``W/`` prefixes are ignored; ``*`` matches any current representation."""
    wanted = etag.removeprefix("W/")
    for candidate in if_none_match.split(","):
        tag = candidate.strip()
        if tag == "*" or tag.removeprefix("W/") == wanted:
            return True
    return False


class ETagMiddleware:
    def __init__(self, app: Any, prefix: str = "/v1/") -> None:
        self.app, self.prefix = app, prefix

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in ("GET", "HEAD")
            or not scope["path"].startswith(self.prefix)
        ):
            await self.app(scope, receive, send)
            return
        if_none_match = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"if-none-match"), None)
        start: Message | None = None
        chunks: list[bytes] = []

        async def buffered(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            await self._finish(start, b"".join(chunks), if_none_match, send)

        await self.app(scope, receive, buffered)

    @staticmethod
    async def _finish(start: Message, body: bytes, if_none_match: str | None, send: Any) -> None:
        if start["status"] != 200:
            await send(start)
            await send({"type": "http.response.body", "body": body})
            return
        tag = etag_of(body)
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"etag"]
        if if_none_match is not None and matches(if_none_match, tag):
            kept = [(k, v) for k, v in headers if k.lower() not in (b"content-length", b"content-type")]
            await send({"type": "http.response.start", "status": 304, "headers": [*kept, (b"etag", tag.encode())]})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({**start, "headers": [*headers, (b"etag", tag.encode())]})
        await send({"type": "http.response.body", "body": body})
