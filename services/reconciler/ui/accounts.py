"""Our bank accounts: how each one's lines arrive, its last pulls, and "Pull now".

"Pull now" calls ``sync.service.pull_account`` in the request's transaction, exactly as the CLI
and the API do. A failure of the bank is a *result* (a ``failed`` pull row, committed, shown
with its error); only "unknown account", "no connection" or "being pulled right now" are
refusals, shown with their status (404, 409).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from services.reconciler.access.deps import Accountant, Viewer
from services.reconciler.api.deps import DbSession
from services.reconciler.sync.service import pull_account
from services.reconciler.ui.reads import banking
from services.reconciler.ui.reads.overview import pulls_per_account
from services.reconciler.ui.rendering import UI, redirect, render, with_done
from shared.errors import SverkaError

router = APIRouter(prefix=UI, include_in_schema=False)
PULLS_SHOWN = 5


def _context(session: Session) -> dict[str, Any]:
    accounts = banking.accounts(session)
    return {
        "accounts": accounts,
        "pulls": pulls_per_account(session, [a.id for a in accounts if a.connected], limit=PULLS_SHOWN),
    }


@router.get("/accounts", response_class=HTMLResponse)
def accounts_page(request: Request, session: DbSession, user: Viewer) -> HTMLResponse:
    return render(request, "accounts.html", _context(session), user=user)


@router.post("/accounts/{account_id}/pull")
def pull_now(request: Request, session: DbSession, user: Accountant, account_id: int) -> Response:
    try:
        result = pull_account(session, banking.account_number(session, account_id), actor=user.username)
    except SverkaError as exc:
        session.rollback()
        return render(
            request,
            "accounts.html",
            {**_context(session), "error": exc.message},
            user=user,
            status_code=exc.status_code,
        )
    done = with_done(f"{UI}/accounts", "pulled" if result.ok else "pull_failed")
    return redirect(f"{done}#account-{account_id}")
