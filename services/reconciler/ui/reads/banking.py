"""Our bank accounts as the accounts page shows them: the API connection, if any, and its schedule.

Accounts that only ever got statement files are listed too (with no connection): the page is
the one place that says how each account's lines reach Sverka.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session, col

from shared.db import columns
from shared.errors import NotFound
from shared.models import BankAccount
from shared.models.sync import BankConnection


@dataclass(frozen=True, slots=True)
class AccountView:
    id: int
    number: str
    name: str | None
    currency: str | None
    api_kind: str | None
    sync_cursor: str | None
    base_url: str | None
    enabled: bool | None
    pull_every_minutes: int | None
    next_pull_at: datetime | None

    @property
    def connected(self) -> bool:
        return self.base_url is not None and self.api_kind is not None


def accounts(session: Session) -> list[AccountView]:
    rows = session.execute(
        select(
            *columns(
                BankAccount.id,
                BankAccount.number,
                BankAccount.name,
                BankAccount.currency,
                BankAccount.api_kind,
                BankAccount.sync_cursor,
                BankConnection.base_url,
                BankConnection.enabled,
                BankConnection.pull_every_minutes,
                BankConnection.next_pull_at,
            )
        )
        .outerjoin(BankConnection, col(BankConnection.bank_account_id) == col(BankAccount.id))
        .order_by(col(BankAccount.number))
    )
    return [AccountView(*r) for r in rows]


def account_number(session: Session, account_id: int) -> str:
    number = session.execute(select(col(BankAccount.number)).where(col(BankAccount.id) == account_id)).scalar()
    if number is None:
        raise NotFound(f"account {account_id} not found")
    return str(number)
