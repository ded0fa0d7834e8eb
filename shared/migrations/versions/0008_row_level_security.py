"""Row-level security on PostgreSQL: a partner-bound transaction sees only that partner's rows.

The API sets ``sverka.partner_id`` for the transaction of a request made with a partner's key
(``set_config(…, true)``, see ``services/reconciler/api/deps.py``). Unset or empty means an internal
caller — our own services, workers, the CLI, the workspace — and every row is visible. Set, the
policies below confine every SELECT, INSERT, UPDATE (and DELETE, which the app role is not granted
anyway) to what belongs to that partner. This backs the scope conditions of ``/v1``
(``services/reconciler/integration/scope.py``), which stay the first line: a query that forgot its
scope condition still cannot read another partner's rows.

What "belongs to a partner" means, per table:

* ``partner``: its own row; ``partner_account``, ``contract``, ``invoice``: ``partner_id``;
* ``allocation``: allocations (and suggestions) to its invoices — the API hides suggestions from
  partners on top; cancelling an invoice must still withdraw the suggestions to it;
* ``bank_transaction``: lines it paid (its INN as the payer's tax id) or that carry an allocation
  to one of its invoices; a line from an unknown payer has no partner and is internal only;
* ``payment_document``: documents of the bank lines it sees.

Not partner-owned, so not under RLS: ``api_key`` (read to find out who is calling, before the
partner is known), ``idempotency_record`` (keyed by the API key), ``journal_event`` (the hash
chain is computed over all events; ``/v1/journal`` filters by what the key sees), our bank
accounts, statements and pulls, webhooks, e-mail deliveries, the outbox, users.

No ``FORCE ROW LEVEL SECURITY``: the owner (``sverka_owner``: migrations, ``pg_dump``) bypasses the
policies, and must — ``pg_dump`` refuses tables whose RLS would apply to it. The application role
``sverka_app`` is neither the owner nor ``BYPASSRLS`` (``deploy/postgres/roles.sql``), so the
policies apply to every query it runs. Superusers bypass RLS.

A no-op on SQLite (the embedded single-user mode has no roles).

Revision ID: 0008
Revises: 0001
Create Date: 2026-11-26 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = ("0006",)  # payment_document is created by the documents migration

# The calling partner's id, or NULL for an internal caller (setting unset, or reset to '').
PARTNER = "NULLIF(current_setting('sverka.partner_id', true), '')::bigint"

# table → who may see a row, as a condition on that row for partner PARTNER. Policies on one table
# may read other tables (whose own policies then apply too), but never in a cycle.
POLICIES: dict[str, str] = {
    "partner": f"id = {PARTNER}",
    "partner_account": f"partner_id = {PARTNER}",
    "contract": f"partner_id = {PARTNER}",
    "invoice": f"partner_id = {PARTNER}",
    "allocation": f"invoice_id IN (SELECT i.id FROM invoice i WHERE i.partner_id = {PARTNER})",
    "bank_transaction": (
        f"counterparty_tax_id = (SELECT p.inn FROM partner p WHERE p.id = {PARTNER})"
        " OR EXISTS (SELECT 1 FROM allocation a JOIN invoice i ON i.id = a.invoice_id"
        f" WHERE a.transaction_id = bank_transaction.id AND i.partner_id = {PARTNER})"
    ),
    "payment_document": "transaction_id IN (SELECT t.id FROM bank_transaction t)",
}
POLICY_NAME = "partner_scope"


def _condition(visible: str) -> str:
    return f"{PARTNER} IS NULL OR ({visible})"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, visible in POLICIES.items():
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY {POLICY_NAME} ON {table} FOR ALL USING ({_condition(visible)})"
            f" WITH CHECK ({_condition(visible)})"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in reversed(list(POLICIES)):
        op.execute(f"DROP POLICY IF EXISTS {POLICY_NAME} ON {table}")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
