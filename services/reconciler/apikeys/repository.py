"""Queries for API keys."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session, col

from shared.models import Partner
from shared.models.api import ApiKey


def key_by_hash(session: Session, key_hash: str) -> ApiKey | None:
    return session.scalars(select(ApiKey).where(col(ApiKey.key_hash) == key_hash)).first()


def all_keys(session: Session) -> list[tuple[ApiKey, Partner | None]]:
    rows = session.execute(
        select(ApiKey, Partner).outerjoin(Partner, col(Partner.id) == col(ApiKey.partner_id)).order_by(col(ApiKey.id))
    )
    return [(k, p) for k, p in rows]


def partner_by_inn(session: Session, inn: str) -> Partner | None:
    return session.scalars(select(Partner).where(col(Partner.inn) == inn).order_by(col(Partner.id))).first()
