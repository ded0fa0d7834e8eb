"""The reconciler's FastAPI application."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.notifier.documents.endpoints import router as documents_router
from services.notifier.endpoints import router as webhooks_router
from services.notifier.partner_portal import router as partner_page_router
from services.reconciler.api.auth import api_key_dependencies
from services.reconciler.api.errors import install_error_handlers
from services.reconciler.api.health import router as health_router
from services.reconciler.api.integration import install_integration_api
from services.reconciler.api.observability import install_observability
from services.reconciler.audit.endpoints import router as journal_router
from services.reconciler.billing.endpoints import router as billing_router
from services.reconciler.billing.status_endpoints import router as status_router
from services.reconciler.billing.status_lane import StatusReadLane
from services.reconciler.evidence.endpoints import router as evidence_router
from services.reconciler.intake.endpoints import router as intake_router
from services.reconciler.integration.endpoints import router as integration_router
from services.reconciler.payments.endpoints import router as payments_router
from services.reconciler.sync.endpoints import router as sync_router
from services.reconciler.ui.install import install_ui
from shared.db_async import close_async_pools

API_TITLE = "Sverka"
API_DESCRIPTION = (
    "Payment reconciliation: bank statements in, payments matched to invoices, partners notified. "
    "Amounts are decimal strings with their currency; timestamps are UTC ISO 8601."
)


def create_app(*, run_worker: bool = False) -> FastAPI:
    """Build the app. ``run_worker`` starts the in-process worker loop (embedded mode)."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        if run_worker:
            from shared.tasks import enqueue, start_in_process_scheduler

            enqueue("reconciler.match_open_lines")  # anything left open by a previous run
            start_in_process_scheduler(stop)
        yield
        stop.set()
        await close_async_pools()

    app = FastAPI(title=API_TITLE, description=API_DESCRIPTION, version="0.1.0", lifespan=lifespan)
    # Added first, so it runs inside the observability and ETag middlewares added below.
    app.add_middleware(StatusReadLane)
    install_error_handlers(app)
    install_observability(app)
    install_integration_api(app)
    install_ui(app)
    for router in (
        health_router,
        status_router,  # first: the routes other services call all day are matched before the rest
        billing_router,
        intake_router,
        payments_router,
        webhooks_router,
        sync_router,
        journal_router,
        integration_router,
        documents_router,
        evidence_router,
    ):
        app.include_router(router, dependencies=api_key_dependencies(router))
    app.include_router(partner_page_router)  # no API key: the signed, expiring link is the credential
    return app
