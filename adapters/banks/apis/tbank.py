"""Client for a Russian business bank's statement API, modelled on T-Bank (Tinkoff) Business.

``GET {base}/api/v1/statement?accountNumber=…&from=…&till=…&limit=…[&cursor=…][&withBalances=true]``
with a bearer token and ``X-Request-Id``. Operations come in portions of at most ``limit``; a
``nextCursor`` in the answer means "ask again with cursor=<it>". Dates in requests and answers
are ISO 8601 in UTC; the banking day is Moscow's, so a window of days is sent as Moscow midnight
to Moscow end-of-day expressed in UTC, and ``chargeDate`` is turned back into a Moscow date.

What the public documentation confirmed, and what we assumed, is listed in docs/bank-apis.md.
In short, per operation we read ``operationId``, ``operationStatus`` (Transaction = booked,
Authorization = pending), ``typeOfOperation`` (Credit/Debit gives the sign, amounts are positive),
``accountAmount`` (else ``operationAmount``) with ``accountCurrencyDigitalCode`` (else
``operationCurrencyDigitalCode``, else the currency digits of the account number), ``chargeDate``
(else ``operationDate``), ``documentNumber``/``documentDate``, ``payPurpose`` and the
``payer``/``receiver`` parties (name, inn, kpp, acct, bankName, bankBic, corAcct).

Completeness: a cursor sent twice is a loop, an operation id on two pages means the list moved,
and with ``withBalances=true`` (first portion only) opening + booked operations must equal closing.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import httpx

from adapters.banks.apis import fields
from adapters.banks.apis.base import (
    TRANSACTION_ID_KEY,
    BankPayloadError,
    StatementPull,
    TokenProvider,
)
from adapters.banks.apis.paging import PageGuard
from adapters.banks.apis.retry import BankHttp, RetryPolicy
from adapters.banks.base import LineStatus, StatementLine

# Moscow has been UTC+3 all year since 2014; a fixed offset needs no tz database on the host.
MOSCOW = timezone(timedelta(hours=3), "MSK")
DEFAULT_PAGE_LIMIT = 1000

# ISO 4217 numeric codes seen on Russian business accounts. 810 is the pre-1998 rouble code that
# Russian account numbers still carry in digits 6-8.
_NUMERIC_CURRENCIES = {
    "643": "RUB", "810": "RUB", "840": "USD", "978": "EUR", "156": "CNY", "398": "KZT",
    "933": "BYN", "051": "AMD", "417": "KGS", "860": "UZS", "949": "TRY", "784": "AED",
    "356": "INR", "826": "GBP", "756": "CHF", "392": "JPY", "344": "HKD",
}  # fmt: skip
_STATUSES: dict[str, LineStatus] = {"transaction": "booked", "authorization": "pending"}


def currency_from_code(code: Any, where: str) -> str:
    """ISO alpha code for a numeric one ("643" -> "RUB"); alpha codes pass through."""
    value = fields.text(code, where)
    if value is None:
        raise BankPayloadError(f"{where}: currency missing")
    if value.isdigit():
        alpha = _NUMERIC_CURRENCIES.get(value.zfill(3))
        if alpha is None:
            raise BankPayloadError(f"{where}: unknown numeric currency code {value!r}")
        return alpha
    return fields.currency(value, where)


def account_currency(account_number: str) -> str | None:
    """The currency a Russian account number declares in digits 6-8 (40702 810 …), if known."""
    if len(account_number) == 20 and account_number.isdigit():
        return _NUMERIC_CURRENCIES.get(account_number[5:8])
    return None


def moscow_date(value: Any, where: str) -> date | None:
    """The Moscow calendar date of an ISO timestamp (UTC if it carries no offset)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise BankPayloadError(f"{where}: not a timestamp: {value!r}")
    if len(value) == 10:
        return fields.iso_date(value, where)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise BankPayloadError(f"{where}: not an ISO timestamp: {value!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(MOSCOW).date()


def utc_stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _party(value: Any, role: str, where: str, details: dict[str, str]) -> tuple[str | None, ...]:
    """Copy a payer/receiver block into payment-order details; return (name, inn, account)."""
    if value is None:
        return None, None, None
    party = fields.as_mapping(value, where)
    name = fields.text(party.get("name"), f"{where}.name")
    inn = fields.text(party.get("inn"), f"{where}.inn")
    account = fields.text(party.get("acct"), f"{where}.acct")
    fields.put(details, f"{role}_name", name)
    fields.put(details, f"{role}_inn", inn)
    fields.put(details, f"{role}_kpp", fields.text(party.get("kpp"), f"{where}.kpp"))
    fields.put(details, f"{role}_account", account)
    fields.put(details, f"{role}_bank_name", fields.text(party.get("bankName"), f"{where}.bankName"))
    bik = party.get("bankBic", party.get("bicRu"))
    fields.put(details, f"{role}_bank_bik", fields.text(bik, f"{where}.bankBic"))
    corr = party.get("corAcct", party.get("corrAcct"))
    fields.put(details, f"{role}_bank_corr_account", fields.text(corr, f"{where}.corAcct"))
    return name, inn, account


def map_operation(value: Any, account_number: str, where: str) -> StatementLine:
    """One statement operation as a StatementLine, signed from the account's point of view."""
    operation = fields.as_mapping(value, where)
    operation_id = fields.text(operation.get("operationId"), f"{where}.operationId")
    if operation_id is None:
        raise BankPayloadError(f"{where}: operationId missing; the line would have no identity")

    raw_status = fields.text(operation.get("operationStatus"), f"{where}.operationStatus")
    status = _STATUSES.get((raw_status or "transaction").lower())
    if status is None:
        raise BankPayloadError(f"{where}: unknown operationStatus {raw_status!r}")

    kind = (fields.text(operation.get("typeOfOperation"), f"{where}.typeOfOperation") or "").lower()
    if kind not in ("credit", "debit"):
        raise BankPayloadError(f"{where}: typeOfOperation must be Credit or Debit, got {kind!r}")

    if operation.get("accountAmount") is not None:
        size = fields.amount(operation["accountAmount"], f"{where}.accountAmount")
        code = operation.get("accountCurrencyDigitalCode") or account_currency(account_number)
        if code is None:
            code = operation.get("operationCurrencyDigitalCode")
    else:
        size = fields.amount(operation.get("operationAmount"), f"{where}.operationAmount")
        code = operation.get("operationCurrencyDigitalCode") or account_currency(account_number)
    if size < 0:
        raise BankPayloadError(f"{where}: amounts are unsigned in this API, got {size}")
    if int(size.as_tuple().exponent) > -2:
        # JSON numbers drop trailing zeros (1490.0); kopecks are always meant, so the same
        # operation yields the same Decimal text whichever way the bank spelt it.
        size = size.quantize(Decimal("0.01"))

    details: dict[str, str] = {TRANSACTION_ID_KEY: operation_id}
    payer = _party(operation.get("payer"), "payer", f"{where}.payer", details)
    payee = _party(operation.get("receiver"), "payee", f"{where}.receiver", details)
    counterparty = payer if kind == "credit" else payee
    fields.put(details, "document_number", fields.text(operation.get("documentNumber"), f"{where}.documentNumber"))
    fields.put(details, "document_date", fields.text(operation.get("documentDate"), f"{where}.documentDate"))
    fields.put(details, "operation_date", fields.text(operation.get("operationDate"), f"{where}.operationDate"))
    fields.put(details, "type_of_operation", kind.capitalize())
    fields.put(details, "category", fields.text(operation.get("category"), f"{where}.category"))
    fields.put(details, "description", fields.text(operation.get("description"), f"{where}.description"))

    booked_on = moscow_date(operation.get("chargeDate"), f"{where}.chargeDate")
    operated_on = moscow_date(operation.get("operationDate"), f"{where}.operationDate")
    if status == "booked" and booked_on is None:
        booked_on = operated_on
        if booked_on is None:
            raise BankPayloadError(f"{where}: booked operation without chargeDate or operationDate")

    return StatementLine(
        amount=size if kind == "credit" else -size,
        currency=currency_from_code(code, f"{where}.currency"),
        booking_date=booked_on if status == "booked" else None,
        value_date=operated_on,
        bank_ref=operation_id,
        counterparty_name=counterparty[0],
        counterparty_account=counterparty[2],
        counterparty_tax_id=counterparty[1],
        purpose=fields.text(operation.get("payPurpose"), f"{where}.payPurpose"),
        status=status,
        details=details,
        raw=fields.verbatim(operation),
    )


def _balances(document: Mapping[str, Any], where: str) -> tuple[Decimal, Decimal] | None:
    block = document.get("balances")
    if block is None:
        return None
    balances = fields.as_mapping(block, f"{where}.balances")
    if balances.get("saldoIn") is None or balances.get("saldoOut") is None:
        return None
    return (
        fields.amount(balances["saldoIn"], f"{where}.balances.saldoIn"),
        fields.amount(balances["saldoOut"], f"{where}.balances.saldoOut"),
    )


class TBankClient:
    """Pulls statements from a T-Bank-style business API through an injected ``httpx.Client``.

    The client's ``base_url`` is the API root (``https://business.tbank.ru/openapi`` in production,
    the sandbox's address in tests and demos).
    """

    name = "tbank"

    def __init__(
        self,
        client: httpx.Client,
        *,
        token_provider: TokenProvider,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        clock: Callable[[], datetime] | None = None,
        timeout: httpx.Timeout | float | None = None,
        page_limit: int = DEFAULT_PAGE_LIMIT,
    ) -> None:
        if page_limit < 1:
            raise ValueError("page_limit must be positive")
        self._http = BankHttp(
            client,
            token_provider=token_provider,
            policy=policy,
            sleep=sleep,
            rng=rng,
            clock=clock,
            timeout=timeout,
            request_id_header="X-Request-Id",
        )
        self._page_limit = page_limit

    @property
    def http(self) -> BankHttp:
        return self._http

    def fetch_statement(
        self, account: str, date_from: date, date_to: date, *, include_pending: bool = True
    ) -> StatementPull:
        """Every operation on the 20-digit ``account`` charged on [date_from, date_to] (Moscow days)."""
        if date_from > date_to:
            raise ValueError(f"date_from {date_from} is after date_to {date_to}")
        if not (len(account) == 20 and account.isdigit()):
            raise ValueError(f"accountNumber must be 20 digits, got {account!r}")
        where = f"tbank account {account} {date_from}..{date_to}"
        guard = PageGuard(where)
        start = datetime.combine(date_from, datetime.min.time(), MOSCOW)
        end = datetime.combine(date_to + timedelta(days=1), datetime.min.time(), MOSCOW)
        base_params = {
            "accountNumber": account,
            "from": utc_stamp(start),
            "till": utc_stamp(end - timedelta(milliseconds=1)),
            "limit": str(self._page_limit),
        }
        params = {**base_params, "withBalances": "true"}
        lines: list[StatementLine] = []
        balances: tuple[Decimal, Decimal] | None = None
        while True:
            body, _ = self._http.get_json("/api/v1/statement", params=params)
            page_where = f"{where} page {guard.pages + 1}"
            document = fields.as_mapping(body, page_where)
            page = [
                map_operation(item, account, f"{page_where}.operations[{index}]")
                for index, item in enumerate(fields.as_list(document.get("operations"), f"{page_where}.operations"))
            ]
            guard.page_items(line.details[TRANSACTION_ID_KEY] for line in page)
            lines.extend(line for line in page if include_pending or line.status == "booked")
            if guard.pages == 1:
                balances = _balances(document, page_where)
            cursor = fields.text(document.get("nextCursor"), f"{page_where}.nextCursor")
            if cursor is None:
                break
            guard.follow(cursor)
            params = {**base_params, "cursor": cursor}

        if balances is not None:
            booked_total = sum((ln.amount for ln in lines if ln.status == "booked"), Decimal(0))
            guard.balances(balances[0], balances[1], booked_total)
        return StatementPull(
            account=account,
            date_from=date_from,
            date_to=date_to,
            lines=tuple(lines),
            pages=guard.pages,
            opening_balance=balances[0] if balances else None,
            closing_balance=balances[1] if balances else None,
        )
