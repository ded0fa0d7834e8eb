"""``sverka accounts`` and ``sverka sync`` as a user runs them: subprocesses printing JSON."""

from __future__ import annotations

from datetime import timedelta

from tests.cli import sverka
from tests.services.reconciler.sync.conftest import TODAY, TOKEN_ENV, Bank, stored_lines


def test_an_account_is_connected_listed_and_pulled_from_the_shell(database_url: str, bank: Bank) -> None:
    number = bank.account_number
    added = sverka(
        "accounts", "add", number, "--api", "berlin_group", "--base-url", bank.base_url,
        "--api-account-id", bank.account_id, "--consent-id", "consent-42", "--token-env", TOKEN_ENV,
        database_url=database_url,
    )  # fmt: skip
    assert added.code == 0, added.stderr
    assert added.json()["account"] == number
    assert added.json()["token_env"] == TOKEN_ENV

    listed = sverka("accounts", "list", database_url=database_url)
    assert [(a["account"], a["api"], a["api_account_id"]) for a in listed.json()] == [
        (number, "berlin_group", bank.account_id)
    ]
    assert "sandbox-token" not in listed.stdout  # the secret is named, never stored or shown

    first = sverka("sync", number, "--today", TODAY.isoformat(), database_url=database_url)
    again = sverka("sync", number, "--today", TODAY.isoformat(), database_url=database_url)

    assert first.code == 0, first.stderr
    summary = first.json()
    assert summary["status"] == "ok"
    assert summary["range"] == {"from": (TODAY - timedelta(days=30)).isoformat(), "to": TODAY.isoformat()}
    assert summary["new"] == summary["lines"] == stored_lines(number) > 0
    assert summary["pages"] > 1
    assert (again.code, again.json()["new"], again.json()["duplicates"]) == (0, 0, again.json()["lines"])


def test_wrong_input_is_refused_and_a_failed_sync_exits_non_zero_naming_the_reason(
    database_url: str, bank: Bank
) -> None:
    number = bank.account_number
    no_consent = sverka(
        "accounts", "add", number, "--api", "berlin_group", "--base-url", bank.base_url,
        "--api-account-id", bank.account_id, database_url=database_url,
    )  # fmt: skip
    sverka(
        "accounts", "add", number, "--api", "tbank", "--base-url", bank.base_url, "--token-env", TOKEN_ENV,
        database_url=database_url,
    )  # fmt: skip
    bank.fault(kind="status", status=403, count=1, api="tbank")

    failed = sverka("sync", number, "--today", TODAY.isoformat(), database_url=database_url)

    assert no_consent.code == 1
    assert "consent id" in no_consent.stderr
    assert failed.code == 1
    assert f"pull of account {number} failed" in failed.stderr and "403" in failed.stderr
    assert failed.json()["status"] == "failed"
    assert stored_lines(number) == 0
