"""A bulk run stores the same books however its amounts reach the database.

On PostgreSQL a run of many lines adds their amounts by arrays, one ``UPDATE … FROM`` per chunk;
a run of a few (and every run on SQLite) row by row. Whichever way, every line's allocated amount
and status, every invoice's paid amount and status, and the status events must come out the same.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import col

from services.reconciler.matching import service
from services.reconciler.matching.service import reconcile
from shared.db import session_scope
from shared.models import BankTransaction, OutboxEvent
from tests.services.reconciler.matching.test_candidate_invoices import _books, _generate, _load_into_both


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _generate(tmp_path_factory.mktemp("world"), 1, 400, 30)


def _lines_and_events(engine: Engine | None) -> tuple[list[Any], Counter[str]]:
    with session_scope(engine) as session:
        lines = session.execute(
            select(
                col(BankTransaction.bank_ref), col(BankTransaction.allocated_minor), col(BankTransaction.match_status)
            ).order_by(col(BankTransaction.id))
        ).all()
        events = Counter(session.scalars(select(col(OutboxEvent.event_type))))
    return [tuple(r) for r in lines], events


def test_a_bulk_run_books_the_same_whether_amounts_go_by_arrays_or_row_by_row(
    database_url: str, world: Path, second_sqlite: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database under test takes the bulk path; a second SQLite takes every row on its own."""
    _load_into_both(world, second_sqlite)
    with session_scope() as session:
        summary = reconcile(session)
    assert summary.allocations >= service._ARRAY_FROM_ROWS  # enough rows for the bulk path
    monkeypatch.setattr(service, "_ARRAY_FROM_ROWS", 10**9)
    with session_scope(second_sqlite) as session:
        reconcile(session)
    assert _books(None) == _books(second_sqlite)
    assert _lines_and_events(None) == _lines_and_events(second_sqlite)
