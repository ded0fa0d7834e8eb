"""The journal's ``before`` and ``after`` as ``json``, not ``jsonb``, on PostgreSQL: kept as written.

An event's hash covers its payload as Python read it when the event was made. ``jsonb`` stores
numbers as decimals and writes them back in its own form: a float of 1e16 or more came back as an
integer (1e16 as 10000000000000000), hashed differently, and ``verify`` called the event altered
(tests/shared/test_journal.py). ``json`` keeps the text as written. Nothing queries inside the
payload (it is read whole), and the server no longer parses each event into ``jsonb`` either.

Events already stored keep what ``jsonb`` made of them. SQLite stores JSON as text: no change.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 20:05:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _retype(kind: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"ALTER TABLE journal_event ALTER COLUMN before TYPE {kind} USING before::{kind}, "
        f"ALTER COLUMN after TYPE {kind} USING after::{kind}"
    )


def upgrade() -> None:
    _retype("json")


def downgrade() -> None:
    _retype("jsonb")
