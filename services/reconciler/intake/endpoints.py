"""Statement upload over HTTP: the same intake as the CLI, one transaction per file."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, UploadFile

from services.reconciler.api.deps import API_ACTOR, DbSession
from services.reconciler.intake.service import import_statement_file
from shared.config import get_settings
from shared.errors import StatementRejected
from shared.tasks import enqueue_after_commit

router = APIRouter(prefix="/v1", tags=["statements"])


@router.post("/statements")
async def upload_statement(file: UploadFile, session: DbSession, account: str | None = Form(default=None)) -> Any:
    """Import a statement file; a bad file is refused with 422 naming the position and reason."""
    limit = get_settings().max_statement_bytes
    data = await file.read(limit + 1)
    name = file.filename or "upload"
    if len(data) > limit:
        raise StatementRejected(f"{name}: file is over the limit of {limit} bytes")
    result = import_statement_file(session, data, name, actor=API_ACTOR, account_number=account)
    if result.new:
        enqueue_after_commit(session, "reconciler.match_open_lines")
    return result.as_dict()
