"""One signed HTTP POST to one endpoint, with every limit a hostile or broken receiver could test.

No database here: the dispatcher claims a delivery, calls :meth:`Sender.send` outside any
transaction (a slow partner must not hold locks), and records the outcome afterwards.

Limits: connect and read timeouts, an overall deadline on reading the response, at most
:data:`MAX_EXCERPT_BYTES` of the response read and kept, no redirects, no proxies from the
environment, and the connection made to the address :mod:`ssrf` checked.

The ``webhook-timestamp`` comes from the wall clock (``time.time``), not from the injectable
clock that schedules retries: receivers compare it with their own clock to refuse replays, so it
must be the real moment of sending even when tests move scheduling time forward.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from services.notifier import signing
from services.notifier.repository import DeliveryJob
from services.notifier.ssrf import Resolver, UnsafeTarget, resolve_target, system_resolver
from shared.config import Settings

USER_AGENT = "Sverka-Webhooks/1"
MAX_EXCERPT_BYTES = 1024
MAX_ERROR_CHARS = 500


@dataclass(frozen=True, slots=True)
class HttpOutcome:
    """What happened on the wire: a status (with headers we act on) or an error, and how long it took."""

    status_code: int | None
    latency_ms: int
    error: str | None = None
    response_excerpt: str | None = None
    retry_after: str | None = None
    refused: bool = False  # the URL failed the SSRF check: nothing was sent


class Sender:
    """Sends deliveries over one pooled HTTP client; close it (or use ``with``) when done."""

    def __init__(
        self,
        *,
        allow_private_targets: bool,
        connect_timeout: float,
        timeout: float,
        resolver: Resolver = system_resolver,
        wall_clock: Callable[[], float] = time.time,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.allow_private_targets = allow_private_targets
        self.timeout = timeout
        self.resolver = resolver
        self.wall_clock = wall_clock
        self.client = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=connect_timeout, pool=connect_timeout),
            follow_redirects=False,
            trust_env=False,  # a proxy from the environment would connect to the name, not the checked address
            limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
            transport=transport,
        )

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> Sender:
        options: dict[str, Any] = {
            "allow_private_targets": settings.webhook_allow_private_targets,
            "connect_timeout": settings.webhook_connect_timeout_seconds,
            "timeout": settings.webhook_timeout_seconds,
        }
        return cls(**(options | overrides))

    def __enter__(self) -> Sender:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()

    def send(self, job: DeliveryJob) -> HttpOutcome:
        started = time.monotonic()
        try:
            target = resolve_target(job.url, allow_private=self.allow_private_targets, resolver=self.resolver)
        except UnsafeTarget as exc:
            return HttpOutcome(None, _ms_since(started), error=f"refused: {exc.message}", refused=True)
        body = job.body.encode()
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "accept-encoding": "identity",  # the excerpt is read raw: no decompression, no zip bombs
            "host": target.host_header,
            **signing.signed_headers(job.signing_secrets, job.event_id, int(self.wall_clock()), body),
        }
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        request = self.client.build_request(
            "POST", target.pinned_url(), content=body, headers=headers, extensions=extensions
        )
        try:
            response = self.client.send(request, stream=True)
            try:
                excerpt = self._excerpt(response, started)
            finally:
                response.close()
        except httpx.TimeoutException as exc:
            return HttpOutcome(None, _ms_since(started), error=_error("timeout", exc))
        except httpx.HTTPError as exc:
            return HttpOutcome(None, _ms_since(started), error=_error("network error", exc))
        return HttpOutcome(
            response.status_code,
            _ms_since(started),
            response_excerpt=excerpt,
            retry_after=response.headers.get("retry-after"),
        )

    def _excerpt(self, response: httpx.Response, started: float) -> str:
        """At most MAX_EXCERPT_BYTES of the body, read within a deadline (a trickling server is cut off)."""
        deadline = started + 2 * self.timeout
        kept = bytearray()
        for chunk in response.iter_raw():
            kept.extend(chunk)
            if len(kept) >= MAX_EXCERPT_BYTES or time.monotonic() > deadline:
                break
        return bytes(kept[:MAX_EXCERPT_BYTES]).decode("utf-8", errors="replace")


def _ms_since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def _error(kind: str, exc: Exception) -> str:
    detail = str(exc) or type(exc).__name__
    return f"{kind}: {type(exc).__name__}: {detail}"[:MAX_ERROR_CHARS]
