"""What every workspace page shares: the templates, the reader's language, redirects and flash messages.

Kept apart from the routes so each area of the workspace (review, statements, accounts, books,
users) can have its own small module of routes that all render the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from services.reconciler.access import service as access
from services.reconciler.access.security import CSRF_FIELD, PRE_SESSION_COOKIE, csrf_token
from services.reconciler.ui.i18n import LANGUAGES, Translator, negotiate
from shared.models.access import User

UI = "/ui"
LANG_COOKIE = "sverka_lang"
templates = Jinja2Templates(directory=str(Path(__file__).resolve().parent / "templates"))

# ``?done=<key>`` after a post/redirect/get shows the message ``done.<key>``; anything else is ignored.
DONE_KEYS = frozenset(
    f"done.{k}"
    for k in (
        "confirmed",
        "rejected",
        "reinstated",
        "allocated",
        "ignored",
        "unignored",
        "undone",
        "pulled",
        "pull_failed",
        "user_disabled",
        "api_key_revoked",
        "endpoint_disabled",
        "endpoint_enabled",
        "test_queued",
        "replayed",
    )
)


def language_of(request: Request, user: User | None) -> str:
    if user is not None and user.locale in LANGUAGES:
        return str(user.locale)
    chosen = request.query_params.get("lang")
    if chosen in LANGUAGES:
        return str(chosen)
    cookie = request.cookies.get(LANG_COOKIE)
    if cookie in LANGUAGES:
        return str(cookie)
    return negotiate(request.headers.get("accept-language"))


def safe_back(value: str | None, default: str) -> str:
    """Only our own pages are redirect targets (no open redirect through ``back``)."""
    if value and value.startswith(UI + "/") and "//" not in value and "\\" not in value:
        return value
    return default


def with_done(url: str, done: str) -> str:
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}{urlencode({'done': done})}"


def redirect(url: str) -> RedirectResponse:
    """303 after a post: the browser follows with a GET, so a reload never repeats the action."""
    return RedirectResponse(url, status_code=303)


def render(
    request: Request, name: str, context: dict[str, Any], *, user: User | None, status_code: int = 200
) -> HTMLResponse:
    t = Translator(language_of(request, user))
    binding = getattr(request.state, "session_token", None) or request.cookies.get(PRE_SESSION_COOKIE)
    done = request.query_params.get("done")
    base = {
        "user": user,
        "t": t,
        "lang": t.language,
        "csrf_field": CSRF_FIELD,
        "csrf": csrf_token(binding) if binding else "",
        "done": t(f"done.{done}") if done and f"done.{done}" in DONE_KEYS else None,
        "can_decide": user is not None and access.can(user, "decide"),
        "can_manage_users": user is not None and access.can(user, "manage_users"),
        "path": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
    }
    return templates.TemplateResponse(request, name, {**base, **context}, status_code=status_code)
