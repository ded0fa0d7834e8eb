"""The read side of ``/v1``: pages and lookups, every one filtered by the calling key's partner scope."""

from __future__ import annotations

from sqlalchemy import and_, or_, select
from sqlmodel import Session, col

from services.reconciler.api.auth import Principal
from services.reconciler.api.pagination import Ordering, SortKey, paginate
from services.reconciler.integration import filters, repository, schemas, scope, views
from shared.errors import NotFound
from shared.models import Allocation, BankTransaction, Contract, Invoice, JournalEvent, Partner, Statement


def invoice_page(session: Session, f: filters.InvoiceFilters, who: Principal) -> schemas.InvoicePage:
    rows, more, cursor = repository.invoice_page(session, f, scope.invoice_visible(who))
    return schemas.InvoicePage(data=views.invoices(session, rows, who), has_more=more, next_cursor=cursor)


def invoice(session: Session, invoice_id: int, who: Principal) -> schemas.Invoice:
    row = repository.one(session, Invoice, invoice_id, scope.invoice_visible(who))
    if row is None:
        raise NotFound(f"invoice {invoice_id} not found")
    return views.invoices(session, [row], who)[0]


def invoice_by_number(session: Session, number: str, direction: str, who: Principal) -> schemas.Invoice:
    row = repository.find_invoice(session, number, direction, scope.invoice_visible(who))
    if row is None:
        raise NotFound(f"{direction} invoice {number!r} not found", field="number")
    return views.invoices(session, [row], who)[0]


def contract_page(session: Session, f: filters.ContractFilters, who: Principal) -> schemas.ContractPage:
    rows, more, cursor = repository.contract_page(session, f, scope.contract_visible(who))
    return schemas.ContractPage(data=views.contracts(session, rows, who), has_more=more, next_cursor=cursor)


def contract(session: Session, contract_id: int, who: Principal) -> schemas.ContractDetail:
    row = repository.one(session, Contract, contract_id, scope.contract_visible(who))
    if row is None:
        raise NotFound(f"contract {contract_id} not found")
    return contract_detail(session, row, who)


def contract_detail(session: Session, row: Contract, who: Principal) -> schemas.ContractDetail:
    [summary] = views.contracts(session, [row], who)
    invoices = list(
        session.scalars(select(Invoice).where(col(Invoice.contract_id) == row.id).order_by(col(Invoice.id)))
    )
    return schemas.ContractDetail(**summary.model_dump(), invoices=views.invoices(session, invoices, who))


def partner_page(session: Session, f: filters.PartnerFilters, who: Principal) -> schemas.PartnerPage:
    rows, more, cursor = repository.partner_page(session, f, scope.partner_visible(who))
    return schemas.PartnerPage(data=views.partners(session, rows), has_more=more, next_cursor=cursor)


def partner(session: Session, partner_id: int, who: Principal) -> schemas.Partner:
    row = repository.one(session, Partner, partner_id, scope.partner_visible(who))
    if row is None:
        raise NotFound(f"partner {partner_id} not found")
    return views.partners(session, [row])[0]


def payment_page(session: Session, f: filters.PaymentFilters, who: Principal) -> schemas.PaymentPage:
    rows, more, cursor = repository.payment_page(session, f, scope.payment_visible(who))
    return schemas.PaymentPage(data=views.payments(session, rows, who), has_more=more, next_cursor=cursor)


def payment(session: Session, payment_id: int, who: Principal) -> schemas.Payment:
    row = repository.one(session, BankTransaction, payment_id, scope.payment_visible(who))
    if row is None:
        raise NotFound(f"payment {payment_id} not found")
    return views.payments(session, [row], who)[0]


def allocation_page(session: Session, f: filters.AllocationFilters, who: Principal) -> schemas.AllocationPage:
    rows, more, cursor = repository.allocation_page(session, f, scope.allocation_visible(who))
    return schemas.AllocationPage(data=views.allocations(session, rows), has_more=more, next_cursor=cursor)


def allocation(session: Session, allocation_id: int, who: Principal) -> schemas.Allocation:
    row = repository.one(session, Allocation, allocation_id, scope.allocation_visible(who))
    if row is None:
        raise NotFound(f"allocation {allocation_id} not found")
    return views.allocations(session, [row])[0]


def statement_page(session: Session, f: filters.StatementFilters) -> schemas.StatementPage:
    rows, more, cursor = repository.statement_page(session, f)
    return schemas.StatementPage(data=views.statements(session, rows), has_more=more, next_cursor=cursor)


def statement(session: Session, statement_id: int) -> schemas.Statement:
    row = repository.one(session, Statement, statement_id, None)
    if row is None:
        raise NotFound(f"statement {statement_id} not found")
    return views.statements(session, [row])[0]


_JOURNAL_TYPES = {"payment": "bank_transaction"}
BY_SEQ = Ordering("journal:seq", (SortKey(col(JournalEvent.seq), "int"),), lambda r: (r.seq,))


def journal_page(session: Session, f: filters.JournalFilters, who: Principal) -> schemas.JournalPage:
    """Events about one entity (and its allocations), oldest first: what happened, who did it, when.

    A partner reads the history of what it can see; events about allocations it cannot see stay hidden.
    """
    lookups = {
        "invoice": (Invoice, scope.invoice_visible(who)),
        "contract": (Contract, scope.contract_visible(who)),
        "partner": (Partner, scope.partner_visible(who)),
        "payment": (BankTransaction, scope.payment_visible(who)),
        "allocation": (Allocation, scope.allocation_visible(who)),
        "statement": (Statement, None if who.partner_id is None else col(Statement.id) < 0),
    }
    model, visible = lookups[f.entity_type]
    if repository.one(session, model, f.entity_id, visible) is None:
        raise NotFound(f"{f.entity_type} {f.entity_id} not found", field="entity_id")
    about = and_(
        col(JournalEvent.entity_type) == _JOURNAL_TYPES.get(f.entity_type, f.entity_type),
        col(JournalEvent.entity_id) == str(f.entity_id),
    )
    condition = about
    if f.with_allocations and f.entity_type in ("invoice", "payment"):
        owner = col(Allocation.invoice_id) if f.entity_type == "invoice" else col(Allocation.transaction_id)
        allocations = select(col(Allocation.id)).where(owner == f.entity_id)
        partner_scope = scope.allocation_visible(who)
        if partner_scope is not None:
            allocations = allocations.where(partner_scope)
        ids = [str(i) for i in session.scalars(allocations)]
        if ids:
            condition = or_(
                about, and_(col(JournalEvent.entity_type) == "allocation", col(JournalEvent.entity_id).in_(ids))
            )
    rows, more, cursor = paginate(session, select(JournalEvent).where(condition), BY_SEQ, f.cursor, f.limit)
    return schemas.JournalPage(
        data=[
            schemas.JournalEventOut(
                seq=e.seq,
                occurred_at=e.occurred_at,
                actor=e.actor,
                action=e.action,
                entity_type=e.entity_type,
                entity_id=e.entity_id,
                before=e.before,
                after=e.after,
                hash=e.hash,
            )
            for e in rows
        ],
        has_more=more,
        next_cursor=cursor,
    )
