"""The operational pieces on their own: the Procfile runner, JSON logs, /metrics and readiness."""

from __future__ import annotations

import io
import json
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from deploy.database import grant_statements
from deploy.procfile import Supervisor, parse_procfile
from services.reconciler.api.app import create_app
from shared.config import get_settings
from shared.db import dispose_engines
from shared.logging import JsonFormatter, request_id_var, task_id_var, task_name_var
from tests.http_servers import serve_asgi
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_the_procfile_names_every_process_of_the_topology() -> None:
    processes = parse_procfile((ROOT / "Procfile").read_text(encoding="utf-8"))
    assert set(processes) == {"api", "reconciler", "notifier", "beat", "bank"}
    assert "--workers" in processes["api"]
    assert "--queues reconciler" in processes["reconciler"]
    assert "--queues notifier" in processes["notifier"]


@pytest.mark.parametrize("text", ["api uvicorn x", "api:", "a: x\na: y", "bad name: x"])
def test_a_malformed_procfile_is_refused_naming_the_line(text: str) -> None:
    with pytest.raises(ValueError, match="Procfile line"):
        parse_procfile(text)


def test_the_runner_restarts_a_process_that_dies_and_leaves_the_others_running(tmp_path: Path) -> None:
    counter = tmp_path / "starts"
    out = io.StringIO()
    supervisor = Supervisor(
        {"steady": "sleep 60", "flaky": f"echo started >> {counter}; exit 3"},
        env={"PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
        state_file=tmp_path / "pids.json",
        out=out,
        grace=2,
    )
    runner = threading.Thread(target=supervisor.run)
    runner.start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and len(_lines(counter)) < 3:
            time.sleep(0.1)
        assert len(_lines(counter)) >= 3, out.getvalue()
        steady_pid = json.loads((tmp_path / "pids.json").read_text())["steady"]
    finally:
        supervisor.stop()
        runner.join(15)
    log = out.getvalue()
    assert "flaky exited with 3; restarting" in log
    assert log.count(f"steady started (pid {steady_pid})") == 1, "the healthy process was never restarted"
    assert "all processes stopped" in log
    assert not (tmp_path / "pids.json").exists()


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_a_log_record_is_one_json_line_with_the_request_and_task_ids() -> None:
    record = logging.LogRecord("sverka.sync", logging.WARNING, __file__, 1, "pulled %d lines", (3,), None)
    record.account = "40702810900000000001"
    tokens = [request_id_var.set("req-12345678"), task_id_var.set("t-1"), task_name_var.set("reconciler.x")]
    try:
        entry = json.loads(JsonFormatter().format(record))
    finally:
        for var, token in zip((request_id_var, task_id_var, task_name_var), tokens, strict=True):
            var.reset(token)
    assert entry["message"] == "pulled 3 lines"
    assert (entry["level"], entry["logger"]) == ("warning", "sverka.sync")
    assert (entry["request_id"], entry["task_id"], entry["task"]) == ("req-12345678", "t-1", "reconciler.x")
    assert entry["account"] == "40702810900000000001"


def test_the_app_role_grants_never_include_delete_or_journal_updates() -> None:
    statements = " ".join(grant_statements()).upper()
    assert "GRANT SELECT, INSERT, UPDATE ON ALL TABLES" in statements
    assert "REVOKE UPDATE ON JOURNAL_EVENT" in statements
    assert "GRANT DELETE" not in statements


@pytest.fixture
def api(database_url: str) -> Iterator[httpx.Client]:
    with serve_asgi(create_app()) as base, httpx.Client(base_url=base, timeout=30) as client:
        yield client


def test_every_response_carries_a_request_id_and_a_sane_caller_id_is_kept(api: httpx.Client) -> None:
    generated = api.get("/v1/health").headers["x-request-id"]
    assert len(generated) == 32
    assert api.get("/v1/health", headers={"X-Request-ID": "partner-trace-42"}).headers["x-request-id"] == (
        "partner-trace-42"
    )
    hostile = api.get("/v1/health", headers={"X-Request-ID": "a\tb<script>"}).headers["x-request-id"]
    assert hostile != "a\tb<script>"


def test_metrics_expose_the_state_of_the_database_and_the_requests_served(api: httpx.Client) -> None:
    api.get("/v1/health")
    body = api.get("/metrics")
    assert body.status_code == 200
    assert body.headers["content-type"].startswith("text/plain")
    text = body.text
    assert "sverka_statement_lines_imported_total 0.0" in text
    assert 'sverka_statement_lines{state="unmatched"} 0.0' in text
    assert 'sverka_webhook_deliveries{status="failed"} 0.0' in text
    assert 'sverka_up{component="database"} 1.0' in text
    assert 'sverka_http_requests_total{method="GET",route="/v1/health",status="200"}' in text


def test_readiness_is_503_with_retry_after_naming_a_database_that_does_not_answer(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A PostgreSQL that is down: nothing listens on its port.
    monkeypatch.setenv("SVERKA_DATABASE_URL", f"postgresql+psycopg://sverka_app:x@127.0.0.1:{free_port()}/sverka")
    monkeypatch.setenv("SVERKA_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("SVERKA_REDIS_URL", raising=False)
    get_settings.cache_clear()
    dispose_engines()
    try:
        with serve_asgi(create_app()) as base:
            ready = httpx.get(f"{base}/v1/ready", timeout=30)
            alive = httpx.get(f"{base}/v1/health", timeout=30)
            metrics = httpx.get(f"{base}/metrics", timeout=30)
    finally:
        dispose_engines()
        get_settings.cache_clear()
    assert ready.status_code == 503
    assert ready.headers["retry-after"] == "5"
    assert ready.json()["component"] == "database"
    assert alive.status_code == 200, "liveness must not restart a process for an outage it cannot fix"
    assert metrics.status_code == 200 and 'sverka_up{component="database"} 0.0' in metrics.text


def test_readiness_is_503_when_the_configured_redis_does_not_answer(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SVERKA_REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    monkeypatch.setenv("SVERKA_READY_TIMEOUT_SECONDS", "0.5")
    get_settings.cache_clear()
    with serve_asgi(create_app()) as base:
        ready = httpx.get(f"{base}/v1/ready", timeout=30)
    assert (ready.status_code, ready.json()["component"]) == (503, "redis")


def test_readiness_is_200_when_the_database_and_redis_answer(
    database_url: str, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SVERKA_REDIS_URL", redis_url)
    get_settings.cache_clear()
    with serve_asgi(create_app()) as base:
        assert httpx.get(f"{base}/v1/ready", timeout=30).json() == {"status": "ready"}
