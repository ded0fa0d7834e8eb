"""Outbox rows turned into the events partners and services receive.

The reconciler's outbox payloads carry ids (cheap to write inside its transaction); receivers
need the facts: which invoice, for which partner, how much, what its status is now, which bank
payment. This module builds that once per event, channel-neutral (a webhook body today, the
email channel's template context later), as plain JSON: amounts are decimal strings next to
their currency, timestamps UTC ISO 8601. The rendered body is stored with each delivery, so
every retry sends the same bytes with the same id, and receivers can deduplicate on ``id``.

``partner_inn`` says whose event it is: partner endpoints receive only their own partner's
events; events about no partner (a statement import) go to internal endpoints only.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from shared.models import Allocation, BankAccount, BankTransaction, Invoice, OutboxEvent, Partner, Statement
from shared.money import format_amount

SCHEMA_VERSION = 1


@dataclass(frozen=True, slots=True)
class RenderedEvent:
    event_id: str
    event_type: str
    partner_inn: str | None
    partner_id: int | None
    payload: dict[str, Any]

    def body(self) -> str:
        """The exact JSON text sent (compact, UTF-8): signatures cover these bytes."""
        return json.dumps(self.payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _partner(partner: Partner | None) -> dict[str, Any] | None:
    if partner is None:
        return None
    return {"id": partner.id, "name": partner.name, "inn": partner.inn, "kpp": partner.kpp}


def invoice_facts(invoice: Invoice) -> dict[str, Any]:
    return {
        "id": invoice.id,
        "number": invoice.number,
        "direction": invoice.direction,
        "status": invoice.status,
        "currency": invoice.currency,
        "amount": format_amount(invoice.amount_minor, invoice.currency),
        "paid": format_amount(invoice.paid_minor, invoice.currency),
        "outstanding": format_amount(invoice.outstanding_minor, invoice.currency),
        "invoice_date": _iso(invoice.invoice_date),
        "due_date": _iso(invoice.due_date),
    }


def payment_facts(tx: BankTransaction) -> dict[str, Any]:
    return {
        "id": tx.id,
        "bank_ref": tx.bank_ref,
        "booking_date": _iso(tx.booking_date),
        "value_date": _iso(tx.value_date),
        "amount": format_amount(tx.amount_minor, tx.currency),  # signed, as on our statement (API convention)
        "currency": tx.currency,
        "direction": tx.direction,
        "counterparty_name": tx.counterparty_name,
        "purpose": tx.purpose,
    }


def _payment_allocated(session: Session, payload: dict[str, Any]) -> tuple[dict[str, Any], Partner | None]:
    allocation = session.get(Allocation, payload.get("allocation_id"))
    invoice = session.get(Invoice, payload.get("invoice_id"))
    tx = session.get(BankTransaction, payload.get("transaction_id"))
    partner = session.get(Partner, invoice.partner_id) if invoice else None
    currency = str(payload.get("currency") or (invoice.currency if invoice else ""))
    data = {
        "allocation_id": payload.get("allocation_id"),
        "amount": format_amount(int(payload["amount_minor"]), currency) if "amount_minor" in payload else None,
        "currency": currency,
        "kind": allocation.kind if allocation else None,
        "invoice": invoice_facts(invoice) if invoice else None,
        "partner": _partner(partner),
        "payment": payment_facts(tx) if tx else None,
    }
    return data, partner


def _allocation_reversed(session: Session, payload: dict[str, Any]) -> tuple[dict[str, Any], Partner | None]:
    """An allocation undone: the same facts as when it was made, the invoice as it stands now, and why."""
    data, partner = _payment_allocated(session, payload)
    allocation = session.get(Allocation, payload.get("allocation_id"))
    data |= {
        "reversed_at": _iso(allocation.reversed_at) if allocation else None,
        "reason": allocation.reversal_reason if allocation else None,
    }
    return data, partner


def _invoice_status(session: Session, payload: dict[str, Any]) -> tuple[dict[str, Any], Partner | None]:
    invoice = session.get(Invoice, payload.get("invoice_id"))
    partner = session.get(Partner, invoice.partner_id) if invoice else None
    data = {
        "invoice": invoice_facts(invoice) if invoice else None,
        "status": payload.get("status"),
        "previous_status": payload.get("previous_status"),
        "partner": _partner(partner),
    }
    return data, partner


def _payment_ignored(session: Session, payload: dict[str, Any]) -> tuple[dict[str, Any], Partner | None]:
    """A line marked as no invoice payment (a fee, a refund…), or back in review: for our own services only."""
    tx = session.get(BankTransaction, payload.get("transaction_id"))
    extra: dict[str, Any] = {k: payload.get(k) for k in ("category", "note", "reason") if k in payload}
    return {"payment": payment_facts(tx) if tx else None, **extra}, None


def _statement_imported(session: Session, payload: dict[str, Any]) -> tuple[dict[str, Any], Partner | None]:
    statement = session.get(Statement, payload.get("statement_id"))
    account = session.get(BankAccount, statement.bank_account_id) if statement else None
    data: dict[str, Any] = {
        "statement_id": payload.get("statement_id"),
        "account": payload.get("account") or (account.number if account else None),
        "new_lines": payload.get("new"),
    }
    if statement is not None:
        data |= {
            "format": statement.format,
            "source": statement.source,
            "date_from": _iso(statement.date_from),
            "date_to": _iso(statement.date_to),
            "currency": statement.currency,
            "lines": statement.line_count,
            "duplicates": statement.duplicate_count,
            "imported_at": _iso(statement.imported_at),
        }
    return data, None


_RENDERERS: dict[str, Callable[[Session, dict[str, Any]], tuple[dict[str, Any], Partner | None]]] = {
    "payment.allocated": _payment_allocated,
    "payment.allocation_reversed": _allocation_reversed,
    "payment.ignored": _payment_ignored,
    "payment.unignored": _payment_ignored,
    "invoice.partially_paid": _invoice_status,
    "invoice.paid": _invoice_status,
    "invoice.overpaid": _invoice_status,
    "invoice.reopened": _invoice_status,
    "statement.imported": _statement_imported,
}

KNOWN_EVENT_TYPES = tuple(sorted(_RENDERERS))


def render(session: Session, row: OutboxEvent) -> RenderedEvent:
    """The receiver-facing event for an outbox row. Unknown types pass their payload through, to internal endpoints."""
    renderer = _RENDERERS.get(row.event_type)
    if renderer is None:
        data, partner = dict(row.payload), None
    else:
        data, partner = renderer(session, dict(row.payload))
    payload = {
        "id": row.event_id,
        "type": row.event_type,
        "timestamp": _iso(row.created_at),
        "schema_version": SCHEMA_VERSION,
        "data": data,
    }
    return RenderedEvent(
        event_id=row.event_id,
        event_type=row.event_type,
        partner_inn=partner.inn if partner else None,
        partner_id=partner.id if partner else None,
        payload=payload,
    )
