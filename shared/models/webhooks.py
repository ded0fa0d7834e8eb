"""Webhook endpoints, one delivery per (event, endpoint), and every attempt at it.

A delivery is the promise "this endpoint will receive this event"; its unique (event, endpoint)
pair is what makes the relay idempotent. Each HTTP try is its own attempt row, kept forever:
with the journal, they are the evidence that a partner was (or could not be) told.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from shared.models.columns import json_column, text_column, utc_column, utcnow

ENDPOINT_STATUSES = ("active", "disabled")
DELIVERY_STATUSES = ("pending", "delivered", "failed")


class WebhookEndpoint(SQLModel, table=True):
    """A URL that receives signed events: a partner's (``partner_inn`` set) or an internal service's.

    ``secret`` signs every request; after a rotation ``previous_secret`` keeps signing too until
    ``previous_secret_expires_at``, so receivers can switch without losing a message. Secrets are
    stored as issued: HMAC needs the key itself, a hash would not do.
    """

    __tablename__ = "webhook_endpoint"
    __table_args__ = (CheckConstraint("status IN ('active', 'disabled')", name="status"),)

    id: int | None = Field(default=None, primary_key=True)
    url: str
    partner_inn: str | None = Field(default=None, index=True)  # None: an internal service, sees every partner
    event_types: list[str] = Field(default_factory=list, sa_column=json_column(nullable=False))  # ["*"] = all
    description: str | None = None
    secret: str
    previous_secret: str | None = None
    previous_secret_expires_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    status: str = Field(default="active", index=True)
    disabled_reason: str | None = None
    disabled_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    failing_since: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    last_success_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    created_by: str
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class WebhookDelivery(SQLModel, table=True):
    """One event owed to one endpoint; ``body`` is the exact JSON sent on every try (receivers dedupe on id)."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("event_id", "endpoint_id"),
        CheckConstraint("status IN ('pending', 'delivered', 'failed')", name="status"),
        Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(foreign_key="outbox_event.event_id")  # also the ``webhook-id`` header
    event_type: str
    endpoint_id: int = Field(foreign_key="webhook_endpoint.id", index=True)
    body: str = Field(sa_column=text_column(nullable=False))
    status: str = Field(default="pending")
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    last_status_code: int | None = None
    last_error: str | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    finished_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class WebhookAttempt(SQLModel, table=True):
    """One HTTP try: when, what came back (status, a bounded excerpt), how long it took, what we concluded."""

    __tablename__ = "webhook_attempt"
    __table_args__ = (CheckConstraint("outcome IN ('delivered', 'retry', 'failed')", name="outcome"),)

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="webhook_delivery.id", index=True)
    number: int  # 1 for the first try
    attempted_at: datetime = Field(sa_column=utc_column())
    status_code: int | None = None
    latency_ms: int
    error: str | None = None
    response_excerpt: str | None = Field(default=None, sa_column=text_column())
    outcome: str
    next_attempt_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
