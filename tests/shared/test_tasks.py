"""Background tasks run after commit, in-process by default and on Celery workers over real Redis."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from shared import tasks
from shared.config import get_settings
from shared.db import session_scope
from shared.models import Allocation
from tests.cli import sverka
from tests.services.reconciler.api.test_api_flow import CAMT, INVOICE

_calls: list[str] = []


@tasks.task("tests.record_call")
def _record_call(label: str) -> None:
    _calls.append(label)


def test_a_task_asked_for_in_a_committed_transaction_runs(database_url: str) -> None:
    _calls.clear()
    with session_scope() as session:
        tasks.enqueue_after_commit(session, "tests.record_call", label="committed")
    tasks.drain_in_process()
    assert _calls == ["committed"]


def test_a_task_asked_for_in_a_rolled_back_transaction_never_runs(database_url: str) -> None:
    _calls.clear()

    def failing_change() -> None:
        with session_scope() as session:
            tasks.enqueue_after_commit(session, "tests.record_call", label="rolled back")
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        failing_change()
    tasks.drain_in_process()
    assert _calls == []


def _seed_unmatched_payment(database_url: str, tmp_path: Path) -> None:
    csv_path = tmp_path / "invoices.csv"
    with csv_path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(INVOICE))
        writer.writeheader()
        writer.writerow(INVOICE)
    assert sverka("import-invoices", str(csv_path), database_url=database_url).code == 0
    statement = tmp_path / "may.xml"
    statement.write_text(CAMT, encoding="utf-8")
    assert sverka("import-statement", str(statement), database_url=database_url).json()["new"] == 1


@pytest.mark.postgres
@pytest.mark.redis
def test_a_celery_worker_on_redis_matches_what_the_api_enqueued(
    postgres_admin_url: str, redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import _fresh_postgres

    database_url = _fresh_postgres(postgres_admin_url)
    _seed_unmatched_payment(database_url, tmp_path)
    env = {**os.environ, "SVERKA_DATABASE_URL": database_url, "SVERKA_REDIS_URL": redis_url}
    worker = subprocess.Popen(
        [str(Path(sys.executable).with_name("sverka")), "worker", "--concurrency", "1", "--queues", "reconciler"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        monkeypatch.setenv("SVERKA_DATABASE_URL", database_url)
        monkeypatch.setenv("SVERKA_REDIS_URL", redis_url)
        get_settings.cache_clear()
        tasks.celery_app.cache_clear()
        assert tasks.enqueue("reconciler.match_open_lines") is None  # went to the broker, not a thread
        deadline = time.monotonic() + 60
        allocated = 0
        while time.monotonic() < deadline and not allocated:
            with session_scope() as session:
                allocated = session.execute(select(func.count()).select_from(Allocation)).scalar_one()
            time.sleep(0.5)
        assert allocated == 1, "the worker did not match the payment"
    finally:
        worker.terminate()
        output, _ = worker.communicate(timeout=30)
        tasks.celery_app.cache_clear()
        get_settings.cache_clear()
    assert "reconciler.match_open_lines" in output
