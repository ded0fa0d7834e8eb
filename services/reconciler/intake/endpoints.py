"""Statement upload over HTTP: the same intake as the CLI, one transaction per file."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, UploadFile
from starlette.concurrency import run_in_threadpool

from services.reconciler.api.auth import InternalPrincipal
from services.reconciler.api.deps import DbSession
from services.reconciler.api.params import RowId
from services.reconciler.intake.service import import_statement_file
from services.reconciler.integration import filters, reads
from services.reconciler.integration.schemas import Statement, StatementPage
from shared.config import get_settings
from shared.errors import StatementRejected
from shared.tasks import enqueue_after_commit

MATCH_TASK = "reconciler.match_open_lines"

router = APIRouter(prefix="/v1", tags=["statements"])


@router.post("/statements")
async def upload_statement(
    file: UploadFile, session: DbSession, who: InternalPrincipal, account: str | None = Form(default=None)
) -> Any:
    """Import a statement file; a bad file is refused with 422 naming the position and reason.

    Async only to read the upload. Parsing and storing block, so they run in a worker thread:
    run on the event loop they would stall every other request, and under concurrent imports
    on PostgreSQL the serialised writers would wait on a lock whose holder cannot be scheduled.
    """
    limit = get_settings().max_statement_bytes
    data = await file.read(limit + 1)
    name = file.filename or "upload"
    if len(data) > limit:
        raise StatementRejected(f"{name}: file is over the limit of {limit} bytes")
    result = await run_in_threadpool(
        import_statement_file, session, data, name, actor=who.actor, account_number=account
    )
    if result.new:
        enqueue_after_commit(session, MATCH_TASK, statement_ids=[s.statement_id for s in result.statements])
    return result.as_dict()


@router.get("/statements", response_model=StatementPage)
def list_statements(
    session: DbSession, who: InternalPrincipal, f: Annotated[filters.StatementFilters, Query()]
) -> StatementPage:
    """Imports (files and API pulls), a page at a time, oldest first."""
    return reads.statement_page(session, f)


@router.get("/statements/{statement_id}", response_model=Statement)
def read_statement(statement_id: RowId, session: DbSession, who: InternalPrincipal) -> Statement:
    return reads.statement(session, statement_id)
