"""When to try a delivery again, and whether to try at all.

Only what can recover is retried: network errors and timeouts, 5xx, 408 and 429. Any other
answer is final (a 4xx will not change by asking again; a redirect is not followed because it
could lead anywhere, including inside our network). The schedule grows exponentially from
``base`` by ``factor`` up to ``max_delay``, each delay varied by ± ``jitter`` so that endpoints
recovering from an outage are not hit by every retry at the same second. With the defaults
(11 attempts, 20 s × 3ⁿ capped at 6 h) the last attempt comes about a day after the first.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Protocol

from shared.config import Settings

RETRYABLE_STATUSES = frozenset({408, 429})
GONE = 410


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 11
    base_seconds: float = 20.0
    factor: float = 3.0
    max_delay_seconds: float = 6 * 3600.0
    jitter: float = 0.2

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        return cls(
            max_attempts=settings.webhook_max_attempts,
            base_seconds=settings.webhook_retry_base_seconds,
            factor=settings.webhook_retry_factor,
            max_delay_seconds=settings.webhook_retry_max_delay_seconds,
            jitter=settings.webhook_retry_jitter,
        )

    def nominal_delay(self, attempts_made: int) -> float:
        """The delay before attempt ``attempts_made + 1``, without jitter (what docs/webhooks.md tabulates)."""
        return min(self.base_seconds * self.factor ** (attempts_made - 1), self.max_delay_seconds)

    def delay(self, attempts_made: int, rng: random.Random, retry_after: float | None = None) -> float | None:
        """Seconds to wait after ``attempts_made`` failed tries, or None when the delivery is given up.

        A receiver's ``Retry-After`` wins over our schedule (bounded by ``max_delay``, and by one
        second below, so a ``Retry-After: 0`` cannot turn into a busy loop).
        """
        if attempts_made >= self.max_attempts:
            return None
        if retry_after is not None:
            return min(max(retry_after, 1.0), self.max_delay_seconds)
        spread = 1.0 + rng.uniform(-self.jitter, self.jitter)
        return self.nominal_delay(attempts_made) * spread


def is_success(status: int) -> bool:
    return 200 <= status < 300


def is_retryable(status: int) -> bool:
    return status >= 500 or status in RETRYABLE_STATUSES


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """``Retry-After`` as seconds from ``now``: either delta-seconds or an HTTP date; None if absent or junk."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # an HTTP date is GMT by definition
        return None
    return max((when - now).total_seconds(), 0.0)


class OutcomeCounts(Protocol):
    """What a delivery pass counts (webhooks' and emails' summaries both)."""

    attempts: int
    delivered: int
    retrying: int
    failed: int


def count_outcome(counts: OutcomeCounts, outcome: str) -> None:
    """One attempt more, and its verdict's outcome (``delivered | retry | failed``)."""
    counts.attempts += 1
    if outcome == "delivered":
        counts.delivered += 1
    elif outcome == "retry":
        counts.retrying += 1
    else:
        counts.failed += 1
