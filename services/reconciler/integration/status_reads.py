"""Whether an invoice is paid, on PostgreSQL in one statement: the API key and the invoice together.

Other services ask "is this paid?" all day (issue 7: 2,000 reads/s on 2 cores), so the two status
routes (``GET /v1/invoices/{id}`` and ``GET /v1/invoices/by-number``) skip the ORM and the thread
pool and call ``invoice_status()`` (migration 0012) on psycopg's async connection: it finds the live
key, binds its partner for row-level security, and returns the invoice with its partner, contract
and allocations as JSON, under the scope conditions of :mod:`services.reconciler.integration.scope`.
One round trip, plans kept by PostgreSQL, no thread hop.

The answer is built from the same :mod:`schemas` as the ORM path (:func:`reads.invoice`), which
SQLite still uses; ``tests/api/test_status_reads.py`` checks that the two agree field for field.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from psycopg import AsyncConnection

from services.reconciler.integration import schemas
from shared.models.billing import outstanding_minor
from shared.models.matching import counts_as_paid
from shared.money import format_amount

_CALL = "SELECT invoice_status(%s, %s, %s, %s)"


@dataclass(frozen=True, slots=True)
class CallingKey:
    """The live key a status read was made with (what :class:`auth.Principal` needs)."""

    id: int
    name: str
    prefix: str
    scope: str
    partner_id: int | None
    partner_inn: str | None


@dataclass(frozen=True, slots=True)
class StatusAnswer:
    """``key`` is None for an unknown or revoked key; ``invoice`` is None when it is not visible to it."""

    key: CallingKey | None
    invoice: schemas.Invoice | None


async def read_invoice(
    conn: AsyncConnection[Any],
    key_hash: str,
    *,
    invoice_id: int | None = None,
    number: str | None = None,
    direction: str = "receivable",
) -> StatusAnswer:
    """The invoice by id, or by number and direction, as the key with this hash may see it."""
    cursor = await conn.execute(_CALL, (key_hash, invoice_id, number, direction))
    row = await cursor.fetchone()
    found: dict[str, Any] | None = row[0] if row else None
    if found is None:
        return StatusAnswer(None, None)
    k = found["key"]
    key = CallingKey(k["id"], k["name"], k["prefix"], k["scope"], k["partner_id"], k["partner_inn"])
    invoice = found["invoice"]
    return StatusAnswer(key, invoice_of(invoice) if invoice is not None else None)


def _utc(value: datetime | str) -> datetime:
    """A timestamp column (a datetime) or one inside PostgreSQL's JSON (ISO 8601 text), in UTC."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(UTC)


def _utc_or_none(value: datetime | str | None) -> datetime | None:
    return None if value is None else _utc(value)


def _date_or_none(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _allocation(a: dict[str, Any]) -> schemas.InvoiceAllocation:
    return schemas.InvoiceAllocation(
        id=a["id"],
        kind=a["kind"],
        amount=format_amount(a["amount_minor"], a["currency"]),
        currency=a["currency"],
        confidence=a["confidence"],
        reasons=a["reasons"],
        created_by=a["created_by"],
        created_at=_utc(a["created_at"]),
        reversed_at=_utc_or_none(a["reversed_at"]),
        reversal_reason=a["reversal_reason"],
        transaction_id=a["transaction_id"],
        bank_ref=a["bank_ref"],
        payment=schemas.PaymentRef(
            id=a["transaction_id"],
            bank_ref=a["bank_ref"],
            booking_date=_date_or_none(a["booking_date"]),
            amount=format_amount(a["payment_amount_minor"], a["payment_currency"]),
            currency=a["payment_currency"],
            counterparty_name=a["counterparty_name"],
        ),
    )


def invoice_of(row: dict[str, Any]) -> schemas.Invoice:
    """The API's invoice from ``invoice_status()``'s JSON (the same rules as ``views.invoices``)."""
    allocations = [_allocation(a) for a in row["allocations"] or ()]
    paid_on = [
        a.payment.booking_date for a in allocations if counts_as_paid(a.kind, a.reversed_at) and a.payment.booking_date
    ]
    currency = row["currency"]
    return schemas.Invoice(
        id=row["id"],
        number=row["number"],
        direction=row["direction"],
        status=row["status"],
        amount=format_amount(row["amount_minor"], currency),
        paid=format_amount(row["paid_minor"], currency),
        outstanding=format_amount(outstanding_minor(row["amount_minor"], row["paid_minor"]), currency),
        currency=currency,
        partner_id=row["partner_id"],
        partner_name=row["partner_name"],
        partner_inn=row["partner_inn"],
        contract_id=row["contract_id"],
        contract_no=row["contract_no"],
        invoice_date=_date_or_none(row["invoice_date"]),
        due_date=_date_or_none(row["due_date"]),
        last_payment_date=max(paid_on) if paid_on else None,
        created_at=_utc(row["created_at"]),
        updated_at=_utc(row["updated_at"]),
        allocations=allocations,
    )
