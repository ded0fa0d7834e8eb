"""The status reads, ``GET /v1/invoices/{id}`` and ``/v1/invoices/by-number``: "is this paid?".

These two routes authenticate themselves instead of through the router's ``authenticate``
dependency, because on PostgreSQL the key and the invoice come back together in one statement,
on the event loop (:mod:`services.reconciler.integration.status_reads`). The rules are the other
routes' rules: a live key (any scope may read), one token from its rate limit bucket, a partner
key sees only its partner's invoices and their effective allocations, and row-level security
below. On SQLite (the embedded mode) the same answer comes from the ORM path in a worker thread.

:func:`status_reply` is the whole answer, errors included. The routes here serve it through
FastAPI; :mod:`services.reconciler.billing.status_lane` serves the same reply ahead of FastAPI's
routing for well-formed requests (docs/benchmarks.md, "Status reads").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials
from psycopg import Error as PsycopgError
from sqlmodel import Session

from services.reconciler.api.auth import (
    NO_KEY,
    UNKNOWN_KEY,
    Principal,
    Unauthenticated,
    authenticate,
    bearer,
    bucket_of,
    error_response,
    limiter_of,
    refuse_if_limited,
)
from services.reconciler.api.errors import database_unavailable_response
from services.reconciler.api.params import RowId
from services.reconciler.apikeys.service import KEY_PREFIX, hash_key
from services.reconciler.integration import reads, status_reads
from services.reconciler.integration.schemas import Invoice
from shared.db import postgres_unavailable, session_scope
from shared.db_async import AsyncPool, PoolExhausted, async_pool
from shared.errors import NotFound, SverkaError

router = APIRouter(prefix="/v1", tags=["invoices"])

Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
SyncRead = Callable[[Session, Principal], Invoice]


@router.get("/invoices/by-number", response_model=Invoice)
async def find_invoice(
    request: Request,
    credentials: Credentials,
    number: str = Query(min_length=1, max_length=100),
    direction: Literal["receivable", "payable"] = "receivable",
) -> Response:
    """Look an invoice up by our number (receivables are unique by number)."""
    secret = credentials.credentials if credentials else None
    pool = await async_pool()
    if pool is None:
        return await _sync_reply(
            request, credentials, lambda session, who: reads.invoice_by_number(session, number, direction, who)
        )
    return await status_reply(request.app, pool, secret, number=number, direction=direction)


@router.get("/invoices/{invoice_id}", response_model=Invoice)
async def read_invoice(invoice_id: RowId, request: Request, credentials: Credentials) -> Response:
    """Status, amount, paid, outstanding, last payment date, and the allocations with their payments."""
    secret = credentials.credentials if credentials else None
    pool = await async_pool()
    if pool is None:
        return await _sync_reply(request, credentials, lambda s, who: reads.invoice(s, invoice_id, who))
    return await status_reply(request.app, pool, secret, invoice_id=invoice_id)


async def status_reply(
    app: FastAPI,
    pool: AsyncPool,
    secret: str | None,
    *,
    invoice_id: int | None = None,
    number: str | None = None,
    direction: str = "receivable",
) -> Response:
    """The whole answer of a status read on PostgreSQL: 200 with the invoice, or the error the API gives."""
    try:
        return await _reply(app, pool, secret, invoice_id, number, direction)
    except SverkaError as exc:
        return error_response(exc)


async def _reply(
    app: FastAPI,
    pool: AsyncPool,
    secret: str | None,
    invoice_id: int | None,
    number: str | None,
    direction: str,
) -> Response:
    if secret is None:
        raise Unauthenticated(NO_KEY)
    if not secret.startswith(KEY_PREFIX):
        raise Unauthenticated(UNKNOWN_KEY)
    key_hash = hash_key(secret)
    try:
        answer = await pool.run(
            lambda conn: status_reads.read_invoice(
                conn, key_hash, invoice_id=invoice_id, number=number, direction=direction
            )
        )
    except PoolExhausted:
        return database_unavailable_response()
    except PsycopgError as exc:
        if postgres_unavailable(exc):
            return database_unavailable_response()
        raise
    key = answer.key
    if key is None:
        raise Unauthenticated(UNKNOWN_KEY)
    refuse_if_limited(await limiter_of(app).atake(bucket_of(key.id)), key.prefix)
    if answer.invoice is None:
        if invoice_id is not None:
            raise NotFound(f"invoice {invoice_id} not found")
        raise NotFound(f"{direction} invoice {number!r} not found", field="number")
    return invoice_response(answer.invoice)


def invoice_response(invoice: Invoice) -> Response:
    return Response(invoice.model_dump_json(), media_type="application/json")


async def _sync_reply(request: Request, credentials: HTTPAuthorizationCredentials | None, read: SyncRead) -> Response:
    """SQLite: the ORM path in a worker thread, errors through the app's handlers as on any route."""

    def in_session() -> Invoice:
        with session_scope() as session:
            return read(session, authenticate(request, session, credentials))

    return invoice_response(await run_in_threadpool(in_session))
