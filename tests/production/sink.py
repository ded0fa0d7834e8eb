"""A partner's webhook receiver as the fault tests need it: verifies, deduplicates, applies each event once.

Every request is verified with the ``standardwebhooks`` package (independently of our signing
code); an invalid one is refused with 401. A valid one is acknowledged, and its side effect (here:
a line in :attr:`WebhookSink.ledger`) is applied only the first time its ``webhook-id`` arrives, which
is what the Standard Webhooks spec asks of receivers given at-least-once delivery. Redeliveries
are counted, and each copy's payload is checked to carry the same event as the first one.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import Counter
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError


class WebhookSink:
    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay  # seconds of "work" before answering: gives a kill a delivery to interrupt
        self.secret = ""  # set once the endpoint is registered
        self.endpoint_id = 0
        self.base_url = ""
        self.ledger: list[str] = []  # the side effect: one line per event applied
        self.payload_ids: dict[str, str] = {}  # webhook-id -> the event id in the first payload
        self.copies: Counter[str] = Counter()  # webhook-id -> requests acknowledged
        self.mismatched: list[str] = []  # a redelivery that carried another event under the same id
        self.invalid = 0
        self.in_flight = 0  # requests verified and not yet answered
        self._lock = threading.Lock()

    @property
    def applied(self) -> set[str]:
        with self._lock:
            return set(self.ledger)

    @property
    def redeliveries(self) -> int:
        with self._lock:
            return sum(self.copies.values()) - len(self.copies)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            Webhook(self.secret).verify(body, headers)
        except WebhookVerificationError:
            with self._lock:
                self.invalid += 1
            await _answer(send, 401)
            return
        with self._lock:
            self.in_flight += 1
        if self.delay:
            # The side effect below happens even if the sender is gone by then (killed mid-request): it is
            # the sender that never learns it was done, and sends again.
            await asyncio.sleep(self.delay)
        webhook_id = headers["webhook-id"]
        event_id = str(json.loads(body)["id"])
        with self._lock:
            self.in_flight -= 1
            self.copies[webhook_id] += 1
            first = self.payload_ids.setdefault(webhook_id, event_id)
            if first != event_id:
                self.mismatched.append(webhook_id)
            elif self.copies[webhook_id] == 1:
                self.ledger.append(event_id)  # the side effect, once per webhook-id
        await _answer(send, 200)


async def _answer(send: Any, status: int) -> None:
    await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok" if status == 200 else b"refused"})
