"""Learned references: the partners' own order and contract codes, as people allocated them.

``learned_reference`` holds one row per (partner, direction, alias, invoice): a word of a
payment's purpose (``ZK77812``, as the matcher reads it) that a person's allocation taught as the
payer's reference for that invoice, who taught it and by which allocation, and whether a person
has since doubted it (undid or rejected an allocation made by it). See ``docs/matching.md``.

The rows are the partner's: on PostgreSQL they are under the row-level security of 0008, with
the same ``partner_scope`` policy as ``contract`` and ``invoice`` (a partner-bound transaction
sees and writes only its own partner's rows; internal callers see all). A no-op on SQLite.

Revision ID: 0010
Revises: 0008
Create Date: 2026-11-27 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.models.columns

revision: str = "0010"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As in 0008: the calling partner's id, or NULL for an internal caller.
PARTNER = "NULLIF(current_setting('sverka.partner_id', true), '')::bigint"
POLICY = f"{PARTNER} IS NULL OR (partner_id = {PARTNER})"


def upgrade() -> None:
    op.create_table(
        "learned_reference",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(), nullable=False),
        sa.Column("alias", sa.String(), nullable=False),
        sa.Column("written", sa.String(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("written_for_other_invoices", sa.Boolean(), nullable=False),
        sa.Column("learned_from_allocation_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("created_at", shared.models.columns.UtcDateTime(), nullable=False),
        sa.Column("doubted_at", shared.models.columns.UtcDateTime(), nullable=True),
        sa.Column("doubted_by", sa.String(), nullable=True),
        sa.Column("doubt_reason", sa.String(), nullable=True),
        sa.CheckConstraint("direction IN ('receivable', 'payable')", name=op.f("ck_learned_reference_direction")),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoice.id"], name=op.f("fk_learned_reference_invoice_id_invoice")),
        sa.ForeignKeyConstraint(
            ["learned_from_allocation_id"],
            ["allocation.id"],
            name=op.f("fk_learned_reference_learned_from_allocation_id_allocation"),
        ),
        sa.ForeignKeyConstraint(["partner_id"], ["partner.id"], name=op.f("fk_learned_reference_partner_id_partner")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learned_reference")),
        sa.UniqueConstraint(
            "partner_id",
            "direction",
            "alias",
            "invoice_id",
            name=op.f("uq_learned_reference_partner_id_direction_alias_invoice_id"),
        ),
    )
    with op.batch_alter_table("learned_reference", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_learned_reference_learned_from_allocation_id"), ["learned_from_allocation_id"], unique=False
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE learned_reference ENABLE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY partner_scope ON learned_reference FOR ALL USING ({POLICY}) WITH CHECK ({POLICY})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP POLICY IF EXISTS partner_scope ON learned_reference")
    with op.batch_alter_table("learned_reference", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_learned_reference_learned_from_allocation_id"))
    op.drop_table("learned_reference")
