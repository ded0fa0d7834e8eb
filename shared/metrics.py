"""Prometheus metrics: what each process measures, and what the database and the broker say at scrape time.

Two kinds, kept apart on purpose:

* **Process metrics** (HTTP requests and latency, task runs and latency) are counted where they
  happen. Several uvicorn workers and Celery pool processes each count their own; with
  ``PROMETHEUS_MULTIPROC_DIR`` set (``make prod-local``, the compose services) every process
  writes to files in that directory and a scrape of any API worker sums them all.
* **State metrics** (lines imported, matched/suggested/unmatched, deliveries and failed attempts,
  the outbox backlog, queue depth) are read from PostgreSQL/SQLite and Redis when ``/metrics`` is
  scraped. Counting at the source would miss work done by a process that crashed before it was
  scraped, and would need every service to remember to count; the rows are the truth, and since
  nothing in Sverka is ever deleted, counts of rows only grow and are exposed as counters.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

# prometheus_client decides at import whether to write per-process files; the directory must exist first.
_MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
if _MULTIPROC_DIR:
    os.makedirs(_MULTIPROC_DIR, exist_ok=True)

from prometheus_client import (  # noqa: E402
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric  # noqa: E402
from prometheus_client.registry import Collector  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

CONTENT_TYPE = CONTENT_TYPE_LATEST
QUEUES = ("reconciler", "notifier")

HTTP_REQUESTS = Counter(
    "sverka_http_requests", "HTTP requests answered, by route template and status.", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "sverka_http_request_duration_seconds",
    "Time from request received to response started, by route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
TASKS = Counter("sverka_tasks", "Background task runs, by task name and outcome.", ["task", "outcome"])
TASK_LATENCY = Histogram(
    "sverka_task_duration_seconds",
    "Background task run time, by task name.",
    ["task"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0),
)


def observe_task(name: str, seconds: float, outcome: str) -> None:
    TASKS.labels(name, outcome).inc()
    TASK_LATENCY.labels(name).observe(seconds)


# ---------------------------------------------------------------------------- state read at scrape time

_LINE_STATES = """
SELECT
  (SELECT count(*) FROM bank_transaction) AS total,
  (SELECT count(DISTINCT transaction_id) FROM allocation
    WHERE reversed_at IS NULL AND kind <> 'suggested') AS matched,
  (SELECT count(DISTINCT a.transaction_id) FROM allocation a
    WHERE a.reversed_at IS NULL AND a.kind = 'suggested'
      AND NOT EXISTS (SELECT 1 FROM allocation b WHERE b.transaction_id = a.transaction_id
                        AND b.reversed_at IS NULL AND b.kind <> 'suggested')) AS suggested
"""


class StateCollector(Collector):
    """Reads counts from the database and queue lengths from Redis on each scrape.

    A source that does not answer is reported as ``sverka_up{component=…} 0`` and its metrics
    are left out, so a scrape during an outage still says what is wrong instead of failing.
    """

    def __init__(self, engine: Callable[[], Engine], redis_url: str = "") -> None:
        self._engine = engine
        self._redis_url = redis_url

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("sverka_up", "Whether a dependency answered this scrape.", labels=["component"])
        try:
            yield from self._database_metrics()
            up.add_metric(["database"], 1)
        except Exception:  # an outage is something to report, not to fail the scrape over
            up.add_metric(["database"], 0)
        if self._redis_url:
            try:
                yield self._queue_depth()
                up.add_metric(["redis"], 1)
            except Exception:
                up.add_metric(["redis"], 0)
        yield up

    def _database_metrics(self) -> Iterator[Metric]:
        with self._engine().connect() as conn:
            total, matched, suggested = conn.execute(text(_LINE_STATES)).one()
            kinds = conn.execute(
                text("SELECT kind, count(*) FROM allocation WHERE reversed_at IS NULL GROUP BY kind")
            ).all()
            deliveries = conn.execute(text("SELECT status, count(*) FROM webhook_delivery GROUP BY status")).all()
            attempts = conn.execute(text("SELECT outcome, count(*) FROM webhook_attempt GROUP BY outcome")).all()
            unrelayed = conn.execute(text("SELECT count(*) FROM outbox_event WHERE published_at IS NULL")).scalar_one()
        imported = CounterMetricFamily("sverka_statement_lines_imported", "Bank statement lines stored (ever).")
        imported.add_metric([], total)
        yield imported
        lines = GaugeMetricFamily(
            "sverka_statement_lines", "Stored lines by state: matched, suggested (awaiting review), unmatched.",
            labels=["state"],
        )  # fmt: skip
        for state, count in (("matched", matched), ("suggested", suggested)):
            lines.add_metric([state], count)
        lines.add_metric(["unmatched"], total - matched - suggested)
        yield lines
        allocations = GaugeMetricFamily("sverka_allocations", "Active allocations by kind.", labels=["kind"])
        for kind, count in kinds:
            allocations.add_metric([kind], count)
        yield allocations
        by_status: dict[str, int] = {str(k): int(v) for k, v in deliveries}
        delivery = GaugeMetricFamily("sverka_webhook_deliveries", "Webhook deliveries by status.", labels=["status"])
        for status in ("pending", "delivered", "failed"):
            delivery.add_metric([status], by_status.get(status, 0))
        yield delivery
        by_outcome: dict[str, int] = {str(k): int(v) for k, v in attempts}
        attempt = CounterMetricFamily(
            "sverka_webhook_attempts", "Webhook HTTP attempts by outcome (retry and failed are failures).",
            labels=["outcome"],
        )  # fmt: skip
        for outcome in ("delivered", "retry", "failed"):
            attempt.add_metric([outcome], by_outcome.get(outcome, 0))
        yield attempt
        outbox = GaugeMetricFamily("sverka_outbox_unrelayed", "Outbox events not yet relayed to the notifier.")
        outbox.add_metric([], unrelayed)
        yield outbox

    def _queue_depth(self) -> Metric:
        import redis

        client = redis.Redis.from_url(self._redis_url, socket_timeout=1.0, socket_connect_timeout=1.0)
        try:
            depth = GaugeMetricFamily("sverka_queue_depth", "Tasks waiting in the broker, by queue.", labels=["queue"])
            for queue in QUEUES:
                depth.add_metric([queue], int(client.llen(queue)))
            return depth
        finally:
            client.close()


class _ProcessMetrics(Collector):
    """This process's own metrics (the registry of a single-process deployment)."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


def process_registry() -> CollectorRegistry:
    """A registry of the process metrics: all processes' files in multiprocess mode, else this process."""
    registry = CollectorRegistry(auto_describe=False)
    if _MULTIPROC_DIR:
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(_ProcessMetrics())
    return registry


def render(engine: Callable[[], Engine] | None = None, redis_url: str = "") -> bytes:
    """The exposition text: process metrics, plus state metrics when ``engine`` is given."""
    registry = process_registry()
    if engine is not None:
        registry.register(StateCollector(engine, redis_url))
    return generate_latest(registry)


def serve_worker_metrics(port: int) -> Any:
    """Serve this host's process metrics on ``port`` (a Celery worker in its own container)."""
    from prometheus_client import start_http_server

    return start_http_server(port, addr="0.0.0.0", registry=process_registry())  # noqa: S104
