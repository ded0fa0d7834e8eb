"""Allocations as people and integrators read them: with the payment's bank reference, the invoice and partner.

One query serves the review workspace, the invoice view and the payment view, so they never disagree
about what was allocated, by whom, and what was reversed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from shared.db import columns
from shared.models import Allocation, BankTransaction, Invoice, Partner


@dataclass(frozen=True, slots=True)
class AllocationView:
    id: int
    transaction_id: int
    bank_ref: str | None
    invoice_id: int
    invoice_no: str
    partner_name: str
    amount_minor: int
    currency: str
    kind: str
    confidence: float
    reasons: list[dict[str, Any]]
    created_by: str
    created_at: datetime
    reversed_at: datetime | None
    reversed_by: str | None
    reversal_reason: str | None

    @property
    def active(self) -> bool:
        return self.reversed_at is None

    @property
    def rejected(self) -> bool:
        return self.kind == "suggested" and (self.reversal_reason or "").startswith("rejected")


def allocations_where(session: Session, *where: Any) -> list[AllocationView]:
    rows = session.execute(
        select(
            *columns(
                Allocation.id,
                Allocation.transaction_id,
                BankTransaction.bank_ref,
                Allocation.invoice_id,
                Invoice.number,
                Partner.name,
                Allocation.amount_minor,
                Allocation.currency,
                Allocation.kind,
                Allocation.confidence,
                Allocation.reasons,
                Allocation.created_by,
                Allocation.created_at,
                Allocation.reversed_at,
                Allocation.reversed_by,
                Allocation.reversal_reason,
            )
        )
        .join(Invoice, col(Invoice.id) == col(Allocation.invoice_id))
        .join(Partner, col(Partner.id) == col(Invoice.partner_id))
        .join(BankTransaction, col(BankTransaction.id) == col(Allocation.transaction_id))
        .where(*where)
        .order_by(col(Allocation.id))
    )
    return [AllocationView(*r) for r in rows]


def allocations_of_line(session: Session, line_id: int) -> list[AllocationView]:
    return allocations_where(session, col(Allocation.transaction_id) == line_id)


def allocations_of_invoice(session: Session, invoice_id: int) -> list[AllocationView]:
    return allocations_where(session, col(Allocation.invoice_id) == invoice_id)
