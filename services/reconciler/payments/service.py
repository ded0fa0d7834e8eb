"""Read a payment with everything that was decided about it."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session, col

from services.reconciler.payments.schemas import PaymentAllocationOut, PaymentOut
from shared.db import columns
from shared.errors import NotFound
from shared.models import Allocation, BankAccount, BankTransaction, Invoice
from shared.money import format_amount


def payment_view(session: Session, tx: BankTransaction) -> PaymentOut:
    account = session.get(BankAccount, tx.bank_account_id)
    rows = session.execute(
        select(
            *columns(
                Allocation.id,
                Allocation.invoice_id,
                Invoice.number,
                Allocation.amount_minor,
                Allocation.currency,
                Allocation.kind,
                Allocation.confidence,
                Allocation.reasons,
                Allocation.created_by,
                Allocation.created_at,
                Allocation.reversed_at,
            )
        )
        .join(Invoice, col(Invoice.id) == col(Allocation.invoice_id))
        .where(col(Allocation.transaction_id) == tx.id)
        .order_by(col(Allocation.id))
    )
    return PaymentOut(
        id=tx.id or 0,
        bank_ref=tx.bank_ref,
        account=account.number if account else "",
        booking_date=tx.booking_date,
        value_date=tx.value_date,
        amount=format_amount(tx.amount_minor, tx.currency),
        currency=tx.currency,
        direction=tx.direction,
        counterparty_name=tx.counterparty_name,
        counterparty_account=tx.counterparty_account,
        counterparty_tax_id=tx.counterparty_tax_id,
        purpose=tx.purpose,
        match_status=tx.match_status,
        allocated=format_amount(tx.allocated_minor, tx.currency),
        statement_id=tx.statement_id,
        allocations=[
            PaymentAllocationOut(
                id=a_id,
                invoice_id=inv_id,
                invoice_no=number,
                amount=format_amount(amount, currency),
                currency=currency,
                kind=kind,
                confidence=confidence,
                reasons=reasons,
                created_by=by,
                created_at=at.isoformat(),
                reversed_at=rev.isoformat() if rev else None,
            )
            for a_id, inv_id, number, amount, currency, kind, confidence, reasons, by, at, rev in rows
        ],
    )


def get_payment(session: Session, payment_id: int) -> PaymentOut:
    tx = session.get(BankTransaction, payment_id)
    if tx is None:
        raise NotFound(f"payment {payment_id} not found")
    return payment_view(session, tx)


def find_payments(session: Session, bank_ref: str) -> list[PaymentOut]:
    found = session.scalars(
        select(BankTransaction).where(col(BankTransaction.bank_ref) == bank_ref).order_by(col(BankTransaction.id))
    )
    return [payment_view(session, tx) for tx in found]
