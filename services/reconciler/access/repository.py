"""Queries for users, sessions and login attempts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlmodel import Session, col

from shared.models.access import LoginAttempt, User, UserSession


def user_by_name(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(col(User.username) == username)).first()


def all_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(col(User.username))))


def live_session(session: Session, token: str, now: datetime) -> tuple[UserSession, User] | None:
    row = session.execute(
        select(UserSession, User)
        .join(User, col(User.id) == col(UserSession.user_id))
        .where(
            col(UserSession.token) == token,
            col(UserSession.revoked_at).is_(None),
            col(UserSession.expires_at) > now,
            col(User.disabled_at).is_(None),
        )
    ).first()
    return (row[0], row[1]) if row else None


def revoke_session(session: Session, token: str, now: datetime) -> None:
    session.execute(
        update(UserSession)
        .where(col(UserSession.token) == token, col(UserSession.revoked_at).is_(None))
        .values(revoked_at=now)
    )


def revoke_sessions_of(session: Session, user_id: int, now: datetime) -> None:
    session.execute(
        update(UserSession)
        .where(col(UserSession.user_id) == user_id, col(UserSession.revoked_at).is_(None))
        .values(revoked_at=now)
    )


def failures_since(session: Session, *, username: str | None, address: str | None, since: datetime) -> int:
    query = (
        select(func.count())
        .select_from(LoginAttempt)
        .where(col(LoginAttempt.succeeded).is_(False), col(LoginAttempt.attempted_at) >= since)
    )
    if username is not None:
        query = query.where(col(LoginAttempt.username) == username)
    if address is not None:
        query = query.where(col(LoginAttempt.address) == address)
    return int(session.execute(query).scalar_one())


def oldest_failure_since(
    session: Session, *, username: str | None, address: str | None, since: datetime
) -> datetime | None:
    query = select(func.min(col(LoginAttempt.attempted_at))).where(
        col(LoginAttempt.succeeded).is_(False), col(LoginAttempt.attempted_at) >= since
    )
    if username is not None:
        query = query.where(col(LoginAttempt.username) == username)
    if address is not None:
        query = query.where(col(LoginAttempt.address) == address)
    value = session.execute(query).scalar_one()
    return value if isinstance(value, datetime) else None
