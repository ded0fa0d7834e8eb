"""API shapes of payments (bank transactions)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel


class PaymentAllocationOut(BaseModel):
    id: int
    invoice_id: int
    invoice_no: str
    amount: str
    currency: str
    kind: str
    confidence: float
    reasons: list[dict[str, str]]
    created_by: str
    created_at: str
    reversed_at: str | None


class PaymentOut(BaseModel):
    id: int
    bank_ref: str | None
    account: str
    booking_date: date | None
    value_date: date | None
    amount: str
    currency: str
    direction: str
    counterparty_name: str | None
    counterparty_account: str | None
    counterparty_tax_id: str | None
    purpose: str | None
    match_status: str
    allocated: str
    statement_id: int
    allocations: list[PaymentAllocationOut]
