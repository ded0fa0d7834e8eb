"""Our bank accounts, statement imports and the bank lines they brought."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from shared.models.columns import json_as_written_column, json_column, money_column, text_column, utc_column, utcnow


class BankAccount(SQLModel, table=True):
    """One of our own accounts. API pulls keep their incremental cursor here."""

    __tablename__ = "bank_account"

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True)
    currency: str | None = None
    bank_bik: str | None = None
    name: str | None = None
    # How to pull it: None (files only) or an API kind such as "berlin_group" / "tbank".
    api_kind: str | None = None
    api_account_id: str | None = None
    sync_cursor: str | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class Statement(SQLModel, table=True):
    """One import: a file (or one API pull) and what it brought. Re-imports get their own row."""

    id: int | None = Field(default=None, primary_key=True)
    bank_account_id: int = Field(foreign_key="bank_account.id", index=True)
    source: str  # "file" or "api:<kind>"
    format: str
    filename: str | None = None
    file_hash: str = Field(index=True)  # sha256 of the bytes, so a pack can prove what was imported
    external_id: str | None = None  # the statement id the bank gave it
    date_from: date | None = None
    date_to: date | None = None
    currency: str | None = None
    opening_minor: int | None = Field(default=None, sa_column=money_column(nullable=True))
    closing_minor: int | None = Field(default=None, sa_column=money_column(nullable=True))
    line_count: int = 0
    new_count: int = 0
    duplicate_count: int = 0
    warnings: list[str] = Field(default_factory=list, sa_column=json_column(nullable=False))
    imported_by: str
    imported_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(index=True))


class BankTransaction(SQLModel, table=True):
    """One booked bank line: a fact as the bank reported it. Never edited, never deleted.

    ``dedupe_key`` is derived from normalised fields plus an ordinal (banks' own ids are not
    reliable: OFX FITIDs change, CAMT EndToEndIds repeat); its unique constraint is what keeps
    overlapping and concurrent imports from storing a line twice. ``bank_ref`` is the bank's id
    for people and for exports. ``allocated_minor`` and ``match_status`` are derived state,
    maintained with the allocations (the journal has the history).
    """

    __tablename__ = "bank_transaction"
    __table_args__ = (
        CheckConstraint("amount_minor <> 0", name="amount_not_zero"),
        CheckConstraint("allocated_minor >= 0", name="allocated_not_negative"),
        CheckConstraint(
            "allocated_minor <= CASE WHEN amount_minor < 0 THEN -amount_minor ELSE amount_minor END",
            name="allocated_within_amount",
        ),
        CheckConstraint(
            "match_status IN ('unmatched', 'suggested', 'partially_settled', 'settled', 'ignored')",
            name="match_status",
        ),
        Index("ix_bank_transaction_open", "match_status", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    bank_account_id: int = Field(foreign_key="bank_account.id")  # indexed first in ix_bank_transaction_account_day
    statement_id: int = Field(foreign_key="statement.id", index=True)
    dedupe_key: str = Field(unique=True)
    bank_ref: str | None = Field(default=None, index=True)
    booking_date: date | None = Field(default=None, index=True)
    value_date: date | None = None
    amount_minor: int = Field(sa_column=money_column())  # signed: negative = money leaving our account
    currency: str
    counterparty_name: str | None = None
    counterparty_account: str | None = None
    counterparty_tax_id: str | None = Field(default=None, index=True)
    purpose: str | None = Field(default=None, sa_column=text_column())
    # Read whole, never queried inside: kept as written (migration 0015).
    details: dict[str, Any] = Field(default_factory=dict, sa_column=json_as_written_column(nullable=False))
    raw: str = Field(default="", sa_column=text_column(nullable=False))
    source_line: int | None = None
    allocated_minor: int = Field(default=0, sa_column=money_column())
    match_status: str = Field(default="unmatched")
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())

    @property
    def direction(self) -> str:
        return "credit" if self.amount_minor > 0 else "debit"
