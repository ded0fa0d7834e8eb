"""Request ids, access logs and metrics for every HTTP request, and ``GET /metrics``.

The middleware is plain ASGI rather than Starlette's ``BaseHTTPMiddleware`` so the request id's
context variable is visible to the endpoint, its dependencies and the threadpool they run in,
and streamed responses pass through untouched.

* ``X-Request-ID``: taken from the caller when it looks like an id (a proxy or a partner's own
  trace id), else a new one; echoed on the response and present in every log line of the request.
* One access-log record per request (``sverka.http``) with method, route template, status and
  duration, replacing uvicorn's access log (the Procfile runs uvicorn with ``--no-access-log``).
* ``sverka_http_requests_total`` / ``sverka_http_request_duration_seconds`` labelled by route
  *template* (``/v1/invoices/{invoice_id}``), never the raw path, so ids do not explode the series.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import Response

from shared import metrics
from shared.config import get_settings
from shared.db import get_engine
from shared.logging import configure_logging, request_id_var

log = logging.getLogger("sverka.http")
REQUEST_ID_HEADER = "x-request-id"
_ACCEPTABLE_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")

router = APIRouter(tags=["operations"])


@router.get("/metrics", include_in_schema=False)
def prometheus_metrics() -> Response:
    """Prometheus exposition: process metrics of every local process plus state read from the stores."""
    body = metrics.render(get_engine, get_settings().redis_url)
    return Response(body, media_type=metrics.CONTENT_TYPE)


def _request_id(scope: dict[str, Any]) -> str:
    for name, value in scope.get("headers", ()):
        if name == REQUEST_ID_HEADER.encode():
            candidate = bytes(value).decode("latin-1")
            if _ACCEPTABLE_ID.match(candidate):
                return candidate
    return uuid.uuid4().hex


class ObservabilityMiddleware:
    """Binds the request id, logs the request and records its metrics."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = _request_id(scope)
        token = request_id_var.set(rid)
        started = time.perf_counter()
        status = 500  # what the client gets if the app raises before answering

        async def send_with_id(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER.encode(), rid.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            method = scope.get("method", "GET")
            metrics.HTTP_REQUESTS.labels(method, route, str(status)).inc()
            metrics.HTTP_LATENCY.labels(method, route).observe(elapsed)
            if route != "/metrics":  # scraped every few seconds; its lines would bury the rest
                log.info(
                    "%s %s %s",
                    method,
                    scope.get("path", ""),
                    status,
                    extra={"method": method, "route": route, "status": status, "duration_ms": round(elapsed * 1000, 1)},
                )
            request_id_var.reset(token)


def install_observability(app: FastAPI) -> None:
    """The middleware and ``/metrics``; JSON logging for the process when configured.

    Only ``SVERKA_LOG_FORMAT=json`` replaces the process's log handlers: in text mode the host
    (uvicorn, pytest's log capture, the demo) keeps the handlers it installed.
    """
    if get_settings().log_format.lower() == "json":
        configure_logging()
    app.add_middleware(ObservabilityMiddleware)
    app.include_router(router)
