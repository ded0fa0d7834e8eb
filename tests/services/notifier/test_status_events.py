"""Every payment status change reaches the webhooks that should hear it, as the reconciler makes it.

The reconciler's review operations (a person allocating, undoing, ignoring) write the outbox
events; the notifier's dispatcher relays them to real receivers on loopback. A partner hears
about its own invoices (allocated, partially paid, paid, overpaid, reopened, reversed) and
nothing about lines that are not its payments; our own services hear everything.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel import col

from services.notifier.dispatcher import Dispatcher
from services.reconciler.matching.service import reconcile
from services.reconciler.review import service as review
from shared.db import session_scope
from shared.models import OutboxEvent
from tests.services.notifier.email import factories as f
from tests.services.notifier.receiver import Receiver
from tests.services.notifier.test_delivery import listen, register

ROMASHKA = "7701234567"
PERSON = "user:anna"


def _types(received: list[dict[str, Any]]) -> list[str]:
    return [payload["type"] for payload in received]


def test_a_partner_follows_its_invoice_through_payments_and_an_undo(receiver: Receiver, dispatcher: Dispatcher) -> None:
    with session_scope() as session:
        romashka = f.partner(session, ROMASHKA, email=None)
        inv = f.invoice(session, romashka, 1_000_00, number="INV-5")
        first = f.payment(session, romashka, 400_00, purpose="Аванс по счёту INV-5")
        second = f.payment(session, romashka, 600_00, purpose="Доплата по счёту INV-5")
        invoice_id, first_id, second_id = inv.id or 0, first.id or 0, second.id or 0
    listen(receiver, "partner", register(f"{receiver.base_url}/partner", ROMASHKA))
    listen(receiver, "ours", register(f"{receiver.base_url}/ours"))

    with session_scope() as session:
        review.allocate_manually(session, first_id, [review.Part(invoice_id, 400_00)], actor=PERSON)
    dispatcher.drain()
    with session_scope() as session:
        [second_allocation] = review.allocate_manually(
            session, second_id, [review.Part(invoice_id, 600_00)], actor=PERSON
        )
    dispatcher.drain()
    with session_scope() as session:
        review.reverse_allocation(session, second_allocation, actor=PERSON, reason="paid twice by mistake")
    dispatcher.drain()

    heard = receiver.inbox("partner").received
    assert _types(heard) == [
        "payment.allocated",
        "invoice.partially_paid",
        "payment.allocated",
        "invoice.paid",
        "payment.allocation_reversed",
        "invoice.partially_paid",
    ]
    paid = heard[3]["data"]
    assert (paid["previous_status"], paid["status"]) == ("partially_paid", "paid")
    assert paid["partner"]["inn"] == ROMASHKA
    assert paid["invoice"]["number"] == "INV-5"
    reversed_ = heard[4]["data"]
    assert reversed_["reason"] == "paid twice by mistake"
    assert reversed_["reversed_at"] is not None
    assert (reversed_["amount"], reversed_["invoice"]["outstanding"]) == ("600.00", "600.00")
    assert _types(receiver.inbox("ours").received) == _types(heard)


def test_undoing_the_only_payment_reopens_the_invoice(receiver: Receiver, dispatcher: Dispatcher) -> None:
    with session_scope() as session:
        romashka = f.partner(session, ROMASHKA, email=None)
        inv = f.invoice(session, romashka, 500_00, number="INV-6")
        line = f.payment(session, romashka, 500_00, purpose="Оплата INV-6")
        invoice_id, line_id = inv.id or 0, line.id or 0
    listen(receiver, "partner", register(f"{receiver.base_url}/partner", ROMASHKA))

    with session_scope() as session:
        [allocation] = review.allocate_manually(session, line_id, [review.Part(invoice_id, 500_00)], actor=PERSON)
        review.reverse_allocation(session, allocation, actor=PERSON, reason="wrong invoice")
    dispatcher.drain()

    heard = receiver.inbox("partner").received
    assert _types(heard) == ["payment.allocated", "invoice.paid", "payment.allocation_reversed", "invoice.reopened"]
    assert heard[-1]["data"]["invoice"]["status"] == "open"


def test_an_ignored_line_is_news_for_our_services_only(receiver: Receiver, dispatcher: Dispatcher) -> None:
    with session_scope() as session:
        romashka = f.partner(session, ROMASHKA, email=None)
        refund = f.payment(session, romashka, -120_00, purpose="Возврат ошибочно перечисленных средств")
        line_id = refund.id or 0
    listen(receiver, "partner", register(f"{receiver.base_url}/partner", ROMASHKA))
    listen(receiver, "ours", register(f"{receiver.base_url}/ours", events=["payment.ignored", "payment.unignored"]))

    with session_scope() as session:
        review.ignore_line(session, line_id, "refund", actor=PERSON)
    with session_scope() as session:
        review.unignore_line(session, line_id, actor=PERSON, reason="it was a payment after all")
    dispatcher.drain()

    assert receiver.inbox("partner").received == []
    ignored, unignored = receiver.inbox("ours").received
    assert ignored["type"] == "payment.ignored"
    assert (ignored["data"]["category"], ignored["data"]["payment"]["amount"]) == ("refund", "-120.00")
    assert unignored["data"]["reason"] == "it was a payment after all"


def test_a_change_that_rolls_back_announces_nothing(dispatcher: Dispatcher) -> None:
    with session_scope() as session:
        romashka = f.partner(session, ROMASHKA, email=None)
        inv = f.invoice(session, romashka, 500_00, number="INV-7")
        line = f.payment(session, romashka, 500_00, purpose="Оплата INV-7")
        invoice_id, line_id = inv.id or 0, line.id or 0

    try:
        with session_scope() as session:
            review.allocate_manually(session, line_id, [review.Part(invoice_id, 500_00)], actor=PERSON)
            raise RuntimeError("the request failed after the allocation")
    except RuntimeError:
        pass

    with session_scope() as session:
        assert session.scalars(select(col(OutboxEvent.event_type))).all() == []


def test_the_matcher_announces_the_payment_then_the_invoice_it_settled(
    receiver: Receiver, dispatcher: Dispatcher
) -> None:
    with session_scope() as session:
        romashka = f.partner(session, ROMASHKA, email=None)
        f.invoice(session, romashka, 2_400_00, number="INV-2026-00042")
        f.invoice(session, romashka, 900_00, number="INV-2026-00043")
        f.payment(session, romashka, 2_400_00, purpose="Оплата по счету № INV-2026-00042")
        f.payment(session, romashka, 300_00, purpose="Частичная оплата по счету № INV-2026-00043")
    listen(receiver, "partner", register(f"{receiver.base_url}/partner", ROMASHKA))

    with session_scope() as session:
        assert reconcile(session).auto == 2
    dispatcher.drain()

    heard = receiver.inbox("partner").received
    by_invoice = {
        (p["type"], p["data"]["invoice"]["number"]) for p in heard if p["type"].startswith(("invoice.", "payment."))
    }
    assert by_invoice == {
        ("payment.allocated", "INV-2026-00042"),
        ("invoice.paid", "INV-2026-00042"),
        ("payment.allocated", "INV-2026-00043"),
        ("invoice.partially_paid", "INV-2026-00043"),
    }
    order = _types(heard)
    assert order.index("invoice.paid") > order.index("payment.allocated")
