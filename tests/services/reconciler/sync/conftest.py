"""A sandbox bank on loopback HTTP per test, an account connected to it, and quick retries."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlmodel import col

from adapters.banks.sandbox import create_app
from adapters.banks.sandbox.ledger import SandboxBank
from services.reconciler.sync.service import PullResult, configure_connection, pull_account
from services.reconciler.sync.settings import get_sync_settings
from shared.db import session_scope
from shared.models import BankAccount, BankTransaction
from shared.tasks import drain_in_process
from tests.http_servers import AppSlot, serve_asgi

TODAY = date(2024, 3, 29)  # the sandbox's last day of history
PAGE_SIZE = 10
TOKEN_ENV = "SVERKA_BANK_TOKEN_TEST"


@dataclass
class Bank:
    """The sandbox of one test: its URL, its state and its control API."""

    base_url: str
    state: SandboxBank
    control: httpx.Client

    @property
    def account_id(self) -> str:
        return self.state.accounts()[0].resource_id

    @property
    def account_number(self) -> str:
        return self.state.accounts()[0].number

    def booked_between(self, date_from: date, date_to: date) -> int:
        view = self.state.window(self.account_id, date_from, date_to, booked=True, pending=False)
        assert view is not None
        return len(view.transactions)

    def pending_between(self, date_from: date, date_to: date) -> int:
        view = self.state.window(self.account_id, date_from, date_to, booked=False, pending=True)
        assert view is not None
        return len(view.transactions)

    def fault(self, **spec: Any) -> None:
        self.control.post("/sandbox/faults", json=spec).raise_for_status()

    def inject(self, **spec: Any) -> dict[str, Any]:
        body = {"counterparty": {"name": "ООО «Ромашка»", "inn": "7707083893"}, **spec}
        response = self.control.post(f"/sandbox/accounts/{self.account_id}/transactions", json=body)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def book(self, transaction_id: str, booking_date: date) -> None:
        self.control.post(
            f"/sandbox/accounts/{self.account_id}/transactions/{transaction_id}/book",
            json={"booking_date": booking_date.isoformat()},
        ).raise_for_status()


@pytest.fixture(scope="module")
def bank_server() -> Iterator[tuple[AppSlot, str]]:
    slot = AppSlot()
    with serve_asgi(slot) as base_url:
        yield slot, base_url


def _serve_bank(slot: AppSlot, base_url: str, today: date | None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Bank]:
    app = create_app(7, today=today, page_size=PAGE_SIZE, accounts=2, history_days=45)
    slot.app = app
    monkeypatch.setenv(TOKEN_ENV, "sandbox-token")
    # Production retry rules with millisecond waits (settings are read per pull).
    monkeypatch.setenv("SVERKA_SYNC_RETRY_BASE_DELAY", "0.01")
    monkeypatch.setenv("SVERKA_SYNC_RETRY_MAX_DELAY", "0.02")
    monkeypatch.setenv("SVERKA_SYNC_RETRY_MAX_AFTER", "0.02")
    monkeypatch.setenv("SVERKA_SYNC_TIMEOUT_SECONDS", "0.5")
    monkeypatch.setenv("SVERKA_SYNC_TBANK_PAGE_LIMIT", str(PAGE_SIZE))
    get_sync_settings.cache_clear()
    with httpx.Client(base_url=base_url, timeout=5.0) as control:
        yield Bank(base_url, app.state.bank, control)
    drain_in_process()  # the matcher runs after each pull that stored lines: let it finish on this database
    get_sync_settings.cache_clear()


@pytest.fixture
def bank(database_url: str, bank_server: tuple[AppSlot, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Bank]:
    """The sandbox with history up to the fixed TODAY (pulls pass ``today=TODAY``)."""
    yield from _serve_bank(*bank_server, TODAY, monkeypatch)


@pytest.fixture
def live_bank(database_url: str, bank_server: tuple[AppSlot, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Bank]:
    """The sandbox with history up to Moscow's real today, for callers that cannot pass a day."""
    yield from _serve_bank(*bank_server, None, monkeypatch)


def connect(bank: Bank, api: str = "berlin_group", *, which: int = 0, **overrides: Any) -> str:
    """Configure the bank's account ``which`` for ``api`` against the sandbox; returns its number."""
    account = bank.state.accounts()[which]
    options: dict[str, Any] = {
        "api_kind": api,
        "base_url": bank.base_url,
        "api_account_id": account.resource_id if api == "berlin_group" else account.number,
        "consent_id": "consent-42" if api == "berlin_group" else None,
        "token_env": TOKEN_ENV,
        "actor": "test",
    }
    options.update(overrides)
    with session_scope() as session:
        configure_connection(session, account.number, **options)
    return account.number


def pull(number: str, today: date = TODAY, **kwargs: Any) -> PullResult:
    with session_scope() as session:
        return pull_account(session, number, actor="test", today=today, **kwargs)


def stored_lines(number: str) -> int:
    with session_scope() as session:
        count: int = session.execute(
            select(func.count())
            .select_from(BankTransaction)
            .join(BankAccount, col(BankAccount.id) == col(BankTransaction.bank_account_id))
            .where(col(BankAccount.number) == number)
        ).scalar_one()
        return count


def cursor_of(number: str) -> str | None:
    with session_scope() as session:
        account = session.scalars(select(BankAccount).where(col(BankAccount.number) == number)).one()
        return account.sync_cursor
