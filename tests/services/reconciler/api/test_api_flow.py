"""The API over real HTTP on loopback: invoices in, a statement uploaded, the payment matched and readable."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from services.reconciler.api.app import create_app
from shared.tasks import drain_in_process
from tests.api.keys import bearer, issue_key
from tests.http_servers import serve_asgi

CAMT = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>
<GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-06-01T09:00:00</CreDtTm></GrpHdr>
<Stmt><Id>S1</Id><CreDtTm>2026-06-01T09:00:00</CreDtTm>
<Acct><Id><Othr><Id>40702810900000000001</Id></Othr></Id><Ccy>RUB</Ccy></Acct>
<Ntry><Amt Ccy="RUB">1500.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
<BookgDt><Dt>2026-05-20</Dt></BookgDt><ValDt><Dt>2026-05-20</Dt></ValDt><AcctSvcrRef>BANKREF-1</AcctSvcrRef>
<NtryDtls><TxDtls><RltdPties><Dbtr><Nm>ООО "Ромашка"</Nm><Id><OrgId><Othr><Id>7701234567</Id>
<SchmeNm><Cd>TXID</Cd></SchmeNm></Othr></OrgId></Id></Dbtr></RltdPties>
<RmtInf><Ustrd>Оплата по счету INV-77 от 10.05.2026</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
</Stmt></BkToCstmrStmt></Document>"""

INVOICE = {
    "invoice_no": "INV-77",
    "invoice_date": "2026-05-10",
    "due_date": "2026-05-24",
    "amount": "1500.00",
    "currency": "RUB",
    "contract_no": "D-1",
    "partner_name": 'ООО "Ромашка"',
    "partner_inn": "7701234567",
}


@pytest.fixture
def api(database_url: str) -> Iterator[httpx.Client]:
    with (
        serve_asgi(create_app()) as base,
        httpx.Client(base_url=base, timeout=30, headers=bearer(issue_key())) as client,
    ):
        yield client


def test_health_and_readiness(api: httpx.Client) -> None:
    assert api.get("/v1/health").json() == {"status": "ok"}
    assert api.get("/v1/ready").json() == {"status": "ready"}


def test_an_uploaded_payment_settles_the_invoice_it_names(api: httpx.Client) -> None:
    created = api.post("/v1/invoices", json=INVOICE)
    assert created.status_code == 201, created.text
    invoice_id = created.json()["id"]
    assert created.json()["status"] == "open"

    upload = api.post("/v1/statements", files={"file": ("may.xml", CAMT.encode(), "application/xml")})
    assert upload.status_code == 200, upload.text
    assert (upload.json()["new"], upload.json()["format"]) == (1, "camt")
    drain_in_process()  # the matcher runs after the upload commits

    invoice = api.get(f"/v1/invoices/{invoice_id}").json()
    assert (invoice["status"], invoice["paid"], invoice["outstanding"]) == ("paid", "1500.00", "0.00")
    [allocation] = invoice["allocations"]
    assert allocation["bank_ref"] == "BANKREF-1" and allocation["kind"] == "auto"
    assert {r["code"] for r in allocation["reasons"]} >= {"amount_equal"} or allocation["reasons"]

    [payment] = api.get("/v1/payments", params={"bank_ref": "BANKREF-1"}).json()["data"]
    assert payment["amount"] == "1500.00" and payment["match_status"] == "settled"
    assert payment["allocations"][0]["invoice_no"] == "INV-77"
    assert api.get("/v1/invoices/by-number?number=INV-77").json()["id"] == invoice_id

    again = api.post("/v1/statements", files={"file": ("may-again.xml", CAMT.encode(), "application/xml")})
    assert (again.json()["new"], again.json()["duplicates"]) == (0, 1)


def test_errors_share_one_schema(api: httpx.Client) -> None:
    bad = api.post("/v1/statements", files={"file": ("x.xml", b"<Document>", "application/xml")})
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "statement_rejected"
    assert "x.xml" in bad.json()["error"]["message"]

    missing = api.get("/v1/invoices/999999")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"

    invalid = api.post("/v1/invoices", json={**INVOICE, "amount": "-5"})
    assert invalid.status_code == 422 and invalid.json()["error"]["field"] == "amount"


def test_openapi_document_is_served(api: httpx.Client) -> None:
    doc = api.get("/openapi.json").json()
    assert "/v1/invoices/{invoice_id}" in doc["paths"]
    assert api.get("/docs").status_code == 200
