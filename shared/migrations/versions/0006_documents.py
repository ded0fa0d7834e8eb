"""Documents and email: email deliveries and attempts, payment-order scans, the reminder log.

Revision ID: 0006
Revises: 0001
Create Date: 2026-11-25 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import shared.models.columns

revision: str = "0006"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "email_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dedupe_key", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("event_id", sa.String(), nullable=True),
        sa.Column("partner_id", sa.Integer(), nullable=True),
        sa.Column("recipients", _JSON, nullable=False),
        sa.Column("language", sa.String(), nullable=False),
        sa.Column("context", _JSON, nullable=False),
        sa.Column("message_id", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", shared.models.columns.UtcDateTime(), nullable=False),
        sa.Column("last_smtp_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("smtp_response", sa.String(), nullable=True),
        sa.Column("accepted_at", shared.models.columns.UtcDateTime(), nullable=True),
        sa.Column("created_at", shared.models.columns.UtcDateTime(), nullable=False),
        sa.Column("finished_at", shared.models.columns.UtcDateTime(), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'delivered', 'failed')", name=op.f("ck_email_delivery_status")),
        sa.ForeignKeyConstraint(["partner_id"], ["partner.id"], name=op.f("fk_email_delivery_partner_id_partner")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_delivery")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_email_delivery_dedupe_key")),
    )
    with op.batch_alter_table("email_delivery", schema=None) as batch_op:
        batch_op.create_index("ix_email_delivery_due", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_email_delivery_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_email_delivery_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_email_delivery_partner_id"), ["partner_id"], unique=False)

    op.create_table(
        "email_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("attempted_at", shared.models.columns.UtcDateTime(), nullable=False),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("smtp_code", sa.Integer(), nullable=True),
        sa.Column("smtp_response", sa.Text(), nullable=True),
        sa.Column("error", sa.String(), nullable=True),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("next_attempt_at", shared.models.columns.UtcDateTime(), nullable=True),
        sa.Column("message_sha256", sa.String(), nullable=True),
        sa.Column("attachments", _JSON, nullable=False),
        sa.CheckConstraint("outcome IN ('delivered', 'retry', 'failed')", name=op.f("ck_email_attempt_outcome")),
        sa.ForeignKeyConstraint(
            ["delivery_id"], ["email_delivery.id"], name=op.f("fk_email_attempt_delivery_id_email_delivery")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_attempt")),
    )
    with op.batch_alter_table("email_attempt", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_email_attempt_delivery_id"), ["delivery_id"], unique=False)

    op.create_table(
        "payment_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("transaction_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("filename", sa.String(), nullable=False),
        sa.Column("content_type", sa.String(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.String(), nullable=False),
        sa.Column("uploaded_at", shared.models.columns.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["bank_transaction.id"],
            name=op.f("fk_payment_document_transaction_id_bank_transaction"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_document")),
        sa.UniqueConstraint("transaction_id", "sha256", name=op.f("uq_payment_document_transaction_id_sha256")),
    )
    with op.batch_alter_table("payment_document", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_document_sha256"), ["sha256"], unique=False)
        batch_op.create_index(batch_op.f("ix_payment_document_transaction_id"), ["transaction_id"], unique=False)

    op.create_table(
        "reminder_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("audience", sa.String(), nullable=False),
        sa.Column("offset_days", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("remind_on", sa.Date(), nullable=False),
        sa.Column("email_delivery_id", sa.Integer(), nullable=True),
        sa.Column("created_at", shared.models.columns.UtcDateTime(), nullable=False),
        sa.CheckConstraint("audience IN ('partner', 'accountants')", name=op.f("ck_reminder_log_audience")),
        sa.ForeignKeyConstraint(
            ["email_delivery_id"], ["email_delivery.id"], name=op.f("fk_reminder_log_email_delivery_id_email_delivery")
        ),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoice.id"], name=op.f("fk_reminder_log_invoice_id_invoice")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_log")),
        sa.UniqueConstraint(
            "invoice_id",
            "audience",
            "offset_days",
            "due_date",
            name=op.f("uq_reminder_log_invoice_id_audience_offset_days_due_date"),
        ),
    )
    with op.batch_alter_table("reminder_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reminder_log_invoice_id"), ["invoice_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reminder_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reminder_log_invoice_id"))
    op.drop_table("reminder_log")
    with op.batch_alter_table("payment_document", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_document_transaction_id"))
        batch_op.drop_index(batch_op.f("ix_payment_document_sha256"))
    op.drop_table("payment_document")
    with op.batch_alter_table("email_attempt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_email_attempt_delivery_id"))
    op.drop_table("email_attempt")
    with op.batch_alter_table("email_delivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_email_delivery_partner_id"))
        batch_op.drop_index(batch_op.f("ix_email_delivery_kind"))
        batch_op.drop_index(batch_op.f("ix_email_delivery_event_id"))
        batch_op.drop_index("ix_email_delivery_due")
    op.drop_table("email_delivery")
