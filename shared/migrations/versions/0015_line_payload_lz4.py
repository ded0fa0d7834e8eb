"""Bank lines' wide text compressed with lz4 instead of pglz, on PostgreSQL builds that have it.

A 1C line carries its document's raw text (about 1.4 KB) and every payment-order field; rows
that long are compressed when stored, and pglz compressing them was a large part of the
server's time to import a 1C statement (docs/benchmarks.md, "Statement import into the
database"). lz4 compresses several times faster for a few percent more bytes. The values are
the same; only how new ones are stored changes (existing rows stay as they are, so nothing is
rewritten). The import's staging table takes the same setting (``shared/db_bulk.py``).

A server built without lz4 keeps pglz (the migration asks the server which methods it has);
SQLite has no such setting.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 18:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("raw", "details", "purpose")


def _set(method: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    methods = bind.execute(
        sa.text("SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'")
    ).scalar()
    if "lz4" not in (methods or []):
        return
    changes = ", ".join(f"ALTER COLUMN {column} SET COMPRESSION {method}" for column in COLUMNS)
    op.execute(f"ALTER TABLE bank_transaction {changes}")


def upgrade() -> None:
    _set("lz4")


def downgrade() -> None:
    _set("default")
