"""The sandbox bank's in-memory state: accounts, transactions, queued faults, a request log.

One lock guards everything. The HTTP layer reads *copies* (``window``), so a page is always
rendered from one consistent moment while the control API keeps changing the live data — which
is exactly how a real bank's data moves under a paging client.
"""

from __future__ import annotations

import dataclasses
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal
from typing import Any, Literal

FaultKind = Literal["status", "slow", "mutate", "gap"]
ApiName = Literal["berlin_group", "tbank"]


@dataclass(frozen=True, slots=True)
class Counterparty:
    name: str
    inn: str | None = None
    kpp: str | None = None
    account: str | None = None
    bank_name: str | None = None
    bik: str | None = None
    corr_account: str | None = None


@dataclass(slots=True)
class SandboxTransaction:
    """A movement on a sandbox account; ``amount`` is signed (negative = money leaving)."""

    transaction_id: str
    amount: Decimal
    counterparty: Counterparty
    purpose: str
    operation_date: date
    operation_time: time
    booking_date: date | None  # None while pending
    document_number: str
    seq: int

    @property
    def pending(self) -> bool:
        return self.booking_date is None

    @property
    def effective_date(self) -> date:
        """The date that places the line in a window: booking date, or operation date if pending."""
        return self.booking_date or self.operation_date


@dataclass(slots=True)
class SandboxAccount:
    resource_id: str  # the Berlin Group account-id
    number: str  # the 20-digit Russian account number (T-Bank's accountNumber)
    currency: str
    owner: Counterparty
    opening_balance: Decimal  # balance before the first generated transaction
    transactions: list[SandboxTransaction] = field(default_factory=list)
    _seq: int = 0

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def bank_as_counterparty(self) -> Counterparty:
        return Counterparty(
            name=self.owner.bank_name or "Банк",
            inn="7710140679",
            kpp="771301001",
            account="70601810600000000001",  # bank income account, control key valid for the T-Bank BIK
            bank_name=self.owner.bank_name,
            bik=self.owner.bik,
            corr_account=self.owner.corr_account,
        )


@dataclass(slots=True)
class Fault:
    """Misbehaviour for the next ``count`` matching bank-API requests.

    ``status``: answer ``status`` (with ``Retry-After`` if given) instead of data.
    ``slow``: wait ``delay_seconds`` before answering (longer than a client's timeout).
    ``mutate``: before serving a continuation page, insert a booking at the start of the list,
    shifting every offset by one (the next page repeats an item).
    ``gap``: serve a continuation page one page further than asked (a page is dropped).
    """

    kind: FaultKind
    count: int = 1
    status: int = 500
    retry_after: str | None = None
    delay_seconds: float = 0.0
    api: ApiName | None = None

    def applies(self, api: ApiName, continuation: bool) -> bool:
        if self.api is not None and self.api != api:
            return False
        return continuation or self.kind not in ("mutate", "gap")


@dataclass(frozen=True, slots=True)
class WindowView:
    """A consistent copy of one account's lines in a window, in the bank's paging order."""

    account: SandboxAccount
    transactions: tuple[SandboxTransaction, ...]
    opening_balance: Decimal
    closing_balance: Decimal


def paging_order(tx: SandboxTransaction) -> tuple[int, date, int]:
    return (1 if tx.pending else 0, tx.effective_date, tx.seq)


class SandboxBank:
    """Thread-safe state of the whole sandbox bank."""

    def __init__(self, accounts: tuple[SandboxAccount, ...], *, today: date, page_size: int) -> None:
        self._lock = threading.Lock()
        self._by_key: dict[str, SandboxAccount] = {}
        for account in accounts:
            self._by_key[account.resource_id] = account
            self._by_key[account.number] = account
        self._accounts = accounts
        self._faults: list[Fault] = []
        self._requests: list[dict[str, Any]] = []
        self.today = today
        self.page_size = page_size

    def accounts(self) -> tuple[SandboxAccount, ...]:
        return self._accounts

    def find(self, key: str) -> SandboxAccount | None:
        """An account by Berlin Group resource id or by 20-digit number (immutable fields only)."""
        return self._by_key.get(key)

    def window(self, key: str, date_from: date, date_to: date, *, booked: bool, pending: bool) -> WindowView | None:
        with self._lock:
            account = self._by_key.get(key)
            if account is None:
                return None
            chosen = [
                dataclasses.replace(tx)
                for tx in account.transactions
                if date_from <= tx.effective_date <= date_to and (pending if tx.pending else booked)
            ]
            before = sum(
                (tx.amount for tx in account.transactions if tx.booking_date and tx.booking_date < date_from),
                Decimal(0),
            )
            within = sum(
                (
                    tx.amount
                    for tx in account.transactions
                    if tx.booking_date and date_from <= tx.booking_date <= date_to
                ),
                Decimal(0),
            )
        chosen.sort(key=paging_order)
        opening = account.opening_balance + before
        return WindowView(account, tuple(chosen), opening, opening + within)

    def add_transaction(
        self, key: str, make: Callable[[SandboxAccount], SandboxTransaction]
    ) -> SandboxTransaction | None:
        with self._lock:
            account = self._by_key.get(key)
            if account is None:
                return None
            tx = make(account)
            account.transactions.append(tx)
            return dataclasses.replace(tx)

    def book(self, key: str, transaction_id: str, booking_date: date) -> SandboxTransaction | None:
        """Turn a pending transaction into a booked one, keeping its id (as real banks should)."""
        with self._lock:
            account = self._by_key.get(key)
            if account is None:
                return None
            for tx in account.transactions:
                if tx.transaction_id == transaction_id:
                    if tx.pending:
                        tx.booking_date = booking_date
                    return dataclasses.replace(tx)
            return None

    def insert_at_front(self, key: str, day: date) -> None:
        """The ``mutate`` fault: a booking that sorts before everything already paged."""
        with self._lock:
            account = self._by_key[key]
            account.transactions.append(
                SandboxTransaction(
                    transaction_id=str(uuid.uuid4()),
                    amount=Decimal("777.00"),
                    counterparty=Counterparty(name="ООО «Поздний платеж»", inn="7707083893"),
                    purpose="Оплата, проведенная задним числом",
                    operation_date=day,
                    operation_time=time(9, 0),
                    booking_date=day,
                    document_number="1",
                    seq=-account.next_seq(),
                )
            )

    def add_fault(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def take_fault(self, api: ApiName, *, continuation: bool) -> Fault | None:
        """Consume one use of the first queued fault that applies to this request."""
        with self._lock:
            for fault in self._faults:
                if fault.applies(api, continuation):
                    fault.count -= 1
                    if fault.count <= 0:
                        self._faults.remove(fault)
                    return dataclasses.replace(fault)
            return None

    def record(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._requests.append(entry)

    def requests(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()
