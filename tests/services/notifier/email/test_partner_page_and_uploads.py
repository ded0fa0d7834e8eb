"""The partner page opens one partner's documents and nothing else; scans are uploaded, checked and hashed.

Both over real HTTP on loopback: the notifier's routers in an app with the API's error handlers.
"""

from __future__ import annotations

import csv
import hashlib
import io
import time
from collections.abc import Iterator

import httpx
import pypdf
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from services.notifier import portal_links
from services.notifier.documents.endpoints import router as documents_router
from services.notifier.partner_portal import router as partner_router
from services.reconciler.api.errors import install_error_handlers
from shared.config import get_settings
from shared.db import session_scope
from shared.models import JournalEvent
from tests.http_servers import serve_asgi
from tests.services.notifier.email import factories as f

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def client(mail_settings: str) -> Iterator[httpx.Client]:
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(documents_router)
    app.include_router(partner_router)
    with serve_asgi(app) as base_url, httpx.Client(base_url=base_url, timeout=30) as http:
        yield http


def _two_partners() -> dict[str, int]:
    with session_scope() as session:
        romashka = f.partner(session, "7701234567")
        vector = f.partner(session, "7702222222", 'АО "Вектор"', email="fin@vector.example")
        deal = f.contract(session, romashka)
        other_deal = f.contract(session, vector, "В-1")
        inv = f.invoice(session, romashka, 300_00, contract_id=deal.id, number="INV-1")
        tx = f.payment(session, romashka, 100_00, **f.one_c_details(document_number="41"))
        f.allocate(session, tx, inv)
        other_tx = f.payment(session, vector, 50_00)
        f.allocate(session, other_tx, f.invoice(session, vector, 50_00, contract_id=other_deal.id))
        return {
            "romashka": romashka.id or 0,
            "deal": deal.id or 0,
            "tx": tx.id or 0,
            "other_deal": other_deal.id or 0,
            "other_tx": other_tx.id or 0,
        }


def test_a_partner_link_opens_the_partners_statement_and_payment_orders(client: httpx.Client) -> None:
    ids = _two_partners()
    token = portal_links.issue(ids["romashka"])

    page = client.get(f"/partner/{token}")
    assert page.status_code == 200
    assert 'ООО "Ромашка"' in page.text or "ООО &#34;Ромашка&#34;" in page.text
    assert "Договор № Д-17/2026" in page.text
    assert "Вектор" not in page.text
    assert f"/partner/{token}/payments/{ids['tx']}/payment-order" in page.text

    rows = list(
        csv.DictReader(
            io.StringIO(client.get(f"/partner/{token}/statements/{ids['deal']}.csv").content.decode("utf-8-sig"))
        )
    )
    assert [(r["entry"], r["balance"]) for r in rows] == [("invoice", "300.00"), ("payment", "200.00")]
    pdf = client.get(f"/partner/{token}/statements/{ids['deal']}.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    order = client.get(f"/partner/{token}/payments/{ids['tx']}/payment-order")
    text = " ".join(pypdf.PdfReader(io.BytesIO(order.content)).pages[0].extract_text().split())
    assert "ПЛАТЕЖНОЕ ПОРУЧЕНИЕ № 41" in text and "Сто рублей 00 копеек" in text


def test_a_partner_link_cannot_open_another_partners_documents(client: httpx.Client) -> None:
    ids = _two_partners()
    token = portal_links.issue(ids["romashka"])

    assert client.get(f"/partner/{token}/statements/{ids['other_deal']}.pdf").status_code == 404
    assert client.get(f"/partner/{token}/payments/{ids['other_tx']}/payment-order").status_code == 404


def test_a_forged_or_expired_link_is_refused(client: httpx.Client) -> None:
    ids = _two_partners()
    token = portal_links.issue(ids["romashka"])
    forged = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    issued_long_ago = portal_links.issue(ids["romashka"], clock=lambda: time.time() - 31 * 86400)
    other_secret = get_settings().model_copy(update={"partner_link_secret": "someone else's key"})

    assert client.get(f"/partner/{forged}").status_code == 403
    assert client.get(f"/partner/{portal_links.issue(ids['romashka'], settings=other_secret)}").status_code == 403
    expired = client.get(f"/partner/{issued_long_ago}")
    assert expired.status_code == 410
    assert "expired" in expired.text
    assert client.get(f"/partner/{issued_long_ago}/payments/{ids['tx']}/payment-order").status_code == 410


def test_a_scan_is_stored_once_with_its_hash_and_journaled(client: httpx.Client) -> None:
    ids = _two_partners()
    url = f"/v1/payments/{ids['tx']}/documents"

    first = client.post(url, files={"file": ("order.png", PNG, "image/png")})
    again = client.post(url, files={"file": ("copy.png", PNG, "image/png")})

    assert first.status_code == 201
    assert first.json()["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert first.json()["content_type"] == "image/png"
    assert (again.status_code, again.json()["created"], again.json()["id"]) == (200, False, first.json()["id"])
    assert [d["filename"] for d in client.get(url).json()] == ["order.png"]
    served = client.get(f"/v1/payments/{ids['tx']}/payment-order")
    assert served.content == PNG  # the scan wins over any drawn order
    with session_scope() as session:
        events = list(
            session.scalars(select(JournalEvent).where(col(JournalEvent.action) == "payment_document.uploaded"))
        )
    assert len(events) == 1
    assert (events[0].after or {})["sha256"] == hashlib.sha256(PNG).hexdigest()


def test_a_scan_is_refused_by_content_size_or_unknown_payment(
    client: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _two_partners()
    url = f"/v1/payments/{ids['tx']}/documents"
    monkeypatch.setenv("SVERKA_DOCUMENT_MAX_BYTES", "100")
    get_settings.cache_clear()

    fake = client.post(url, files={"file": ("order.pdf", b"<html>not a pdf</html>", "application/pdf")})
    large = client.post(url, files={"file": ("order.png", PNG + b"\x00" * 100, "image/png")})
    nowhere = client.post("/v1/payments/999999/documents", files={"file": ("order.png", PNG, "image/png")})

    assert (fake.status_code, fake.json()["error"]["field"]) == (422, "file")
    assert "PDF, JPEG and PNG" in fake.json()["error"]["message"]
    assert large.status_code == 422 and "larger than 100 bytes" in large.json()["error"]["message"]
    assert nowhere.status_code == 404
    assert client.get(url).json() == []
