"""API shapes of the integration API. Amounts are decimal strings next to their currency; times are UTC."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.reconciler.api.pagination import Page
from services.reconciler.api.params import MAX_ID

Amount = Annotated[str, Field(pattern=r"^-?\d+(\.\d+)?$", examples=["1500.00"], description="Decimal string.")]


class PaymentRef(BaseModel):
    """The bank payment behind an allocation."""

    id: int
    bank_ref: str | None
    booking_date: date | None
    amount: Amount
    currency: str
    counterparty_name: str | None


class InvoiceAllocation(BaseModel):
    id: int
    kind: Literal["auto", "suggested", "confirmed", "manual"]
    amount: Amount
    currency: str
    confidence: float
    reasons: list[dict[str, Any]]
    created_by: str
    created_at: datetime
    reversed_at: datetime | None
    reversal_reason: str | None
    transaction_id: int = Field(description="The payment's id (also in `payment`).")
    bank_ref: str | None = Field(description="The payment's bank reference (also in `payment`).")
    payment: PaymentRef


class Invoice(BaseModel):
    """An invoice and whether it is paid: ``paid`` counts only effective, unreversed allocations."""

    id: int
    number: str
    direction: Literal["receivable", "payable"]
    status: Literal["open", "partially_paid", "paid", "overpaid", "cancelled"]
    amount: Amount
    paid: Amount
    outstanding: Amount
    currency: str
    partner_id: int
    partner_name: str
    partner_inn: str | None
    contract_id: int | None
    contract_no: str | None
    invoice_date: date | None
    due_date: date | None
    last_payment_date: date | None = Field(description="Booking date of the latest payment counted in `paid`.")
    created_at: datetime
    updated_at: datetime
    allocations: list[InvoiceAllocation]


class InvoicePage(Page[Invoice]):
    pass


class Partner(BaseModel):
    id: int
    name: str
    inn: str | None
    kpp: str | None
    email: str | None
    language: str
    accounts: list[str]
    created_at: datetime


class PartnerPage(Page[Partner]):
    pass


class PartnerIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    name: str = Field(min_length=1, max_length=300)
    inn: str | None = Field(default=None, pattern=r"^\d{10}(\d{2})?$", description="10 or 12 digits.")
    kpp: str | None = Field(default=None, pattern=r"^\d{9}$")
    email: str | None = Field(default=None, max_length=300)
    language: Literal["ru", "en"] = "ru"
    accounts: list[Annotated[str, Field(pattern=r"^\d{20}$")]] = Field(default_factory=list, max_length=50)


class PartnerPatch(BaseModel):
    """Only the fields sent change."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=300)
    kpp: str | None = Field(default=None, pattern=r"^\d{9}$")
    email: str | None = Field(default=None, max_length=300)
    language: Literal["ru", "en"] | None = None
    accounts: list[Annotated[str, Field(pattern=r"^\d{20}$")]] | None = Field(
        default=None, max_length=50, description="Accounts to add (existing ones stay)."
    )


class ContractSummary(BaseModel):
    id: int
    number: str
    partner_id: int
    partner_name: str
    contract_date: date | None
    currency: str | None
    invoice_count: int
    outstanding: dict[str, Amount] = Field(description="Outstanding receivable/payable total per currency.")


class ContractPage(Page[ContractSummary]):
    pass


class ContractDetail(ContractSummary):
    invoices: list[Invoice] = Field(description="The contract's invoices, oldest first.")


class ContractPatch(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    contract_date: date | None = None
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")


class CancelIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    reason: str = Field(min_length=1, max_length=500)


class PaymentAllocation(BaseModel):
    id: int
    invoice_id: int
    invoice_no: str
    kind: Literal["auto", "suggested", "confirmed", "manual"]
    amount: Amount
    currency: str
    confidence: float
    reasons: list[dict[str, Any]]
    created_by: str
    created_at: datetime
    reversed_at: datetime | None
    reversal_reason: str | None


class Payment(BaseModel):
    """A booked bank line and what was decided about it."""

    id: int
    bank_ref: str | None
    account: str
    booking_date: date | None
    value_date: date | None
    amount: Amount = Field(description="Signed: negative is money leaving our account.")
    currency: str
    direction: Literal["credit", "debit"]
    counterparty_name: str | None
    counterparty_account: str | None
    counterparty_tax_id: str | None
    purpose: str | None
    match_status: Literal["unmatched", "suggested", "partially_settled", "settled", "ignored"]
    allocated: Amount
    statement_id: int
    created_at: datetime
    allocations: list[PaymentAllocation]


class PaymentPage(Page[Payment]):
    pass


class Allocation(PaymentAllocation):
    transaction_id: int
    bank_ref: str | None


class AllocationPage(Page[Allocation]):
    pass


class Statement(BaseModel):
    """One import (a file or an API pull) of one of our accounts."""

    id: int
    account: str
    source: str = Field(description='"file" or "api:<kind>".')
    format: str
    filename: str | None
    file_hash: str = Field(description="SHA-256 of the bytes imported.")
    external_id: str | None
    date_from: date | None
    date_to: date | None
    currency: str | None
    opening_balance: Amount | None
    closing_balance: Amount | None
    lines: int
    new: int
    duplicates: int
    warnings: list[str]
    imported_by: str
    imported_at: datetime


class StatementPage(Page[Statement]):
    pass


class JournalEventOut(BaseModel):
    seq: int
    occurred_at: datetime
    actor: str
    action: str
    entity_type: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    hash: str


class JournalPage(Page[JournalEventOut]):
    pass


class ConfirmIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    suggestion_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(min_length=1, max_length=100)
    reason: str | None = Field(default=None, max_length=500)


class RejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    suggestion_id: int = Field(ge=1, le=MAX_ID)
    reason: str = Field(min_length=1, max_length=500)


class AllocationPart(BaseModel):
    model_config = ConfigDict(extra="forbid")

    invoice_id: int = Field(ge=1, le=MAX_ID)
    amount: Decimal = Field(gt=0, max_digits=18, decimal_places=4)


class AllocateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    parts: list[AllocationPart] = Field(min_length=1, max_length=100)
    reason: str | None = Field(default=None, max_length=500)


class ReverseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500)


class IgnoreIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: Literal["bank_fee", "refund", "loan", "other"]
    note: str | None = Field(default=None, max_length=500)


class UnignoreIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=500)
