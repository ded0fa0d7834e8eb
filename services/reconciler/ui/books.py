"""The contract page and the partner page: balances, invoices, money on them, and their history."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from services.reconciler.access.deps import Viewer
from services.reconciler.api.deps import DbSession
from services.reconciler.ui.reads import books
from services.reconciler.ui.rendering import UI, render

router = APIRouter(prefix=UI, include_in_schema=False)


@router.get("/contracts/{contract_id}", response_class=HTMLResponse)
def contract_page(request: Request, session: DbSession, user: Viewer, contract_id: int) -> HTMLResponse:
    contract = books.contract(session, contract_id)
    context = {
        "contract": contract,
        "partner": contract.partner,
        "books": books.books_of_contract(session, contract_id),
    }
    return render(request, "contract.html", {**context, "limit": books.LIST_LIMIT}, user=user)


@router.get("/partners/{partner_id}", response_class=HTMLResponse)
def partner_page(request: Request, session: DbSession, user: Viewer, partner_id: int) -> HTMLResponse:
    context = {"partner": books.partner(session, partner_id), "books": books.books_of_partner(session, partner_id)}
    return render(request, "partner.html", {**context, "limit": books.LIST_LIMIT}, user=user)
