"""Bank APIs: pull statement lines over HTTP, one module per API shape.

Every client takes an injected ``httpx.Client`` (base URL, transport and TLS are the caller's
choice), retries what may recover, and either returns a complete window or raises a
:class:`StatementSourceError`. See docs/bank-apis.md.
"""

from adapters.banks.apis.base import (
    TRANSACTION_ID_KEY,
    BankApiError,
    BankPayloadError,
    PagingGapError,
    StatementPull,
    StatementSource,
    StatementSourceError,
    StaticToken,
    TokenProvider,
)
from adapters.banks.apis.berlin_group import BerlinGroupClient
from adapters.banks.apis.retry import RetryPolicy
from adapters.banks.apis.tbank import TBankClient
from adapters.banks.apis.window import DateWindow, SyncCursor, advance_cursor, plan_window, pull_incremental

__all__ = [
    "TRANSACTION_ID_KEY",
    "BankApiError",
    "BankPayloadError",
    "BerlinGroupClient",
    "DateWindow",
    "PagingGapError",
    "RetryPolicy",
    "StatementPull",
    "StatementSource",
    "StatementSourceError",
    "StaticToken",
    "SyncCursor",
    "TBankClient",
    "TokenProvider",
    "advance_cursor",
    "plan_window",
    "pull_incremental",
]
