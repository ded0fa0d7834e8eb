"""Every query of the email channel: planning deliveries, claiming due ones, recording attempts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from shared.models.documents import EmailAttempt, EmailDelivery


def _insert(session: Session) -> Any:
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def insert_delivery(session: Session, row: dict[str, Any]) -> int | None:
    """Insert one delivery unless its ``dedupe_key`` exists; the new id, or None when it existed."""
    table = EmailDelivery.__table__  # type: ignore[attr-defined]
    stmt = (
        _insert(session)(table).values(row).on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(table.c.id)
    )
    created = session.execute(stmt).first()
    return int(created[0]) if created else None


def claim_due(session: Session, cutoff: datetime, lease_until: datetime, batch: int) -> list[int]:
    """Lease up to ``batch`` due deliveries (``FOR UPDATE SKIP LOCKED`` on PostgreSQL); their ids."""
    due = (
        select(col(EmailDelivery.id))
        .where(col(EmailDelivery.status) == "pending", col(EmailDelivery.next_attempt_at) <= cutoff)
        .order_by(col(EmailDelivery.next_attempt_at), col(EmailDelivery.id))
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    claimed = session.execute(
        update(EmailDelivery)
        .where(col(EmailDelivery.id).in_(due.scalar_subquery()))
        .values(next_attempt_at=lease_until)
        .returning(col(EmailDelivery.id))
        .execution_options(synchronize_session=False)
    )
    return sorted(int(r[0]) for r in claimed)


def get_delivery(session: Session, delivery_id: int, *, for_update: bool = False) -> EmailDelivery | None:
    return session.get(EmailDelivery, delivery_id, with_for_update=for_update)


def attempts_of(session: Session, delivery_ids: Sequence[int]) -> list[EmailAttempt]:
    if not delivery_ids:
        return []
    return list(
        session.scalars(
            select(EmailAttempt)
            .where(col(EmailAttempt.delivery_id).in_(list(delivery_ids)))
            .order_by(col(EmailAttempt.delivery_id), col(EmailAttempt.number))
        )
    )


def pending_count(session: Session) -> int:
    return int(
        session.execute(
            select(func.count()).select_from(EmailDelivery).where(col(EmailDelivery.status) == "pending")
        ).scalar_one()
    )


def earliest_pending(session: Session) -> datetime | None:
    return session.execute(
        select(func.min(col(EmailDelivery.next_attempt_at))).where(col(EmailDelivery.status) == "pending")
    ).scalar_one_or_none()
