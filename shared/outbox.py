"""Transactional outbox: announce a change in the same transaction that makes it.

A row written here commits or rolls back with the change; the notifier relays committed rows
afterwards. So an event is never lost when Redis or a partner is down, and never announced for
a change that rolled back.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlmodel import Session

from shared.journal import jsonable
from shared.models.notify import OutboxEvent


def emit(session: Session, event_type: str, payload: dict[str, Any]) -> OutboxEvent:
    return emit_many(session, [(event_type, payload)])[0]


def emit_many(session: Session, events: Iterable[tuple[str, dict[str, Any]]]) -> list[OutboxEvent]:
    rows = [
        OutboxEvent(event_id=str(uuid.uuid4()), event_type=event_type, payload=jsonable(payload))
        for event_type, payload in events
    ]
    session.add_all(rows)
    return rows
