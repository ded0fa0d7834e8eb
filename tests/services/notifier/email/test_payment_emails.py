"""Partners are told, with proof, the moment a payment is matched — in both directions.

A real SMTP server on loopback receives the mail; the tests read it as the partner's mail
client would (``email`` stdlib) and open the attachments (PDF text with pypdf, CSV rows).
"""

from __future__ import annotations

import csv
import hashlib
import io
import random
import re
from email.message import EmailMessage

import pypdf
from sqlalchemy import select, text
from sqlmodel import col

from services.notifier.dispatcher import Dispatcher
from services.notifier.documents.service import store_scan
from shared.db import session_scope
from shared.models import JournalEvent
from shared.models.documents import EmailAttempt, EmailDelivery
from tests.services.notifier.email import factories as f
from tests.services.notifier.email.conftest import Mailbox
from tests.services.notifier.factories import FakeClock


def _pdf_text(data: bytes) -> str:
    """The PDF's text with line breaks and runs of spaces folded (wrapped lines read as one)."""
    return " ".join(" ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages).split())


def _attachments(message: EmailMessage) -> dict[str, tuple[str, bytes]]:
    found = {}
    for part in message.iter_attachments():
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        found[part.get_filename() or ""] = (part.get_content_type(), payload)
    return found


def _drain(clock: FakeClock) -> dict[str, object]:
    with Dispatcher(clock=clock, rng=random.Random(7)) as dispatcher:
        return dispatcher.drain().as_dict()


def _journal(action: str) -> list[JournalEvent]:
    with session_scope() as session:
        return list(
            session.scalars(
                select(JournalEvent).where(col(JournalEvent.action) == action).order_by(col(JournalEvent.seq))
            )
        )


def test_a_matched_customer_payment_reaches_the_partner_with_the_order_and_the_statement(
    mail_settings: str, mailbox: Mailbox
) -> None:
    with session_scope() as session:
        romashka = f.partner(session, "7701234567")
        deal = f.contract(session, romashka)
        inv = f.invoice(session, romashka, 150_000_00, contract_id=deal.id, number="INV-77")
        tx = f.payment(session, romashka, 150_000_00, **f.one_c_details(purpose="Оплата по счёту INV-77, НДС 20%"))
        settled = f.allocate(session, tx, inv)

    summary = _drain(FakeClock())

    assert summary["emails_planned"] == 1
    assert summary["emails_delivered"] == 1
    assert len(mailbox.received) == 1
    received = mailbox.received[0]
    assert received.recipients == ["buh@romashka.example"]
    assert received.sender == "noreply@sverka.example"
    message = received.message()
    assert message["Subject"] == "Счёт № INV-77 оплачен полностью"
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    content = body.get_content()
    assert "150\u00a0000,00 RUB" in content
    link = re.search(r"https://sverka\.example/partner/\S+", content)
    assert link is not None

    files = _attachments(message)
    assert set(files) == {"payment-order-338.pdf", "statement-Д-17_2026.pdf", "statement-Д-17_2026.csv"}
    order = _pdf_text(files["payment-order-338.pdf"][1])
    for words in (
        "ПЛАТЕЖНОЕ ПОРУЧЕНИЕ № 338",
        "0401060",
        "Сто пятьдесят тысяч рублей 00 копеек",
        "150000-00",
        'ООО "Ромашка"',
        "7701234567",
        "044525974",
        "30101810145250000974",
        "Очер. плат.",
        "Назначение платежа",
        "Оплата по счёту INV-77",
    ):
        assert words in order, words
    statement = _pdf_text(files["statement-Д-17_2026.pdf"][1])
    assert "Выписка по договору № Д-17/2026" in statement
    assert "задолженность отсутствует" in statement
    rows = list(csv.DictReader(io.StringIO(files["statement-Д-17_2026.csv"][1].decode("utf-8-sig"))))
    assert [(r["entry"], r["debit"], r["credit"], r["balance"]) for r in rows] == [
        ("invoice", "150000.00", "", "150000.00"),
        ("payment", "", "150000.00", "0.00"),
    ]

    # The evidence: the server's acceptance, the message id and the moment, in the delivery and the journal.
    with session_scope() as session:
        delivery = session.scalars(select(EmailDelivery)).one()
        attempts = list(session.scalars(select(EmailAttempt)))
    assert delivery.status == "delivered"
    assert delivery.event_id == settled.event_id
    assert delivery.message_id == message["Message-ID"].strip()
    assert delivery.smtp_response is not None and "queued as TEST" in delivery.smtp_response
    assert delivery.accepted_at is not None
    assert [(a.number, a.smtp_code, a.outcome) for a in attempts] == [(1, 250, "delivered")]
    assert attempts[0].message_sha256 == hashlib.sha256(received.data).hexdigest()  # the very bytes received
    evidence = _journal("email.delivered")
    assert len(evidence) == 1
    after = evidence[0].after or {}
    assert after["message_id"] == message["Message-ID"].strip()
    assert after["smtp_code"] == 250
    assert "queued as" in after["smtp_response"]
    assert after["transaction_id"] == settled.transaction_id
    sent_order = hashlib.sha256(files["payment-order-338.pdf"][1]).hexdigest()
    assert sent_order in {a["sha256"] for a in after["attachments"]}


def test_our_payment_to_a_supplier_sends_payment_sent_with_the_uploaded_scan_in_english(
    mail_settings: str, mailbox: Mailbox
) -> None:
    scan = b"%PDF-1.4\n% the bank's stamped copy\n%%EOF\n"
    with session_scope() as session:
        supplier = f.partner(session, "5003012345", 'ООО "Металл"', email="ar@metall.example", language="en")
        bill = f.invoice(session, supplier, 80_000_00, direction="payable", number="П-17")
        tx = f.payment(session, supplier, -80_000_00)
        store_scan(session, tx.id or 0, "скан п-п.pdf", scan, actor="test")
        f.allocate(session, tx, bill)

    _drain(FakeClock())

    message = mailbox.received[0].message()
    assert message["Subject"] == "Payment sent: invoice П-17, 80,000.00 RUB"
    files = _attachments(message)
    order_name = next(name for name in files if name.startswith("скан"))
    assert files[order_name] == ("application/pdf", scan)  # the scan itself, byte for byte
    statement = _pdf_text(files["statement-no-contract.pdf"][1])
    assert "Invoices under no contract" in statement
    assert "Supplier invoice П-17" in statement


def test_our_payment_without_a_scan_is_drawn_from_the_statement_with_us_as_the_payer(
    mail_settings: str, mailbox: Mailbox
) -> None:
    with session_scope() as session:
        supplier = f.partner(session, "5003012345", 'ООО "Металл"', email="ar@metall.example")
        bill = f.invoice(session, supplier, 1_234_567_89, direction="payable", number="П-18")
        tx = f.payment(session, supplier, -1_234_567_89)  # a CAMT-like line: no payment-order fields
        f.allocate(session, tx, bill)

    _drain(FakeClock())

    message = mailbox.received[0].message()
    assert message["Subject"].startswith("Оплата отправлена: счёт № П-18")
    data = next(v for n, (_, v) in _attachments(message).items() if n.startswith("payment-order"))
    order = _pdf_text(data)
    assert "Один миллион двести тридцать четыре тысячи пятьсот шестьдесят семь рублей 89 копеек" in order
    assert 'ООО "Сверка"' in order and "7709876543" in order  # payer: our company, from settings
    assert f.OUR_ACCOUNT in order
    assert 'ООО "Металл"' in order and "40702810500020007683" in order  # payee: the counterparty
    assert "не является копией с отметкой банка" in order


def test_a_transient_refusal_is_retried_and_every_attempt_is_recorded(mail_settings: str, mailbox: Mailbox) -> None:
    with session_scope() as session:
        romashka = f.partner(session, "7701234567")
        inv = f.invoice(session, romashka, 100_00)
        f.allocate(session, f.payment(session, romashka, 40_00), inv)
    mailbox.refusals.append("451 4.3.0 Mailbox busy, try later")
    clock = FakeClock()

    first = _drain(clock)
    assert (first["emails_retrying"], first["emails_delivered"], first["emails_pending"]) == (1, 0, 1)
    assert mailbox.received == []
    clock.advance(minutes=5)
    second = _drain(clock)
    assert second["emails_delivered"] == 1

    with session_scope() as session:
        attempts = list(session.scalars(select(EmailAttempt).order_by(col(EmailAttempt.number))))
    assert [(a.number, a.smtp_code, a.outcome) for a in attempts] == [(1, 451, "retry"), (2, 250, "delivered")]
    assert "Mailbox busy" in (attempts[0].smtp_response or "")
    assert [e.action for e in _journal("email.attempt_failed") + _journal("email.delivered")] == [
        "email.attempt_failed",
        "email.delivered",
    ]
    assert mailbox.received[0].message()["Subject"].endswith("оплачен частично")


def test_a_permanent_refusal_fails_at_once_and_is_journaled(mail_settings: str, mailbox: Mailbox) -> None:
    with session_scope() as session:
        romashka = f.partner(session, "7701234567")
        inv = f.invoice(session, romashka, 100_00)
        f.allocate(session, f.payment(session, romashka, 100_00), inv)
    mailbox.refusals.append("550 5.1.1 No such user")

    summary = _drain(FakeClock())

    assert (summary["emails_failed"], summary["emails_pending"]) == (1, 0)
    assert len(_journal("email.delivery_failed")) == 1


def test_relaying_an_event_twice_plans_one_email_and_partners_without_address_get_none(
    mail_settings: str, mailbox: Mailbox
) -> None:
    with session_scope() as session:
        romashka = f.partner(session, "7701234567")
        silent = f.partner(session, "7702222222", "ООО Тихое", email=None)
        f.allocate(session, f.payment(session, romashka, 10_00), f.invoice(session, romashka, 10_00))
        f.allocate(session, f.payment(session, silent, 10_00), f.invoice(session, silent, 10_00))
    clock = FakeClock()
    _drain(clock)
    with session_scope() as session:
        session.execute(text("UPDATE outbox_event SET published_at = NULL"))  # as if a relay crashed
    again = _drain(clock)

    assert again["emails_planned"] == 0
    assert len(mailbox.received) == 1
    with session_scope() as session:
        assert len(list(session.scalars(select(EmailDelivery)))) == 1
