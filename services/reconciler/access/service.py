"""Users, roles, login and sessions.

Roles are cumulative: a viewer reads everything, an accountant also decides, an admin also
manages users. Every route of the workspace names the permission it needs (see ``deps``).

Login is throttled by counting recent *failed* attempts per user name and per client address
(both rows in the database, so the limit holds across workers and restarts): a guesser gets a
few tries per window, then a 429 until the window slides past the oldest failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from sqlmodel import Session

from services.reconciler.access import repository
from services.reconciler.access.errors import TooManyAttempts
from services.reconciler.access.passwords import MIN_LENGTH, hash_password, verify_password
from services.reconciler.access.security import new_token
from shared import journal
from shared.config import get_settings
from shared.errors import Conflict, InvalidInput, NotFound
from shared.models.access import ROLES, LoginAttempt, User, UserSession
from shared.models.columns import utcnow

Permission = Literal["view", "decide", "manage_users"]
ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    "viewer": frozenset({"view"}),
    "accountant": frozenset({"view", "decide"}),
    "admin": frozenset({"view", "decide", "manage_users"}),
}
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_ADDRESS = 20


def can(user: User, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS.get(user.role, frozenset())


def _check_password(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"a password needs at least {MIN_LENGTH} characters", field="password")


def create_user(session: Session, username: str, role: str, password: str, *, actor: str) -> User:
    name = username.strip()
    if not name or len(name) > 64 or any(c.isspace() for c in name):
        raise InvalidInput("a user name is 1-64 characters without spaces", field="username")
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}", field="role")
    _check_password(password)
    if repository.user_by_name(session, name) is not None:
        raise Conflict(f"user {name} already exists")
    user = User(username=name, role=role, password_hash=hash_password(password))
    session.add(user)
    session.flush()
    journal.record(
        session, journal.Change(actor, "user.created", "user", user.id or 0, after={"username": name, "role": role})
    )
    return user


def set_password(session: Session, username: str, password: str, *, actor: str) -> User:
    user = _user(session, username)
    _check_password(password)
    user.password_hash = hash_password(password)
    repository.revoke_sessions_of(session, user.id or 0, utcnow())
    session.flush()
    journal.record(session, journal.Change(actor, "user.password_changed", "user", user.id or 0))
    return user


def disable_user(session: Session, username: str, *, actor: str) -> User:
    user = _user(session, username)
    if user.disabled_at is None:
        user.disabled_at = utcnow()
        repository.revoke_sessions_of(session, user.id or 0, user.disabled_at)
        session.flush()
        journal.record(
            session, journal.Change(actor, "user.disabled", "user", user.id or 0, after={"username": username})
        )
    return user


def _user(session: Session, username: str) -> User:
    user = repository.user_by_name(session, username)
    if user is None:
        raise NotFound(f"user {username} not found")
    return user


def check_throttle(session: Session, username: str, address: str) -> None:
    """Refuse before checking the password when too many recent attempts failed."""
    now = utcnow()
    since = now - THROTTLE_WINDOW
    for by_name, by_address, limit in (
        (username, None, MAX_FAILURES_PER_USER),
        (None, address, MAX_FAILURES_PER_ADDRESS),
    ):
        if repository.failures_since(session, username=by_name, address=by_address, since=since) >= limit:
            oldest = repository.oldest_failure_since(session, username=by_name, address=by_address, since=since)
            wait = int(((oldest or now) + THROTTLE_WINDOW - now).total_seconds()) + 1
            raise TooManyAttempts("too many failed logins; try again later", retry_after_seconds=max(wait, 1))


@dataclass(frozen=True, slots=True)
class LoginResult:
    user: User | None
    token: str | None


def log_in(session: Session, username: str, password: str, address: str) -> LoginResult:
    """Check the password and open a session; the attempt is recorded either way.

    A failure returns ``LoginResult(None, None)`` rather than raising, so the caller commits the
    recorded attempt (an exception would roll it back and the throttle would never count it).
    """
    name = username.strip()
    check_throttle(session, name, address)
    user = repository.user_by_name(session, name)
    ok = verify_password(user.password_hash if user else None, password)
    ok = ok and user is not None and user.disabled_at is None
    session.add(LoginAttempt(username=name[:64], address=address, succeeded=ok))
    if not ok or user is None:
        session.flush()
        return LoginResult(None, None)
    token = new_token()
    now = utcnow()
    session.add(
        UserSession(
            token=token,
            user_id=user.id or 0,
            created_at=now,
            expires_at=now + timedelta(hours=get_settings().session_hours),
        )
    )
    session.flush()
    return LoginResult(user, token)


def session_user(session: Session, token: str | None) -> User | None:
    if not token:
        return None
    found = repository.live_session(session, token, utcnow())
    return found[1] if found else None


def log_out(session: Session, token: str | None) -> None:
    if token:
        repository.revoke_session(session, token, utcnow())


def set_locale(session: Session, user: User, locale: str) -> None:
    user.locale = locale
    session.add(user)
    session.flush()
