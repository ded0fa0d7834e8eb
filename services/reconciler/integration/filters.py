"""Query-string filters of the lists, as models (FastAPI reads them from the query string)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.reconciler.api.pagination import DEFAULT_LIMIT, MAX_LIMIT
from services.reconciler.api.params import MAX_ID

InvoiceStatus = Literal["open", "partially_paid", "paid", "overpaid", "cancelled"]
MatchStatus = Literal["unmatched", "suggested", "partially_settled", "settled", "ignored"]
AllocationKind = Literal["auto", "suggested", "confirmed", "manual"]
Currency = Field(default=None, pattern=r"^[A-Za-z]{3}$")
Limit = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page.")
Cursor = Field(default=None, max_length=500, description="`next_cursor` of the previous page.")
AmountBound = Field(default=None, ge=0, max_digits=18, decimal_places=4, description="Needs `currency`.")


class _Filters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cursor: str | None = Cursor
    limit: int = Limit


class InvoiceFilters(_Filters):
    status: list[InvoiceStatus] = Field(default_factory=list, description="Any of these (repeat the parameter).")
    direction: Literal["receivable", "payable"] | None = None
    number: str | None = Field(default=None, max_length=100)
    partner_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    partner_inn: str | None = Field(default=None, max_length=12)
    contract_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    currency: str | None = Currency
    amount_min: Decimal | None = AmountBound
    amount_max: Decimal | None = AmountBound
    issued_from: date | None = None
    issued_to: date | None = None
    due_from: date | None = None
    due_to: date | None = None
    updated_since: AwareDatetime | None = Field(default=None, description="Changed at or after (UTC offset required).")
    order: Literal["id", "updated_at"] = Field(
        default="id", description="`updated_at` (with `updated_since`) for syncing changes; `id` otherwise."
    )


class PaymentFilters(_Filters):
    match_status: list[MatchStatus] = Field(default_factory=list)
    direction: Literal["credit", "debit"] | None = None
    bank_ref: str | None = Field(default=None, max_length=200)
    account: str | None = Field(default=None, max_length=34, description="Our account number.")
    counterparty_tax_id: str | None = Field(default=None, max_length=12)
    partner_id: int | None = Field(default=None, ge=1, le=MAX_ID, description="Allocated to this partner's invoices.")
    invoice_id: int | None = Field(default=None, ge=1, le=MAX_ID, description="Allocated to this invoice.")
    statement_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    currency: str | None = Currency
    amount_min: Decimal | None = AmountBound
    amount_max: Decimal | None = AmountBound
    booked_from: date | None = None
    booked_to: date | None = None
    created_since: AwareDatetime | None = Field(default=None, description="Stored at or after.")


class ContractFilters(_Filters):
    partner_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    partner_inn: str | None = Field(default=None, max_length=12)
    number: str | None = Field(default=None, max_length=100)


class PartnerFilters(_Filters):
    inn: str | None = Field(default=None, max_length=12)
    name: str | None = Field(default=None, max_length=300, description="Exact name.")


class AllocationFilters(_Filters):
    invoice_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    payment_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    kind: list[AllocationKind] = Field(default_factory=list)
    active: bool | None = Field(default=None, description="true: not reversed; false: reversed only.")
    created_since: AwareDatetime | None = None


class StatementFilters(_Filters):
    account: str | None = Field(default=None, max_length=34)
    imported_since: AwareDatetime | None = None


class JournalFilters(_Filters):
    entity_type: Literal["invoice", "contract", "partner", "payment", "allocation", "statement"]
    entity_id: int = Field(ge=1, le=MAX_ID)
    with_allocations: bool = Field(
        default=True, description="For invoices and payments, their allocations' events too."
    )
