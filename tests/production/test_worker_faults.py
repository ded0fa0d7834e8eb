"""Workers killed with SIGKILL again and again while events are delivered: nothing lost, doubled or stuck.

The notifier worker of the running topology (Celery's main process or one of its pool children,
picked at random) is killed with ``kill -9`` every few seconds while a stream of events is written
to the outbox, exactly as the reconciler's transactions write them. The Procfile runner restarts
a dead worker, Celery's main process replaces a dead pool child, ``acks_late`` puts the killed task
back on the queue, and a delivery the dead process had claimed comes back when its lease runs out
(the test topology sets the shortest lease allowed, 60 s). The receiver verifies every request with
``standardwebhooks`` and applies each ``webhook-id`` once.

Proven: every event is delivered at least once, every receiver side effect happens exactly once, a
redelivery carries the same event under the same id, and nothing is left pending or claimed.
CI writes 300 events over 30 s; ``make soak`` (``SVERKA_SOAK=1``) 1,000 over two minutes.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import threading
import time
import uuid
from collections import Counter

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from shared import outbox
from tests.production.conftest import Running
from tests.production.sink import WebhookSink

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]

SOAK = os.environ.get("SVERKA_SOAK", "") in {"1", "true", "yes"}
EVENTS = 1000 if SOAK else 300
PRODUCE_SECONDS = 120.0 if SOAK else 30.0
WAVES = int(PRODUCE_SECONDS)  # one outbox transaction a second
KILL_EVERY = (1.5, 3.5)  # seconds between kills, uniformly random
LEASE_SECONDS = 60  # SVERKA_NOTIFIER_CLAIM_LEASE_SECONDS of the test topology (conftest.py)
PROBE = "fault.probe"  # an event type of its own: internal endpoints receive unknown types' payloads as they are


def emit_events(engine: Engine, run: str, first: int, count: int) -> list[str]:
    """``count`` events written in one transaction, through the same function the reconciler uses."""
    with Session(engine) as session:
        event_ids = outbox.emit_many(session, [(PROBE, {"run": run, "n": n}) for n in range(first, first + count)])
        session.commit()
        return event_ids


class Killer(threading.Thread):
    """SIGKILLs a process of the notifier worker every few seconds: every third kill its main process.

    Each kill waits (briefly) for a delivery to be in flight at the receiver, so that kills interrupt
    sends: a main-process kill always takes the sending child with it, and that event is redelivered.
    """

    def __init__(self, production: Running, sink: WebhookSink, rng: random.Random) -> None:
        super().__init__(name="killer", daemon=True)
        self.production, self.sink, self.rng = production, sink, rng
        self.stopped = threading.Event()
        self.kills: list[tuple[str, int]] = []

    def run(self) -> None:
        while not self.stopped.wait(self.rng.uniform(*KILL_EVERY)):
            busy_by = time.monotonic() + 5
            while self.sink.in_flight == 0 and time.monotonic() < busy_by and not self.stopped.is_set():
                time.sleep(0.005)
            tree = self.production.topology.process_tree("notifier")
            if not tree:
                continue  # the runner is restarting it
            main_turn = len(self.kills) % 3 == 2
            victim = tree[0] if main_turn or len(tree) == 1 else self.rng.choice(tree[1:])
            with contextlib.suppress(ProcessLookupError):
                os.kill(victim, signal.SIGKILL)
                self.kills.append(("main" if victim == tree[0] else "pool child", victim))


def test_killing_notifier_workers_loses_doubles_and_strands_no_event(production: Running, sink: WebhookSink) -> None:
    sink.delay = 0.1  # a receiver doing some work: the worker spends its time in deliveries, where kills land
    seed = random.randrange(2**32)
    run = uuid.uuid4().hex[:8]
    engine = production.engine()
    killer = Killer(production, sink, random.Random(seed))
    emitted: list[str] = []
    started = time.monotonic()
    try:
        killer.start()
        per_wave = -(-EVENTS // WAVES)
        for wave in range(WAVES):
            count = min(per_wave, EVENTS - len(emitted))
            if count > 0:
                emitted += emit_events(engine, run, len(emitted), count)
            time.sleep(max(0.0, started + (wave + 1) * PRODUCE_SECONDS / WAVES - time.monotonic()))
        time.sleep(KILL_EVERY[1])  # a last kill or two after the last event
        killer.stopped.set()
        killer.join(30)
        last_kill = time.monotonic()
        # The last kill may strand a claimed batch until its lease runs out; then a relay tick sends it.
        drained = _wait_until_delivered(production, engine, sink, emitted, timeout=LEASE_SECONDS + 90)
        with engine.connect() as conn:
            left = _undelivered(conn, sink.endpoint_id, emitted)
            unrelayed = conn.execute(
                sa.text("SELECT count(*) FROM outbox_event WHERE event_id = ANY(:ids) AND published_at IS NULL"),
                {"ids": emitted},
            ).scalar_one()
    finally:
        killer.stopped.set()
        engine.dispose()

    kinds = Counter(kind for kind, _ in killer.kills)
    summary = (
        f"seed {seed}: {len(emitted)} events, kills {dict(kinds)}, {sink.redeliveries} redeliveries, "
        f"drained {time.monotonic() - last_kill:.0f}s after the last kill"
    )
    print(summary)  # the soak run's record
    assert len(emitted) == EVENTS
    assert kinds["main"] >= 1 and kinds["pool child"] >= 2, summary
    assert drained, f"not every event reached the receiver: {left} ({summary})\n{production.log_tail()}"
    assert sink.invalid == 0, "every request carried a valid Standard Webhooks signature"
    assert sink.applied == set(emitted), "every event delivered at least once"
    assert sorted(sink.ledger) == sorted(emitted), "each side effect applied once, however often it arrived"
    assert sink.redeliveries >= 1, "kills interrupted deliveries, so some events arrived twice"
    assert sink.mismatched == [], "a redelivery carries the same event under the same webhook-id"
    assert left == {} and unrelayed == 0, f"nothing left pending, claimed or unrelayed: {left}"
    assert production.topology.process_tree("notifier"), "the runner brought the worker back"


def _undelivered(conn: sa.Connection, endpoint_id: int, event_ids: list[str]) -> dict[str, int]:
    """``{status: count}`` of this endpoint's deliveries of ``event_ids`` that are not delivered (or missing)."""
    rows = conn.execute(
        sa.text(
            "SELECT status, count(*) FROM webhook_delivery WHERE endpoint_id = :e AND event_id = ANY(:ids) "
            "GROUP BY status"
        ),
        {"e": endpoint_id, "ids": event_ids},
    ).all()
    counts = {str(status): int(n) for status, n in rows}
    missing = len(event_ids) - sum(counts.values())
    left = {status: n for status, n in counts.items() if status != "delivered"}
    if missing:
        left["not relayed"] = missing
    return left


def _wait_until_delivered(
    production: Running, engine: Engine, sink: WebhookSink, event_ids: list[str], timeout: float
) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sink.applied >= set(event_ids):
            with engine.connect() as conn:
                if not _undelivered(conn, sink.endpoint_id, event_ids):
                    return True
        time.sleep(1.0)
    return False
