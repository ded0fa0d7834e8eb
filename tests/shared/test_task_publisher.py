"""Publishing to the broker happens off the caller's thread, and a message the broker refused is kept."""

from __future__ import annotations

import threading
import time
from typing import Any

from shared.tasks import Publisher

APP = object()  # stands for the Celery app: the publisher only hands it to ``send``


class Broker:
    """Refuses while ``down``; records what it accepted."""

    def __init__(self) -> None:
        self.down = True
        self.accepted: list[tuple[str, dict[str, Any]]] = []
        self.refused = 0

    def send(self, app: Any, name: str, kwargs: dict[str, Any]) -> None:
        assert app is APP
        if self.down:
            self.refused += 1
            raise ConnectionRefusedError("Error 111 connecting to 127.0.0.1:6379")
        self.accepted.append((name, kwargs))


def test_submit_returns_at_once_while_the_broker_hangs() -> None:
    release = threading.Event()
    publisher = Publisher(lambda *_: release.wait(10))
    started = time.monotonic()
    publisher.submit(APP, "reconciler.match_open_lines", {})
    publisher.submit(APP, "reconciler.pull_account", {"account_number": "1"})
    assert time.monotonic() - started < 0.1
    release.set()
    assert publisher.flush(5)


def test_what_the_broker_refused_is_sent_when_it_answers_again_once_per_distinct_task() -> None:
    broker = Broker()
    publisher = Publisher(broker.send, max_pause=0.2)
    for _ in range(50):  # fifty imports during an outage, each asking for a matcher run
        publisher.submit(APP, "reconciler.match_open_lines", {})
    publisher.submit(APP, "reconciler.pull_account", {"account_number": "40702810900000000001"})
    assert not publisher.flush(0.5), "nothing leaves while the broker is down"
    assert broker.refused >= 1 and publisher.pending() == 2
    broker.down = False
    assert publisher.flush(5)
    assert sorted(broker.accepted, key=lambda m: m[0]) == [
        ("reconciler.match_open_lines", {}),
        ("reconciler.pull_account", {"account_number": "40702810900000000001"}),
    ]


def test_the_queue_is_bounded_dropping_the_oldest() -> None:
    broker = Broker()
    publisher = Publisher(broker.send, max_pause=0.2, limit=3)
    for n in range(5):
        publisher.submit(APP, "reconciler.pull_account", {"account_number": str(n)})
    broker.down = False
    assert publisher.flush(5)
    sent = {kwargs["account_number"] for _, kwargs in broker.accepted}
    # "0" may have been in flight (not queued) when the others arrived; "1" was the oldest queued.
    assert {"2", "3", "4"} <= sent <= {"0", "2", "3", "4"}
