"""Allocations of bank lines to invoices, and what accountants taught the matcher."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from shared.models.columns import json_column, money_column, utc_column, utcnow

ALLOCATION_KINDS = ("auto", "suggested", "confirmed", "manual")
EFFECTIVE_KINDS = ("auto", "confirmed", "manual")  # these move money; a suggestion does not


def counts_as_paid(kind: str, reversed_at: datetime | None) -> bool:
    """Whether an allocation counts towards its invoice's paid amount: effective and not reversed."""
    return kind in EFFECTIVE_KINDS and reversed_at is None


class Allocation(SQLModel, table=True):
    """Part (or all) of a bank line applied to an invoice — or, with kind ``suggested``, offered for review.

    Never deleted: a correction sets ``reversed_at``/``reversed_by``/``reversal_reason`` and is
    journaled. Only unreversed rows of the effective kinds count towards paid amounts.
    """

    __table_args__ = (
        CheckConstraint("kind IN ('auto', 'suggested', 'confirmed', 'manual')", name="kind"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        Index("ix_allocation_transaction_active", "transaction_id", "reversed_at"),
        Index("ix_allocation_invoice_active", "invoice_id", "reversed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    transaction_id: int = Field(foreign_key="bank_transaction.id")
    invoice_id: int = Field(foreign_key="invoice.id")
    amount_minor: int = Field(sa_column=money_column())
    currency: str
    kind: str
    confidence: float = 0.0  # a score, not money
    reasons: list[dict[str, Any]] = Field(default_factory=list, sa_column=json_column(nullable=False))
    created_by: str
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    reversed_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    reversed_by: str | None = None
    reversal_reason: str | None = None


class LearnedAccount(SQLModel, table=True):
    """'This account pays for this partner', learned from a confirmed decision."""

    __tablename__ = "learned_account"

    id: int | None = Field(default=None, primary_key=True)
    account_number: str = Field(unique=True)
    partner_id: int = Field(foreign_key="partner.id")
    learned_from_allocation_id: int | None = Field(default=None, foreign_key="allocation.id")
    created_by: str
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class LearnedReference(SQLModel, table=True):
    """'This partner writes this reference for this invoice', learned from a person's allocation.

    ``alias`` is a word of the payment's purpose as the matcher reads it (upper case, Cyrillic
    look-alikes folded, no separators: ``ZK77812``), ``written`` how the payer wrote it. Rows are
    never deleted: a person correcting an allocation made by the alias (or the allocation it was
    learned from) sets ``doubted_*``, and from then on the alias is only ever suggested. One row
    per invoice: an alias allocated to several invoices is the partner's standing reference
    (``services.reconciler.matching.types.LearnedReference``).
    """

    __tablename__ = "learned_reference"
    __table_args__ = (
        UniqueConstraint("partner_id", "direction", "alias", "invoice_id"),
        CheckConstraint("direction IN ('receivable', 'payable')", name="direction"),
    )

    id: int | None = Field(default=None, primary_key=True)
    partner_id: int = Field(foreign_key="partner.id")
    direction: str
    alias: str
    written: str
    invoice_id: int = Field(foreign_key="invoice.id")
    # The partner had written it when paying other invoices too: its standing reference, no pointer.
    written_for_other_invoices: bool = False
    learned_from_allocation_id: int | None = Field(default=None, foreign_key="allocation.id", index=True)
    created_by: str
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    doubted_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    doubted_by: str | None = None
    doubt_reason: str | None = None
