"""Webhooks on the production topology, measured at the receiving end (issue 6, issue 8 #4).

A loopback HTTP receiver in the benchmark process plays the partners' and our services' endpoints:
it verifies every request with the ``standardwebhooks`` package (what a receiver is told to do in
docs/webhooks.md), answers, and notes when each event first arrived with a 2xx. Per endpoint path
it can fail the *first* attempt of chosen events on purpose:

* ``500`` — a server error;
* ``429`` — too many requests, with ``Retry-After: 1``;
* ``slow`` — no answer for longer than the sender's read timeout (``SVERKA_WEBHOOK_TIMEOUT_SECONDS``);
* ``drop`` — the connection is closed without an answer (a network error, as a refused or reset
  connection is to the sender: a true ECONNREFUSED cannot be chosen per event on one listener).

Two measurements use it:

* :func:`statement_to_webhook` — from the answer to a statement upload (``POST /v1/statements``) to
  the ``payment.allocated`` webhook of each of its lines, which the Celery matcher settles
  automatically; split at the event's own timestamp (when the matcher wrote it) into "matcher"
  and "relay and send";
* :func:`delivery_throughput` — N events written to the outbox at once (``shared.outbox.emit_many``
  on the topology's database, type ``bench.delivery``: unknown types reach internal endpoints
  unchanged), 30 % of them failing at first: seconds until every one arrived, deliveries/s,
  attempts, duplicates.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import statistics
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from standardwebhooks import Webhook, WebhookVerificationError

from benchmarks.prod_world import make_invoices, payments_statement

Plan = Callable[[str], str]  # event id -> how to answer its first attempt ("ok", "500", "429", "slow", "drop")


def always_ok(_: str) -> str:
    return "ok"


def failing_at_first(shares: dict[str, float]) -> Plan:
    """A deterministic plan: each event id falls in one band of [0, 1) by its hash; e.g. {"500": 0.12, …}."""
    bands: list[tuple[float, str]] = []
    edge = 0.0
    for mode, share in shares.items():
        edge += share
        bands.append((edge, mode))

    def plan(event_id: str) -> str:
        x = int(hashlib.sha256(event_id.encode()).hexdigest()[:8], 16) / 0x1_0000_0000
        for upper, mode in bands:
            if x < upper:
                return mode
        return "ok"

    return plan


@dataclass
class EndpointLog:
    """What one endpoint path received."""

    webhook: Webhook
    plan: Plan
    attempts: Counter[str] = field(default_factory=Counter)  # event id -> requests seen
    delivered_at: dict[str, float] = field(default_factory=dict)  # event id -> first 2xx answer (perf_counter)
    bank_ref_at: dict[str, float] = field(default_factory=dict)  # payment.allocated: payment bank_ref -> first 2xx
    event_written_at: dict[str, float] = field(default_factory=dict)  # bank_ref -> the event's timestamp (epoch)
    failures_sent: Counter[str] = field(default_factory=Counter)
    duplicates: int = 0  # 2xx answers to an event already answered 2xx (at-least-once allows them)
    bad_signatures: int = 0


class Receiver:
    """A threaded loopback HTTP server; :meth:`add` declares an endpoint path with its secret and plan."""

    def __init__(self, slow_seconds: float = 2.0) -> None:
        self.slow_seconds = slow_seconds
        self.endpoints: dict[str, EndpointLog] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                receiver.handle(self)

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 256

        self.server = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, name="webhook-receiver", daemon=True)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> Receiver:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def add(self, path: str, secret: str, plan: Plan = always_ok) -> EndpointLog:
        log = self.endpoints[path] = EndpointLog(Webhook(secret), plan)
        return log

    @staticmethod
    def _answer(request: BaseHTTPRequestHandler, status: int, headers: dict[str, str] | None = None) -> None:
        request.send_response(status)
        for name, value in (headers or {}).items():
            request.send_header(name, value)
        request.send_header("Content-Length", "0")
        request.end_headers()

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        body = request.rfile.read(int(request.headers.get("Content-Length") or 0))
        log = self.endpoints.get(request.path)
        if log is None:
            self._answer(request, 404)
            return
        headers = {k.lower(): v for k, v in request.headers.items()}
        try:
            payload = log.webhook.verify(body, headers)
        except WebhookVerificationError:
            with self.lock:
                log.bad_signatures += 1
            self._answer(request, 400)
            return
        event_id = headers["webhook-id"]
        with self.lock:
            log.attempts[event_id] += 1
            first = log.attempts[event_id] == 1
        mode = log.plan(event_id) if first else "ok"
        if mode != "ok":
            with self.lock:
                log.failures_sent[mode] += 1
        if mode == "500":
            self._answer(request, 500)
        elif mode == "429":
            self._answer(request, 429, {"Retry-After": "1"})
        elif mode == "slow":
            time.sleep(self.slow_seconds)  # the sender has given up by now; a 503 in case it has not
            with contextlib.suppress(OSError):
                self._answer(request, 503)
        elif mode == "drop":
            request.close_connection = True  # nothing written: the sender sees the connection closed
        else:
            self._accepted(log, event_id, payload)
            self._answer(request, 200)

    def _accepted(self, log: EndpointLog, event_id: str, payload: Any) -> None:
        now = time.perf_counter()
        with self.lock:
            if event_id in log.delivered_at:
                log.duplicates += 1
                return
            log.delivered_at[event_id] = now
            if isinstance(payload, dict) and payload.get("type") == "payment.allocated":
                ref = (payload.get("data") or {}).get("payment", {}).get("bank_ref")
                if ref and ref not in log.bank_ref_at:
                    log.bank_ref_at[ref] = now
                    log.event_written_at[ref] = _epoch(str(payload.get("timestamp", "")))


def _epoch(iso: str) -> float:
    from datetime import datetime

    try:
        return datetime.fromisoformat(iso).timestamp()
    except ValueError:
        return float("nan")


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def _ms(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(_pct(values, 0.5) * 1000),
        "p90_ms": round(_pct(values, 0.9) * 1000),
        "p99_ms": round(_pct(values, 0.99) * 1000),
        "max_ms": round(max(values) * 1000) if values else float("nan"),
    }


def seed_invoices_via_api(
    api: httpx.Client, invoices: list[Any], chunk: int = 1000, after: Callable[[], None] | None = None
) -> float:
    """``POST /v1/invoices/bulk`` in chunks; the seconds it took (``after`` is not counted)."""
    began = time.perf_counter()
    for start in range(0, len(invoices), chunk):
        answer = api.post("/v1/invoices/bulk", json=[i.as_item() for i in invoices[start : start + chunk]])
        answer.raise_for_status()
    took = time.perf_counter() - began
    if after is not None:
        after()
    return took


def statement_to_webhook(
    api: httpx.Client,
    log: EndpointLog,
    *,
    tag: str,
    invoices: int,
    statements: int,
    lines_per_statement: int,
    interval: float,
    wait_seconds: float,
    settle: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Seed ``invoices`` receivables, upload ``statements`` small statements paying some of them, time each line.

    ``settle(chunks)`` waits until the matcher runs that the bulk upserts enqueued (one per chunk) are
    over, so the first statement does not queue behind them.
    """
    world = make_invoices(invoices, max(1, invoices // 20), prefix=f"L{tag}", seed=zlib.crc32(tag.encode()))
    chunk = 1000
    waiter = (lambda: settle((invoices + chunk - 1) // chunk)) if settle else None
    seeded = seed_invoices_via_api(api, world, chunk, after=waiter)
    answered: dict[str, float] = {}  # bank_ref -> perf_counter when the upload was answered
    answered_epoch: dict[str, float] = {}
    upload_ms: list[float] = []
    step = max(1, invoices // (statements * lines_per_statement))
    chosen = world[::step][: statements * lines_per_statement]
    for s in range(statements):
        batch = chosen[s * lines_per_statement : (s + 1) * lines_per_statement]
        body, refs = payments_statement(batch, statement_id=f"LAT{tag}-{s}", ref_prefix=f"LAT{tag}-{s}-")
        t0 = time.perf_counter()
        answer = api.post("/v1/statements", files={"file": (f"lat-{tag}-{s}.xml", body, "application/xml")})
        t1, e1 = time.perf_counter(), time.time()
        answer.raise_for_status()
        upload_ms.append((t1 - t0) * 1000)
        for ref in refs:
            answered[ref], answered_epoch[ref] = t1, e1
        time.sleep(interval)
    deadline = time.perf_counter() + wait_seconds
    while time.perf_counter() < deadline and not all(r in log.bank_ref_at for r in answered):
        time.sleep(0.1)
    arrived = [r for r in answered if r in log.bank_ref_at]
    total = [log.bank_ref_at[r] - answered[r] for r in arrived]
    matcher = [log.event_written_at[r] - answered_epoch[r] for r in arrived]
    relay = [t - m for t, m in zip(total, matcher, strict=True)]
    return {
        "open_invoices_seeded": invoices,
        "seed_seconds": round(seeded, 1),
        "statements": statements,
        "lines_per_statement": lines_per_statement,
        "interval_seconds": interval,
        "lines": len(answered),
        "arrived": len(arrived),
        "missing": len(answered) - len(arrived),
        "upload_p50_ms": round(statistics.median(upload_ms)) if upload_ms else None,
        "upload_to_webhook": _ms(total),
        "upload_to_event_written": _ms(matcher),
        "event_written_to_webhook": _ms(relay),
    }


def delivery_throughput(
    engine: Any,
    log: EndpointLog,
    *,
    events: int,
    wait_seconds: float,
) -> dict[str, Any]:
    """Write ``events`` outbox events in one transaction; time until the receiver has every one."""
    from sqlalchemy import text
    from sqlmodel import Session

    from shared import outbox

    with Session(engine) as session:
        ids = set(outbox.emit_many(session, [("bench.delivery", {"seq": n}) for n in range(events)]))
        session.commit()
    began = time.perf_counter()
    first_at: float | None = None
    progress: list[tuple[float, int]] = []
    deadline = began + wait_seconds
    while time.perf_counter() < deadline:
        done = sum(1 for i in ids if i in log.delivered_at)
        if done and first_at is None:
            first_at = min(log.delivered_at[i] for i in ids if i in log.delivered_at)
        if not progress or progress[-1][1] != done:
            progress.append((round(time.perf_counter() - began, 1), done))
        if done == events:
            break
        time.sleep(0.5)
    delivered = [log.delivered_at[i] for i in ids if i in log.delivered_at]
    all_at = max(delivered) if len(delivered) == events else None
    with engine.connect() as conn:
        statuses = dict(
            conn.execute(
                text(
                    "SELECT status, count(*) FROM webhook_delivery WHERE event_type = 'bench.delivery' GROUP BY status"
                )
            ).all()
        )
        attempts_db = conn.execute(
            text(
                "SELECT count(*) FROM webhook_attempt a JOIN webhook_delivery d ON d.id = a.delivery_id "
                "WHERE d.event_type = 'bench.delivery'"
            )
        ).scalar_one()
    seconds = (all_at - began) if all_at else None
    attempts_seen = sum(log.attempts[i] for i in ids)
    return {
        "events": events,
        "failing_first_attempt": dict(log.failures_sent),
        "delivered": len(delivered),
        "missing": events - len(delivered),
        "seconds_to_first": round(first_at - began, 1) if first_at else None,
        "seconds_to_all": round(seconds, 1) if seconds else None,
        "deliveries_per_second": round(events / seconds, 1) if seconds else None,
        "attempts_received": attempts_seen,
        "attempts_recorded": int(attempts_db),
        "attempts_per_second": round(int(attempts_db) / seconds, 1) if seconds else None,
        "duplicates": log.duplicates,
        "bad_signatures": log.bad_signatures,
        "delivery_rows": {str(k): int(v) for k, v in statuses.items()},
        "progress": _thin(progress, 12),
    }


def _thin(points: list[tuple[float, int]], keep: int) -> list[list[float]]:
    if len(points) <= keep:
        return [list(p) for p in points]
    step = len(points) / keep
    return [list(points[int(i * step)]) for i in range(keep)] + [list(points[-1])]


def register(sverka: Callable[..., Any], url: str, events: str) -> str:
    """``sverka webhooks add``; the endpoint's secret."""
    made = sverka("webhooks", "add", "--url", url, "--events", events)
    return str(json.loads(made)["secret"])
