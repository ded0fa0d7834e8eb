"""Database engine and session scopes.

Only the boundary (a request, a task, a CLI command) commits or rolls back, through
:func:`session_scope`; services only ``flush``. The same code runs on SQLite (embedded default)
and PostgreSQL (production); the few dialect differences live here.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Table, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import Session, create_engine

from shared import json_text
from shared.config import get_settings


def _sqlite_on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # WAL lets readers (the API) run while the matcher writes; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    # 16 MiB of page cache instead of 2: an import's or a matcher run's inserts maintain several
    # indexes keyed at random (the journal's hashes); with 2 MiB their pages were read back from
    # the file again and again (about 1 s of system time in an import of 100,000 invoices).
    cursor.execute("PRAGMA cache_size=-16384")
    cursor.close()


PG_CONNECT_TIMEOUT = 5  # seconds


def make_engine(url: str) -> Engine:
    """An engine for ``url`` with the pragmas and pool settings Sverka relies on."""
    if url.startswith("sqlite"):
        # JSON columns written by a serializer made once (``shared.json_text``): the same text as json.dumps.
        engine = create_engine(url, connect_args={"check_same_thread": False}, json_serializer=json_text.dumps)
        event.listen(engine, "connect", _sqlite_on_connect)
        return engine
    # A server that does not answer fails the request in seconds instead of holding it for minutes.
    return create_engine(
        url,
        pool_pre_ping=True,
        # As many kept as a process uses at once (FastAPI's thread pool runs many requests): with
        # fewer, connections beyond the kept ones were closed on return and opened again on the next
        # burst, and each new connection costs PostgreSQL a process (docs/benchmarks.md).
        pool_size=10,
        max_overflow=5,
        connect_args={"connect_timeout": PG_CONNECT_TIMEOUT},
    )


# SQLSTATEs meaning "the server is not there for us now", not "this statement failed": connection
# exceptions (class 08) and a server shutting down or still starting (57P01 admin, 57P02 crash, 57P03).
_UNAVAILABLE_SQLSTATES = ("08", "57P01", "57P02", "57P03")


def database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database cannot be reached (worth retrying later), not that a query failed.

    True for a connection SQLAlchemy found dead (``connection_invalidated``: the server went away
    mid-request), for the SQLSTATEs above, and for psycopg's connection failures, which carry no
    SQLSTATE (refused, reset, closed). A deadlock, a constraint or a syntax error is not an outage.
    """
    from sqlalchemy.exc import DBAPIError

    if not isinstance(exc, DBAPIError):
        return False
    return bool(exc.connection_invalidated) or postgres_unavailable(exc.orig)


def postgres_unavailable(error: BaseException | None) -> bool:
    """The same judgement on psycopg's own exception (the async status reads use psycopg directly)."""
    if error is None:
        return False
    sqlstate = getattr(error, "sqlstate", None)
    if sqlstate is None:
        return type(error).__module__.startswith("psycopg") and type(error).__name__ in (
            "OperationalError",
            "InterfaceError",
        )
    return str(sqlstate).startswith(_UNAVAILABLE_SQLSTATES)


_engines: dict[str, Engine] = {}


def _engine_for(url: str) -> Engine:
    engine = _engines.get(url)
    if engine is None:
        engine = _engines[url] = make_engine(url)
    return engine


def dispose_engines() -> None:
    """Close every pooled connection (tests between databases, workers after fork)."""
    while _engines:
        _engines.popitem()[1].dispose()


def get_engine() -> Engine:
    """The process-wide engine for the configured database."""
    settings = get_settings()
    if settings.effective_database_url.startswith("sqlite"):
        settings.var_dir.mkdir(parents=True, exist_ok=True)
    return _engine_for(settings.effective_database_url)


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any exception."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def is_postgres(bind: Session | Connection | Engine) -> bool:
    engine = bind.get_bind() if isinstance(bind, Session) else bind
    return engine.dialect.name == "postgresql"


def insert_ignoring_conflicts(
    session: Session, table: Table, rows: Sequence[dict[str, Any]], conflict_columns: Sequence[str]
) -> None:
    """Bulk INSERT … ON CONFLICT DO NOTHING: idempotency from a unique constraint, not check-then-act.

    Concurrent importers of the same data each try to insert; the constraint keeps one copy.
    """
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql" and len(rows) >= SMALL_BATCH:
        # Many rows (an import's invoice lookup keys) go the way of a statement's lines. As one
        # executemany, psycopg sent and SQLAlchemy prepared a statement per row, the largest part
        # of importing invoices into PostgreSQL (docs/benchmarks.md).
        bulk_insert_ignoring_conflicts(session, table, rows, conflict_columns)
    elif dialect == "postgresql":
        stmt = postgresql.insert(table).on_conflict_do_nothing(index_elements=list(conflict_columns))
        session.execute(stmt, list(rows))
    elif dialect == "sqlite":
        execute_many(session, sqlite.insert(table).on_conflict_do_nothing(index_elements=list(conflict_columns)), rows)
    else:  # pragma: no cover - only the two supported databases
        raise RuntimeError(f"unsupported database dialect {dialect}")


def bulk_insert_ignoring_conflicts(
    session: Session,
    table: Table,
    rows: Iterable[dict[str, Any]],
    conflict_columns: Sequence[str],
    *,
    skip_stored: bool = False,
) -> None:
    """:func:`insert_ignoring_conflicts` for many rows (a statement's lines), taken from ``rows`` as needed.

    On PostgreSQL by ``COPY`` into a staging table, chunk by chunk, each stored while the next is
    built (``shared/db_bulk.py`` says why); SQLite takes the plain path, a chunk at a time.
    ``skip_stored``: many rows are likely stored already; PostgreSQL then copies only the others.
    """
    from shared import db_bulk

    row_chunks = db_bulk.chunks(rows)
    if not is_postgres(session):
        for chunk in row_chunks:
            insert_ignoring_conflicts(session, table, chunk, conflict_columns)
        return
    db_bulk.copy_ignoring_conflicts(_driver(session), table, row_chunks, conflict_columns, skip_stored)


SMALL_BATCH = 500  # rows below which one multi-row statement costs less than setting up a COPY


def bulk_insert(session: Session, table: Table, rows: Iterable[dict[str, Any]]) -> None:
    """Many new rows (journal events, outbox events, allocations), taken from ``rows`` as needed.

    PostgreSQL, from :data:`SMALL_BATCH` rows: by ``COPY``, chunk by chunk (``shared/db_bulk.py``);
    as multi-row statements, building and re-reading each statement cost more than the server
    spent on it. Fewer rows, and SQLite: one ``executemany`` per chunk.
    """
    from shared import db_bulk

    row_chunks = db_bulk.chunks(rows)
    first = next(row_chunks, None)
    if first is None:
        return
    if is_postgres(session) and len(first) >= SMALL_BATCH:
        db_bulk.copy_rows(_driver(session), table, itertools.chain([first], row_chunks))
        return
    postgres = is_postgres(session)
    for chunk in itertools.chain([first], row_chunks):
        if postgres:
            session.execute(table.insert(), chunk)
        else:
            execute_many(session, table.insert(), chunk)


def _driver(session: Session) -> Any:
    """The transaction's psycopg connection (the session's changes so far written to it first)."""
    session.flush()
    driver = session.connection().connection.driver_connection
    assert driver is not None, "a session in a transaction has its connection"
    return driver


def insert_returning_ids(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Bulk INSERT that hands back the new primary keys in the order of ``rows``.

    PostgreSQL, from :data:`SMALL_BATCH` rows: the ids are taken from the table's sequence first and
    the rows copied with them (``db_bulk.next_ids``); fewer rows: ``INSERT … RETURNING``. SQLite
    cannot return them in order from one batch (SQLAlchemy then falls back to one INSERT per row,
    which dominated storing a matcher run); there each chunk is one ``executemany`` and its ids are
    read back: a transaction that writes holds SQLite's only write lock, so its rows take
    consecutive ids in the order they were inserted — checked, not assumed.
    """
    if any("id" in row for row in rows):
        raise ValueError("insert_returning_ids assigns the ids; rows must not carry their own")
    postgres = is_postgres(session)
    if postgres and len(rows) >= SMALL_BATCH:
        from shared import db_bulk

        driver = _driver(session)
        given = db_bulk.next_ids(driver, table, len(rows))
        db_bulk.copy_rows(driver, table, db_bulk.chunks({**row, "id": i} for i, row in zip(given, rows, strict=True)))
        return given
    ids: list[int] = []
    for start in range(0, len(rows), 5000):
        chunk = list(rows[start : start + 5000])
        if postgres:
            result = session.execute(table.insert().returning(table.c.id, sort_by_parameter_order=True), chunk)
            ids.extend(int(r[0]) for r in result)
        else:
            ids.extend(_insert_reading_back_sqlite_ids(session, table, chunk))
    return ids


def _insert_reading_back_sqlite_ids(session: Session, table: Table, chunk: list[dict[str, Any]]) -> range:
    from sqlalchemy import func, select

    execute_many(session, table.insert(), chunk)
    last = int(session.execute(select(func.max(table.c.id))).scalar_one())
    first = last - len(chunk) + 1
    stored = session.execute(select(func.count()).where(table.c.id.between(first, last))).scalar_one()
    if stored != len(chunk):
        raise RuntimeError(f"{table.name}: the new rows did not take consecutive ids ({stored} of {len(chunk)})")
    return range(first, last + 1)


def execute_many(session: Session, statement: Any, rows: Sequence[dict[str, Any]]) -> None:
    """``session.execute(statement, rows)`` for SQLite: one ``executemany`` with the same values, bound faster.

    Why: for each row SQLAlchemy builds a parameter dictionary and calls every column type's bind
    processor through several layers, which cost more than SQLite spent storing the row (journal
    events, invoices, lookup keys: docs/benchmarks.md, "Reconciliation flow"). Here the statement
    is compiled once for the rows' keys and each row becomes a tuple, every value passed through
    the very processor SQLAlchemy would call (a value repeated from the previous row, such as a
    batch's timestamp, is converted once). A statement with parameters the rows do not give (a
    column's Python-side default) is left to SQLAlchemy.
    """
    if not rows:
        return
    if session.autoflush:  # as ``session.execute`` does: pending ORM changes are written first
        session.flush()
    connection = session.connection()
    dialect = connection.dialect
    names = list(rows[0])
    compiled = statement.compile(dialect=dialect, column_keys=names)
    order = compiled.positiontup
    binds = [compiled.binds[name] for name in order or ()]
    if dialect.paramstyle != "qmark" or not binds or any(b.key not in rows[0] for b in binds):
        session.execute(statement, list(rows))
        return
    keys = [b.key for b in binds]
    processed = [
        (i, processor)
        for i, b in enumerate(binds)
        if (processor := b.type.dialect_impl(dialect).bind_processor(dialect)) is not None
    ]
    # Each row's values in the statement's order (itemgetter gives a tuple for two keys or more).
    values_of = operator.itemgetter(*keys)
    ordered = map(values_of, rows) if len(keys) > 1 else ((values_of(row),) for row in rows)
    parameters: list[Any] = []
    if not processed:
        parameters = list(ordered)
    else:
        last_in: list[Any] = [object()] * len(keys)
        last_out: list[Any] = [None] * len(keys)
        for given in ordered:
            values = list(given)
            for i, processor in processed:
                value = values[i]
                if value is last_in[i]:
                    values[i] = last_out[i]
                else:
                    last_in[i], values[i] = value, processor(value)
                    last_out[i] = values[i]
            parameters.append(tuple(values))
    connection.exec_driver_sql(compiled.string, parameters)


IDS_AS_ARRAY_FROM = 100  # ids from which PostgreSQL is given one array (see rows_by_ids)
IDS_PER_IN_LIST = 2000  # values per IN list: far below either database's limit on bound parameters


def in_list_chunks(values: Sequence[Any], size: int = IDS_PER_IN_LIST) -> Iterator[Sequence[Any]]:
    """``values`` in slices of at most ``size``: one IN list each (see :data:`IDS_PER_IN_LIST`)."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def any_of(column: Any, name: str) -> Any:
    """``column = ANY(:name)``, ``name`` bound as one array of integers (PostgreSQL only)."""
    from sqlalchemy import BigInteger, bindparam, func

    return column == func.any(bindparam(name, type_=postgresql.ARRAY(BigInteger)))


def rows_by_ids(session: Session, in_list: Any, as_array: Any, name: str, ids: Sequence[int]) -> Iterator[Any]:
    """The rows of a statement over many ids: ``as_array`` (its condition :func:`any_of`) with all
    of them at once on PostgreSQL, from :data:`IDS_AS_ARRAY_FROM` ids; else ``in_list`` (an
    expanding IN on ``name``) for each :data:`IDS_PER_IN_LIST` of them. Rows in no particular order.

    Why: each IN list of 2,000 values is a statement SQLAlchemy writes out and psycopg rewrites
    placeholder by placeholder (too long for its cache), every time. Reading the statuses of
    the 123,940 invoices a 100,000-invoice matcher run pays took 0.85–1.0 s of this process's CPU
    that way and 0.19–0.33 s as one array (docs/benchmarks.md, "Reconciliation flow").
    """
    if is_postgres(session) and len(ids) >= IDS_AS_ARRAY_FROM:
        yield from session.execute(as_array, {name: list(ids)})
        return
    for chunk in in_list_chunks(ids):
        yield from session.execute(in_list, {name: list(chunk)})


def columns(*attributes: Any) -> list[Any]:
    """Model attributes as SQL columns, for ``select(*columns(Model.a, Model.b))`` that type-checks."""
    from sqlmodel import col

    return [col(a) for a in attributes]


def serialize(session: Session, name: str) -> None:
    """Hold an exclusive lock named ``name`` until the transaction ends.

    For work that reads a consistent picture and then writes from it (a matcher run): two such
    runs must not both decide from the same picture. PostgreSQL: a transaction-scoped advisory
    lock. SQLite: a no-op write, which takes the database's single write lock before anything is
    read, so the snapshot read afterwards cannot be overtaken by another writer.
    """
    import zlib

    from sqlalchemy import text

    if is_postgres(session):
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": zlib.crc32(name.encode())})
    else:
        session.execute(text("UPDATE bank_account SET id = id WHERE 1 = 0"))
