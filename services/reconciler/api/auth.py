"""Who is calling ``/v1``: the API key in ``Authorization: Bearer …``, its scope and partner.

Every ``/v1`` router (except health) is mounted with one of two dependencies:

* :func:`authenticate` — any live key; a GET/HEAD needs ``read``, any other method ``write``
  (write implies read). Routes under it that return partner data filter by the key's partner.
* :func:`authenticate_internal` — the same, and a partner-scoped key is refused (403): statements,
  bank pulls, webhooks and payment decisions are for our own services, not for partners.

Both spend one token from the key's rate limit bucket (429 with ``Retry-After`` when empty), and a
partner's key binds the request's transaction to its partner (``deps.bind_partner``), which
PostgreSQL's row-level security enforces below the scope conditions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import DataError

from services.reconciler.api.deps import DbSession, bind_partner
from services.reconciler.api.errors import error_body
from services.reconciler.api.ratelimit import RateLimiter, default_limiter, retry_after_header
from services.reconciler.apikeys.service import live_key
from shared.config import get_settings
from shared.errors import SverkaError
from shared.models import Partner

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key from `sverka apikeys create`, sent as `Authorization: Bearer svk_…`.",
)


class Unauthenticated(SverkaError):
    status_code = 401
    code = "unauthenticated"


class Forbidden(SverkaError):
    status_code = 403
    code = "forbidden"


class RateLimited(SverkaError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: str) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Principal:
    """The calling key, as endpoints need it."""

    key_id: int
    name: str
    scope: str
    partner_id: int | None
    partner_inn: str | None

    @property
    def actor(self) -> str:
        """What the journal records as who did it."""
        return f"api:{self.name}"

    @property
    def can_write(self) -> bool:
        return self.scope == "write"


NO_KEY = "send an API key as 'Authorization: Bearer <key>'"
UNKNOWN_KEY = "the API key is unknown or revoked"


def bucket_of(key_id: int) -> str:
    """The rate limit bucket of a key (one per key, shared by every worker through Redis)."""
    return f"key:{key_id}"


def refuse_if_limited(wait: float | None, prefix: str) -> None:
    """429 with ``Retry-After`` when the limiter said to wait."""
    if wait is not None:
        raise RateLimited(f"rate limit of key {prefix}… exceeded", retry_after=retry_after_header(wait))


def limiter_of(app: FastAPI) -> RateLimiter:
    limiter: RateLimiter | None = getattr(app.state, "rate_limiter", None)
    if limiter is None:
        limiter = app.state.rate_limiter = default_limiter(get_settings().redis_url)
    return limiter


def authenticate(
    request: Request,
    session: DbSession,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    if credentials is None:
        raise Unauthenticated(NO_KEY)
    key = live_key(session, credentials.credentials)
    if key is None:
        raise Unauthenticated(UNKNOWN_KEY)
    refuse_if_limited(limiter_of(request.app).take(bucket_of(key.id or 0)), key.prefix)
    if request.method not in READ_METHODS and key.scope != "write":
        raise Forbidden(f"key {key.prefix}… is read-only; this needs a write key")
    partner = None
    if key.partner_id:
        bind_partner(session, key.partner_id)  # PostgreSQL's row-level security: this partner's rows only
        partner = session.get(Partner, key.partner_id)
    principal = Principal(key.id or 0, key.name, key.scope, key.partner_id, partner.inn if partner else None)
    request.state.principal = principal
    return principal


def authenticate_internal(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
    if principal.partner_id is not None:
        raise Forbidden("a partner's key cannot use this route")
    return principal


ApiPrincipal = Annotated[Principal, Depends(authenticate)]
InternalPrincipal = Annotated[Principal, Depends(authenticate_internal)]


def error_response(exc: SverkaError) -> JSONResponse:
    """The error body with the headers a client needs to act: how to authenticate (401), when to
    come back (429). The app's handlers answer with it, and so do the status reads, which build
    their answer without going through the handlers."""
    headers: dict[str, str] = {}
    if isinstance(exc, Unauthenticated):
        headers["WWW-Authenticate"] = "Bearer"
    elif isinstance(exc, RateLimited):
        headers["Retry-After"] = exc.retry_after
    return JSONResponse(error_body(exc.code, exc.message, exc.field), status_code=exc.status_code, headers=headers)


def install_auth_error_handlers(app: FastAPI) -> None:
    """401 says how to authenticate; 429 says when to come back (headers the shared handler does not set);
    a number out of the database's range is the client's 422, not our 500."""

    @app.exception_handler(Unauthenticated)
    @app.exception_handler(RateLimited)
    async def _auth(_: Request, exc: SverkaError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def _out_of_range(_: Request, exc: Exception) -> JSONResponse:
        # A number the database cannot hold (an id past 32/64 bits) in a route that did not bound it.
        return JSONResponse(error_body("invalid_input", "a number is out of range"), status_code=422)


def api_key_dependencies(router: APIRouter) -> list[Any]:
    """What a router is mounted with: nothing for health, a key for the rest.

    Routers that render partner data through the scope filters accept partner keys; every other
    router (including any added later) is internal-only by default, so a new route cannot leak
    to a partner by omission.
    """
    from services.reconciler.api.health import router as health_router
    from services.reconciler.billing.endpoints import router as billing_router
    from services.reconciler.billing.status_endpoints import router as status_router
    from services.reconciler.evidence.endpoints import router as evidence_router
    from services.reconciler.integration.endpoints import router as integration_router
    from services.reconciler.payments.endpoints import router as payments_router

    if router is health_router:
        return []
    if router is status_router:
        return []  # its routes authenticate themselves, in the same round trip as the read
    if router in (billing_router, payments_router, integration_router, evidence_router):
        return [Depends(authenticate)]
    return [Depends(authenticate_internal)]
