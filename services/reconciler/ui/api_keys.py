"""API keys in the browser (admin only), on the users page: create, list, revoke.

The same ``apikeys.service`` functions as ``sverka apikeys`` do the work, so each change is
journaled with the admin as the actor. The new key is shown once, in the answer to the post
(``Cache-Control: no-store``); only its SHA-256 is stored, so nobody can show it again.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from services.reconciler.access.deps import Admin
from services.reconciler.api.deps import DbSession
from services.reconciler.apikeys import service as keys
from services.reconciler.ui.rendering import UI, redirect, with_done
from services.reconciler.ui.users import users_page_response
from shared.errors import SverkaError

router = APIRouter(prefix=UI, include_in_schema=False)


@router.post("/api-keys")
def create_key(
    request: Request,
    session: DbSession,
    admin: Admin,
    name: Annotated[str, Form()] = "",
    scope: Annotated[str, Form()] = "read",
    partner_inn: Annotated[str, Form()] = "",
) -> Response:
    try:
        created = keys.create_key(session, name, scope, partner_inn=partner_inn.strip() or None, actor=admin.username)
    except SverkaError as exc:
        session.rollback()
        return users_page_response(request, session, admin, error=exc.message, status_code=exc.status_code)
    shown = {"name": created.key.name, "secret": created.secret}
    return users_page_response(request, session, admin, created_key=shown)


@router.post("/api-keys/{key_id}/revoke")
def revoke_key(request: Request, session: DbSession, admin: Admin, key_id: int) -> Response:
    try:
        keys.revoke_key(session, key_id, actor=admin.username)
    except SverkaError as exc:
        session.rollback()
        return users_page_response(request, session, admin, error=exc.message, status_code=exc.status_code)
    return redirect(with_done(f"{UI}/users", "api_key_revoked"))
