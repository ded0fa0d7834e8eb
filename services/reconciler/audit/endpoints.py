"""``GET /v1/journal/verify``: the same check as ``sverka journal verify``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from services.reconciler.api.deps import DbSession
from shared import journal

router = APIRouter(prefix="/v1", tags=["journal"])


class ChainReportOut(BaseModel):
    ok: bool
    events: int
    head_hash: str
    broken_seq: int | None
    problem: str | None


@router.get("/journal/verify", response_model=ChainReportOut, responses={409: {"model": ChainReportOut}})
def verify_journal(session: DbSession) -> Any:
    """Recompute the hash chain. 200 when it holds; 409 naming the first broken link when it does not."""
    report = journal.verify(session)
    if not report.ok:
        return JSONResponse(report.as_dict(), status_code=409)
    return report.as_dict()
