"""HTTP endpoints of the integration API: partners, allocations, journal, cancelling, contract details."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from services.reconciler.api.auth import ApiPrincipal, Forbidden, InternalPrincipal, Principal
from services.reconciler.api.deps import DbSession
from services.reconciler.api.params import RowId
from services.reconciler.integration import filters, reads, repository, schemas, scope, writes
from shared.errors import NotFound
from shared.models import Contract, Partner

router = APIRouter(prefix="/v1")


def _own_partner(who: Principal, partner_id: int) -> None:
    if who.partner_id is not None and who.partner_id != partner_id:
        raise Forbidden("a partner's key can only change that partner's data")


@router.get("/partners", response_model=schemas.PartnerPage, tags=["partners"])
def list_partners(
    session: DbSession, who: ApiPrincipal, f: Annotated[filters.PartnerFilters, Query()]
) -> schemas.PartnerPage:
    return reads.partner_page(session, f, who)


@router.get("/partners/{partner_id}", response_model=schemas.Partner, tags=["partners"])
def read_partner(partner_id: RowId, session: DbSession, who: ApiPrincipal) -> schemas.Partner:
    return reads.partner(session, partner_id, who)


@router.post("/partners", status_code=status.HTTP_201_CREATED, response_model=schemas.Partner, tags=["partners"])
def create_partner(item: schemas.PartnerIn, session: DbSession, who: InternalPrincipal) -> schemas.Partner:
    """Create a partner (a customer or supplier); 409 when its INN is already known."""
    partner = writes.create_partner(session, item, actor=who.actor)
    return reads.partner(session, partner.id or 0, who)


@router.patch("/partners/{partner_id}", response_model=schemas.Partner, tags=["partners"])
def update_partner(
    partner_id: RowId, patch: schemas.PartnerPatch, session: DbSession, who: InternalPrincipal
) -> schemas.Partner:
    """Change a partner's name, KPP, e-mail or language; add bank accounts. The INN is its identity."""
    partner = repository.one(session, Partner, partner_id, None)
    if partner is None:
        raise NotFound(f"partner {partner_id} not found")
    writes.update_partner(session, partner, patch, actor=who.actor)
    return reads.partner(session, partner_id, who)


@router.patch("/contracts/{contract_id}", response_model=schemas.ContractDetail, tags=["contracts"])
def update_contract(
    contract_id: RowId, patch: schemas.ContractPatch, session: DbSession, who: ApiPrincipal
) -> schemas.ContractDetail:
    contract = repository.one(session, Contract, contract_id, scope.contract_visible(who))
    if contract is None:
        raise NotFound(f"contract {contract_id} not found")
    writes.update_contract(session, contract, patch, actor=who.actor)
    return reads.contract_detail(session, contract, who)


@router.post("/invoices/{invoice_id}/cancel", response_model=schemas.Invoice, tags=["invoices"])
def cancel_invoice(invoice_id: RowId, body: schemas.CancelIn, session: DbSession, who: ApiPrincipal) -> schemas.Invoice:
    """Cancel an invoice (never deleted; journaled with the reason). 409 when money is allocated to it."""
    reads.invoice(session, invoice_id, who)  # 404 for what the key cannot see
    writes.cancel_invoice(session, invoice_id, reason=body.reason, actor=who.actor)
    return reads.invoice(session, invoice_id, who)


@router.get("/allocations", response_model=schemas.AllocationPage, tags=["allocations"])
def list_allocations(
    session: DbSession, who: ApiPrincipal, f: Annotated[filters.AllocationFilters, Query()]
) -> schemas.AllocationPage:
    """Allocations (and, for internal keys, suggestions) of payments to invoices."""
    return reads.allocation_page(session, f, who)


@router.get("/allocations/{allocation_id}", response_model=schemas.Allocation, tags=["allocations"])
def read_allocation(allocation_id: RowId, session: DbSession, who: ApiPrincipal) -> schemas.Allocation:
    return reads.allocation(session, allocation_id, who)


@router.get("/journal", response_model=schemas.JournalPage, tags=["journal"])
def journal_of_entity(
    session: DbSession, who: ApiPrincipal, f: Annotated[filters.JournalFilters, Query()]
) -> schemas.JournalPage:
    """The hash-chained journal's events about one entity, oldest first."""
    return reads.journal_page(session, f, who)
