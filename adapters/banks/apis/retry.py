"""One GET against a bank, done carefully: timeouts, bounded retries, token refresh, size caps.

Shared by every API client so the rules are the same everywhere (CONVENTIONS habit 6: retry
only what can recover — network errors, timeouts, 5xx, 408, 429 — and every outbound call has a
timeout). Sleeping, randomness and the clock are injected so tests never wait.
"""

from __future__ import annotations

import json
import logging
import random
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from adapters.banks.apis.base import BankApiError, BankPayloadError, TokenProvider

log = logging.getLogger(__name__)

# Used when the injected client has no read timeout: an unbounded call could hang a worker.
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
# A month of a busy account is a few MiB of JSON; anything far beyond that is not a statement.
DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024
_EXCERPT_CHARS = 300


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard to try: attempts are bounded, delays grow exponentially with jitter.

    Jitter is "equal jitter" (half fixed, half random) so that many workers retrying the same bank
    after an outage spread out, yet none retries almost immediately.
    """

    max_attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 30.0
    # A bank asking us to wait an hour is asking us to give up for now: we wait at most this long
    # and, if that is not enough, the attempt budget runs out and the caller reschedules.
    max_retry_after: float = 60.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Delay before retry number ``attempt`` (1 = first retry)."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return float(ceiling / 2 + rng.uniform(0, ceiling / 2))


def is_retryable_status(status: int) -> bool:
    """Statuses that say "try again": timeouts, throttling and server-side failures."""
    return status in (408, 429) or 500 <= status <= 599


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), None if absent/bad."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; a naive one from a sloppy server is too
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def body_excerpt(raw: bytes) -> str:
    """A short, single-line, printable piece of a response body for error messages and logs."""
    text = raw[: _EXCERPT_CHARS * 4].decode("utf-8", errors="replace")
    text = " ".join(text.split())
    return text if len(text) <= _EXCERPT_CHARS else text[:_EXCERPT_CHARS] + "…"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number a bank may send")


def decode_json(raw: bytes) -> Any:
    """JSON with exact decimals: 0.1 stays Decimal('0.1'), never a float."""
    return json.loads(raw, parse_float=Decimal, parse_constant=_reject_constant)


class _BodyTooSlowError(Exception):
    """The body trickled in for longer than the whole-call deadline allows."""


class BankHttp:
    """Performs authenticated GETs that return decoded JSON, retrying what may recover."""

    def __init__(
        self,
        client: httpx.Client,
        *,
        token_provider: TokenProvider,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        clock: Callable[[], datetime] | None = None,
        timeout: httpx.Timeout | float | None = None,
        request_id_header: str = "X-Request-ID",
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    ) -> None:
        self._client = client
        self._token_provider = token_provider
        self._policy = policy or RetryPolicy()
        self._sleep = sleep
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self._clock = clock or (lambda: datetime.now(UTC))
        self._timeout = self._effective_timeout(client, timeout)
        self._request_id_header = request_id_header
        self._max_body_bytes = max_body_bytes
        self.requests_sent = 0

    @staticmethod
    def _effective_timeout(client: httpx.Client, timeout: httpx.Timeout | float | None) -> httpx.Timeout:
        if timeout is not None:
            return timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        configured = client.timeout
        if configured.read is None or configured.connect is None:
            return DEFAULT_TIMEOUT
        return configured

    @property
    def timeout(self) -> httpx.Timeout:
        return self._timeout

    def get_json(
        self,
        url: str | httpx.URL,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[Any, httpx.URL]:
        """GET ``url`` and return (decoded JSON body, the URL actually requested).

        Raises BankApiError (non-retryable status, or attempts exhausted) or BankPayloadError.
        """
        token = self._token_provider()
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            request = self._client.build_request(
                "GET",
                url,
                params=params,
                headers=self._headers(token, headers),
                timeout=self._timeout,
            )
            failure: BankApiError
            wait: float | None = None
            try:
                status, raw, retry_after = self._send(request)
            except (httpx.TransportError, _BodyTooSlowError) as exc:
                failure = BankApiError(
                    f"no answer from the bank ({type(exc).__name__}: {exc})",
                    url=str(request.url),
                    attempts=attempt,
                    retryable=True,
                )
            else:
                if 200 <= status <= 299:
                    try:
                        return decode_json(raw), request.url
                    except (ValueError, RecursionError) as exc:
                        raise BankPayloadError(
                            f"{request.url}: answer is not valid JSON ({exc}): {body_excerpt(raw)}"
                        ) from None
                if status == 401 and not refreshed:
                    # Tokens expire between our check and the bank's: one refresh is normal, a
                    # second 401 means the credentials themselves are wrong.
                    refreshed = True
                    token = self._token_provider(refresh=True)
                    attempt -= 1
                    continue
                failure = BankApiError(
                    "the bank refused the request" if not is_retryable_status(status) else "the bank failed to answer",
                    status=status,
                    body_excerpt=body_excerpt(raw),
                    url=str(request.url),
                    attempts=attempt,
                    retryable=is_retryable_status(status),
                )
                wait = retry_after
            if not failure.retryable or attempt >= self._policy.max_attempts:
                raise failure
            delay = (
                min(wait, self._policy.max_retry_after)
                if wait is not None
                else self._policy.backoff(attempt, self._rng)
            )
            log.warning("bank call failed, retrying in %.2fs: %s", delay, failure)
            self._sleep(delay)

    def _headers(self, token: str, extra: Mapping[str, str] | None) -> dict[str, str]:
        headers = {
            "Accept": "application/json",
            "Authorization": f"Bearer {token}",
            self._request_id_header: str(uuid.uuid4()),
        }
        if extra:
            headers.update(extra)
        return headers

    def _send(self, request: httpx.Request) -> tuple[int, bytes, float | None]:
        """Send and read the body under a size cap and an overall deadline."""
        self.requests_sent += 1
        deadline = self._deadline()
        response = self._client.send(request, stream=True)
        try:
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > self._max_body_bytes:
                    raise BankPayloadError(f"{request.url}: answer exceeds {self._max_body_bytes} bytes; refusing it")
                chunks.append(chunk)
                if deadline is not None and time.monotonic() > deadline:
                    raise _BodyTooSlowError("the answer trickled in past the call deadline")
            retry_after = None
            if response.status_code in (429, 503):
                retry_after = parse_retry_after(response.headers.get("Retry-After"), now=self._clock())
            return response.status_code, b"".join(chunks), retry_after
        finally:
            response.close()

    def _deadline(self) -> float | None:
        # A read timeout bounds the gap between bytes, not the whole body: a server dripping one
        # byte per second would never trip it. Cap the whole read at a few read timeouts.
        read = self._timeout.read
        return None if read is None else time.monotonic() + 4 * read + (self._timeout.connect or 0)
