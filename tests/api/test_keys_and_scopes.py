"""Who may do what: a key is required, a read key cannot write, a partner's key sees only that partner."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from sverka_client import AuthenticationError, NotFoundError, PermissionDeniedError, SverkaClient

from tests.api.conftest import INN_A, INN_B, camt, invoice
from tests.api.keys import bearer, issue_key


def test_every_v1_route_but_health_needs_a_live_key(base_url: str) -> None:
    with httpx.Client(base_url=base_url) as http:
        assert http.get("/v1/health").status_code == 200
        assert http.get("/v1/ready").status_code == 200
        assert http.get("/openapi.json").status_code == 200
        anonymous = http.get("/v1/invoices")
        forged = http.get("/v1/invoices", headers=bearer("svk_" + "x" * 43))
        webhooks = http.get("/v1/webhooks")
    assert anonymous.status_code == forged.status_code == webhooks.status_code == 401
    assert anonymous.headers["WWW-Authenticate"] == "Bearer"
    assert anonymous.json()["error"]["code"] == "unauthenticated"


def test_a_read_key_reads_but_cannot_write(client: Callable[..., SverkaClient]) -> None:
    writer, reader = client("write"), client("read")
    created = writer.create_invoice(invoice("INV-1"))

    assert reader.get_invoice(created.id).number == "INV-1"
    with pytest.raises(PermissionDeniedError):
        reader.create_invoice(invoice("INV-2"))
    with pytest.raises(PermissionDeniedError):
        reader.cancel_invoice(created.id, "no")
    assert [i.number for i in reader.iter_invoices()] == ["INV-1"]
    assert reader.get_invoice(created.id).status == "open"


def test_a_partners_key_sees_only_that_partner(client: Callable[..., SverkaClient], base_url: str) -> None:
    internal = client("write")
    ours = internal.create_invoice(invoice("A-1", inn=INN_A))
    theirs = internal.create_invoice(invoice("B-1", inn=INN_B))
    with httpx.Client(base_url=base_url, headers=bearer(issue_key())) as http:
        body = camt(("REF-A", "10.00", INN_A, "x"), ("REF-B", "20.00", INN_B, "y"))
        assert http.post("/v1/statements", files={"file": ("s.xml", body, "application/xml")}).status_code == 200
    partner = client("write", partner_inn=INN_A)

    assert [i.number for i in partner.iter_invoices()] == ["A-1"]
    assert partner.get_invoice(ours.id).number == "A-1"
    with pytest.raises(NotFoundError):
        partner.get_invoice(theirs.id)
    with pytest.raises(NotFoundError):
        partner.find_invoice("B-1")
    assert [p.bank_ref for p in partner.iter_payments()] == ["REF-A"]
    assert [p.inn for p in partner.list_partners().data] == [INN_A]
    assert [c.number for c in partner.list_contracts().data] == [f"D-{INN_A}"]
    with pytest.raises(NotFoundError):
        partner.get_partner(theirs.partner_id)
    with pytest.raises(NotFoundError):
        partner.journal("invoice", theirs.id)
    with pytest.raises(PermissionDeniedError):  # writing another partner's invoice
        partner.create_invoice(invoice("B-2", inn=INN_B))
    with pytest.raises(PermissionDeniedError):  # statements, decisions, webhooks are internal
        partner.request("GET", "/v1/statements")
    assert partner.create_invoice(invoice("A-2", inn=INN_A)).partner_inn == INN_A


def test_a_revoked_key_is_refused_from_then_on(client: Callable[..., SverkaClient], database_url: str) -> None:
    from sqlalchemy import select

    from services.reconciler.apikeys.service import revoke_key
    from shared.db import session_scope
    from shared.models.api import ApiKey

    c = client("read")
    assert c.list_invoices().data == ()
    with session_scope() as session:
        [key] = session.scalars(select(ApiKey)).all()
        revoke_key(session, key.id or 0, actor="tests")
    with pytest.raises(AuthenticationError):
        c.list_invoices()
