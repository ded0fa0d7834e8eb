"""SQLite's fast executemany stores exactly what SQLAlchemy's own executemany stores."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Table, create_engine, text
from sqlalchemy.dialects import sqlite
from sqlmodel import Session, SQLModel

from shared.db import execute_many
from shared.models import Invoice, InvoiceLookupKey, JournalEvent

MOMENT = datetime(2026, 12, 7, 21, 30, 15, 123456, tzinfo=timezone(timedelta(hours=3)))


def _journal_rows() -> list[dict[str, Any]]:
    return [
        {
            "seq": n + 1,
            "occurred_at": MOMENT if n % 3 else datetime(2026, 1, 1, n, tzinfo=UTC),
            "actor": "ёжик «цитата»",
            "action": "invoice.updated",
            "entity_type": "invoice",
            "entity_id": str(n),
            "before": None if n % 2 else {"amount_minor": n, "note": 'q"uote\\ 😀', "list": [1, None, 2.5]},
            "after": {"amount_minor": n + 1, "nested": {"z": None}},
            "prev_hash": f"p{n}",
            "hash": f"h{n}",
        }
        for n in range(7)
    ]


def _invoice_rows() -> list[dict[str, Any]]:
    return [
        {
            "direction": "receivable",
            "number": f"INV-{n}",
            "partner_id": 7,
            "contract_id": None,
            "invoice_date": date(2026, 5, n + 1) if n % 2 else None,
            "due_date": date(2026, 6, 1),
            "amount_minor": 10**15 + n,
            "currency": "RUB",
            "paid_minor": 0,
            "status": "open",
            "created_at": MOMENT,
            "updated_at": MOMENT,
            "lookup_keys_version": 2,
        }
        for n in range(5)
    ]


def _stored(engine: Any, table: Table) -> list[tuple[Any, ...]]:
    """The raw stored values with their SQLite storage classes (no result processing)."""
    names = ", ".join(f'"{c.name}", typeof("{c.name}")' for c in table.columns)
    with engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(f"SELECT {names} FROM {table.name} ORDER BY rowid")]


@pytest.mark.parametrize(
    ("table", "rows", "statement"),
    [
        (JournalEvent.__table__, _journal_rows(), None),  # type: ignore[attr-defined]
        (Invoice.__table__, _invoice_rows(), None),  # type: ignore[attr-defined]
        (
            InvoiceLookupKey.__table__,  # type: ignore[attr-defined]
            [{"key": "k1", "invoice_id": 1}, {"key": "k2", "invoice_id": 1}, {"key": "k1", "invoice_id": 1}],
            "ignore",
        ),
    ],
    ids=["journal", "invoice", "on-conflict"],
)
def test_the_stored_values_are_those_sqlalchemy_stores(
    tmp_path: Path, table: Table, rows: list[dict[str, Any]], statement: str | None
) -> None:
    stored = []
    for how in ("sqlalchemy", "fast"):
        engine = create_engine(f"sqlite:///{tmp_path / how}.db")
        SQLModel.metadata.create_all(engine, tables=[table])
        with engine.connect() as conn:
            conn.execute(text("PRAGMA foreign_keys=OFF"))
        stmt: Any = table.insert()
        if statement == "ignore":
            stmt = sqlite.insert(table).on_conflict_do_nothing(index_elements=["key", "invoice_id"])
        with Session(engine) as session:
            if how == "sqlalchemy":
                session.execute(stmt, rows)
            else:
                execute_many(session, stmt, rows)
            session.commit()
        stored.append(_stored(engine, table))
        engine.dispose()
    assert stored[0] == stored[1]
    assert len(stored[1]) == (2 if statement == "ignore" else len(rows))  # the repeated key stored once


def test_rows_missing_a_column_with_a_python_default_are_left_to_sqlalchemy(tmp_path: Path) -> None:
    """``invoice.status`` has a Python-side default: rows without it still get it."""
    table: Table = Invoice.__table__  # type: ignore[attr-defined]
    engine = create_engine(f"sqlite:///{tmp_path / 'd'}.db")
    SQLModel.metadata.create_all(engine, tables=[table])
    rows = [{k: v for k, v in r.items() if k != "status"} for r in _invoice_rows()]
    with Session(engine) as session:
        execute_many(session, table.insert(), rows)
        session.commit()
    with engine.connect() as conn:
        assert {s for (s,) in conn.exec_driver_sql("SELECT status FROM invoice")} == {"open"}
    engine.dispose()
