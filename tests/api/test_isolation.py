"""Tenant isolation: partner A's key, walked over every operation of the live OpenAPI document with B's ids.

Two partners, A and B, each with a contract, invoices and payments allocated to them, and one
payment from a third party split between A's and B's invoices. Partner A's key then calls every
operation the running app publishes, with B's ids wherever the path (or the query, or the body)
takes an id: lookups and writes of B's data answer 404 (as for an id that does not exist) or 403
(routes for our own services), never 2xx and never 5xx, and no body ever carries B's data. Lists
answer 200 without a single item of B, however they are filtered. A's own ids answer 200, so the
walk cannot pass by refusing everything.

An operation the walk does not know fails the test (``OPERATIONS`` below says how to call each
one), so a route added later is covered from its first commit instead of skipped.
"""

from __future__ import annotations

import base64
import io
import json
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from itsdangerous import URLSafeTimedSerializer

from services.notifier import portal_links
from tests.api.conftest import camt
from tests.api.keys import bearer, issue_key

INN_A, NAME_A = "7701234567", "ООО Альфа"
INN_B, NAME_B = "7809876543", "ООО Бета"
INN_C = "5003000001"  # a third party paying invoices of both
ACCOUNT = "40702810900000000001"  # ours, in tests.api.conftest.camt
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# Text that appears in B's data and nowhere in A's.
B_MARKERS = (INN_B, NAME_B, "D-B", "B-1", "B-2", "REF-B")


def _invoice(number: str, amount: str, inn: str, name: str, contract: str) -> dict[str, Any]:
    return {
        "invoice_no": number,
        "amount": amount,
        "currency": "RUB",
        "partner_name": name,
        "partner_inn": inn,
        "contract_no": contract,
    }


def invoice_a(number: str = "A-1", amount: str = "1000.00") -> dict[str, Any]:
    return _invoice(number, amount, INN_A, NAME_A, "D-A")


def invoice_b(number: str = "B-1", amount: str = "1000.00") -> dict[str, Any]:
    return _invoice(number, amount, INN_B, NAME_B, "D-B")


@dataclass
class Side:
    """One partner's ids."""

    partner: int = 0
    contract: int = 0
    invoices: dict[str, int] = field(default_factory=dict)
    payments: dict[str, int] = field(default_factory=dict)
    allocations: list[int] = field(default_factory=list)

    @property
    def invoice(self) -> int:
        return min(self.invoices.values())

    @property
    def payment(self) -> int:
        return min(self.payments.values())


@dataclass
class World:
    a: Side
    b: Side
    statement: int
    webhook: int
    split_payment: int  # from INN_C: 300.00 to A-1 and 500.00 to B-2
    internal_key: str
    a_key: str


@pytest.fixture
def world(base_url: str, monkeypatch: pytest.MonkeyPatch) -> World:
    """A and B as our own services would build them; the matcher stays out (allocations by hand)."""
    monkeypatch.setattr("shared.tasks.enqueue", lambda *args, **kwargs: None)
    key = issue_key("write", name="internal")
    a, b = Side(), Side()
    with httpx.Client(base_url=base_url, headers=bearer(key), timeout=30) as http:

        def ok(response: httpx.Response) -> Any:
            assert response.status_code in (200, 201), response.text
            return response.json()

        for item, side in ((invoice_a(), a), (invoice_b(), b), (invoice_b("B-2", "500.00"), b)):
            created = ok(http.post("/v1/invoices", json=item))
            side.partner, side.contract = created["partner_id"], created["contract_id"]
            side.invoices[created["number"]] = created["id"]
        lines = (
            ("REF-A", "600.00", INN_A, "оплата"),
            ("REF-B", "1000.00", INN_B, "оплата"),
            ("REF-C", "800.00", INN_C, "оплата"),
        )
        upload = ok(http.post("/v1/statements", files={"file": ("s.xml", camt(*lines), "application/xml")}))
        statement = (
            upload["statement_id"] if "statement_id" in upload else ok(http.get("/v1/statements"))["data"][0]["id"]
        )
        ids = {p["bank_ref"]: p["id"] for p in ok(http.get("/v1/payments"))["data"]}
        a.payments["REF-A"], b.payments["REF-B"] = ids["REF-A"], ids["REF-B"]

        def allocate(payment: int, *parts: tuple[int, str]) -> None:
            body = {"parts": [{"invoice_id": i, "amount": amount} for i, amount in parts]}
            for allocation in ok(http.post(f"/v1/payments/{payment}/allocate", json=body))["allocations"]:
                (a if allocation["invoice_id"] in a.invoices.values() else b).allocations.append(allocation["id"])

        allocate(ids["REF-A"], (a.invoices["A-1"], "600.00"))
        allocate(ids["REF-B"], (b.invoices["B-1"], "1000.00"))
        allocate(ids["REF-C"], (a.invoices["A-1"], "300.00"), (b.invoices["B-2"], "500.00"))
        files = {"file": ("order.pdf", PDF, "application/pdf")}
        ok(http.post(f"/v1/payments/{ids['REF-B']}/documents", files=files))
        hook = http.post("/v1/webhooks", json={"url": "https://hooks.example.com/b", "partner_inn": INN_B})
        webhook = hook.json().get("id", 1) if hook.status_code == 201 else 1
    assert {len(a.allocations), len(b.allocations)} == {2}
    return World(a, b, statement, webhook, ids["REF-C"], key, issue_key("write", partner_inn=INN_A, name="alfa"))


# How to call each operation with B's ids, and what A's key must get.


@dataclass(frozen=True)
class Call:
    expect: frozenset[int]
    query: Callable[[World], dict[str, Any]] | None = None
    json: Callable[[World], Any] | None = None
    multipart: bool = False
    echoes_input: bool = False  # an error may quote what A sent (B's invoice number)


def hidden(**kw: Any) -> Call:
    """B's object does not exist for A: 404, exactly like a missing id."""
    return Call(frozenset({404}), **kw)


def internal(**kw: Any) -> Call:
    """A route for our own services: a partner's key is refused whatever the id."""
    return Call(frozenset({403}), **kw)


def listing(query: Callable[[World], dict[str, Any]] = lambda w: {}) -> Call:
    """A list: 200, and nothing of B in it."""
    return Call(frozenset({200}), query=query)


def refused(*statuses: int, **kw: Any) -> Call:
    return Call(frozenset(statuses), **kw)


# Path parameters by name: B's id for each. A new name is a new kind of object: add it here.
FILL: dict[str, Callable[[World], str]] = {
    "invoice_id": lambda w: str(w.b.invoice),
    "contract_id": lambda w: str(w.b.contract),
    "partner_id": lambda w: str(w.b.partner),
    "payment_id": lambda w: str(w.b.payment),
    "allocation_id": lambda w: str(w.b.allocations[0]),
    "statement_id": lambda w: str(w.statement),
    "endpoint_id": lambda w: str(w.webhook),
    "account_id": lambda w: ACCOUNT,
}
# The same with A's own ids: the positive control of every hidden GET.
FILL_OWN: dict[str, Callable[[World], str]] = {
    "invoice_id": lambda w: str(w.a.invoice),
    "contract_id": lambda w: str(w.a.contract),
    "partner_id": lambda w: str(w.a.partner),
    "payment_id": lambda w: str(w.a.payment),
    "allocation_id": lambda w: str(w.a.allocations[0]),
}

OPERATIONS: dict[tuple[str, str], tuple[Call, ...]] = {
    ("GET", "/v1/health"): (refused(200),),
    ("GET", "/v1/ready"): (refused(200),),
    ("POST", "/v1/invoices"): (
        refused(403, json=lambda w: invoice_b("B-1", "1.00")),  # B's invoice, B's INN
        refused(409, json=lambda w: invoice_a("B-1", "1.00"), echoes_input=True),  # B's number under A's INN
    ),
    ("POST", "/v1/invoices/bulk"): (
        refused(403, json=lambda w: [invoice_a("A-9"), invoice_b("B-2", "1.00")]),
        refused(409, json=lambda w: [invoice_a("B-2", "1.00")], echoes_input=True),
    ),
    ("GET", "/v1/invoices"): (
        listing(),
        listing(lambda w: {"partner_id": w.b.partner}),
        listing(lambda w: {"partner_inn": INN_B}),
        listing(lambda w: {"number": "B-1"}),
        listing(lambda w: {"contract_id": w.b.contract}),
    ),
    ("GET", "/v1/invoices/by-number"): (
        hidden(query=lambda w: {"number": "B-1"}, echoes_input=True),
        hidden(query=lambda w: {"number": "B-2", "direction": "receivable"}, echoes_input=True),
    ),
    ("GET", "/v1/invoices/{invoice_id}"): (hidden(),),
    ("POST", "/v1/invoices/{invoice_id}/cancel"): (hidden(json=lambda w: {"reason": "A says so"}),),
    ("GET", "/v1/invoices/{invoice_id}/evidence"): (hidden(),),
    ("POST", "/v1/contracts"): (
        refused(403, json=lambda w: {"number": "D-B", "partner_name": NAME_B, "partner_inn": INN_B}),
    ),
    ("GET", "/v1/contracts"): (
        listing(),
        listing(lambda w: {"partner_id": w.b.partner}),
        listing(lambda w: {"partner_inn": INN_B}),
        listing(lambda w: {"number": "D-B"}),
    ),
    ("GET", "/v1/contracts/{contract_id}"): (hidden(),),
    ("PATCH", "/v1/contracts/{contract_id}"): (hidden(json=lambda w: {"currency": "USD"}),),
    ("GET", "/v1/contracts/{contract_id}/evidence"): (hidden(),),
    ("GET", "/v1/partners"): (
        listing(),
        listing(lambda w: {"inn": INN_B}),
        listing(lambda w: {"name": NAME_B}),
    ),
    ("POST", "/v1/partners"): (internal(json=lambda w: {"name": "ООО Гамма", "inn": "7700000002"}),),
    ("GET", "/v1/partners/{partner_id}"): (hidden(),),
    ("PATCH", "/v1/partners/{partner_id}"): (internal(json=lambda w: {"name": "ООО Альфа-Бета"}),),
    ("GET", "/v1/payments"): (
        listing(),
        listing(lambda w: {"partner_id": w.b.partner}),
        listing(lambda w: {"invoice_id": w.b.invoice}),
        listing(lambda w: {"counterparty_tax_id": INN_B}),
        listing(lambda w: {"bank_ref": "REF-B"}),
        listing(lambda w: {"statement_id": w.statement}),
    ),
    ("GET", "/v1/payments/{payment_id}"): (hidden(),),
    ("GET", "/v1/payments/{payment_id}/evidence"): (hidden(),),
    ("POST", "/v1/payments/{payment_id}/confirm"): (internal(json=lambda w: {"suggestion_ids": [1]}),),
    ("POST", "/v1/payments/{payment_id}/reject"): (internal(json=lambda w: {"suggestion_id": 1, "reason": "x"}),),
    ("POST", "/v1/payments/{payment_id}/allocate"): (
        internal(json=lambda w: {"parts": [{"invoice_id": w.a.invoice, "amount": "1.00"}]}),
    ),
    ("POST", "/v1/payments/{payment_id}/ignore"): (internal(json=lambda w: {"category": "other", "note": "x"}),),
    ("POST", "/v1/payments/{payment_id}/unignore"): (internal(json=lambda w: {"reason": "x"}),),
    ("POST", "/v1/payments/{payment_id}/documents"): (internal(multipart=True),),
    ("GET", "/v1/payments/{payment_id}/documents"): (internal(),),
    ("GET", "/v1/payments/{payment_id}/payment-order"): (internal(),),
    ("GET", "/v1/allocations"): (
        listing(),
        listing(lambda w: {"invoice_id": w.b.invoice}),
        listing(lambda w: {"payment_id": w.b.payment}),
        listing(lambda w: {"payment_id": w.split_payment}),  # A sees its own part only
    ),
    ("GET", "/v1/allocations/{allocation_id}"): (hidden(),),
    ("POST", "/v1/allocations/{allocation_id}/reverse"): (internal(json=lambda w: {"reason": "x"}),),
    ("GET", "/v1/journal"): tuple(
        hidden(query=lambda w, t=t, pick=pick: {"entity_type": t, "entity_id": pick(w)})
        for t, pick in (
            ("invoice", lambda w: w.b.invoice),
            ("contract", lambda w: w.b.contract),
            ("partner", lambda w: w.b.partner),
            ("payment", lambda w: w.b.payment),
            ("allocation", lambda w: w.b.allocations[0]),
            ("statement", lambda w: w.statement),
        )
    ),
    ("GET", "/v1/journal/verify"): (internal(),),
    ("POST", "/v1/statements"): (internal(multipart=True),),
    ("GET", "/v1/statements"): (internal(),),
    ("GET", "/v1/statements/{statement_id}"): (internal(),),
    ("POST", "/v1/accounts/{account_id}/pull"): (internal(),),
    ("GET", "/v1/accounts/{account_id}/pulls"): (internal(),),
    ("GET", "/v1/webhooks"): (internal(),),
    ("POST", "/v1/webhooks"): (internal(json=lambda w: {"url": "https://hooks.example.com/a"}),),
    ("GET", "/v1/webhooks/{endpoint_id}"): (internal(),),
    ("POST", "/v1/webhooks/{endpoint_id}/rotate-secret"): (internal(),),
    ("POST", "/v1/webhooks/{endpoint_id}/disable"): (internal(json=lambda w: {"reason": "x"}),),
    ("GET", "/v1/webhooks/{endpoint_id}/deliveries"): (internal(),),
    ("POST", "/v1/webhooks/{endpoint_id}/enable"): (internal(json=lambda w: {"reason": "x"}),),
    ("POST", "/v1/webhooks/{endpoint_id}/replay"): (internal(json=lambda w: {"all_failed": True}),),
    ("POST", "/v1/webhooks/{endpoint_id}/test"): (internal(),),
}

_METHODS = {"get", "post", "put", "patch", "delete"}


def live_operations(http: httpx.Client) -> list[tuple[str, str, list[str]]]:
    """(method, path, path parameter names) of every operation the running app publishes."""
    document = http.get("/openapi.json").json()
    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in _METHODS:
                names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
                found.append((method.upper(), path, names))
    return found


def _texts(response: httpx.Response) -> Iterator[str]:
    """The body as text; a ZIP (an evidence pack) as the text of each member."""
    if response.headers.get("content-type", "").startswith("application/zip"):
        with zipfile.ZipFile(io.BytesIO(response.content)) as pack:
            for name in pack.namelist():
                yield pack.read(name).decode("utf-8", "replace")
    else:
        yield response.text


def _ids_in(body: Any, key: str) -> Iterator[int]:
    if isinstance(body, dict):
        for k, v in body.items():
            if k == key and isinstance(v, int):
                yield v
            yield from _ids_in(v, key)
    elif isinstance(body, list):
        for v in body:
            yield from _ids_in(v, key)


def leaks(response: httpx.Response, w: World, *, echoes_input: bool = False) -> list[str]:
    """What of B's a response shows: B's names, numbers and references, or B's ids in id fields."""
    markers = [m for m in B_MARKERS if not (echoes_input and m in ("B-1", "B-2"))]
    found = [m for text in _texts(response) for m in markers if m in text]
    if response.headers.get("content-type", "").startswith("application/json"):
        body = response.json()
        found += [f"partner_id={i}" for i in _ids_in(body, "partner_id") if i == w.b.partner]
        found += [f"invoice_id={i}" for i in _ids_in(body, "invoice_id") if i in w.b.invoices.values()]
        found += [f"transaction_id={i}" for i in _ids_in(body, "transaction_id") if i in w.b.payments.values()]
    return found


def _call(http: httpx.Client, method: str, url: str, call: Call, w: World) -> httpx.Response:
    kwargs: dict[str, Any] = {"params": call.query(w) if call.query else None}
    if call.json is not None:
        kwargs["json"] = call.json(w)
    if call.multipart:
        kwargs["files"] = {"file": ("s.xml", camt(("REF-X", "1.00", INN_A, "x")), "application/xml")}
    return http.request(method, url, **kwargs)


def test_every_operation_refuses_partner_b_to_partner_a(base_url: str, world: World) -> None:
    problems: list[str] = []
    with httpx.Client(base_url=base_url, headers=bearer(world.a_key), timeout=30) as http:
        live = live_operations(http)
        unknown = [f"{m} {p}" for m, p, _ in live if (m, p) not in OPERATIONS]
        assert not unknown, (
            "operations the isolation walk does not know: " + ", ".join(unknown) + ". Add each to OPERATIONS in "
            "tests/api/test_isolation.py: how to call it with partner B's ids (path parameters are filled from FILL "
            "by name; give a body or query that passes validation) and what partner A's key must get: hidden() "
            "(404), internal() (403), listing() (200 without B) or refused(...)."
        )
        for method, path, names in live:
            missing = [n for n in names if n not in FILL]
            if missing:
                problems.append(f"{method} {path}: no B id for path parameter(s) {missing}; add them to FILL")
                continue
            url = path.format(**{n: FILL[n](world) for n in names})
            for call in OPERATIONS[(method, path)]:
                response = _call(http, method, url, call, world)
                what = f"{method} {url} {call.query(world) if call.query else ''}"
                if response.status_code not in call.expect:
                    problems.append(f"{what}: {response.status_code}, expected {sorted(call.expect)}: {response.text}")
                shown = leaks(response, world, echoes_input=call.echoes_input)
                if shown:
                    problems.append(f"{what}: shows B's data {shown}")
                if call.expect == {404} and method == "GET" and all(n in FILL_OWN for n in names) and not call.query:
                    own = http.get(path.format(**{n: FILL_OWN[n](world) for n in names}))
                    if own.status_code != 200:
                        problems.append(
                            f"{what}: A's own object answers {own.status_code}, not 200: the walk proves nothing"
                        )
    assert not problems, "\n".join(problems)


def test_b_is_unchanged_after_the_walk_and_a_sees_its_own(base_url: str, world: World) -> None:
    with httpx.Client(base_url=base_url, headers=bearer(world.a_key), timeout=30) as http:
        for method, path, names in live_operations(http):
            if method != "GET":
                url = path.format(**{n: FILL[n](world) for n in names if n in FILL})
                for call in OPERATIONS.get((method, path), ()):
                    _call(http, method, url, call, world)
        mine = http.get("/v1/invoices").json()["data"]
        split = http.get(f"/v1/payments/{world.split_payment}").json()
        payments = http.get("/v1/payments").json()["data"]
    assert [i["number"] for i in mine] == ["A-1"]
    assert [a["invoice_no"] for a in split["allocations"]] == ["A-1"]  # not B-2's 500.00
    assert sorted(p["bank_ref"] for p in payments) == ["REF-A", "REF-C"]
    with httpx.Client(base_url=base_url, headers=bearer(world.internal_key), timeout=30) as http:
        b1 = http.get(f"/v1/invoices/{world.b.invoices['B-1']}").json()
        b2 = http.get(f"/v1/invoices/{world.b.invoices['B-2']}").json()
        contract = http.get(f"/v1/contracts/{world.b.contract}").json()
        partners = http.get("/v1/partners").json()["data"]
    assert (b1["partner_inn"], b1["amount"], b1["status"]) == (INN_B, "1000.00", "paid")
    assert (b2["partner_inn"], b2["amount"], b2["status"]) == (INN_B, "500.00", "paid")
    assert contract["currency"] in (None, "RUB")
    assert sorted(p["name"] for p in partners) == sorted([NAME_A, NAME_B])


# Signed partner-page links: the link is the credential, so B's link must not be made from A's.


def _parts(token: str) -> tuple[str, str, str]:
    payload, timestamp, signature = token.split(".")
    return payload, timestamp, signature


def test_partner_links_of_b_cannot_be_made_from_as(base_url: str, world: World) -> None:
    link_a, link_b = portal_links.issue(world.a.partner), portal_links.issue(world.b.partner)
    pa, ta, sa = _parts(link_a)
    pb, tb, sb = _parts(link_b)
    b_payload = base64.urlsafe_b64encode(json.dumps({"partner": world.b.partner}).encode()).rstrip(b"=").decode()
    forged = {
        "B's payload with A's timestamp and signature": f"{pb}.{ta}.{sa}",
        "A's payload with B's signature": f"{pa}.{tb}.{sb}",
        "B's id written into A's token": f"{b_payload}.{ta}.{sa}",
        "A's token with its signature altered": f"{pa}.{ta}.{sa[:-2]}{'AA' if sa[-2:] != 'AA' else 'BB'}",
        "B's id signed with another key": URLSafeTimedSerializer("not our key", salt="sverka.partner-link").dumps(
            {"partner": world.b.partner}
        ),
    }
    with httpx.Client(base_url=base_url, timeout=30) as http:
        assert NAME_A in http.get(f"/partner/{link_a}").text  # A's own link opens A's page
        page_a = http.get(f"/partner/{link_a}")
        assert page_a.status_code == 200 and not [m for m in B_MARKERS if m in page_a.text]
        for what, token in forged.items():
            page = http.get(f"/partner/{token}")
            assert page.status_code == 403, f"{what}: {page.status_code}"
            assert NAME_B not in page.text, what
            for sub in (f"statements/{world.b.contract}.pdf", f"payments/{world.b.payment}/payment-order"):
                assert http.get(f"/partner/{token}/{sub}").status_code == 403, f"{what}: {sub}"
        # A's genuine link on B's objects: as if they did not exist.
        for sub in (
            f"statements/{world.b.contract}.pdf",
            f"statements/{world.b.contract}.csv",
            f"payments/{world.b.payment}/payment-order",
        ):
            response = http.get(f"/partner/{link_a}/{sub}")
            assert response.status_code == 404, f"{sub}: {response.status_code}"
            assert not [m for m in B_MARKERS if m in response.text], sub
        # The split payment is A's too (300.00 of it paid A-1): its order opens, and names no B invoice.
        order = http.get(f"/partner/{link_a}/payments/{world.split_payment}/payment-order")
        assert order.status_code == 200
