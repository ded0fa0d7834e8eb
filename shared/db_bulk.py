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
A caller that expects many of its rows to be stored already (a file imported again, a quarter's
statement after its months) asks for ``skip_stored``: rows whose one-column key the table has are
then left out before they are copied, instead of sending every line's raw text to the server only
to have it refused. The lookup is not free (about 5 µs a key), so callers ask only when it pays;
the constraint still decides, also for a line a concurrent import stores in the meantime.
"""

from __future__ import annotations

import itertools
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from sqlalchemy import JSON, Table
from sqlalchemy.dialects import postgresql

from shared import json_text

CHUNK_ROWS = 5000

# JSON values as COPY writes them: UTF-8 as it is and no blanks. The default (``\uXXXX`` for every
# non-ASCII character, ", " and ": ") made a 1C line's Cyrillic payment-order fields three times
# as long on the wire and for the server's JSON parser; the value stored is the same. An encoder
# made once (``shared.json_text``): ``json.dumps``, and even a kept ``JSONEncoder.encode``, set
# up the C encoder again on every call.
_json_text = json_text.encoder(ensure_ascii=False, separators=(",", ":"))


def chunks(rows: Iterable[dict[str, Any]], size: int | None = None) -> Iterator[list[dict[str, Any]]]:
    """``rows`` in lists of ``size`` (default :data:`CHUNK_ROWS`; the last shorter), pulled as needed."""
    it, size = iter(rows), size or CHUNK_ROWS
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def copy_ignoring_conflicts(
    driver: Any,
    table: Table,
    row_chunks: Iterator[list[dict[str, Any]]],
    conflict_columns: Sequence[str],
    skip_stored: bool = False,
) -> None:
    """Store every chunk, skipping rows the constraint on ``conflict_columns`` refuses.

    ``skip_stored``: look the chunk's keys up first and copy only rows not stored yet (see above).
    """
    probe = skip_stored and len(conflict_columns) == 1
    _pipeline(row_chunks, lambda names: _StagedMover(driver, table, names, conflict_columns, probe))


def copy_rows(driver: Any, table: Table, row_chunks: Iterator[list[dict[str, Any]]]) -> None:
    """Store every chunk; straight into the table when no row-level security applies to it."""
    if _row_level_security(driver, table):
        _pipeline(row_chunks, lambda names: _StagedMover(driver, table, names, ()))
    else:
        _pipeline(row_chunks, lambda names: _StraightCopy(driver, table, names))


def next_ids(driver: Any, table: Table, count: int) -> list[int]:
    """``count`` new values of the table's id sequence, ascending: ids to give rows before they are copied.

    Why: ``INSERT … RETURNING`` hands ids back but costs a statement per thousand rows and psycopg
    re-reads each long statement; ``COPY`` is far cheaper but returns nothing. Taking the ids first
    keeps the order of the rows exact, whatever else writes to the table meanwhile.
    """
    if count <= 0:
        return []
    with driver.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", (table.name, count)
        )
        return sorted(int(i) for (i,) in cursor)


def _row_level_security(driver: Any, table: Table) -> bool:
    with driver.cursor() as cursor:
        cursor.execute("SELECT relrowsecurity FROM pg_class WHERE oid = %s::regclass", (table.name,))
        row = cursor.fetchone()
    return bool(row and row[0])


def _pipeline(row_chunks: Iterator[list[dict[str, Any]]], mover_for: Callable[[list[str]], _Mover]) -> None:
    """Store each chunk on a helper thread while the next is built here; re-raises the helper's errors.

    The transaction's psycopg connection has the helper thread as its only user until this returns
    (the caller's thread only builds rows meanwhile).
    """
    first = next(row_chunks, None)
    if first is None:
        return
    mover = mover_for(list(first[0]))
    second = next(row_chunks, None)
    if second is None:  # nothing to overlap with: no thread
        mover.move(first)
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sverka-bulk-copy") as helper:
        moving = helper.submit(mover.move, first)
        for chunk in itertools.chain([second], row_chunks):  # each built while the previous one is stored
            moving.result()
            moving = helper.submit(mover.move, chunk)
        moving.result()


class _Mover(Protocol):
    def move(self, rows: Sequence[dict[str, Any]]) -> None: ...


def _copy_values(json_at: list[int], names: list[str], row: dict[str, Any]) -> list[Any]:
    values = [row[name] for name in names]
    for i in json_at:  # COPY's text form of a JSON value is its JSON text
        values[i] = _json_text(values[i])
    return values


def _json_positions(table: Table, names: list[str]) -> list[int]:
    json_columns = {c.name for c in table.columns if isinstance(c.type, JSON | postgresql.JSONB)}
    return [i for i, name in enumerate(names) if name in json_columns]


class _StraightCopy:
    """``COPY`` into the table itself: for tables without row-level security (the journal, the outbox)."""

    def __init__(self, driver: Any, table: Table, names: list[str]) -> None:
        self.driver, self.names = driver, names
        self.json_at = _json_positions(table, names)
        self.copy = f"COPY {table.name} ({', '.join(names)}) FROM STDIN"

    def move(self, rows: Sequence[dict[str, Any]]) -> None:
        with self.driver.cursor() as cursor, cursor.copy(self.copy) as copy:
            for row in rows:
                copy.write_row(_copy_values(self.json_at, self.names, row))


class _StagedMover:
    """Copies a chunk into a temporary table of the transaction, then moves it in order (row-level security applies).

    One staging table per target table and column list, reused by every statement of the
    transaction (emptied before each chunk) and dropped at its end: a file of thousands of daily
    statements once created a table per statement, each holding locks until the commit, and ran
    PostgreSQL out of lock slots.

    The chunk is copied in ``COPY``'s binary form: the server then reads each value as it is
    instead of scanning kilobytes of text per line for delimiters and escapes (a 1C line carries
    its document's raw text and every payment-order field), and psycopg writes it with less work
    too. JSON values are staged as their text and cast by the move, where they are checked.
    """

    def __init__(
        self, driver: Any, table: Table, names: list[str], conflict_columns: Sequence[str], probe: bool = False
    ) -> None:
        self.driver, self.table, self.names = driver, table, names
        self.json_at = _json_positions(table, names)
        self.conflict_columns = conflict_columns
        self.probe = probe
        self.staging = f"staging_{table.name}_{zlib.crc32(', '.join(names).encode()):08x}"
        self.statements: tuple[str, str] | None = None  # (COPY, INSERT … SELECT), from the first chunk on
        self.types: list[int] = []

    def move(self, rows: Sequence[dict[str, Any]]) -> None:
        with self.driver.cursor() as cursor:
            if self.probe:
                rows = self._not_yet_stored(cursor, rows)
                if not rows:
                    return
            if self.statements is None:
                self.statements = self._prepare(cursor)
            copy_sql, insert_sql = self.statements
            cursor.execute(f"TRUNCATE {self.staging}")
            with cursor.copy(copy_sql) as copy:
                copy.set_types(self.types)
                for order, row in enumerate(rows):
                    copy.write_row([*_copy_values(self.json_at, self.names, row), order])
            cursor.execute(insert_sql)

    def _not_yet_stored(self, cursor: Any, rows: Sequence[dict[str, Any]]) -> Sequence[dict[str, Any]]:
        """``rows`` without those whose (one-column) key the table already has.

        One indexed lookup per key, far cheaper for the server than receiving, staging and refusing
        the row (a 1C line is kilobytes).
        """
        (column,) = self.conflict_columns
        keys = [row[column] for row in rows]
        cursor.execute(f"SELECT {column} FROM {self.table.name} WHERE {column} = ANY(%s)", (keys,))
        stored = {key for (key,) in cursor}
        return [row for row in rows if row[column] not in stored] if stored else rows

    def _prepare(self, cursor: Any) -> tuple[str, str]:
        """Create the staging table (if this transaction has none yet) like the target; the two statements of a chunk.

        Like the target: each column's type (JSON ones as text) and compression. ``CREATE … AS``
        would give every column the server's default compression, and a value is compressed when
        the staging table stores it and kept as it is by the move: a column that asks for lz4
        (migration 0015) would get pglz, several times slower on a 1C line's kilobytes.
        """
        cursor.execute(
            "SELECT attname, atttypid::integer, format_type(atttypid, atttypmod), attcompression FROM pg_attribute"
            " WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
            (self.table.name,),
        )
        target = {str(name): (int(oid), str(sql_type), str(code)) for name, oid, sql_type, code in cursor.fetchall()}
        json_names = {self.names[i] for i in self.json_at}
        staged, moved, compression = [], [], []
        for name in self.names:
            _, sql_type, code = target[name]
            staged.append(f"NULL::text AS {name}" if name in json_names else name)
            moved.append(f"{name}::{sql_type}" if name in json_names else name)
            if code in _COMPRESSION:
                compression.append(f"ALTER COLUMN {name} SET COMPRESSION {_COMPRESSION[code]}")
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {self.staging} ON COMMIT DROP AS"
            f" SELECT {', '.join(staged)}, NULL::integer AS staged_order FROM {self.table.name} WITH NO DATA"
        )
        if compression:
            cursor.execute(f"ALTER TABLE {self.staging} {', '.join(compression)}")
        self.types = [_TEXT_OID if name in json_names else target[name][0] for name in self.names] + [_INTEGER_OID]
        cursor.execute("SELECT current_setting('work_mem')")
        (work_mem,) = cursor.fetchone()
        listed = ", ".join(self.names)
        on_conflict = f" ON CONFLICT ({', '.join(self.conflict_columns)}) DO NOTHING" if self.conflict_columns else ""
        # The move sorts the chunk's whole rows by their order; 5,000 1C lines are about 11 MB, and
        # with the default work_mem (4 MB) each chunk was sorted on disk. The setting is the
        # transaction's for the one statement, then what it was (one round trip, no parameters).
        return (
            f"COPY {self.staging} ({listed}, staged_order) FROM STDIN (FORMAT BINARY)",
            f"SET LOCAL work_mem = '{_SORT_MEMORY}';"
            f" INSERT INTO {self.table.name} ({listed}) SELECT {', '.join(moved)} FROM {self.staging}"
            f" ORDER BY staged_order{on_conflict};"
            f" SET LOCAL work_mem = '{work_mem}'",
        )


_COMPRESSION = {"l": "lz4", "p": "pglz"}  # pg_attribute.attcompression; '' is the server's default
_TEXT_OID, _INTEGER_OID = 25, 23
_SORT_MEMORY = "64MB"  # a chunk of the widest lines sorted in memory (see _StagedMover._prepare)
