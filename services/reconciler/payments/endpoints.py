"""HTTP endpoints for payments."""

from __future__ import annotations

from fastapi import APIRouter, Query

from services.reconciler.api.deps import DbSession
from services.reconciler.payments.schemas import PaymentOut
from services.reconciler.payments.service import find_payments, get_payment

router = APIRouter(prefix="/v1", tags=["payments"])


@router.get("/payments/{payment_id}", response_model=PaymentOut)
def read_payment(payment_id: int, session: DbSession) -> PaymentOut:
    return get_payment(session, payment_id)


@router.get("/payments", response_model=list[PaymentOut])
def payments_by_bank_ref(session: DbSession, bank_ref: str = Query(min_length=1)) -> list[PaymentOut]:
    """Payments carrying the bank's reference (banks may reuse one, hence a list)."""
    return find_payments(session, bank_ref)
