"""Liveness (the process answers) and readiness (the database, and Redis when configured, answer).

Readiness is what a load balancer or orchestrator routes on: during a PostgreSQL or Redis outage
it answers 503 with ``Retry-After`` and names the component, while liveness keeps answering 200
so the process is not restarted for an outage it cannot fix.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from shared.config import get_settings
from shared.db import get_engine

router = APIRouter(prefix="/v1", tags=["health"])


@router.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


def _redis_answers(url: str, timeout: float) -> None:
    import redis

    client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        client.ping()
    finally:
        client.close()


@router.get("/ready", response_model=None)
def ready() -> Any:
    settings = get_settings()
    checks: list[tuple[str, Any]] = [("database", _database_answers)]
    if settings.redis_url:
        checks.append(("redis", lambda: _redis_answers(settings.redis_url, settings.ready_timeout_seconds)))
    for component, check in checks:
        try:
            check()
        except Exception as exc:  # any failure means: do not route traffic here
            return JSONResponse(
                {"status": "unavailable", "component": component, "reason": type(exc).__name__},
                status_code=503,
                headers={"Retry-After": "5"},
            )
    return {"status": "ready"}


def _database_answers() -> None:
    with get_engine().connect() as conn:
        conn.execute(text("SELECT 1"))
