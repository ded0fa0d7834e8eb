"""The retry schedule and which answers are worth retrying."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from services.notifier.delivery import HttpOutcome
from services.notifier.dispatcher import judge
from services.notifier.retry import RetryPolicy, parse_retry_after

NOW = datetime(2026, 5, 24, 12, 0, tzinfo=UTC)
POLICY = RetryPolicy()


def test_the_default_schedule_spans_about_a_day_and_grows_exponentially() -> None:
    delays = [POLICY.nominal_delay(n) for n in range(1, POLICY.max_attempts)]
    assert delays[:4] == [20, 60, 180, 540]
    assert max(delays) == 6 * 3600
    assert timedelta(hours=20) <= timedelta(seconds=sum(delays)) <= timedelta(hours=30)


def test_jitter_stays_within_its_bounds_and_varies() -> None:
    rng = random.Random(1)
    seen = {POLICY.delay(3, rng) for _ in range(50)}
    assert all(value is not None and 180 * 0.8 <= value <= 180 * 1.2 for value in seen)
    assert len(seen) > 40


def test_no_retry_after_the_last_attempt() -> None:
    assert POLICY.delay(POLICY.max_attempts, random.Random(1)) is None


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        *[(200, "delivered"), (204, "delivered")],
        *[(500, "retry"), (503, "retry"), (408, "retry"), (429, "retry")],
        *[(400, "failed"), (401, "failed"), (404, "failed"), (301, "failed"), (410, "failed")],
    ],
)
def test_only_what_can_recover_is_retried(status: int, expected: str) -> None:
    assert judge(HttpOutcome(status, 5), 1, NOW, POLICY, random.Random(1)).outcome == expected


def test_network_errors_are_retried_and_refused_targets_are_not() -> None:
    assert judge(HttpOutcome(None, 5, error="timeout"), 1, NOW, POLICY, random.Random(1)).outcome == "retry"
    refused = HttpOutcome(None, 0, error="refused: private", refused=True)
    assert judge(refused, 1, NOW, POLICY, random.Random(1)).outcome == "failed"


def test_gone_disables_the_endpoint() -> None:
    assert judge(HttpOutcome(410, 5), 1, NOW, POLICY, random.Random(1)).disable_reason


def test_retry_after_is_honoured_in_seconds_or_as_a_date_and_bounded() -> None:
    verdict = judge(HttpOutcome(429, 5, retry_after="120"), 1, NOW, POLICY, random.Random(1))
    assert verdict.next_attempt_at == NOW + timedelta(seconds=120)
    assert parse_retry_after("Sun, 24 May 2026 12:05:00 GMT", NOW) == 300
    assert parse_retry_after("soon", NOW) is None
    zero = judge(HttpOutcome(429, 5, retry_after="0"), 1, NOW, POLICY, random.Random(1))
    assert zero.next_attempt_at == NOW + timedelta(seconds=1)  # never a busy loop
    huge = judge(HttpOutcome(503, 5, retry_after="99999999"), 1, NOW, POLICY, random.Random(1))
    assert huge.next_attempt_at == NOW + timedelta(hours=6)
