"""Everything ``/v1`` adds around the routes for integrators, installed in one call by the app factory."""

from __future__ import annotations

from fastapi import FastAPI

from services.reconciler.api.auth import install_auth_error_handlers
from services.reconciler.api.etag import ETagMiddleware
from services.reconciler.api.idempotency import IdempotencyMiddleware
from services.reconciler.api.openapi import install_openapi


def install_integration_api(app: FastAPI) -> None:
    """Auth error headers, Idempotency-Key on POSTs, ETags on reads, and an OpenAPI document that says so."""
    install_auth_error_handlers(app)
    app.add_middleware(ETagMiddleware)
    app.add_middleware(IdempotencyMiddleware)
    install_openapi(app)
