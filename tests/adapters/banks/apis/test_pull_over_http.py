"""Both API clients against the sandbox bank over real loopback HTTP: paging, faults, identity."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from adapters.banks.apis import (
    TRANSACTION_ID_KEY,
    BankApiError,
    PagingGapError,
    StatementPull,
    SyncCursor,
    pull_incremental,
)
from adapters.banks.apis.base import StatementSource
from adapters.banks.sandbox.generate import is_valid_inn10
from tests.adapters.banks.apis.conftest import MONTH, PAGE_SIZE, POLICY, TODAY, Sandbox, berlin_group, tbank

APIS = ("berlin_group", "tbank")


def source(api: str, sandbox: Sandbox, http: httpx.Client, **overrides: Any) -> StatementSource:
    return berlin_group(sandbox, http, **overrides) if api == "berlin_group" else tbank(sandbox, http, **overrides)


def account_key(api: str, sandbox: Sandbox) -> str:
    return sandbox.account_id if api == "berlin_group" else sandbox.account_number


def pull(api: str, sandbox: Sandbox, http: httpx.Client, window: tuple[date, date] = MONTH, **kw: Any) -> StatementPull:
    return source(api, sandbox, http, **kw).fetch_statement(account_key(api, sandbox), *window)


def by_id(result: StatementPull) -> dict[str, Any]:
    return {line.details[TRANSACTION_ID_KEY]: line for line in result.lines}


# ------------------------------------------------------------------------------------ paging


@pytest.mark.parametrize("api", APIS)
def test_a_month_is_pulled_completely_through_several_pages(api, sandbox, http):
    truth = sandbox.truth(*MONTH)

    result = pull(api, sandbox, http)

    assert result.pages == -(-len(truth.transactions) // PAGE_SIZE) > 2
    assert {tx.transaction_id: tx.amount for tx in truth.transactions} == {
        key: line.amount for key, line in by_id(result).items()
    }
    assert len(result.lines) == len(truth.transactions)  # nothing doubled
    assert (result.opening_balance, result.closing_balance) == (truth.opening_balance, truth.closing_balance)
    assert sandbox.sleeps == []


@pytest.mark.parametrize("api", APIS)
def test_every_request_carries_a_fresh_request_id_and_the_bearer_token(api, sandbox, http):
    pull(api, sandbox, http)

    log = sandbox.requests()
    assert log
    assert all(entry["authorization"] == "Bearer sandbox-token" for entry in log)
    ids = [uuid.UUID(entry["request_id"]) for entry in log]
    assert len(set(ids)) == len(ids)
    if api == "berlin_group":
        assert all(entry["consent_id"] == "consent-42" for entry in log)
        assert log[0]["query"]["bookingStatus"] == "both"


def test_tbank_lines_carry_payment_order_details_of_both_parties(sandbox, http):
    result = pull("tbank", sandbox, http)
    truth = {tx.transaction_id: tx for tx in sandbox.truth(*MONTH).transactions}
    owner = sandbox.bank.accounts()[0].owner

    incoming = [line for line in result.lines if line.amount > 0]
    outgoing = [line for line in result.lines if line.amount < 0]
    assert incoming
    assert outgoing
    for line in incoming:
        party = truth[line.bank_ref].counterparty
        assert line.details["payer_inn"] == line.counterparty_tax_id == party.inn
        assert line.details["payer_kpp"] == party.kpp
        assert line.details["payer_bank_bik"] == party.bik
        assert line.details["payee_inn"] == owner.inn
        assert is_valid_inn10(line.details["payer_inn"])
    for line in outgoing:
        assert line.details["payer_account"] == sandbox.account_number
        assert line.counterparty_tax_id == line.details["payee_inn"]
        assert line.details["type_of_operation"] == "Debit"


def test_both_apis_report_the_same_movements_for_the_same_account(sandbox, http):
    bg = by_id(pull("berlin_group", sandbox, http))
    tb = by_id(pull("tbank", sandbox, http))

    assert bg.keys() == tb.keys()
    for key, line in bg.items():
        other = tb[key]
        assert (line.amount, line.currency, line.booking_date, line.status, line.purpose) == (
            other.amount,
            other.currency,
            other.booking_date,
            other.status,
            other.purpose,
        )


def test_tbank_charge_just_after_moscow_midnight_keeps_its_moscow_booking_date(sandbox, http):
    result = pull("tbank", sandbox, http)
    fee = next(line for line in result.lines if line.purpose and line.purpose.startswith("Комиссия"))

    charged_utc = datetime.fromisoformat(fee.raw.split('"chargeDate": "')[1][:20])
    assert fee.booking_date == date(2024, 3, 1)
    assert charged_utc.date() == date(2024, 2, 29)  # the UTC stamp is the day before


# ------------------------------------------------------------------------------------ faults


@pytest.mark.parametrize("api", APIS)
def test_429_is_retried_after_the_seconds_the_bank_asked_for(api, sandbox, http):
    sandbox.fault(kind="status", status=429, retry_after="3", count=2)

    result = pull(api, sandbox, http)

    assert sandbox.sleeps == [3.0, 3.0]
    assert len(result.lines) == len(sandbox.truth(*MONTH).transactions)
    assert [entry["status"] for entry in sandbox.requests()][:3] == [429, 429, 200]


def test_retry_after_longer_than_the_cap_is_capped(sandbox, http):
    sandbox.fault(kind="status", status=503, retry_after="3600", count=1)

    pull("berlin_group", sandbox, http)

    assert sandbox.sleeps == [POLICY.max_retry_after]


@pytest.mark.parametrize("api", APIS)
def test_500_is_retried_with_growing_jittered_backoff(api, sandbox, http):
    sandbox.fault(kind="status", status=500, count=2)

    result = pull(api, sandbox, http)

    first, second = sandbox.sleeps
    assert 0.25 <= first <= 0.5
    assert 0.5 <= second <= 1.0
    assert result.lines


@pytest.mark.parametrize("api", APIS)
def test_a_call_slower_than_the_timeout_is_abandoned_and_retried(api, sandbox, http):
    sandbox.fault(kind="slow", delay_seconds=0.3, count=1)

    result = pull(api, sandbox, http, timeout=httpx.Timeout(0.08))

    assert len(sandbox.sleeps) == 1
    assert len(result.lines) == len(sandbox.truth(*MONTH).transactions)


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("status", [400, 403, 404])
def test_other_4xx_fail_at_once_with_status_and_body_excerpt(api, status, sandbox, http):
    sandbox.fault(kind="status", status=status, count=5)

    with pytest.raises(BankApiError) as caught:
        pull(api, sandbox, http)

    assert caught.value.status == status
    assert caught.value.attempts == 1
    assert not caught.value.retryable
    assert "sandbox fault" in caught.value.body_excerpt
    assert sandbox.sleeps == []
    assert len(sandbox.requests()) == 1


def test_an_unknown_account_is_a_clear_non_retryable_error(sandbox, http):
    with pytest.raises(BankApiError, match="HTTP 404") as caught:
        berlin_group(sandbox, http).fetch_statement("no-such-account", *MONTH)

    assert "RESOURCE_UNKNOWN" in caught.value.body_excerpt


@pytest.mark.parametrize("api", APIS)
def test_attempts_are_bounded_when_the_bank_keeps_failing(api, sandbox, http):
    sandbox.fault(kind="status", status=503, count=50)

    with pytest.raises(BankApiError) as caught:
        pull(api, sandbox, http)

    assert caught.value.status == 503
    assert caught.value.retryable
    assert caught.value.attempts == POLICY.max_attempts == len(sandbox.requests())
    assert len(sandbox.sleeps) == POLICY.max_attempts - 1


class RotatingToken:
    def __init__(self) -> None:
        self.calls: list[bool] = []

    def __call__(self, *, refresh: bool = False) -> str:
        self.calls.append(refresh)
        return f"token-{len(self.calls)}"


@pytest.mark.parametrize("api", APIS)
def test_a_401_refreshes_the_token_once_and_retries_without_waiting(api, sandbox, http):
    sandbox.fault(kind="status", status=401, count=1)
    tokens = RotatingToken()

    result = pull(api, sandbox, http, token_provider=tokens)

    assert tokens.calls[:2] == [False, True]
    assert tokens.calls.count(True) == 1
    assert result.lines
    assert sandbox.sleeps == []
    assert sandbox.requests()[1]["authorization"] == "Bearer token-2"


def test_a_second_401_means_the_credentials_are_wrong(sandbox, http):
    sandbox.fault(kind="status", status=401, count=2)

    with pytest.raises(BankApiError, match="HTTP 401"):
        pull("tbank", sandbox, http, token_provider=RotatingToken())


# ------------------------------------------------------------------------------------ gaps


@pytest.mark.parametrize("api", APIS)
def test_a_dropped_page_is_detected_not_skipped(api, sandbox, http):
    sandbox.fault(kind="gap", count=1)

    with pytest.raises(PagingGapError):
        pull(api, sandbox, http)


@pytest.mark.parametrize("api", APIS)
def test_data_changing_between_pages_is_detected(api, sandbox, http):
    sandbox.fault(kind="mutate", count=1)

    with pytest.raises(PagingGapError, match="changed while we were paging"):
        pull(api, sandbox, http)


@pytest.mark.parametrize("api", APIS)
def test_after_a_gap_the_same_window_pulls_cleanly_again(api, sandbox, http):
    sandbox.fault(kind="mutate", count=1)
    with pytest.raises(PagingGapError):
        pull(api, sandbox, http)

    result = pull(api, sandbox, http)

    assert len(result.lines) == len(sandbox.truth(*MONTH).transactions)


# ------------------------------------------------------------------------------------ identity


@pytest.mark.parametrize("api", APIS)
def test_a_pending_line_that_gets_booked_comes_back_with_the_same_identity(api, sandbox, http):
    injected = sandbox.inject(
        amount="-12500.00",
        counterparty={"name": "ООО «Ромашка»", "inn": "7707083893", "kpp": "770701001"},
        purpose="Оплата по счету № 77 от 27.03.2024",
        status="pending",
        operation_date="2024-03-28",
    )
    window = (date(2024, 3, 25), TODAY)

    before = by_id(pull(api, sandbox, http, window))[injected["transaction_id"]]
    sandbox.book(injected["transaction_id"], TODAY)
    after = by_id(pull(api, sandbox, http, window))[injected["transaction_id"]]

    assert (before.status, before.booking_date) == ("pending", None)
    assert (after.status, after.booking_date) == ("booked", TODAY)
    assert before.bank_ref == after.bank_ref == injected["transaction_id"]
    assert before.amount == after.amount == Decimal("-12500.00")


@pytest.mark.parametrize("api", APIS)
def test_pulling_twice_with_overlap_returns_the_overlap_with_identical_identity(api, sandbox, http):
    client = source(api, sandbox, http)
    key = account_key(api, sandbox)

    first, cursor = pull_incremental(client, key, None, today=TODAY - timedelta(days=3), first_sync_days=20)
    second, cursor2 = pull_incremental(client, key, cursor, today=TODAY, overlap_days=3)

    assert cursor == SyncCursor(TODAY - timedelta(days=4))
    assert cursor2 == SyncCursor(TODAY - timedelta(days=1))
    assert second.date_from == TODAY - timedelta(days=6)
    overlap = {k: v for k, v in by_id(first).items() if v.booking_date and v.booking_date >= second.date_from}
    again = by_id(second)
    assert overlap
    for key_, line in overlap.items():
        assert again[key_] == line  # same amount, dates, details and raw: the store dedupes it


def test_a_late_booking_inside_the_overlap_is_caught_by_the_next_pull(sandbox, http):
    client = berlin_group(sandbox, http)
    _, cursor = pull_incremental(client, sandbox.account_id, None, today=TODAY, first_sync_days=10)
    late = sandbox.inject(
        amount="4200.00",
        counterparty={"name": "АО «Прометей»"},
        purpose="Оплата по счету № 5",
        booking_date=(TODAY - timedelta(days=2)).isoformat(),
    )

    second, _ = pull_incremental(client, sandbox.account_id, cursor, today=TODAY, overlap_days=3)

    assert late["transaction_id"] in by_id(second)
