"""Workspace routes: HTTP only. Reads come from ``review.queue``, decisions go to ``review.service``.

Every route names its permission through ``access.deps`` (pages: view; decisions: decide), and
every form carries a CSRF token. After a decision the browser is redirected (post/redirect/get),
so reloading never decides twice; a refused decision re-renders the page with the reason and the
error's own status (409 when someone else was faster).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from services.reconciler.access import service as access
from services.reconciler.access.deps import Accountant, CurrentUser, Viewer, client_address, session_token
from services.reconciler.access.errors import Forbidden, TooManyAttempts
from services.reconciler.access.security import (
    CSRF_FIELD,
    PRE_SESSION_COOKIE,
    SESSION_COOKIE,
    csrf_ok,
    csrf_token,
    new_token,
    sign_session,
)
from services.reconciler.allocations import allocations_of_invoice, allocations_of_line
from services.reconciler.api.deps import DbSession
from services.reconciler.review import queue as views
from services.reconciler.review import service as review
from services.reconciler.review.service import IGNORE_CATEGORIES, Part
from services.reconciler.ui.i18n import LANGUAGES, Translator
from services.reconciler.ui.reads import books as books_reads
from services.reconciler.ui.reads import overview as overview_reads
from services.reconciler.ui.reads import queue as queue_reads
from services.reconciler.ui.rendering import (
    LANG_COOKIE,
    UI,
    language_of,
    redirect,
    render,
    safe_back,
    templates,
    with_done,
)
from shared.config import get_settings
from shared.errors import InvalidInput, SverkaError
from shared.models.access import User
from shared.money import MoneyError, to_minor

router = APIRouter(prefix=UI, include_in_schema=False)

SORTS: dict[str, tuple[views.SortKey, bool]] = {
    "age": ("age", False),
    "age_desc": ("age", True),
    "amount": ("amount", True),
    "amount_asc": ("amount", False),
    "partner": ("partner", False),
}
STATUS_FILTERS: dict[str, tuple[str, ...]] = {
    "open": views.OPEN_STATUSES,
    **{s: (s,) for s in views.LINE_STATUSES},
    "all": views.LINE_STATUSES,
}


# --- login ---------------------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, user: CurrentUser, next: str | None = None) -> Response:
    if user is not None:
        return redirect(safe_back(next, f"{UI}/"))
    pre = request.cookies.get(PRE_SESSION_COOKIE) or new_token()
    request.state.session_token = None
    response = _login_page(request, pre, next, error=None, status_code=200)
    response.set_cookie(PRE_SESSION_COOKIE, pre, httponly=True, samesite="lax", secure=get_settings().secure_cookies)
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(LANG_COOKIE, request.query_params["lang"], max_age=365 * 86400, samesite="lax")
    return response


def _login_page(request: Request, pre: str, next: str | None, *, error: str | None, status_code: int) -> HTMLResponse:
    t = Translator(language_of(request, None))
    return templates.TemplateResponse(
        request,
        "login.html",
        {
            "t": t,
            "lang": t.language,
            "csrf_field": CSRF_FIELD,
            "csrf": csrf_token(pre),
            "next": next or "",
            "error": error,
            "user": None,
            "path": request.url.path,
        },
        status_code=status_code,
    )


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    session: DbSession,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token_: Annotated[str, Form(alias=CSRF_FIELD)] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    pre = request.cookies.get(PRE_SESSION_COOKIE)
    if not csrf_ok(pre, csrf_token_):
        raise Forbidden("the login form has expired; reload it")
    t = Translator(language_of(request, None))
    try:
        result = access.log_in(session, username, password, client_address(request))
    except TooManyAttempts as exc:
        page = _login_page(
            request,
            pre or "",
            next,
            error=t("login.throttled", minutes=-(-exc.retry_after_seconds // 60)),
            status_code=429,
        )
        page.headers["Retry-After"] = str(exc.retry_after_seconds)
        return page
    if result.user is None or result.token is None:
        return _login_page(request, pre or "", next, error=t("login.failed"), status_code=401)
    response = redirect(safe_back(next, f"{UI}/"))
    response.set_cookie(
        SESSION_COOKIE,
        sign_session(result.token),
        max_age=get_settings().session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=get_settings().secure_cookies,
    )
    response.delete_cookie(PRE_SESSION_COOKIE)
    return response


@router.post("/logout")
def logout(request: Request, session: DbSession, _: Viewer) -> Response:
    access.log_out(session, session_token(request))
    response = redirect(f"{UI}/login")
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.post("/language")
def set_language(
    request: Request, session: DbSession, user: Viewer, lang: Annotated[str, Form()], back: Annotated[str, Form()] = ""
) -> Response:
    if lang not in LANGUAGES:
        raise InvalidInput("unknown language", field="lang")
    access.set_locale(session, user, lang)
    response = redirect(safe_back(back, f"{UI}/"))
    response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
    return response


# --- pages ---------------------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def overview_page(request: Request, session: DbSession, user: Viewer) -> HTMLResponse:
    numbers = overview_reads.overview(session)
    context = {
        "totals": numbers.totals,
        "periods": numbers.periods,
        "imports": overview_reads.recent_imports(session, limit=8),
        "pulls": overview_reads.recent_pulls(session, limit=8),
        # An admin is told here when the notifier gave up on a receiver (and by the journal).
        "disabled_endpoints": overview_reads.disabled_endpoints(session) if access.can(user, "manage_users") else [],
    }
    return render(request, "overview.html", context, user=user)


def _parse_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


@router.get("/queue", response_class=HTMLResponse)
def queue_page(
    request: Request,
    session: DbSession,
    user: Viewer,
    status: str = "open",
    account: str = "",
    date_from: Annotated[str, Query(alias="from")] = "",
    date_to: Annotated[str, Query(alias="to")] = "",
    sort: str = "age",
    page: int = 1,
) -> HTMLResponse:
    status = status if status in STATUS_FILTERS else "open"
    sort = sort if sort in SORTS else "age"
    key, descending = SORTS[sort]
    flt = views.QueueFilter(
        statuses=STATUS_FILTERS[status],
        account_id=int(account) if account.isdigit() else None,
        date_from=_parse_date(date_from),
        date_to=_parse_date(date_to),
        sort=key,
        descending=descending,
        page=page,
    )
    result = queue_reads.queue(session, flt)
    params = {"status": status, "account": account, "from": date_from, "to": date_to, "sort": sort}
    return render(
        request,
        "queue.html",
        {
            "result": result,
            "params": params,
            "query": urlencode({k: v for k, v in params.items() if v}),
            "accounts": views.accounts(session),
            "statuses": list(STATUS_FILTERS),
            "sorts": list(SORTS),
        },
        user=user,
    )


def _payment_context(session: Session, line_id: int) -> dict[str, Any]:
    line = views.line(session, line_id)
    allocations = allocations_of_line(session, line_id)
    timeline = views.line_timeline(session, line_id)
    ignored = next((e for e in reversed(timeline) if e.action == "payment.ignored"), None)
    previous, following = views.neighbours(session, line_id)
    return {
        "line": line,
        "allocations": [a for a in allocations if a.kind != "suggested"],
        "rejected": [a for a in allocations if a.rejected],
        "timeline": timeline,
        "ignored_event": ignored if line.match_status == "ignored" else None,
        "categories": IGNORE_CATEGORIES,
        "previous": previous,
        "following": following,
    }


@router.get("/payments/{line_id}", response_class=HTMLResponse)
def payment_page(request: Request, session: DbSession, user: Viewer, line_id: int) -> HTMLResponse:
    return render(request, "payment.html", _payment_context(session, line_id), user=user)


def _refused(request: Request, session: Session, user: User, line_id: int, exc: SverkaError) -> HTMLResponse:
    session.rollback()
    return render(
        request,
        "payment.html",
        {**_payment_context(session, line_id), "error": exc.message},
        user=user,
        status_code=exc.status_code,
    )


@router.post("/payments/{line_id}/confirm")
def confirm(
    request: Request,
    session: DbSession,
    user: Accountant,
    line_id: int,
    suggestion_id: Annotated[list[int], Form()],
    back: Annotated[str, Form()] = "",
) -> Response:
    try:
        review.confirm_suggestions(session, line_id, suggestion_id, actor=user.username)
    except SverkaError as exc:
        return _refused(request, session, user, line_id, exc)
    return redirect(with_done(safe_back(back, f"{UI}/payments/{line_id}"), "confirmed"))


@router.post("/suggestions/{suggestion_id}/reject")
def reject(
    request: Request,
    session: DbSession,
    user: Accountant,
    suggestion_id: int,
    line_id: Annotated[int, Form()],
    reason: Annotated[str, Form()] = "",
) -> Response:
    try:
        review.reject_suggestion(session, suggestion_id, actor=user.username, reason=reason)
    except SverkaError as exc:
        return _refused(request, session, user, line_id, exc)
    return redirect(with_done(f"{UI}/payments/{line_id}", "rejected"))


@router.post("/suggestions/{suggestion_id}/reinstate")
def reinstate(
    request: Request, session: DbSession, user: Accountant, suggestion_id: int, line_id: Annotated[int, Form()]
) -> Response:
    try:
        review.reinstate_suggestion(session, suggestion_id, actor=user.username)
    except SverkaError as exc:
        return _refused(request, session, user, line_id, exc)
    return redirect(with_done(f"{UI}/payments/{line_id}", "reinstated"))


@router.post("/allocations/{allocation_id}/undo")
def undo(
    request: Request,
    session: DbSession,
    user: Accountant,
    allocation_id: int,
    line_id: Annotated[int, Form()],
    reason: Annotated[str, Form()] = "",
) -> Response:
    try:
        review.reverse_allocation(session, allocation_id, actor=user.username, reason=reason)
    except SverkaError as exc:
        return _refused(request, session, user, line_id, exc)
    return redirect(with_done(f"{UI}/payments/{line_id}", "undone"))


@router.post("/payments/{line_id}/ignore")
def ignore(
    request: Request,
    session: DbSession,
    user: Accountant,
    line_id: int,
    category: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
) -> Response:
    try:
        review.ignore_line(session, line_id, category, actor=user.username, note=note)
    except SverkaError as exc:
        return _refused(request, session, user, line_id, exc)
    return redirect(with_done(f"{UI}/payments/{line_id}", "ignored"))


@router.post("/payments/{line_id}/unignore")
def unignore(
    request: Request, session: DbSession, user: Accountant, line_id: int, reason: Annotated[str, Form()] = ""
) -> Response:
    try:
        review.unignore_line(session, line_id, actor=user.username, reason=reason)
    except SverkaError as exc:
        return _refused(request, session, user, line_id, exc)
    return redirect(with_done(f"{UI}/payments/{line_id}", "unignored"))


def _allocate_context(session: Session, line_id: int, q: str | None) -> dict[str, Any]:
    line = views.line(session, line_id)
    direction = "receivable" if line.amount_minor > 0 else "payable"
    query = q if q is not None else (line.counterparty_tax_id or line.counterparty_name or "")
    found = views.search_invoices(session, query, direction=direction, currency=line.currency)
    return {"line": line, "q": query, "invoices": found}


@router.get("/payments/{line_id}/allocate", response_class=HTMLResponse)
def allocate_form(
    request: Request, session: DbSession, user: Accountant, line_id: int, q: str | None = None
) -> HTMLResponse:
    return render(request, "allocate.html", _allocate_context(session, line_id, q), user=user)


def _parts(form: Any, currency: str) -> list[Part]:
    parts: list[Part] = []
    for key, value in form.multi_items():
        if not key.startswith("amount_") or not isinstance(value, str) or not value.strip():
            continue
        try:
            invoice_id = int(key.removeprefix("amount_"))
            cleaned = value.replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace(",", ".")
            minor = to_minor(Decimal(cleaned), currency)
        except (ValueError, InvalidOperation, MoneyError) as exc:
            raise InvalidInput(f"not an amount: {value}", field="amount") from exc
        if minor:
            parts.append(Part(invoice_id, minor))
    if not parts:
        raise InvalidInput("enter an amount for at least one invoice", field="amount")
    return parts


@router.post("/payments/{line_id}/allocate")
async def allocate(request: Request, session: DbSession, user: Accountant, line_id: int) -> Response:
    """Async only to read the form's dynamic ``amount_<invoice id>`` fields; the work runs in a thread."""
    form = await request.form()
    return await run_in_threadpool(_allocate_sync, request, session, form, line_id, user)


def _allocate_sync(request: Request, session: Session, form: Any, line_id: int, user: User) -> Response:
    reason = form.get("reason")
    try:
        line = views.line(session, line_id)
        review.allocate_manually(
            session,
            line_id,
            _parts(form, line.currency),
            actor=user.username,
            reason=reason if isinstance(reason, str) else None,
        )
    except SverkaError as exc:
        session.rollback()
        context = _allocate_context(session, line_id, str(form.get("q") or ""))
        return render(
            request, "allocate.html", {**context, "error": exc.message}, user=user, status_code=exc.status_code
        )
    return redirect(with_done(f"{UI}/payments/{line_id}", "allocated"))


@router.get("/invoices/{invoice_id}", response_class=HTMLResponse)
def invoice_page(request: Request, session: DbSession, user: Viewer, invoice_id: int) -> HTMLResponse:
    context = {
        "invoice": views.invoice(session, invoice_id),
        "contract": books_reads.contract_of_invoice(session, invoice_id),
        "allocations": [a for a in allocations_of_invoice(session, invoice_id) if a.kind != "suggested"],
        "timeline": views.invoice_timeline(session, invoice_id),
    }
    return render(request, "invoice.html", context, user=user)
