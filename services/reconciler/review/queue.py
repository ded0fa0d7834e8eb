"""Read models of the workspace: overview totals, the review queue, a payment, an invoice, invoice search.

Plain frozen values with integer minor units; the UI formats them for the reader's locale. The
queue pages with LIMIT/OFFSET over an indexed status filter and loads the suggestions of the
page's lines in one query, so a page costs three queries whatever the queue's size.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from sqlalchemy import case, func, or_, select
from sqlmodel import Session, col

from services.reconciler.review import repository
from shared.db import columns
from shared.errors import NotFound
from shared.models import Allocation, BankAccount, BankTransaction, Invoice, JournalEvent, Partner
from shared.money import MoneyError, to_minor

LINE_STATUSES = ("unmatched", "suggested", "partially_settled", "settled", "ignored")
OPEN_STATUSES = ("unmatched", "suggested", "partially_settled")
SortKey = Literal["age", "amount", "partner"]
PAGE_SIZE = 25


@dataclass(frozen=True, slots=True)
class StatusTotal:
    status: str
    currency: str
    count: int
    amount_minor: int  # sum of |amount|
    open_minor: int  # sum of |amount| - allocated


def overview(session: Session) -> list[StatusTotal]:
    magnitude = case(
        (col(BankTransaction.amount_minor) < 0, -col(BankTransaction.amount_minor)),
        else_=col(BankTransaction.amount_minor),
    )
    rows = session.execute(
        select(
            col(BankTransaction.match_status),
            col(BankTransaction.currency),
            func.count(),
            func.coalesce(func.sum(magnitude), 0),
            func.coalesce(func.sum(magnitude - col(BankTransaction.allocated_minor)), 0),
        ).group_by(col(BankTransaction.match_status), col(BankTransaction.currency))
    )
    order = {s: i for i, s in enumerate(LINE_STATUSES)}
    totals = [StatusTotal(s, c, int(n), int(a), int(o)) for s, c, n, a, o in rows]
    return sorted(totals, key=lambda t: (order.get(t.status, 99), t.currency))


@dataclass(frozen=True, slots=True)
class SuggestionView:
    id: int
    invoice_id: int
    invoice_no: str
    partner_name: str
    amount_minor: int
    currency: str
    confidence: float
    reasons: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class LineView:
    id: int
    bank_ref: str | None
    account: str
    booking_date: date | None
    amount_minor: int
    currency: str
    counterparty_name: str | None
    counterparty_account: str | None
    counterparty_tax_id: str | None
    purpose: str | None
    match_status: str
    allocated_minor: int
    suggestions: list[SuggestionView] = field(default_factory=list)

    @property
    def direction(self) -> str:
        return "credit" if self.amount_minor > 0 else "debit"

    @property
    def open_minor(self) -> int:
        return abs(self.amount_minor) - self.allocated_minor


@dataclass(frozen=True, slots=True)
class QueueFilter:
    statuses: tuple[str, ...] = OPEN_STATUSES
    account_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    sort: SortKey = "age"
    descending: bool = False
    page: int = 1


@dataclass(frozen=True, slots=True)
class QueuePage:
    lines: list[LineView]
    total: int
    page: int
    pages: int


_LINE_COLUMNS = columns(
    BankTransaction.id,
    BankTransaction.bank_ref,
    BankAccount.number,
    BankTransaction.booking_date,
    BankTransaction.amount_minor,
    BankTransaction.currency,
    BankTransaction.counterparty_name,
    BankTransaction.counterparty_account,
    BankTransaction.counterparty_tax_id,
    BankTransaction.purpose,
    BankTransaction.match_status,
    BankTransaction.allocated_minor,
)


def _suggestions_of(session: Session, line_ids: Sequence[int]) -> dict[int, list[SuggestionView]]:
    """Active suggestions of the given lines, best first, in one query."""
    found: dict[int, list[SuggestionView]] = defaultdict(list)
    if not line_ids:
        return found
    rows = session.execute(
        select(
            *columns(
                Allocation.transaction_id,
                Allocation.id,
                Allocation.invoice_id,
                Invoice.number,
                Partner.name,
                Allocation.amount_minor,
                Allocation.currency,
                Allocation.confidence,
                Allocation.reasons,
            )
        )
        .join(Invoice, col(Invoice.id) == col(Allocation.invoice_id))
        .join(Partner, col(Partner.id) == col(Invoice.partner_id))
        .where(
            col(Allocation.transaction_id).in_(list(line_ids)),
            col(Allocation.kind) == "suggested",
            col(Allocation.reversed_at).is_(None),
        )
        .order_by(col(Allocation.confidence).desc(), col(Allocation.id))
    )
    for tx_id, *rest in rows:
        found[tx_id].append(SuggestionView(*rest))
    return found


def _line_view(row: Any, suggestions: list[SuggestionView]) -> LineView:
    (id_, ref, account, booked, amount, currency, name, cp_account, tax_id, purpose, status, allocated) = row
    return LineView(
        id_, ref, account, booked, amount, currency, name, cp_account, tax_id, purpose, status, allocated, suggestions
    )


def accounts(session: Session) -> list[tuple[int, str]]:
    return [(int(i), str(n)) for i, n in session.execute(select(*columns(BankAccount.id, BankAccount.number)))]


def line(session: Session, line_id: int) -> LineView:
    row = session.execute(
        select(*_LINE_COLUMNS)
        .join(BankAccount, col(BankAccount.id) == col(BankTransaction.bank_account_id))
        .where(col(BankTransaction.id) == line_id)
    ).first()
    if row is None:
        raise NotFound(f"payment {line_id} not found")
    return _line_view(row, _suggestions_of(session, [line_id]).get(line_id, []))


def neighbours(session: Session, line_id: int) -> tuple[int | None, int | None]:
    """The previous and next open lines by id: the payment page's 'next in queue'."""
    open_ = col(BankTransaction.match_status).in_(list(OPEN_STATUSES))
    prev = session.execute(
        select(func.max(col(BankTransaction.id))).where(open_, col(BankTransaction.id) < line_id)
    ).scalar_one()
    nxt = session.execute(
        select(func.min(col(BankTransaction.id))).where(open_, col(BankTransaction.id) > line_id)
    ).scalar_one()
    return (int(prev) if prev is not None else None, int(nxt) if nxt is not None else None)


def line_timeline(session: Session, line_id: int) -> list[JournalEvent]:
    return repository.history(session, "bank_transaction", line_id, repository.allocation_ids_of_line(session, line_id))


def invoice_timeline(session: Session, invoice_id: int) -> list[JournalEvent]:
    return repository.history(session, "invoice", invoice_id, repository.allocation_ids_of_invoice(session, invoice_id))


@dataclass(frozen=True, slots=True)
class InvoiceView:
    id: int
    number: str
    direction: str
    partner_id: int
    partner_name: str
    partner_inn: str | None
    invoice_date: date | None
    due_date: date | None
    amount_minor: int
    paid_minor: int
    currency: str
    status: str

    @property
    def outstanding_minor(self) -> int:
        return max(self.amount_minor - self.paid_minor, 0)


_INVOICE_COLUMNS = columns(
    Invoice.id,
    Invoice.number,
    Invoice.direction,
    Invoice.partner_id,
    Partner.name,
    Partner.inn,
    Invoice.invoice_date,
    Invoice.due_date,
    Invoice.amount_minor,
    Invoice.paid_minor,
    Invoice.currency,
    Invoice.status,
)


def invoice(session: Session, invoice_id: int) -> InvoiceView:
    row = session.execute(
        select(*_INVOICE_COLUMNS)
        .join(Partner, col(Partner.id) == col(Invoice.partner_id))
        .where(col(Invoice.id) == invoice_id)
    ).first()
    if row is None:
        raise NotFound(f"invoice {invoice_id} not found")
    return InvoiceView(*row)


def search_invoices(
    session: Session, text: str, *, direction: str, currency: str, limit: int = 20
) -> list[InvoiceView]:
    """Open invoices a line could pay, by number, partner name or amount (outstanding or full).

    Partner names are matched in Python with ``casefold``: SQLite's LIKE folds ASCII only, and
    Cyrillic names are the common case here. The partner table is small; invoices are not.
    """
    query = (
        select(*_INVOICE_COLUMNS)
        .join(Partner, col(Partner.id) == col(Invoice.partner_id))
        .where(
            col(Invoice.direction) == direction,
            col(Invoice.currency) == currency,
            col(Invoice.status).in_(("open", "partially_paid")),
        )
    )
    needle = text.strip()
    if needle:
        options: list[Any] = [func.lower(col(Invoice.number)).contains(needle.lower())]
        folded = needle.casefold()
        partner_ids = [
            int(pid)
            for pid, name, inn in session.execute(select(*columns(Partner.id, Partner.name, Partner.inn)))
            if folded in str(name).casefold() or (inn and needle in str(inn))
        ]
        if partner_ids:
            options.append(col(Invoice.partner_id).in_(partner_ids))
        amount = _amount(needle, currency)
        if amount is not None:
            options.append(col(Invoice.amount_minor) == amount)
            options.append(col(Invoice.amount_minor) - col(Invoice.paid_minor) == amount)
        query = query.where(or_(*options))
    query = query.order_by(col(Invoice.due_date), col(Invoice.id)).limit(limit)
    return [InvoiceView(*r) for r in session.execute(query)]


def _amount(text: str, currency: str) -> int | None:
    cleaned = text.replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    try:
        minor = to_minor(value, currency)
    except MoneyError:
        return None
    return minor if minor > 0 else None
