"""The scheduler's tick pulls the accounts that are due, each once, however many ticks run."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlmodel import col

from services.reconciler.sync.settings import get_sync_settings
from services.reconciler.sync.tasks import sync_due_accounts
from shared import tasks
from shared.db import session_scope
from shared.models.sync import BankConnection, BankPull
from tests.services.reconciler.sync.conftest import TODAY, Bank, connect, pull, stored_lines


def _make_due(number: str) -> None:
    """Pretend the account's interval elapsed an hour ago."""
    with session_scope() as session:
        session.execute(
            update(BankConnection)
            .values(next_pull_at=datetime.now(UTC) - timedelta(hours=1))
            .where(col(BankConnection.bank_account_id).in_(_account_ids([number])))
        )


def _account_ids(numbers: list[str]) -> Any:
    from shared.models import BankAccount

    return select(col(BankAccount.id)).where(col(BankAccount.number).in_(numbers)).scalar_subquery()


def _pull_count() -> int:
    with session_scope() as session:
        count: int = session.execute(select(func.count()).select_from(BankPull)).scalar_one()
        return count


def test_the_tick_pulls_only_accounts_whose_interval_has_elapsed(database_url: str, bank: Bank) -> None:
    due = connect(bank, which=0)
    not_due = connect(bank, "tbank", which=1)
    pull(not_due)  # just pulled: next due in an hour

    summary = sync_due_accounts(today=TODAY.isoformat())

    assert summary["claimed"] == [due]
    assert [(p["account"], p["status"], p["trigger"]) for p in summary["pulls"]] == [(due, "ok", "schedule")]
    assert stored_lines(due) == summary["pulls"][0]["new"] > 0
    assert sync_due_accounts(today=TODAY.isoformat()) == {"claimed": [], "pulls": []}  # now nothing is due


def test_a_new_connection_is_due_at_once_and_a_failed_pull_waits_for_its_next_slot(
    database_url: str, bank: Bank
) -> None:
    number = connect(bank)
    bank.fault(kind="status", status=403, count=1)

    failed = sync_due_accounts(today=TODAY.isoformat())
    quiet = sync_due_accounts(today=TODAY.isoformat())
    _make_due(number)
    retried = sync_due_accounts(today=TODAY.isoformat())

    assert [p["status"] for p in failed["pulls"]] == ["failed"]
    assert quiet["claimed"] == []
    assert [p["status"] for p in retried["pulls"]] == ["ok"]


def test_doubled_ticks_pull_each_due_account_once(database_url: str, bank: Bank) -> None:
    first, second = connect(bank, which=0), connect(bank, "tbank", which=1)
    results: list[dict[str, Any]] = []
    start = threading.Barrier(3)

    def tick() -> None:
        start.wait()
        results.append(sync_due_accounts(today=TODAY.isoformat()))

    threads = [threading.Thread(target=tick) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    claimed = sorted(n for r in results for n in r["claimed"])
    assert claimed == sorted([first, second])
    assert _pull_count() == 2


def test_the_tick_is_a_periodic_task_on_the_configured_interval() -> None:
    assert tasks.periodic_tasks()["reconciler.sync_due_accounts"] == get_sync_settings().tick_seconds
    assert tasks.registered("reconciler.sync_due_accounts") is sync_due_accounts
