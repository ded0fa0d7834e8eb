"""FastAPI dependencies that guard every workspace route.

``require("view")`` on a page, ``require("decide")`` on a decision: the dependency finds the
user from the signed session cookie, refuses anonymous requests (:class:`LoginRequired`) and
roles without the permission (:class:`Forbidden`), and on any state-changing method also checks
the form's CSRF token against the session it belongs to.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request

from services.reconciler.access import service
from services.reconciler.access.errors import Forbidden, LoginRequired
from services.reconciler.access.security import CSRF_FIELD, SESSION_COOKIE, csrf_ok, unsign_session
from services.reconciler.api.deps import DbSession
from shared.config import get_settings
from shared.models.access import User

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def session_token(request: Request) -> str | None:
    return unsign_session(request.cookies.get(SESSION_COOKIE), get_settings().session_hours * 3600)


def current_user(request: Request, session: DbSession) -> User | None:
    """The logged-in user, or None; also kept on ``request.state`` for templates."""
    token = session_token(request)
    user = service.session_user(session, token)
    request.state.user = user
    request.state.user_locale = user.locale if user else None  # plain value: outlives a rolled-back session
    request.state.session_token = token if user else None
    return user


CurrentUser = Annotated[User | None, Depends(current_user)]


async def check_csrf(request: Request, binding: str | None) -> None:
    if request.method in SAFE_METHODS:
        return
    form = await request.form()
    token = form.get(CSRF_FIELD)
    if not csrf_ok(binding, token if isinstance(token, str) else None):
        raise Forbidden("the form is missing its security token or it has expired; reload the page and try again")


def require(permission: service.Permission) -> Callable[..., Awaitable[User]]:
    """A dependency that returns the user if they may do ``permission``, else raises."""

    async def dependency(request: Request, user: CurrentUser) -> User:
        if user is None:
            raise LoginRequired("log in to continue")
        if not service.can(user, permission):
            raise Forbidden(f"your role ({user.role}) does not allow this")
        await check_csrf(request, getattr(request.state, "session_token", None))
        return user

    dependency.__name__ = f"require_{permission}"
    return dependency


Viewer = Annotated[User, Depends(require("view"))]
Accountant = Annotated[User, Depends(require("decide"))]
Admin = Annotated[User, Depends(require("manage_users"))]


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


__all__: list[Any] = ["Accountant", "Admin", "CurrentUser", "Viewer", "client_address", "require"]
