"""What an operator does by hand when a receiver had trouble: enable again, replay, send a test.

* **Enable** an endpoint that was disabled (by us, by a 410, or by failing too long): deliveries
  that waited while it was disabled become due at once, in their original order.
* **Replay** one delivery: it becomes due now with the same body and ``webhook-id``, so a receiver
  that already has it deduplicates. The replay is one more try outside the retry schedule: attempts
  keep their numbers, and a delivery that had used up its schedule gets one try, not a new day of
  retries. Replaying an endpoint's failed deliveries in one call is the usual step after enabling.
* **Test**: a ``webhook.test`` event, signed and delivered to this endpoint only through the
  normal path (a row per attempt), so the result is exactly what a real event would meet.

Each is journaled with the operator and the reason; nothing is deleted or rewritten.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult
from sqlmodel import Session, col

from services.notifier import events, repository
from services.notifier.schemas import EndpointOut
from services.notifier.service import endpoint_view, get_endpoint
from shared import journal
from shared.errors import Conflict, NotFound
from shared.models import OutboxEvent
from shared.models.columns import utcnow
from shared.models.webhooks import WebhookDelivery, WebhookEndpoint

TEST_EVENT_TYPE = "webhook.test"


def enable(session: Session, endpoint_id: int, *, actor: str, reason: str | None = None) -> EndpointOut:
    """Send to the endpoint again; enabling an active endpoint changes nothing."""
    endpoint = get_endpoint(session, endpoint_id, for_update=True)
    if endpoint.status == "active":
        return endpoint_view(endpoint)
    now = utcnow()
    before = {"status": endpoint.status, "disabled_reason": endpoint.disabled_reason}
    endpoint.status = "active"
    endpoint.disabled_reason = None
    endpoint.disabled_at = None
    endpoint.failing_since = None
    endpoint.updated_at = now
    waiting = cast(
        CursorResult[Any],
        session.execute(
            update(WebhookDelivery)
            .where(col(WebhookDelivery.endpoint_id) == endpoint_id, col(WebhookDelivery.status) == "pending")
            .values(next_attempt_at=now)
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    journal.record(
        session,
        journal.Change(
            actor,
            "webhook_endpoint.enabled",
            "webhook_endpoint",
            endpoint_id,
            before=before,
            after={"status": "active", "reason": reason, "pending_due_now": waiting, "url": endpoint.url},
        ),
    )
    session.flush()
    return endpoint_view(endpoint)


def _active(session: Session, endpoint_id: int) -> WebhookEndpoint:
    endpoint = get_endpoint(session, endpoint_id)
    if endpoint.status != "active":
        raise Conflict(f"webhook endpoint {endpoint_id} is disabled ({endpoint.disabled_reason}); enable it first")
    return endpoint


def replay(session: Session, endpoint_id: int, delivery_ids: Sequence[int], *, actor: str, reason: str | None) -> int:
    """Make these deliveries of the endpoint due now (same body, same ``webhook-id``); how many."""
    _active(session, endpoint_id)
    rows = list(
        session.scalars(
            select(WebhookDelivery)
            .where(col(WebhookDelivery.id).in_(list(delivery_ids)), col(WebhookDelivery.endpoint_id) == endpoint_id)
            .order_by(col(WebhookDelivery.id))
            .with_for_update()
        )
    )
    missing = sorted(set(delivery_ids) - {d.id for d in rows})
    if missing:
        raise NotFound(f"no delivery {missing[0]} for webhook endpoint {endpoint_id}")
    now = utcnow()
    for delivery in rows:
        before = {"status": delivery.status, "attempts": delivery.attempts}
        delivery.status = "pending"
        delivery.next_attempt_at = now
        delivery.finished_at = None
        journal.record(
            session,
            journal.Change(
                actor,
                "webhook.replayed",
                "webhook_delivery",
                delivery.id or 0,
                before=before,
                after={"event_id": delivery.event_id, "endpoint_id": endpoint_id, "reason": reason},
            ),
        )
    session.flush()
    return len(rows)


def failed_deliveries(session: Session, endpoint_id: int) -> list[int]:
    get_endpoint(session, endpoint_id)
    found = session.scalars(
        select(col(WebhookDelivery.id))
        .where(col(WebhookDelivery.endpoint_id) == endpoint_id, col(WebhookDelivery.status) == "failed")
        .order_by(col(WebhookDelivery.id))
    )
    return [int(i) for i in found if i is not None]


def send_test(session: Session, endpoint_id: int, *, actor: str) -> int:
    """Queue a signed ``webhook.test`` event for this endpoint alone; the delivery's id.

    The event is an outbox row like any other (deliveries refer to their event), written as
    already relayed so the relay does not announce it to every other endpoint.
    """
    endpoint = _active(session, endpoint_id)
    now = utcnow()
    row = OutboxEvent(
        event_id=str(uuid.uuid4()),
        event_type=TEST_EVENT_TYPE,
        payload={"endpoint_id": endpoint_id, "requested_by": actor, "message": "a test event from Sverka"},
        created_at=now,
        published_at=now,
    )
    session.add(row)
    session.flush()
    body = events.render(session, row).body()
    delivery = WebhookDelivery(
        event_id=row.event_id, event_type=TEST_EVENT_TYPE, endpoint_id=endpoint_id, body=body, next_attempt_at=now
    )
    session.add(delivery)
    session.flush()
    journal.record(
        session,
        journal.Change(
            actor,
            "webhook.test_queued",
            "webhook_delivery",
            delivery.id or 0,
            after={"event_id": row.event_id, "endpoint_id": endpoint_id, "url": endpoint.url},
        ),
    )
    return delivery.id or 0


def delivery_status(session: Session, delivery_id: int) -> dict[str, object]:
    delivery = repository.get_delivery(session, delivery_id)
    if delivery is None:
        raise NotFound(f"delivery {delivery_id} not found")
    return {
        "id": delivery.id,
        "event_id": delivery.event_id,
        "event_type": delivery.event_type,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "body": json.loads(delivery.body),
    }
