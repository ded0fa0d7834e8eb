"""The append-only, hash-chained journal (see ``shared.journal`` for writing and verifying)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from shared.models.columns import json_as_written_column, utc_column


class JournalEvent(SQLModel, table=True):
    """Who did what to which entity, when, with the state before and after.

    ``seq`` is gap-free and assigned under a lock; ``hash`` covers every field and the previous
    event's hash, so altering, removing or reordering any row breaks the chain from there on.
    """

    __tablename__ = "journal_event"

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    occurred_at: datetime = Field(sa_column=utc_column(index=True))
    actor: str
    action: str
    entity_type: str
    entity_id: str  # found with entity_type: ix_journal_event_entity (migration 0007)
    # Kept as written (migration 0017), so it reads back as it was hashed.
    before: dict[str, Any] | None = Field(default=None, sa_column=json_as_written_column())
    after: dict[str, Any] | None = Field(default=None, sa_column=json_as_written_column())
    prev_hash: str = Field(unique=True)
    hash: str = Field(unique=True)
