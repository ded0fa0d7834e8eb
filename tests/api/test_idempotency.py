"""``Idempotency-Key`` with Stripe's semantics: replay, refuse a reused key, run concurrent duplicates once."""

from __future__ import annotations

import threading
from collections.abc import Callable

import httpx
import pytest
from sverka_client import InvalidInputError, SverkaClient

from shared import journal
from shared.db import session_scope
from tests.api.conftest import invoice
from tests.api.keys import bearer, issue_key


def _cancellations(invoice_id: int) -> int:
    with session_scope() as session:
        return sum(e.action == "invoice.cancelled" for e in journal.entity_history(session, "invoice", invoice_id))


def test_the_same_key_and_request_replay_the_first_response(client: Callable[..., SverkaClient]) -> None:
    c = client()
    created = c.create_invoice(invoice("INV-1"))

    first = c.cancel_invoice(created.id, "issued by mistake", idempotency_key="cancel-1")
    second = c.cancel_invoice(created.id, "issued by mistake", idempotency_key="cancel-1")

    assert first == second and second.status == "cancelled"
    assert c.last_response is not None and c.last_response.headers["Idempotent-Replayed"] == "true"
    assert _cancellations(created.id) == 1


def test_a_key_reused_for_another_request_is_refused(client: Callable[..., SverkaClient]) -> None:
    c = client()
    c.create_invoice(invoice("INV-1"), idempotency_key="k-1")

    with pytest.raises(InvalidInputError) as refused:
        c.create_invoice(invoice("INV-2"), idempotency_key="k-1")

    assert refused.value.code == "idempotency_key_reused" and refused.value.field == "Idempotency-Key"
    assert [i.number for i in c.iter_invoices()] == ["INV-1"]


def test_keys_of_different_api_keys_do_not_collide(client: Callable[..., SverkaClient]) -> None:
    one, other = client(), client()
    one.create_invoice(invoice("INV-1"), idempotency_key="same")
    assert other.create_invoice(invoice("INV-2"), idempotency_key="same").number == "INV-2"


def test_concurrent_duplicates_execute_once_and_all_get_its_answer(
    client: Callable[..., SverkaClient], base_url: str
) -> None:
    created = client().create_invoice(invoice("INV-1"))
    key = issue_key()
    barrier = threading.Barrier(4)
    answers: list[httpx.Response] = []

    def send() -> None:
        with httpx.Client(base_url=base_url, headers=bearer(key), timeout=30) as http:
            barrier.wait()
            answers.append(
                http.post(
                    f"/v1/invoices/{created.id}/cancel",
                    json={"reason": "duplicate order"},
                    headers={"Idempotency-Key": "race-1"},
                )
            )

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert [r.status_code for r in answers] == [200] * 4, [r.text for r in answers]
    assert len({r.text for r in answers}) == 1
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in answers) == 3
    assert _cancellations(created.id) == 1


def test_a_request_refused_for_its_key_scope_is_not_remembered(
    client: Callable[..., SverkaClient], base_url: str
) -> None:
    reader = issue_key("read")
    with httpx.Client(base_url=base_url, headers=bearer(reader)) as http:
        denied = http.post("/v1/invoices", json=invoice("INV-1"), headers={"Idempotency-Key": "k"})
        again = http.post("/v1/invoices", json=invoice("INV-1"), headers={"Idempotency-Key": "k"})
    assert denied.status_code == again.status_code == 403
    assert "Idempotent-Replayed" not in again.headers
