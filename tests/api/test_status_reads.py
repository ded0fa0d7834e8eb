"""The status reads ("is this paid?") say exactly what the ORM path says, for every kind of key.

On PostgreSQL the two routes answer from one statement (``invoice_status()``, migration 0012),
served ahead of FastAPI's routing for well-formed requests (``billing/status_lane.py``); on SQLite
from the ORM. Here both databases are asked the same questions over real HTTP, and every answer is
compared with :func:`reads.invoice` / :func:`reads.invoice_by_number`, the ORM path the rest of the
API renders invoices with.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sverka_client import SverkaClient

from services.reconciler.api.auth import Principal
from services.reconciler.apikeys.service import create_key
from services.reconciler.billing.status_lane import by_id_param, by_number_params
from services.reconciler.integration import reads
from services.reconciler.matching.service import reconcile
from shared.db import session_scope
from shared.errors import NotFound
from tests.api.conftest import INN_A, INN_B, camt, invoice
from tests.api.keys import bearer, issue_key


def _key(scope: str, partner_inn: str | None) -> tuple[str, Principal]:
    with session_scope() as session:
        made = create_key(session, f"status-{scope}-{partner_inn}", scope, partner_inn=partner_inn, actor="tests")
        key = made.key
        return made.secret, Principal(key.id or 0, key.name, key.scope, key.partner_id, made.partner_inn)


def _orm(principal: Principal, *, invoice_id: int | None = None, number: str = "", direction: str = "") -> Any:
    """What the ORM path renders for this key, as JSON; None where it answers 404."""
    with session_scope() as session:
        try:
            if invoice_id is not None:
                found = reads.invoice(session, invoice_id, principal)
            else:
                found = reads.invoice_by_number(session, number, direction, principal)
        except NotFound:
            return None
        return found.model_dump(mode="json")


@pytest.fixture
def world(client: Callable[..., SverkaClient], base_url: str) -> dict[str, int]:
    """Invoices of two partners with every kind of allocation: automatic, suggested, manual, reversed."""
    c = client()
    ids = {
        "A-AUTO": c.create_invoice(invoice("A-AUTO", "600.00")).id,
        "A-SPLIT": c.create_invoice(invoice("A-SPLIT", "900.00")).id,
        "A-OPEN": c.create_invoice(invoice("A-OPEN", "100.00", due_date="2026-07-01")).id,
        "B-SPLIT": c.create_invoice(invoice("B-SPLIT", "500.00", inn=INN_B)).id,
        "B-LOOKALIKE": c.create_invoice(invoice("B-LOOKALIKE", "250.00", inn=INN_B)).id,
    }
    c.create_invoice(invoice("A-PAYABLE", "70.00", direction="payable"))
    statement = camt(
        ("REF-AUTO", "600.00", INN_A, "оплата по счету A-AUTO"),
        ("REF-SPLIT", "1000.00", "7700000000", "за товар"),
        ("REF-GUESS", "250.00", "7700000001", "оплата счет LOOKALIK"),
    )
    with httpx.Client(base_url=base_url, headers=bearer(issue_key())) as http:
        sent = http.post("/v1/statements", files={"file": ("s.xml", statement, "application/xml")})
    assert sent.status_code == 200, sent.text
    with session_scope() as session:
        reconcile(session)
    [split] = c.list_payments(bank_ref="REF-SPLIT").data
    c.allocate(split.id, {ids["A-SPLIT"]: "500.00", ids["B-SPLIT"]: Decimal("500.00")}, reason="per letter")
    [on_b] = c.get_invoice(ids["B-SPLIT"]).allocations
    c.reverse_allocation(on_b.id, "the partner says it was theirs")
    return ids


def _get(base_url: str, secret: str, path: str) -> httpx.Response:
    with httpx.Client(base_url=base_url, headers=bearer(secret)) as http:
        return http.get(path)


def test_every_key_reads_every_invoice_as_the_orm_path_renders_it(world: dict[str, int], base_url: str) -> None:
    a_auto = _get(base_url, issue_key("read"), f"/v1/invoices/{world['A-AUTO']}").json()
    assert (a_auto["status"], a_auto["paid"], a_auto["last_payment_date"]) == ("paid", "600.00", "2026-05-20")
    kinds = {a["kind"] for i in world.values() for a in _orm(_key("read", None)[1], invoice_id=i)["allocations"]}
    assert {"auto", "manual"} <= kinds, "the world has money moved automatically and by hand"

    for scope, inn in (("read", None), ("write", None), ("read", INN_A), ("read", INN_B)):
        secret, principal = _key(scope, inn)
        for number, invoice_id in world.items():
            by_id = _get(base_url, secret, f"/v1/invoices/{invoice_id}")
            by_number = _get(base_url, secret, f"/v1/invoices/by-number?number={number}")
            expected = _orm(principal, invoice_id=invoice_id)
            assert expected == _orm(principal, number=number, direction="receivable")
            for answer in (by_id, by_number):
                if expected is None:
                    assert answer.status_code == 404, (scope, inn, number)
                    assert answer.json()["error"]["code"] == "not_found"
                else:
                    assert answer.status_code == 200, (scope, inn, number, answer.text)
                    assert answer.json() == expected, (scope, inn, number)


def test_a_partner_sees_its_invoices_and_only_the_money_moved_onto_them(world: dict[str, int], base_url: str) -> None:
    secret_b, _ = _key("read", INN_B)
    internal = _get(base_url, issue_key("read"), f"/v1/invoices/{world['B-LOOKALIKE']}").json()
    as_partner = _get(base_url, secret_b, f"/v1/invoices/{world['B-LOOKALIKE']}").json()
    assert internal["allocations"] and {a["kind"] for a in internal["allocations"]} == {"suggested"}
    assert as_partner["allocations"] == []
    assert _get(base_url, secret_b, f"/v1/invoices/{world['A-AUTO']}").status_code == 404
    reversed_split = _get(base_url, secret_b, f"/v1/invoices/{world['B-SPLIT']}").json()
    assert (reversed_split["status"], reversed_split["paid"]) == ("open", "0.00")
    assert reversed_split["allocations"][0]["reversal_reason"] == "the partner says it was theirs"


def test_payables_are_found_by_number_with_their_direction(world: dict[str, int], base_url: str) -> None:
    secret = issue_key("read")
    payable = _get(base_url, secret, "/v1/invoices/by-number?number=A-PAYABLE&direction=payable")
    assert (payable.status_code, payable.json()["direction"]) == (200, "payable")
    missing = _get(base_url, secret, "/v1/invoices/by-number?number=A-PAYABLE")
    assert missing.status_code == 404
    assert missing.json()["error"] == {
        "code": "not_found",
        "message": "receivable invoice 'A-PAYABLE' not found",
        "field": "number",
    }


def test_keys_are_checked_before_anything_is_read(world: dict[str, int], base_url: str) -> None:
    path = f"/v1/invoices/{world['A-AUTO']}"
    with httpx.Client(base_url=base_url) as http:
        nothing = http.get(path)
        basic = http.get(path, headers={"Authorization": "Basic dXNlcjpwYXNz"})
        unknown = http.get(path, headers=bearer("svk_" + "x" * 43))
        foreign = http.get(path, headers=bearer("not-ours"))
    for answer in (nothing, basic, unknown, foreign):
        assert answer.status_code == 401
        assert answer.headers["www-authenticate"] == "Bearer"
    assert nothing.json()["error"]["message"] == "send an API key as 'Authorization: Bearer <key>'"
    assert unknown.json()["error"]["message"] == "the API key is unknown or revoked"

    secret, principal = _key("read", None)
    assert _get(base_url, secret, path).status_code == 200
    with session_scope() as session:
        from services.reconciler.apikeys.service import revoke_key

        revoke_key(session, principal.key_id, actor="tests")
    assert _get(base_url, secret, path).status_code == 401, "revocation holds from the next request"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/v1/invoices/0", 422),
        ("/v1/invoices/99999999999", 422),
        ("/v1/invoices/abc", 422),
        ("/v1/invoices/by-number", 422),
        ("/v1/invoices/by-number?number=", 422),
        ("/v1/invoices/by-number?number=A-AUTO&direction=sideways", 422),
        (f"/v1/invoices/by-number?number={'9' * 101}", 422),
        ("/v1/invoices/by-number?number=A-AUTO&number=A-AUTO", 200),
    ],
)
def test_requests_the_fast_lane_does_not_take_get_fastapis_answers(
    world: dict[str, int], base_url: str, path: str, status: int
) -> None:
    answer = _get(base_url, issue_key("read"), path)
    assert answer.status_code == status, answer.text
    if status == 422:
        assert answer.json()["error"]["code"] == "invalid_input"


def test_the_lane_recognises_exactly_the_requests_it_can_answer_as_the_routes_would() -> None:
    assert by_id_param("/v1/invoices/42") == 42
    assert by_id_param("/v1/invoices/0042") == 42
    for path in ("/v1/invoices/0", "/v1/invoices/-1", "/v1/invoices/4²", "/v1/invoices/1/evidence", "/v1/invoices/"):
        assert by_id_param(path) is None, path
    assert by_id_param(f"/v1/invoices/{2**31}") is None
    assert by_number_params(b"number=INV%2F7") == {"number": "INV/7", "direction": "receivable"}
    assert by_number_params(b"number=7&direction=payable&extra=1") == {"number": "7", "direction": "payable"}
    for query in (b"", b"number=", b"number=1&number=2", b"number=1&direction=up", b"direction=payable"):
        assert by_number_params(query) is None, query


def test_an_unchanged_invoice_answers_304_to_its_etag(world: dict[str, int], base_url: str) -> None:
    secret = issue_key("read")
    first = _get(base_url, secret, f"/v1/invoices/{world['A-OPEN']}")
    with httpx.Client(base_url=base_url, headers=bearer(secret)) as http:
        again = http.get(f"/v1/invoices/{world['A-OPEN']}", headers={"If-None-Match": first.headers["etag"]})
    assert (again.status_code, again.content) == (304, b"")
    assert first.headers["x-request-id"]


def test_on_postgresql_the_lane_answers_and_on_sqlite_fastapi_does(
    world: dict[str, int], base_url: str, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from services.reconciler.billing import status_lane

    answered: list[dict[str, Any]] = []
    original = status_lane.status_reply

    async def spy(*args: Any, **params: Any) -> Any:
        answered.append(params)
        return await original(*args, **params)

    monkeypatch.setattr(status_lane, "status_reply", spy)
    assert _get(base_url, issue_key("read"), f"/v1/invoices/{world['A-OPEN']}").status_code == 200
    assert answered == ([{"invoice_id": world["A-OPEN"]}] if database_url.startswith("postgresql") else [])
