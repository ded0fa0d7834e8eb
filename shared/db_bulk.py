"""Many rows into one table at once (a statement's lines), duplicates refused by a unique constraint.

Why a module of its own: storing a large statement is a pipeline, not a statement. One
``INSERT … ON CONFLICT`` per row spends most of an import in per-statement work on the server;
one ``INSERT … SELECT`` of rows first ``COPY``-ed into a temporary table is far cheaper, but then
this process waits while PostgreSQL maintains the table's indexes (two thirds of the server's
work), and PostgreSQL waits while this process builds the rows. So the rows are taken from the
caller's iterable in chunks, and each chunk is copied and moved on a helper thread while the
caller's thread builds the next one: on two cores the two kinds of work overlap.

Why not ``COPY`` straight into the table: PostgreSQL refuses ``COPY FROM`` into a table with
row-level security for a role the policies apply to — the API's role. The staging table is the
transaction's own and has no policies; the ``INSERT … SELECT`` is checked by them like any insert.

The same constraint decides duplicates as in :func:`shared.db.insert_ignoring_conflicts`, against
any import, even a concurrent one; the rows keep their order (ids ascend in the caller's order).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import JSON, Table
from sqlalchemy.dialects import postgresql

CHUNK_ROWS = 5000
_staging_tables = itertools.count(1)


def chunks(rows: Iterable[dict[str, Any]], size: int | None = None) -> Iterator[list[dict[str, Any]]]:
    """``rows`` in lists of ``size`` (default :data:`CHUNK_ROWS`; the last shorter), pulled as needed."""
    it, size = iter(rows), size or CHUNK_ROWS
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def copy_ignoring_conflicts(
    driver: Any, table: Table, row_chunks: Iterator[list[dict[str, Any]]], conflict_columns: Sequence[str]
) -> None:
    """Store every chunk on a helper thread while the next is built here; re-raises the helper's errors.

    ``driver`` is the transaction's psycopg connection: the helper thread is its only user until
    this returns (the caller's thread only builds rows meanwhile).
    """
    first = next(row_chunks, None)
    if first is None:
        return
    mover = _StagedMover(driver, table, list(first[0]), conflict_columns)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sverka-bulk-copy") as helper:
        moving = helper.submit(mover.move, first)
        for chunk in row_chunks:  # the next chunk is built while the previous one is stored
            moving.result()
            moving = helper.submit(mover.move, chunk)
        moving.result()


class _StagedMover:
    """Copies a chunk into a temporary table of the transaction, then moves it in order."""

    def __init__(self, driver: Any, table: Table, names: list[str], conflict_columns: Sequence[str]) -> None:
        self.driver, self.table, self.names = driver, table, names
        json_columns = {c.name for c in table.columns if isinstance(c.type, JSON | postgresql.JSONB)}
        self.json_at = [i for i, name in enumerate(names) if name in json_columns]
        self.staging = f"staging_{table.name}_{next(_staging_tables)}"
        listed = ", ".join(names)
        self.create = (
            f"CREATE TEMP TABLE {self.staging} ON COMMIT DROP AS SELECT {listed} FROM {table.name} WITH NO DATA;"
            f" ALTER TABLE {self.staging} ADD COLUMN staged_order integer"
        )
        self.copy = f"COPY {self.staging} ({listed}, staged_order) FROM STDIN"
        self.insert = (
            f"INSERT INTO {table.name} ({listed}) SELECT {listed} FROM {self.staging} ORDER BY staged_order"
            f" ON CONFLICT ({', '.join(conflict_columns)}) DO NOTHING"
        )
        self.created = False

    def move(self, rows: Sequence[dict[str, Any]]) -> None:
        with self.driver.cursor() as cursor:
            cursor.execute(f"TRUNCATE {self.staging}" if self.created else self.create)
            self.created = True
            with cursor.copy(self.copy) as copy:
                for order, row in enumerate(rows):
                    values = [row[name] for name in self.names]
                    for i in self.json_at:  # COPY's text form of a JSON value is its JSON text
                        values[i] = json.dumps(values[i])
                    values.append(order)
                    copy.write_row(values)
            cursor.execute(self.insert)
