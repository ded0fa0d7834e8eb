"""Initial schema: partners, invoices, bank lines, allocations, the journal and the outbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-23 18:35:27.176687
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import shared.models.columns

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bank_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(), nullable=False),
        sa.Column("currency", sa.String(), nullable=True),
        sa.Column("bank_bik", sa.String(), nullable=True),
        sa.Column("name", sa.String(), nullable=True),
        sa.Column("api_kind", sa.String(), nullable=True),
        sa.Column("api_account_id", sa.String(), nullable=True),
        sa.Column("sync_cursor", sa.String(), nullable=True),
        sa.Column("created_at", shared.models.columns.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_account")),
        sa.UniqueConstraint("number", name=op.f("uq_bank_account_number")),
    )
    op.create_table(
        "journal_event",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("occurred_at", shared.models.columns.UtcDateTime(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("entity_type", sa.String(), nullable=False),
        sa.Column("entity_id", sa.String(), nullable=False),
        sa.Column("before", sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"), nullable=True),
        sa.Column("after", sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"), nullable=True),
        sa.Column("prev_hash", sa.String(), nullable=False),
        sa.Column("hash", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_journal_event")),
        sa.UniqueConstraint("hash", name=op.f("uq_journal_event_hash")),
        sa.UniqueConstraint("prev_hash", name=op.f("uq_journal_event_prev_hash")),
    )
    with op.batch_alter_table("journal_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_journal_event_action"), ["action"], unique=False)
        batch_op.create_index(batch_op.f("ix_journal_event_entity_id"), ["entity_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_journal_event_occurred_at"), ["occurred_at"], unique=False)

    op.create_table(
        "outbox_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(), nullable=False),
        sa.Column("event_type", sa.String(), nullable=False),
        sa.Column(
            "payload", sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"), nullable=False
        ),
        sa.Column("created_at", shared.models.columns.UtcDateTime(), nullable=False),
        sa.Column("next_attempt_at", shared.models.columns.UtcDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("published_at", shared.models.columns.UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_event")),
        sa.UniqueConstraint("event_id", name=op.f("uq_outbox_event_event_id")),
    )
    with op.batch_alter_table("outbox_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_event_event_type"), ["event_type"], unique=False)
        batch_op.create_index("ix_outbox_event_pending", ["published_at", "next_attempt_at"], unique=False)

    op.create_table(
        "partner",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("inn", sa.String(), nullable=True),
        sa.Column("kpp", sa.String(), nullable=True),
        sa.Column("language", sa.String(), nullable=False),
        sa.Column("email", sa.String(), nullable=True),
        sa.Column("created_at", shared.models.columns.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner")),
    )
    with op.batch_alter_table("partner", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_partner_inn"), ["inn"], unique=False)
        batch_op.create_index("ix_partner_inn_kpp", ["inn", "kpp"], unique=False)

    op.create_table(
        "contract",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(), nullable=False),
        sa.Column("contract_date", sa.Date(), nullable=True),
        sa.Column("currency", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(["partner_id"], ["partner.id"], name=op.f("fk_contract_partner_id_partner")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract")),
        sa.UniqueConstraint("partner_id", "number", name=op.f("uq_contract_partner_id_number")),
    )
    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contract_number"), ["number"], unique=False)
        batch_op.create_index(batch_op.f("ix_contract_partner_id"), ["partner_id"], unique=False)

    op.create_table(
        "partner_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(), nullable=False),
        sa.Column("bank_bik", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(["partner_id"], ["partner.id"], name=op.f("fk_partner_account_partner_id_partner")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_account")),
        sa.UniqueConstraint("partner_id", "number", name=op.f("uq_partner_account_partner_id_number")),
    )
    with op.batch_alter_table("partner_account", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_partner_account_number"), ["number"], unique=False)
        batch_op.create_index(batch_op.f("ix_partner_account_partner_id"), ["partner_id"], unique=False)

    op.create_table(
        "statement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bank_account_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("format", sa.String(), nullable=False),
        sa.Column("filename", sa.String(), nullable=True),
        sa.Column("file_hash", sa.String(), nullable=False),
        sa.Column("external_id", sa.String(), nullable=True),
        sa.Column("date_from", sa.Date(), nullable=True),
        sa.Column("date_to", sa.Date(), nullable=True),
        sa.Column("currency", sa.String(), nullable=True),
        sa.Column("opening_minor", sa.BigInteger(), nullable=True),
        sa.Column("closing_minor", sa.BigInteger(), nullable=True),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("new_count", sa.Integer(), nullable=False),
        sa.Column("duplicate_count", sa.Integer(), nullable=False),
        sa.Column(
            "warnings", sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"), nullable=False
        ),
        sa.Column("imported_by", sa.String(), nullable=False),
        sa.Column("imported_at", shared.models.columns.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bank_account_id"], ["bank_account.id"], name=op.f("fk_statement_bank_account_id_bank_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statement")),
    )
    with op.batch_alter_table("statement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_statement_bank_account_id"), ["bank_account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_statement_file_hash"), ["file_hash"], unique=False)
        batch_op.create_index(batch_op.f("ix_statement_imported_at"), ["imported_at"], unique=False)

    op.create_table(
        "bank_transaction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bank_account_id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("dedupe_key", sa.String(), nullable=False),
        sa.Column("bank_ref", sa.String(), nullable=True),
        sa.Column("booking_date", sa.Date(), nullable=True),
        sa.Column("value_date", sa.Date(), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(), nullable=False),
        sa.Column("counterparty_name", sa.String(), nullable=True),
        sa.Column("counterparty_account", sa.String(), nullable=True),
        sa.Column("counterparty_tax_id", sa.String(), nullable=True),
        sa.Column("purpose", sa.Text(), nullable=True),
        sa.Column(
            "details", sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"), nullable=False
        ),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("source_line", sa.Integer(), nullable=True),
        sa.Column("allocated_minor", sa.BigInteger(), nullable=False),
        sa.Column("match_status", sa.String(), nullable=False),
        sa.Column("created_at", shared.models.columns.UtcDateTime(), nullable=False),
        sa.CheckConstraint(
            "match_status IN ('unmatched', 'suggested', 'partially_settled', 'settled', 'ignored')",
            name=op.f("ck_bank_transaction_match_status"),
        ),
        sa.CheckConstraint(
            "allocated_minor <= CASE WHEN amount_minor < 0 THEN -amount_minor ELSE amount_minor END",
            name=op.f("ck_bank_transaction_allocated_within_amount"),
        ),
        sa.CheckConstraint("allocated_minor >= 0", name=op.f("ck_bank_transaction_allocated_not_negative")),
        sa.CheckConstraint("amount_minor <> 0", name=op.f("ck_bank_transaction_amount_not_zero")),
        sa.ForeignKeyConstraint(
            ["bank_account_id"], ["bank_account.id"], name=op.f("fk_bank_transaction_bank_account_id_bank_account")
        ),
        sa.ForeignKeyConstraint(
            ["statement_id"], ["statement.id"], name=op.f("fk_bank_transaction_statement_id_statement")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_transaction")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_bank_transaction_dedupe_key")),
    )
    with op.batch_alter_table("bank_transaction", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bank_transaction_bank_account_id"), ["bank_account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_bank_transaction_bank_ref"), ["bank_ref"], unique=False)
        batch_op.create_index(batch_op.f("ix_bank_transaction_booking_date"), ["booking_date"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_bank_transaction_counterparty_account"), ["counterparty_account"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_bank_transaction_counterparty_tax_id"), ["counterparty_tax_id"], unique=False
        )
        batch_op.create_index("ix_bank_transaction_open", ["match_status", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_bank_transaction_statement_id"), ["statement_id"], unique=False)

    op.create_table(
        "invoice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(), nullable=False),
        sa.Column("number", sa.String(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=True),
        sa.Column("invoice_date", sa.Date(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(), nullable=False),
        sa.Column("paid_minor", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("created_at", shared.models.columns.UtcDateTime(), nullable=False),
        sa.Column("updated_at", shared.models.columns.UtcDateTime(), nullable=False),
        sa.CheckConstraint("direction IN ('receivable', 'payable')", name=op.f("ck_invoice_direction")),
        sa.CheckConstraint(
            "status IN ('open', 'partially_paid', 'paid', 'overpaid', 'cancelled')", name=op.f("ck_invoice_status")
        ),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_invoice_amount_positive")),
        sa.CheckConstraint("paid_minor >= 0", name=op.f("ck_invoice_paid_not_negative")),
        sa.ForeignKeyConstraint(["contract_id"], ["contract.id"], name=op.f("fk_invoice_contract_id_contract")),
        sa.ForeignKeyConstraint(["partner_id"], ["partner.id"], name=op.f("fk_invoice_partner_id_partner")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice")),
    )
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invoice_contract_id"), ["contract_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_invoice_direction"), ["direction"], unique=False)
        batch_op.create_index(batch_op.f("ix_invoice_number"), ["number"], unique=False)
        batch_op.create_index(batch_op.f("ix_invoice_partner_id"), ["partner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_invoice_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_invoice_updated_at"), ["updated_at"], unique=False)
        batch_op.create_index(
            "uq_invoice_payable_partner_number",
            ["partner_id", "number"],
            unique=True,
            sqlite_where=sa.text("direction = 'payable'"),
            postgresql_where=sa.text("direction = 'payable'"),
        )
        batch_op.create_index(
            "uq_invoice_receivable_number",
            ["number"],
            unique=True,
            sqlite_where=sa.text("direction = 'receivable'"),
            postgresql_where=sa.text("direction = 'receivable'"),
        )

    op.create_table(
        "allocation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("transaction_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column(
            "reasons", sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"), nullable=False
        ),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("created_at", shared.models.columns.UtcDateTime(), nullable=False),
        sa.Column("reversed_at", shared.models.columns.UtcDateTime(), nullable=True),
        sa.Column("reversed_by", sa.String(), nullable=True),
        sa.Column("reversal_reason", sa.String(), nullable=True),
        sa.CheckConstraint("kind IN ('auto', 'suggested', 'confirmed', 'manual')", name=op.f("ck_allocation_kind")),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_allocation_amount_positive")),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoice.id"], name=op.f("fk_allocation_invoice_id_invoice")),
        sa.ForeignKeyConstraint(
            ["transaction_id"], ["bank_transaction.id"], name=op.f("fk_allocation_transaction_id_bank_transaction")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allocation")),
    )
    with op.batch_alter_table("allocation", schema=None) as batch_op:
        batch_op.create_index("ix_allocation_invoice_active", ["invoice_id", "reversed_at"], unique=False)
        batch_op.create_index("ix_allocation_transaction_active", ["transaction_id", "reversed_at"], unique=False)

    op.create_table(
        "learned_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_number", sa.String(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("learned_from_allocation_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("created_at", shared.models.columns.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["learned_from_allocation_id"],
            ["allocation.id"],
            name=op.f("fk_learned_account_learned_from_allocation_id_allocation"),
        ),
        sa.ForeignKeyConstraint(["partner_id"], ["partner.id"], name=op.f("fk_learned_account_partner_id_partner")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learned_account")),
        sa.UniqueConstraint("account_number", name=op.f("uq_learned_account_account_number")),
    )

    _journal_append_only()


# The journal is append-only at the database level too: even a bug or a hand-written UPDATE through
# the application's connection cannot rewrite history. (A superuser can still drop the trigger; the
# hash chain is what catches that.)
_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION sverka_journal_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'journal_event is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql
"""


def _journal_append_only() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        op.execute(
            "CREATE TRIGGER journal_event_append_only BEFORE UPDATE OR DELETE ON journal_event "
            "FOR EACH ROW EXECUTE FUNCTION sverka_journal_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER journal_event_no_{verb.lower()} BEFORE {verb} ON journal_event "
                f"BEGIN SELECT RAISE(ABORT, 'journal_event is append-only: {verb} refused'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS journal_event_append_only ON journal_event")
        op.execute("DROP FUNCTION IF EXISTS sverka_journal_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS journal_event_no_update")
        op.execute("DROP TRIGGER IF EXISTS journal_event_no_delete")
    op.drop_table("learned_account")
    with op.batch_alter_table("allocation", schema=None) as batch_op:
        batch_op.drop_index("ix_allocation_transaction_active")
        batch_op.drop_index("ix_allocation_invoice_active")

    op.drop_table("allocation")
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_invoice_receivable_number",
            sqlite_where=sa.text("direction = 'receivable'"),
            postgresql_where=sa.text("direction = 'receivable'"),
        )
        batch_op.drop_index(
            "uq_invoice_payable_partner_number",
            sqlite_where=sa.text("direction = 'payable'"),
            postgresql_where=sa.text("direction = 'payable'"),
        )
        batch_op.drop_index(batch_op.f("ix_invoice_updated_at"))
        batch_op.drop_index(batch_op.f("ix_invoice_status"))
        batch_op.drop_index(batch_op.f("ix_invoice_partner_id"))
        batch_op.drop_index(batch_op.f("ix_invoice_number"))
        batch_op.drop_index(batch_op.f("ix_invoice_direction"))
        batch_op.drop_index(batch_op.f("ix_invoice_contract_id"))

    op.drop_table("invoice")
    with op.batch_alter_table("bank_transaction", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bank_transaction_statement_id"))
        batch_op.drop_index("ix_bank_transaction_open")
        batch_op.drop_index(batch_op.f("ix_bank_transaction_counterparty_tax_id"))
        batch_op.drop_index(batch_op.f("ix_bank_transaction_counterparty_account"))
        batch_op.drop_index(batch_op.f("ix_bank_transaction_booking_date"))
        batch_op.drop_index(batch_op.f("ix_bank_transaction_bank_ref"))
        batch_op.drop_index(batch_op.f("ix_bank_transaction_bank_account_id"))

    op.drop_table("bank_transaction")
    with op.batch_alter_table("statement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_statement_imported_at"))
        batch_op.drop_index(batch_op.f("ix_statement_file_hash"))
        batch_op.drop_index(batch_op.f("ix_statement_bank_account_id"))

    op.drop_table("statement")
    with op.batch_alter_table("partner_account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partner_account_partner_id"))
        batch_op.drop_index(batch_op.f("ix_partner_account_number"))

    op.drop_table("partner_account")
    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_partner_id"))
        batch_op.drop_index(batch_op.f("ix_contract_number"))

    op.drop_table("contract")
    with op.batch_alter_table("partner", schema=None) as batch_op:
        batch_op.drop_index("ix_partner_inn_kpp")
        batch_op.drop_index(batch_op.f("ix_partner_inn"))

    op.drop_table("partner")
    with op.batch_alter_table("outbox_event", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_event_pending")
        batch_op.drop_index(batch_op.f("ix_outbox_event_event_type"))

    op.drop_table("outbox_event")
    with op.batch_alter_table("journal_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_journal_event_occurred_at"))
        batch_op.drop_index(batch_op.f("ix_journal_event_entity_id"))
        batch_op.drop_index(batch_op.f("ix_journal_event_action"))

    op.drop_table("journal_event")
    op.drop_table("bank_account")
