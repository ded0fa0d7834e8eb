"""Read a payment with everything that was decided about it."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session, col

from services.reconciler.allocations import allocations_of_line
from services.reconciler.payments.schemas import PaymentAllocationOut, PaymentOut
from shared.errors import NotFound
from shared.models import BankAccount, BankTransaction
from shared.money import format_amount


def payment_view(session: Session, tx: BankTransaction) -> PaymentOut:
    account = session.get(BankAccount, tx.bank_account_id)
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
                id=a.id,
                invoice_id=a.invoice_id,
                invoice_no=a.invoice_no,
                amount=format_amount(a.amount_minor, a.currency),
                currency=a.currency,
                kind=a.kind,
                confidence=a.confidence,
                reasons=a.reasons,
                created_by=a.created_by,
                created_at=a.created_at.isoformat(),
                reversed_at=a.reversed_at.isoformat() if a.reversed_at else None,
            )
            for a in allocations_of_line(session, tx.id or 0)
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
