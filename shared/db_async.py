"""Asyncio connections to PostgreSQL, for the API's hot read path (the status reads).

Everything else goes through SQLAlchemy's engine (:mod:`shared.db`) from worker threads. The
status read ("is this paid?") is the one route other services call all day, so it runs on the
event loop itself: one statement through psycopg's own async connection, with no thread hop, no
ORM and no session. ``docs/benchmarks.md`` ("Status reads") measures why.

:class:`AsyncPool` is deliberately small, and behaves as SQLAlchemy's pool does where it matters:

* no idle connection and room for one more: connect now. While PostgreSQL is down that fails at
  once, and the request answers 503 at once, instead of waiting for a background reconnect;
* a kept connection that fails (the server restarted since it was last used) is dropped and the
  work is tried once more on a new connection, so a restart costs no request an error afterwards;
* every connection in use: wait for one to come back, at most ``timeout`` seconds.

A pool belongs to one event loop (a uvicorn worker has one; the tests start a server, and so a
loop, per app), so pools are kept per loop and closed by the app's lifespan when its loop ends.
SQLite has no async counterpart here: the embedded mode answers status reads on the sync path.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from psycopg import AsyncConnection, OperationalError
from psycopg.pq import TransactionStatus

from shared.config import get_settings
from shared.db import PG_CONNECT_TIMEOUT

# Connections per API worker process for the status reads. A read holds one for a single round
# trip (well under a millisecond of server time), so a few serve hundreds of concurrent clients;
# the rest of the process keeps its own SQLAlchemy pool.
POOL_MAX_SIZE = 6
# A request waits this long for a connection when all are busy, then answers 503.
POOL_TIMEOUT_SECONDS = 5.0

T = TypeVar("T")


class PoolExhausted(Exception):
    """Every connection stayed busy for the whole timeout: PostgreSQL is too slow to answer now."""


class AsyncPool:
    """Up to ``max_size`` autocommit connections to ``conninfo`` (see the module's docstring)."""

    def __init__(self, conninfo: str, max_size: int = POOL_MAX_SIZE, timeout: float = POOL_TIMEOUT_SECONDS) -> None:
        self.conninfo, self.max_size, self.timeout = conninfo, max_size, timeout
        self._idle: list[AsyncConnection[Any]] = []
        self._open = 0  # connections made and not closed: idle or in use
        self._returned = asyncio.Condition()

    async def run(self, work: Callable[[AsyncConnection[Any]], Awaitable[T]]) -> T:
        """``work`` on a connection; once more on a new one if a kept connection turned out dead."""
        conn, kept = await self._acquire()
        try:
            result = await work(conn)
        except OperationalError:
            await self._discard(conn)
            if not kept:
                raise
            conn, _ = await self._acquire(fresh=True)
            try:
                result = await work(conn)
            except BaseException:
                await self._discard(conn)
                raise
        except BaseException:
            await self._discard(conn)
            raise
        await self._release(conn)
        return result

    async def close(self) -> None:
        while self._idle:
            await self._idle.pop().close()
            self._open -= 1

    async def _acquire(self, *, fresh: bool = False) -> tuple[AsyncConnection[Any], bool]:
        async with self._returned:
            if self._idle and not fresh:
                return self._idle.pop(), True
            if self._open >= self.max_size:
                try:
                    await asyncio.wait_for(self._returned.wait_for(self._has_room), self.timeout)
                except TimeoutError:
                    raise PoolExhausted(f"no database connection free within {self.timeout:.0f}s") from None
                if self._idle and not fresh:
                    return self._idle.pop(), True
            self._open += 1  # reserved before connecting, so concurrent requests cannot overshoot
        try:
            conn = await AsyncConnection.connect(
                self.conninfo,
                autocommit=True,
                connect_timeout=PG_CONNECT_TIMEOUT,
                options="-c TimeZone=UTC",  # timestamps inside the JSON PostgreSQL builds carry the session's zone
            )
        except BaseException:
            await self._forget()
            raise
        return conn, False

    def _has_room(self) -> bool:
        return bool(self._idle) or self._open < self.max_size

    async def _release(self, conn: AsyncConnection[Any]) -> None:
        if conn.closed or conn.info.transaction_status != TransactionStatus.IDLE:
            await self._discard(conn)
            return
        async with self._returned:
            self._idle.append(conn)
            self._returned.notify()

    async def _discard(self, conn: AsyncConnection[Any]) -> None:
        try:
            await conn.close()
        finally:
            await self._forget()

    async def _forget(self) -> None:
        async with self._returned:
            self._open -= 1
            self._returned.notify()


_pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, AsyncPool]] = weakref.WeakKeyDictionary()


def is_postgres_url(url: str) -> bool:
    return url.startswith(("postgresql", "postgres:"))


def libpq_url(sqlalchemy_url: str) -> str:
    """``postgresql+psycopg://…`` (SQLAlchemy's form, with its driver) as libpq's ``postgresql://…``."""
    scheme, sep, rest = sqlalchemy_url.partition("://")
    return scheme.split("+", 1)[0] + sep + rest


async def async_pool() -> AsyncPool | None:
    """This loop's pool for the configured database; None on SQLite."""
    url = get_settings().effective_database_url
    if not is_postgres_url(url):
        return None
    per_loop = _pools.setdefault(asyncio.get_running_loop(), {})
    pool = per_loop.get(url)
    if pool is None:
        pool = per_loop[url] = AsyncPool(libpq_url(url))
    return pool


async def close_async_pools() -> None:
    """Close this loop's pools (the app's shutdown)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # pragma: no cover - called outside a loop: nothing of ours to close
        return
    for pool in _pools.pop(loop, {}).values():
        await pool.close()
