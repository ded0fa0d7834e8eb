"""Pulling over the API: POST …/pull pulls now, GET …/pulls lists what was pulled."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from services.reconciler.api.app import create_app
from tests.api.keys import bearer, issue_key
from tests.http_servers import serve_asgi
from tests.services.reconciler.sync.conftest import Bank, connect, stored_lines


@pytest.fixture
def api(database_url: str) -> Iterator[httpx.Client]:
    with (
        serve_asgi(create_app()) as base,
        httpx.Client(base_url=base, timeout=30, headers=bearer(issue_key())) as client,
    ):
        yield client


def test_a_pull_over_http_stores_the_window_and_is_listed(api: httpx.Client, live_bank: Bank) -> None:
    number = connect(live_bank)

    pulled = api.post(f"/v1/accounts/{number}/pull")
    again = api.post(f"/v1/accounts/{number}/pull")
    history = api.get(f"/v1/accounts/{number}/pulls")

    assert pulled.status_code == 200, pulled.text
    assert pulled.json()["status"] == "ok"
    assert pulled.json()["new"] == stored_lines(number) > 0
    assert again.json()["new"] == 0
    assert [p["pull_id"] for p in history.json()] == [again.json()["pull_id"], pulled.json()["pull_id"]]
    assert history.json()[1]["range"] == pulled.json()["range"]


def test_a_bank_failure_answers_502_with_the_recorded_pull(api: httpx.Client, live_bank: Bank) -> None:
    number = connect(live_bank)
    live_bank.fault(kind="status", status=403, count=1)

    failed = api.post(f"/v1/accounts/{number}/pull")
    history = api.get(f"/v1/accounts/{number}/pulls").json()

    assert failed.status_code == 502
    assert failed.json()["error"]["code"] == "bank_pull_failed"
    assert "403" in failed.json()["error"]["message"]
    assert [(p["pull_id"], p["status"]) for p in history] == [(failed.json()["pull"]["pull_id"], "failed")]
    assert stored_lines(number) == 0


def test_the_account_may_be_named_by_its_id_and_an_unknown_one_is_404(api: httpx.Client, live_bank: Bank) -> None:
    number = connect(live_bank)
    listed = api.post(f"/v1/accounts/{number}/pull").json()

    by_id = api.get("/v1/accounts/1/pulls")
    missing = api.post("/v1/accounts/40702810000000000001/pull")

    assert [p["pull_id"] for p in by_id.json()] == [listed["pull_id"]]
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
