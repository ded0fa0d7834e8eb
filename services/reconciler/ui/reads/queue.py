"""The review queue's pages, fast at any depth: ids first from narrow indexes, then 25 rows.

``review.queue.queue`` pages with ``ORDER BY … OFFSET n`` over the full line rows: SQLite then
reads and sorts every wide row (raw text, purpose, details) to throw all but 25 away, which took
seconds for the last page of 100,000 lines. Here:

1. the page's ids are found first, ordering only by the sort key and the id, which the indexes
   of migration 0007 cover (``(match_status, key, id)``, and ``(key, id)`` for "all statuses");
2. pages past the middle are read from the other end (``ORDER BY key DESC, id DESC`` with the
   offset counted from the end), so the first and the last page are equally cheap and no page
   walks more than half the queue;
3. "all statuses" drops the status condition (every line has one of them), so the plain sort
   index serves it in order;
4. only then are the page's 25 rows and their suggestions loaded (``review.queue`` helpers).

The ordering is exactly ``review.queue``'s: key, then id, ascending or descending.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, literal_column, select
from sqlmodel import Session, col

from services.reconciler.review import queue as views
from services.reconciler.review.queue import PAGE_SIZE, LineView, QueueFilter, QueuePage
from shared.models import BankAccount, BankTransaction


def sort_key(sort: views.SortKey) -> Any:
    """The SQL of a sort key, written exactly as the expression indexes of migration 0007 are."""
    if sort == "amount":
        return func.abs(col(BankTransaction.amount_minor))
    if sort == "partner":
        return func.coalesce(col(BankTransaction.counterparty_name), literal_column("''"))
    return col(BankTransaction.booking_date)


def _conditions(flt: QueueFilter) -> list[Any]:
    conditions: list[Any] = []
    if set(flt.statuses) != set(views.LINE_STATUSES):
        conditions.append(col(BankTransaction.match_status).in_(list(flt.statuses)))
    if flt.account_id is not None:
        conditions.append(col(BankTransaction.bank_account_id) == flt.account_id)
    if flt.date_from is not None:
        conditions.append(col(BankTransaction.booking_date) >= flt.date_from)
    if flt.date_to is not None:
        conditions.append(col(BankTransaction.booking_date) <= flt.date_to)
    return conditions


def queue(session: Session, flt: QueueFilter, page_size: int = PAGE_SIZE) -> QueuePage:
    conditions = _conditions(flt)
    total = int(session.execute(select(func.count()).select_from(BankTransaction).where(*conditions)).scalar_one())
    pages = max(1, -(-total // page_size))
    page = min(max(flt.page, 1), pages)
    ids = _page_ids(session, conditions, flt, total, page, page_size)
    if not ids:
        return QueuePage([], total, page, pages)
    rows = {
        r[0]: r
        for r in session.execute(
            select(*views._LINE_COLUMNS)
            .join(BankAccount, col(BankAccount.id) == col(BankTransaction.bank_account_id))
            .where(col(BankTransaction.id).in_(ids))
        )
    }
    suggestions = views._suggestions_of(session, ids)
    lines: list[LineView] = [views._line_view(rows[i], suggestions.get(i, [])) for i in ids if i in rows]
    return QueuePage(lines, total, page, pages)


def _page_ids(
    session: Session, conditions: list[Any], flt: QueueFilter, total: int, page: int, page_size: int
) -> list[int]:
    key = sort_key(flt.sort)
    offset = (page - 1) * page_size
    size = min(page_size, max(total - offset, 0))
    if size == 0:
        return []
    from_end = total - offset - size  # rows after this page in the requested order
    backwards = from_end < offset
    descending = flt.descending != backwards
    order = [key.desc(), col(BankTransaction.id).desc()] if descending else [key.asc(), col(BankTransaction.id).asc()]
    query = (
        select(col(BankTransaction.id))
        .where(*conditions)
        .order_by(*order)
        .limit(size)
        .offset(from_end if backwards else offset)
    )
    ids = [int(i) for i in session.execute(query).scalars()]
    return ids[::-1] if backwards else ids
