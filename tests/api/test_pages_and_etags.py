"""Lists: cursor pages that neither skip nor repeat while rows are inserted; filters; ETags; rate limits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sverka_client import InvalidInputError, RateLimitedError, SverkaClient

from services.reconciler.api.ratelimit import InProcessLimiter
from tests.api.conftest import INN_B, invoice
from tests.api.keys import bearer, issue_key


def test_paging_while_others_insert_returns_every_existing_row_exactly_once(
    client: Callable[..., SverkaClient],
) -> None:
    writer, reader = client(), client("read")
    writer.create_invoices([invoice(f"OLD-{i:02}") for i in range(23)])
    existing = {i.number for i in reader.iter_invoices()}

    seen: list[str] = []
    page = reader.list_invoices(limit=5)
    round_ = 0
    while True:
        seen.extend(i.number for i in page.data)
        # Between every two pages another service inserts invoices (and updates one we already read).
        writer.create_invoices([invoice(f"NEW-{round_}-{k}") for k in range(3)])
        writer.create_invoice(invoice("OLD-00", "1.00"))
        round_ += 1
        if not page.has_more:
            break
        page = reader.list_invoices(limit=5, cursor=page.next_cursor)

    assert len(seen) == len(set(seen)), "a row was repeated"
    assert existing <= set(seen), "a row that existed was skipped"
    assert seen[: len(existing)] == sorted(existing)


def test_updated_since_in_update_order_follows_changes(client: Callable[..., SverkaClient]) -> None:
    c = client()
    c.create_invoices([invoice(f"INV-{i}") for i in range(4)])
    mark = datetime.now(UTC)
    c.create_invoice(invoice("INV-2", "5.00"))
    c.cancel_invoice(c.find_invoice("INV-0").id, "wrong customer")

    changed = [i.number for i in c.iter_invoices(order="updated_at", updated_since=mark, limit=1)]

    assert changed == ["INV-2", "INV-0"]


def test_filters_narrow_lists(client: Callable[..., SverkaClient]) -> None:
    c = client()
    c.create_invoices(
        [
            invoice("A", "100.00", due_date="2026-06-01"),
            invoice("B", "250.50", due_date="2026-07-01"),
            invoice("C", "999.99", inn=INN_B),
        ]
    )
    c.cancel_invoice(c.find_invoice("A").id, "dup")

    def numbers(**f: object) -> list[str]:
        return [i.number for i in c.iter_invoices(**f)]

    assert numbers(status=["open"]) == ["B", "C"]
    assert numbers(status=["open", "cancelled"], due_to="2026-06-30") == ["A"]
    assert numbers(currency="RUB", amount_min="250.50", amount_max="999.98") == ["B"]
    assert numbers(partner_inn=INN_B) == ["C"]
    with pytest.raises(InvalidInputError) as no_currency:
        numbers(amount_min="1")
    assert no_currency.value.field == "currency"
    with pytest.raises(InvalidInputError) as bad_cursor:
        numbers(cursor="not-a-cursor")
    assert bad_cursor.value.field == "cursor"
    with pytest.raises(InvalidInputError):
        numbers(updated_since=(datetime.now(UTC) - timedelta(days=1)).replace(tzinfo=None))


def test_a_read_answers_304_until_what_it_says_changes(client: Callable[..., SverkaClient], base_url: str) -> None:
    created = client().create_invoice(invoice("INV-1"))
    with httpx.Client(base_url=base_url, headers=bearer(issue_key())) as http:
        first = http.get(f"/v1/invoices/{created.id}")
        tag = first.headers["ETag"]
        unchanged = http.get(f"/v1/invoices/{created.id}", headers={"If-None-Match": tag})
        weak = http.get(f"/v1/invoices/{created.id}", headers={"If-None-Match": f'W/{tag}, "other"'})
        http.post(f"/v1/invoices/{created.id}/cancel", json={"reason": "void"})
        changed = http.get(f"/v1/invoices/{created.id}", headers={"If-None-Match": tag})

    assert (unchanged.status_code, unchanged.content, unchanged.headers["ETag"]) == (304, b"", tag)
    assert weak.status_code == 304
    assert changed.status_code == 200 and changed.headers["ETag"] != tag
    assert changed.json()["status"] == "cancelled"


def test_the_client_reuses_its_copy_on_304(client: Callable[..., SverkaClient]) -> None:
    c = client()
    created = c.create_invoice(invoice("INV-1"))
    first = c.get_invoice(created.id)
    again = c.get_invoice(created.id)
    assert c.last_response is not None and c.last_response.status_code == 304
    assert again == first


def test_a_key_over_its_rate_gets_429_with_retry_after(app: FastAPI, client: Callable[..., SverkaClient]) -> None:
    app.state.rate_limiter = InProcessLimiter(rate=0.5, burst=2)
    busy, other = client("read"), client("read")
    busy.list_invoices()
    busy.list_invoices()
    with pytest.raises(RateLimitedError) as limited:
        busy.list_invoices()
    assert limited.value.retry_after >= 1
    assert other.list_invoices().data == ()  # buckets are per key


@pytest.mark.redis
def test_with_redis_the_bucket_is_shared_by_every_worker(redis_url: str) -> None:
    import redis

    from services.reconciler.api.ratelimit import RedisLimiter

    connection = redis.Redis.from_url(redis_url)
    connection.delete("sverka:ratelimit:key:shared")
    worker_one, worker_two = RedisLimiter(connection, rate=0.5, burst=2), RedisLimiter(connection, rate=0.5, burst=2)

    assert worker_one.take("key:shared") is None
    assert worker_two.take("key:shared") is None
    wait = worker_one.take("key:shared")
    assert wait is not None and 0 < wait <= 2.0
    connection.close()


@pytest.mark.redis
def test_a_key_with_a_high_rate_takes_its_tokens_from_redis_a_few_at_a_time(redis_url: str) -> None:
    """At 1,000/s a worker takes 10 tokens per script and spends them itself for up to 0.1 s: the
    shared bucket still counts every one of them, and Redis sees a tenth of the requests."""
    import asyncio

    import redis
    import redis.asyncio

    from services.reconciler.api.ratelimit import RedisLimiter, lease_size

    assert (lease_size(50, 200), lease_size(1000, 2000), lease_size(1000, 50)) == (1, 10, 5)
    connection = redis.Redis.from_url(redis_url)
    connection.delete("sverka:ratelimit:key:busy")

    def scripts_run() -> int:
        return int(connection.info("commandstats").get("cmdstat_evalsha", {}).get("calls", 0))

    now = [0.0]
    limiter = RedisLimiter(connection, rate=1000, burst=2000, clock=lambda: now[0])
    before = scripts_run()
    assert all(limiter.take("key:busy") is None for _ in range(20))
    assert scripts_run() - before == 2
    left = float(connection.hget("sverka:ratelimit:key:busy", "tokens") or 0)
    assert left <= 2000 - 20 + 5, "the 20 tokens (and no more than a lease) came out of the shared bucket"

    now[0] = 0.2  # the rest of the lease has lapsed: the next take asks Redis again
    before = scripts_run()
    assert limiter.take("key:busy") is None
    assert scripts_run() - before == 1

    async def async_takes() -> int:
        client = redis.asyncio.Redis.from_url(redis_url)
        on_the_loop = RedisLimiter(connection, rate=1000, burst=2000, async_client=client, clock=lambda: now[0])
        started = scripts_run()
        assert all([await on_the_loop.atake("key:busy") is None for _ in range(20)])
        await client.aclose()
        return scripts_run() - started

    assert asyncio.run(async_takes()) == 2
    connection.close()
