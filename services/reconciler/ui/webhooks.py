"""Webhook endpoints in the browser (admin only): register, test, rotate, disable/enable, replay.

The notifier's own functions (``services.notifier.service`` and ``.operations``, the same the API
and ``sverka webhooks`` call) do the work and journal it with the admin as the actor; this module
only turns forms into calls. Secrets are shown once, on the answer to the post that made them
(``Cache-Control: no-store``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from services.notifier import operations
from services.notifier import service as hooks
from services.notifier.schemas import EndpointIn
from services.reconciler.access.deps import Admin
from services.reconciler.api.deps import DbSession
from services.reconciler.ui.rendering import UI, redirect, render, with_done
from shared.errors import SverkaError
from shared.models.access import User

router = APIRouter(prefix=UI, include_in_schema=False)


def _list_page(
    request: Request, session: Session, admin: User, *, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    context = {"endpoints": hooks.list_endpoints(session), **extra}
    response = render(request, "webhooks.html", context, user=admin, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    return response


def _failed(request: Request, session: Session, admin: User, exc: SverkaError) -> HTMLResponse:
    session.rollback()
    return _list_page(request, session, admin, error=exc.message, status_code=exc.status_code)


@router.get("/webhooks", response_class=HTMLResponse)
def webhooks_page(request: Request, session: DbSession, admin: Admin) -> HTMLResponse:
    return _list_page(request, session, admin)


@router.post("/webhooks")
def register_endpoint(
    request: Request,
    session: DbSession,
    admin: Admin,
    url: Annotated[str, Form()] = "",
    partner_inn: Annotated[str, Form()] = "",
    events: Annotated[str, Form()] = "*",
) -> Response:
    wanted = [e.strip() for e in events.replace("\n", ",").split(",") if e.strip()] or ["*"]
    item = EndpointIn(url=url.strip(), partner_inn=partner_inn.strip() or None, events=wanted)
    try:
        created = hooks.register_endpoint(session, item, actor=admin.username)
    except SverkaError as exc:
        return _failed(request, session, admin, exc)
    return _list_page(request, session, admin, secret={"id": created.id, "url": created.url, "secret": created.secret})


@router.post("/webhooks/{endpoint_id}/rotate-secret")
def rotate_secret(request: Request, session: DbSession, admin: Admin, endpoint_id: int) -> Response:
    try:
        rotated = hooks.rotate_secret(session, endpoint_id, actor=admin.username)
    except SverkaError as exc:
        return _failed(request, session, admin, exc)
    shown = {"id": endpoint_id, "secret": rotated.secret, "until": rotated.previous_secret_expires_at}
    return _list_page(request, session, admin, secret=shown)


@router.post("/webhooks/{endpoint_id}/disable")
def disable(request: Request, session: DbSession, admin: Admin, endpoint_id: int) -> Response:
    try:
        hooks.disable(session, endpoint_id, actor=admin.username, reason=f"disabled by {admin.username}")
    except SverkaError as exc:
        return _failed(request, session, admin, exc)
    return redirect(with_done(f"{UI}/webhooks", "endpoint_disabled"))


@router.post("/webhooks/{endpoint_id}/enable")
def enable(request: Request, session: DbSession, admin: Admin, endpoint_id: int) -> Response:
    try:
        operations.enable(session, endpoint_id, actor=admin.username)
    except SverkaError as exc:
        return _failed(request, session, admin, exc)
    return redirect(with_done(f"{UI}/webhooks/{endpoint_id}", "endpoint_enabled"))


@router.post("/webhooks/{endpoint_id}/test")
def send_test(request: Request, session: DbSession, admin: Admin, endpoint_id: int) -> Response:
    try:
        operations.send_test(session, endpoint_id, actor=admin.username)
    except SverkaError as exc:
        return _failed(request, session, admin, exc)
    return redirect(with_done(f"{UI}/webhooks/{endpoint_id}", "test_queued"))


@router.post("/webhooks/{endpoint_id}/replay")
def replay(
    request: Request,
    session: DbSession,
    admin: Admin,
    endpoint_id: int,
    delivery_id: Annotated[int | None, Form()] = None,
) -> Response:
    """One delivery (``delivery_id``), or every failed one of the endpoint."""
    try:
        ids = [delivery_id] if delivery_id else operations.failed_deliveries(session, endpoint_id)
        if ids:
            operations.replay(session, endpoint_id, ids, actor=admin.username, reason="replayed in the workspace")
    except SverkaError as exc:
        return _failed(request, session, admin, exc)
    return redirect(with_done(f"{UI}/webhooks/{endpoint_id}", "replayed"))


@router.get("/webhooks/{endpoint_id}", response_class=HTMLResponse)
def endpoint_page(request: Request, session: DbSession, admin: Admin, endpoint_id: int) -> HTMLResponse:
    endpoint = hooks.endpoint_view(hooks.get_endpoint(session, endpoint_id))
    context = {"endpoint": endpoint, "deliveries": hooks.deliveries(session, endpoint_id, 50)}
    return render(request, "webhook.html", context, user=admin)
