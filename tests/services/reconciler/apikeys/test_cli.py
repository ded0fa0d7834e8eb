"""``sverka apikeys``: a key is printed once, stored only as its hash, listed without it, revoked for good."""

from __future__ import annotations

import hashlib

import httpx
from sqlalchemy import select

from services.reconciler.api.app import create_app
from shared import journal
from shared.db import session_scope
from shared.models import Partner
from shared.models.api import ApiKey
from tests.cli import sverka
from tests.http_servers import serve_asgi


def test_create_list_and_revoke_a_key(database_url: str) -> None:
    created = sverka("apikeys", "create", "--name", "billing", "--scope", "read", database_url=database_url)
    assert created.code == 0, created.stderr
    secret = created.json()["key"]
    listed = sverka("apikeys", "list", database_url=database_url)

    with session_scope() as session:
        [row] = session.scalars(select(ApiKey)).all()
        assert row.key_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert secret not in listed.stdout and row.prefix in listed.stdout
    with serve_asgi(create_app()) as base, httpx.Client(base_url=base) as http:
        before = http.get("/v1/invoices", headers={"Authorization": f"Bearer {secret}"})
        revoked = sverka("apikeys", "revoke", str(row.id), database_url=database_url)
        after = http.get("/v1/invoices", headers={"Authorization": f"Bearer {secret}"})

    assert before.status_code == 200 and revoked.code == 0 and after.status_code == 401
    assert listed.json()[0]["scope"] == "read" and listed.json()[0]["partner_inn"] is None
    assert sverka("apikeys", "revoke", str(row.id), database_url=database_url).code == 1
    with session_scope() as session:
        actions = [e.action for e in journal.entity_history(session, "api_key", row.id or 0)]
    assert actions == ["api_key.created", "api_key.revoked"]


def test_a_partner_key_needs_a_known_partner(database_url: str) -> None:
    unknown = sverka(
        "apikeys", "create", "--name", "p", "--scope", "read", "--partner", "7700000000", database_url=database_url
    )
    assert unknown.code == 1 and "7700000000" in unknown.stderr
    with session_scope() as session:
        session.add(Partner(name="ООО Ромашка", inn="7700000000"))
    known = sverka(
        "apikeys", "create", "--name", "p", "--scope", "read", "--partner", "7700000000", database_url=database_url
    )
    assert known.code == 0 and known.json()["partner_inn"] == "7700000000"
