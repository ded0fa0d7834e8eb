"""``make bench-prod``: the production topology measured from outside, as a client sees it.

Starts what ``make prod-local`` starts (in a temporary directory, on free ports), then measures:

* ``startup_seconds``: from nothing to ``/v1/ready`` (cluster creation and migrations included);
* ``reads``: ``GET /v1/invoices`` from several concurrent clients for a fixed time (requests/s, p50, p95);
* ``import``: one CAMT.053 statement of N lines uploaded through the API (seconds, lines/s);
* ``match_queue_seconds``: from the upload's answer until the Celery matcher has run over its lines
  (the ``reconciler.match_open_lines`` count in ``/metrics`` grows).

Prints one JSON object. Numbers depend on the machine; docs/operations.md records a reference run.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from deploy.local import LocalTopology


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def camt_statement(lines: int, account: str = "40702810900000000099") -> bytes:
    entries = []
    for n in range(lines):
        day = date(2026, 1, 1) + timedelta(days=n % 300)
        entries.append(
            f'<Ntry><Amt Ccy="RUB">{100 + n}.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>'
            f"<BookgDt><Dt>{day}</Dt></BookgDt><ValDt><Dt>{day}</Dt></ValDt>"
            f"<NtryDtls><TxDtls><RltdPties><Dbtr><Nm>Payer {n}</Nm></Dbtr></RltdPties>"
            f"<RmtInf><Ustrd>Benchmark payment {n}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>'
        "<GrpHdr><MsgId>BENCH</MsgId><CreDtTm>2026-11-01T09:00:00</CreDtTm></GrpHdr>"
        "<Stmt><Id>BENCH</Id><CreDtTm>2026-11-01T09:00:00</CreDtTm>"
        f"<Acct><Id><Othr><Id>{account}</Id></Othr></Id><Ccy>RUB</Ccy></Acct>"
        + "".join(entries)
        + "</Stmt></BkToCstmrStmt></Document>"
    ).encode()


def _match_runs(api_url: str) -> float:
    total = 0.0
    for line in httpx.get(f"{api_url}/metrics", timeout=30).text.splitlines():
        if line.startswith("sverka_tasks_total{") and 'task="reconciler.match_open_lines"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


def _reads(client_factory: Any, seconds: float, clients: int) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def loop() -> None:
        nonlocal errors
        with client_factory() as client:
            while time.monotonic() < stop_at:
                began = time.perf_counter()
                status = client.get("/v1/invoices?limit=50").status_code
                took = time.perf_counter() - began
                with lock:
                    latencies.append(took)
                    errors += status != 200

    threads = [threading.Thread(target=loop) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies.sort()
    return {
        "clients": clients,
        "requests_per_second": round(len(latencies) / seconds, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1] * 1000, 1),
        "errors": errors,
    }


def run(lines: int, read_seconds: float, clients: int) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix="sverka-bench-prod-"))
    root.chmod(0o755)
    topology = LocalTopology(
        root,
        _free_port(),
        _free_port(),
        _free_port(),
        _free_port(),
        durable=True,
        env_overrides={"SVERKA_LOG_FORMAT": "json"},
    )
    log = (root / "topology.log").open("wb")
    began = time.perf_counter()
    try:
        topology.start(log)
        topology.wait_ready(timeout=300)
        startup = time.perf_counter() - began
        key = _api_key(topology)
        headers = {"Authorization": f"Bearer {key}"} if key else {}

        def client() -> httpx.Client:
            return httpx.Client(base_url=topology.api_url, headers=headers, timeout=60)

        reads = _reads(client, read_seconds, clients)
        body = camt_statement(lines)
        runs_before = _match_runs(topology.api_url)
        with client() as c:
            t0 = time.perf_counter()
            answer = c.post("/v1/statements", files={"file": ("bench.xml", body, "application/xml")})
            imported = time.perf_counter() - t0
        answer.raise_for_status()
        t1 = time.perf_counter()
        while _match_runs(topology.api_url) <= runs_before and time.perf_counter() - t1 < 300:
            time.sleep(0.1)
        matched = time.perf_counter() - t1
        return {
            "startup_seconds": round(startup, 1),
            "reads": reads,
            "import": {"lines": lines, "seconds": round(imported, 2), "lines_per_second": round(lines / imported)},
            "match_queue_seconds": round(matched, 2),
        }
    finally:
        topology.stop()
        log.close()
        shutil.rmtree(root, ignore_errors=True)


def _api_key(topology: LocalTopology) -> str | None:
    """A read-write key when the installation has API keys (``sverka apikeys``)."""
    import os
    import subprocess

    env = {**os.environ, **topology.process_env()}
    sverka = str(Path(sys.executable).with_name("sverka"))
    made = subprocess.run(  # noqa: S603 - our own CLI
        [sverka, "apikeys", "create", "--name", "bench", "--scope", "write"], env=env, capture_output=True, text=True
    )
    if made.returncode != 0:
        return None
    return str(json.loads(made.stdout)["key"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.prod_topology", description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=2000)
    parser.add_argument("--read-seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args(argv)
    print(json.dumps(run(args.lines, args.read_seconds, args.clients), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
