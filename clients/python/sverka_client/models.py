"""What the API returns, as frozen dataclasses: amounts as Decimal, dates as date, times as aware datetime."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

T = TypeVar("T")


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if value else None


def _time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _money(value: Any) -> Decimal | None:
    return Decimal(value) if value is not None else None


@dataclass(frozen=True, slots=True)
class PaymentRef:
    id: int
    bank_ref: str | None
    booking_date: date | None
    amount: Decimal
    currency: str
    counterparty_name: str | None

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> PaymentRef:
        return cls(
            d["id"],
            d["bank_ref"],
            _date(d["booking_date"]),
            Decimal(d["amount"]),
            d["currency"],
            d["counterparty_name"],
        )


@dataclass(frozen=True, slots=True)
class InvoiceAllocation:
    id: int
    kind: str
    amount: Decimal
    currency: str
    created_at: datetime
    reversed_at: datetime | None
    payment: PaymentRef

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> InvoiceAllocation:
        created = _time(d["created_at"])
        assert created is not None
        return cls(
            d["id"],
            d["kind"],
            Decimal(d["amount"]),
            d["currency"],
            created,
            _time(d["reversed_at"]),
            PaymentRef.from_json(d["payment"]),
        )


@dataclass(frozen=True, slots=True)
class Invoice:
    id: int
    number: str
    direction: str
    status: str
    amount: Decimal
    paid: Decimal
    outstanding: Decimal
    currency: str
    partner_id: int
    partner_name: str
    partner_inn: str | None
    contract_id: int | None
    contract_no: str | None
    invoice_date: date | None
    due_date: date | None
    last_payment_date: date | None
    updated_at: datetime | None
    allocations: tuple[InvoiceAllocation, ...]

    @property
    def is_paid(self) -> bool:
        return self.status in ("paid", "overpaid")

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Invoice:
        return cls(
            d["id"],
            d["number"],
            d["direction"],
            d["status"],
            Decimal(d["amount"]),
            Decimal(d["paid"]),
            Decimal(d["outstanding"]),
            d["currency"],
            d["partner_id"],
            d["partner_name"],
            d["partner_inn"],
            d["contract_id"],
            d["contract_no"],
            _date(d["invoice_date"]),
            _date(d["due_date"]),
            _date(d["last_payment_date"]),
            _time(d["updated_at"]),
            tuple(InvoiceAllocation.from_json(a) for a in d["allocations"]),
        )


@dataclass(frozen=True, slots=True)
class PaymentAllocation:
    id: int
    invoice_id: int
    invoice_no: str
    kind: str
    amount: Decimal
    currency: str
    reversed_at: datetime | None

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> PaymentAllocation:
        return cls(
            d["id"],
            d["invoice_id"],
            d["invoice_no"],
            d["kind"],
            Decimal(d["amount"]),
            d["currency"],
            _time(d["reversed_at"]),
        )


@dataclass(frozen=True, slots=True)
class Allocation(PaymentAllocation):
    transaction_id: int
    bank_ref: str | None

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Allocation:
        base = PaymentAllocation.from_json(d)
        return cls(
            base.id,
            base.invoice_id,
            base.invoice_no,
            base.kind,
            base.amount,
            base.currency,
            base.reversed_at,
            d["transaction_id"],
            d["bank_ref"],
        )


@dataclass(frozen=True, slots=True)
class Payment:
    id: int
    bank_ref: str | None
    account: str
    booking_date: date | None
    amount: Decimal
    currency: str
    direction: str
    counterparty_name: str | None
    counterparty_tax_id: str | None
    purpose: str | None
    match_status: str
    allocated: Decimal
    allocations: tuple[PaymentAllocation, ...]

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Payment:
        return cls(
            d["id"],
            d["bank_ref"],
            d["account"],
            _date(d["booking_date"]),
            Decimal(d["amount"]),
            d["currency"],
            d["direction"],
            d["counterparty_name"],
            d["counterparty_tax_id"],
            d["purpose"],
            d["match_status"],
            Decimal(d["allocated"]),
            tuple(PaymentAllocation.from_json(a) for a in d["allocations"]),
        )


@dataclass(frozen=True, slots=True)
class Partner:
    id: int
    name: str
    inn: str | None
    kpp: str | None
    email: str | None
    accounts: tuple[str, ...]

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Partner:
        return cls(d["id"], d["name"], d["inn"], d["kpp"], d["email"], tuple(d["accounts"]))


@dataclass(frozen=True, slots=True)
class Contract:
    id: int
    number: str
    partner_id: int
    contract_date: date | None
    invoice_count: int
    outstanding: dict[str, Decimal]

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Contract:
        return cls(
            d["id"],
            d["number"],
            d["partner_id"],
            _date(d["contract_date"]),
            d["invoice_count"],
            {k: Decimal(v) for k, v in d["outstanding"].items()},
        )


@dataclass(frozen=True, slots=True)
class JournalEvent:
    seq: int
    occurred_at: datetime
    actor: str
    action: str
    entity_type: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> JournalEvent:
        occurred = _time(d["occurred_at"])
        assert occurred is not None
        return cls(
            d["seq"], occurred, d["actor"], d["action"], d["entity_type"], d["entity_id"], d["before"], d["after"]
        )


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    data: tuple[T, ...]
    has_more: bool
    next_cursor: str | None

    @classmethod
    def parse(cls, d: dict[str, Any], item: Callable[[dict[str, Any]], T]) -> Page[T]:
        return cls(tuple(item(x) for x in d["data"]), d["has_more"], d["next_cursor"])
