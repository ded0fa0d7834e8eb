"""API and import shapes of the billing area. Amounts are decimal strings with a currency."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class InvoiceIn(BaseModel):
    """One invoice with its partner and contract, as the CSV columns and the API name them."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    invoice_no: str = Field(min_length=1, max_length=100)
    invoice_date: date | None = None
    due_date: date | None = None
    amount: Decimal = Field(gt=0, max_digits=18, decimal_places=4)
    currency: str = Field(default="RUB", min_length=3, max_length=3)
    contract_no: str | None = None
    contract_date: date | None = None
    partner_name: str = Field(min_length=1)
    partner_inn: str | None = None
    partner_kpp: str | None = None
    partner_account: str | None = None
    direction: Literal["receivable", "payable"] = "receivable"

    @field_validator("currency")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()

    @field_validator(
        "invoice_date",
        "due_date",
        "contract_date",
        "partner_inn",
        "partner_kpp",
        "partner_account",
        "contract_no",
        mode="before",
    )
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value


class AllocationOut(BaseModel):
    id: int
    transaction_id: int
    bank_ref: str | None
    amount: str
    currency: str
    kind: str
    confidence: float
    reasons: list[dict[str, str]]
    created_by: str
    created_at: str
    reversed_at: str | None


class InvoiceOut(BaseModel):
    id: int
    number: str
    direction: str
    partner_id: int
    partner_name: str
    contract_id: int | None
    contract_no: str | None
    invoice_date: date | None
    due_date: date | None
    amount: str
    paid: str
    outstanding: str
    currency: str
    status: str
    allocations: list[AllocationOut] = []


class ContractOut(BaseModel):
    id: int
    number: str
    partner_id: int
    contract_date: date | None
    invoices: list[InvoiceOut] = []


class UpsertSummary(BaseModel):
    rows: int
    partners_created: int
    contracts_created: int
    invoices_created: int
    invoices_updated: int
    invoices_unchanged: int


class ContractIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    number: str = Field(min_length=1, max_length=100)
    contract_date: date | None = None
    currency: str | None = None
    partner_name: str = Field(min_length=1)
    partner_inn: str | None = None
    partner_kpp: str | None = None
