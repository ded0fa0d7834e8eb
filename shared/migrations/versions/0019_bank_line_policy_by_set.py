"""The bank line policy asks "is this line among the partner's allocated lines?" as a set, not per row.

0008 wrote the second half of the ``bank_transaction`` policy — a line carrying an allocation to
one of the partner's invoices — as a correlated ``EXISTS (… WHERE a.transaction_id =
bank_transaction.id …)``. For an internal caller (``sverka.partner_id`` unset: the CLI, the
workers) the policy's first arm, ``partner IS NULL``, is true and the ``EXISTS`` never runs. But
the planner does not know the setting when it plans, and it charges the correlated sub-select's
cost to every row the statement reads (an ``OR`` is costed as if each arm ran; of the two plans
PostgreSQL keeps for such an ``EXISTS``, the per-row one is the one it costs by). On the 100,000-
invoice world the matcher's bulk update of 20,000 lines by ``UPDATE … FROM unnest(…)`` was
costed 0.6–1.8 million as ``sverka_app`` against 30,000–45,000 as the superuser. Past
``jit_above_cost`` and ``jit_inline_above_cost``/``jit_optimize_above_cost`` (100,000 and
500,000 by default) the server compiles the statement with LLVM, inlining and optimising, before
running it: 0.85–1.5 s per update, for an update that then runs in about 0.1 s. One
``sverka reconcile`` paid that for its five line updates, its six line status refreshes and its
read of the open lines: 12 statements, 5.6 s of JIT compilation in the server (auto_explain,
2026-12-08); the superuser's run compiled nothing. That was the 4–10 s that reconcile took longer
as the application role (docs/benchmarks.md, "Reconcile on PostgreSQL").

Written as ``id IN (SELECT a.transaction_id FROM allocation a JOIN invoice i … WHERE
i.partner_id = partner)`` the sub-select no longer refers to the row: PostgreSQL runs it at most
once per statement, into a hash table, and costs it once, so the application role's statements
get the superuser's plans and costs (the same update: a hash join costed about 31,000, no JIT).

Who sees which line does not change: both forms are true exactly when an allocation of the line
to one of the partner's invoices exists (``allocation.transaction_id`` is NOT NULL, so the set
holds no NULL), the sub-select still reads ``allocation`` and ``invoice`` under their own
policies, and the ``WITH CHECK`` is the same condition as before. For a partner-bound statement
the set is the partner's allocated lines, built once per statement on first need — as the
``allocation`` policy already builds the set of the partner's invoices — instead of one probe per
row whose payer is not the partner: cheaper for reads of many lines (``payment_document``'s policy
reads every visible line), a little dearer for one line of a partner with very many allocations.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-08 01:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = ("0008",)  # the policy it rewrites

# As in 0008: the calling partner's id, or NULL for an internal caller.
PARTNER = "NULLIF(current_setting('sverka.partner_id', true), '')::bigint"
PAID_BY_PARTNER = f"counterparty_tax_id = (SELECT p.inn FROM partner p WHERE p.id = {PARTNER})"
# 0008's form, for the downgrade.
ALLOCATED_PER_ROW = (
    "EXISTS (SELECT 1 FROM allocation a JOIN invoice i ON i.id = a.invoice_id"
    f" WHERE a.transaction_id = bank_transaction.id AND i.partner_id = {PARTNER})"
)
ALLOCATED_AS_SET = (
    "id IN (SELECT a.transaction_id FROM allocation a JOIN invoice i ON i.id = a.invoice_id"
    f" WHERE i.partner_id = {PARTNER})"
)


def _policy(allocated: str) -> str:
    condition = f"{PARTNER} IS NULL OR ({PAID_BY_PARTNER} OR {allocated})"
    return f"ALTER POLICY partner_scope ON bank_transaction USING ({condition}) WITH CHECK ({condition})"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_policy(ALLOCATED_AS_SET))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_policy(ALLOCATED_PER_ROW))
