"""The sandbox bank itself: deterministic realistic data, a strict control API, thread safety."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date

import httpx
import pytest

from adapters.banks.sandbox import create_app
from adapters.banks.sandbox.__main__ import main
from adapters.banks.sandbox.generate import generate_bank, is_valid_account, is_valid_inn10
from tests.http_servers import AppSlot, serve_asgi

TODAY = date(2024, 3, 29)


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[AppSlot, str]]:
    slot = AppSlot()
    with serve_asgi(slot) as base_url:
        yield slot, base_url


@pytest.fixture
def control(server: tuple[AppSlot, str]) -> Iterator[httpx.Client]:
    slot, base_url = server
    slot.app = create_app(3, today=TODAY, history_days=20)
    with httpx.Client(base_url=base_url, timeout=5.0, verify=False) as client:
        yield client


def snapshot(seed: int) -> list[tuple[str, str, str, str | None]]:
    bank = generate_bank(seed, today=TODAY, history_days=30)
    return [
        (acc.number, tx.transaction_id, str(tx.amount), tx.counterparty.inn)
        for acc in bank.accounts
        for tx in acc.transactions
    ]


def test_the_same_seed_generates_the_same_bank():
    assert snapshot(5) == snapshot(5)


def test_a_different_seed_generates_a_different_bank():
    assert snapshot(5) != snapshot(6)


def test_generated_inns_and_account_numbers_pass_the_official_checksums():
    bank = generate_bank(11, today=TODAY, history_days=60)
    parties = [tx.counterparty for acc in bank.accounts for tx in acc.transactions]
    parties += [acc.owner for acc in bank.accounts]

    companies = [p for p in parties if p.bik and p.bik.startswith("04")]
    assert len(companies) > 50
    for party in companies:
        assert party.inn is not None
        assert party.account is not None
        assert is_valid_inn10(party.inn), party
        assert is_valid_account(party.bik or "", party.account), party
        assert party.kpp is not None
        assert len(party.kpp) == 9
        assert party.kpp.isdigit()


def test_the_checksums_reject_a_mistyped_digit():
    inn, account, bik = "7707083893", "40702810038358138294", "044525974"
    assert is_valid_inn10(inn)
    assert not is_valid_inn10("7707083894")
    assert is_valid_account(bik, account) != is_valid_account(bik, account[:-1] + "5")


def test_accounts_are_listed_with_both_api_identifiers(control):
    accounts = control.get("/sandbox/accounts").json()

    assert [a["account_id"] for a in accounts] == ["acc-1", "acc-2"]
    assert all(len(a["account_number"]) == 20 and is_valid_inn10(a["inn"]) for a in accounts)


@pytest.mark.parametrize(
    "payload",
    [
        {"amount": "10.001", "counterparty": {"name": "X"}, "purpose": "p"},
        {"amount": "0", "counterparty": {"name": "X"}, "purpose": "p"},
        {"amount": "5", "counterparty": {"name": "X", "inn": "12"}, "purpose": "p"},
        {"amount": "5", "counterparty": {"name": "X"}, "purpose": "p", "status": "maybe"},
    ],
)
def test_the_control_api_refuses_transactions_a_bank_could_not_hold(control, payload):
    assert control.post("/sandbox/accounts/acc-1/transactions", json=payload).status_code == 422


def test_booking_an_unknown_transaction_is_a_404(control):
    assert control.post("/sandbox/accounts/acc-1/transactions/nope/book", json={}).status_code == 404


def test_a_fault_affects_exactly_the_next_n_bank_requests(control):
    control.post("/sandbox/faults", json={"kind": "status", "status": 503, "count": 2, "api": "tbank"})
    params = {"accountNumber": control.get("/sandbox/accounts").json()[0]["account_number"], "from": "2024-03-01"}
    headers = {"Authorization": "Bearer t"}

    statuses = [control.get("/api/v1/statement", params=params, headers=headers).status_code for _ in range(3)]

    assert statuses == [503, 503, 200]


def test_berlin_group_requests_without_mandatory_headers_are_refused(control):
    response = control.get(
        "/v1/accounts/acc-1/transactions", params={"dateFrom": "2024-03-01", "bookingStatus": "booked"}
    )

    assert response.status_code == 400
    assert response.json()["tppMessages"][0]["code"] == "FORMAT_ERROR"


def test_concurrent_injections_all_land(control, server):
    slot, _ = server

    def inject(worker: int) -> None:
        with httpx.Client(base_url=str(control.base_url), verify=False) as client:
            for n in range(10):
                client.post(
                    "/sandbox/accounts/acc-2/transactions",
                    json={"amount": f"{worker}.{n:02d}", "counterparty": {"name": "W"}, "purpose": "p"},
                ).raise_for_status()

    bank = slot.app.state.bank
    before = len(bank.window("acc-2", date(2000, 1, 1), TODAY, booked=True, pending=True).transactions)
    threads = [threading.Thread(target=inject, args=(worker,)) for worker in range(1, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    after = bank.window("acc-2", date(2000, 1, 1), TODAY, booked=True, pending=True).transactions
    assert len(after) == before + 40
    assert len({tx.transaction_id for tx in after}) == len(after)


def test_the_command_line_documents_its_options(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--help"])

    assert exited.value.code == 0
    assert "--port" in capsys.readouterr().out
