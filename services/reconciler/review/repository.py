"""Queries of the review workflow: row locks, guarded relative updates, and who decided last.

Locking is where the two databases differ. PostgreSQL locks the rows a decision touches with
``SELECT … FOR UPDATE`` (line first, then invoices in id order, so two decisions never wait on
each other in a cycle). SQLite has one writer per database: touching the line with a no-op
UPDATE takes that write lock *before* anything is read, so the reads that follow are current and
a second decision waits for the first to commit (pysqlite opens the transaction at the first
write, not at the first read). Either way the amounts are then changed with conditional relative
updates, and a row count of zero means someone else got there first.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, or_, select, update
from sqlmodel import Session, col

from shared.db import columns, insert_ignoring_conflicts, insert_returning_ids, is_postgres
from shared.models import Allocation, BankTransaction, Invoice, JournalEvent, LearnedAccount
from shared.models.columns import utcnow
from shared.models.matching import EFFECTIVE_KINDS


def lock_line(session: Session, line_id: int) -> BankTransaction | None:
    """The line, current and locked against concurrent decisions until this transaction ends."""
    if not is_postgres(session):
        session.execute(
            update(BankTransaction)
            .where(col(BankTransaction.id) == line_id)
            .values(match_status=col(BankTransaction.match_status))
        )
    return session.scalars(
        select(BankTransaction)
        .where(col(BankTransaction.id) == line_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()


def lock_invoices(session: Session, invoice_ids: Sequence[int]) -> dict[int, Invoice]:
    ids = sorted(set(invoice_ids))
    rows = session.scalars(
        select(Invoice)
        .where(col(Invoice.id).in_(ids))
        .order_by(col(Invoice.id))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {inv.id or 0: inv for inv in rows}


def get_allocation(session: Session, allocation_id: int) -> Allocation | None:
    return session.scalars(
        select(Allocation).where(col(Allocation.id) == allocation_id).execution_options(populate_existing=True)
    ).first()


def active_suggestions_of_line(session: Session, line_id: int) -> list[Allocation]:
    return list(
        session.scalars(
            select(Allocation)
            .where(
                col(Allocation.transaction_id) == line_id,
                col(Allocation.kind) == "suggested",
                col(Allocation.reversed_at).is_(None),
            )
            .order_by(col(Allocation.confidence).desc(), col(Allocation.id))
        )
    )


def active_suggestions_to_invoices(session: Session, invoice_ids: Sequence[int]) -> list[Allocation]:
    if not invoice_ids:
        return []
    return list(
        session.scalars(
            select(Allocation).where(
                col(Allocation.invoice_id).in_(list(invoice_ids)),
                col(Allocation.kind) == "suggested",
                col(Allocation.reversed_at).is_(None),
            )
        )
    )


def insert_allocations(session: Session, rows: Sequence[dict[str, Any]]) -> list[int]:
    return insert_returning_ids(session, Allocation.__table__, rows)  # type: ignore[attr-defined]


def mark_reversed(
    session: Session, allocation_id: int, *, kinds: Sequence[str], actor: str, reason: str, now: datetime
) -> bool:
    """Reverse one allocation if it is still active and of ``kinds``; False when it no longer is."""
    result = session.execute(
        update(Allocation)
        .where(
            col(Allocation.id) == allocation_id,
            col(Allocation.reversed_at).is_(None),
            col(Allocation.kind).in_(list(kinds)),
        )
        .values(reversed_at=now, reversed_by=actor, reversal_reason=reason)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def withdraw(session: Session, allocation_ids: Sequence[int], *, actor: str, reason: str, now: datetime) -> None:
    if allocation_ids:
        session.execute(
            update(Allocation)
            .where(col(Allocation.id).in_(list(allocation_ids)), col(Allocation.reversed_at).is_(None))
            .values(reversed_at=now, reversed_by=actor, reversal_reason=reason)
        )


def _magnitude() -> Any:
    return case(
        (col(BankTransaction.amount_minor) < 0, -col(BankTransaction.amount_minor)),
        else_=col(BankTransaction.amount_minor),
    )


def add_to_line(session: Session, line_id: int, delta: int) -> bool:
    """Relative change of a line's allocated amount, refused (False) if it would leave [0, |amount|]."""
    new_value = col(BankTransaction.allocated_minor) + delta
    result = session.execute(
        update(BankTransaction)
        .where(
            col(BankTransaction.id) == line_id,
            col(BankTransaction.match_status) != "ignored",
            new_value >= 0,
            new_value <= _magnitude(),
        )
        .values(allocated_minor=new_value)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def add_to_invoice(session: Session, invoice_id: int, delta: int, *, allow_overpay: bool = False) -> bool:
    """Relative change of an invoice's paid amount, refused (False) past its amount or below zero."""
    new_value = col(Invoice.paid_minor) + delta
    conditions = [col(Invoice.id) == invoice_id, new_value >= 0]
    if delta > 0:
        conditions.append(col(Invoice.status) != "cancelled")
        if not allow_overpay:
            conditions.append(new_value <= col(Invoice.amount_minor))
    result = session.execute(update(Invoice).where(*conditions).values(paid_minor=new_value, updated_at=utcnow()))
    return bool(getattr(result, "rowcount", 0) == 1)


def set_line_status(session: Session, line_id: int, status: str) -> None:
    session.execute(update(BankTransaction).where(col(BankTransaction.id) == line_id).values(match_status=status))


def set_ignored(session: Session, line_id: int) -> bool:
    """Mark a line not-an-invoice-payment, only while nothing is allocated on it."""
    result = session.execute(
        update(BankTransaction)
        .where(
            col(BankTransaction.id) == line_id,
            col(BankTransaction.match_status) != "ignored",
            col(BankTransaction.allocated_minor) == 0,
        )
        .values(match_status="ignored")
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def allocation_ids_of_line(session: Session, line_id: int) -> list[int]:
    return list(session.scalars(select(*columns(Allocation.id)).where(col(Allocation.transaction_id) == line_id)))


def allocation_ids_of_invoice(session: Session, invoice_id: int) -> list[int]:
    return list(session.scalars(select(*columns(Allocation.id)).where(col(Allocation.invoice_id) == invoice_id)))


def history(session: Session, entity_type: str, entity_id: int, allocation_ids: Sequence[int]) -> list[JournalEvent]:
    """Events about an entity and about its allocations, oldest first: the timeline of a page."""
    about_allocations = and_(
        col(JournalEvent.entity_type) == "allocation",
        col(JournalEvent.entity_id).in_([str(i) for i in allocation_ids] or ["-"]),
    )
    about_entity = and_(col(JournalEvent.entity_type) == entity_type, col(JournalEvent.entity_id) == str(entity_id))
    return list(
        session.scalars(
            select(JournalEvent).where(or_(about_entity, about_allocations)).order_by(col(JournalEvent.seq))
        )
    )


def latest_event(
    session: Session, entity_type: str, entity_id: int, allocation_ids: Sequence[int]
) -> JournalEvent | None:
    events = history(session, entity_type, entity_id, allocation_ids)
    return events[-1] if events else None


def confirming_event(session: Session, allocation_id: int) -> JournalEvent | None:
    """The event that created a confirmed allocation (it names the suggestion it came from)."""
    return session.scalars(
        select(JournalEvent).where(
            col(JournalEvent.entity_type) == "allocation",
            col(JournalEvent.entity_id) == str(allocation_id),
            col(JournalEvent.action) == "allocation.confirmed",
        )
    ).first()


def effective_total_of_invoice(session: Session, invoice_id: int) -> int:
    total = session.execute(
        select(func.coalesce(func.sum(col(Allocation.amount_minor)), 0)).where(
            col(Allocation.invoice_id) == invoice_id,
            col(Allocation.reversed_at).is_(None),
            col(Allocation.kind).in_(EFFECTIVE_KINDS),
        )
    ).scalar_one()
    return int(total)


def learn_account(session: Session, account_number: str, partner_id: int, allocation_id: int, actor: str) -> None:
    """Remember that this account pays for this partner; the first lesson for an account stands."""
    insert_ignoring_conflicts(
        session,
        LearnedAccount.__table__,  # type: ignore[attr-defined]
        [
            {
                "account_number": account_number,
                "partner_id": partner_id,
                "learned_from_allocation_id": allocation_id,
                "created_by": actor,
                "created_at": utcnow(),
            }
        ],
        ["account_number"],
    )
