"""Database engine and session scopes.

Only the boundary (a request, a task, a CLI command) commits or rolls back, through
:func:`session_scope`; services only ``flush``. The same code runs on SQLite (embedded default)
and PostgreSQL (production); the few dialect differences live here.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import JSON, Table, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import Session, create_engine

from shared.config import get_settings


def _sqlite_on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # WAL lets readers (the API) run while the matcher writes; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


PG_CONNECT_TIMEOUT = 5  # seconds


def make_engine(url: str) -> Engine:
    """An engine for ``url`` with the pragmas and pool settings Sverka relies on."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
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
    stmt: Any
    if dialect == "postgresql":
        stmt = postgresql.insert(table).on_conflict_do_nothing(index_elements=list(conflict_columns))
    elif dialect == "sqlite":
        stmt = sqlite.insert(table).on_conflict_do_nothing(index_elements=list(conflict_columns))
    else:  # pragma: no cover - only the two supported databases
        raise RuntimeError(f"unsupported database dialect {dialect}")
    session.execute(stmt, list(rows))


_staging_tables = itertools.count(1)


def bulk_insert_ignoring_conflicts(
    session: Session, table: Table, rows: Sequence[dict[str, Any]], conflict_columns: Sequence[str]
) -> None:
    """:func:`insert_ignoring_conflicts` for many rows (a statement's lines): on PostgreSQL by ``COPY``.

    Why: one ``INSERT … ON CONFLICT`` per row spends most of an import in per-statement work on
    the server. Here the rows are copied into a temporary table of the transaction, then moved with
    a single ``INSERT … SELECT … ON CONFLICT DO NOTHING`` in their order: the same rows, the same
    constraint deciding duplicates (against any import, even a concurrent one), a fraction of the
    time (docs/benchmarks.md, "Import into PostgreSQL"). SQLite takes the plain path.
    """
    if not rows:
        return
    if not is_postgres(session):
        for start in range(0, len(rows), 5000):
            insert_ignoring_conflicts(session, table, rows[start : start + 5000], conflict_columns)
        return
    from psycopg.types.json import Jsonb

    names = list(rows[0])
    json_columns = {c.name for c in table.columns if isinstance(c.type, JSON | postgresql.JSONB)}
    wrap = [name in json_columns for name in names]
    staging = f"staging_{table.name}_{next(_staging_tables)}"
    listed = ", ".join(names)
    driver = session.connection().connection.driver_connection
    assert driver is not None, "a session in a transaction has its connection"
    with driver.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE {staging} ON COMMIT DROP AS SELECT {listed} FROM {table.name} WITH NO DATA")
        cursor.execute(f"ALTER TABLE {staging} ADD COLUMN staged_order integer")
        with cursor.copy(f"COPY {staging} ({listed}, staged_order) FROM STDIN") as copy:
            for order, row in enumerate(rows):
                values = [Jsonb(row[n]) if w else row[n] for n, w in zip(names, wrap, strict=True)]
                copy.write_row((*values, order))
        cursor.execute(
            f"INSERT INTO {table.name} ({listed}) SELECT {listed} FROM {staging} ORDER BY staged_order"
            f" ON CONFLICT ({', '.join(conflict_columns)}) DO NOTHING"
        )


def insert_returning_ids(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Bulk INSERT that hands back the new primary keys in the order of ``rows``."""
    ids: list[int] = []
    for start in range(0, len(rows), 5000):
        chunk = list(rows[start : start + 5000])
        result = session.execute(table.insert().returning(table.c.id, sort_by_parameter_order=True), chunk)
        ids.extend(int(r[0]) for r in result)
    return ids


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
