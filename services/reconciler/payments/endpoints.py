"""HTTP endpoints for payments."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query

from services.reconciler.api.auth import ApiPrincipal, InternalPrincipal
from services.reconciler.api.deps import DbSession
from services.reconciler.api.params import RowId
from services.reconciler.integration import filters, reads
from services.reconciler.integration.schemas import (
    AllocateIn,
    ConfirmIn,
    IgnoreIn,
    Payment,
    PaymentPage,
    RejectIn,
    ReverseIn,
    UnignoreIn,
)
from services.reconciler.review import service as review
from shared.errors import InvalidInput, NotFound
from shared.money import MoneyError, to_minor

router = APIRouter(prefix="/v1", tags=["payments"])


@router.get("/payments", response_model=PaymentPage)
def list_payments(session: DbSession, who: ApiPrincipal, f: Annotated[filters.PaymentFilters, Query()]) -> PaymentPage:
    """Booked bank lines, a page at a time; `bank_ref` finds a payment by the bank's reference."""
    return reads.payment_page(session, f, who)


@router.get("/payments/{payment_id}", response_model=Payment)
def read_payment(payment_id: RowId, session: DbSession, who: ApiPrincipal) -> Payment:
    return reads.payment(session, payment_id, who)


# Decisions go through the review service: the same rules, locks and journal as the workspace.


@router.post("/payments/{payment_id}/confirm", response_model=Payment)
def confirm(payment_id: RowId, body: ConfirmIn, session: DbSession, who: InternalPrincipal) -> Payment:
    """Confirm suggestions of this payment (one, or a batch offered together)."""
    review.confirm_suggestions(session, payment_id, body.suggestion_ids, actor=who.actor, reason=body.reason)
    return reads.payment(session, payment_id, who)


@router.post("/payments/{payment_id}/reject", response_model=Payment)
def reject(payment_id: RowId, body: RejectIn, session: DbSession, who: InternalPrincipal) -> Payment:
    """Reject one suggestion of this payment, with a reason."""
    suggestion = reads.allocation(session, body.suggestion_id, who)
    if suggestion.transaction_id != payment_id:
        raise NotFound(f"suggestion {body.suggestion_id} not found on payment {payment_id}", field="suggestion_id")
    review.reject_suggestion(session, body.suggestion_id, actor=who.actor, reason=body.reason)
    return reads.payment(session, payment_id, who)


@router.post("/payments/{payment_id}/allocate", response_model=Payment)
def allocate(payment_id: RowId, body: AllocateIn, session: DbSession, who: InternalPrincipal) -> Payment:
    """Allocate by hand: to one invoice or split over several, in full or in part."""
    payment = reads.payment(session, payment_id, who)
    parts = []
    for i, part in enumerate(body.parts):
        parts.append(review.Part(part.invoice_id, _minor(part.amount, payment.currency, f"parts.{i}.amount")))
    review.allocate_manually(session, payment_id, parts, actor=who.actor, reason=body.reason)
    return reads.payment(session, payment_id, who)


@router.post("/payments/{payment_id}/ignore", response_model=Payment)
def ignore(payment_id: RowId, body: IgnoreIn, session: DbSession, who: InternalPrincipal) -> Payment:
    """Mark a payment as not an invoice payment (bank fee, refund, loan, other with a note)."""
    review.ignore_line(session, payment_id, body.category, actor=who.actor, note=body.note)
    return reads.payment(session, payment_id, who)


@router.post("/payments/{payment_id}/unignore", response_model=Payment)
def unignore(payment_id: RowId, body: UnignoreIn, session: DbSession, who: InternalPrincipal) -> Payment:
    """Undo an ignore: the payment is open again."""
    review.unignore_line(session, payment_id, actor=who.actor, reason=body.reason)
    return reads.payment(session, payment_id, who)


@router.post("/allocations/{allocation_id}/reverse", response_model=Payment, tags=["allocations"])
def reverse(allocation_id: RowId, body: ReverseIn, session: DbSession, who: InternalPrincipal) -> Payment:
    """Undo an allocation (automatic, confirmed or manual), with a reason; answers the payment it was on."""
    allocation = reads.allocation(session, allocation_id, who)
    review.reverse_allocation(session, allocation_id, actor=who.actor, reason=body.reason)
    return reads.payment(session, allocation.transaction_id, who)


def _minor(amount: Decimal, currency: str, field: str) -> int:
    try:
        return to_minor(amount, currency)
    except MoneyError as exc:
        raise InvalidInput(str(exc), field=field) from exc
