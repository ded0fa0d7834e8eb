"""Queries behind an evidence pack: every row it quotes, loaded in bulk (one query per table).

A contract pack may hold hundreds of payments; each loader takes all ids at once so a pack costs
a fixed handful of round trips, never one query per payment.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from sqlalchemy import and_, false, or_, select
from sqlmodel import Session, col

from services.reconciler.allocations import AllocationView, allocations_where
from shared.models import (
    Allocation,
    BankAccount,
    BankTransaction,
    Contract,
    Invoice,
    JournalEvent,
    OutboxEvent,
    Partner,
    Statement,
)
from shared.models.documents import EmailAttempt, EmailDelivery, PaymentDocument
from shared.models.matching import EFFECTIVE_KINDS
from shared.models.webhooks import WebhookAttempt, WebhookDelivery, WebhookEndpoint

PACK_ACTION = "evidence.packed"
# Outbox events that announce a change to an allocation, and carry its id in their payload.
ALLOCATION_EVENTS = ("payment.allocated", "payment.allocation_reversed")
INVOICE_EVENTS = ("invoice.partially_paid", "invoice.paid", "invoice.overpaid", "invoice.reopened")


def line(session: Session, line_id: int) -> BankTransaction | None:
    return session.get(BankTransaction, line_id)


def invoice(session: Session, invoice_id: int) -> Invoice | None:
    return session.get(Invoice, invoice_id)


def contract(session: Session, contract_id: int) -> Contract | None:
    return session.get(Contract, contract_id)


def lines_by_ids(session: Session, ids: Collection[int]) -> list[BankTransaction]:
    if not ids:
        return []
    return list(
        session.scalars(
            select(BankTransaction).where(col(BankTransaction.id).in_(ids)).order_by(col(BankTransaction.id))
        )
    )


def invoices_by_ids(session: Session, ids: Collection[int]) -> list[Invoice]:
    if not ids:
        return []
    return list(session.scalars(select(Invoice).where(col(Invoice.id).in_(ids)).order_by(col(Invoice.id))))


def invoices_of_contract(session: Session, contract_id: int) -> list[Invoice]:
    return list(
        session.scalars(select(Invoice).where(col(Invoice.contract_id) == contract_id).order_by(col(Invoice.id)))
    )


def contracts_by_ids(session: Session, ids: Collection[int]) -> list[Contract]:
    if not ids:
        return []
    return list(session.scalars(select(Contract).where(col(Contract.id).in_(ids)).order_by(col(Contract.id))))


def partners_by_ids(session: Session, ids: Collection[int]) -> list[Partner]:
    if not ids:
        return []
    return list(session.scalars(select(Partner).where(col(Partner.id).in_(ids)).order_by(col(Partner.id))))


def statements_by_ids(session: Session, ids: Collection[int]) -> list[Statement]:
    if not ids:
        return []
    return list(session.scalars(select(Statement).where(col(Statement.id).in_(ids)).order_by(col(Statement.id))))


def accounts_by_ids(session: Session, ids: Collection[int]) -> dict[int, BankAccount]:
    if not ids:
        return {}
    rows = session.scalars(select(BankAccount).where(col(BankAccount.id).in_(ids)))
    return {a.id or 0: a for a in rows}


def allocations(
    session: Session, *, line_ids: Collection[int], invoice_ids: Collection[int], partner_id: int | None
) -> list[AllocationView]:
    """Allocations and suggestions touching these lines or invoices, reversed ones included.

    A partner sees only what moved money onto its own invoices (as ``/v1`` shows it): no
    suggestions, nothing allocated to another partner from the same payment.
    """
    touching = []
    if line_ids:
        touching.append(col(Allocation.transaction_id).in_(line_ids))
    if invoice_ids:
        touching.append(col(Allocation.invoice_id).in_(invoice_ids))
    if not touching:
        return []
    conditions = [or_(*touching)]
    if partner_id is not None:
        conditions += [col(Allocation.kind).in_(EFFECTIVE_KINDS), col(Invoice.partner_id) == partner_id]
    return allocations_where(session, *conditions)


def outbox_events_of_allocations(
    session: Session, allocation_ids: Collection[int], invoice_ids: Collection[int] = ()
) -> list[OutboxEvent]:
    """The events announcing these allocations, and the invoice status changes they caused."""
    found: list[OutboxEvent] = []
    if allocation_ids:
        about = OutboxEvent.payload["allocation_id"].as_integer()
        found += session.scalars(
            select(OutboxEvent).where(col(OutboxEvent.event_type).in_(ALLOCATION_EVENTS), about.in_(allocation_ids))
        )
    if invoice_ids:
        invoice = OutboxEvent.payload["invoice_id"].as_integer()
        found += session.scalars(
            select(OutboxEvent).where(col(OutboxEvent.event_type).in_(INVOICE_EVENTS), invoice.in_(invoice_ids))
        )
    return sorted(found, key=lambda e: e.id or 0)


def webhook_deliveries(
    session: Session, event_ids: Collection[str], partner_inn: str | None, partner_only: bool
) -> list[tuple[WebhookDelivery, WebhookEndpoint]]:
    """Deliveries of these events; for a partner, only those to its own endpoints."""
    if not event_ids:
        return []
    query = (
        select(WebhookDelivery, WebhookEndpoint)
        .join(WebhookEndpoint, col(WebhookEndpoint.id) == col(WebhookDelivery.endpoint_id))
        .where(col(WebhookDelivery.event_id).in_(event_ids))
        .order_by(col(WebhookDelivery.id))
    )
    if partner_only:
        query = query.where(col(WebhookEndpoint.partner_inn) == partner_inn if partner_inn else false())
    return [(row[0], row[1]) for row in session.execute(query).all()]


def webhook_attempts(session: Session, delivery_ids: Collection[int]) -> list[WebhookAttempt]:
    if not delivery_ids:
        return []
    return list(
        session.scalars(
            select(WebhookAttempt)
            .where(col(WebhookAttempt.delivery_id).in_(delivery_ids))
            .order_by(col(WebhookAttempt.delivery_id), col(WebhookAttempt.number), col(WebhookAttempt.id))
        )
    )


def email_deliveries(
    session: Session, event_ids: Collection[str], invoice_ids: Collection[int], partner_id: int | None
) -> list[EmailDelivery]:
    """Emails announcing these events, and reminders about these invoices; a partner sees its own only."""
    about = []
    if event_ids:
        about.append(col(EmailDelivery.event_id).in_(event_ids))
    if invoice_ids:
        about.append(EmailDelivery.context["invoice_id"].as_integer().in_(invoice_ids))
    if not about:
        return []
    query = select(EmailDelivery).where(or_(*about)).order_by(col(EmailDelivery.id))
    if partner_id is not None:
        query = query.where(col(EmailDelivery.partner_id) == partner_id)
    return list(session.scalars(query))


def email_attempts(session: Session, delivery_ids: Collection[int]) -> list[EmailAttempt]:
    if not delivery_ids:
        return []
    return list(
        session.scalars(
            select(EmailAttempt)
            .where(col(EmailAttempt.delivery_id).in_(delivery_ids))
            .order_by(col(EmailAttempt.delivery_id), col(EmailAttempt.number), col(EmailAttempt.id))
        )
    )


def scans_of_lines(session: Session, line_ids: Collection[int]) -> dict[int, list[int]]:
    """Uploaded payment-order scans by line (ids only: their journal events say who uploaded what, with its hash)."""
    if not line_ids:
        return {}
    query = select(col(PaymentDocument.transaction_id), col(PaymentDocument.id)).where(
        col(PaymentDocument.transaction_id).in_(line_ids)
    )
    scans: dict[int, list[int]] = {}
    for line_id, scan_id in session.execute(query).all():
        scans.setdefault(int(line_id), []).append(int(scan_id))
    return scans


def journal_head(session: Session) -> tuple[int, str] | None:
    """The chain's last event (seq, hash), or None while the journal is empty. Read only: no lock."""
    row = session.execute(
        select(col(JournalEvent.seq), col(JournalEvent.hash)).order_by(col(JournalEvent.seq).desc()).limit(1)
    ).first()
    return (int(row[0]), str(row[1])) if row else None


def journal_events_about(session: Session, entities: Mapping[str, Collection[str]]) -> list[JournalEvent]:
    """Events about any of these entities (type → ids), oldest first; earlier packs' own events left out.

    Earlier ``evidence.packed`` events are left out so that two packs of the same business state
    quote the same events: asking for a pack changes nothing that the pack is evidence of.
    """
    about = [
        and_(col(JournalEvent.entity_type) == kind, col(JournalEvent.entity_id).in_(sorted(ids)))
        for kind, ids in entities.items()
        if ids
    ]
    if not about:
        return []
    return list(
        session.scalars(
            select(JournalEvent)
            .where(or_(*about), col(JournalEvent.action) != PACK_ACTION)
            .order_by(col(JournalEvent.seq))
        )
    )
