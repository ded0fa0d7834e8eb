"""Reconciler tasks: thin, idempotent wrappers that open a session and call the service."""

from __future__ import annotations

from typing import Any

from services.reconciler.matching.service import reconcile
from shared.db import session_scope
from shared.tasks import task


@task("reconciler.match_open_lines")
def match_open_lines(line_ids: list[int] | None = None) -> dict[str, Any]:
    """Match new lines (or all open ones). Lines already settled are skipped, so a rerun is harmless."""
    with session_scope() as session:
        return reconcile(session, line_ids).as_dict()


# Sync's tasks (reconciler.sync_due_accounts, reconciler.pull_account) live with their area; importing
# the module registers them for workers, beat and the in-process scheduler.
import services.reconciler.sync.tasks  # noqa: E402, F401
