"""Berlin Group NextGenPSD2 account-information client: an account's transactions over a window.

``GET {base}/v1/accounts/{account-id}/transactions?dateFrom=…&dateTo=…&bookingStatus=both``
with ``X-Request-ID``, ``Consent-ID`` and a bearer token, following ``_links.next`` until the
bank stops sending one. Amounts in NextGenPSD2 are signed strings from the account's point of
view (debits negative), which is exactly Sverka's convention, so they are used as sent.

Completeness checks (see ``paging``): a repeated ``next`` link, a ``_links.self`` that names a
different page than the one requested, an id seen on two pages, and — when the bank returns
``openingBooked``/``closingBooked`` balances (we ask with ``withBalance=true``) — opening +
booked lines == closing.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

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


def _canonical(url: httpx.URL) -> str:
    """A URL with sorted query parameters, so equal links compare equal however they are spelled."""
    query = "&".join(f"{k}={v}" for k, v in sorted(url.params.multi_items()))
    return f"{url.scheme}://{url.host}:{url.port or ''}{url.path}?{query}"


def _href(links: Any, name: str, where: str) -> str | None:
    if links is None:
        return None
    link = fields.as_mapping(links, f"{where}._links").get(name)
    if link is None:
        return None
    if isinstance(link, str):  # some banks flatten {"next": "..."}
        return link
    href = fields.as_mapping(link, f"{where}._links.{name}").get("href")
    if not isinstance(href, str) or not href:
        raise BankPayloadError(f"{where}._links.{name}: no href")
    return href


def _iban(party: Any, where: str) -> str | None:
    if party is None:
        return None
    account = fields.as_mapping(party, where)
    return fields.text(account.get("iban") or account.get("bban") or account.get("pan"), where)


def _purpose(item: Mapping[str, Any], where: str) -> str | None:
    single = fields.text(item.get("remittanceInformationUnstructured"), f"{where}.remittance")
    parts = [
        fields.text(part, f"{where}.remittanceInformationUnstructuredArray")
        for part in fields.as_list(item.get("remittanceInformationUnstructuredArray"), f"{where}.remittanceArray")
    ]
    joined = " ".join(p for p in parts if p) or None
    if single and joined and joined != single:
        return f"{single} {joined}"
    return single or joined


def map_transaction(item_value: Any, status: LineStatus, where: str) -> StatementLine:
    """One NextGenPSD2 ``transactions`` entry as a StatementLine."""
    item = fields.as_mapping(item_value, where)
    money = fields.as_mapping(item.get("transactionAmount"), f"{where}.transactionAmount")
    signed = fields.amount(money.get("amount"), f"{where}.transactionAmount.amount")
    debtor_name = fields.text(item.get("debtorName"), f"{where}.debtorName")
    creditor_name = fields.text(item.get("creditorName"), f"{where}.creditorName")
    debtor_iban = _iban(item.get("debtorAccount"), f"{where}.debtorAccount")
    creditor_iban = _iban(item.get("creditorAccount"), f"{where}.creditorAccount")
    transaction_id = fields.text(item.get("transactionId"), f"{where}.transactionId")
    entry_ref = fields.text(item.get("entryReference"), f"{where}.entryReference")
    outgoing = signed < 0

    details: dict[str, str] = {}
    fields.put(details, TRANSACTION_ID_KEY, transaction_id or entry_ref)
    fields.put(details, "entry_reference", entry_ref)
    fields.put(details, "end_to_end_id", fields.text(item.get("endToEndId"), f"{where}.endToEndId"))
    fields.put(details, "mandate_id", fields.text(item.get("mandateId"), f"{where}.mandateId"))
    fields.put(
        details,
        "bank_transaction_code",
        fields.text(item.get("bankTransactionCode"), f"{where}.bankTransactionCode"),
    )
    fields.put(
        details,
        "proprietary_bank_transaction_code",
        fields.text(item.get("proprietaryBankTransactionCode"), f"{where}.proprietaryBankTransactionCode"),
    )
    fields.put(details, "payer_name", debtor_name)
    fields.put(details, "payer_account", debtor_iban)
    fields.put(details, "payee_name", creditor_name)
    fields.put(details, "payee_account", creditor_iban)

    return StatementLine(
        amount=signed,
        currency=fields.currency(money.get("currency"), f"{where}.transactionAmount.currency"),
        booking_date=fields.iso_date(item.get("bookingDate"), f"{where}.bookingDate", required=status == "booked"),
        value_date=fields.iso_date(item.get("valueDate"), f"{where}.valueDate"),
        bank_ref=transaction_id or entry_ref,
        counterparty_name=creditor_name if outgoing else debtor_name,
        counterparty_account=creditor_iban if outgoing else debtor_iban,
        purpose=_purpose(item, where),
        status=status,
        details=details,
        raw=fields.verbatim(item),
    )


def _balances(body: Mapping[str, Any], where: str) -> tuple[Decimal, Decimal] | None:
    """(openingBooked, closingBooked) when the bank sent both, else None."""
    found: dict[str, Decimal] = {}
    for index, entry in enumerate(fields.as_list(body.get("balances"), f"{where}.balances")):
        balance = fields.as_mapping(entry, f"{where}.balances[{index}]")
        kind = balance.get("balanceType")
        if kind in ("openingBooked", "closingBooked"):
            money = fields.as_mapping(balance.get("balanceAmount"), f"{where}.balances[{index}].balanceAmount")
            found[kind] = fields.amount(money.get("amount"), f"{where}.balances[{index}].balanceAmount")
    if "openingBooked" in found and "closingBooked" in found:
        return found["openingBooked"], found["closingBooked"]
    return None


class BerlinGroupClient:
    """Pulls statements from a NextGenPSD2 ASPSP through an injected ``httpx.Client``.

    The client's ``base_url`` points at the ASPSP's API root (the part before ``/v1``).
    """

    name = "berlin_group"

    def __init__(
        self,
        client: httpx.Client,
        *,
        consent_id: str,
        token_provider: TokenProvider,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        clock: Callable[[], datetime] | None = None,
        timeout: httpx.Timeout | float | None = None,
        api_prefix: str = "/v1",
    ) -> None:
        self._client = client
        self._consent_id = consent_id
        self._http = BankHttp(
            client,
            token_provider=token_provider,
            policy=policy,
            sleep=sleep,
            rng=rng,
            clock=clock,
            timeout=timeout,
            request_id_header="X-Request-ID",
        )
        self._api_prefix = api_prefix.rstrip("/")

    @property
    def http(self) -> BankHttp:
        return self._http

    def fetch_statement(
        self, account: str, date_from: date, date_to: date, *, include_pending: bool = True
    ) -> StatementPull:
        """All booked (and, if asked, pending) transactions of ``account`` (the ASPSP's resource
        id) booked in [date_from, date_to]."""
        if date_from > date_to:
            raise ValueError(f"date_from {date_from} is after date_to {date_to}")
        where = f"berlin_group account {account} {date_from}..{date_to}"
        guard = PageGuard(where)
        headers = {"Consent-ID": self._consent_id}
        url: httpx.URL | str = f"{self._api_prefix}/accounts/{quote(account, safe='')}/transactions"
        params: dict[str, str] | None = {
            "dateFrom": date_from.isoformat(),
            "dateTo": date_to.isoformat(),
            "bookingStatus": "both" if include_pending else "booked",
            "withBalance": "true",
        }
        lines: list[StatementLine] = []
        balances: tuple[Decimal, Decimal] | None = None
        origin: httpx.URL | None = None
        while True:
            body, requested = self._http.get_json(url, params=params, headers=headers)
            origin = origin or requested
            page_where = f"{where} page {guard.pages + 1}"
            document = fields.as_mapping(body, page_where)
            report = fields.as_mapping(document.get("transactions") or {}, f"{page_where}.transactions")
            links = report.get("_links", document.get("_links"))
            self_href = _href(links, "self", page_where)
            guard.served(
                _canonical(requested),
                _canonical(requested.join(self_href)) if self_href else None,
            )
            page_lines = self._page_lines(report, page_where, include_pending)
            guard.page_items(
                f"{line.status}:{line.details[TRANSACTION_ID_KEY]}"
                for line in page_lines
                if TRANSACTION_ID_KEY in line.details
            )
            lines.extend(page_lines)
            if balances is None:
                balances = _balances(document, page_where)
            next_href = _href(links, "next", page_where)
            if next_href is None:
                break
            next_url = requested.join(next_href)
            if (next_url.scheme, next_url.host, next_url.port) != (origin.scheme, origin.host, origin.port):
                # Following it would send our bearer token to someone else.
                raise BankPayloadError(f"{page_where}: next link leaves the bank's origin: {next_href!r}")
            guard.follow(_canonical(next_url))
            url, params = next_url, None

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

    @staticmethod
    def _page_lines(report: Mapping[str, Any], where: str, include_pending: bool) -> list[StatementLine]:
        page: list[StatementLine] = []
        for status in ("booked", "pending"):
            if status == "pending" and not include_pending:
                continue
            entries = fields.as_list(report.get(status), f"{where}.{status}")
            line_status: LineStatus = "booked" if status == "booked" else "pending"
            page.extend(
                map_transaction(entry, line_status, f"{where}.{status}[{index}]") for index, entry in enumerate(entries)
            )
        return page
