"""The contract every bank-API statement source honours, and the errors it may raise.

A bank API is a *pull* source: given an account and a date window it returns statement lines.
The clients are pure HTTP: they never touch the database. Deduplication, sync cursors and
"try again later" decisions belong to the service that calls them, so a client's job is to
either return the *complete* window or raise. Returning a silently partial window is the one
outcome we never allow, because the store would record the window as done.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

from adapters.banks.base import StatementLine

# details key holding the bank's own id for the movement. It survives pending -> booked (where
# the bank keeps it), so the store can treat the booked line as an update of the pending one.
TRANSACTION_ID_KEY = "transaction_id"


class StatementSourceError(Exception):
    """Anything that prevents a complete pull; the caller should retry the window later."""


class BankApiError(StatementSourceError):
    """The bank refused or kept failing: carries the HTTP status and an excerpt of its answer.

    ``status`` is None when no HTTP response came back at all (network error, timeout).
    ``retryable`` tells the caller whether trying again later could help (429/5xx/network) or
    whether a human must act (400/403/404: wrong account, consent revoked, bad request).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        body_excerpt: str = "",
        url: str = "",
        attempts: int = 1,
        retryable: bool = False,
    ) -> None:
        self.status = status
        self.body_excerpt = body_excerpt
        self.url = url
        self.attempts = attempts
        self.retryable = retryable
        super().__init__(message)

    def __str__(self) -> str:
        parts = [self.args[0] if self.args else "bank API error"]
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        if self.url:
            parts.append(self.url)
        parts.append(f"after {self.attempts} attempt(s)")
        text = "; ".join(parts)
        return f"{text}: {self.body_excerpt}" if self.body_excerpt else text


class BankPayloadError(StatementSourceError):
    """The bank answered 2xx but the body is not what its API promises (bad JSON, no amount…)."""


class PagingGapError(StatementSourceError):
    """Paging did not yield one consistent snapshot: a page was skipped, repeated or changed.

    Never "fixed up" by the client: the caller must re-pull the whole window later.
    """


@dataclass(frozen=True, slots=True)
class StatementPull:
    """The complete result of pulling one account for one date window."""

    account: str
    date_from: date
    date_to: date
    lines: tuple[StatementLine, ...]
    pages: int
    # Opening/closing booked balance for the window when the bank reported them; the client has
    # already checked opening + booked lines == closing, so these are consistent when present.
    opening_balance: Decimal | None = None
    closing_balance: Decimal | None = None


class TokenProvider(Protocol):
    """Returns a bearer token; ``refresh=True`` means the last one was rejected (HTTP 401)."""

    def __call__(self, *, refresh: bool = False) -> str: ...


class StaticToken:
    """A token provider for a fixed token (sandboxes, tests): refreshing returns the same one."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, *, refresh: bool = False) -> str:
        return self._token


class StatementSource(Protocol):
    """A bank API that can list one account's movements over a date window."""

    name: str

    def fetch_statement(
        self, account: str, date_from: date, date_to: date, *, include_pending: bool = True
    ) -> StatementPull:
        """Every line in [date_from, date_to] (inclusive), or raise StatementSourceError."""
        ...
