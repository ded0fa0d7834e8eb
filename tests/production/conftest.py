"""The production topology of ``make prod-local``, started once for the tests in this package.

Real PostgreSQL (roles ``sverka_owner``/``sverka_app``), real Redis, and every process of the
Procfile (uvicorn with two workers, reconciler and notifier Celery workers, beat, the sandbox
bank) under deploy/procfile.py, on free loopback ports. Every process's output goes to
``topology.log``; a failing test prints its tail.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from deploy.local import APP_ROLE, LocalTopology, pg_tool
from tests.http_servers import serve_asgi
from tests.production.sink import WebhookSink
from tests.servers import free_port, unavailable

SVERKA = Path(sys.executable).with_name("sverka")


@dataclass
class Running:
    topology: LocalTopology
    log: Path
    api_key: str | None
    engines: dict[str, Engine] = field(default_factory=dict)

    def env(self, **extra: str) -> dict[str, str]:
        env = {**os.environ, **self.topology.process_env(), **extra}
        env["PATH"] = f"{SVERKA.parent}{os.pathsep}{env.get('PATH', '')}"
        return env

    def sverka(self, *args: str, check: bool = True, **extra_env: str) -> Any:
        """Run the CLI against the topology, as an operator with ``sverka.env`` sourced would."""
        proc = subprocess.run(
            [str(SVERKA), *args], capture_output=True, text=True, env=self.env(**extra_env), timeout=120, check=False
        )
        if check:
            assert proc.returncode == 0, f"sverka {' '.join(args)} failed:\n{proc.stderr}"
        return json.loads(proc.stdout) if proc.stdout.strip().startswith(("{", "[")) else proc

    def api(self, timeout: float = 30.0) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        return httpx.Client(base_url=self.topology.api_url, headers=headers, timeout=timeout)

    def engine(self, role: str = APP_ROLE) -> Engine:
        """An engine on the topology's database as ``role`` (pre-pinging: it outlives a server restart).

        One per role, disposed with the topology: an engine dropped with connections still open
        would close them only when collected, during some later test, as a ResourceWarning there.
        """
        if role not in self.engines:
            self.engines[role] = sa.create_engine(self.topology.url(role), pool_pre_ping=True)
        return self.engines[role]

    def dispose_engines(self) -> None:
        while self.engines:
            self.engines.popitem()[1].dispose()

    def log_tail(self, lines: int = 80) -> str:
        return "\n".join(self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def _require_servers() -> None:
    try:
        pg_tool("initdb")
    except RuntimeError as exc:
        unavailable(str(exc))
    if not shutil.which("redis-server"):
        unavailable("redis-server not found (apt-get install redis-server)")


def _create_api_key(running: Running) -> str | None:
    """A write key when the CLI has ``apikeys`` (API keys arrived after this test was written)."""
    probe = subprocess.run(
        [str(SVERKA), "apikeys", "--help"], capture_output=True, text=True, env=running.env(), check=False
    )
    if probe.returncode != 0:
        return None
    created = running.sverka("apikeys", "create", "--name", "production-tests", "--scope", "write")
    return str(created["key"])


@pytest.fixture(scope="session")
def production() -> Iterator[Running]:
    _require_servers()
    # Not pytest's tmp_path: its base directory is private to us, and PostgreSQL runs as the postgres user.
    root = Path(tempfile.mkdtemp(prefix="sverka-prod-"))
    root.chmod(0o755)
    topology = LocalTopology(
        root,
        api_port=free_port(),
        sandbox_port=free_port(),
        postgres_port=free_port(),
        redis_port=free_port(),
        durable=False,
        env_overrides={
            "SVERKA_API_WORKERS": "2",
            "SVERKA_RECONCILER_CONCURRENCY": "1",
            "SVERKA_NOTIFIER_CONCURRENCY": "2",
            "SVERKA_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
            "SVERKA_WEBHOOK_RETRY_BASE_SECONDS": "1",
            "SVERKA_WEBHOOK_RETRY_JITTER": "0",
            "SVERKA_SYNC_TICK_SECONDS": "2",
            "SVERKA_LOG_FORMAT": "json",
            # The shortest lease allowed: a delivery claimed by a worker killed mid-send (test_worker_faults)
            # is taken over after a minute instead of ten, which keeps "nothing stuck" checkable in CI time.
            "SVERKA_NOTIFIER_CLAIM_LEASE_SECONDS": "60",
        },
    )
    log = root / "topology.log"
    with log.open("wb") as out:
        running = Running(topology, log, None)
        try:
            topology.start(out)
            topology.wait_ready(timeout=180)
            running.api_key = _create_api_key(running)
            yield running
        except BaseException:
            sys.stderr.write(f"--- topology log (tail) ---\n{running.log_tail(120)}\n")
            raise
        finally:
            running.dispose_engines()
            topology.stop()
    if not os.environ.get("SVERKA_KEEP_TOPOLOGY"):
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def sink(production: Running) -> Iterator[WebhookSink]:
    """A verifying, deduplicating receiver on loopback, registered for every event; disabled afterwards."""
    receiver = WebhookSink()
    with serve_asgi(receiver) as base:
        receiver.base_url = base
        with production.api() as api:
            created = api.post("/v1/webhooks", json={"url": f"{base}/hooks", "events": ["*"]})
            assert created.status_code == 201, created.text
        receiver.secret, receiver.endpoint_id = created.json()["secret"], created.json()["id"]
        try:
            yield receiver
        finally:
            # Later tests' events need not be tried against a receiver that is gone.
            with production.api() as api:
                api.post(f"/v1/webhooks/{receiver.endpoint_id}/disable", json={"reason": "test finished"})
