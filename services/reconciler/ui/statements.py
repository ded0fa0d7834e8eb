"""Statement files through the browser: drop or pick a file, see what it brought or why it was refused.

The same intake as the CLI and the API (``intake.service.import_statement_file``), one transaction
per file. A good file ends in a redirect to ``/ui/statements?shown=<ids>`` (post/redirect/get:
the result is read back from the stored statement rows, so a reload imports nothing twice); a
refused file re-renders the form with 422 and the file, the position and the reason. The upload
is a plain multipart form; ``app.js`` only adds the drop zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from adapters.banks.base import ParseError
from services.reconciler.access.deps import Accountant, Viewer
from services.reconciler.api.deps import DbSession
from services.reconciler.intake.service import import_statement_file
from services.reconciler.review import queue as views
from services.reconciler.ui.reads.overview import recent_imports
from services.reconciler.ui.rendering import UI, redirect, render
from shared.config import get_settings
from shared.errors import StatementRejected
from shared.models.access import User
from shared.tasks import enqueue_after_commit

router = APIRouter(prefix=UI, include_in_schema=False)
MATCH_TASK = "reconciler.match_open_lines"


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why a file was refused, split the way a person looks for it: which file, where, what."""

    file: str
    position: str | None
    reason: str


def _context(session: Session, shown: list[int] | None = None) -> dict[str, Any]:
    return {
        "imports": recent_imports(session, limit=25),
        "result": recent_imports(session, ids=shown) if shown else None,
        "accounts": views.accounts(session),
        "max_mb": get_settings().max_statement_bytes // (1024 * 1024),
    }


@router.get("/statements", response_class=HTMLResponse)
def statements_page(request: Request, session: DbSession, user: Viewer, shown: str = "") -> HTMLResponse:
    ids = [int(part) for part in shown.split(",") if part.isdigit()][:50]
    return render(request, "statements.html", _context(session, ids), user=user)


def rejection_of(exc: StatementRejected, filename: str) -> Rejection:
    cause = exc.__cause__
    if isinstance(cause, ParseError):
        where = [f"line {cause.line}"] if cause.line is not None else []
        if cause.element:
            where.append(cause.element)
        return Rejection(cause.file or filename, ", ".join(where) or None, cause.reason)
    message = exc.message.removeprefix(f"{filename}: ")
    position, _, reason = message.partition(": ")
    if reason and position.startswith(("line ", "record ")):
        return Rejection(filename, position, reason)
    return Rejection(filename, None, message)


@router.post("/statements")
async def upload_statement(
    request: Request,
    session: DbSession,
    user: Accountant,
    file: Annotated[UploadFile | None, File()] = None,
    account: Annotated[str, Form()] = "",
) -> Response:
    """Async only to read the upload; parsing and storing run in a worker thread.

    The file is a declared form field, so FastAPI parses the multipart body and closes its
    temporary file after the response, whether or not the access check let the request through.
    """
    hint = account.strip() or None
    if file is None or not file.filename:
        return await run_in_threadpool(_refused, request, session, user, Rejection("—", None, "no file was chosen"))
    limit = get_settings().max_statement_bytes
    data = await file.read(limit + 1)
    if len(data) > limit:
        rejection = Rejection(file.filename, None, f"the file is over the limit of {limit // (1024 * 1024)} MB")
        return await run_in_threadpool(_refused, request, session, user, rejection)
    return await run_in_threadpool(_import, request, session, user, data, file.filename, hint)


def _import(request: Request, session: Session, user: User, data: bytes, name: str, hint: str | None) -> Response:
    try:
        result = import_statement_file(session, data, name, actor=user.username, account_number=hint)
    except StatementRejected as exc:
        session.rollback()
        return _refused(request, session, user, rejection_of(exc, name))
    if result.new:
        enqueue_after_commit(session, MATCH_TASK, statement_ids=[s.statement_id for s in result.statements])
    ids = ",".join(str(s.statement_id) for s in result.statements)
    return redirect(f"{UI}/statements?shown={ids}")


def _refused(request: Request, session: Session, user: User, rejection: Rejection) -> HTMLResponse:
    return render(request, "statements.html", {**_context(session), "rejection": rejection}, user=user, status_code=422)
