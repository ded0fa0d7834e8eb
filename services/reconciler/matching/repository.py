"""Bulk queries that feed the matcher and store its decisions."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import select, update
from sqlmodel import Session, col

from services.reconciler.matching.types import LearnedFacts, OpenInvoice, PartnerFacts, PaymentLine
from shared.db import columns, insert_returning_ids
from shared.models import (
    Allocation,
    BankTransaction,
    Contract,
    Invoice,
    LearnedAccount,
    Partner,
    PartnerAccount,
)
from shared.models.columns import utcnow

OPEN_LINE_STATUSES = ("unmatched", "suggested")


def open_lines(session: Session, line_ids: Sequence[int] | None = None) -> list[PaymentLine]:
    query = select(
        *columns(
            BankTransaction.id,
            BankTransaction.amount_minor,
            BankTransaction.currency,
            BankTransaction.booking_date,
            BankTransaction.counterparty_name,
            BankTransaction.counterparty_account,
            BankTransaction.counterparty_tax_id,
            BankTransaction.purpose,
            BankTransaction.allocated_minor,
        )
    ).where(col(BankTransaction.match_status).in_(OPEN_LINE_STATUSES))
    if line_ids is not None:
        query = query.where(col(BankTransaction.id).in_(list(line_ids)))
    query = query.order_by(col(BankTransaction.booking_date), col(BankTransaction.id))
    return [PaymentLine(*row) for row in session.execute(query)]


def open_invoices(session: Session) -> list[OpenInvoice]:
    query = (
        select(
            *columns(
                Invoice.id,
                Invoice.number,
                Invoice.direction,
                Invoice.partner_id,
                Invoice.amount_minor,
                Invoice.paid_minor,
                Invoice.currency,
                Invoice.invoice_date,
                Invoice.due_date,
                Invoice.contract_id,
                Contract.number,
            )
        )
        .outerjoin(Contract, col(Contract.id) == col(Invoice.contract_id))
        .where(col(Invoice.status).in_(("open", "partially_paid")))
    )
    return [
        OpenInvoice(
            id=r[0],
            number=r[1],
            direction=r[2],
            partner_id=r[3],
            amount_minor=r[4],
            outstanding_minor=r[4] - r[5],
            currency=r[6],
            invoice_date=r[7],
            due_date=r[8],
            contract_id=r[9],
            contract_number=r[10],
        )
        for r in session.execute(query)
    ]


def partners(session: Session) -> list[PartnerFacts]:
    accounts: dict[int, list[str]] = defaultdict(list)
    for partner_id, number in session.execute(select(*columns(PartnerAccount.partner_id, PartnerAccount.number))):
        accounts[partner_id].append(number)
    return [
        PartnerFacts(id=pid, name=name, tax_ids=(inn,) if inn else (), accounts=tuple(accounts.get(pid, ())))
        for pid, name, inn in session.execute(select(*columns(Partner.id, Partner.name, Partner.inn)))
    ]


def learned_facts(session: Session) -> LearnedFacts:
    rows = session.execute(select(*columns(LearnedAccount.account_number, LearnedAccount.partner_id)))
    return LearnedFacts(account_partner={str(a): int(p) for a, p in rows})


def active_suggestions(session: Session, line_ids: Sequence[int]) -> list[int]:
    ids: list[int] = []
    for chunk in _chunks(line_ids):
        ids.extend(
            session.scalars(
                select(*columns(Allocation.id)).where(
                    col(Allocation.transaction_id).in_(chunk),
                    col(Allocation.kind) == "suggested",
                    col(Allocation.reversed_at).is_(None),
                )
            )
        )
    return ids


def withdraw_allocations(session: Session, allocation_ids: Sequence[int], actor: str, reason: str) -> None:
    now = utcnow()
    for chunk in _chunks(allocation_ids):
        session.execute(
            update(Allocation)
            .where(col(Allocation.id).in_(chunk))
            .values(reversed_at=now, reversed_by=actor, reversal_reason=reason)
        )


def insert_allocations(session: Session, rows: Sequence[dict[str, Any]]) -> list[int]:
    return insert_returning_ids(session, Allocation.__table__, rows)  # type: ignore[attr-defined]


def update_by_id(session: Session, model: type[Any], rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(update(model), list(rows))


def _chunks(values: Sequence[int], size: int = 2000) -> Iterator[Sequence[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
