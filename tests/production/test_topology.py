"""The production topology end to end: bank → beat → pull → Celery matcher → outbox → webhook → API.

Nothing is called in-process: the CLI is a subprocess, the bank is the sandbox bank process, the
pull is beat's tick run by the reconciler worker, matching is a Celery task, the webhook is sent
by the notifier worker, and the answer is read through the API's uvicorn workers, all connected
to PostgreSQL as the non-owner role ``sverka_app``.
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, ProgrammingError

from tests.http_servers import serve_asgi
from tests.production.conftest import Running
from tests.services.notifier.receiver import Receiver

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]

PARTNER_INN = "7701234567"


def wait_for(condition: Callable[[], Any], timeout: float, what: str, running: Running | None = None) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    tail = f"\n--- topology log ---\n{running.log_tail()}" if running else ""
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}{tail}")


def write_invoices(path: Path, *rows: dict[str, str]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def invoice_row(number: str, amount: str, day: date) -> dict[str, str]:
    return {
        "invoice_no": number,
        "invoice_date": (day - timedelta(days=10)).isoformat(),
        "due_date": (day + timedelta(days=10)).isoformat(),
        "amount": amount,
        "currency": "RUB",
        "contract_no": "E2E-1",
        "partner_name": 'ООО "Ромашка"',
        "partner_inn": PARTNER_INN,
    }


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    app = Receiver()
    with serve_asgi(app) as base:
        app.base_url = base
        yield app


def test_a_payment_pulled_from_the_bank_is_matched_announced_and_readable(
    production: Running, receiver: Receiver, tmp_path: Path
) -> None:
    with httpx.Client(base_url=production.topology.sandbox_url, timeout=10) as bank:
        today = date.fromisoformat(bank.get("/sandbox/health").json()["today"])
        account = bank.get("/sandbox/accounts").json()[0]
        paid = bank.post(
            f"/sandbox/accounts/{account['account_id']}/transactions",
            json={
                "amount": "1500.00",
                "counterparty": {"name": 'ООО "Ромашка"', "inn": PARTNER_INN},
                "purpose": "Оплата по счету E2E-7 по договору E2E-1",
                "booking_date": (today - timedelta(days=1)).isoformat(),
            },
        )
        assert paid.status_code == 201, paid.text

    invoices = write_invoices(tmp_path / "invoices.csv", invoice_row("E2E-7", "1500.00", today))
    production.sverka("import-invoices", str(invoices))
    endpoint = production.sverka("webhooks", "add", "--url", f"{receiver.base_url}/erp", "--events", "all")
    receiver.inbox("erp").secrets.append(endpoint["secret"])

    # Connecting the account is all it takes: beat's tick finds it due, the reconciler worker pulls it.
    production.sverka(
        "accounts", "add", account["account_number"], "--api", "berlin_group",
        "--base-url", production.topology.sandbox_url, "--api-account-id", account["account_id"],
        "--consent-id", "e2e-consent", "--token-env", "SVERKA_BANK_TOKEN_SANDBOX",
    )  # fmt: skip

    def allocated_event() -> dict[str, Any] | None:
        for event in receiver.inbox("erp").received:
            if event["type"] == "payment.allocated" and event["data"]["invoice"]["number"] == "E2E-7":
                return event
        return None

    event = wait_for(allocated_event, 120, "the payment.allocated webhook for E2E-7", production)
    assert event["data"]["amount"] == "1500.00"
    assert event["data"]["invoice"]["status"] == "paid"
    inbox = receiver.inbox("erp")
    assert inbox.unsigned_or_invalid == 0, "every request carried a valid Standard Webhooks signature"
    assert any(e["type"] == "statement.imported" for e in inbox.received)

    with production.api() as api:
        found = api.get("/v1/invoices/by-number", params={"number": "E2E-7"})
        assert found.status_code == 200, found.text
        assert (found.json()["status"], found.json()["outstanding"]) == ("paid", "0.00")
        pulls = api.get(f"/v1/accounts/{account['account_number']}/pulls")
        assert pulls.status_code == 200, pulls.text
        assert pulls.json()[0]["trigger"] == "schedule", "beat's tick pulled the account, not a person"
        request_id = "e2e-trace-0001"
        assert api.get("/v1/ready", headers={"X-Request-ID": request_id}).headers["x-request-id"] == request_id

    assert production.sverka("journal", "verify")["ok"] is True
    _the_logs_are_json_with_request_and_task_ids(production, request_id)
    _metrics_cover_the_flow(production)


def _the_logs_are_json_with_request_and_task_ids(production: Running, request_id: str) -> None:
    records = []
    for line in production.log.read_text(encoding="utf-8", errors="replace").splitlines():
        _, _, payload = line.partition(" | ")
        if payload.startswith("{"):
            records.append(json.loads(payload))
    assert any(r.get("request_id") == request_id and r["logger"] == "sverka.http" for r in records)
    tasks = {r.get("task") for r in records if r.get("task_id")}
    assert {"reconciler.sync_due_accounts", "notifier.relay"} <= tasks, tasks


def _metrics_cover_the_flow(production: Running) -> None:
    text = httpx.get(f"{production.topology.api_url}/metrics", timeout=30).text
    samples = _samples(text)
    assert samples[("sverka_statement_lines_imported_total", "")] >= 1
    assert samples[("sverka_statement_lines", 'state="matched"')] >= 1
    assert samples[("sverka_webhook_deliveries", 'status="delivered"')] >= 2
    assert ("sverka_queue_depth", 'queue="notifier"') in samples
    assert samples[("sverka_up", 'component="redis"')] == 1
    # Task latency recorded by the Celery pool processes, summed by the API's scrape (multiprocess mode).
    counts = [v for (name, labels), v in samples.items() if name == "sverka_task_duration_seconds_count"]
    assert sum(counts) >= 2
    runs = [labels for name, labels in samples if name == "sverka_tasks_total"]
    assert any('task="reconciler.match_open_lines"' in labels for labels in runs)


def _samples(exposition: str) -> dict[tuple[str, str], float]:
    samples: dict[tuple[str, str], float] = {}
    for line in exposition.splitlines():
        if not line or line.startswith("#"):
            continue
        head, _, value = line.rpartition(" ")
        name, _, labels = head.partition("{")
        samples[(name, labels.rstrip("}"))] = float(value)
    return samples


def test_the_application_role_cannot_rewrite_the_journal_or_delete(production: Running) -> None:
    engine = sa.create_engine(production.topology.app_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT current_user")).scalar_one() == "sverka_app"
            assert conn.execute(sa.text("SELECT count(*) FROM journal_event")).scalar_one() > 0
        for statement in (
            "UPDATE journal_event SET actor = 'mallory'",
            "DELETE FROM journal_event",
            "DELETE FROM invoice",
            "CREATE TABLE sneaky (id int)",
            "ALTER TABLE invoice ADD COLUMN sneaky int",
        ):
            refused = pytest.raises((ProgrammingError, DBAPIError), match=r"permission denied|must be owner")
            with refused, engine.begin() as conn:
                conn.execute(sa.text(statement))
    finally:
        engine.dispose()
    owner = sa.create_engine(production.topology.owner_url)
    try:
        with pytest.raises(DBAPIError, match="append-only"), owner.begin() as conn:
            conn.execute(sa.text("UPDATE journal_event SET actor = 'mallory'"))
    finally:
        owner.dispose()
