"""The review queue's pages, fast at any depth: ids first from narrow indexes, then 25 rows.

Paging with ``ORDER BY … OFFSET n`` over the full line rows (the first version of this read) made
SQLite read and sort every wide row (raw text, purpose, details) to throw all but 25 away, which
took seconds for the last page of 100,000 lines. Here:

1. the page's ids are found first, ordering only by the sort key and the id, which the
   per-status indexes of migration 0007 cover (``(match_status, key, id)``);
2. every set of statuses, "all statuses" too, is one sub-select per status, ordered by key and
   id and limited to the rows the page could need from it, merged by an outer
   ``ORDER BY key, id LIMIT … OFFSET …`` over their ``UNION ALL``. PostgreSQL plans a Merge
   Append over the per-status index scans (without the inner ORDER BY and LIMIT it appends
   and sorts every row); SQLite reads each sub-select from its index as a co-routine and sorts
   at most those limited rows. So no page needs the sort indexes without the status in
   front: migration 0018 dropped them, as every imported line paid for them;
3. pages past the middle are read from the other end (``ORDER BY key DESC, id DESC`` with the
   offset counted from the end), so the first and the last page are equally cheap and no page
   walks more than half the queue;
4. only then are the page's 25 rows and their suggestions loaded (``review.queue`` helpers).

The ordering is exactly ``review.queue``'s: key, then id, ascending or descending.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import asc, desc, func, literal_column, select, union_all
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
    """Everything but the status, which each status's sub-select adds for itself."""
    conditions: list[Any] = []
    if flt.account_id is not None:
        conditions.append(col(BankTransaction.bank_account_id) == flt.account_id)
    if flt.date_from is not None:
        conditions.append(col(BankTransaction.booking_date) >= flt.date_from)
    if flt.date_to is not None:
        conditions.append(col(BankTransaction.booking_date) <= flt.date_to)
    return conditions


def queue(session: Session, flt: QueueFilter, page_size: int = PAGE_SIZE) -> QueuePage:
    conditions = _conditions(flt)
    statuses = sorted(set(flt.statuses))
    # "All statuses" is counted without naming them (every line has one): SQLite then counts the
    # table, or a period in ix_bank_transaction_booking_date, without reading every index entry.
    named = [] if set(statuses) == set(views.LINE_STATUSES) else [col(BankTransaction.match_status).in_(statuses)]
    total = int(
        session.execute(select(func.count()).select_from(BankTransaction).where(*named, *conditions)).scalar_one()
    )
    pages = max(1, -(-total // page_size))
    page = min(max(flt.page, 1), pages)
    ids = _page_ids(session, statuses, conditions, flt, total, page, page_size)
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
    session: Session,
    statuses: list[str],
    conditions: list[Any],
    flt: QueueFilter,
    total: int,
    page: int,
    page_size: int,
) -> list[int]:
    offset = (page - 1) * page_size
    size = min(page_size, max(total - offset, 0))
    if size == 0:
        return []
    from_end = total - offset - size  # rows after this page in the requested order
    backwards = from_end < offset
    descending = flt.descending != backwards
    start = from_end if backwards else offset
    direction = desc if descending else asc
    key = sort_key(flt.sort)
    # One ordered sub-select per status, each limited to what the page could need from it; the
    # outer ORDER BY merges them. The LIMIT lets PostgreSQL walk an index for a few rows rather
    # than sort a whole status; SQLite reads each sub-select from its index as a co-routine.
    per_status = [
        select(col(BankTransaction.id).label("id"), key.label("k"))
        .where(col(BankTransaction.match_status) == status, *conditions)
        .order_by(direction(key), direction(col(BankTransaction.id)))
        .limit(start + size)
        .subquery()
        for status in statuses
    ]
    merged = union_all(*(select(s.c.id, s.c.k) for s in per_status)).subquery("merged")
    query = (
        select(merged.c.id, merged.c.k)  # k too: SQLite merges only when the outer select names it
        .order_by(direction(merged.c.k), direction(merged.c.id))
        .limit(size)
        .offset(start)
    )
    ids = [int(i) for i in session.execute(query).scalars()]
    return ids[::-1] if backwards else ids
