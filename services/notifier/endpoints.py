"""HTTP endpoints for webhook endpoints (HTTP only; the rules live in :mod:`service`).

Mounted by the API application next to the reconciler's routers. The session dependency is
the notifier's own (not the reconciler's): the notifier never imports the reconciler.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Query, status
from sqlmodel import Session

from services.notifier import operations, service
from services.notifier.schemas import (
    DeliveryOut,
    DisableIn,
    EnableIn,
    EndpointCreated,
    EndpointIn,
    EndpointOut,
    ReplayIn,
    ReplayOut,
    SecretRotated,
    TestQueued,
)
from shared.db import session_scope
from shared.errors import InvalidInput

API_ACTOR = "api"


def db_session() -> Iterator[Session]:
    with session_scope() as session:
        yield session


DbSession = Annotated[Session, Depends(db_session, scope="function")]
# Ids are 32-bit in the database: a larger number is the caller's mistake (422), not our 500.
EndpointId = Annotated[int, Path(ge=1, le=2**31 - 1)]

router = APIRouter(prefix="/v1", tags=["webhooks"])


@router.post("/webhooks", status_code=status.HTTP_201_CREATED, response_model=EndpointCreated)
def create_webhook(item: EndpointIn, session: DbSession) -> EndpointCreated:
    """Register an endpoint; the response carries its signing secret, shown only here (and on rotation)."""
    return service.register_endpoint(session, item, actor=API_ACTOR)


@router.get("/webhooks", response_model=list[EndpointOut])
def list_webhooks(session: DbSession) -> list[EndpointOut]:
    return service.list_endpoints(session)


@router.get("/webhooks/{endpoint_id}", response_model=EndpointOut)
def read_webhook(endpoint_id: EndpointId, session: DbSession) -> EndpointOut:
    return service.endpoint_view(service.get_endpoint(session, endpoint_id))


@router.post("/webhooks/{endpoint_id}/rotate-secret", response_model=SecretRotated)
def rotate_webhook_secret(endpoint_id: EndpointId, session: DbSession) -> SecretRotated:
    """New secret now; the old one keeps signing alongside it until ``previous_secret_expires_at``."""
    return service.rotate_secret(session, endpoint_id, actor=API_ACTOR)


@router.post("/webhooks/{endpoint_id}/disable", response_model=EndpointOut)
def disable_webhook(
    endpoint_id: EndpointId, session: DbSession, body: Annotated[DisableIn | None, Body()] = None
) -> EndpointOut:
    reason = body.reason if body else DisableIn().reason
    return service.disable(session, endpoint_id, actor=API_ACTOR, reason=reason)


@router.get("/webhooks/{endpoint_id}/deliveries", response_model=list[DeliveryOut])
def webhook_deliveries(
    endpoint_id: EndpointId, session: DbSession, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> list[DeliveryOut]:
    """Latest deliveries with every attempt: status code, latency, a bounded response excerpt."""
    return service.deliveries(session, endpoint_id, limit)


@router.post("/webhooks/{endpoint_id}/enable", response_model=EndpointOut)
def enable_webhook(
    endpoint_id: EndpointId, session: DbSession, body: Annotated[EnableIn | None, Body()] = None
) -> EndpointOut:
    """Send to a disabled endpoint again; the deliveries that waited become due now."""
    return operations.enable(session, endpoint_id, actor=API_ACTOR, reason=body.reason if body else None)


@router.post("/webhooks/{endpoint_id}/replay", response_model=ReplayOut)
def replay_webhook_deliveries(endpoint_id: EndpointId, body: ReplayIn, session: DbSession) -> ReplayOut:
    """Send deliveries again now, same body and ``webhook-id`` (receivers deduplicate): by id, or all failed."""
    ids = operations.failed_deliveries(session, endpoint_id) if body.all_failed else body.delivery_ids
    if not ids and not body.all_failed:
        raise InvalidInput("name the deliveries to replay, or set all_failed", field="delivery_ids")
    count = operations.replay(session, endpoint_id, ids, actor=API_ACTOR, reason=body.reason) if ids else 0
    return ReplayOut(replayed=count)


@router.post("/webhooks/{endpoint_id}/test", status_code=status.HTTP_202_ACCEPTED, response_model=TestQueued)
def send_test_event(endpoint_id: EndpointId, session: DbSession) -> TestQueued:
    """Queue a signed ``webhook.test`` event for this endpoint; its delivery shows under ``/deliveries``."""
    delivery_id = operations.send_test(session, endpoint_id, actor=API_ACTOR)
    return TestQueued(delivery_id=delivery_id, event_type=operations.TEST_EVENT_TYPE)
