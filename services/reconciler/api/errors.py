"""One error schema for every failure: ``{"error": {"code", "message", "field"}}``."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError

from shared.db import database_unavailable
from shared.errors import SverkaError

# What a client should wait before retrying while the database is away (as readiness says).
DATABASE_RETRY_AFTER = "5"


def database_unavailable_response() -> JSONResponse:
    """503 ``unavailable`` with ``Retry-After``: the request's transaction did not commit (it was rolled back)."""
    return JSONResponse(
        error_body("unavailable", "the database is not answering; retry later"),
        status_code=503,
        headers={"Retry-After": DATABASE_RETRY_AFTER},
    )


def error_body(code: str, message: str, field: str | None = None) -> dict[str, dict[str, str | None]]:
    return {"error": {"code": code, "message": message, "field": field}}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SverkaError)
    async def _domain(_: Request, exc: SverkaError) -> JSONResponse:
        return JSONResponse(error_body(exc.code, exc.message, exc.field), status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        field = ".".join(str(x) for x in first.get("loc", ()) if x != "body") or None
        return JSONResponse(error_body("invalid_input", str(first.get("msg")), field), status_code=422)

    @app.exception_handler(DBAPIError)
    async def _database(_: Request, exc: DBAPIError) -> JSONResponse:
        # A PostgreSQL restart or failover: tell the client when to come back instead of a 500. The pool
        # pre-pings, so once the server answers again the next request reconnects; no restart needed.
        if database_unavailable(exc):
            return database_unavailable_response()
        raise exc  # a failing statement is a bug: the server's 500, with its traceback in the log
