"""API shapes of webhook endpoints and deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field


class EndpointIn(BaseModel):
    url: str = Field(description="http(s) URL that receives signed POSTs; must resolve to a public address.")
    partner_inn: str | None = Field(
        default=None,
        description="The partner's INN: the endpoint receives only that partner's events. "
        "Omit for an internal service, which receives every event it subscribes to.",
    )
    events: list[str] = Field(default_factory=lambda: ["*"], description='Event types, or ["*"] for all.')
    description: str | None = None


class EndpointOut(BaseModel):
    id: int
    url: str
    partner_inn: str | None
    events: list[str]
    description: str | None
    status: str
    disabled_reason: str | None
    disabled_at: datetime | None
    failing_since: datetime | None
    last_success_at: datetime | None
    previous_secret_expires_at: datetime | None
    created_at: datetime


class EndpointCreated(EndpointOut):
    secret: str = Field(description="whsec_… signing secret; shown once, here and on rotation.")


class SecretRotated(BaseModel):
    id: int
    secret: str
    previous_secret_expires_at: datetime = Field(description="Until then, requests carry both signatures.")


class DisableIn(BaseModel):
    reason: str = "disabled by an operator"


class EnableIn(BaseModel):
    reason: str | None = None


class ReplayIn(BaseModel):
    """Which deliveries to send again: the ids given, or every failed one of the endpoint."""

    delivery_ids: list[Annotated[int, Field(ge=1, le=2**31 - 1)]] = Field(default_factory=list, max_length=1000)
    all_failed: bool = False
    reason: str | None = None


class ReplayOut(BaseModel):
    replayed: int


class TestQueued(BaseModel):
    delivery_id: int
    event_type: str


class AttemptOut(BaseModel):
    number: int
    attempted_at: datetime
    status_code: int | None
    latency_ms: int
    error: str | None
    response_excerpt: str | None
    outcome: str


class DeliveryOut(BaseModel):
    id: int
    event_id: str
    event_type: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    finished_at: datetime | None
    attempt_log: list[AttemptOut]
