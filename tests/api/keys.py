"""Issue API keys straight through the service, for tests that call ``/v1`` (the CLI is tested separately)."""

from __future__ import annotations

from services.reconciler.apikeys.service import create_key
from shared.db import session_scope


def issue_key(scope: str = "write", *, partner_inn: str | None = None, name: str = "tests") -> str:
    with session_scope() as session:
        return create_key(session, name, scope, partner_inn=partner_inn, actor="tests").secret


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
