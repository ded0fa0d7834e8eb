"""HTTP endpoints of the billing area: HTTP only, rules live in the service."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Annotated

from fastapi import APIRouter, Query, status
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from services.reconciler.api.auth import ApiPrincipal, Forbidden, Principal
from services.reconciler.api.deps import DbSession
from services.reconciler.api.params import RowId
from services.reconciler.billing.repository import invoices_by_number
from services.reconciler.billing.schemas import ContractIn, InvoiceIn, UpsertSummary
from services.reconciler.billing.service import create_contract, upsert_invoice, upsert_invoices
from services.reconciler.integration import filters, reads
from services.reconciler.integration.schemas import ContractDetail, ContractPage, Invoice, InvoicePage
from shared.errors import Conflict
from shared.tasks import enqueue_after_commit

router = APIRouter(prefix="/v1", tags=["invoices"])

# Payments often arrive before their invoice is entered: new invoices re-try the open lines.
_RETRY_OPEN_LINES = "reconciler.match_open_lines"


def _own_partner(who: Principal, partner_inn: str | None) -> None:
    """A partner's key writes only that partner's invoices and contracts (e.g. a supplier's own bills)."""
    if who.partner_id is not None and partner_inn != who.partner_inn:
        raise Forbidden(f"this key may only write invoices of partner INN {who.partner_inn}", field="partner_inn")


def _taken_numbers(session: Session, who: Principal, items: Sequence[InvoiceIn]) -> None:
    """A partner's key cannot update (and so take over) another partner's receivable by its number.

    Our receivable numbers are unique across partners, so the number of another partner's
    receivable is refused as in use (409), naming neither that partner nor its invoice.
    """
    if who.partner_id is None:
        return
    for found in invoices_by_number(session, [i.invoice_no for i in items if i.direction == "receivable"]):
        if found.direction == "receivable" and found.partner_id != who.partner_id:
            raise Conflict(f"receivable invoice number {found.number!r} is already in use", field="invoice_no")


@contextmanager
def _in_use_is_conflict(who: Principal) -> Iterator[None]:
    """With row-level security (PostgreSQL), a partner's transaction does not see another partner's
    receivable at all, so :func:`_taken_numbers` cannot find it: the unique index refuses the insert."""
    try:
        yield
    except IntegrityError as exc:
        if who.partner_id is None:
            raise
        raise Conflict("a receivable invoice number is already in use", field="invoice_no") from exc


@router.post("/invoices", status_code=status.HTTP_201_CREATED, response_model=Invoice)
def create_invoice(item: InvoiceIn, session: DbSession, who: ApiPrincipal) -> Invoice:
    """Create (or update, when the number exists) one invoice with its partner and contract."""
    _own_partner(who, item.partner_inn)
    _taken_numbers(session, who, [item])
    with _in_use_is_conflict(who):
        invoice = upsert_invoice(session, item, actor=who.actor)
    enqueue_after_commit(session, _RETRY_OPEN_LINES)
    return reads.invoice(session, invoice.id or 0, who)


@router.post("/invoices/bulk", response_model=UpsertSummary)
def create_invoices(items: list[InvoiceIn], session: DbSession, who: ApiPrincipal) -> UpsertSummary:
    """Create or update many invoices in one transaction; the same list twice changes nothing."""
    for item in items:
        _own_partner(who, item.partner_inn)
    _taken_numbers(session, who, items)
    with _in_use_is_conflict(who):
        summary = upsert_invoices(session, items, actor=who.actor)
    enqueue_after_commit(session, _RETRY_OPEN_LINES)
    return summary


@router.get("/invoices", response_model=InvoicePage)
def list_invoices(session: DbSession, who: ApiPrincipal, f: Annotated[filters.InvoiceFilters, Query()]) -> InvoicePage:
    """Invoices, a page at a time; `order=updated_at` with `updated_since` follows changes for sync."""
    return reads.invoice_page(session, f, who)


@router.post("/contracts", status_code=status.HTTP_201_CREATED, response_model=ContractDetail, tags=["contracts"])
def create_contract_endpoint(item: ContractIn, session: DbSession, who: ApiPrincipal) -> ContractDetail:
    _own_partner(who, item.partner_inn)
    contract = create_contract(session, item, actor=who.actor)
    return reads.contract_detail(session, contract, who)


@router.get("/contracts", response_model=ContractPage, tags=["contracts"])
def list_contracts(
    session: DbSession, who: ApiPrincipal, f: Annotated[filters.ContractFilters, Query()]
) -> ContractPage:
    return reads.contract_page(session, f, who)


@router.get("/contracts/{contract_id}", response_model=ContractDetail, tags=["contracts"])
def read_contract(contract_id: RowId, session: DbSession, who: ApiPrincipal) -> ContractDetail:
    return reads.contract(session, contract_id, who)
