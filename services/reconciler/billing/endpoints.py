"""HTTP endpoints of the billing area: HTTP only, rules live in the service."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, status

from services.reconciler.api.deps import API_ACTOR, DbSession
from services.reconciler.billing import views
from services.reconciler.billing.schemas import ContractIn, ContractOut, InvoiceIn, InvoiceOut, UpsertSummary
from services.reconciler.billing.service import create_contract, upsert_invoice, upsert_invoices
from shared.tasks import enqueue_after_commit

router = APIRouter(prefix="/v1", tags=["invoices"])

# Payments often arrive before their invoice is entered: new invoices re-try the open lines.
_RETRY_OPEN_LINES = "reconciler.match_open_lines"


@router.post("/invoices", status_code=status.HTTP_201_CREATED, response_model=InvoiceOut)
def create_invoice(item: InvoiceIn, session: DbSession) -> InvoiceOut:
    """Create (or update, when the number exists) one invoice with its partner and contract."""
    invoice = upsert_invoice(session, item, actor=API_ACTOR)
    enqueue_after_commit(session, _RETRY_OPEN_LINES)
    return views.invoice_view(session, invoice)


@router.post("/invoices/bulk", response_model=UpsertSummary)
def create_invoices(items: list[InvoiceIn], session: DbSession) -> UpsertSummary:
    """Create or update many invoices in one transaction; the same list twice changes nothing."""
    summary = upsert_invoices(session, items, actor=API_ACTOR)
    enqueue_after_commit(session, _RETRY_OPEN_LINES)
    return summary


@router.get("/invoices/{invoice_id}", response_model=InvoiceOut)
def read_invoice(invoice_id: int, session: DbSession) -> InvoiceOut:
    return views.get_invoice_view(session, invoice_id)


@router.get("/invoices", response_model=InvoiceOut)
def find_invoice(
    session: DbSession,
    number: str = Query(min_length=1),
    direction: Literal["receivable", "payable"] = "receivable",
) -> InvoiceOut:
    """Look an invoice up by our number (receivables are unique by number)."""
    return views.find_invoice_view(session, number, direction)


@router.post("/contracts", status_code=status.HTTP_201_CREATED, response_model=ContractOut)
def create_contract_endpoint(item: ContractIn, session: DbSession) -> ContractOut:
    return views.contract_view(session, create_contract(session, item, actor=API_ACTOR))


@router.get("/contracts/{contract_id}", response_model=ContractOut)
def read_contract(contract_id: int, session: DbSession) -> ContractOut:
    return views.get_contract_view(session, contract_id)
