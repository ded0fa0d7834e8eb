"""The status reads' connection pool: fails at once while PostgreSQL is away, heals after a restart."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import psycopg
import pytest

from shared.db_async import AsyncPool, PoolExhausted, libpq_url
from tests.servers import free_port

pytestmark = pytest.mark.postgres


async def _backend_pid(conn: psycopg.AsyncConnection[Any]) -> int:
    row = await (await conn.execute("SELECT pg_backend_pid()")).fetchone()
    assert row is not None
    return int(row[0])


def test_a_connection_the_server_dropped_is_replaced_without_failing_the_request(postgres_admin_url: str) -> None:
    async def scenario() -> tuple[int, int, int]:
        pool = AsyncPool(libpq_url(postgres_admin_url))
        first = await pool.run(_backend_pid)
        with psycopg.connect(libpq_url(postgres_admin_url), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (first,))  # as a restart would
        second = await pool.run(_backend_pid)
        third = await pool.run(_backend_pid)
        await pool.close()
        return first, second, third

    first, second, third = asyncio.run(scenario())
    assert second != first, "the dead connection was dropped and the work ran on a new one"
    assert third == second, "and the new one is kept"


def test_with_the_server_away_a_request_fails_at_once_instead_of_waiting() -> None:
    pool = AsyncPool(f"postgresql://sverka@127.0.0.1:{free_port()}/sverka")
    started = time.monotonic()
    with pytest.raises(psycopg.OperationalError):
        asyncio.run(pool.run(_backend_pid))
    assert time.monotonic() - started < 2


def test_when_every_connection_stays_busy_the_next_request_gives_up_after_the_timeout(
    postgres_admin_url: str,
) -> None:
    async def scenario() -> None:
        pool = AsyncPool(libpq_url(postgres_admin_url), max_size=1, timeout=0.2)

        async def slow(conn: psycopg.AsyncConnection[Any]) -> None:
            await conn.execute("SELECT pg_sleep(1)")

        busy = asyncio.create_task(pool.run(slow))
        await asyncio.sleep(0.1)
        with pytest.raises(PoolExhausted):
            await pool.run(_backend_pid)
        await busy
        assert await pool.run(_backend_pid) > 0, "once it is back, the connection serves again"
        await pool.close()

    asyncio.run(scenario())
