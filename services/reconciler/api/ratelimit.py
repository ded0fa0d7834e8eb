"""Per-key rate limits: a token bucket per API key; over the limit answers 429 with ``Retry-After``.

Two implementations behind one small protocol:

* :class:`InProcessLimiter` (embedded mode): buckets live in this process. With several API
  worker processes each has its own buckets, so a key may make up to N times the rate; that is
  the documented limit of the embedded mode.
* :class:`RedisLimiter` (when ``SVERKA_REDIS_URL`` is set): one bucket per key in Redis, updated
  atomically by a Lua script, so the limit holds across workers and hosts.
* :class:`FailOpenLimiter` wraps the Redis one in production: while Redis does not answer, each
  process counts in its own buckets (the embedded mode's limit) instead of failing the request.
  Redis is a helper here, not a store: an outage of it must not take the status API down.

The rate and burst come from ``SVERKA_API_RATE_PER_SECOND`` / ``SVERKA_API_RATE_BURST``.

Each has ``take`` for the sync routes (run in worker threads) and ``atake`` for the async status
reads, which must not block the event loop on Redis. One bucket is one Redis round trip either way:
the script reads the server's clock itself.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from shared.config import get_settings

log = logging.getLogger("sverka.ratelimit")


class RateLimiter(Protocol):
    def take(self, bucket: str) -> float | None:
        """Spend one token; ``None`` when allowed, else the seconds to wait before trying again."""

    async def atake(self, bucket: str) -> float | None:
        """:meth:`take` for a coroutine on the event loop."""


class InProcessLimiter:
    """Token buckets in a dict under a lock; refilled lazily from the time elapsed."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self._clock = rate, burst, clock
        self._buckets: dict[str, tuple[float, float]] = {}  # bucket -> (tokens, at)
        self._lock = threading.Lock()

    def take(self, bucket: str) -> float | None:
        now = self._clock()
        with self._lock:
            tokens, at = self._buckets.get(bucket, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - at) * self.rate)
            if tokens >= 1.0:
                self._buckets[bucket] = (tokens - 1.0, now)
                return None
            self._buckets[bucket] = (tokens, now)
            return (1.0 - tokens) / self.rate

    async def atake(self, bucket: str) -> float | None:
        return self.take(bucket)  # no I/O: a dict under a lock held for microseconds


# KEYS[1] bucket; ARGV: rate, burst, wanted. Takes up to ``wanted`` whole tokens (at least one) and
# returns how many as "+N", or "-W" with the seconds W to wait when not even one is there. The clock
# is the server's (TIME inside the script: effects replication, Redis 5+), so every worker agrees on it.
_TAKE = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local wanted = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local answer
if tokens >= 1 then
  local granted = math.min(wanted, math.floor(tokens))
  tokens = tokens - granted
  answer = '+' .. granted
else
  answer = '-' .. tostring((1 - tokens) / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 1)
return answer
"""

# How long tokens taken ahead stay usable in this process. Longer would let a worker sit on tokens
# another worker needs; shorter would ask Redis more often.
LEASE_SECONDS = 0.1


def lease_size(rate: float, burst: int) -> int:
    """Tokens a process takes from Redis at once: what the key earns in a tenth of its lease time,
    at most a tenth of its burst. 1 at modest rates (every request asks Redis, the exact limit);
    many at the rates a busy service is given, where one script per request would cost more than
    the read it guards. Tokens taken ahead are the global bucket's, so the key never exceeds it."""
    return max(1, min(int(rate * LEASE_SECONDS / 10), burst // 10))


class RedisLimiter:
    """The same bucket kept in Redis (server time, one atomic script per call), with tokens taken
    ahead in small leases (:func:`lease_size`) when the key's rate is high.

    ``async_client`` (``redis.asyncio``) serves :meth:`atake`; without one, ``atake`` runs the sync
    call in a worker thread.
    """

    def __init__(
        self,
        client: Any,
        rate: float,
        burst: int,
        async_client: Any = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate, self.burst, self._client, self._clock = rate, burst, client, clock
        self.lease = lease_size(rate, burst)
        self._script = client.register_script(_TAKE)
        self._async_script = async_client.register_script(_TAKE) if async_client is not None else None
        self._leased: dict[str, tuple[int, float]] = {}  # bucket -> (tokens left, usable until)
        self._lock = threading.Lock()

    def _from_lease(self, bucket: str) -> bool:
        with self._lock:
            left, until = self._leased.get(bucket, (0, 0.0))
            if left > 0 and self._clock() < until:
                self._leased[bucket] = (left - 1, until)
                return True
            return False

    def _granted(self, bucket: str, answer: Any) -> float | None:
        text = answer.decode() if isinstance(answer, bytes) else str(answer)
        if text.startswith("-"):
            return float(text[1:])
        granted = int(text[1:])
        if granted > 1:
            with self._lock:
                self._leased[bucket] = (granted - 1, self._clock() + LEASE_SECONDS)
        return None

    def take(self, bucket: str) -> float | None:
        if self._from_lease(bucket):
            return None
        answer = self._script(keys=[f"sverka:ratelimit:{bucket}"], args=[self.rate, self.burst, self.lease])
        return self._granted(bucket, answer)

    async def atake(self, bucket: str) -> float | None:
        if self._async_script is None:
            return await asyncio.to_thread(self.take, bucket)
        if self._from_lease(bucket):
            return None
        answer = await self._async_script(keys=[f"sverka:ratelimit:{bucket}"], args=[self.rate, self.burst, self.lease])
        return self._granted(bucket, answer)


class FailOpenLimiter:
    """``primary`` while it answers; ``fallback`` for ``pause`` seconds after it raised (then try it again).

    The pause keeps an outage from costing every request a failed connection attempt, and the
    warning from being logged once per request.
    """

    def __init__(
        self,
        primary: RateLimiter,
        fallback: RateLimiter,
        pause: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.primary, self.fallback, self.pause, self._clock = primary, fallback, pause, clock
        self._primary_after = 0.0

    def take(self, bucket: str) -> float | None:
        if self._clock() >= self._primary_after:
            try:
                return self.primary.take(bucket)
            except Exception as exc:  # redis.RedisError, OSError: whatever the outage looks like
                self._primary_failed(exc)
        return self.fallback.take(bucket)

    async def atake(self, bucket: str) -> float | None:
        if self._clock() >= self._primary_after:
            try:
                return await self.primary.atake(bucket)
            except Exception as exc:  # redis.RedisError, OSError, TimeoutError
                self._primary_failed(exc)
        return await self.fallback.atake(bucket)

    def _primary_failed(self, exc: Exception) -> None:
        self._primary_after = self._clock() + self.pause
        log.warning("rate limits counted in this process for %.0fs: Redis failed (%s)", self.pause, exc)


# Redis answers a loopback or LAN request in about a millisecond; a slower answer is an outage, and the
# request must not wait for it (redis-py's default retries back off for seconds).
_REDIS_TIMEOUT_SECONDS = 0.25


def retry_after_header(wait: float) -> str:
    return str(max(1, math.ceil(wait)))


def default_limiter(redis_url: str = "") -> RateLimiter:
    settings = get_settings()
    local = InProcessLimiter(settings.api_rate_per_second, settings.api_rate_burst)
    if redis_url:
        import redis
        import redis.asyncio
        from redis.asyncio.retry import Retry as AsyncRetry
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        t = _REDIS_TIMEOUT_SECONDS
        client = redis.Redis.from_url(
            redis_url, socket_timeout=t, socket_connect_timeout=t, retry=Retry(NoBackoff(), 0)
        )
        # Connections are made on first use, in the loop that uses them: the API worker's own.
        async_client = redis.asyncio.Redis.from_url(
            redis_url, socket_timeout=t, socket_connect_timeout=t, retry=AsyncRetry(NoBackoff(), 0)
        )
        limiter = RedisLimiter(client, settings.api_rate_per_second, settings.api_rate_burst, async_client)
        return FailOpenLimiter(limiter, local)
    return local
