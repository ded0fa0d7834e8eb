"""Many rows in at once (a statement's lines): duplicates refused by the constraint, order and values kept."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlmodel import col

from shared.db import bulk_insert_ignoring_conflicts, session_scope
from shared.models import BankAccount, BankTransaction, Statement
from shared.models.columns import utcnow


def _lines(statement: Statement, keys: list[str]) -> list[dict[str, object]]:
    return [
        {
            "bank_account_id": statement.bank_account_id,
            "statement_id": statement.id,
            "dedupe_key": key,
            "bank_ref": f"REF-{key}",
            "booking_date": date(2026, 5, 20),
            "value_date": None,
            "amount_minor": 100 + n,
            "currency": "RUB",
            "counterparty_name": "ООО «Ромашка»",
            "counterparty_account": None,
            "counterparty_tax_id": "7701234567",
            "purpose": "оплата по счёту №7\ttab\\slash",
            "details": {"kbk": None, "priority": "5", "nested": {"n": n}},
            "raw": "raw\nrecord",
            "source_line": n + 1,
            "allocated_minor": 0,
            "match_status": "unmatched",
            "created_at": utcnow(),
        }
        for n, key in enumerate(keys)
    ]


def test_rows_go_in_once_in_their_order_with_their_values(database_url: str) -> None:
    table = BankTransaction.__table__  # type: ignore[attr-defined]
    with session_scope() as session:
        account = BankAccount(number="40702810900000000001", currency="RUB")
        session.add(account)
        session.flush()
        statement = Statement(
            bank_account_id=account.id or 0, source="file", format="1c", file_hash="h", imported_by="t"
        )
        session.add(statement)
        session.flush()
        bulk_insert_ignoring_conflicts(session, table, _lines(statement, ["c", "a", "b"]), ["dedupe_key"])
        # A second statement repeating two of them, one twice, and bringing one new line.
        bulk_insert_ignoring_conflicts(session, table, _lines(statement, ["a", "d", "b", "d"]), ["dedupe_key"])
    with session_scope() as session:
        stored = list(session.scalars(select(BankTransaction).order_by(col(BankTransaction.id))))
    assert [t.dedupe_key for t in stored] == ["c", "a", "b", "d"]
    first = stored[0]
    assert (first.purpose, first.raw, first.counterparty_name) == (
        "оплата по счёту №7\ttab\\slash",
        "raw\nrecord",
        "ООО «Ромашка»",
    )
    assert first.details == {"kbk": None, "priority": "5", "nested": {"n": 0}}
    assert stored[3].amount_minor == 101 and stored[3].booking_date == date(2026, 5, 20)
