"""Queries of the integration API: filtered keyset pages and the bulk loads that render them.

Every list is one query for the page plus one query per related table for the whole page (never
one per row), so a page of 500 costs a handful of round trips.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col

from services.reconciler.api.pagination import Ordering, SortKey, paginate
from services.reconciler.integration.filters import (
    AllocationFilters,
    ContractFilters,
    InvoiceFilters,
    PartnerFilters,
    PaymentFilters,
    StatementFilters,
)
from shared.errors import InvalidInput
from shared.models import (
    Allocation,
    BankAccount,
    BankTransaction,
    Contract,
    Invoice,
    Partner,
    PartnerAccount,
    Statement,
)
from shared.models.matching import EFFECTIVE_KINDS
from shared.money import MoneyError, to_minor

BY_INVOICE_ID = Ordering("invoice:id", (SortKey(col(Invoice.id), "int"),), lambda r: (r.id,))
BY_INVOICE_UPDATED = Ordering(
    "invoice:updated_at",
    (SortKey(col(Invoice.updated_at), "datetime"), SortKey(col(Invoice.id), "int")),
    lambda r: (r.updated_at, r.id),
)
BY_PAYMENT_ID = Ordering("payment:id", (SortKey(col(BankTransaction.id), "int"),), lambda r: (r.id,))
BY_CONTRACT_ID = Ordering("contract:id", (SortKey(col(Contract.id), "int"),), lambda r: (r.id,))
BY_PARTNER_ID = Ordering("partner:id", (SortKey(col(Partner.id), "int"),), lambda r: (r.id,))
BY_ALLOCATION_ID = Ordering("allocation:id", (SortKey(col(Allocation.id), "int"),), lambda r: (r.id,))
BY_STATEMENT_ID = Ordering("statement:id", (SortKey(col(Statement.id), "int"),), lambda r: (r.id,))

Page = tuple[list[Any], bool, str | None]


def _where(query: Any, conditions: Sequence[ColumnElement[bool] | None]) -> Any:
    real = [c for c in conditions if c is not None]
    return query.where(*real) if real else query


def _minor_bounds(low: Any, high: Any, currency: str | None, column: Any) -> list[ColumnElement[bool] | None]:
    if low is None and high is None:
        return []
    if not currency:
        raise InvalidInput(
            "amount filters need `currency` (amounts are compared exactly in its minor units)", field="currency"
        )
    try:
        return [
            column >= to_minor(low, currency) if low is not None else None,
            column <= to_minor(high, currency) if high is not None else None,
        ]
    except MoneyError as exc:
        raise InvalidInput(str(exc), field="amount_min") from exc


def _between(column: Any, low: date | None, high: date | None) -> list[ColumnElement[bool] | None]:
    return [column >= low if low else None, column <= high if high else None]


def invoice_page(session: Session, f: InvoiceFilters, scope: ColumnElement[bool] | None) -> Page:
    query = select(Invoice)
    if f.partner_inn:
        query = query.join(Partner, col(Partner.id) == col(Invoice.partner_id))
    conditions: list[ColumnElement[bool] | None] = [
        scope,
        col(Invoice.status).in_(f.status) if f.status else None,
        col(Invoice.direction) == f.direction if f.direction else None,
        col(Invoice.number) == f.number if f.number else None,
        col(Invoice.partner_id) == f.partner_id if f.partner_id is not None else None,
        col(Partner.inn) == f.partner_inn if f.partner_inn else None,
        col(Invoice.contract_id) == f.contract_id if f.contract_id is not None else None,
        col(Invoice.currency) == f.currency.upper() if f.currency else None,
        col(Invoice.updated_at) >= f.updated_since if f.updated_since else None,
        *_minor_bounds(f.amount_min, f.amount_max, f.currency, col(Invoice.amount_minor)),
        *_between(col(Invoice.invoice_date), f.issued_from, f.issued_to),
        *_between(col(Invoice.due_date), f.due_from, f.due_to),
    ]
    ordering = BY_INVOICE_UPDATED if f.order == "updated_at" else BY_INVOICE_ID
    return paginate(session, _where(query, conditions), ordering, f.cursor, f.limit)


def payment_page(session: Session, f: PaymentFilters, scope: ColumnElement[bool] | None) -> Page:
    query = select(BankTransaction)
    if f.account:
        query = query.join(BankAccount, col(BankAccount.id) == col(BankTransaction.bank_account_id))
    allocated_to: ColumnElement[bool] | None = None
    if f.partner_id is not None or f.invoice_id is not None:
        targets = select(col(Invoice.id))
        if f.partner_id is not None:
            targets = targets.where(col(Invoice.partner_id) == f.partner_id)
        if f.invoice_id is not None:
            targets = targets.where(col(Invoice.id) == f.invoice_id)
        allocated_to = col(BankTransaction.id).in_(
            select(col(Allocation.transaction_id)).where(
                col(Allocation.kind).in_(EFFECTIVE_KINDS),
                col(Allocation.reversed_at).is_(None),
                col(Allocation.invoice_id).in_(targets),
            )
        )
    conditions: list[ColumnElement[bool] | None] = [
        scope,
        allocated_to,
        col(BankTransaction.match_status).in_(f.match_status) if f.match_status else None,
        (col(BankTransaction.amount_minor) > 0 if f.direction == "credit" else col(BankTransaction.amount_minor) < 0)
        if f.direction
        else None,
        col(BankTransaction.bank_ref) == f.bank_ref if f.bank_ref else None,
        col(BankAccount.number) == f.account if f.account else None,
        col(BankTransaction.counterparty_tax_id) == f.counterparty_tax_id if f.counterparty_tax_id else None,
        col(BankTransaction.statement_id) == f.statement_id if f.statement_id is not None else None,
        col(BankTransaction.currency) == f.currency.upper() if f.currency else None,
        col(BankTransaction.created_at) >= f.created_since if f.created_since else None,
        *_minor_bounds(f.amount_min, f.amount_max, f.currency, func.abs(col(BankTransaction.amount_minor))),
        *_between(col(BankTransaction.booking_date), f.booked_from, f.booked_to),
    ]
    return paginate(session, _where(query, conditions), BY_PAYMENT_ID, f.cursor, f.limit)


def contract_page(session: Session, f: ContractFilters, scope: ColumnElement[bool] | None) -> Page:
    query = select(Contract)
    if f.partner_inn:
        query = query.join(Partner, col(Partner.id) == col(Contract.partner_id))
    conditions = [
        scope,
        col(Contract.partner_id) == f.partner_id if f.partner_id is not None else None,
        col(Partner.inn) == f.partner_inn if f.partner_inn else None,
        col(Contract.number) == f.number if f.number else None,
    ]
    return paginate(session, _where(query, conditions), BY_CONTRACT_ID, f.cursor, f.limit)


def partner_page(session: Session, f: PartnerFilters, scope: ColumnElement[bool] | None) -> Page:
    conditions = [
        scope,
        col(Partner.inn) == f.inn if f.inn else None,
        col(Partner.name) == f.name if f.name else None,
    ]
    return paginate(session, _where(select(Partner), conditions), BY_PARTNER_ID, f.cursor, f.limit)


def allocation_page(session: Session, f: AllocationFilters, scope: ColumnElement[bool] | None) -> Page:
    conditions = [
        scope,
        col(Allocation.invoice_id) == f.invoice_id if f.invoice_id is not None else None,
        col(Allocation.transaction_id) == f.payment_id if f.payment_id is not None else None,
        col(Allocation.kind).in_(f.kind) if f.kind else None,
        None
        if f.active is None
        else (col(Allocation.reversed_at).is_(None) if f.active else col(Allocation.reversed_at).is_not(None)),
        col(Allocation.created_at) >= f.created_since if f.created_since else None,
    ]
    return paginate(session, _where(select(Allocation), conditions), BY_ALLOCATION_ID, f.cursor, f.limit)


def statement_page(session: Session, f: StatementFilters) -> Page:
    query = select(Statement)
    if f.account:
        query = query.join(BankAccount, col(BankAccount.id) == col(Statement.bank_account_id))
    conditions = [
        col(BankAccount.number) == f.account if f.account else None,
        col(Statement.imported_at) >= f.imported_since if f.imported_since else None,
    ]
    return paginate(session, _where(query, conditions), BY_STATEMENT_ID, f.cursor, f.limit)


def one(session: Session, model: type[Any], row_id: int, scope: ColumnElement[bool] | None) -> Any:
    """A row by id, or None when it does not exist or the scope hides it."""
    if row_id < 1 or row_id > 2**63 - 1:
        return None
    query = select(model).where(col(model.id) == row_id)
    return session.scalars(_where(query, [scope])).first()


def find_invoice(session: Session, number: str, direction: str, scope: ColumnElement[bool] | None) -> Invoice | None:
    query = select(Invoice).where(col(Invoice.number) == number, col(Invoice.direction) == direction)
    return session.scalars(_where(query, [scope]).order_by(col(Invoice.id))).first()


# Bulk loads for rendering a page.


def by_id(session: Session, model: type[Any], ids: Sequence[int]) -> dict[int, Any]:
    unique = sorted({i for i in ids if i is not None})
    if not unique:
        return {}
    return {row.id: row for row in session.scalars(select(model).where(col(model.id).in_(unique)))}


def allocations_of_invoices(
    session: Session, invoice_ids: Sequence[int], scope: ColumnElement[bool] | None
) -> list[tuple[Allocation, BankTransaction]]:
    if not invoice_ids:
        return []
    query = (
        select(Allocation, BankTransaction)
        .join(BankTransaction, col(BankTransaction.id) == col(Allocation.transaction_id))
        .where(col(Allocation.invoice_id).in_(list(invoice_ids)))
    )
    return [(a, t) for a, t in session.execute(_where(query, [scope]).order_by(col(Allocation.id)))]


def allocations_of_payments(
    session: Session, payment_ids: Sequence[int], scope: ColumnElement[bool] | None
) -> list[tuple[Allocation, Invoice]]:
    if not payment_ids:
        return []
    query = (
        select(Allocation, Invoice)
        .join(Invoice, col(Invoice.id) == col(Allocation.invoice_id))
        .where(col(Allocation.transaction_id).in_(list(payment_ids)))
    )
    return [(a, i) for a, i in session.execute(_where(query, [scope]).order_by(col(Allocation.id)))]


def accounts_of_partners(session: Session, partner_ids: Sequence[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    if partner_ids:
        query = (
            select(col(PartnerAccount.partner_id), col(PartnerAccount.number))
            .where(col(PartnerAccount.partner_id).in_(list(partner_ids)))
            .order_by(col(PartnerAccount.id))
        )
        for partner_id, number in session.execute(query):
            found.setdefault(partner_id, []).append(number)
    return found


def contract_totals(
    session: Session, contract_ids: Sequence[int], scope: ColumnElement[bool] | None
) -> dict[int, tuple[int, dict[str, int]]]:
    """Per contract: number of invoices and outstanding minor units per currency (cancelled excluded)."""
    if not contract_ids:
        return {}
    owed = case(
        (
            and_(col(Invoice.status) != "cancelled", col(Invoice.paid_minor) < col(Invoice.amount_minor)),
            col(Invoice.amount_minor) - col(Invoice.paid_minor),
        ),
        else_=0,
    )
    query = (
        select(col(Invoice.contract_id), col(Invoice.currency), func.count(), func.sum(owed))
        .where(col(Invoice.contract_id).in_(list(contract_ids)))
        .group_by(col(Invoice.contract_id), col(Invoice.currency))
    )
    totals: dict[int, tuple[int, dict[str, int]]] = {}
    for contract_id, currency, count, total in session.execute(_where(query, [scope])):
        n, per = totals.get(contract_id, (0, {}))
        per[currency] = int(total or 0)
        totals[contract_id] = (n + int(count), per)
    return totals


def statement_accounts(session: Session, statements: Sequence[Statement]) -> dict[int, str]:
    return {a.id: a.number for a in by_id(session, BankAccount, [s.bank_account_id for s in statements]).values()}
