"""Sync tasks: the scheduler's tick and a one-account pull, thin wrappers around the service.

A tick claims the due accounts in one short transaction (so a doubled tick finds nothing left
to claim), then pulls each claimed account in its own transaction: one bank failing, or a bug in
one pull, neither rolls back nor delays the others' stored windows.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from services.reconciler.sync.service import claim_due_accounts, pull_account, record_crashed_pull
from services.reconciler.sync.settings import get_sync_settings
from shared.db import session_scope
from shared.errors import Conflict
from shared.tasks import periodic, task

log = logging.getLogger("sverka.sync")

SCHEDULER_ACTOR = "system:sync"


@periodic("reconciler.sync_due_accounts", every_seconds=get_sync_settings().tick_seconds)
def sync_due_accounts(today: str | None = None) -> dict[str, Any]:
    """Pull every connected account whose interval has elapsed; harmless when ticks double."""
    with session_scope() as session:
        numbers = claim_due_accounts(session)
    pulls = [
        summary for number in numbers if (summary := _pull_one(number, trigger="schedule", today=today)) is not None
    ]
    return {"claimed": numbers, "pulls": pulls}


@task("reconciler.pull_account")
def pull_account_task(account_number: str, today: str | None = None) -> dict[str, Any] | None:
    """Pull one account now (the API's and other services' way to ask without waiting)."""
    return _pull_one(account_number, trigger="manual", today=today)


def _pull_one(number: str, *, trigger: str, today: str | None) -> dict[str, Any] | None:
    day = date.fromisoformat(today) if today else None
    try:
        with session_scope() as session:
            return pull_account(session, number, actor=SCHEDULER_ACTOR, today=day, trigger=trigger).as_dict()
    except Conflict:
        log.info("account %s is already being pulled; skipped", number)
        return None
    except Exception as exc:  # a bug or a database error: leave a failed pull behind, not just a log line
        log.exception("pull of account %s crashed", number)
        with session_scope() as session:
            error = f"internal error: {type(exc).__name__}: {exc}"
            return record_crashed_pull(
                session, number, error, actor=SCHEDULER_ACTOR, trigger=trigger, today=day
            ).as_dict()
