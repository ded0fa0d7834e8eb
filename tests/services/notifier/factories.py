"""Business rows as the reconciler leaves them, and the outbox events it writes with them."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text
from sqlmodel import Session, col

from shared import outbox
from shared.db import session_scope
from shared.models import Allocation, BankAccount, BankTransaction, Invoice, Partner, Statement
from shared.models.webhooks import WebhookDelivery, WebhookEndpoint

_seq = itertools.count(1)


class FakeClock:
    """The notifier's notion of now, moved by the test instead of by waiting.

    It starts ahead of the wall clock, so rows the test writes later (stamped with the real time)
    are already due however slowly a loaded machine runs the test.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime.now(UTC) + timedelta(minutes=10)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def create_partner(session: Session, inn: str, name: str = "ООО Ромашка") -> Partner:
    """The partner with this INN, created on first use."""
    partner = session.scalars(select(Partner).where(col(Partner.inn) == inn)).first()
    if partner is None:
        partner = Partner(name=name, inn=inn, kpp="770101001")
        session.add(partner)
        session.flush()
    return partner


def allocate_payment(session: Session, partner: Partner, amount_minor: int = 150_000, **invoice: Any) -> str:
    """An invoice of ``partner`` paid in full by one bank line, and the ``payment.allocated`` event; its id."""
    n = next(_seq)
    account = session.scalars(select(BankAccount)).first()
    if account is None:
        account = BankAccount(number="40702810900000000001", currency="RUB")
        session.add(account)
        session.flush()
    statement = Statement(
        bank_account_id=account.id or 0, source="file", format="camt", file_hash=f"h{n}", imported_by="test"
    )
    inv = Invoice(
        number=invoice.get("number", f"INV-{n}"),
        partner_id=partner.id or 0,
        amount_minor=amount_minor,
        paid_minor=amount_minor,
        status="paid",
        due_date=date(2026, 5, 24),
    )
    session.add_all([statement, inv])
    session.flush()
    tx = BankTransaction(
        bank_account_id=account.id or 0,
        statement_id=statement.id or 0,
        dedupe_key=f"k{n}",
        bank_ref=f"BANKREF-{n}",
        booking_date=date(2026, 5, 20),
        amount_minor=amount_minor,
        currency="RUB",
        counterparty_name=partner.name,
        purpose=f"Оплата по счету {inv.number}",
        allocated_minor=amount_minor,
        match_status="settled",
    )
    session.add(tx)
    session.flush()
    allocation = Allocation(
        transaction_id=tx.id or 0,
        invoice_id=inv.id or 0,
        amount_minor=amount_minor,
        currency="RUB",
        kind="auto",
        created_by="system:matcher",
    )
    session.add(allocation)
    session.flush()
    event = outbox.emit(
        session,
        "payment.allocated",
        {
            "allocation_id": allocation.id,
            "transaction_id": tx.id,
            "invoice_id": inv.id,
            "amount_minor": amount_minor,
            "currency": "RUB",
        },
    )
    return event.event_id


def statement_imported(session: Session) -> str:
    return outbox.emit(
        session, "statement.imported", {"statement_id": 1, "account": "40702810900000000001", "new": 3}
    ).event_id


def seed(**partners: list[int]) -> dict[str, list[str]]:
    """Partners by INN with payments of the given amounts; returns the event ids per INN."""
    with session_scope() as session:
        ids: dict[str, list[str]] = {}
        for key, amounts in partners.items():
            partner = create_partner(session, key.removeprefix("inn"))
            ids[key.removeprefix("inn")] = [allocate_payment(session, partner, a) for a in amounts]
        return ids


def earliest_pending(session: Session) -> datetime | None:
    return session.execute(
        select(func.min(col(WebhookDelivery.next_attempt_at)))
        .join(WebhookEndpoint, col(WebhookEndpoint.id) == col(WebhookDelivery.endpoint_id))
        .where(col(WebhookDelivery.status) == "pending", col(WebhookEndpoint.status) == "active")
    ).scalar_one_or_none()


def unpublish_everything(session: Session) -> None:
    """As if a relay crashed after creating deliveries and before marking the events relayed."""
    session.execute(text("UPDATE outbox_event SET published_at = NULL"))
