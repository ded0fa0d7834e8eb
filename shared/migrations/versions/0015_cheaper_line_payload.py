"""Bank lines' payload cheaper to store: ``details`` as ``json`` (not ``jsonb``), wide text compressed with lz4.

A 1C line carries its document's raw text (about 1.4 KB) and every payment-order field in
``details``; storing them was most of the server's time to import a 1C statement
(docs/benchmarks.md, "Statement import into the database"):

- ``details`` was ``jsonb``: the server parsed every line's JSON into its binary form, which
  only pays off for queries inside the value, and nothing queries inside it (the notifier and
  the evidence pack read it whole, in Python). ``json`` keeps the text, checked to be JSON; the
  value read back is the same (its keys in the order written, as on SQLite). Changing the type
  rewrites the table once.
- Long values were compressed with pglz; lz4 compresses several times faster for a few percent
  more bytes. Only how new values are stored changes. The import's staging table takes the same
  setting (``shared/db_bulk.py``). A server built without lz4 keeps pglz (the migration asks it
  which methods it has).

PostgreSQL only: SQLite stores JSON as text already and has no compression setting.

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

COMPRESSED = ("raw", "details", "purpose")


def _has_lz4() -> bool:
    methods = (
        op.get_bind()
        .execute(sa.text("SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'"))
        .scalar()
    )
    return "lz4" in (methods or [])


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    changes = ["ALTER COLUMN details TYPE json USING details::json"]
    if _has_lz4():
        changes += [f"ALTER COLUMN {column} SET COMPRESSION lz4" for column in COMPRESSED]
    op.execute(f"ALTER TABLE bank_transaction {', '.join(changes)}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    changes = ["ALTER COLUMN details TYPE jsonb USING details::jsonb"]
    if _has_lz4():
        changes += [f"ALTER COLUMN {column} SET COMPRESSION default" for column in COMPRESSED]
    op.execute(f"ALTER TABLE bank_transaction {', '.join(changes)}")
