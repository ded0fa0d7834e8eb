"""The status reads served ahead of FastAPI's routing: the same reply, less framework per request.

A status read costs under a millisecond of work (one statement, one rate-limit script, the JSON),
and FastAPI's routing, dependency resolution and exception layers cost about as much again
(docs/benchmarks.md, "Status reads"). At the 2,000 reads/s issue 7 asks of 2 cores, that is the
difference. So this ASGI middleware recognises the two status routes, and for a well-formed
request answers with :func:`status_endpoints.status_reply`, the function the FastAPI routes
themselves call: same statement, same rules, same bytes.

It sits inside the observability and ETag middlewares (request id, access log, metrics labelled
by route template, ``ETag``/``304``), so those apply unchanged. Anything it does not recognise
exactly goes on to FastAPI: another method or path, a query it would have to validate (a repeated
or out-of-range parameter, an unknown direction), no PostgreSQL (SQLite's embedded mode). FastAPI
then answers as it always did, including its 422s. ``tests/api/test_status_reads.py`` sends the
same requests through both and compares the answers.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qsl

from fastapi.responses import Response
from fastapi.security.utils import get_authorization_scheme_param

from services.reconciler.api.params import MAX_ID
from services.reconciler.billing.status_endpoints import status_reply
from shared.db_async import async_pool

BY_ID_PREFIX = "/v1/invoices/"
BY_NUMBER_PATH = "/v1/invoices/by-number"
DIRECTIONS = frozenset({"receivable", "payable"})
MAX_NUMBER_LENGTH = 100  # as the route's Query(max_length=…)

# What the observability middleware labels the request with (the route *template*).
_BY_ID_ROUTE = SimpleNamespace(path="/v1/invoices/{invoice_id}")
_BY_NUMBER_ROUTE = SimpleNamespace(path=BY_NUMBER_PATH)

Scope = dict[str, Any]


def by_number_params(query_string: bytes) -> dict[str, str] | None:
    """``number`` (and ``direction``) when the query is one FastAPI would accept as is, else None."""
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)  # latin-1 decodes any byte
    params = dict(pairs)
    if len(params) != len(pairs):
        return None  # a repeated parameter: FastAPI's rules decide which one counts
    number = params.get("number")
    direction = params.get("direction", "receivable")
    if number is None or not 1 <= len(number) <= MAX_NUMBER_LENGTH or direction not in DIRECTIONS:
        return None
    return {"number": number, "direction": direction}


def by_id_param(path: str) -> int | None:
    """The id of ``/v1/invoices/{id}`` when it is plain digits within the route's range, else None."""
    tail = path[len(BY_ID_PREFIX) :]
    if not tail.isascii() or not tail.isdigit():
        return None
    value = int(tail)
    return value if 1 <= value <= MAX_ID else None


def _authorization(scope: Scope) -> str | None:
    """The bearer secret, read as FastAPI's ``HTTPBearer(auto_error=False)`` reads it."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, credentials = get_authorization_scheme_param(value.decode("latin-1"))
            if scheme.lower() == "bearer" and credentials:
                return credentials
            return None
    return None


class StatusReadLane:
    """ASGI middleware: answers well-formed status reads on PostgreSQL; passes everything else on."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"].startswith(BY_ID_PREFIX):
            response = await self._answer(scope)
            if response is not None:
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _answer(self, scope: Scope) -> Response | None:
        path: str = scope["path"]
        if path == BY_NUMBER_PATH:
            params: dict[str, Any] | None = by_number_params(scope["query_string"])
            route = _BY_NUMBER_ROUTE
        else:
            invoice_id = by_id_param(path)
            params = None if invoice_id is None else {"invoice_id": invoice_id}
            route = _BY_ID_ROUTE
        if params is None:
            return None
        pool = await async_pool()
        if pool is None:
            return None
        scope["route"] = route
        return await status_reply(scope["app"], pool, _authorization(scope), **params)
