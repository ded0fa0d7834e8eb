"""User administration in the browser (admin only): list, add with a role, disable, reset a password.

The page also lists the API keys of other services (``ui/api_keys.py`` creates and revokes them):
who may reach the books, people and services, is managed in one place.

The rules and the journal live in ``access.service`` (the same functions ``sverka users`` calls),
so every change here is journaled with the admin as the actor. A generated password is shown
once, on the answer to the post itself (``Cache-Control: no-store``), never put in a URL.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from services.reconciler.access import repository as users_repository
from services.reconciler.access import service as access
from services.reconciler.access.deps import Admin
from services.reconciler.access.passwords import generate_password
from services.reconciler.api.deps import DbSession
from services.reconciler.apikeys import repository as keys_repository
from services.reconciler.ui.rendering import UI, redirect, render, with_done
from shared.errors import InvalidInput, NotFound, SverkaError
from shared.models.access import ROLES, User
from shared.models.api import API_SCOPES

router = APIRouter(prefix=UI, include_in_schema=False)


def _context(session: Session) -> dict[str, Any]:
    return {
        "users": users_repository.all_users(session),
        "roles": ROLES,
        "api_keys": keys_repository.all_keys(session),
        "scopes": API_SCOPES,
    }


def users_page_response(
    request: Request, session: Session, admin: User, *, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    """The users page, with a one-time notice (a new password or key) or an error in ``extra``."""
    response = render(request, "users.html", {**_context(session), **extra}, user=admin, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    return response


def _username(session: Session, user_id: int) -> str:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    return user.username


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, session: DbSession, admin: Admin) -> HTMLResponse:
    return users_page_response(request, session, admin)


@router.post("/users")
def add_user(
    request: Request,
    session: DbSession,
    admin: Admin,
    username: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> Response:
    chosen = password or generate_password()
    try:
        created = access.create_user(session, username, role, chosen, actor=admin.username)
    except SverkaError as exc:
        session.rollback()
        return users_page_response(request, session, admin, error=exc.message, status_code=exc.status_code)
    shown = {"username": created.username, "password": None if password else chosen}
    return users_page_response(request, session, admin, created=shown)


@router.post("/users/{user_id}/password")
def reset_password(
    request: Request, session: DbSession, admin: Admin, user_id: int, password: Annotated[str, Form()] = ""
) -> Response:
    chosen = password or generate_password()
    try:
        name = _username(session, user_id)
        access.set_password(session, name, chosen, actor=admin.username)
    except SverkaError as exc:
        session.rollback()
        return users_page_response(request, session, admin, error=exc.message, status_code=exc.status_code)
    if name == admin.username:  # their own sessions, this one included, have just ended
        return redirect(f"{UI}/login")
    return users_page_response(
        request, session, admin, reset={"username": name, "password": None if password else chosen}
    )


@router.post("/users/{user_id}/disable")
def disable(request: Request, session: DbSession, admin: Admin, user_id: int) -> Response:
    try:
        name = _username(session, user_id)
        if name == admin.username:
            raise InvalidInput("you cannot disable yourself; ask another admin", field="user")
        access.disable_user(session, name, actor=admin.username)
    except SverkaError as exc:
        session.rollback()
        return users_page_response(request, session, admin, error=exc.message, status_code=exc.status_code)
    return redirect(with_done(f"{UI}/users", "user_disabled"))
