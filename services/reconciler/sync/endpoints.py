"""HTTP endpoints of bank sync: pull an account now, read its pull history."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, status
from fastapi.responses import JSONResponse

from services.reconciler.api.auth import InternalPrincipal
from services.reconciler.api.deps import DbSession
from services.reconciler.api.errors import error_body
from services.reconciler.sync.schemas import PullFailedOut, PullOut
from services.reconciler.sync.service import list_pulls, pull_account

router = APIRouter(prefix="/v1", tags=["bank sync"])


@router.post(
    "/accounts/{account_id}/pull",
    response_model=PullOut,
    responses={status.HTTP_502_BAD_GATEWAY: {"model": PullFailedOut, "description": "The bank failed; recorded."}},
)
def pull_now(account_id: str, session: DbSession, who: InternalPrincipal) -> Any:
    """Pull the account's next window from its bank now (``account_id``: our number or our id).

    A bank failure answers 502 with the recorded pull: the failure is committed, the window's
    lines and the cursor are not. 409 when the account is being pulled at this moment.
    """
    result = pull_account(session, account_id, actor=who.actor)
    body = PullOut.model_validate(result.as_dict())
    if result.ok:
        return body
    failed = PullFailedOut(error=error_body("bank_pull_failed", result.error or "the pull failed")["error"], pull=body)
    return JSONResponse(failed.model_dump(mode="json"), status_code=status.HTTP_502_BAD_GATEWAY)


@router.get("/accounts/{account_id}/pulls", response_model=list[PullOut])
def pull_history(account_id: str, session: DbSession, limit: int = Query(default=50, ge=1, le=500)) -> Any:
    """The account's pulls, newest first."""
    return [PullOut.model_validate(p.as_dict()) for p in list_pulls(session, account_id, limit=limit)]
