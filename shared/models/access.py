"""People who use the workspace: accounts with a role, their sessions, and login attempts.

Sessions are rows (not only signed cookies) so logging out, disabling a user or changing a
password ends a session for real; login attempts are rows so throttling holds across processes.
Nothing here is deleted either: a session is revoked, a user is disabled.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from shared.models.columns import utc_column, utcnow

ROLES = ("admin", "accountant", "viewer")


class User(SQLModel, table=True):
    """A person with a role; ``username`` is what the journal records as the actor."""

    __tablename__ = "app_user"  # "user" is reserved in PostgreSQL
    __table_args__ = (CheckConstraint("role IN ('admin', 'accountant', 'viewer')", name="role"),)

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True)
    password_hash: str
    role: str
    locale: str | None = None  # None: follow the browser's Accept-Language
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    disabled_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class UserSession(SQLModel, table=True):
    """One login. The cookie carries ``token`` signed; the row says whether it still counts."""

    __tablename__ = "user_session"

    token: str = Field(primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    expires_at: datetime = Field(sa_column=utc_column())
    revoked_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class LoginAttempt(SQLModel, table=True):
    """Every attempt to log in, good or bad: the throttle counts recent failures per name and per address."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_username_at", "username", "attempted_at"),
        Index("ix_login_attempt_address_at", "address", "attempted_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    username: str
    address: str
    succeeded: bool
    attempted_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
