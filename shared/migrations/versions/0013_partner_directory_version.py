"""``partner_directory_version``: a token that changes whenever what identifies a payer changes.

The matcher identifies the payer of an arriving line against every partner (by tax id, account,
accounts people taught, and by name, fuzzily too). Reading 5,000 partners and indexing them
took most of the time of deciding one line, although they seldom change. Each worker process
keeps the directory it built (``services/reconciler/matching/directory_cache.py``) with the
token it read first, and reads the token again per call: one row by primary key.

The token is one row, replaced by a random value by triggers on every write to ``partner``,
``partner_account`` and ``learned_account``, whoever writes (an import, a person's lesson, a test's
ORM object, a hand-written UPDATE). Random, not a counter: databases cloned from one template, or
copies of one file, start with the same token and the same partners, and any change makes their
tokens differ. It is written in the writer's transaction, so a reader sees the new token exactly
when it sees the change; a concurrent writer holds the row until it commits.

- PostgreSQL: one trigger per table and statement kind (``FOR EACH STATEMENT``: a bulk import
  replaces the token once, not once per row), which replaces the token only when the statement
  changed rows (its transition table is not empty: an ``INSERT … ON CONFLICT DO NOTHING`` that
  inserted nothing changes nothing); TRUNCATE too.
- SQLite: row triggers (the only kind it has); a row update of a one-row table costs little.

Not declared as a model: the application never writes it, and copying every model's rows into a
migrated database (``benchmarks/workspace_pages.py``) must not copy the token over the target's.
Not partner-owned, so not under row-level security; ``deploy/postgres/grants.sql`` lets the app
role update it (its triggers run as the writer).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 15:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "partner_directory_version"
# Tables the migrations create that no model declares; tests/shared/test_migrations.py allows them.
TABLES = (TABLE,)
WATCHED = ("partner", "partner_account", "learned_account")
_VERBS = ("INSERT", "UPDATE", "DELETE")

_PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION sverka_partner_directory_changed() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' OR EXISTS (SELECT FROM changed) THEN
        UPDATE {TABLE} SET token = gen_random_uuid()::text WHERE id = 1;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql
"""
# TRUNCATE has no transition table; its own function does not name one.
_PG_TRUNCATE_FUNCTION = f"""
CREATE OR REPLACE FUNCTION sverka_partner_directory_truncated() RETURNS trigger AS $$
BEGIN
    UPDATE {TABLE} SET token = gen_random_uuid()::text WHERE id = 1;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql
"""


def _trigger(table: str, verb: str) -> str:
    return f"{table}_directory_changed_on_{verb.lower()}"


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.execute(f"CREATE TABLE {TABLE} (id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1), token TEXT NOT NULL)")
    random_token = "gen_random_uuid()::text" if postgres else "lower(hex(randomblob(16)))"
    op.execute(f"INSERT INTO {TABLE} (id, token) VALUES (1, {random_token})")
    if postgres:
        op.execute(_PG_FUNCTION)
        op.execute(_PG_TRUNCATE_FUNCTION)
        for table in WATCHED:
            for verb in _VERBS:
                changed = "OLD" if verb == "DELETE" else "NEW"
                op.execute(
                    f"CREATE TRIGGER {_trigger(table, verb)} AFTER {verb} ON {table} "
                    f"REFERENCING {changed} TABLE AS changed FOR EACH STATEMENT "
                    "EXECUTE FUNCTION sverka_partner_directory_changed()"
                )
            op.execute(
                f"CREATE TRIGGER {_trigger(table, 'TRUNCATE')} AFTER TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION sverka_partner_directory_truncated()"
            )
        return
    for table in WATCHED:
        for verb in _VERBS:
            op.execute(
                f"CREATE TRIGGER {_trigger(table, verb)} AFTER {verb} ON {table} "
                f"BEGIN UPDATE {TABLE} SET token = {random_token} WHERE id = 1; END"
            )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in WATCHED:
        for verb in (*_VERBS, "TRUNCATE") if postgres else _VERBS:
            op.execute(f"DROP TRIGGER IF EXISTS {_trigger(table, verb)}" + (f" ON {table}" if postgres else ""))
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS sverka_partner_directory_changed()")
        op.execute("DROP FUNCTION IF EXISTS sverka_partner_directory_truncated()")
    op.execute(f"DROP TABLE {TABLE}")
