"""The outbox relay: each committed outbox event becomes one delivery per endpoint that should hear it.

Runs in the caller's transaction (flushes only). Idempotent by construction: a delivery is
unique per (event, endpoint), so a relay that runs twice — two workers, or one that crashed
after inserting and before marking the event relayed — creates nothing twice.

An endpoint registered after an event was relayed does not receive that event: subscriptions
look forward, as with any webhook provider.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from services.notifier import events, repository
from services.notifier.mail import planning
from shared.models.webhooks import WebhookEndpoint

log = logging.getLogger("sverka.notifier.relay")

ALL_EVENTS = "*"
# An event that cannot be rendered (a bug, not a partner's fault) is retried this much later.
_RENDER_RETRY = timedelta(minutes=5)


def subscribes(endpoint: WebhookEndpoint, event_type: str) -> bool:
    return ALL_EVENTS in endpoint.event_types or event_type in endpoint.event_types


def should_receive(endpoint: WebhookEndpoint, event: events.RenderedEvent) -> bool:
    """Internal endpoints (no partner) get everything they subscribe to; partner endpoints only their own events."""
    if not subscribes(endpoint, event.event_type):
        return False
    return endpoint.partner_inn is None or (event.partner_inn is not None and endpoint.partner_inn == event.partner_inn)


@dataclass
class RelaySummary:
    events: int = 0
    deliveries: int = 0
    postponed: int = 0
    emails: int = 0  # email deliveries planned (services.notifier.mail.planning)


def relay_batch(session: Session, now: datetime, batch: int = 200) -> RelaySummary:
    """Relay up to ``batch`` due outbox events; the summary says how many (0 events: nothing left)."""
    rows = repository.claim_unrelayed_events(session, now, batch)
    summary = RelaySummary()
    if not rows:
        return summary
    endpoints = repository.active_endpoints(session)
    deliveries: list[dict[str, Any]] = []
    relayed: list[int] = []
    for row in rows:
        try:
            rendered = events.render(session, row)
            emails = planning.plan_for_event(session, row, now)
        except Exception:  # one broken event must not hold back the others
            log.exception("cannot render outbox event %s (%s); retrying later", row.event_id, row.event_type)
            repository.postpone_event(session, row.id or 0, now + _RENDER_RETRY)
            summary.postponed += 1
            continue
        body = rendered.body()
        deliveries.extend(
            {
                "event_id": row.event_id,
                "event_type": row.event_type,
                "endpoint_id": endpoint.id,
                "body": body,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for endpoint in endpoints
            if should_receive(endpoint, rendered)
        )
        summary.emails += emails
        relayed.append(row.id or 0)
    summary.deliveries = repository.insert_deliveries(session, deliveries)
    repository.mark_relayed(session, relayed, now)
    summary.events = len(relayed)
    session.flush()
    return summary
