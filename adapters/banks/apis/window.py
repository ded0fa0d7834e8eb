"""Which dates to ask a bank for next, given what was already pulled.

Banks book late: a payment dated Monday may first appear in Wednesday's answer, and pending
card holds turn into bookings days later. So an incremental sync never starts exactly after the
last pulled day; it re-reads an *overlap* of recent days. The lines it gets twice carry the same
identity (``details["transaction_id"]``, the bank's id) and the store deduplicates them.

The cursor is deliberately a date, not a bank paging cursor: paging cursors are only valid
within one consistent pull, and a date means the same thing to every bank.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from adapters.banks.apis.base import StatementPull, StatementSource

_PREFIX = "booked-through:"


@dataclass(frozen=True, slots=True)
class SyncCursor:
    """Every booked line dated on or before ``booked_through`` has been pulled at least once."""

    booked_through: date

    def encode(self) -> str:
        """The text the service stores per account."""
        return f"{_PREFIX}{self.booked_through.isoformat()}"

    @classmethod
    def decode(cls, text: str) -> SyncCursor:
        if not text.startswith(_PREFIX):
            raise ValueError(f"not a sync cursor: {text!r}")
        return cls(date.fromisoformat(text.removeprefix(_PREFIX)))


@dataclass(frozen=True, slots=True)
class DateWindow:
    """An inclusive range of booking dates to request."""

    date_from: date
    date_to: date

    def __post_init__(self) -> None:
        if self.date_from > self.date_to:
            raise ValueError(f"empty window {self.date_from}..{self.date_to}")

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1


def plan_window(
    cursor: SyncCursor | None,
    *,
    today: date,
    overlap_days: int = 3,
    first_sync_days: int = 31,
    max_days: int = 92,
) -> DateWindow:
    """The next window to pull: from ``overlap_days`` before the cursor's end up to today.

    ``overlap_days`` re-reads that many already-complete days (0 = none). Without a cursor the
    first sync reaches ``first_sync_days`` back. ``max_days`` bounds one pull so an account that
    has not synced for a year catches up in several steps instead of one enormous request.
    """
    if overlap_days < 0 or first_sync_days < 1 or max_days < 1:
        raise ValueError("overlap_days >= 0, first_sync_days >= 1 and max_days >= 1 are required")
    if cursor is None:
        start = today - timedelta(days=first_sync_days - 1)
    else:
        start = cursor.booked_through + timedelta(days=1 - overlap_days)
    start = min(start, today)  # a cursor from the future (clock skew) still re-reads today
    end = min(today, start + timedelta(days=max_days - 1))
    return DateWindow(start, end)


def advance_cursor(previous: SyncCursor | None, window: DateWindow, *, today: date) -> SyncCursor:
    """The cursor after ``window`` was pulled completely.

    Today is never "complete" — the bank is still booking it — so the cursor stops at yesterday;
    the next window re-reads today anyway. A cursor never moves backwards.
    """
    through = min(window.date_to, today - timedelta(days=1))
    if previous is not None and previous.booked_through > through:
        return previous
    return SyncCursor(through)


def pull_incremental(
    source: StatementSource,
    account: str,
    cursor: SyncCursor | None,
    *,
    today: date,
    overlap_days: int = 3,
    first_sync_days: int = 31,
    max_days: int = 92,
    include_pending: bool = True,
) -> tuple[StatementPull, SyncCursor]:
    """Pull the next window and return it with the cursor to store once the lines are saved.

    Raises whatever the source raises; the stored cursor then stays as it was, so the same
    window is tried again next time.
    """
    window = plan_window(
        cursor, today=today, overlap_days=overlap_days, first_sync_days=first_sync_days, max_days=max_days
    )
    pull = source.fetch_statement(account, window.date_from, window.date_to, include_pending=include_pending)
    return pull, advance_cursor(cursor, window, today=today)
