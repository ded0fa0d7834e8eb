"""The partner page: a signed, expiring link opens one partner's statements and documents, and nothing else.

``/partner/{token}`` lists the partner's contracts, each with its statement (running balance,
PDF and CSV downloads) and the payments in it with their payment orders. Every document URL
carries the same token and is checked again: the contract must be the partner's, the payment
must have been allocated to one of the partner's invoices. Another partner's ids give 404, as
if they did not exist; a forged or edited token gives 403, an expired one 410 — as HTML pages,
since a person clicked a link in an email. No API key: the link is the credential.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlmodel import Session

from services.notifier import portal_links
from services.notifier.documents import repository
from services.notifier.documents.contract_statement import ContractStatement, closing_sentence, render_csv, render_pdf
from services.notifier.documents.endpoints import disposition
from services.notifier.documents.service import contract_statements, payment_order_attachment
from services.notifier.mail.templates import TEMPLATE_DIR, day, language_of, money
from shared.db import session_scope
from shared.errors import NotFound
from shared.money import format_amount

NO_CONTRACT = "no-contract"

_env = Environment(loader=FileSystemLoader(str(TEMPLATE_DIR)), autoescape=select_autoescape(["html"]))
_env.filters["day"] = day


def db_session() -> Iterator[Session]:
    with session_scope() as session:
        yield session


DbSession = Annotated[Session, Depends(db_session, scope="function")]

router = APIRouter(prefix="/partner", tags=["partner page"], include_in_schema=False)


@dataclass(frozen=True, slots=True)
class Section:
    key: str  # contract id or NO_CONTRACT
    statement: ContractStatement


def _partner_id(token: str) -> int:
    return portal_links.verify(token)


def _statements(session: Session, partner_id: int, language: str) -> list[Section]:
    partner = repository.get_partner(session, partner_id)
    if partner is None:
        raise NotFound("partner not found")
    sections = [
        Section(str(c.id), s)
        for c in repository.contracts_of(session, partner_id)
        for s in contract_statements(session, partner, c.id, language=language)
    ]
    if repository.has_invoices_without_contract(session, partner_id):
        sections += [Section(NO_CONTRACT, s) for s in contract_statements(session, partner, None, language=language)]
    return sections


def _refusal(exc: portal_links.LinkRefused) -> HTMLResponse:
    page = _env.get_template("partner/refused.html").render(message=exc.message)
    return HTMLResponse(page, status_code=exc.status_code)


@router.get("/{token}", response_class=HTMLResponse)
def partner_page(token: str, session: DbSession, request: Request) -> Response:
    try:
        partner_id = _partner_id(token)
    except portal_links.LinkRefused as exc:
        return _refusal(exc)
    partner = repository.get_partner(session, partner_id)
    if partner is None:
        return _refusal(portal_links.LinkRefused("this link is not valid"))
    language = language_of(request.query_params.get("lang") or partner.language)
    sections = _statements(session, partner_id, language)
    page = _env.get_template("partner/page.html").render(
        lang=language,
        partner=partner,
        token=token,
        sections=sections,
        closing=closing_sentence,
        money=lambda minor, currency: money(format_amount(minor, currency), currency, language),
    )
    return HTMLResponse(page, headers={"cache-control": "no-store", "referrer-policy": "no-referrer"})


def _section(session: Session, partner_id: int, key: str, language: str) -> list[ContractStatement]:
    partner = repository.get_partner(session, partner_id)
    if partner is None:
        raise NotFound("partner not found")
    if key == NO_CONTRACT:
        return contract_statements(session, partner, None, language=language)
    if not key.isdigit():
        raise NotFound("no such statement")
    return contract_statements(session, partner, int(key), language=language)  # NotFound if not the partner's


@router.get("/{token}/statements/{key}.{fmt}")
def statement_file(token: str, key: str, fmt: str, session: DbSession) -> Response:
    try:
        partner_id = _partner_id(token)
    except portal_links.LinkRefused as exc:
        return _refusal(exc)
    if fmt not in ("pdf", "csv"):
        raise NotFound("no such format")
    partner = repository.get_partner(session, partner_id)
    language = language_of(partner.language if partner else None)
    statements = _section(session, partner_id, key, language)
    statement = statements[0]
    if fmt == "pdf":
        data, media = render_pdf(statement), "application/pdf"
    else:
        data, media = render_csv(statement), "text/csv; charset=utf-8"
    name = f"statement-{statement.contract_number or NO_CONTRACT}.{fmt}"
    return Response(data, media_type=media, headers={"content-disposition": disposition(name, "attachment")})


@router.get("/{token}/payments/{payment_id}/payment-order")
def partner_payment_order(token: str, payment_id: int, session: DbSession) -> Response:
    try:
        partner_id = _partner_id(token)
    except portal_links.LinkRefused as exc:
        return _refusal(exc)
    if partner_id not in repository.partner_of_transaction(session, payment_id):
        raise NotFound(f"payment {payment_id} not found")
    attachment = payment_order_attachment(session, payment_id)
    return Response(
        attachment.data,
        media_type=attachment.content_type,
        headers={"content-disposition": disposition(attachment.filename), "cache-control": "no-store"},
    )
