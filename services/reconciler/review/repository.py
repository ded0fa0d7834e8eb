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
from shared.models import (
    Allocation,
    BankTransaction,
    Contract,
    Invoice,
    JournalEvent,
    LearnedAccount,
    LearnedReference,
    Partner,
    PartnerAccount,
)
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


def learn_account(
    session: Session, account_number: str, partner_id: int, allocation_id: int, actor: str
) -> LearnedAccount | None:
    """Remember that this account pays for this partner; the first lesson for an account stands.

    Returns the new row, or None when the account was learned before.
    """
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
    return session.scalars(
        select(LearnedAccount).where(
            col(LearnedAccount.account_number) == account_number,
            col(LearnedAccount.learned_from_allocation_id) == allocation_id,
        )
    ).first()


def is_partner_account(session: Session, account_number: str) -> bool:
    """Whether the account is one a partner is known by (learning it would teach nothing)."""
    found = session.scalars(
        select(col(PartnerAccount.id)).where(col(PartnerAccount.number) == account_number).limit(1)
    ).first()
    return found is not None


def effective_allocations_of_line(session: Session, line_id: int) -> list[Allocation]:
    return list(
        session.scalars(
            select(Allocation).where(
                col(Allocation.transaction_id) == line_id,
                col(Allocation.reversed_at).is_(None),
                col(Allocation.kind).in_(EFFECTIVE_KINDS),
            )
        )
    )


def get_partner(session: Session, partner_id: int) -> Partner | None:
    return session.get(Partner, partner_id)


def contract_numbers_of_partner(session: Session, partner_id: int) -> list[str]:
    return list(session.scalars(select(col(Contract.number)).where(col(Contract.partner_id) == partner_id)))


def numbers_containing(
    session: Session, model: type[Invoice] | type[Contract], digits: str, limit: int
) -> list[str] | None:
    """Invoice (or contract) numbers with ``digits`` in them; None when there are more than ``limit``."""
    found = list(
        session.scalars(
            select(col(model.number)).where(col(model.number).contains(digits, autoescape=True)).limit(limit + 1)
        )
    )
    return None if len(found) > limit else found


def purposes_paying_other_invoices(session: Session, partner_id: int, invoice_id: int, limit: int) -> list[str]:
    """Purposes of the partner's latest payments allocated to its other invoices."""
    return [
        p
        for p in session.scalars(
            select(col(BankTransaction.purpose))
            .join(Allocation, col(Allocation.transaction_id) == col(BankTransaction.id))
            .join(Invoice, col(Invoice.id) == col(Allocation.invoice_id))
            .where(
                col(Invoice.partner_id) == partner_id,
                col(Allocation.invoice_id) != invoice_id,
                col(Allocation.kind).in_(EFFECTIVE_KINDS),
                col(Allocation.reversed_at).is_(None),
            )
            .order_by(col(Allocation.id).desc())
            .limit(limit)
        )
        if p
    ]


def learn_references(session: Session, rows: Sequence[dict[str, Any]], allocation_id: int) -> list[LearnedReference]:
    """Store learned references (a lesson already learned for the invoice stays as it was); the new rows."""
    insert_ignoring_conflicts(
        session,
        LearnedReference.__table__,  # type: ignore[attr-defined]
        rows,
        ["partner_id", "direction", "alias", "invoice_id"],
    )
    return list(
        session.scalars(
            select(LearnedReference)
            .where(col(LearnedReference.learned_from_allocation_id) == allocation_id)
            .order_by(col(LearnedReference.id))
        )
    )


def references_taught_by(session: Session, allocation_id: int) -> list[LearnedReference]:
    return list(
        session.scalars(
            select(LearnedReference).where(col(LearnedReference.learned_from_allocation_id) == allocation_id)
        )
    )


def references_of_partner(
    session: Session, partner_id: int, direction: str, aliases: Sequence[str]
) -> list[LearnedReference]:
    if not aliases:
        return []
    return list(
        session.scalars(
            select(LearnedReference).where(
                col(LearnedReference.partner_id) == partner_id,
                col(LearnedReference.direction) == direction,
                col(LearnedReference.alias).in_(list(aliases)),
            )
        )
    )


def doubt_references(session: Session, reference_ids: Sequence[int], *, actor: str, reason: str, now: datetime) -> None:
    if reference_ids:
        session.execute(
            update(LearnedReference)
            .where(col(LearnedReference.id).in_(list(reference_ids)), col(LearnedReference.doubted_at).is_(None))
            .values(doubted_at=now, doubted_by=actor, doubt_reason=reason[:500])
        )
