"""A small, realistic world to pack: invoices from CSV, a 1C statement, the matcher, a person's correction, webhooks.

Two partners. Ромашка (INN 7701234567) has invoices INV-77 and INV-78 under contract D-1 and pays
both in one 1CClientBankExchange statement; the matcher settles both. An accountant, anna, then
reverses the automatic allocation of the second payment (the payer said it was sent early) and
allocates it again by hand with her reason. Лютик (INN 7809876543) has INV-90, unpaid. Webhooks go
to a partner endpoint of Ромашка and to an internal service, both answering 200 on loopback.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col

from services.notifier.dispatcher import Dispatcher
from services.notifier.schemas import EndpointIn
from services.notifier.service import register_endpoint
from services.reconciler.billing.service import read_invoices_csv, upsert_invoices
from services.reconciler.intake.service import import_statement_file
from services.reconciler.matching.service import reconcile
from services.reconciler.review.service import Part, allocate_manually, reverse_allocation
from shared.config import get_settings
from shared.db import session_scope
from shared.models import Allocation, BankTransaction, Contract, Invoice
from tests.http_servers import serve_asgi
from tests.onec_files import PaymentOrder, exchange_file

ROMASHKA_INN = "7701234567"
LUTIK_INN = "7809876543"
OURS = "40702810900000000001"
REVERSAL_REASON = "плательщик просил зачесть позже: платёж отправлен досрочно"
MANUAL_REASON = "сверено с бухгалтером Ромашки по телефону"

INVOICES_CSV = (
    "invoice_no,invoice_date,due_date,amount,currency,contract_no,contract_date,partner_name,partner_inn\n"
    f'INV-77,2026-05-10,2026-05-24,1500.00,RUB,D-1,2026-01-15,"ООО ""Ромашка""",{ROMASHKA_INN}\n'
    f'INV-78,2026-05-11,2026-05-25,2000.00,RUB,D-1,2026-01-15,"ООО ""Ромашка""",{ROMASHKA_INN}\n'
    f'INV-90,2026-05-12,2026-05-26,700.00,RUB,D-9,2026-02-01,"ООО ""Лютик""",{LUTIK_INN}\n'
).encode()


def onec_statement() -> bytes:
    """Two incoming payment orders from Ромашка, as a bank's 1C export writes them (cp1251, CRLF)."""
    orders = [
        PaymentOrder(
            number=number,
            day=date(2026, 5, 20),
            amount=amount,
            purpose=f"Оплата по счету {invoice} от 10.05.2026, НДС не облагается",
            payer_name="ООО Ромашка",
            payer_inn=ROMASHKA_INN,
            payer_account="40702810500000000777",
            more={"ПлательщикБИК": "044525225", "ВидОплаты": "01", "Очередность": "5"},
        )
        for number, amount, invoice in (("11", "1500.00", "INV-77"), ("12", "2000.00", "INV-78"))
    ]
    return exchange_file(OURS, orders, period=(date(2026, 5, 1), date(2026, 5, 31)))


async def _accept_everything(scope: Any, receive: Any, send: Any) -> None:
    """A webhook receiver that answers 200 to every POST (signatures are the notifier's tests' business)."""
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"received"})


@dataclass(frozen=True)
class World:
    database_url: str
    statement_sha256: str
    invoice_77: int
    invoice_78: int
    invoice_90: int
    contract_d1: int
    contract_d9: int
    payment_11: int
    payment_12: int
    reversed_allocation: int
    manual_allocation: int


@pytest.fixture
def world(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setenv("SVERKA_WEBHOOK_ALLOW_PRIVATE_TARGETS", "true")
    get_settings.cache_clear()
    statement = onec_statement()
    with serve_asgi(_accept_everything) as receiver:
        with session_scope() as session:
            upsert_invoices(session, read_invoices_csv(INVOICES_CSV, "invoices.csv"), actor="cli")
            import_statement_file(session, statement, "kl_to_1c.txt", actor="cli")
            register_endpoint(session, EndpointIn(url=f"{receiver}/romashka", partner_inn=ROMASHKA_INN), actor="cli")
            register_endpoint(session, EndpointIn(url=f"{receiver}/erp?token=secret"), actor="cli")
        with session_scope() as session:
            summary = reconcile(session)
            assert summary.auto == 2, summary
        with session_scope() as session:
            ids = {i.number: i.id or 0 for i in session.scalars(select(Invoice))}
            contracts = {c.number: c.id or 0 for c in session.scalars(select(Contract))}
            lines = {ln.bank_ref: ln.id or 0 for ln in session.scalars(select(BankTransaction))}
            auto_78 = session.scalars(select(Allocation).where(col(Allocation.invoice_id) == ids["INV-78"])).one()
            auto_id = auto_78.id or 0
        with session_scope() as session:
            reverse_allocation(session, auto_id, actor="ui:anna", reason=REVERSAL_REASON)
        with session_scope() as session:
            [manual_id] = allocate_manually(
                session, lines["12"], [Part(ids["INV-78"], 200_000)], actor="ui:anna", reason=MANUAL_REASON
            )
        with Dispatcher() as dispatcher:
            dispatcher.drain()
    yield World(
        database_url=database_url,
        statement_sha256=hashlib.sha256(statement).hexdigest(),
        invoice_77=ids["INV-77"],
        invoice_78=ids["INV-78"],
        invoice_90=ids["INV-90"],
        contract_d1=contracts["D-1"],
        contract_d9=contracts["D-9"],
        payment_11=lines["11"],
        payment_12=lines["12"],
        reversed_allocation=auto_id,
        manual_allocation=manual_id,
    )
    get_settings.cache_clear()
