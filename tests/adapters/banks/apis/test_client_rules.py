"""Rules checked without a server: httpx.MockTransport plays a misbehaving bank."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from adapters.banks.apis import (
    BankPayloadError,
    BerlinGroupClient,
    PagingGapError,
    RetryPolicy,
    StaticToken,
    TBankClient,
)
from adapters.banks.apis.retry import DEFAULT_TIMEOUT, BankHttp, parse_retry_after
from adapters.banks.apis.tbank import map_operation

NOW = datetime(2024, 3, 29, 12, 0, tzinfo=UTC)
WINDOW = (date(2024, 3, 1), date(2024, 3, 29))
ACCOUNT = "40702810038358138294"


def bg_tx(tx_id: str, amount: str = "100.00") -> dict[str, Any]:
    return {
        "transactionId": tx_id,
        "bookingDate": "2024-03-05",
        "transactionAmount": {"amount": amount, "currency": "RUB"},
    }


def bg_page(items: list[dict[str, Any]], next_href: str | None = None, **extra: Any) -> dict[str, Any]:
    links = {"next": {"href": next_href}} if next_href else {}
    return {"transactions": {"booked": items, "_links": links}, **extra}


def bg_client(handler: Any, **kw: Any) -> BerlinGroupClient:
    client = httpx.Client(transport=httpx.MockTransport(handler), base_url="https://bank.example")
    options: dict[str, Any] = {"consent_id": "c", "token_provider": StaticToken("t"), "sleep": lambda _: None}
    return BerlinGroupClient(client, **(options | kw))


def tb_client(handler: Any) -> TBankClient:
    client = httpx.Client(transport=httpx.MockTransport(handler), base_url="https://bank.example")
    return TBankClient(client, token_provider=StaticToken("t"), sleep=lambda _: None)


# ------------------------------------------------------------------ Retry-After and timeouts


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("7", 7.0),
        ("Fri, 29 Mar 2024 12:00:30 GMT", 30.0),
        ("Fri, 29 Mar 2024 11:00:00 GMT", 0.0),  # already past: retry now
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_is_read_as_seconds_or_http_date(header, seconds):
    assert parse_retry_after(header, now=NOW) == seconds


def test_retry_after_as_http_date_is_slept_against_the_injected_clock():
    answers = iter([httpx.Response(429, headers={"Retry-After": "Fri, 29 Mar 2024 12:00:04 GMT"}), None])
    sleeps: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        return next(answers) or httpx.Response(200, json=bg_page([]))

    bg_client(handler, clock=lambda: NOW, sleep=sleeps.append).fetch_statement("a", *WINDOW)

    assert sleeps == [4.0]


def test_every_call_has_a_timeout_even_if_the_injected_client_has_none():
    seen: list[Any] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        return httpx.Response(200, json={"operations": []})

    client = httpx.Client(transport=httpx.MockTransport(handler), base_url="https://bank.example", timeout=None)
    TBankClient(client, token_provider=StaticToken("t")).fetch_statement(ACCOUNT, *WINDOW)

    assert seen[0]["read"] == DEFAULT_TIMEOUT.read is not None


def test_backoff_is_exponential_capped_and_jittered_within_bounds():
    policy = RetryPolicy(base_delay=1.0, max_delay=5.0)
    rng = random.Random(1)
    delays = [policy.backoff(attempt, rng) for attempt in range(1, 7)]

    for attempt, delay in enumerate(delays, start=1):
        ceiling = min(5.0, 2 ** (attempt - 1))
        assert ceiling / 2 <= delay <= ceiling


def test_an_oversized_answer_is_refused():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"[" + b"1," * 5000 + b"1]")

    client = httpx.Client(transport=httpx.MockTransport(handler), base_url="https://bank.example")
    http = BankHttp(client, token_provider=StaticToken("t"), max_body_bytes=1000)

    with pytest.raises(BankPayloadError, match="exceeds 1000 bytes"):
        http.get_json("/x")


def test_network_errors_are_retried_then_reported_with_attempts():
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(Exception, match="no answer from the bank") as caught:
        bg_client(handler, policy=RetryPolicy(max_attempts=3)).fetch_statement("a", *WINDOW)

    assert len(calls) == 3
    assert caught.value.retryable  # type: ignore[attr-defined]


# ------------------------------------------------------------------ malformed answers


def test_invalid_json_is_a_payload_error_with_an_excerpt():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html>maintenance</html>")

    with pytest.raises(BankPayloadError, match="maintenance"):
        bg_client(handler).fetch_statement("a", *WINDOW)


def test_a_transaction_without_an_amount_names_the_record():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=bg_page([{"transactionId": "x", "bookingDate": "2024-03-05"}]))

    with pytest.raises(BankPayloadError, match=r"booked\[0\]\.transactionAmount"):
        bg_client(handler).fetch_statement("a", *WINDOW)


def test_amounts_stay_exact_decimals_even_when_sent_as_json_numbers():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            content=b'{"operations": [{"operationId": "1", "typeOfOperation": "Debit", '
            b'"operationAmount": 0.1, "chargeDate": "2024-03-05T10:00:00Z"}]}',
        )

    (line,) = tb_client(handler).fetch_statement(ACCOUNT, *WINDOW).lines

    assert line.amount == Decimal("-0.10")
    assert line.currency == "RUB"  # from digits 6-8 of the account number (810)


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"operationStatus": "Cancelled"}, "unknown operationStatus"),
        ({"typeOfOperation": "Sideways"}, "Credit or Debit"),
        ({"operationId": None}, "no identity"),
        ({"operationAmount": -5}, "unsigned"),
        ({"operationAmount": "1e5"}, "not an amount"),
        ({"operationCurrencyDigitalCode": "999"}, "unknown numeric currency"),
    ],
)
def test_tbank_operations_that_cannot_be_booked_safely_are_refused(patch, message):
    operation: dict[str, Any] = {
        "operationId": "1",
        "typeOfOperation": "Credit",
        "operationAmount": Decimal(5),
        "chargeDate": "2024-03-05T10:00:00Z",
        "operationCurrencyDigitalCode": "643",
    }
    operation.update(patch)

    with pytest.raises(BankPayloadError, match=message):
        map_operation(operation, "12345678901234567890", "op")


def test_remittance_array_is_joined_into_the_purpose():
    def handler(request: httpx.Request) -> httpx.Response:
        item = bg_tx("1") | {"remittanceInformationUnstructuredArray": ["Invoice 7", "contract 12"]}
        return httpx.Response(200, json=bg_page([item]))

    (line,) = bg_client(handler).fetch_statement("a", *WINDOW).lines

    assert line.purpose == "Invoice 7 contract 12"


# ------------------------------------------------------------------ paging gaps


def test_a_next_link_that_loops_back_is_a_gap():
    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        nxt = f"/v1/accounts/a/transactions?page={page + 1 if page < 3 else 2}"  # 1, 2, 3, 2, …
        return httpx.Response(200, json=bg_page([bg_tx(f"t{page}")], nxt))

    with pytest.raises(PagingGapError, match="paging loops"):
        bg_client(handler).fetch_statement("a", *WINDOW)


def test_a_repeated_tbank_cursor_is_a_gap():
    def handler(request: httpx.Request) -> httpx.Response:
        n = request.url.params.get("cursor", "0")
        body = {
            "operations": [
                {
                    "operationId": f"op{n}-{request.url}",
                    "typeOfOperation": "Credit",
                    "operationAmount": 1,
                    "chargeDate": "2024-03-05",
                }
            ],
            "nextCursor": "same",
        }
        return httpx.Response(200, json=body)  # fmt: skip

    with pytest.raises(PagingGapError, match="already sent"):
        tb_client(handler).fetch_statement(ACCOUNT, *WINDOW)


def test_a_next_link_to_another_host_is_not_followed_with_our_token():
    hosts: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        hosts.append(request.url.host)
        return httpx.Response(200, json=bg_page([bg_tx("1")], "https://evil.example/steal"))

    with pytest.raises(BankPayloadError, match="leaves the bank's origin"):
        bg_client(handler).fetch_statement("a", *WINDOW)

    assert hosts == ["bank.example"]


def test_balances_that_do_not_add_up_reveal_a_missing_page():
    def handler(request: httpx.Request) -> httpx.Response:
        balances = [
            {"balanceType": "openingBooked", "balanceAmount": {"amount": "1000.00", "currency": "RUB"}},
            {"balanceType": "closingBooked", "balanceAmount": {"amount": "1300.00", "currency": "RUB"}},
        ]
        return httpx.Response(200, json=bg_page([bg_tx("1", "100.00")], balances=balances))

    with pytest.raises(PagingGapError, match=r"difference 200\.00"):
        bg_client(handler).fetch_statement("a", *WINDOW)


def test_balances_that_add_up_are_returned_with_the_lines():
    def handler(request: httpx.Request) -> httpx.Response:
        body = {"operations": [{"operationId": "1", "typeOfOperation": "Debit", "accountAmount": 250,
                                "chargeDate": "2024-03-05T10:00:00Z"}],
                "balances": {"saldoIn": 1000, "saldoOut": 750}}  # fmt: skip
        return httpx.Response(200, json=body)

    result = tb_client(handler).fetch_statement(ACCOUNT, *WINDOW)

    assert (result.opening_balance, result.closing_balance) == (Decimal(1000), Decimal(750))
