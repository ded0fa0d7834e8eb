"""Queries of the intake area: accounts, statements and stored lines."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from shared.db import bulk_insert_ignoring_conflicts, insert_ignoring_conflicts
from shared.models import BankAccount, BankTransaction
from shared.models.columns import utcnow


def get_account_by_number(session: Session, number: str) -> BankAccount | None:
    return session.scalars(select(BankAccount).where(col(BankAccount.number) == number)).first()


def ensure_account(session: Session, number: str, currency: str | None) -> BankAccount:
    """The account with this number, created on first sight.

    Insert-if-absent through the unique constraint, then read: two imports of a new account's
    statements at the same moment both get the one row instead of one of them failing.
    """
    table = BankAccount.__table__  # type: ignore[attr-defined]
    row = {"number": number, "currency": currency, "created_at": utcnow()}
    insert_ignoring_conflicts(session, table, [row], ["number"])
    account = get_account_by_number(session, number)
    assert account is not None, "the row was just inserted or already there"
    return account


def insert_lines(session: Session, rows: Iterable[dict[str, Any]], *, likely_stored: bool) -> None:
    """Insert lines; ones whose dedupe_key already exists (from any import, even a concurrent one) are skipped.

    ``likely_stored``: the lines overlap ones already stored (see :func:`has_lines_between`), so
    the known ones are looked up and left out instead of being sent to be refused.
    """
    table = BankTransaction.__table__  # type: ignore[attr-defined]
    bulk_insert_ignoring_conflicts(session, table, rows, ["dedupe_key"], skip_stored=likely_stored)


def has_lines_between(session: Session, account_id: int, first: date, last: date) -> bool:
    """Whether the account has a stored line booked in ``[first, last]`` (one probe of the account-day index).

    A line's dedupe key includes its account and booking day, so lines outside every stored
    account-day cannot be duplicates; a statement of new days needs no lookup of its keys.
    """
    query = (
        select(col(BankTransaction.id))
        .where(
            col(BankTransaction.bank_account_id) == account_id,
            col(BankTransaction.booking_date) >= first,
            col(BankTransaction.booking_date) <= last,
        )
        .limit(1)
    )
    return session.execute(query).first() is not None


def count_lines_of_statements(session: Session, statement_ids: Sequence[int]) -> dict[int, int]:
    """How many lines each of these statements stored (an import stores only lines it had not seen)."""
    counts: dict[int, int] = {}
    for start in range(0, len(statement_ids), 5000):
        chunk = list(statement_ids[start : start + 5000])
        query = (
            select(col(BankTransaction.statement_id), func.count())
            .where(col(BankTransaction.statement_id).in_(chunk))
            .group_by(col(BankTransaction.statement_id))
        )
        counts.update({int(statement_id): int(count) for statement_id, count in session.execute(query).all()})
    return counts


def line_ids_of_statements(session: Session, statement_ids: Sequence[int]) -> list[int]:
    """The stored lines of these statements (an import stores only lines it had not seen), in order."""
    if not statement_ids:
        return []
    query = select(col(BankTransaction.id)).where(col(BankTransaction.statement_id).in_(list(statement_ids)))
    return [i for i in session.scalars(query.order_by(col(BankTransaction.id))) if i is not None]
