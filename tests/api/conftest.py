"""The API served on real loopback HTTP, keys issued per test, and the typed client talking to it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from sverka_client import SverkaClient

from services.reconciler.api.app import create_app
from tests.api.keys import issue_key
from tests.http_servers import serve_asgi

INN_A = "7701234567"
INN_B = "7809876543"


def invoice(number: str, amount: str = "1000.00", *, inn: str = INN_A, **extra: Any) -> dict[str, Any]:
    return {
        "invoice_no": number,
        "amount": amount,
        "currency": "RUB",
        "partner_name": f"ООО {inn}",
        "partner_inn": inn,
        "contract_no": f"D-{inn}",
        **extra,
    }


def camt(*lines: tuple[str, str, str, str]) -> bytes:
    """A CAMT.053 with credit lines (bank_ref, amount, payer INN, purpose)."""
    entries = "".join(
        f"""<Ntry><Amt Ccy="RUB">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
<BookgDt><Dt>2026-05-20</Dt></BookgDt><ValDt><Dt>2026-05-20</Dt></ValDt><AcctSvcrRef>{ref}</AcctSvcrRef>
<NtryDtls><TxDtls><RltdPties><Dbtr><Nm>Payer {inn}</Nm><Id><OrgId><Othr><Id>{inn}</Id>
<SchmeNm><Cd>TXID</Cd></SchmeNm></Othr></OrgId></Id></Dbtr></RltdPties>
<RmtInf><Ustrd>{purpose}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"""
        for ref, amount, inn, purpose in lines
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>
<GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-06-01T09:00:00</CreDtTm></GrpHdr>
<Stmt><Id>S1</Id><CreDtTm>2026-06-01T09:00:00</CreDtTm>
<Acct><Id><Othr><Id>40702810900000000001</Id></Othr></Id><Ccy>RUB</Ccy></Acct>{entries}
</Stmt></BkToCstmrStmt></Document>""".encode()


@pytest.fixture
def app(database_url: str) -> FastAPI:
    return create_app()


@pytest.fixture
def base_url(app: FastAPI) -> Iterator[str]:
    with serve_asgi(app) as url:
        yield url


@pytest.fixture
def client(base_url: str) -> Iterator[Callable[..., SverkaClient]]:
    """``client(scope="write", partner_inn=None)``: a typed client with a fresh key of that scope."""
    opened: list[SverkaClient] = []

    def make(scope: str = "write", *, partner_inn: str | None = None, **options: Any) -> SverkaClient:
        c = SverkaClient(base_url, issue_key(scope, partner_inn=partner_inn), max_retries=0, **options)
        opened.append(c)
        return c

    yield make
    for c in opened:
        c.close()
