"""Reconciler tasks: thin, idempotent wrappers that open a session and call the service."""

from __future__ import annotations

from typing import Any

from services.reconciler.intake.repository import line_ids_of_statements
from services.reconciler.matching.service import reconcile
from shared.db import session_scope
from shared.tasks import task


@task("reconciler.match_open_lines")
def match_open_lines(line_ids: list[int] | None = None, statement_ids: list[int] | None = None) -> dict[str, Any]:
    """Match the given lines, the lines of the given statements, or (neither given) every open line.

    Lines already settled are skipped, so a rerun is harmless. A statement that just arrived names
    itself, so its few lines are decided over the invoices they could touch instead of every open
    invoice (docs/matching.md); a new invoice still re-tries every open line.
    """
    with session_scope() as session:
        if statement_ids is not None:
            line_ids = [*(line_ids or ()), *line_ids_of_statements(session, statement_ids)]
        return reconcile(session, line_ids).as_dict()


# Sync's tasks (reconciler.sync_due_accounts, reconciler.pull_account) live with their area; importing
# the module registers them for workers, beat and the in-process scheduler.
import services.reconciler.sync.tasks  # noqa: E402, F401
