"""Pull statements from bank APIs into Sverka: one window per pull, stored whole or not at all.

A pull plans the next window from the account's cursor (``adapters.banks.apis.window``: it
re-reads ``overlap_days`` already-complete days because banks book late, and never calls today
complete), fetches it, and — in the caller's one transaction — stores the booked lines through
the same intake as files, advances the cursor and records the pull. When the bank fails
(network, 4xx, a paging gap, a malformed answer) the window is not stored at all, the cursor
stays, and only a ``failed`` pull row is written; the next pull asks for the same days again.

Duplicates: booked lines get intake's field-derived ``dedupe_key`` (account, currency, booking
date, amount, counterparty account, purpose + an ordinal among identical ones), whose unique
constraint drops a line seen before — through the overlap, by a concurrent pull, or from a
statement file of the same days. The ordinal is safe because every window covers whole days, so
identical lines of one day always arrive together. Pending lines are never stored: they come
back booked (same bank id, now with a booking date) in a later pull and are stored then, once.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import httpx
from sqlmodel import Session

from adapters.banks.apis import (
    BankPayloadError,
    BerlinGroupClient,
    DateWindow,
    RetryPolicy,
    StatementPull,
    StatementSource,
    StatementSourceError,
    SyncCursor,
    TBankClient,
    TokenProvider,
    advance_cursor,
    plan_window,
)
from adapters.banks.base import ParsedStatement
from services.reconciler.intake.service import store_pulled_statement
from services.reconciler.sync import repository
from services.reconciler.sync.settings import get_sync_settings
from shared import journal
from shared.errors import Conflict, InvalidInput, NotFound
from shared.models import BankAccount
from shared.models.columns import utcnow
from shared.models.sync import BankConnection, BankPull
from shared.money import MoneyError, to_minor
from shared.tasks import enqueue_after_commit

log = logging.getLogger("sverka.sync")

API_KINDS = ("berlin_group", "tbank")
MATCH_TASK = "reconciler.match_open_lines"
# Russian banks book on Moscow days (UTC+3 all year since 2014); "today" is Moscow's today.
MOSCOW = timezone(timedelta(hours=3), "MSK")
_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")


class SyncSetupError(Exception):
    """The connection cannot be used as configured (no token in the environment…)."""


@dataclass(frozen=True, slots=True)
class PullResult:
    """What one pull did; ``as_dict`` is the CLI's and the API's JSON summary."""

    pull_id: int
    account: str
    api: str
    trigger: str
    status: str
    date_from: date
    date_to: date
    pages: int
    lines: int
    new: int
    duplicates: int
    pending: int
    cursor_before: str | None
    cursor_after: str | None
    statement_id: int | None
    error: str | None
    started_at: datetime
    finished_at: datetime

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @classmethod
    def of(cls, pull: BankPull, account_number: str) -> PullResult:
        return cls(
            pull_id=pull.id or 0,
            account=account_number,
            api=pull.api_kind,
            trigger=pull.trigger,
            status=pull.status,
            date_from=pull.date_from,
            date_to=pull.date_to,
            pages=pull.pages,
            lines=pull.lines,
            new=pull.new,
            duplicates=pull.duplicates,
            pending=pull.pending,
            cursor_before=pull.cursor_before,
            cursor_after=pull.cursor_after,
            statement_id=pull.statement_id,
            error=pull.error,
            started_at=pull.started_at,
            finished_at=pull.finished_at,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "pull_id": self.pull_id,
            "account": self.account,
            "api": self.api,
            "trigger": self.trigger,
            "status": self.status,
            "range": {"from": self.date_from.isoformat(), "to": self.date_to.isoformat()},
            "pages": self.pages,
            "lines": self.lines,
            "new": self.new,
            "duplicates": self.duplicates,
            "pending": self.pending,
            "cursor_before": self.cursor_before,
            "cursor_after": self.cursor_after,
            "statement_id": self.statement_id,
            "error": self.error,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class ConnectionView:
    """An account's bank connection as the CLI and API show it (the token's *name* only)."""

    account_id: int
    account: str
    api: str
    base_url: str
    api_account_id: str
    consent_id: str | None
    token_env: str
    enabled: bool
    pull_every_minutes: int
    next_pull_at: datetime
    sync_cursor: str | None

    @classmethod
    def of(cls, account: BankAccount, connection: BankConnection) -> ConnectionView:
        return cls(
            account_id=account.id or 0,
            account=account.number,
            api=account.api_kind or "",
            base_url=connection.base_url,
            api_account_id=account.api_account_id or "",
            consent_id=connection.consent_id,
            token_env=connection.token_env,
            enabled=connection.enabled,
            pull_every_minutes=connection.pull_every_minutes,
            next_pull_at=connection.next_pull_at,
            sync_cursor=account.sync_cursor,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "account": self.account,
            "api": self.api,
            "base_url": self.base_url,
            "api_account_id": self.api_account_id,
            "consent_id": self.consent_id,
            "token_env": self.token_env,
            "enabled": self.enabled,
            "pull_every_minutes": self.pull_every_minutes,
            "next_pull_at": self.next_pull_at.isoformat(),
            "sync_cursor": self.sync_cursor,
        }


class EnvToken:
    """Bearer token read from an environment variable at pull time; re-read when the bank says 401.

    Secrets stay out of the database (and its backups and journal): the row names the variable.
    """

    def __init__(self, variable: str) -> None:
        self.variable = variable
        self._token = self._read()

    def _read(self) -> str:
        token = os.environ.get(self.variable, "").strip()
        if not token:
            raise SyncSetupError(f"no bearer token: environment variable {self.variable} is not set")
        return token

    def __call__(self, *, refresh: bool = False) -> str:
        if refresh:
            self._token = self._read()
        return self._token


def default_token_env(account_number: str) -> str:
    return "SVERKA_BANK_TOKEN_" + re.sub(r"[^A-Z0-9]", "_", account_number.upper())


def moscow_today() -> date:
    return datetime.now(MOSCOW).date()


# ---------------------------------------------------------------- configuring connections


def configure_connection(
    session: Session,
    account_number: str,
    *,
    api_kind: str,
    base_url: str,
    api_account_id: str | None = None,
    consent_id: str | None = None,
    token_env: str | None = None,
    every_minutes: int | None = None,
    currency: str | None = None,
    actor: str,
) -> ConnectionView:
    """Create or replace how ``account_number`` is pulled; the account is created if new.

    The cursor is kept when the connection changes: the account's lines are the same facts
    whichever API brought them, and the dedupe key does not depend on the API.
    """
    number = account_number.strip()
    if not number:
        raise InvalidInput("the account number is empty", field="account")
    if api_kind not in API_KINDS:
        raise InvalidInput(f"unknown API {api_kind!r}; expected one of {', '.join(API_KINDS)}", field="api")
    url = httpx.URL(base_url)
    if url.scheme not in ("http", "https") or not url.host:
        raise InvalidInput(f"base URL {base_url!r} is not an http(s) URL", field="base_url")
    if api_kind == "berlin_group" and not consent_id:
        raise InvalidInput("a Berlin Group connection needs a consent id", field="consent_id")
    resource = (api_account_id or "").strip() or (number if api_kind == "tbank" else "")
    if not resource:
        raise InvalidInput("the bank's account id is required for Berlin Group", field="api_account_id")
    variable = token_env or default_token_env(number)
    if not _ENV_NAME.match(variable):
        raise InvalidInput(f"{variable!r} is not an environment variable name", field="token_env")
    every = every_minutes if every_minutes is not None else get_sync_settings().default_every_minutes
    if every < 1:
        raise InvalidInput("the pull interval must be at least one minute", field="every_minutes")

    account = repository.account_by_number(session, number)
    if account is None:
        account = BankAccount(number=number, currency=currency)
        repository.add(session, account)
    connection = repository.connection_of(session, account.id or 0)
    before = ConnectionView.of(account, connection).as_dict() if connection else None
    account.api_kind, account.api_account_id = api_kind, resource
    if currency and not account.currency:
        account.currency = currency
    if connection is None:
        connection = BankConnection(bank_account_id=account.id or 0, base_url=base_url, token_env=variable)
    connection.base_url = base_url
    connection.consent_id = consent_id
    connection.token_env = variable
    connection.pull_every_minutes = every
    connection.enabled = True
    connection.updated_at = utcnow()
    session.add(account)
    repository.add(session, connection)
    view = ConnectionView.of(account, connection)
    after = view.as_dict()
    after.pop("next_pull_at")
    if before is not None:
        before.pop("next_pull_at")
    journal.record(
        session,
        journal.Change(
            actor=actor,
            action="bank_connection.configured",
            entity_type="bank_account",
            entity_id=account.id or 0,
            before=before,
            after=after,
        ),
    )
    return view


def list_connections(session: Session) -> list[ConnectionView]:
    return [ConnectionView.of(a, c) for a, c in repository.connections_with_accounts(session)]


def resolve_account(session: Session, reference: str) -> BankAccount:
    """Our account by number, or by its id when the reference is a number no account has."""
    account = repository.account_by_number(session, reference)
    if account is None and reference.isdigit() and len(reference) < 12:
        account = repository.account_by_id(session, int(reference))
    if account is None:
        raise NotFound(f"account {reference} not found")
    return account


def list_pulls(session: Session, reference: str, *, limit: int = 50) -> list[PullResult]:
    account = resolve_account(session, reference)
    return [PullResult.of(p, account.number) for p in repository.pulls_of(session, account.id or 0, limit)]


# ---------------------------------------------------------------- pulling


def pull_account(
    session: Session,
    account_number: str,
    *,
    actor: str,
    today: date | None = None,
    client: httpx.Client | None = None,
    trigger: str = "manual",
    tokens: TokenProvider | None = None,
    retry: RetryPolicy | None = None,
) -> PullResult:
    """Pull the account's next window in the caller's transaction (flushes; the boundary commits).

    Returns the recorded pull, ``ok`` or ``failed``; a failure of the bank is a result, not an
    exception, so the boundary commits the failed pull row (and nothing else). Raises
    :class:`NotFound` for an unknown or unconfigured account and :class:`Conflict` when another
    transaction is pulling the account right now.

    ``client`` replaces the connection's HTTP client (base URL, transport, TLS): tests and the
    demo point it at the sandbox. ``tokens`` replaces the environment-variable token.
    """
    account = resolve_account(session, account_number)
    found = repository.connection_of(session, account.id or 0)
    if found is None or account.api_kind is None:
        raise NotFound(f"account {account.number} has no bank connection; add one with `sverka accounts add`")
    connection = repository.lock_connection(session, found.id or 0)
    if connection is None:
        raise Conflict(f"account {account.number} is being pulled right now; try again shortly")
    session.refresh(account)  # the cursor as of the lock, not as of an earlier read

    settings = get_sync_settings()
    day = today or moscow_today()
    started = utcnow()
    cursor_before = account.sync_cursor
    previous = SyncCursor.decode(cursor_before) if cursor_before else None
    window = plan_window(
        previous,
        today=day,
        overlap_days=settings.overlap_days,
        first_sync_days=settings.first_sync_days,
        max_days=settings.max_window_days,
    )
    pull = BankPull(
        bank_account_id=account.id or 0,
        api_kind=account.api_kind,
        trigger=trigger,
        actor=actor,
        started_at=started,
        finished_at=started,
        date_from=window.date_from,
        date_to=window.date_to,
        status="failed",
        cursor_before=cursor_before,
        cursor_after=cursor_before,
    )
    try:
        with _http_client(connection, client) as http:
            source = _source(account, connection, http, tokens or EnvToken(connection.token_env), retry)
            fetched = source.fetch_statement(account.api_account_id or account.number, window.date_from, window.date_to)
        _check_amounts(fetched, account)
    except (StatementSourceError, SyncSetupError) as exc:
        pull.error = str(exc) or type(exc).__name__
        log.warning("pull of %s %s..%s failed: %s", account.number, window.date_from, window.date_to, pull.error)
    else:
        _store_window(session, account, fetched, window, pull, previous, day, actor)
    _finish(session, account, connection, pull)
    return PullResult.of(pull, account.number)


def record_crashed_pull(
    session: Session, account_number: str, error: str, *, actor: str, trigger: str, today: date | None = None
) -> PullResult:
    """Record a pull that died of an unexpected error (its own transaction rolled back).

    Every attempt is a row: without this a bug or a database hiccup would leave no trace in the
    account's pull history, only in logs.
    """
    account = resolve_account(session, account_number)
    connection = repository.connection_of(session, account.id or 0)
    if connection is None:
        raise NotFound(f"account {account.number} has no bank connection")
    settings = get_sync_settings()
    previous = SyncCursor.decode(account.sync_cursor) if account.sync_cursor else None
    window = plan_window(
        previous,
        today=today or moscow_today(),
        overlap_days=settings.overlap_days,
        first_sync_days=settings.first_sync_days,
        max_days=settings.max_window_days,
    )
    now = utcnow()
    pull = BankPull(
        bank_account_id=account.id or 0,
        api_kind=account.api_kind or "",
        trigger=trigger,
        actor=actor,
        started_at=now,
        finished_at=now,
        date_from=window.date_from,
        date_to=window.date_to,
        status="failed",
        error=error,
        cursor_before=account.sync_cursor,
        cursor_after=account.sync_cursor,
    )
    _finish(session, account, connection, pull)
    return PullResult.of(pull, account.number)


def claim_due_accounts(session: Session, *, now: datetime | None = None, limit: int = 100) -> list[str]:
    """Numbers of accounts whose pull interval has elapsed, claimed for this caller.

    The claim moves each account's ``next_pull_at`` one interval ahead; commit it before pulling,
    so a doubled scheduler tick finds nothing left to claim.
    """
    moment = now or datetime.now(UTC)
    numbers: list[str] = []
    for connection_id in repository.claim_due(session, moment, limit):
        found = repository.connection_with_account(session, connection_id)
        if found is not None:
            numbers.append(found[0].number)
    return numbers


@contextmanager
def _http_client(connection: BankConnection, injected: httpx.Client | None) -> Iterator[httpx.Client]:
    if injected is not None:
        yield injected
        return
    settings = get_sync_settings()
    timeout = httpx.Timeout(settings.timeout_seconds, connect=settings.connect_timeout_seconds)
    with httpx.Client(base_url=connection.base_url, timeout=timeout) as http:
        yield http


def _source(
    account: BankAccount,
    connection: BankConnection,
    http: httpx.Client,
    tokens: TokenProvider,
    retry: RetryPolicy | None,
) -> StatementSource:
    policy = retry or get_sync_settings().retry_policy()
    if account.api_kind == "berlin_group":
        return BerlinGroupClient(http, consent_id=connection.consent_id or "", token_provider=tokens, policy=policy)
    if account.api_kind == "tbank":
        limit = get_sync_settings().tbank_page_limit
        return TBankClient(http, token_provider=tokens, policy=policy, page_limit=limit)
    raise SyncSetupError(f"account {account.number}: unknown API {account.api_kind!r}")


def _check_amounts(fetched: StatementPull, account: BankAccount) -> None:
    """Refuse, before anything is written, a window with an amount its currency cannot hold."""
    for line in fetched.lines:
        try:
            to_minor(line.amount, line.currency or account.currency or "RUB")
        except MoneyError as exc:
            raise BankPayloadError(f"line {line.bank_ref or '?'}: {exc}") from exc


def _store_window(
    session: Session,
    account: BankAccount,
    fetched: StatementPull,
    window: DateWindow,
    pull: BankPull,
    previous: SyncCursor | None,
    today: date,
    actor: str,
) -> None:
    statement = ParsedStatement(
        account=account.number,
        currency=account.currency,
        date_from=window.date_from,
        date_to=window.date_to,
        opening_balance=fetched.opening_balance,
        closing_balance=fetched.closing_balance,
        lines=fetched.lines,
    )
    stored = store_pulled_statement(
        session, statement, source=f"api:{account.api_kind}", actor=actor, account_number=account.number
    )
    cursor = advance_cursor(previous, window, today=today)
    account.sync_cursor = cursor.encode()
    if account.currency is None and fetched.lines:
        account.currency = fetched.lines[0].currency
    session.add(account)
    pull.status = "ok"
    pull.pages = fetched.pages
    pull.lines = stored.lines
    pull.new = stored.new
    pull.duplicates = stored.duplicates
    pull.pending = stored.skipped_pending
    pull.statement_id = stored.statement_id
    pull.cursor_after = account.sync_cursor
    if stored.new:
        enqueue_after_commit(session, MATCH_TASK, statement_ids=[stored.statement_id])


def _finish(session: Session, account: BankAccount, connection: BankConnection, pull: BankPull) -> None:
    pull.finished_at = utcnow()
    repository.add(session, pull)
    connection.next_pull_at = pull.finished_at + timedelta(minutes=connection.pull_every_minutes)
    session.add(connection)
    journal.record(
        session,
        journal.Change(
            actor=pull.actor,
            action="bank_pull.completed" if pull.status == "ok" else "bank_pull.failed",
            entity_type="bank_pull",
            entity_id=pull.id or 0,
            after={
                "account": account.number,
                "api": pull.api_kind,
                "trigger": pull.trigger,
                "date_from": pull.date_from,
                "date_to": pull.date_to,
                "pages": pull.pages,
                "lines": pull.lines,
                "new": pull.new,
                "duplicates": pull.duplicates,
                "pending": pull.pending,
                "status": pull.status,
                "error": pull.error,
                "cursor_before": pull.cursor_before,
                "cursor_after": pull.cursor_after,
                "statement_id": pull.statement_id,
            },
        ),
    )
    session.flush()
