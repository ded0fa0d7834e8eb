"""An asyncio connection pool to PostgreSQL, for the API's hot read path (the status reads).

Everything else goes through SQLAlchemy's engine (:mod:`shared.db`) from worker threads. The
status read ("is this paid?") is the one route other services call all day, so it runs on the
event loop itself: one pipelined round trip to PostgreSQL through psycopg's own async connection,
with no thread hop, no ORM and no session. ``docs/benchmarks.md`` ("Status reads") measures why.

A pool belongs to one event loop (a uvicorn worker has one; the tests start a server, and so a
loop, per app), so pools are kept per loop and closed by the app's lifespan when its loop ends.
SQLite has no async counterpart here: the embedded mode answers status reads on the sync path.
"""

from __future__ import annotations

import asyncio
import weakref

from psycopg_pool import AsyncConnectionPool

from shared.config import get_settings
from shared.db import PG_CONNECT_TIMEOUT

# Connections per API worker process for the status reads. A read holds one for a single round
# trip (well under a millisecond of server time), so a few serve hundreds of concurrent clients;
# the rest of the process keeps its own SQLAlchemy pool.
POOL_MIN_SIZE = 1
POOL_MAX_SIZE = 6
# A request waits this long for a free connection before answering 503 (the pool is exhausted
# only when PostgreSQL is slow or gone, and the client should then come back later).
POOL_TIMEOUT_SECONDS = 5.0

_pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, AsyncConnectionPool]] = (
    weakref.WeakKeyDictionary()
)


def is_postgres_url(url: str) -> bool:
    return url.startswith(("postgresql", "postgres:"))


def libpq_url(sqlalchemy_url: str) -> str:
    """``postgresql+psycopg://…`` (SQLAlchemy's form, with its driver) as libpq's ``postgresql://…``."""
    scheme, sep, rest = sqlalchemy_url.partition("://")
    return scheme.split("+", 1)[0] + sep + rest


async def async_pool() -> AsyncConnectionPool | None:
    """This loop's pool for the configured database, opened on first use; None on SQLite."""
    url = get_settings().effective_database_url
    if not is_postgres_url(url):
        return None
    per_loop = _pools.setdefault(asyncio.get_running_loop(), {})
    pool = per_loop.get(url)
    if pool is None:
        pool = per_loop[url] = AsyncConnectionPool(
            libpq_url(url),
            min_size=POOL_MIN_SIZE,
            max_size=POOL_MAX_SIZE,
            timeout=POOL_TIMEOUT_SECONDS,
            # autocommit: a read opens its transaction explicitly, inside the pipeline.
            # UTC: timestamps inside the JSON PostgreSQL builds carry the session's zone.
            kwargs={"autocommit": True, "connect_timeout": PG_CONNECT_TIMEOUT, "options": "-c TimeZone=UTC"},
            # A connection found broken goes back as broken and is replaced; a PostgreSQL restart
            # costs the requests in flight a 503, and the next ones reconnect.
            open=False,
        )
        await pool.open(wait=False)
    return pool


async def close_async_pools() -> None:
    """Close this loop's pools (the app's shutdown)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # pragma: no cover - called outside a loop: nothing of ours to close
        return
    for pool in _pools.pop(loop, {}).values():
        await pool.close()
