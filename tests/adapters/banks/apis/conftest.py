"""A sandbox bank on loopback HTTP, fresh per test, and clients that never really sleep."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx
import pytest

from adapters.banks.apis import BerlinGroupClient, RetryPolicy, StaticToken, TBankClient
from adapters.banks.sandbox import create_app
from adapters.banks.sandbox.ledger import SandboxBank, WindowView
from tests.http_servers import AppSlot, serve_asgi

TODAY = date(2024, 3, 29)  # a Friday; history runs back 45 days from here
MONTH = (date(2024, 3, 1), date(2024, 3, 29))
PAGE_SIZE = 10
POLICY = RetryPolicy(max_attempts=4, base_delay=0.5, max_delay=8.0, max_retry_after=10.0)


@dataclass
class Sandbox:
    """Handles for one test: the server's URL, its state, a control client, recorded sleeps."""

    base_url: str
    bank: SandboxBank
    control: httpx.Client
    sleeps: list[float] = field(default_factory=list)

    @property
    def account_id(self) -> str:
        return self.bank.accounts()[0].resource_id

    @property
    def account_number(self) -> str:
        return self.bank.accounts()[0].number

    def truth(self, date_from: date, date_to: date) -> WindowView:
        view = self.bank.window(self.account_id, date_from, date_to, booked=True, pending=True)
        assert view is not None
        return view

    def fault(self, **spec: Any) -> None:
        self.control.post("/sandbox/faults", json=spec).raise_for_status()

    def inject(self, **spec: Any) -> dict[str, Any]:
        response = self.control.post(f"/sandbox/accounts/{self.account_id}/transactions", json=spec)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def book(self, transaction_id: str, booking_date: date) -> None:
        self.control.post(
            f"/sandbox/accounts/{self.account_id}/transactions/{transaction_id}/book",
            json={"booking_date": booking_date.isoformat()},
        ).raise_for_status()

    def requests(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.control.get("/sandbox/requests").json()
        return result


@pytest.fixture(scope="module")
def bank_server() -> Iterator[tuple[AppSlot, str]]:
    slot = AppSlot()
    with serve_asgi(slot) as base_url:
        yield slot, base_url


@pytest.fixture
def sandbox(bank_server: tuple[AppSlot, str]) -> Iterator[Sandbox]:
    slot, base_url = bank_server
    app = create_app(7, today=TODAY, page_size=PAGE_SIZE, accounts=2, history_days=45)
    slot.app = app
    # Plain-HTTP loopback: skip building a TLS trust store (0.5 s per client on this machine).
    with httpx.Client(base_url=base_url, timeout=5.0, verify=False) as control:
        yield Sandbox(base_url, app.state.bank, control)


@pytest.fixture
def http(sandbox: Sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.base_url, timeout=2.0, verify=False) as client:
        yield client


def berlin_group(sandbox: Sandbox, client: httpx.Client, **overrides: Any) -> BerlinGroupClient:
    options: dict[str, Any] = {
        "consent_id": "consent-42",
        "token_provider": StaticToken("sandbox-token"),
        "policy": POLICY,
        "sleep": sandbox.sleeps.append,
        "rng": random.Random(0),
    }
    options.update(overrides)
    return BerlinGroupClient(client, **options)


def tbank(sandbox: Sandbox, client: httpx.Client, **overrides: Any) -> TBankClient:
    options: dict[str, Any] = {
        "token_provider": StaticToken("sandbox-token"),
        "policy": POLICY,
        "sleep": sandbox.sleeps.append,
        "rng": random.Random(0),
        "page_limit": PAGE_SIZE,
    }
    options.update(overrides)
    return TBankClient(client, **options)
