"""The production topology: a real ``sverka worker`` on real Redis relays and delivers, retrying a failure."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from shared import tasks
from shared.config import get_settings
from shared.db import dispose_engines
from tests.services.notifier.factories import seed
from tests.services.notifier.receiver import Receiver, Reply
from tests.services.notifier.test_delivery import register

INN = "7701234567"


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.slow
def test_a_celery_worker_delivers_the_outbox_at_least_once(
    postgres_admin_url: str, redis_url: str, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import _fresh_postgres

    database_url = _fresh_postgres(postgres_admin_url)
    settings_env = {
        "SVERKA_DATABASE_URL": database_url,
        "SVERKA_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
        "SVERKA_WEBHOOK_RETRY_BASE_SECONDS": "1",  # real time here: a short first backoff
    }
    for key, value in settings_env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("SVERKA_REDIS_URL", raising=False)
    get_settings.cache_clear()
    dispose_engines()
    [event_id] = seed(**{f"inn{INN}": [1_500_00]})[INN]
    inbox = receiver.inbox("a")
    inbox.secrets = [register(f"{receiver.base_url}/a", INN).secret]
    inbox.fail_next(Reply(500))

    worker = subprocess.Popen(
        [str(Path(sys.executable).with_name("sverka")), "worker", "--concurrency", "1", "--queues", "notifier"],
        env={**os.environ, **settings_env, "SVERKA_REDIS_URL": redis_url},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        monkeypatch.setenv("SVERKA_REDIS_URL", redis_url)
        get_settings.cache_clear()
        tasks.celery_app.cache_clear()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not inbox.received:
            assert tasks.enqueue("notifier.relay") is None  # what beat does every few seconds: via the broker
            time.sleep(1.0)
    finally:
        worker.terminate()
        output, _ = worker.communicate(timeout=30)
        tasks.celery_app.cache_clear()
        get_settings.cache_clear()
        dispose_engines()
    assert inbox.received_ids == [event_id], output[-2000:]
    assert len(inbox.requests) == 2  # the 500, then the retry; every request signed
    assert inbox.unsigned_or_invalid == 0
    assert "notifier.relay" in output
