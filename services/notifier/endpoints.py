"""HTTP endpoints for webhook endpoints (HTTP only; the rules live in :mod:`service`).

Mounted by the API application next to the reconciler's routers. The session dependency is
the notifier's own (not the reconciler's): the notifier never imports the reconciler.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Query, status
from sqlmodel import Session

from services.notifier import service
from services.notifier.schemas import DeliveryOut, DisableIn, EndpointCreated, EndpointIn, EndpointOut, SecretRotated
from shared.db import session_scope

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
