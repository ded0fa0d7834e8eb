"""Integration API: API keys, idempotency records.

Revision ID: 0005
Revises: 0001
Create Date: 2026-11-25 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.models.columns

revision: str = "0005"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("key_hash", sa.String(), nullable=False),
        sa.Column("prefix", sa.String(), nullable=False),
        sa.Column("scope", sa.String(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("created_at", shared.models.columns.UtcDateTime(), nullable=False),
        sa.Column("revoked_at", shared.models.columns.UtcDateTime(), nullable=True),
        sa.Column("revoked_by", sa.String(), nullable=True),
        sa.CheckConstraint("scope IN ('read', 'write')", name=op.f("ck_api_key_scope")),
        sa.ForeignKeyConstraint(["partner_id"], ["partner.id"], name=op.f("fk_api_key_partner_id_partner")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_key")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_key_key_hash")),
    )
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_key_partner_id"), ["partner_id"], unique=False)

    op.create_table(
        "idempotency_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(), nullable=False),
        sa.Column("idempotency_key", sa.String(), nullable=False),
        sa.Column("fingerprint", sa.String(), nullable=False),
        sa.Column("method", sa.String(), nullable=False),
        sa.Column("path", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("response_content_type", sa.String(), nullable=True),
        sa.Column("response_body", sa.Text(), nullable=True),
        sa.Column("created_at", shared.models.columns.UtcDateTime(), nullable=False),
        sa.Column("finished_at", shared.models.columns.UtcDateTime(), nullable=True),
        sa.CheckConstraint("state IN ('running', 'done')", name=op.f("ck_idempotency_record_state")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_record")),
        sa.UniqueConstraint("owner", "idempotency_key", name=op.f("uq_idempotency_record_owner_idempotency_key")),
    )
    with op.batch_alter_table("idempotency_record", schema=None) as batch_op:
        batch_op.create_index("ix_idempotency_record_created_at", ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("idempotency_record", schema=None) as batch_op:
        batch_op.drop_index("ix_idempotency_record_created_at")
    op.drop_table("idempotency_record")
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_key_partner_id"))
    op.drop_table("api_key")
