"""Indexes that keep the workspace's pages fast with 100,000+ bank lines.

- ``ix_bank_transaction_account_day``: the overview's counts and sums by account, day and status
  are answered from this index alone (it covers every column they read), instead of a scan of
  the wide line rows with their raw text.
- ``ix_journal_event_entity``: the timelines of payments, invoices, contracts and partners look
  events up by (entity type, entity id); the old index on the id alone mixes every kind of entity.
- ``ix_bank_pull_started``: the overview's "latest bank pulls" across all accounts.
- The review queue's sort keys, with and without the status in front: ``booking_date``,
  ``abs(amount_minor)`` and ``coalesce(counterparty_name, '')``, each then ``id``. The queue
  finds a page's ids in these narrow indexes and only then reads 25 wide rows
  (``services/reconciler/ui/reads/queue.py``); the expressions are written exactly as the
  queries write them, which is what lets SQLite and PostgreSQL use them.

Revision ID: 0007
Revises: 0001
Create Date: 2026-11-25 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = ("0002",)  # bank_pull is created by the bank-sync migration

AMOUNT = sa.text("abs(amount_minor)")
PAYER = sa.text("coalesce(counterparty_name, '')")
INDEXES: tuple[tuple[str, str, list[str | sa.TextClause]], ...] = (
    (
        "ix_bank_transaction_account_day",
        "bank_transaction",
        ["bank_account_id", "booking_date", "match_status", "currency", "amount_minor", "allocated_minor"],
    ),
    ("ix_journal_event_entity", "journal_event", ["entity_type", "entity_id"]),
    ("ix_bank_pull_started", "bank_pull", ["started_at"]),
    ("ix_bank_transaction_status_day", "bank_transaction", ["match_status", "booking_date", "id"]),
    ("ix_bank_transaction_status_amount", "bank_transaction", ["match_status", AMOUNT, "id"]),
    ("ix_bank_transaction_status_payer", "bank_transaction", ["match_status", PAYER, "id"]),
    ("ix_bank_transaction_amount", "bank_transaction", [AMOUNT, "id"]),
    ("ix_bank_transaction_payer", "bank_transaction", [PAYER, "id"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
