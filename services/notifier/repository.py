"""Every query the notifier makes: endpoints, outbox rows to relay, deliveries to claim and record."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from shared.models import OutboxEvent, Partner
from shared.models.webhooks import WebhookAttempt, WebhookDelivery, WebhookEndpoint

# --- endpoints ---------------------------------------------------------------------------------


def get_endpoint(session: Session, endpoint_id: int, *, for_update: bool = False) -> WebhookEndpoint | None:
    query = select(WebhookEndpoint).where(col(WebhookEndpoint.id) == endpoint_id)
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).first()


def list_endpoints(session: Session) -> list[WebhookEndpoint]:
    return list(session.scalars(select(WebhookEndpoint).order_by(col(WebhookEndpoint.id))))


def active_endpoints(session: Session) -> list[WebhookEndpoint]:
    return list(
        session.scalars(
            select(WebhookEndpoint).where(col(WebhookEndpoint.status) == "active").order_by(col(WebhookEndpoint.id))
        )
    )


def partner_inn_known(session: Session, inn: str) -> bool:
    return session.scalars(select(col(Partner.id)).where(col(Partner.inn) == inn).limit(1)).first() is not None


# --- the outbox --------------------------------------------------------------------------------


def claim_unrelayed_events(session: Session, now: datetime, batch: int) -> list[OutboxEvent]:
    """Outbox rows not yet relayed and due, oldest first; on PostgreSQL other relays skip the rows we hold."""
    return list(
        session.scalars(
            select(OutboxEvent)
            .where(col(OutboxEvent.published_at).is_(None), col(OutboxEvent.next_attempt_at) <= now)
            .order_by(col(OutboxEvent.id))
            .limit(batch)
            .with_for_update(skip_locked=True)
        )
    )


def mark_relayed(session: Session, event_ids: Sequence[int], now: datetime) -> None:
    if event_ids:
        session.execute(
            update(OutboxEvent)
            .where(col(OutboxEvent.id).in_(list(event_ids)), col(OutboxEvent.published_at).is_(None))
            .values(published_at=now, attempts=col(OutboxEvent.attempts) + 1)
            .execution_options(synchronize_session=False)
        )


def postpone_event(session: Session, event_id: int, until: datetime) -> None:
    session.execute(
        update(OutboxEvent)
        .where(col(OutboxEvent.id) == event_id)
        .values(next_attempt_at=until, attempts=col(OutboxEvent.attempts) + 1)
        .execution_options(synchronize_session=False)
    )


# --- deliveries --------------------------------------------------------------------------------


def insert_deliveries(session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Insert (event, endpoint) deliveries; pairs that exist already are skipped. Returns how many are new."""
    if not rows:
        return 0
    table = WebhookDelivery.__table__  # type: ignore[attr-defined]
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    created = 0
    for start in range(0, len(rows), 500):  # bounded statements: SQLite caps bound parameters
        stmt = (
            insert(table)
            .values(list(rows[start : start + 500]))
            .on_conflict_do_nothing(index_elements=["event_id", "endpoint_id"])
            .returning(table.c.id)
        )
        created += len(session.execute(stmt).all())
    return created


@dataclass(frozen=True, slots=True)
class DeliveryJob:
    """What one HTTP attempt needs, loaded in the claim and carried outside any transaction."""

    delivery_id: int
    endpoint_id: int
    url: str
    signing_secrets: tuple[str, ...]
    event_id: str
    event_type: str
    body: str


def claim_due_deliveries(
    session: Session, cutoff: datetime, now: datetime, lease_until: datetime, batch: int
) -> list[DeliveryJob]:
    """Take up to ``batch`` due deliveries of active endpoints, leasing them until ``lease_until``.

    The lease (``next_attempt_at`` moved forward) is what keeps two workers from sending the same
    delivery at once, and what brings it back if this worker dies mid-send: at-least-once. On
    PostgreSQL ``FOR UPDATE SKIP LOCKED`` lets concurrent workers claim disjoint rows without
    waiting; SQLite has one writer, so its UPDATE is the claim.
    """
    due = (
        select(col(WebhookDelivery.id))
        .join(WebhookEndpoint, col(WebhookEndpoint.id) == col(WebhookDelivery.endpoint_id))
        .where(
            col(WebhookDelivery.status) == "pending",
            col(WebhookDelivery.next_attempt_at) <= cutoff,
            col(WebhookEndpoint.status) == "active",
        )
        .order_by(col(WebhookDelivery.next_attempt_at), col(WebhookDelivery.id))
        .limit(batch)
        .with_for_update(skip_locked=True, of=WebhookDelivery)
    )
    claimed = session.execute(
        update(WebhookDelivery)
        .where(col(WebhookDelivery.id).in_(due.scalar_subquery()))
        .values(next_attempt_at=lease_until)
        .returning(col(WebhookDelivery.id))
        .execution_options(synchronize_session=False)
    )
    ids = sorted(int(r[0]) for r in claimed)
    if not ids:
        return []
    rows = session.execute(
        select(WebhookDelivery, WebhookEndpoint)
        .join(WebhookEndpoint, col(WebhookEndpoint.id) == col(WebhookDelivery.endpoint_id))
        .where(col(WebhookDelivery.id).in_(ids))
        .order_by(col(WebhookDelivery.id))
    ).all()
    return [
        DeliveryJob(
            delivery_id=d.id or 0,
            endpoint_id=e.id or 0,
            url=e.url,
            signing_secrets=live_secrets(e, now),
            event_id=d.event_id,
            event_type=d.event_type,
            body=d.body,
        )
        for d, e in rows
    ]


def live_secrets(endpoint: WebhookEndpoint, now: datetime) -> tuple[str, ...]:
    """The current secret, plus the previous one while its rotation grace period lasts."""
    grace = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and grace is not None and grace > now:
        return (endpoint.secret, endpoint.previous_secret)
    return (endpoint.secret,)


def get_delivery(session: Session, delivery_id: int) -> WebhookDelivery | None:
    return session.get(WebhookDelivery, delivery_id)


def recent_deliveries(session: Session, endpoint_id: int, limit: int) -> list[WebhookDelivery]:
    return list(
        session.scalars(
            select(WebhookDelivery)
            .where(col(WebhookDelivery.endpoint_id) == endpoint_id)
            .order_by(col(WebhookDelivery.id).desc())
            .limit(limit)
        )
    )


def attempts_of(session: Session, delivery_ids: Sequence[int]) -> list[WebhookAttempt]:
    if not delivery_ids:
        return []
    return list(
        session.scalars(
            select(WebhookAttempt)
            .where(col(WebhookAttempt.delivery_id).in_(list(delivery_ids)))
            .order_by(col(WebhookAttempt.delivery_id), col(WebhookAttempt.number), col(WebhookAttempt.id))
        )
    )


def pending_count(session: Session) -> int:
    return int(
        session.execute(
            select(func.count()).select_from(WebhookDelivery).where(col(WebhookDelivery.status) == "pending")
        ).scalar_one()
    )
