"""What the integration API (``/v1``) keeps: the keys services call it with, and idempotent POSTs.

An API key is stored as the SHA-256 of the key: the key itself is shown once when created. A
fast hash is enough here because the key is 256 random bits (nothing to guess from a dictionary,
unlike a password), and it lets every request find its key with one indexed lookup.

An idempotency record remembers the response to a POST sent with an ``Idempotency-Key``, so a
retry of the same request gets the same answer instead of doing the work twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from shared.models.columns import text_column, utc_column, utcnow

API_SCOPES = ("read", "write")


class ApiKey(SQLModel, table=True):
    """A service's credential: ``write`` implies ``read``; ``partner_inn`` confines it to one partner."""

    __tablename__ = "api_key"
    __table_args__ = (CheckConstraint("scope IN ('read', 'write')", name="scope"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str
    key_hash: str = Field(unique=True)  # sha256 hex of the whole key
    prefix: str  # the key's first characters, so people can tell keys apart in lists and logs
    scope: str
    partner_id: int | None = Field(default=None, foreign_key="partner.id", index=True)
    created_by: str
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    revoked_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    revoked_by: str | None = None


class IdempotencyRecord(SQLModel, table=True):
    """One ``Idempotency-Key`` of one API key: the request it was first used for and its response.

    ``owner`` is the SHA-256 of the bearer key (keys of different services never collide);
    ``fingerprint`` covers method, path, query and body, so reusing a key for another request is
    refused. ``state`` is ``running`` while the first request executes (a duplicate waits or gets
    409), then ``done`` with the stored response.
    """

    __tablename__ = "idempotency_record"
    __table_args__ = (
        UniqueConstraint("owner", "idempotency_key"),
        CheckConstraint("state IN ('running', 'done')", name="state"),
        Index("ix_idempotency_record_created_at", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    owner: str
    idempotency_key: str
    fingerprint: str
    method: str
    path: str
    state: str = "running"
    response_status: int | None = None
    response_content_type: str | None = None
    response_body: str | None = Field(default=None, sa_column=text_column())
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    finished_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
