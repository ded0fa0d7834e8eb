"""Importing what is already stored: nothing twice, and the cost of a lookup only where it can pay.

Files overlap in practice: a month's statement after its days, a quarter's after its months, the
same file sent twice. Every line already stored comes back a duplicate, whatever the database. On
PostgreSQL the importer looks the keys of such lines up before copying (``skip_stored``), which it
asks for only when the account has stored lines on the file's days: a line's dedupe key holds its
account and day, so a file of new days cannot repeat anything and skips the lookup.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from services.reconciler.intake import repository
from services.reconciler.intake.service import import_statement_file
from shared.db import session_scope
from tests.onec_files import PaymentOrder, exchange_file

OURS = "40702810900000000001"


def onec_file(first_day: date, days: int, per_day: int = 3) -> bytes:
    """A 1C statement of our account with ``per_day`` incoming payments on each of ``days`` days."""
    orders = [
        PaymentOrder(
            number=str(d * 10 + n + 1),
            day=first_day + timedelta(days=d),
            amount=f"{100 + n}.00",
            purpose=f"Оплата по счету {d * 10 + n + 1}",
            payer_name="ООО Ромашка",
            payer_inn="7701234567",
            payer_account="40702810500000000077",
        )
        for d in range(days)
        for n in range(per_day)
    ]
    return exchange_file(OURS, orders)


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each import asked to look up stored keys first."""
    asked: list[bool] = []
    insert_lines = repository.insert_lines

    def spy(session: Any, rows: Any, *, likely_stored: bool) -> None:
        asked.append(likely_stored)
        insert_lines(session, rows, likely_stored=likely_stored)

    monkeypatch.setattr(repository, "insert_lines", spy)
    return asked


def _import(data: bytes, name: str) -> tuple[int, int]:
    with session_scope() as session:
        (statement,) = import_statement_file(session, data, name, actor="test").statements
    return statement.new, statement.duplicates


def test_a_file_imported_again_stores_nothing_and_looks_its_lines_up(database_url: str, lookups: list[bool]) -> None:
    june = onec_file(date(2026, 6, 1), days=30)
    assert _import(june, "june.txt") == (90, 0)
    assert _import(june, "june-again.txt") == (0, 90)
    assert lookups == [False, True]


def test_a_file_overlapping_stored_days_stores_only_its_new_lines(database_url: str, lookups: list[bool]) -> None:
    assert _import(onec_file(date(2026, 6, 1), days=10), "june-1-10.txt") == (30, 0)
    assert _import(onec_file(date(2026, 6, 1), days=30), "june.txt") == (60, 30)
    assert lookups == [False, True]


def test_a_file_of_new_days_for_the_account_skips_the_lookup(database_url: str, lookups: list[bool]) -> None:
    assert _import(onec_file(date(2026, 6, 1), days=30), "june.txt") == (90, 0)
    assert _import(onec_file(date(2026, 7, 1), days=31), "july.txt") == (93, 0)
    assert lookups == [False, False]
