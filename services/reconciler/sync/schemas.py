"""API shapes of bank sync: a pull as the API reports it (the same keys as ``sverka sync`` prints)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel


class PullOut(BaseModel):
    """One recorded pull: the window asked, what came back, and how it ended."""

    pull_id: int
    account: str
    api: str
    trigger: str  # "manual" or "schedule"
    status: str  # "ok" or "failed"
    range: dict[str, date]  # {"from": …, "to": …}: inclusive booking dates asked for
    pages: int
    lines: int  # booked lines received
    new: int
    duplicates: int
    pending: int  # pending lines received, not stored: they are stored once booked
    cursor_before: str | None
    cursor_after: str | None
    statement_id: int | None
    error: str | None
    started_at: datetime
    finished_at: datetime


class PullFailedOut(BaseModel):
    """A failed pull: the error schema of every failure, plus the pull that was recorded."""

    error: dict[str, str | None]
    pull: PullOut
