"""Liveness (the process answers) and readiness (the database answers)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from shared.db import get_engine

router = APIRouter(prefix="/v1", tags=["health"])


@router.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/ready", response_model=None)
def ready() -> Any:
    try:
        with get_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure means: do not route traffic here
        return JSONResponse(
            {"status": "unavailable", "reason": type(exc).__name__}, status_code=503, headers={"Retry-After": "5"}
        )
    return {"status": "ready"}
