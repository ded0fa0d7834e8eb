"""Fixtures for the notifier: a loopback receiver, settings for fast timeouts, a clock tests move."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from services.notifier.dispatcher import Dispatcher, DrainSummary
from shared.config import get_settings
from shared.db import session_scope
from tests.http_servers import AppSlot, serve_asgi
from tests.services.notifier.factories import FakeClock, earliest_pending
from tests.services.notifier.receiver import Receiver

CLIENT_TIMEOUT = 0.4  # seconds: a receiver stalling longer than this is a timeout


@pytest.fixture(scope="module")
def receiver_slot() -> Iterator[tuple[AppSlot, str]]:
    slot = AppSlot()
    with serve_asgi(slot) as base_url:
        yield slot, base_url


@pytest.fixture
def receiver(receiver_slot: tuple[AppSlot, str]) -> Receiver:
    slot, base_url = receiver_slot
    slot.app = app = Receiver(base_url)
    return app


@pytest.fixture
def notifier_settings(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Loopback targets allowed (explicitly: the default refuses them), short timeouts."""
    monkeypatch.setenv("SVERKA_WEBHOOK_ALLOW_PRIVATE_TARGETS", "true")
    monkeypatch.setenv("SVERKA_WEBHOOK_TIMEOUT_SECONDS", str(CLIENT_TIMEOUT))
    monkeypatch.setenv("SVERKA_WEBHOOK_CONNECT_TIMEOUT_SECONDS", "2")
    get_settings.cache_clear()
    return database_url


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def dispatcher(notifier_settings: str, clock: FakeClock) -> Iterator[Dispatcher]:
    with Dispatcher(clock=clock, rng=random.Random(20260524)) as d:
        yield d


def deliver_until_quiet(dispatcher: Dispatcher, clock: FakeClock, rounds: int = 60) -> list[DrainSummary]:
    """Drain, jump the clock to the next due retry, repeat until nothing is pending on an active endpoint."""
    summaries = []
    for _ in range(rounds):
        summaries.append(dispatcher.drain())
        with session_scope() as session:
            due = earliest_pending(session)
        if due is None:
            return summaries
        clock.now = max(clock.now, due)
    raise AssertionError(f"deliveries still pending after {rounds} drains")
