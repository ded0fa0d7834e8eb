"""Two indexes on bank lines that no query needs: each one is work on every imported line.

- ``ix_bank_transaction_bank_account_id``: every query by account is served by
  ``ix_bank_transaction_account_day`` (migration 0007), whose first column is the account; the
  foreign key needs no index on this side, since bank accounts are never deleted.
- ``ix_bank_transaction_counterparty_account``: no query filters or sorts lines by the
  counterparty's account (the matcher reads it with the open lines; learning reads it from the
  line in hand).

Measured on a 100,000-line import into PostgreSQL: of the server's time to store the lines, the
secondary indexes were about two thirds (docs/benchmarks.md, "Import into PostgreSQL").

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 15:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DROPPED = (
    ("ix_bank_transaction_bank_account_id", "bank_account_id"),
    ("ix_bank_transaction_counterparty_account", "counterparty_account"),
)


def upgrade() -> None:
    for name, _ in DROPPED:
        op.drop_index(name, table_name="bank_transaction")


def downgrade() -> None:
    for name, column in reversed(DROPPED):
        op.create_index(name, "bank_transaction", [column], unique=False)
