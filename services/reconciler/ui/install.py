"""Plug the workspace into the API app: its routes, its static files, and how access failures look."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from services.reconciler.access.errors import Forbidden, LoginRequired
from services.reconciler.api.errors import error_body
from services.reconciler.ui import accounts, api_keys, books, statements, users, webhooks
from services.reconciler.ui.i18n import Translator, negotiate
from services.reconciler.ui.pages import router
from services.reconciler.ui.rendering import UI, templates
from shared.errors import NotFound, SverkaError

STATIC_DIR = Path(__file__).resolve().parent / "static"


def _error_page(request: Request, exc: SverkaError, message_key: str) -> HTMLResponse:
    t = Translator(
        getattr(request.state, "user_locale", None)
        or request.cookies.get("sverka_lang")
        or negotiate(request.headers.get("accept-language"))
    )
    return templates.TemplateResponse(
        request,
        "error.html",
        {
            "t": t,
            "lang": t.language,
            "user": None,
            "message": t(message_key),
            "detail": exc.message,
            "path": request.url.path,
        },
        status_code=exc.status_code,
    )


async def _login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    if request.method in ("GET", "HEAD"):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"{UI}/login?next={quote(target, safe='')}", status_code=303)
    return _error_page(request, exc, "login.title")


async def _forbidden(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Forbidden)
    return _error_page(request, exc, "error.forbidden")


async def _not_found(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, NotFound)
    if request.url.path.startswith(UI + "/"):
        return _error_page(request, exc, "error.not_found")
    return JSONResponse(error_body(exc.code, exc.message, exc.field), status_code=exc.status_code)


# Every router of the workspace. The access tests walk exactly this tuple, so a page added here
# is proven closed to anonymous users and read-only for viewers without anyone remembering to.
UI_ROUTERS = (
    router,
    statements.router,
    accounts.router,
    books.router,
    users.router,
    api_keys.router,
    webhooks.router,
)


async def _home() -> Response:
    """People who type the server's address land in the workspace (services use ``/v1``)."""
    return RedirectResponse(f"{UI}/", status_code=307)


def install_ui(app: FastAPI) -> None:
    """Routes under ``/ui``, assets under ``/ui/static``, HTML for login redirects and refusals."""
    for area in UI_ROUTERS:
        app.include_router(area)
    app.mount(f"{UI}/static", StaticFiles(directory=STATIC_DIR), name="ui-static")
    app.add_api_route("/", _home, methods=["GET"], include_in_schema=False)
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(Forbidden, _forbidden)
    app.add_exception_handler(NotFound, _not_found)
