"""Three indexes on bank lines that only the review queue's "all statuses" pages used.

The queue now reads any set of statuses, "all" too, as one ordered sub-select per status merged
by ``UNION ALL … ORDER BY key, id`` (``services/reconciler/ui/reads/queue.py``): PostgreSQL
plans a Merge Append over the per-status indexes of migration 0007 (``(match_status, key, id)``),
SQLite merges co-routines over the same indexes. The sort indexes without the status in front
were left to the import to maintain:

- ``ix_bank_transaction_amount`` ``(abs(amount_minor), id)`` and ``ix_bank_transaction_payer``
  ``(coalesce(counterparty_name, ''), id)``: no other query sorts or filters lines by them (the
  API's amount bounds filter its walk by id, as its currency and direction filters do).
- ``ix_bank_transaction_booking_date``: the queue's period filter and its count are served by
  ``ix_bank_transaction_status_day`` ``(match_status, booking_date, id)`` (the queue always names
  the statuses), the overview by ``ix_bank_transaction_account_day``, the matcher's open lines
  (ordered by day) by the per-status index too. The API's ``booked_from``/``booked_to`` filter
  its walk by id, which at 100,000 lines costs about as much as the lookup it replaces (see
  docs/benchmarks.md).

Measured (docs/benchmarks.md): storing 100,000 lines into PostgreSQL with and without these three
indexes, and every queue page on both databases before and after.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 22:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = ("0007",)  # the sort indexes are made by the workspace's migration

DROPPED: tuple[tuple[str, list[str | sa.TextClause]], ...] = (
    ("ix_bank_transaction_amount", [sa.text("abs(amount_minor)"), "id"]),
    ("ix_bank_transaction_payer", [sa.text("coalesce(counterparty_name, '')"), "id"]),
    ("ix_bank_transaction_booking_date", ["booking_date"]),
)


def upgrade() -> None:
    for name, _ in DROPPED:
        op.drop_index(name, table_name="bank_transaction")


def downgrade() -> None:
    for name, columns in reversed(DROPPED):
        op.create_index(name, "bank_transaction", columns, unique=False)
