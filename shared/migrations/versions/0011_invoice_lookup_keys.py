"""Lookup keys: the matcher finds an arriving line's candidate invoices by index, not by reading all.

- ``invoice_lookup_key`` (key, invoice_id): the keys a purpose can name an invoice by without
  knowing whose it is — its distinctive number keys and its contract's key
  (``services/reconciler/matching/lookup_keys.py``).
- ``invoice.lookup_keys_version``: how the invoice's keys were derived; NULL until it is keyed.
  Existing invoices start NULL and are keyed by the first matcher run over a few lines (or an
  import that touches them), so this migration needs none of the application's code.
- ``ix_invoice_partner_id_status``: a partner's open invoices. SQLite keeps no statistics unless
  asked, and picked the status index for "partner in (…) and status open": every open invoice.
- ``ix_invoice_outstanding``: open invoices by what is still outstanding on them (a line's amount
  finds the invoices it could pay in full, whoever's they are). An expression index, declared
  here only, like 0007's: the expression is written exactly as the matcher's query writes it.

The keys are the partner's data like the invoice they come from: on PostgreSQL the rows are under
the row-level security of 0008, visible and writable in a partner-bound transaction only for that
partner's invoices (the same condition as ``allocation``'s). A no-op on SQLite.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As in 0008: the calling partner's id, or NULL for an internal caller.
PARTNER = "NULLIF(current_setting('sverka.partner_id', true), '')::bigint"
POLICY = f"{PARTNER} IS NULL OR (invoice_id IN (SELECT i.id FROM invoice i WHERE i.partner_id = {PARTNER}))"

OUTSTANDING = sa.text("(amount_minor - paid_minor)")
# Indexes the models do not declare (expressions); tests/shared/test_migrations.py allows them.
INDEXES: tuple[tuple[str, str, list[str | sa.TextClause]], ...] = (
    ("ix_invoice_outstanding", "invoice", [OUTSTANDING]),
)


def upgrade() -> None:
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lookup_keys_version", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_invoice_lookup_keys_version"), ["lookup_keys_version"], unique=False)
        batch_op.create_index(batch_op.f("ix_invoice_partner_id_status"), ["partner_id", "status"], unique=False)
    op.create_table(
        "invoice_lookup_key",
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoice.id"], name=op.f("fk_invoice_lookup_key_invoice_id_invoice")),
        sa.PrimaryKeyConstraint("key", "invoice_id", name=op.f("pk_invoice_lookup_key")),
    )
    with op.batch_alter_table("invoice_lookup_key", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invoice_lookup_key_invoice_id"), ["invoice_id"], unique=False)
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE invoice_lookup_key ENABLE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY partner_scope ON invoice_lookup_key FOR ALL USING ({POLICY}) WITH CHECK ({POLICY})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP POLICY IF EXISTS partner_scope ON invoice_lookup_key")
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    with op.batch_alter_table("invoice_lookup_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoice_lookup_key_invoice_id"))
    op.drop_table("invoice_lookup_key")
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoice_partner_id_status"))
        batch_op.drop_index(batch_op.f("ix_invoice_lookup_keys_version"))
        batch_op.drop_column("lookup_keys_version")
