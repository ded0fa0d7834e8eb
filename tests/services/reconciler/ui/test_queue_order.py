"""The review queue's pages, read one after another, are exactly the full sort: key, then id.

The queue finds a page's ids by merging one ordered sub-select per status and reads pages past
the middle from the other end (``services/reconciler/ui/reads/queue.py``). Whatever the plan,
the pages must add up to the plain ``ORDER BY key, id`` of the filtered lines: every set of
statuses, every sort in both directions, with an account or a period, first page to last, with
many lines tied on the key (same day, same magnitude of opposite signs, no payer and an empty
one), on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlmodel import select

from services.reconciler.review.queue import LINE_STATUSES, OPEN_STATUSES, QueueFilter, SortKey
from services.reconciler.ui.reads import queue as queue_reads
from shared.db import session_scope
from shared.models import BankTransaction
from tests.services.reconciler.review import factories as f

PAGE = 4
DAY = date(2026, 3, 1)
PAYERS = ('ООО "Ромашка"', None, "", 'АО "Сфера"', 'ООО "Ромашка"')


def _lines() -> dict[str, Any]:
    """Forty-five lines over two accounts, five statuses, six days, eight amounts and four payers."""
    with session_scope() as s:
        accounts = [f.account(s), f.account(s)]
        for n in range(45):
            f.line(
                s,
                accounts[n % 2],
                (-1 if n % 3 == 0 else 1) * (100 + 100 * (n % 8)),
                booking_date=DAY + timedelta(days=n % 6),
                counterparty_name=PAYERS[n % 5],
                match_status=LINE_STATUSES[(n * 7) % 5],
            )
        rows = [
            (t.id, t.bank_account_id, t.booking_date, t.amount_minor, t.counterparty_name, t.match_status)
            for t in s.exec(select(BankTransaction)).all()
        ]
        return {"account": accounts[1].id, "rows": rows}


def _expected(rows: list[tuple[Any, ...]], flt: QueueFilter) -> list[int]:
    key = {"age": lambda r: r[2], "amount": lambda r: abs(r[3]), "partner": lambda r: r[4] or ""}[flt.sort]
    kept = [
        r
        for r in rows
        if r[5] in flt.statuses
        and (flt.account_id is None or r[1] == flt.account_id)
        and (flt.date_from is None or r[2] >= flt.date_from)
        and (flt.date_to is None or r[2] <= flt.date_to)
    ]
    ordered = sorted(kept, key=lambda r: (key(r), r[0]), reverse=flt.descending)
    return [r[0] for r in ordered]


def _all_pages(flt: QueueFilter) -> tuple[list[int], int]:
    ids: list[int] = []
    with session_scope() as s:
        first = queue_reads.queue(s, flt, page_size=PAGE)
        for page in range(1, first.pages + 1):
            found = queue_reads.queue(s, QueueFilter(**{**_fields(flt), "page": page}), page_size=PAGE)
            assert found.page == page
            ids += [line.id for line in found.lines]
    return ids, first.total


def _fields(flt: QueueFilter) -> dict[str, Any]:
    return {name: getattr(flt, name) for name in QueueFilter.__slots__}


@pytest.mark.parametrize("sort", ["age", "amount", "partner"])
def test_every_page_of_every_queue_is_the_full_sort_by_key_then_id(database_url: str, sort: SortKey) -> None:
    world = _lines()
    for statuses in (LINE_STATUSES, OPEN_STATUSES, ("settled",), ("ignored", "unmatched")):
        for descending in (False, True):
            for narrowed in (
                {},
                {"account_id": world["account"]},
                {"date_from": DAY + timedelta(days=1), "date_to": DAY + timedelta(days=3)},
            ):
                flt = QueueFilter(statuses=statuses, sort=sort, descending=descending, **narrowed)  # type: ignore[arg-type]
                expected = _expected(world["rows"], flt)
                ids, total = _all_pages(flt)
                assert total == len(expected), flt
                assert ids == expected, flt


def test_a_page_past_the_last_is_the_last_page(database_url: str) -> None:
    world = _lines()
    flt = QueueFilter(statuses=LINE_STATUSES, sort="amount", descending=True, page=10**6)
    with session_scope() as s:
        found = queue_reads.queue(s, flt, page_size=PAGE)
    expected = _expected(world["rows"], flt)
    assert found.page == found.pages == -(-len(expected) // PAGE)
    assert [line.id for line in found.lines] == expected[(found.pages - 1) * PAGE :]
