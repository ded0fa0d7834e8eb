"""Two indexes on bank lines that only the review queue's "all statuses" pages used.

The queue now reads any set of statuses, "all" too, as one ordered, limited sub-select per status
merged by ``UNION ALL … ORDER BY key, id`` (``services/reconciler/ui/reads/queue.py``):
PostgreSQL plans a Merge Append over the per-status indexes of migration 0007
(``(match_status, key, id)``), SQLite reads each sub-select from the same indexes as a
co-routine. The sort indexes without the status in front were left to the import to maintain:

- ``ix_bank_transaction_amount`` ``(abs(amount_minor), id)``: no other query sorts lines by
  magnitude; the API's amount bounds filter its walk by id, as its currency and direction do.
- ``ix_bank_transaction_payer`` ``(coalesce(counterparty_name, ''), id)``: no other query sorts
  or filters lines by the payer's name.

``ix_bank_transaction_booking_date`` stays, although the queue no longer needs it (its period
filter is served by ``ix_bank_transaction_status_day``): the API's ``booked_from``/``booked_to``
need it. Without it PostgreSQL walks the primary key filtering by day (one day of 106,000 lines:
2 ms became 33 ms, and it grows with the table), and naming every status does not change that plan.

Measured on 2026-12-07 (docs/benchmarks.md, load average 1.4–3.7 on 2 cores): storing 100,000
prepared lines cost the server 4.1–4.8 s of CPU instead of 4.8–5.4 s for 1C, 2.3–2.6 instead of
2.7–3.3 for OFX (lower in every alternated pair). The queue's first and last pages of "all
statuses" cost 1–4 ms more to read (five sub-selects), its "open" pages less; every first and last
page stayed under 80 ms at p95 on both databases.

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
)


def upgrade() -> None:
    for name, _ in DROPPED:
        op.drop_index(name, table_name="bank_transaction")


def downgrade() -> None:
    for name, columns in reversed(DROPPED):
        op.create_index(name, "bank_transaction", columns, unique=False)
