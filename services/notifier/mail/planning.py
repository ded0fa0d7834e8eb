"""Which emails an outbox event owes, written as email deliveries in the relay's transaction.

* ``payment.allocated`` to a **receivable** (a customer paid us): "payment received", worded by
  the invoice's status — partially paid, paid, overpaid — with the payment order and the
  contract statement attached.
* ``payment.allocated`` to a **payable** (our debit line settled a supplier's invoice): "payment
  sent", with *our* payment order — the document every supplier asks for.
* ``payment.allocation_reversed``: the correction, with the statement as it now stands.

Only partners with an email address are written to, and only when SMTP is configured. The
delivery's ``dedupe_key`` (event + partner) is unique, so relaying an event twice plans one
email. The context stored with the delivery holds the facts as of relaying (amounts as decimal
strings, as in the webhook body), so every retry tells the same story; the attachments are
drawn when sending.
"""

from __future__ import annotations

from datetime import datetime
from email.utils import make_msgid, parseaddr
from typing import Any

from sqlmodel import Session

from services.notifier.events import invoice_facts, payment_facts
from services.notifier.mail import repository
from services.notifier.mail.templates import language_of
from shared.config import Settings, get_settings
from shared.models import Allocation, BankTransaction, Invoice, OutboxEvent, Partner
from shared.money import format_amount

EMAIL_EVENT_TYPES = frozenset({"payment.allocated", "payment.allocation_reversed"})


def email_enabled(settings: Settings) -> bool:
    return bool(settings.smtp_host)


def message_id(settings: Settings) -> str:
    """A Message-ID in our sender's domain, fixed at planning so that every retry carries the same one."""
    domain = parseaddr(settings.smtp_from)[1].rpartition("@")[2] or "sverka.local"
    return make_msgid(idstring="sverka", domain=domain)


def recipients_of(address: str | None) -> list[str]:
    """Addresses in a partner's (or our accountants') email field: comma- or semicolon-separated."""
    if not address:
        return []
    parts = (parseaddr(p.strip())[1] for p in address.replace(";", ",").split(","))
    return [p for p in parts if "@" in p]


def new_delivery(
    session: Session,
    *,
    dedupe_key: str,
    kind: str,
    recipients: list[str],
    language: str,
    context: dict[str, Any],
    now: datetime,
    partner_id: int | None = None,
    event_id: str | None = None,
    settings: Settings | None = None,
) -> int | None:
    """Plan one email (flushes only); its id, or None when an email with this key was planned before."""
    settings = settings or get_settings()
    return repository.insert_delivery(
        session,
        {
            "dedupe_key": dedupe_key,
            "kind": kind,
            "event_id": event_id,
            "partner_id": partner_id,
            "recipients": recipients,
            "language": language_of(language),
            "context": context,
            "message_id": message_id(settings),
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        },
    )


def _payment(tx: BankTransaction) -> dict[str, Any]:
    facts = payment_facts(tx)
    facts["amount"] = format_amount(abs(tx.amount_minor), tx.currency)  # the payment's size, not our sign
    facts["document_number"] = (tx.details or {}).get("document_number") or tx.bank_ref or str(tx.id)
    return facts


def plan_for_event(session: Session, row: OutboxEvent, now: datetime, settings: Settings | None = None) -> int:
    """Plan the emails an outbox event owes; how many were new (0 for events emails do not cover)."""
    settings = settings or get_settings()
    if not email_enabled(settings) or row.event_type not in EMAIL_EVENT_TYPES:
        return 0
    payload = dict(row.payload)
    invoice = session.get(Invoice, payload.get("invoice_id"))
    tx = session.get(BankTransaction, payload.get("transaction_id"))
    allocation = session.get(Allocation, payload.get("allocation_id"))
    if invoice is None or tx is None:
        return 0
    partner = session.get(Partner, invoice.partner_id)
    recipients = recipients_of(partner.email if partner else None)
    if partner is None or not recipients:
        return 0
    if row.event_type == "payment.allocation_reversed":
        kind = "allocation_reversed"
    else:
        kind = "payment_received" if invoice.direction == "receivable" else "payment_sent"
    currency = str(payload.get("currency") or invoice.currency)
    amount_minor = int(payload.get("amount_minor") or (allocation.amount_minor if allocation else 0))
    context = {
        "event_id": row.event_id,
        "event_type": row.event_type,
        "occurred_at": row.created_at.isoformat(),
        "allocation_id": payload.get("allocation_id"),
        "transaction_id": tx.id,
        "invoice_id": invoice.id,
        "contract_id": invoice.contract_id,
        "partner": {"id": partner.id, "name": partner.name, "inn": partner.inn, "kpp": partner.kpp},
        "invoice": invoice_facts(invoice),
        "payment": _payment(tx),
        "amount": format_amount(amount_minor, currency),
        "currency": currency,
        "overpaid": format_amount(max(invoice.paid_minor - invoice.amount_minor, 0), invoice.currency),
        "reason": allocation.reversal_reason if allocation and kind == "allocation_reversed" else None,
    }
    created = new_delivery(
        session,
        dedupe_key=f"event:{row.event_id}:partner:{partner.id}",
        kind=kind,
        recipients=recipients,
        language=partner.language,
        context=context,
        now=now,
        partner_id=partner.id,
        event_id=row.event_id,
        settings=settings,
    )
    return 1 if created is not None else 0
