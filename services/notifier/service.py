"""Webhook endpoints: register, list, rotate a secret, disable. Rules only; the caller commits.

Every change is journaled, never with a secret in it. A URL is checked against SSRF rules when
registered (and again before every send, because DNS answers change).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlmodel import Session

from services.notifier import dispatcher, repository, signing
from services.notifier.relay import ALL_EVENTS
from services.notifier.schemas import AttemptOut, DeliveryOut, EndpointCreated, EndpointIn, EndpointOut, SecretRotated
from services.notifier.ssrf import Resolver, resolve_target, system_resolver
from shared import journal
from shared.config import get_settings
from shared.errors import InvalidInput, NotFound
from shared.models.columns import utcnow
from shared.models.webhooks import WebhookEndpoint

_EVENT_TYPE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
_INN = re.compile(r"^\d{10}(\d{2})?$")


def normalise_event_types(event_types: Sequence[str]) -> list[str]:
    """``["*"]`` for everything (``all`` accepted too), else a sorted list of valid dotted names."""
    cleaned = {t.strip() for t in event_types if t.strip()}
    if not cleaned:
        raise InvalidInput('subscribe to at least one event type, or "*" for all', field="events")
    if cleaned & {ALL_EVENTS, "all"}:
        return [ALL_EVENTS]
    bad = sorted(t for t in cleaned if not _EVENT_TYPE.match(t))
    if bad:
        raise InvalidInput(f"not an event type: {', '.join(bad)} (expected e.g. payment.allocated)", field="events")
    return sorted(cleaned)


def endpoint_view(endpoint: WebhookEndpoint) -> EndpointOut:
    return EndpointOut(
        id=endpoint.id or 0,
        url=endpoint.url,
        partner_inn=endpoint.partner_inn,
        events=list(endpoint.event_types),
        description=endpoint.description,
        status=endpoint.status,
        disabled_reason=endpoint.disabled_reason,
        disabled_at=endpoint.disabled_at,
        failing_since=endpoint.failing_since,
        last_success_at=endpoint.last_success_at,
        previous_secret_expires_at=endpoint.previous_secret_expires_at,
        created_at=endpoint.created_at,
    )


def _snapshot(endpoint: WebhookEndpoint) -> dict[str, object]:
    return {
        "url": endpoint.url,
        "partner_inn": endpoint.partner_inn,
        "events": list(endpoint.event_types),
        "status": endpoint.status,
    }


def register_endpoint(
    session: Session, item: EndpointIn, *, actor: str, resolver: Resolver = system_resolver
) -> EndpointCreated:
    """Create an endpoint with a fresh secret (returned once; store it on the receiving side)."""
    target = resolve_target(item.url, allow_private=get_settings().webhook_allow_private_targets, resolver=resolver)
    inn = item.partner_inn.strip() if item.partner_inn else None
    if inn is not None:
        if not _INN.match(inn):
            raise InvalidInput("partner_inn must be 10 or 12 digits", field="partner_inn")
        if not repository.partner_inn_known(session, inn):
            raise NotFound(f"no partner with INN {inn}", field="partner_inn")
    endpoint = WebhookEndpoint(
        url=target.url,
        partner_inn=inn,
        event_types=normalise_event_types(item.events),
        description=item.description,
        secret=signing.generate_secret(),
        created_by=actor,
    )
    session.add(endpoint)
    session.flush()
    journal.record(
        session,
        journal.Change(
            actor, "webhook_endpoint.created", "webhook_endpoint", endpoint.id or 0, after=_snapshot(endpoint)
        ),
    )
    return EndpointCreated(**endpoint_view(endpoint).model_dump(), secret=endpoint.secret)


def get_endpoint(session: Session, endpoint_id: int, *, for_update: bool = False) -> WebhookEndpoint:
    endpoint = repository.get_endpoint(session, endpoint_id, for_update=for_update)
    if endpoint is None:
        raise NotFound(f"webhook endpoint {endpoint_id} not found")
    return endpoint


def list_endpoints(session: Session) -> list[EndpointOut]:
    return [endpoint_view(e) for e in repository.list_endpoints(session)]


def rotate_secret(session: Session, endpoint_id: int, *, actor: str, now: datetime | None = None) -> SecretRotated:
    """Issue a new secret; the old one keeps signing (beside the new) for the grace period.

    A second rotation within the grace period retires the oldest secret: at most two sign.
    """
    now = now or utcnow()
    endpoint = get_endpoint(session, endpoint_id, for_update=True)
    expires = now + timedelta(seconds=get_settings().webhook_secret_grace_seconds)
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = expires
    endpoint.secret = signing.generate_secret()
    endpoint.updated_at = now
    session.flush()
    journal.record(
        session,
        journal.Change(
            actor,
            "webhook_endpoint.secret_rotated",
            "webhook_endpoint",
            endpoint_id,
            after={"previous_secret_expires_at": expires.isoformat()},
        ),
    )
    return SecretRotated(id=endpoint_id, secret=endpoint.secret, previous_secret_expires_at=expires)


def disable(session: Session, endpoint_id: int, *, actor: str, reason: str) -> EndpointOut:
    """Stop deliveries to an endpoint; disabling twice changes nothing the second time."""
    endpoint = get_endpoint(session, endpoint_id, for_update=True)
    if endpoint.status != "disabled":
        dispatcher.disable_endpoint(session, endpoint, reason=reason, actor=actor, now=utcnow())
        session.flush()
    return endpoint_view(endpoint)


def deliveries(session: Session, endpoint_id: int, limit: int = 50) -> list[DeliveryOut]:
    """The endpoint's latest deliveries, newest first, each with its attempts."""
    get_endpoint(session, endpoint_id)
    rows = repository.recent_deliveries(session, endpoint_id, limit)
    by_delivery: dict[int, list[AttemptOut]] = {}
    for a in repository.attempts_of(session, [d.id or 0 for d in rows]):
        by_delivery.setdefault(a.delivery_id, []).append(
            AttemptOut(
                number=a.number,
                attempted_at=a.attempted_at,
                status_code=a.status_code,
                latency_ms=a.latency_ms,
                error=a.error,
                response_excerpt=a.response_excerpt,
                outcome=a.outcome,
            )
        )
    return [
        DeliveryOut(
            id=d.id or 0,
            event_id=d.event_id,
            event_type=d.event_type,
            status=d.status,
            attempts=d.attempts,
            next_attempt_at=d.next_attempt_at if d.status == "pending" else None,
            last_status_code=d.last_status_code,
            last_error=d.last_error,
            created_at=d.created_at,
            finished_at=d.finished_at,
            attempt_log=by_delivery.get(d.id or 0, []),
        )
        for d in rows
    ]
