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
"""

from __future__ import annotations

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


# KEYS[1] bucket; ARGV: rate, burst, now (seconds, float). Returns "" when allowed, else the wait.
_TAKE = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local wait = ''
if tokens >= 1 then tokens = tokens - 1 else wait = tostring((1 - tokens) / rate) end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 1)
return wait
"""


class RedisLimiter:
    """The same bucket kept in Redis (server time, one atomic script per request)."""

    def __init__(self, client: Any, rate: float, burst: int) -> None:
        self.rate, self.burst, self._client = rate, burst, client
        self._script = client.register_script(_TAKE)

    def take(self, bucket: str) -> float | None:
        seconds, micros = self._client.time()
        wait = self._script(keys=[f"sverka:ratelimit:{bucket}"], args=[self.rate, self.burst, seconds + micros / 1e6])
        text = wait.decode() if isinstance(wait, bytes) else str(wait)
        return float(text) if text else None


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
                self._primary_after = self._clock() + self.pause
                log.warning("rate limits counted in this process for %.0fs: Redis failed (%s)", self.pause, exc)
        return self.fallback.take(bucket)


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
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        client = redis.Redis.from_url(
            redis_url,
            socket_timeout=_REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=_REDIS_TIMEOUT_SECONDS,
            retry=Retry(NoBackoff(), 0),
        )
        return FailOpenLimiter(RedisLimiter(client, settings.api_rate_per_second, settings.api_rate_burst), local)
    return local
