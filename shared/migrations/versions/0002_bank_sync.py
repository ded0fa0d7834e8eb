"""Bank sync: per-account API connections and the record of every statement pull.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.models.columns

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bank_connection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bank_account_id", sa.Integer(), nullable=False),
        sa.Column("base_url", sa.String(), nullable=False),
        sa.Column("consent_id", sa.String(), nullable=True),
        sa.Column("token_env", sa.String(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("pull_every_minutes", sa.Integer(), nullable=False),
        sa.Column("next_pull_at", shared.models.columns.UtcDateTime(), nullable=False),
        sa.Column("created_at", shared.models.columns.UtcDateTime(), nullable=False),
        sa.Column("updated_at", shared.models.columns.UtcDateTime(), nullable=False),
        sa.CheckConstraint("pull_every_minutes > 0", name=op.f("ck_bank_connection_pull_every_positive")),
        sa.ForeignKeyConstraint(
            ["bank_account_id"], ["bank_account.id"], name=op.f("fk_bank_connection_bank_account_id_bank_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_connection")),
        sa.UniqueConstraint("bank_account_id", name=op.f("uq_bank_connection_bank_account_id")),
    )
    with op.batch_alter_table("bank_connection", schema=None) as batch_op:
        batch_op.create_index("ix_bank_connection_due", ["enabled", "next_pull_at"], unique=False)

    op.create_table(
        "bank_pull",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bank_account_id", sa.Integer(), nullable=False),
        sa.Column("api_kind", sa.String(), nullable=False),
        sa.Column("trigger", sa.String(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("started_at", shared.models.columns.UtcDateTime(), nullable=False),
        sa.Column("finished_at", shared.models.columns.UtcDateTime(), nullable=False),
        sa.Column("date_from", sa.Date(), nullable=False),
        sa.Column("date_to", sa.Date(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("new", sa.Integer(), nullable=False),
        sa.Column("duplicates", sa.Integer(), nullable=False),
        sa.Column("pending", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("cursor_before", sa.String(), nullable=True),
        sa.Column("cursor_after", sa.String(), nullable=True),
        sa.Column("statement_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("status IN ('ok', 'failed')", name=op.f("ck_bank_pull_status")),
        sa.ForeignKeyConstraint(
            ["bank_account_id"], ["bank_account.id"], name=op.f("fk_bank_pull_bank_account_id_bank_account")
        ),
        sa.ForeignKeyConstraint(["statement_id"], ["statement.id"], name=op.f("fk_bank_pull_statement_id_statement")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_pull")),
    )
    with op.batch_alter_table("bank_pull", schema=None) as batch_op:
        batch_op.create_index("ix_bank_pull_account_started", ["bank_account_id", "started_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("bank_pull", schema=None) as batch_op:
        batch_op.drop_index("ix_bank_pull_account_started")
    op.drop_table("bank_pull")
    with op.batch_alter_table("bank_connection", schema=None) as batch_op:
        batch_op.drop_index("ix_bank_connection_due")
    op.drop_table("bank_connection")
