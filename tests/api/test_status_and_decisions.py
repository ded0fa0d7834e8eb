""" "Is this paid?" answered exactly, and decisions over the API with the review service's rules and journal."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import httpx
import pytest
from sverka_client import ConflictError, NotFoundError, PermissionDeniedError, SverkaClient

from tests.api.conftest import INN_A, camt, invoice
from tests.api.keys import bearer, issue_key


def _upload(base_url: str, *lines: tuple[str, str, str, str]) -> None:
    with httpx.Client(base_url=base_url, headers=bearer(issue_key())) as http:
        sent = http.post("/v1/statements", files={"file": ("s.xml", camt(*lines), "application/xml")})
    assert sent.status_code == 200, sent.text


def test_a_manual_split_shows_on_each_invoice_with_the_payment_behind_it(
    client: Callable[..., SverkaClient], base_url: str
) -> None:
    c = client()
    first, second = c.create_invoice(invoice("INV-1", "600.00")), c.create_invoice(invoice("INV-2", "900.00"))
    _upload(base_url, ("REF-9", "1000.00", "7700000000", "for goods"))
    [payment] = c.list_payments(bank_ref="REF-9").data

    settled = c.allocate(payment.id, {first.id: "600.00", second.id: Decimal("400.00")}, reason="per letter")

    assert (settled.match_status, settled.allocated) == ("settled", Decimal("1000.00"))
    paid, partly = c.get_invoice(first.id), c.get_invoice(second.id)
    assert (paid.status, paid.paid, paid.outstanding, paid.is_paid) == ("paid", Decimal("600.00"), Decimal(0), True)
    assert (partly.status, partly.outstanding) == ("partially_paid", Decimal("500.00"))
    assert paid.last_payment_date == date(2026, 5, 20)
    [allocation] = paid.allocations
    assert (allocation.kind, allocation.payment.bank_ref, allocation.payment.amount) == (
        "manual",
        "REF-9",
        Decimal("1000.00"),
    )
    assert [i.number for i in c.iter_invoices(status=["paid"])] == ["INV-1"]
    assert [p.id for p in c.iter_payments(invoice_id=second.id)] == [payment.id]

    after = c.reverse_allocation(allocation.id, "wrong invoice")

    assert after.match_status == "partially_settled"
    assert c.get_invoice(first.id).status == "open"
    actions = [e.action for e in c.journal("invoice", first.id)]
    assert actions == ["invoice.created", "allocation.manual", "allocation.reversed"]
    assert {e.actor for e in c.journal("payment", payment.id)} >= {"api:tests"}


def test_decisions_keep_the_review_rules(client: Callable[..., SverkaClient], base_url: str) -> None:
    c = client()
    target = c.create_invoice(invoice("INV-1", "100.00"))
    _upload(base_url, ("REF-1", "150.00", INN_A, "?"), ("REF-2", "5.00", "7700000000", "fee"))
    big, fee = c.list_payments(limit=2).data

    with pytest.raises(Exception) as too_much:
        c.allocate(big.id, {target.id: "150.00"})
    assert getattr(too_much.value, "status", None) == 422
    assert c.ignore(fee.id, "bank_fee").match_status == "ignored"
    with pytest.raises(ConflictError):
        c.allocate(fee.id, {target.id: "5.00"})
    with pytest.raises(NotFoundError):
        c.reject(big.id, 999_999, "no such suggestion")
    with pytest.raises(PermissionDeniedError):
        client("write", partner_inn=INN_A).allocate(big.id, {target.id: "1.00"})


def test_cancelling_keeps_the_invoice_and_refuses_one_with_money_on_it(
    client: Callable[..., SverkaClient], base_url: str
) -> None:
    c = client()
    empty, used = c.create_invoice(invoice("INV-1")), c.create_invoice(invoice("INV-2"))
    _upload(base_url, ("REF-1", "10.00", INN_A, "?"))
    [payment] = c.list_payments().data
    c.allocate(payment.id, {used.id: "10.00"})

    assert c.cancel_invoice(empty.id, "customer withdrew").status == "cancelled"
    with pytest.raises(ConflictError):
        c.cancel_invoice(empty.id, "again")
    with pytest.raises(ConflictError) as has_money:
        c.cancel_invoice(used.id, "no")
    assert "undo" in has_money.value.message
    cancelled = [e for e in c.journal("invoice", empty.id) if e.action == "invoice.cancelled"]
    assert [e.after["reason"] for e in cancelled if e.after] == ["customer withdrew"]
    assert c.find_invoice("INV-1").status == "cancelled"


def test_partners_are_created_found_and_updated(client: Callable[..., SverkaClient]) -> None:
    c = client()
    created = c.create_partner({"name": "ООО Вектор", "inn": "7712345678", "accounts": ["40702810000000000009"]})
    with pytest.raises(ConflictError):
        c.create_partner({"name": "Другое", "inn": "7712345678"})
    updated = c.update_partner(created.id, email="pay@vector.example", accounts=["40702810000000000010"])

    assert updated.email == "pay@vector.example"
    assert updated.accounts == ("40702810000000000009", "40702810000000000010")
    assert [p.id for p in c.list_partners(inn="7712345678").data] == [created.id]
    assert [e.action for e in c.journal("partner", created.id)] == ["partner.created", "partner.updated"]
