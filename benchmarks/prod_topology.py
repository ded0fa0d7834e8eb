"""``make bench-prod``: the production topology measured from outside, as a client sees it.

Starts what ``make prod-local`` starts (in a temporary directory, on free ports), then measures, each
section of the printed JSON answering one target of docs/benchmarks.md:

* ``startup_seconds``: from nothing to ``/v1/ready`` (cluster creation and migrations included);
* ``webhook_latency_small``: statement lines uploaded through the API to their ``payment.allocated``
  webhook at a loopback receiver that verifies signatures (issue 6: p50 < 1 s, p99 < 3 s), with a
  few thousand open invoices (:mod:`benchmarks.prod_webhooks`);
* ``deliveries``: N outbox events (10,000), 30 % failing their first attempt at the receiver (500,
  429 with ``Retry-After``, slower than the timeout, connection dropped): time until all arrived,
  deliveries/s, attempts, duplicates (issue 6, issue 8 #4);
* ``seed``: 100,000 invoices imported with ``sverka import-invoices`` into PostgreSQL;
* ``status_reads``: ``GET /v1/invoices/{id}`` and ``/v1/invoices/by-number`` with a read key, from a
  second process: closed loops at 32 and 8 connections (what the API sustains; wrk when installed,
  :mod:`benchmarks.prod_wrk`, else :mod:`benchmarks.prod_load`), then open loop at a fixed rate
  (latency at that rate) and one connection (issue 7: >= 2,000 req/s with p99 < 25 ms on 2 cores);
* ``webhook_latency_seeded``: the webhook latency again with those 100,000 invoices open;
* ``reads`` (``GET /v1/invoices?limit=50`` from threads in this process), ``import`` (one CAMT.053
  statement of N unmatched lines through the API) and ``match_queue_seconds`` (until the Celery
  matcher ran over it), as before;
* ``profile`` (``--profile``): one uvicorn worker under cProfile (all threads) serving the same reads.

Prints one JSON object (and each section on stderr as it completes). ``--quick`` runs small sizes in
a few minutes; ``--only reads`` (or ``webhooks``, ``import``) runs a part on a fresh topology. Numbers
depend on the machine and its load, which is printed alongside (the load average at the start and
the end, and how busy the cores were during each part). docs/benchmarks.md has a reference run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from benchmarks import prod_webhooks, prod_wrk
from benchmarks.process_cpu import cpu_seconds
from benchmarks.prod_profile import summarise
from benchmarks.prod_world import make_invoices, write_invoices_csv
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


REPO = Path(__file__).resolve().parents[1]
TARGET_READS_PER_SECOND = 2000.0

# What the topology runs with here, beside deploy/prod-local.env: webhooks to our loopback receiver, a
# retry schedule short enough to finish in minutes (docs/webhooks.md), a read timeout the "slow"
# receiver exceeds, and a rate limit that still runs for every request (one Redis script) but does not
# throttle the load generator's single key.
BENCH_ENV = {
    "SVERKA_LOG_FORMAT": "json",
    "SVERKA_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
    "SVERKA_WEBHOOK_RETRY_BASE_SECONDS": "1",
    "SVERKA_WEBHOOK_RETRY_JITTER": "0",
    "SVERKA_WEBHOOK_TIMEOUT_SECONDS": "1",
    "SVERKA_API_RATE_PER_SECOND": "1000000",
    "SVERKA_API_RATE_BURST": "1000000",
}
# 30 % of events fail their first attempt at the receiver, in these shares.
FAILURE_SHARES = {"500": 0.12, "429": 0.10, "slow": 0.03, "drop": 0.05}


@dataclass(frozen=True)
class Sizes:
    latency_invoices: int = 2000
    latency_statements: int = 20
    latency_lines: int = 5
    latency_interval: float = 1.0
    events: int = 10_000
    invoices: int = 100_000
    read_seconds: float = 20.0
    read_connections: int = 32
    latency_100k_statements: int = 6
    import_lines: int = 20_000  # a busy account's year in one statement: the per-line cost, not the fixed one
    list_read_seconds: float = 10.0
    list_read_clients: int = 8


QUICK = Sizes(
    latency_invoices=500,
    latency_statements=8,
    latency_lines=4,
    events=1000,
    invoices=10_000,
    read_seconds=8.0,
    latency_100k_statements=3,
    import_lines=500,
    list_read_seconds=4.0,
)


def _cpu_times() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs from /proc/stat."""
    fields = [float(x) for x in Path("/proc/stat").read_text(encoding="ascii").splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


class MachineLoad:
    """How busy the whole machine was between two points (every process, not only ours)."""

    def __init__(self) -> None:
        self.busy, self.total = _cpu_times()

    def report(self) -> dict[str, float]:
        busy, total = _cpu_times()
        share = (busy - self.busy) / max(total - self.total, 1.0)
        return {"machine_cpu_busy": round(share, 2), "load_average_1m": round(os.getloadavg()[0], 2)}


def _children(pid: int) -> list[int]:
    """``pid`` and its live descendants, from /proc."""
    parent_of: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent_of[int(entry.name)] = int((entry / "stat").read_text().rpartition(")")[2].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(child for child, parent in parent_of.items() if parent == current)
    return tree


class ProcessCpu:
    """CPU seconds per part of the topology between two points: where the machine's time went."""

    def __init__(self, topology: LocalTopology) -> None:
        self.groups: dict[str, list[int]] = {}
        pids = topology.pids()
        for name in ("api", "reconciler", "notifier", "beat"):
            if name in pids:
                self.groups[name] = _children(pids[name])
        postmaster = topology.pg_data / "postmaster.pid"
        if postmaster.exists():
            self.groups["postgres"] = _children(int(postmaster.read_text().split()[0]))
        if topology.redis is not None:
            self.groups["redis"] = [topology.redis.pid]
        if topology.supervisor is not None:  # it relays every process's log lines
            self.groups["supervisor"] = [topology.supervisor.pid]
        self.before = {name: cpu_seconds(p) for name, p in self.groups.items()}

    def report(self, requests: int | None = None) -> dict[str, Any]:
        used = {name: cpu_seconds(p) - self.before[name] for name, p in self.groups.items()}
        out: dict[str, Any] = {"cpu_seconds": {k: round(v, 1) for k, v in used.items()}}
        if requests is not None:
            out["cpu_ms_per_request"] = {k: round(v * 1000 / max(requests, 1), 2) for k, v in used.items()}
        return out


def _sverka(topology: LocalTopology, *args: str) -> str:
    env = {**os.environ, **topology.process_env()}
    sverka = str(Path(sys.executable).with_name("sverka"))
    done = subprocess.run([sverka, *args], env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise RuntimeError(f"sverka {' '.join(args)} failed: {done.stderr[-2000:]}")
    return done.stdout


def _section(results: dict[str, Any], name: str, measure: Any, topology: LocalTopology | None = None) -> None:
    load = MachineLoad()
    cpu = ProcessCpu(topology) if topology is not None else None
    began = time.perf_counter()
    value = measure()
    if isinstance(value, dict):
        value = {**value, **load.report(), "section_seconds": round(time.perf_counter() - began, 1)}
        if cpu is not None:
            value.update(cpu.report())
    results[name] = value
    sys.stderr.write(f"{name}: {json.dumps(value)}\n")
    sys.stderr.flush()


def _wait_for_match_runs(api_url: str, at_least: float, timeout: float = 600.0) -> None:
    deadline = time.monotonic() + timeout
    while _match_runs(api_url) < at_least and time.monotonic() < deadline:
        time.sleep(0.2)


def _seed(topology: LocalTopology, count: int, root: Path) -> dict[str, Any]:
    """``count`` receivables over count/20 partners, through ``sverka import-invoices``, then ANALYZE."""
    csv_path = write_invoices_csv(make_invoices(count, max(1, count // 20), prefix="S", seed=1), root / "invoices.csv")
    began = time.perf_counter()
    summary = json.loads(_sverka(topology, "import-invoices", str(csv_path)))
    imported = time.perf_counter() - began
    topology.psql("-c", "ANALYZE", database="sverka")  # what autovacuum would soon do after a bulk load
    return {"invoices": count, "seconds": round(imported, 1), "rows_per_second": round(count / imported), **summary}


def _count(engine: Any, sql: str) -> int:
    from sqlalchemy import text

    with engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar_one())


def _targets(engine: Any, root: Path) -> Path:
    from sqlalchemy import text

    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, number FROM invoice WHERE number LIKE 'S-%'")).all()
    path = root / "targets.json"
    path.write_text(json.dumps({"ids": [r[0] for r in rows], "numbers": [r[1] for r in rows]}), encoding="utf-8")
    return path


def _with_generator_cpu(generate: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """``generate()``'s result, with the CPU seconds its child processes (the load generator) used."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = generate()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    result["load_generator_cpu_seconds"] = round(cpu, 1)
    return result


def _load(url: str, key: str, targets: Path, **options: Any) -> dict[str, Any]:
    """Run :mod:`benchmarks.prod_load` as a second process; its JSON, with its own CPU seconds."""
    cmd = [sys.executable, "-m", "benchmarks.prod_load", "--url", url, "--key", key, "--targets", str(targets)]
    for name, value in options.items():
        if value is not None:
            cmd += [f"--{name.replace('_', '-')}", str(value)]

    def generate() -> dict[str, Any]:
        done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=True)  # noqa: S603
        result: dict[str, Any] = json.loads(done.stdout)
        return result

    return _with_generator_cpu(generate)


def _wrk(url: str, key: str, targets: Path, *, seconds: float, connections: int) -> dict[str, Any]:
    """:func:`benchmarks.prod_wrk.run`, with wrk's own CPU seconds."""
    paths = json.loads(targets.read_text())
    return _with_generator_cpu(lambda: prod_wrk.run(url, key, paths, seconds=seconds, connections=connections))


def _closed_loop(topology: LocalTopology, key: str, targets: Path, sizes: Sizes, connections: int) -> dict[str, Any]:
    """What the API sustains at ``connections``: from wrk when installed, else from the Python generator."""
    load, cpu = MachineLoad(), ProcessCpu(topology)
    if prod_wrk.available():
        closed = _wrk(topology.api_url, key, targets, seconds=sizes.read_seconds, connections=connections)
    else:
        closed = _load(topology.api_url, key, targets, seconds=sizes.read_seconds, connections=connections)
    closed.update(load.report())
    closed.update(cpu.report(int(closed["requests"])))
    return closed


def _status_reads(topology: LocalTopology, key: str, targets: Path, sizes: Sizes) -> dict[str, Any]:
    closed = _closed_loop(topology, key, targets, sizes, sizes.read_connections)
    fewer = _closed_loop(topology, key, targets, sizes, max(1, sizes.read_connections // 4))
    sustained = float(closed["ok_per_second"])
    rate = TARGET_READS_PER_SECOND if sustained >= TARGET_READS_PER_SECOND else round(0.75 * sustained)
    load, cpu = MachineLoad(), ProcessCpu(topology)
    opened = _load(topology.api_url, key, targets, seconds=sizes.read_seconds, connections=64, rate=rate)
    opened.update(load.report())
    opened.update(cpu.report(int(opened["requests"])))
    # One connection, one request at a time: what a request costs without queueing or GIL contention.
    load, cpu = MachineLoad(), ProcessCpu(topology)
    single = _load(topology.api_url, key, targets, seconds=min(sizes.read_seconds, 10.0), connections=1)
    single.update(load.report())
    single.update(cpu.report(int(single["requests"])))
    workers = int(topology.process_env()["SVERKA_API_WORKERS"])
    return {
        "api_workers": workers,
        "closed_loop": closed,
        "closed_loop_fewer_connections": fewer,
        "open_loop": opened,
        "one_connection": single,
    }


def _profile(topology: LocalTopology, key: str, targets: Path, root: Path, seconds: float, out: Path) -> dict[str, Any]:
    """One uvicorn worker (no --workers) under :mod:`benchmarks.prod_profile`, loaded by 8 connections."""
    import signal

    port = _free_port()
    prof = root / "api.prof"
    env = {**os.environ, **topology.process_env()}
    output = (root / "profile-server.log").open("wb")
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "benchmarks.prod_profile", "--port", str(port), "--out", str(prof)],
        cwd=REPO,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        load = _load(f"http://127.0.0.1:{port}", key, targets, seconds=seconds, connections=8)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=120)
        output.close()
    tables = summarise(prof, limit=40)
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(prof, out.with_suffix(".prof"))  # for pstats / snakeviz
    out.write_text(f"# tottime\n{tables['tottime']}\n# cumulative\n{tables['cumulative']}", encoding="utf-8")
    return {"single_worker_load": load, "profile_text": str(out), "profile_stats": str(out.with_suffix(".prof"))}


def _import_and_match(topology: LocalTopology, write_key: str, sizes: Sizes, results: dict[str, Any]) -> None:
    """The first measurements of this benchmark: list reads from threads, one import, the matcher's queue."""

    def client() -> httpx.Client:
        return httpx.Client(base_url=topology.api_url, headers={"Authorization": f"Bearer {write_key}"}, timeout=60)

    _section(results, "reads", lambda: _reads(client, sizes.list_read_seconds, sizes.list_read_clients))
    body = camt_statement(sizes.import_lines)
    runs_before = _match_runs(topology.api_url)
    with client() as c:
        t0 = time.perf_counter()
        answer = c.post("/v1/statements", files={"file": ("bench.xml", body, "application/xml")})
        imported = time.perf_counter() - t0
    answer.raise_for_status()
    results["import"] = {
        "lines": sizes.import_lines,
        "seconds": round(imported, 2),
        "lines_per_second": round(sizes.import_lines / imported),
    }
    t1 = time.perf_counter()
    _wait_for_match_runs(topology.api_url, runs_before + 1, timeout=600)
    results["match_queue_seconds"] = round(time.perf_counter() - t1, 2)


PARTS = ("webhooks", "reads", "import")


def run(sizes: Sizes, *, profile: Path | None = None, parts: tuple[str, ...] = PARTS) -> dict[str, Any]:
    from sqlalchemy import create_engine

    root = Path(tempfile.mkdtemp(prefix="sverka-bench-prod-"))
    root.chmod(0o755)
    topology = LocalTopology(
        root, _free_port(), _free_port(), _free_port(), _free_port(), durable=True, env_overrides=BENCH_ENV
    )
    results: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "sizes": asdict(sizes),
        "env": BENCH_ENV,
    }
    log = (root / "topology.log").open("wb")
    receiver = prod_webhooks.Receiver(slow_seconds=2.0).start()
    engine = None
    began = time.perf_counter()
    try:
        topology.start(log)
        topology.wait_ready(timeout=300)
        results["startup_seconds"] = round(time.perf_counter() - began, 1)
        write_key, read_key = _api_key(topology, "write"), _api_key(topology, "read")
        if not write_key or not read_key:
            raise RuntimeError("this installation has no `sverka apikeys`")
        engine = create_engine(topology.app_url)
        api = httpx.Client(base_url=topology.api_url, headers={"Authorization": f"Bearer {write_key}"}, timeout=300)

        def sverka(*args: str) -> str:
            return _sverka(topology, *args)

        latency_secret = prod_webhooks.register(sverka, receiver.url("/latency"), "payment.allocated")
        latency = receiver.add("/latency", latency_secret)
        bulk = receiver.add(
            "/bulk",
            prod_webhooks.register(sverka, receiver.url("/bulk"), "bench.delivery"),
            prod_webhooks.failing_at_first(FAILURE_SHARES),
        )

        def webhook_latency(tag: str, invoices: int, statements: int) -> dict[str, Any]:
            runs_before = _match_runs(topology.api_url)

            def settle(chunks: int) -> None:  # each bulk chunk enqueued one matcher run
                _wait_for_match_runs(topology.api_url, runs_before + chunks)

            return prod_webhooks.statement_to_webhook(
                api,
                latency,
                tag=tag,
                invoices=invoices,
                statements=statements,
                lines_per_statement=sizes.latency_lines,
                interval=sizes.latency_interval,
                wait_seconds=300,
                settle=settle,
            )

        if "webhooks" in parts:
            _section(
                results,
                "webhook_latency_small",
                lambda: webhook_latency("A", sizes.latency_invoices, sizes.latency_statements),
            )
            _section(
                results,
                "deliveries",
                lambda: prod_webhooks.delivery_throughput(engine, bulk, events=sizes.events, wait_seconds=1800),
                topology,
            )
        if "reads" in parts:
            _section(results, "seed", lambda: _seed(topology, sizes.invoices, root))
            targets = _targets(engine, root)
            _section(results, "status_reads", lambda: _status_reads(topology, read_key, targets, sizes))
            if profile is not None:
                _section(
                    results,
                    "profile",
                    lambda: _profile(topology, read_key, targets, root, sizes.read_seconds, profile),
                )
        if "webhooks" in parts:
            _section(
                results,
                "webhook_latency_seeded",
                lambda: {
                    "invoices_in_database": _count(engine, "SELECT count(*) FROM invoice"),
                    **webhook_latency("B", 200, sizes.latency_100k_statements),
                },
            )
        if "import" in parts:
            _import_and_match(topology, write_key, sizes, results)
        results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
        results["total_seconds"] = round(time.perf_counter() - began, 1)
        return results
    finally:
        receiver.stop()
        if engine is not None:
            engine.dispose()
        topology.stop()
        log.close()
        if os.environ.get("SVERKA_KEEP_BENCH"):
            sys.stderr.write(f"kept {root}\n")
        else:
            shutil.rmtree(root, ignore_errors=True)


def _api_key(topology: LocalTopology, scope: str = "write") -> str | None:
    """A key of ``scope`` when the installation has API keys (``sverka apikeys``)."""
    try:
        made = _sverka(topology, "apikeys", "create", "--name", f"bench-{scope}", "--scope", scope)
    except RuntimeError:
        return None
    return str(json.loads(made)["key"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.prod_topology", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a few minutes in all")
    parser.add_argument("--invoices", type=int, help="invoices seeded for the status reads (100,000)")
    parser.add_argument("--events", type=int, help="outbox events for the delivery throughput (10,000)")
    parser.add_argument("--read-seconds", type=float, help="length of each status-read run (20)")
    parser.add_argument("--connections", type=int, help="closed-loop connections of the status reads (32)")
    parser.add_argument("--lines", type=int, help="lines of the import measurement (2,000)")
    parser.add_argument("--profile", type=Path, help="also profile one API worker; write its tables here")
    parser.add_argument(
        "--only",
        default=",".join(PARTS),
        help="comma-separated parts: webhooks (latency, deliveries), reads (seed, status reads), import",
    )
    args = parser.parse_args(argv)
    parts = tuple(p.strip() for p in args.only.split(",") if p.strip())
    if not parts or set(parts) - set(PARTS):
        parser.error(f"--only takes some of {', '.join(PARTS)}")
    sizes = QUICK if args.quick else Sizes()
    overrides = {
        "invoices": args.invoices,
        "events": args.events,
        "read_seconds": args.read_seconds,
        "read_connections": args.connections,
        "import_lines": args.lines,
    }
    sizes = replace(sizes, **{k: v for k, v in overrides.items() if v is not None})
    print(json.dumps(run(sizes, profile=args.profile, parts=parts), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
