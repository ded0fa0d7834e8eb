"""Two indexes on the journal that no query needs: each one is work on every event written.

- ``ix_journal_event_entity_id``: every query for an entity's events names its type too and is
  served by ``ix_journal_event_entity`` (migration 0007: entity type, then id). An id alone means
  nothing in the journal: invoice 7 and allocation 7 are different things.
- ``ix_journal_event_action``: no query selects events by action alone; the one that names an
  action (the event that confirmed an allocation) finds its few rows by entity first.

An import writes one event per invoice and a matcher run one per allocation, a hundred thousand
and more per batch (docs/benchmarks.md, "Reconciliation flow"). The unique indexes on ``hash``
and ``prev_hash`` stay: they are what keeps the chain from forking.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 20:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DROPPED = (
    ("ix_journal_event_entity_id", "entity_id"),
    ("ix_journal_event_action", "action"),
)


def upgrade() -> None:
    for name, _ in DROPPED:
        op.drop_index(name, table_name="journal_event")


def downgrade() -> None:
    for name, column in reversed(DROPPED):
        op.create_index(name, "journal_event", [column], unique=False)
