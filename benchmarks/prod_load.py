"""A small HTTP/1.1 load generator for the status API, run as its own process (issue 7's "second process").

locust and wrk are not installed on our machines, so this is the least a load generator must do, in
one process: keep-alive connections on raw asyncio streams (no HTTP client library on the hot path:
the generator shares the 2 cores with the server and should spend as little of them as it can),
``GET /v1/invoices/{id}`` and ``GET /v1/invoices/by-number?number=…`` alternately, for ids and
numbers drawn at random from a targets file, with ``Authorization: Bearer <key>``.

Two ways to load:

* closed loop (default): ``--connections`` clients each send their next request as soon as the
  previous one is answered; the requests/s is what the server sustains at that concurrency;
* open loop (``--rate R``): requests are *scheduled* at R per second in total, whatever the answers
  do, and each latency counts from its scheduled time (wrk2's correction for coordinated omission),
  so a server that falls behind shows it in p99 instead of quietly receiving fewer requests.

Prints one JSON object: requests, requests/s, p50/p90/p99/max in ms, errors by kind.

    python -m benchmarks.prod_load --url http://127.0.0.1:8000 --key svk_… --targets targets.json --seconds 20
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)


def request_paths(targets: dict[str, Any], count: int, seed: int) -> list[str]:
    """Half by id, half by number (the two ways a service asks "is this paid?")."""
    rng = random.Random(seed)  # noqa: S311 - load shape, not secrecy
    ids: list[int] = targets["ids"]
    numbers: list[str] = targets["numbers"]
    paths = []
    for n in range(count):
        if n % 2 == 0:
            paths.append(f"/v1/invoices/{rng.choice(ids)}")
        else:
            paths.append(f"/v1/invoices/by-number?number={quote(rng.choice(numbers))}")
    return paths


class Connection:
    """One keep-alive HTTP/1.1 connection; reconnects after an error."""

    def __init__(self, host: str, port: int, headers: bytes) -> None:
        self.host, self.port, self.headers = host, port, headers
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(b"GET " + path.encode() + b" HTTP/1.1\r\n" + self.headers)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        close = False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            lowered = name.strip().lower()
            if lowered == b"content-length":
                length = int(value)
            elif lowered == b"connection" and value.strip().lower() == b"close":
                close = True
        if length:
            await self.reader.readexactly(length)
        if close:
            await self.close()
        return status

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


async def _one(conn: Connection, path: str, began: float, tally: Tally, timeout: float) -> None:
    try:
        status = await asyncio.wait_for(conn.get(path), timeout)
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
        tally.errors[type(exc).__name__] += 1
        await conn.close()
        return
    except TimeoutError:
        tally.errors["timeout"] += 1
        await conn.close()
        return
    tally.latencies.append(time.perf_counter() - began)
    tally.statuses[status] += 1


async def closed_loop(
    url: str, headers: bytes, paths: list[str], connections: int, seconds: float, timeout: float
) -> tuple[Tally, float]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    tally = Tally()
    stop_at = time.perf_counter() + seconds

    async def client(n: int) -> None:
        conn = Connection(host, port, headers)
        i = n
        while time.perf_counter() < stop_at:
            await _one(conn, paths[i % len(paths)], time.perf_counter(), tally, timeout)
            i += connections
        await conn.close()

    began = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(connections)))
    return tally, time.perf_counter() - began


async def open_loop(
    url: str, headers: bytes, paths: list[str], connections: int, seconds: float, rate: float, timeout: float
) -> tuple[Tally, float]:
    """Requests scheduled at ``rate``/s; a free connection takes the next due one, latency from its schedule."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    tally = Tally()
    total = int(seconds * rate)
    start = time.perf_counter() + 0.05
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(total):
        queue.put_nowait(n)

    async def client() -> None:
        conn = Connection(host, port, headers)
        while True:
            try:
                n = queue.get_nowait()
            except asyncio.QueueEmpty:
                break
            due = start + n / rate
            wait = due - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
            await _one(conn, paths[n % len(paths)], due, tally, timeout)
        await conn.close()

    await asyncio.gather(*(client() for _ in range(connections)))
    return tally, time.perf_counter() - start


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, max(0, round(q * len(sorted_values)) - 1))]


def summary(tally: Tally, elapsed: float, **extra: Any) -> dict[str, Any]:
    lat = sorted(tally.latencies)
    ok = sum(n for status, n in tally.statuses.items() if status == 200)
    return {
        **extra,
        "requests": len(lat),
        "seconds": round(elapsed, 2),
        "requests_per_second": round(len(lat) / elapsed, 1) if elapsed else 0.0,
        "ok_per_second": round(ok / elapsed, 1) if elapsed else 0.0,
        "p50_ms": round(percentile(lat, 0.50) * 1000, 2),
        "p90_ms": round(percentile(lat, 0.90) * 1000, 2),
        "p99_ms": round(percentile(lat, 0.99) * 1000, 2),
        "max_ms": round((lat[-1] if lat else float("nan")) * 1000, 2),
        "statuses": {str(k): v for k, v in sorted(tally.statuses.items())},
        "errors": sum(n for status, n in tally.statuses.items() if status != 200) + sum(tally.errors.values()),
        "transport_errors": dict(tally.errors),
    }


def run(
    url: str,
    key: str,
    targets: dict[str, Any],
    *,
    seconds: float,
    connections: int,
    rate: float | None,
    warmup: float,
    timeout: float,
    seed: int,
) -> dict[str, Any]:
    host = urlsplit(url).netloc
    headers = f"Host: {host}\r\nAuthorization: Bearer {key}\r\nAccept: application/json\r\n\r\n".encode()
    budget = int((rate or 5000) * (seconds + warmup) * 2) + 1000
    paths = request_paths(targets, min(budget, 400_000), seed)
    if warmup > 0:  # connections opened, every worker's first requests (imports, pools) out of the numbers
        asyncio.run(closed_loop(url, headers, paths[::-1], connections, warmup, timeout))
    if rate:
        tally, elapsed = asyncio.run(open_loop(url, headers, paths, connections, seconds, rate, timeout))
        return summary(tally, elapsed, mode="open", target_rate=rate, connections=connections)
    tally, elapsed = asyncio.run(closed_loop(url, headers, paths, connections, seconds, timeout))
    return summary(tally, elapsed, mode="closed", connections=connections)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.prod_load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="the API's base URL")
    parser.add_argument("--key", required=True, help="an API key with the read scope")
    parser.add_argument("--targets", type=Path, required=True, help='JSON {"ids": [...], "numbers": [...]}')
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rate", type=float, default=None, help="open loop at this many requests/s in total")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--timeout", type=float, default=10.0, help="a request slower than this is an error")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    targets = json.loads(args.targets.read_text(encoding="utf-8"))
    result = run(
        args.url,
        args.key,
        targets,
        seconds=args.seconds,
        connections=args.connections,
        rate=args.rate,
        warmup=args.warmup,
        timeout=args.timeout,
        seed=args.seed,
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
