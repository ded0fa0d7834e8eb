"""The API during a store's outage: 503 with ``Retry-After`` while PostgreSQL is away, and Redis optional.

tests/production/test_outages.py stops the real servers under load; these pin the rules on their own.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from services.reconciler.api.app import create_app
from services.reconciler.api.ratelimit import FailOpenLimiter, InProcessLimiter, default_limiter
from shared.config import get_settings
from shared.db import database_unavailable, dispose_engines
from tests.http_servers import serve_asgi
from tests.servers import free_port


@pytest.fixture
def api_without_database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    """The API pointed at a PostgreSQL that does not answer (nothing listens on its port)."""
    monkeypatch.setenv("SVERKA_DATABASE_URL", f"postgresql+psycopg://sverka_app:x@127.0.0.1:{free_port()}/sverka")
    monkeypatch.setenv("SVERKA_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("SVERKA_REDIS_URL", raising=False)
    get_settings.cache_clear()
    dispose_engines()
    try:
        with serve_asgi(create_app()) as base:
            yield base
    finally:
        dispose_engines()
        get_settings.cache_clear()


def test_requests_get_503_with_retry_after_while_the_database_is_away(api_without_database: str) -> None:
    headers = {"Authorization": "Bearer svk_whatever"}
    with httpx.Client(base_url=api_without_database, headers=headers, timeout=30) as api:
        started = time.monotonic()
        read = api.get("/v1/invoices")
        upload = api.post("/v1/statements", files={"file": ("s.xml", b"<x/>", "application/xml")})
        keyed = api.post(
            "/v1/statements",
            files={"file": ("s.xml", b"<x/>", "application/xml")},
            headers={"Idempotency-Key": "outage-1"},  # claimed by a middleware, outside the exception handlers
        )
        elapsed = time.monotonic() - started
    for answer in (read, upload, keyed):
        assert answer.status_code == 503, answer.text
        assert answer.headers["retry-after"] == "5"
        assert answer.json()["error"]["code"] == "unavailable"
    assert elapsed < 10, "a refused connection answers at once, it does not hang"


def _wrapped(orig: Exception) -> OperationalError:
    return OperationalError("SELECT 1", {}, orig)


def test_only_connection_failures_count_as_the_database_being_unavailable() -> None:
    assert database_unavailable(_wrapped(psycopg.OperationalError("connection refused")))
    assert database_unavailable(_wrapped(psycopg.errors.AdminShutdown("terminating connection")))
    assert database_unavailable(_wrapped(psycopg.errors.CannotConnectNow("the database system is starting up")))
    assert not database_unavailable(_wrapped(psycopg.errors.DeadlockDetected("deadlock detected")))
    assert not database_unavailable(IntegrityError("INSERT", {}, psycopg.errors.UniqueViolation("duplicate")))
    assert not database_unavailable(RuntimeError("not a database error"))


class _Down:
    def __init__(self) -> None:
        self.calls = 0

    def take(self, bucket: str) -> float | None:
        self.calls += 1
        raise ConnectionError("Redis is down")


def test_rate_limits_fall_back_to_this_process_while_redis_is_down_and_return_to_redis_after() -> None:
    now = [0.0]
    down = _Down()
    limiter = FailOpenLimiter(down, InProcessLimiter(rate=1.0, burst=2, clock=lambda: now[0]), clock=lambda: now[0])
    assert limiter.take("k") is None
    assert limiter.take("k") is None
    assert limiter.take("k") is not None, "the fallback still limits"
    assert down.calls == 1, "Redis is not asked again during the pause"
    now[0] = 6.0
    limiter.take("k")
    assert down.calls == 2


def test_the_production_limiter_answers_at_once_when_redis_refuses() -> None:
    limiter = default_limiter(f"redis://127.0.0.1:{free_port()}/0")
    started = time.monotonic()
    assert all(limiter.take("key:1") is None for _ in range(20))
    assert time.monotonic() - started < 1.0
