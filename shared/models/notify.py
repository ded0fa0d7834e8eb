"""The transactional outbox: events written with the change they announce, relayed after commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from shared.models.columns import json_column, utc_column, utcnow


class OutboxEvent(SQLModel, table=True):
    """An event to announce (payment received, invoice paid, …); never lost, never for a rolled-back change."""

    __tablename__ = "outbox_event"
    __table_args__ = (Index("ix_outbox_event_pending", "published_at", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(unique=True)  # a uuid receivers deduplicate on
    event_type: str = Field(index=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=json_column(nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    attempts: int = 0
    published_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
