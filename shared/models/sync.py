"""Bank-API connections of our accounts and the record of every statement pull.

How an account is pulled is split on purpose: ``BankAccount.api_kind``/``api_account_id``/
``sync_cursor`` (from the initial schema) say *which* API and *how far* it has been read;
:class:`BankConnection` holds the rest of the connection (endpoint, consent, the *name* of the
secret, the schedule). Secrets themselves are never stored: ``token_env`` names an environment
variable that the pulling process reads at pull time.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from shared.models.columns import text_column, utc_column, utcnow


class BankConnection(SQLModel, table=True):
    """Where and how to pull one of our accounts, and when it is next due."""

    __tablename__ = "bank_connection"
    __table_args__ = (
        CheckConstraint("pull_every_minutes > 0", name="pull_every_positive"),
        Index("ix_bank_connection_due", "enabled", "next_pull_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    bank_account_id: int = Field(foreign_key="bank_account.id", unique=True)
    base_url: str
    consent_id: str | None = None
    # Name of the environment variable holding the bearer token (never the token itself).
    token_env: str
    enabled: bool = True
    pull_every_minutes: int = 60
    # The scheduler pulls the account once this moment has passed; a claim moves it forward.
    next_pull_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class BankPull(SQLModel, table=True):
    """One attempt to pull one account's statement window: what was asked and what came of it.

    A failed attempt is a row too (status ``failed`` with the error), written in a transaction
    that stored nothing from the window and left the cursor alone.
    """

    __tablename__ = "bank_pull"
    __table_args__ = (
        CheckConstraint("status IN ('ok', 'failed')", name="status"),
        Index("ix_bank_pull_account_started", "bank_account_id", "started_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    bank_account_id: int = Field(foreign_key="bank_account.id")
    api_kind: str
    trigger: str  # "manual" (CLI/API/demo) or "schedule"
    actor: str
    started_at: datetime = Field(sa_column=utc_column())
    finished_at: datetime = Field(sa_column=utc_column())
    date_from: date
    date_to: date
    pages: int = 0
    lines: int = 0  # booked lines received
    new: int = 0
    duplicates: int = 0
    pending: int = 0  # pending lines received and not stored (they come back booked)
    status: str
    error: str | None = Field(default=None, sa_column=text_column())
    cursor_before: str | None = None
    cursor_after: str | None = None
    statement_id: int | None = Field(default=None, foreign_key="statement.id")
