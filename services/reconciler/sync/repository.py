"""Queries of the sync area: connections, claims on due accounts, and the pull record."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlmodel import Session, col

from shared.db import is_postgres
from shared.models import BankAccount
from shared.models.sync import BankConnection, BankPull


def account_by_number(session: Session, number: str) -> BankAccount | None:
    return session.scalars(select(BankAccount).where(col(BankAccount.number) == number)).first()


def account_by_id(session: Session, account_id: int) -> BankAccount | None:
    return session.get(BankAccount, account_id)


def connection_of(session: Session, account_id: int) -> BankConnection | None:
    return session.scalars(select(BankConnection).where(col(BankConnection.bank_account_id) == account_id)).first()


def lock_connection(session: Session, connection_id: int) -> BankConnection | None:
    """The connection row, locked for this transaction; None when another transaction holds it.

    On PostgreSQL this is ``FOR UPDATE SKIP LOCKED``: a second pull of the same account does not
    queue behind the first (which may be waiting on the bank), it learns at once that it is busy.
    SQLite has one writer at a time, so there the row is simply read.
    """
    query = select(BankConnection).where(col(BankConnection.id) == connection_id)
    if is_postgres(session):
        query = query.with_for_update(skip_locked=True)
    return session.scalars(query.execution_options(populate_existing=True)).first()


def add(session: Session, row: BankAccount | BankConnection | BankPull) -> None:
    session.add(row)
    session.flush()


def claim_due(session: Session, now: datetime, limit: int) -> list[int]:
    """Ids of enabled connections due at ``now``, each moved to its next slot so no one else takes it.

    Candidates are read with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (a concurrent tick skips the
    rows this one holds); each claim is then a compare-and-set on ``next_pull_at``, which is what
    keeps two ticks apart on SQLite, where writes are serialised and the second tick finds the
    slot already moved.
    """
    query = (
        select(col(BankConnection.id), col(BankConnection.pull_every_minutes))
        .where(col(BankConnection.enabled).is_(True), col(BankConnection.next_pull_at) <= now)
        .order_by(col(BankConnection.next_pull_at), col(BankConnection.id))
        .limit(limit)
    )
    if is_postgres(session):
        query = query.with_for_update(skip_locked=True)
    claimed: list[int] = []
    for connection_id, every_minutes in session.execute(query).all():
        moved = session.execute(
            update(BankConnection)
            .where(col(BankConnection.id) == connection_id, col(BankConnection.next_pull_at) <= now)
            .values(next_pull_at=now + timedelta(minutes=every_minutes))
        )
        if moved.rowcount == 1:  # type: ignore[attr-defined]
            claimed.append(connection_id)
    return claimed


def connections_with_accounts(session: Session) -> Sequence[tuple[BankAccount, BankConnection]]:
    rows = session.execute(
        select(BankAccount, BankConnection)
        .join(BankConnection, col(BankConnection.bank_account_id) == col(BankAccount.id))
        .order_by(col(BankAccount.number))
    ).all()
    return [(account, connection) for account, connection in rows]


def connection_with_account(session: Session, connection_id: int) -> tuple[BankAccount, BankConnection] | None:
    row = session.execute(
        select(BankAccount, BankConnection)
        .join(BankConnection, col(BankConnection.bank_account_id) == col(BankAccount.id))
        .where(col(BankConnection.id) == connection_id)
    ).first()
    return (row[0], row[1]) if row else None


def pulls_of(session: Session, account_id: int, limit: int) -> Sequence[BankPull]:
    return session.scalars(
        select(BankPull)
        .where(col(BankPull.bank_account_id) == account_id)
        .order_by(col(BankPull.started_at).desc(), col(BankPull.id).desc())
        .limit(limit)
    ).all()
