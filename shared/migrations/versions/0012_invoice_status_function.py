"""``invoice_status()``: "is this paid?" in one statement, on PostgreSQL.

The status read is the route other services call all day (issue 7: 2,000 reads/s on 2 cores).
Through the ORM it took five statements; as a pipeline of ``BEGIN``, the partner binding, the read
and ``COMMIT`` it still spent most of its client CPU in the driver's pipeline machinery. This
function does the whole read in one statement, whose plans PostgreSQL keeps:

1. find the live API key by the SHA-256 of its secret (``api_key`` is not under row-level
   security: it is read to learn who is calling);
2. bind the key's partner to the transaction (``set_config('sverka.partner_id', …, true)``, as
   ``services/reconciler/api/deps.py`` does for every other request), so the policies of 0008
   confine the statements that follow. ``SECURITY INVOKER`` (the default): they run as the
   calling application role, which does not bypass row-level security;
3. find the invoice by id, or by number and direction, under the same scope conditions as
   ``services/reconciler/integration/scope.py``: a partner key sees its own invoices and, of their
   allocations, those that moved money;
4. return ``{"key": …, "invoice": …}`` as JSON (``NULL`` for an unknown or revoked key;
   ``"invoice": null`` when the key may not see it or it does not exist).

The caller runs it as a statement of its own (autocommit), so the binding ends with it. Amounts
stay integer minor units: the API formats them (``shared/money.py``), as on every other route.
``services/reconciler/integration/status_reads.py`` turns the JSON into the API's invoice; its
tests compare the answer with the ORM path's field by field. A no-op on SQLite (the embedded mode
reads through the ORM).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNCTION = r"""
CREATE OR REPLACE FUNCTION invoice_status(
    p_key_hash text, p_invoice_id bigint, p_number text, p_direction text
) RETURNS json LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    k record;
    v_invoice_id bigint := p_invoice_id;
    v_invoice json;
BEGIN
    SELECT a.id, a.name, a.prefix, a.scope, a.partner_id INTO k
      FROM api_key a WHERE a.key_hash = p_key_hash AND a.revoked_at IS NULL;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    PERFORM set_config('sverka.partner_id', coalesce(k.partner_id::text, ''), true);
    IF v_invoice_id IS NULL THEN
        SELECT i.id INTO v_invoice_id FROM invoice i
         WHERE i.number = p_number AND i.direction = p_direction
           AND (k.partner_id IS NULL OR i.partner_id = k.partner_id)
         ORDER BY i.id LIMIT 1;
    END IF;
    SELECT json_build_object(
               'id', i.id, 'number', i.number, 'direction', i.direction, 'status', i.status,
               'amount_minor', i.amount_minor, 'paid_minor', i.paid_minor, 'currency', i.currency,
               'partner_id', i.partner_id, 'partner_name', p.name, 'partner_inn', p.inn,
               'contract_id', i.contract_id, 'contract_no', c.number,
               'invoice_date', i.invoice_date, 'due_date', i.due_date,
               'created_at', i.created_at, 'updated_at', i.updated_at,
               'allocations', (
                   SELECT json_agg(json_build_object(
                              'id', al.id, 'kind', al.kind, 'amount_minor', al.amount_minor,
                              'currency', al.currency, 'confidence', al.confidence, 'reasons', al.reasons,
                              'created_by', al.created_by, 'created_at', al.created_at,
                              'reversed_at', al.reversed_at, 'reversal_reason', al.reversal_reason,
                              'transaction_id', al.transaction_id, 'bank_ref', t.bank_ref,
                              'booking_date', t.booking_date, 'payment_amount_minor', t.amount_minor,
                              'payment_currency', t.currency, 'counterparty_name', t.counterparty_name)
                          ORDER BY al.id)
                     FROM allocation al JOIN bank_transaction t ON t.id = al.transaction_id
                    WHERE al.invoice_id = i.id
                      AND (k.partner_id IS NULL OR al.kind IN ('auto', 'confirmed', 'manual'))))
      INTO v_invoice
      FROM invoice i
      JOIN partner p ON p.id = i.partner_id
      LEFT JOIN contract c ON c.id = i.contract_id
     WHERE i.id = v_invoice_id AND (k.partner_id IS NULL OR i.partner_id = k.partner_id);
    RETURN json_build_object(
        'key', json_build_object(
            'id', k.id, 'name', k.name, 'prefix', k.prefix, 'scope', k.scope, 'partner_id', k.partner_id,
            'partner_inn', (SELECT kp.inn FROM partner kp WHERE kp.id = k.partner_id)),
        'invoice', v_invoice);
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION IF EXISTS invoice_status(text, bigint, text, text)")
