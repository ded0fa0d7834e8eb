"""Sverka's sandbox bank: one FastAPI app speaking both statement APIs over real HTTP.

* Berlin Group NextGenPSD2: ``GET /v1/accounts/{account-id}/transactions`` (``_links.next`` paging)
* T-Bank business style:   ``GET /api/v1/statement`` (``cursor``/``nextCursor`` paging)
* Control API (``/sandbox/...``): list accounts, inject transactions, book pending ones, queue
  faults, read the request log.

Paging is offset based on purpose: when the control API (or the ``mutate`` fault) inserts a
booking mid-pull, the next page genuinely repeats an item, as with many real banks — the clients
must notice rather than be told.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any, Literal
from urllib.parse import urlencode

from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, field_validator

from adapters.banks.sandbox.generate import generate_bank
from adapters.banks.sandbox.ledger import (
    ApiName,
    Counterparty,
    Fault,
    FaultKind,
    SandboxAccount,
    SandboxBank,
    SandboxTransaction,
    WindowView,
)

MOSCOW = timezone(timedelta(hours=3), "MSK")
TBANK_MAX_LIMIT = 5000
_CURRENCY_DIGITS = {"RUB": "643", "USD": "840", "EUR": "978", "CNY": "156"}


# ---------------------------------------------------------------- paging tokens


def _encode_offset(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def _decode_offset(token: str) -> int | None:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    if not text.startswith("o:") or not text[2:].isdigit():
        return None
    return int(text[2:])


@dataclass(frozen=True, slots=True)
class _Page:
    items: tuple[SandboxTransaction, ...]
    offset: int
    next_offset: int | None


def _slice(view: WindowView, offset: int, size: int) -> _Page:
    items = view.transactions[offset : offset + size]
    more = offset + size < len(view.transactions)
    return _Page(items, offset, offset + size if more else None)


def _money(amount: Decimal) -> str:
    return f"{amount:.2f}"


def _number(amount: Decimal) -> float:
    # T-Bank sends amounts as JSON numbers. Sandbox amounts have two decimals and fewer than 15
    # significant digits, so the float's shortest repr is exactly the decimal we meant.
    return float(amount)


def _utc(day: date, at: time) -> str:
    moment = datetime.combine(day, at, MOSCOW).astimezone(UTC)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


# ---------------------------------------------------------------- Berlin Group rendering


def _bg_error(status: int, code: str, text: str) -> JSONResponse:
    return JSONResponse({"tppMessages": [{"category": "ERROR", "code": code, "text": text}]}, status)


def _bg_transaction(tx: SandboxTransaction, account: SandboxAccount) -> dict[str, Any]:
    own = {"bban": account.number, "currency": account.currency}
    other = {"bban": tx.counterparty.account} if tx.counterparty.account else None
    item: dict[str, Any] = {
        "transactionId": tx.transaction_id,
        "endToEndId": tx.document_number,
        "valueDate": tx.operation_date.isoformat(),
        "transactionAmount": {"currency": account.currency, "amount": _money(tx.amount)},
        "remittanceInformationUnstructured": tx.purpose,
        "proprietaryBankTransactionCode": "01",
    }
    if tx.booking_date is not None:
        item["bookingDate"] = tx.booking_date.isoformat()
    if tx.amount < 0:
        item.update(creditorName=tx.counterparty.name, debtorName=account.owner.name, debtorAccount=own)
        if other:
            item["creditorAccount"] = other
    else:
        item.update(debtorName=tx.counterparty.name, creditorName=account.owner.name, creditorAccount=own)
        if other:
            item["debtorAccount"] = other
    return item


# ---------------------------------------------------------------- T-Bank rendering


def _tbank_error(status: int, code: str, text: str) -> JSONResponse:
    return JSONResponse({"errorCode": code, "errorMessage": text}, status)


def _tbank_party(party: Counterparty) -> dict[str, Any]:
    rendered = {
        "name": party.name,
        "inn": party.inn,
        "kpp": party.kpp,
        "acct": party.account,
        "bankName": party.bank_name,
        "bankBic": party.bik,
        "corAcct": party.corr_account,
    }
    return {key: value for key, value in rendered.items() if value}


def _tbank_operation(tx: SandboxTransaction, account: SandboxAccount) -> dict[str, Any]:
    size = _number(abs(tx.amount))
    digits = _CURRENCY_DIGITS.get(account.currency, "643")
    incoming = tx.amount >= 0
    operation: dict[str, Any] = {
        "operationId": tx.transaction_id,
        "operationDate": _utc(tx.operation_date, tx.operation_time),
        "documentNumber": tx.document_number,
        "documentDate": tx.operation_date.isoformat(),
        "typeOfOperation": "Credit" if incoming else "Debit",
        "operationStatus": "Authorization" if tx.pending else "Transaction",
        "operationAmount": size,
        "operationCurrencyDigitalCode": digits,
        "accountAmount": size,
        "accountCurrencyDigitalCode": digits,
        "rubleAmount": size,
        "description": tx.counterparty.name,
        "payPurpose": tx.purpose,
        "payer": _tbank_party(tx.counterparty if incoming else account.owner),
        "receiver": _tbank_party(account.owner if incoming else tx.counterparty),
    }
    if tx.booking_date is not None:
        operation["chargeDate"] = _utc(tx.booking_date, tx.operation_time)
    return operation


# ---------------------------------------------------------------- control API shapes


class CounterpartyIn(BaseModel):
    name: str = Field(min_length=1, max_length=160)
    inn: str | None = Field(default=None, pattern=r"^(\d{10}|\d{12})$")
    kpp: str | None = Field(default=None, pattern=r"^\d{9}$")
    account: str | None = Field(default=None, pattern=r"^\d{20}$")
    bank_name: str | None = None
    bik: str | None = Field(default=None, pattern=r"^\d{9}$")
    corr_account: str | None = Field(default=None, pattern=r"^\d{20}$")


class TransactionIn(BaseModel):
    """A movement to inject; ``amount`` is signed from the account's side (negative = outgoing)."""

    amount: Decimal
    counterparty: CounterpartyIn
    purpose: str = Field(min_length=1, max_length=210)
    status: Literal["booked", "pending"] = "booked"
    booking_date: date | None = None
    operation_date: date | None = None
    document_number: str | None = Field(default=None, max_length=15)

    @field_validator("amount")
    @classmethod
    def _two_decimals(cls, value: Decimal) -> Decimal:
        if value == 0 or abs(value) >= Decimal(10) ** 12 or value != value.quantize(Decimal("0.01")):
            raise ValueError("amount must be non-zero, below 10^12 and have at most 2 decimals")
        return value


class BookIn(BaseModel):
    booking_date: date | None = None


class FaultIn(BaseModel):
    kind: FaultKind
    count: int = Field(default=1, ge=1, le=1000)
    status: int = Field(default=500, ge=400, le=599)
    retry_after: str | None = Field(default=None, max_length=64)
    delay_seconds: float = Field(default=0.0, ge=0, le=60)
    api: ApiName | None = None


def _transaction_out(tx: SandboxTransaction) -> dict[str, Any]:
    return {
        "transaction_id": tx.transaction_id,
        "amount": _money(tx.amount),
        "status": "pending" if tx.pending else "booked",
        "booking_date": tx.booking_date.isoformat() if tx.booking_date else None,
        "operation_date": tx.operation_date.isoformat(),
        "counterparty": tx.counterparty.name,
        "purpose": tx.purpose,
        "document_number": tx.document_number,
    }


# ---------------------------------------------------------------- the app


def _api_of(path: str) -> ApiName | None:
    if path.startswith("/v1/"):
        return "berlin_group"
    if path.startswith("/api/"):
        return "tbank"
    return None


async def _misbehave(bank: SandboxBank, api: ApiName, *, continuation: bool) -> tuple[Response | None, Fault | None]:
    """Apply the next queued fault: an error response to return, or a fault for the route to act on."""
    fault = bank.take_fault(api, continuation=continuation)
    if fault is None:
        return None, None
    if fault.kind == "status":
        headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else None
        body = {"error": f"sandbox fault: HTTP {fault.status}"}
        return JSONResponse(body, fault.status, headers=headers), None
    if fault.kind == "slow":
        await asyncio.sleep(fault.delay_seconds)
        return None, None
    return None, fault


def create_app(
    seed: int = 1,
    *,
    today: date | None = None,
    page_size: int = 25,
    accounts: int = 2,
    history_days: int = 90,
) -> FastAPI:
    """Build a sandbox bank with deterministic data for ``seed`` (history ends ``today``)."""
    bank_today = today or datetime.now(MOSCOW).date()
    generated = generate_bank(seed, today=bank_today, accounts=accounts, history_days=history_days)
    bank = SandboxBank(generated.accounts, today=bank_today, page_size=page_size)
    app = FastAPI(title="Sverka sandbox bank", version="1.0")
    app.state.bank = bank

    @app.middleware("http")
    async def log_requests(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        api = _api_of(request.url.path)
        if api is not None:
            bank.record(
                {
                    "api": api,
                    "path": request.url.path,
                    "query": dict(request.query_params),
                    "request_id": request.headers.get("x-request-id"),
                    "consent_id": request.headers.get("consent-id"),
                    "authorization": request.headers.get("authorization"),
                    "status": response.status_code,
                }
            )
        return response

    # ---- Berlin Group NextGenPSD2 -------------------------------------------------------------

    @app.get("/v1/accounts/{account_id}/transactions")
    async def bg_transactions(account_id: str, request: Request) -> Response:
        query = request.query_params
        token = query.get("page")
        failure, fault = await _misbehave(bank, "berlin_group", continuation=token is not None)
        if failure is not None:
            return failure
        if not request.headers.get("x-request-id"):
            return _bg_error(400, "FORMAT_ERROR", "X-Request-ID header is missing")
        if not request.headers.get("authorization", "").startswith("Bearer "):
            return _bg_error(401, "TOKEN_INVALID", "bearer token missing")
        if not request.headers.get("consent-id"):
            return _bg_error(400, "FORMAT_ERROR", "Consent-ID header is missing")
        account = bank.find(account_id)
        if account is None:
            return _bg_error(404, "RESOURCE_UNKNOWN", f"no account {account_id}")
        status = query.get("bookingStatus")
        if status not in ("booked", "pending", "both"):
            return _bg_error(400, "PARAMETER_NOT_SUPPORTED", f"bookingStatus {status!r} not supported")
        try:
            date_from = date.fromisoformat(query.get("dateFrom", ""))
            date_to = date.fromisoformat(query["dateTo"]) if "dateTo" in query else bank.today
        except ValueError:
            return _bg_error(400, "FORMAT_ERROR", "dateFrom/dateTo must be YYYY-MM-DD")
        offset = 0 if token is None else _decode_offset(token)
        if offset is None:
            return _bg_error(400, "FORMAT_ERROR", "unknown page token")
        if fault is not None and fault.kind == "mutate":
            bank.insert_at_front(account.resource_id, date_from)
        if fault is not None and fault.kind == "gap":
            offset += bank.page_size
        view = bank.window(
            account.resource_id, date_from, date_to, booked=status != "pending", pending=status != "booked"
        )
        assert view is not None
        page = _slice(view, offset, bank.page_size)

        def link(at: int) -> dict[str, str]:
            params = [(k, v) for k, v in query.multi_items() if k != "page"]
            if at:
                params.append(("page", _encode_offset(at)))
            return {"href": f"{request.url.path}?{urlencode(params)}"}

        links: dict[str, Any] = {"account": {"href": f"/v1/accounts/{account.resource_id}"}, "self": link(offset)}
        if page.next_offset is not None:
            links["next"] = link(page.next_offset)
        body: dict[str, Any] = {
            "account": {"bban": account.number, "currency": account.currency},
            "transactions": {
                "booked": [_bg_transaction(tx, account) for tx in page.items if not tx.pending],
                "pending": [_bg_transaction(tx, account) for tx in page.items if tx.pending],
                "_links": links,
            },
        }
        if query.get("withBalance") == "true" and token is None:
            body["balances"] = [
                {
                    "balanceType": kind,
                    "balanceAmount": {"currency": account.currency, "amount": _money(amount)},
                    "referenceDate": day.isoformat(),
                }
                for kind, amount, day in (
                    ("openingBooked", view.opening_balance, date_from - timedelta(days=1)),
                    ("closingBooked", view.closing_balance, date_to),
                )
            ]
        return JSONResponse(body)

    # ---- T-Bank business style ---------------------------------------------------------------

    @app.get("/api/v1/statement")
    async def tbank_statement(request: Request) -> Response:
        query = request.query_params
        token = query.get("cursor")
        failure, fault = await _misbehave(bank, "tbank", continuation=token is not None)
        if failure is not None:
            return failure
        if not request.headers.get("authorization", "").startswith("Bearer "):
            return _tbank_error(401, "UNAUTHORIZED", "bearer token missing")
        number = query.get("accountNumber", "")
        if not (len(number) == 20 and number.isdigit()):
            return _tbank_error(400, "VALIDATION_ERROR", "accountNumber must be 20 digits")
        account = bank.find(number)
        if account is None:
            return _tbank_error(404, "NOT_FOUND", f"no account {number}")
        try:
            start = datetime.fromisoformat(query["from"])
            end = datetime.fromisoformat(query["till"]) if "till" in query else datetime.now(UTC)
            limit = int(query.get("limit", str(bank.page_size)))
        except (KeyError, ValueError):
            return _tbank_error(400, "VALIDATION_ERROR", "from (ISO 8601), till and limit are required/invalid")
        if not 1 <= limit <= TBANK_MAX_LIMIT:
            return _tbank_error(400, "VALIDATION_ERROR", f"limit must be 1..{TBANK_MAX_LIMIT}")
        date_from = (start if start.tzinfo else start.replace(tzinfo=UTC)).astimezone(MOSCOW).date()
        date_to = (end if end.tzinfo else end.replace(tzinfo=UTC)).astimezone(MOSCOW).date()
        offset = 0 if token is None else _decode_offset(token)
        if offset is None:
            return _tbank_error(400, "VALIDATION_ERROR", "unknown cursor")
        if fault is not None and fault.kind == "mutate":
            bank.insert_at_front(account.resource_id, date_from)
        if fault is not None and fault.kind == "gap":
            offset += limit
        view = bank.window(account.resource_id, date_from, date_to, booked=True, pending=True)
        assert view is not None
        page = _slice(view, offset, limit)
        body: dict[str, Any] = {"operations": [_tbank_operation(tx, account) for tx in page.items]}
        if page.next_offset is not None:
            body["nextCursor"] = _encode_offset(page.next_offset)
        if query.get("withBalances") == "true" and token is None:
            body["balances"] = {
                "saldoIn": _number(view.opening_balance),
                "saldoOut": _number(view.closing_balance),
            }
        return JSONResponse(body)

    # ---- control API -------------------------------------------------------------------------

    @app.get("/sandbox/health")
    def health() -> dict[str, str]:
        return {"status": "ok", "today": bank.today.isoformat()}

    @app.get("/sandbox/accounts")
    def list_accounts() -> list[dict[str, Any]]:
        return [
            {
                "account_id": account.resource_id,
                "account_number": account.number,
                "currency": account.currency,
                "owner": account.owner.name,
                "inn": account.owner.inn,
                "kpp": account.owner.kpp,
                "bik": account.owner.bik,
            }
            for account in bank.accounts()
        ]

    @app.post("/sandbox/accounts/{account_key}/transactions", status_code=201)
    def inject_transaction(account_key: str, payload: TransactionIn) -> dict[str, Any]:
        operation_date = payload.operation_date or payload.booking_date or bank.today
        booking_date = None if payload.status == "pending" else (payload.booking_date or operation_date)
        party = payload.counterparty

        def make(account: SandboxAccount) -> SandboxTransaction:
            seq = account.next_seq()
            return SandboxTransaction(
                transaction_id=f"sbx-{account.resource_id}-{seq:06d}",
                amount=payload.amount,
                counterparty=Counterparty(
                    name=party.name,
                    inn=party.inn,
                    kpp=party.kpp,
                    account=party.account,
                    bank_name=party.bank_name,
                    bik=party.bik,
                    corr_account=party.corr_account,
                ),
                purpose=payload.purpose,
                operation_date=operation_date,
                operation_time=time(12, 0),
                booking_date=booking_date,
                document_number=payload.document_number or str(seq),
                seq=seq,
            )

        tx = bank.add_transaction(account_key, make)
        if tx is None:
            raise HTTPException(404, f"no account {account_key}")
        return _transaction_out(tx)

    @app.post("/sandbox/accounts/{account_key}/transactions/{transaction_id}/book")
    def book_transaction(account_key: str, transaction_id: str, payload: BookIn | None = None) -> dict[str, Any]:
        booking_date = (payload.booking_date if payload else None) or bank.today
        tx = bank.book(account_key, transaction_id, booking_date)
        if tx is None:
            raise HTTPException(404, f"no transaction {transaction_id} on {account_key}")
        return _transaction_out(tx)

    @app.post("/sandbox/faults", status_code=201)
    def add_fault(payload: FaultIn) -> dict[str, Any]:
        bank.add_fault(Fault(**payload.model_dump()))
        return payload.model_dump()

    @app.delete("/sandbox/faults", status_code=204)
    def clear_faults() -> None:
        bank.clear_faults()

    @app.get("/sandbox/requests")
    def request_log() -> list[dict[str, Any]]:
        return bank.requests()

    @app.delete("/sandbox/requests", status_code=204)
    def clear_request_log() -> None:
        bank.clear_requests()

    return app
