"""The overview's numbers: lines by account and month, and the latest imports and bank pulls.

Counts and sums are grouped by account, day and status in SQL and folded into months in Python:
the day is a plain column on both databases (no dialect-specific date functions), and a few
thousand (account, day, status) groups are cheap to fold. A covering index on
``bank_transaction(bank_account_id, booking_date, match_status, currency, amount_minor,
allocated_minor)`` (migration 0007) lets both databases answer from the index alone, without
reading the wide line rows (raw text, purpose, details).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlmodel import Session, col

from services.reconciler.review.queue import LINE_STATUSES, StatusTotal
from shared.db import columns
from shared.models import BankAccount, BankTransaction, Statement
from shared.models.sync import BankPull
from shared.models.webhooks import WebhookEndpoint

# How the overview groups line statuses: what is still open without a proposal, what waits for a
# person's yes or no, and what is done. Ignored lines are neither and stay out of these columns.
STATUS_GROUPS = {
    "unmatched": "unsettled",
    "partially_settled": "unsettled",
    "suggested": "suggested",
    "settled": "settled",
}
GROUPS = ("unsettled", "suggested", "settled")


@dataclass
class Bucket:
    count: int = 0
    amount_minor: int = 0  # sum of |amount|
    open_minor: int = 0  # sum of |amount| - allocated


@dataclass
class PeriodRow:
    """One account, one month, one currency: lines per status group."""

    account_id: int
    account: str
    period: str  # "2024-03", or "" for lines without a booking date
    currency: str
    buckets: dict[str, Bucket] = field(default_factory=lambda: {g: Bucket() for g in GROUPS})


@dataclass(frozen=True, slots=True)
class Overview:
    totals: list[StatusTotal]  # per status and currency, all time
    periods: list[PeriodRow]  # per account, month and currency, the latest months


def overview(session: Session, *, months: int = 12) -> Overview:
    """Both tables of the overview from one aggregate over the covering index."""
    rows = _by_day(session)
    totals: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for _, _, status, currency, count, amount, open_ in rows:
        total = totals[(str(status), str(currency))]
        total[0] += int(count)
        total[1] += int(amount)
        total[2] += int(open_)
    order = {s: i for i, s in enumerate(LINE_STATUSES)}
    status_totals = sorted(
        (StatusTotal(s, c, n, a, o) for (s, c), (n, a, o) in totals.items()),
        key=lambda t: (order.get(t.status, 99), t.currency),
    )
    return Overview(status_totals, _periods(session, rows, months))


def _by_day(session: Session) -> list[Any]:
    """Count, |amount| and open amount per account, day, status and currency."""
    magnitude = case(
        (col(BankTransaction.amount_minor) < 0, -col(BankTransaction.amount_minor)),
        else_=col(BankTransaction.amount_minor),
    )
    rows = session.execute(
        select(
            col(BankTransaction.bank_account_id),
            col(BankTransaction.booking_date),
            col(BankTransaction.match_status),
            col(BankTransaction.currency),
            func.count(),
            func.coalesce(func.sum(magnitude), 0),
            func.coalesce(func.sum(magnitude - col(BankTransaction.allocated_minor)), 0),
        ).group_by(
            col(BankTransaction.bank_account_id),
            col(BankTransaction.booking_date),
            col(BankTransaction.match_status),
            col(BankTransaction.currency),
        )
    ).all()
    return list(rows)


def _periods(session: Session, rows: list[Any], months: int) -> list[PeriodRow]:
    """The latest ``months`` months with lines, newest first, per account and currency."""
    numbers = {int(i): str(n) for i, n in session.execute(select(*columns(BankAccount.id, BankAccount.number)))}
    folded: dict[tuple[int, str, str], PeriodRow] = {}
    for account_id, booked, status, currency, count, amount, open_ in rows:
        group = STATUS_GROUPS.get(status)
        if group is None:
            continue
        period = _period(booked)
        key = (int(account_id), period, str(currency))
        row = folded.get(key)
        if row is None:
            row = folded[key] = PeriodRow(
                int(account_id), str(numbers.get(account_id, account_id)), period, str(currency)
            )
        bucket = row.buckets[group]
        bucket.count += int(count)
        bucket.amount_minor += int(amount)
        bucket.open_minor += int(open_)
    kept = sorted({r.period for r in folded.values()}, reverse=True)[:months]
    chosen = [r for r in folded.values() if r.period in kept]
    return sorted(chosen, key=lambda r: (_desc(r.period), r.account, r.currency))


def _period(value: date | str | None) -> str:
    if value is None:
        return ""
    return str(value)[:7]  # SQLite may hand back the ISO text of a date


def _desc(period: str) -> tuple[int, ...]:
    return tuple(-int(part) for part in period.split("-")) if period else (1,)


@dataclass(frozen=True, slots=True)
class ImportView:
    id: int
    account_id: int
    account: str
    source: str
    format: str
    filename: str | None
    date_from: date | None
    date_to: date | None
    lines: int
    new: int
    duplicates: int
    warnings: list[str]
    imported_by: str
    imported_at: datetime


def recent_imports(session: Session, *, limit: int = 10, ids: list[int] | None = None) -> list[ImportView]:
    """The newest statement imports (files and API pulls), or the ones named by ``ids``."""
    query = select(
        *columns(
            Statement.id,
            Statement.bank_account_id,
            BankAccount.number,
            Statement.source,
            Statement.format,
            Statement.filename,
            Statement.date_from,
            Statement.date_to,
            Statement.line_count,
            Statement.new_count,
            Statement.duplicate_count,
            Statement.warnings,
            Statement.imported_by,
            Statement.imported_at,
        )
    ).join(BankAccount, col(BankAccount.id) == col(Statement.bank_account_id))
    if ids is not None:
        query = query.where(col(Statement.id).in_(ids)).order_by(col(Statement.id))
    else:
        query = query.order_by(col(Statement.imported_at).desc(), col(Statement.id).desc()).limit(limit)
    return [ImportView(*r) for r in session.execute(query)]


@dataclass(frozen=True, slots=True)
class PullView:
    id: int
    account_id: int
    account: str
    api_kind: str
    trigger: str
    actor: str
    started_at: datetime
    date_from: date
    date_to: date
    lines: int
    new: int
    duplicates: int
    pending: int
    status: str
    error: str | None


_PULL_COLUMNS = columns(
    BankPull.id,
    BankPull.bank_account_id,
    BankAccount.number,
    BankPull.api_kind,
    BankPull.trigger,
    BankPull.actor,
    BankPull.started_at,
    BankPull.date_from,
    BankPull.date_to,
    BankPull.lines,
    BankPull.new,
    BankPull.duplicates,
    BankPull.pending,
    BankPull.status,
    BankPull.error,
)


def recent_pulls(session: Session, *, limit: int = 10) -> list[PullView]:
    """The newest bank pulls of every account (index ``ix_bank_pull_started``, migration 0007)."""
    rows = session.execute(
        select(*_PULL_COLUMNS)
        .join(BankAccount, col(BankAccount.id) == col(BankPull.bank_account_id))
        .order_by(col(BankPull.started_at).desc(), col(BankPull.id).desc())
        .limit(limit)
    )
    return [PullView(*r) for r in rows]


def pulls_per_account(session: Session, account_ids: list[int], *, limit: int = 5) -> dict[int, list[PullView]]:
    """The newest ``limit`` pulls of each account, one indexed query per account.

    Accounts are few (a company has a handful), pulls are many (one an hour for years): a
    per-account ``ORDER BY started_at DESC LIMIT n`` walks ``ix_bank_pull_account_started``
    backwards and stops, where a window function over all pulls would read them all.
    """
    found: dict[int, list[PullView]] = defaultdict(list)
    for account_id in account_ids:
        rows = session.execute(
            select(*_PULL_COLUMNS)
            .join(BankAccount, col(BankAccount.id) == col(BankPull.bank_account_id))
            .where(col(BankPull.bank_account_id) == account_id)
            .order_by(col(BankPull.started_at).desc(), col(BankPull.id).desc())
            .limit(limit)
        )
        found[account_id] = [PullView(*r) for r in rows]
    return found


def disabled_endpoints(session: Session) -> list[WebhookEndpoint]:
    """Webhook endpoints the notifier stopped sending to: an admin must look (fix, then enable)."""
    query = (
        select(WebhookEndpoint)
        .where(col(WebhookEndpoint.status) == "disabled")
        .order_by(col(WebhookEndpoint.disabled_at).desc())
    )
    return list(session.scalars(query))
