"""How fast the accountant's workspace answers with a realistic 100,000-line company, over real HTTP.

The promise in the issue is "no page slower than 300 ms with 100,000 lines in the database".
This seeds a generated company through the same services production uses — ``gen_bench.py``
(100,000 invoices, 5,000 partners, ~106,000 bank lines by default), invoices upserted with a
journal event each, both overlapping CAMT statements imported (so the second brings duplicates),
the matcher run over everything (allocations, suggestions and their journal events) — then adds
a few bank connections with a history of pulls (some failed), and a handful of decisions by a
person. Seeding through the services is slower than bulk inserts, but the journal, the
allocations and the statuses are the ones the pages really meet.

Then it serves the app on loopback (``tests.http_servers.serve_asgi``), logs in as an
accountant and requests every main page — overview, queue (first and last page for every sort
and filter), payment, invoice, contract, partner, accounts, statements, users — ``--repeat``
times each after one warm-up, and prints p50 / p95 / max per page, on SQLite and on a throwaway
PostgreSQL (``tests.servers.postgres_server``).

    .venv/bin/python -m benchmarks.workspace_pages                      # both databases, 100k lines
    .venv/bin/python -m benchmarks.workspace_pages --databases sqlite --sqlite-file /tmp/ws.db
    .venv/bin/python -m benchmarks.workspace_pages --invoices 5000 --partners 300 --repeat 5

``--sqlite-file`` keeps the seeded SQLite database and reuses it on the next run. Seeding through
the services took 24 minutes on our busy 2-core machine (17 of them the matcher), so PostgreSQL
gets a row-for-row copy of the seeded SQLite company (same ids, journal and allocations) unless
``--seed-postgres`` asks for a second seeding. Times are wall-clock per request, as a browser on the same
machine would see them (TCP, routing, session check, queries, template rendering).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import make_url
from sqlmodel import col

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a file as well as with -m
    sys.path.insert(0, str(REPO))

from services.reconciler.access.service import create_user  # noqa: E402
from services.reconciler.billing.service import read_invoices_csv, upsert_invoices  # noqa: E402
from services.reconciler.intake.service import import_statement_file  # noqa: E402
from services.reconciler.matching.service import reconcile  # noqa: E402
from shared import db as shared_db  # noqa: E402
from shared.config import get_settings  # noqa: E402
from shared.migrate import upgrade  # noqa: E402
from shared.models import Allocation, BankAccount, BankTransaction, Contract, Invoice, Partner  # noqa: E402
from shared.models.sync import BankConnection, BankPull  # noqa: E402

BENCH_DIRS = (REPO.parent / "shared" / "bench", Path("/work/shared/bench"))
PASSWORD = "bench-password-1"  # noqa: S105  (a throwaway database)
LIMIT_MS = 300.0


def _bench_dir() -> Path:
    for d in BENCH_DIRS:
        if (d / "gen_bench.py").exists():
            return d
    raise SystemExit("gen_bench.py not found (looked in shared/bench beside the repo)")


def generate_world(out: Path, invoices: int, partners: int, seed: int) -> Path:
    if not (out / "invoices.csv").exists():
        out.mkdir(parents=True, exist_ok=True)
        subprocess.run(  # noqa: S603  (the bench's own generator)
            [
                sys.executable,
                str(_bench_dir() / "gen_bench.py"),
                "--out",
                str(out),
                "--seed",
                str(seed),
                "--invoices",
                str(invoices),
                "--partners",
                str(partners),
            ],
            check=True,
        )
    return out


@contextmanager
def configured(database_url: str, var_dir: Path) -> Iterator[None]:
    """Point the app's settings at ``database_url`` for the duration of the block."""
    saved = {k: os.environ.get(k) for k in ("SVERKA_DATABASE_URL", "SVERKA_VAR_DIR", "SVERKA_REDIS_URL")}
    os.environ["SVERKA_DATABASE_URL"] = database_url
    os.environ["SVERKA_VAR_DIR"] = str(var_dir)
    os.environ.pop("SVERKA_REDIS_URL", None)  # tasks run in-process; nothing is enqueued by reads
    get_settings.cache_clear()
    shared_db.dispose_engines()
    try:
        yield
    finally:
        shared_db.dispose_engines()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        get_settings.cache_clear()


def _step(label: str, started: float) -> float:
    now = time.perf_counter()
    print(f"  {label}: {now - started:.1f} s", flush=True)
    return now


def seed(world: Path) -> None:
    """The company through the services, then connections, pulls and a few human decisions."""
    t = time.perf_counter()
    with shared_db.session_scope() as s:
        upsert_invoices(s, read_invoices_csv((world / "invoices.csv").read_bytes(), "invoices.csv"), actor="bench")
    t = _step("invoices", t)
    for part in ("statement_part1.xml", "statement_part2.xml"):
        with shared_db.session_scope() as s:
            import_statement_file(s, (world / part).read_bytes(), part, actor="bench")
    t = _step("statements", t)
    with shared_db.session_scope() as s:
        reconcile(s)
    t = _step("matcher", t)
    _seed_connections_and_pulls()
    with shared_db.session_scope() as s:
        create_user(s, "bench", "admin", PASSWORD, actor="bench")
        for i in range(20):
            create_user(s, f"clerk{i:02d}", "accountant" if i % 3 else "viewer", PASSWORD, actor="bench")
    _step("connections, pulls, users", t)


def _seed_connections_and_pulls(pulls_per_account: int = 400) -> None:
    """Every account gets an API connection and a history of hourly pulls, one in twenty failed."""
    rng = random.Random(7)  # noqa: S311  (reproducible test data)
    now = datetime.now(UTC)
    with shared_db.session_scope() as s:
        accounts = s.execute(select(col(BankAccount.id), col(BankAccount.number))).all()
        for account_id, number in accounts:
            s.execute(
                text("UPDATE bank_account SET api_kind = 'tbank', api_account_id = :n WHERE id = :i"),
                {"n": number, "i": account_id},
            )
            s.execute(
                insert(BankConnection),
                [
                    {
                        "bank_account_id": account_id,
                        "base_url": "https://bank.example/api",
                        "token_env": "SVERKA_BANK_TOKEN_BENCH",
                        "enabled": True,
                        "pull_every_minutes": 60,
                        "next_pull_at": now + timedelta(minutes=30),
                        "created_at": now,
                        "updated_at": now,
                    }
                ],
            )
            rows: list[dict[str, Any]] = []
            for k in range(pulls_per_account):
                started = now - timedelta(hours=pulls_per_account - k)
                failed = rng.random() < 0.05
                day = started.date()
                rows.append(
                    {
                        "bank_account_id": account_id,
                        "api_kind": "tbank",
                        "trigger": "schedule",
                        "actor": "scheduler",
                        "started_at": started,
                        "finished_at": started + timedelta(seconds=2),
                        "date_from": day - timedelta(days=3),
                        "date_to": day,
                        "pages": 0 if failed else 1,
                        "lines": 0 if failed else 12,
                        "new": 0 if failed else rng.randint(0, 4),
                        "duplicates": 0 if failed else 8,
                        "pending": 0,
                        "status": "failed" if failed else "ok",
                        "error": "bank answered HTTP 503 three times" if failed else None,
                        "cursor_before": f"booked-through:{(day - timedelta(days=1)).isoformat()}",
                        "cursor_after": f"booked-through:{(day - timedelta(days=1)).isoformat()}",
                    }
                )
            s.execute(insert(BankPull), rows)


def copy_database(source_url: str, chunk: int = 5_000) -> None:
    """Copy every table of a seeded database into the (migrated, empty) configured one, row for row.

    Seeding through the services takes tens of minutes on a busy 2-core machine; PostgreSQL
    gets the very same company (same ids, journal, allocations) this way in about a minute.
    Sequences are moved past the copied ids afterwards.
    """
    from sqlmodel import SQLModel

    source = create_engine(source_url)
    target = shared_db.get_engine()
    tables = SQLModel.metadata.sorted_tables
    with source.connect() as src, target.begin() as dst:
        for table in tables:
            result = src.execution_options(stream_results=True).execute(select(table))
            while batch := result.fetchmany(chunk):
                dst.execute(insert(table), [dict(row._mapping) for row in batch])
        for table in tables:
            if "id" in table.c and table.c.id.primary_key and table.c.id.autoincrement is not False:
                dst.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
                    )
                )
    source.dispose()


@dataclass(frozen=True)
class Targets:
    """Ids of representative rows: the busiest contract and partner, a line with suggestions, …"""

    line_id: int
    invoice_id: int
    contract_id: int
    partner_id: int
    account_id: int
    lines: int
    month: str  # "2026-04"


def find_targets() -> Targets:
    with shared_db.session_scope() as s:
        line_id = s.execute(
            select(func.min(col(Allocation.transaction_id))).where(
                col(Allocation.kind) == "suggested", col(Allocation.reversed_at).is_(None)
            )
        ).scalar_one()
        invoice_id = s.execute(
            select(col(Allocation.invoice_id))
            .where(col(Allocation.kind) == "auto")
            .group_by(col(Allocation.invoice_id))
            .order_by(func.count().desc(), col(Allocation.invoice_id))
            .limit(1)
        ).scalar_one()
        contract_id = s.execute(
            select(col(Invoice.contract_id))
            .where(col(Invoice.contract_id).is_not(None))
            .group_by(col(Invoice.contract_id))
            .order_by(func.count().desc(), col(Invoice.contract_id))
            .limit(1)
        ).scalar_one()
        partner_id = s.execute(
            select(col(Invoice.partner_id))
            .group_by(col(Invoice.partner_id))
            .order_by(func.count().desc(), col(Invoice.partner_id))
            .limit(1)
        ).scalar_one()
        account_id = s.execute(select(func.min(col(BankAccount.id)))).scalar_one()
        lines = s.execute(select(func.count()).select_from(BankTransaction)).scalar_one()
        middle_day = s.execute(
            select(col(BankTransaction.booking_date)).order_by(col(BankTransaction.id)).offset(lines // 2).limit(1)
        ).scalar_one()
        assert s.get(Contract, contract_id) is not None
        assert s.get(Partner, partner_id) is not None
        month = str(middle_day)[:7]  # the month of the median line: a period that has lines
        return Targets(
            int(line_id), int(invoice_id), int(contract_id), int(partner_id), int(account_id), int(lines), month
        )


def pages(t: Targets) -> list[tuple[str, str]]:
    """(label, path) of every main page; the queue in every sort and filter, first and last page."""
    found = [("overview", "/ui/")]
    for status in ("open", "suggested", "unmatched", "settled", "all"):
        for sort in ("age", "age_desc", "amount", "amount_asc", "partner"):
            for which, page in (("first", 1), ("middle", "middle"), ("last", 10**6)):
                found.append((f"queue {status} {sort} {which}", f"/ui/queue?status={status}&sort={sort}&page={page}"))
    found += [
        ("queue by account", f"/ui/queue?status=all&account={t.account_id}&page=1"),
        ("queue by account, last", f"/ui/queue?status=all&account={t.account_id}&page=1000000"),
        ("queue by period", f"/ui/queue?status=all&from={t.month}-01&to={t.month}-28&page=1"),
        ("queue by period, last", f"/ui/queue?status=all&from={t.month}-01&to={t.month}-28&page=1000000"),
        ("queue open by period, by amount", f"/ui/queue?status=open&from={t.month}-01&to={t.month}-28&sort=amount"),
        ("payment", f"/ui/payments/{t.line_id}"),
        ("allocate (search)", f"/ui/payments/{t.line_id}/allocate"),
        ("invoice", f"/ui/invoices/{t.invoice_id}"),
        ("contract", f"/ui/contracts/{t.contract_id}"),
        ("partner", f"/ui/partners/{t.partner_id}"),
        ("accounts", "/ui/accounts"),
        ("statements", "/ui/statements"),
        ("users", "/ui/users"),
    ]
    return found


@dataclass
class Timing:
    label: str
    path: str
    samples: list[float]
    status: int

    @property
    def p50(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]

    @property
    def worst(self) -> float:
        return max(self.samples)


def time_pages(base_url: str, targets: Targets, repeat: int) -> list[Timing]:
    from tests.services.reconciler.ui.workspace import csrf_of

    results: list[Timing] = []
    with httpx.Client(base_url=base_url, timeout=60, follow_redirects=False) as client:
        form = client.get("/ui/login")
        answer = client.post(
            "/ui/login", data={"username": "bench", "password": PASSWORD, "csrf_token": csrf_of(form.text)}
        )
        assert answer.status_code == 303, answer.text
        for label, wanted in pages(targets):
            path = _resolve_middle(client, wanted)
            first = client.get(path)  # warm-up: the first request pays for template compilation
            samples: list[float] = []
            for _ in range(repeat):
                started = time.perf_counter()
                response = client.get(path)
                samples.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    raise SystemExit(f"{path} answered {response.status_code}: {response.text[:500]}")
            results.append(Timing(label, path, samples, first.status_code))
    return results


def _resolve_middle(client: httpx.Client, path: str) -> str:
    """``page=middle`` becomes the middle page of that queue: the deepest any request must read."""
    if "page=middle" not in path:
        return path
    pager = re.search(r'<span class="muted">1 / (\d+)</span>', client.get(path.replace("page=middle", "page=1")).text)
    middle = max(1, int(pager.group(1)) // 2) if pager else 1
    return path.replace("page=middle", f"page={middle}")


def report(database: str, targets: Targets, timings: list[Timing]) -> str:
    lines = [
        f"### {database}: {targets.lines:,} bank lines".replace(",", " "),
        "",
        "| Page | p50 ms | p95 ms | max ms |",
        "|------|-------:|-------:|-------:|",
    ]
    for t in timings:
        flag = " ⚠" if t.p95 > LIMIT_MS else ""
        lines.append(f"| {t.label} | {t.p50:.0f} | {t.p95:.0f} | {t.worst:.0f}{flag} |")
    slowest = max(timings, key=lambda t: t.p95)
    lines += ["", f"Slowest p95: {slowest.label} {slowest.p95:.0f} ms (limit {LIMIT_MS:.0f} ms)."]
    return "\n".join(lines)


def run_database(
    database: str, url: str, world: Path, workdir: Path, repeat: int, *, reuse: bool, copy_from: str | None = None
) -> str:
    from services.reconciler.api.app import create_app
    from tests.http_servers import serve_asgi

    with configured(url, workdir / f"var-{database}"):
        upgrade(shared_db.get_engine())  # on a kept database: picks up new index migrations
        if copy_from is not None:
            print(f"{database}: copying the seeded company", flush=True)
            started = time.perf_counter()
            copy_database(copy_from)
            _step("copy", started)
        elif not reuse:
            print(f"{database}: seeding", flush=True)
            seed(world)
        if shared_db.is_postgres(shared_db.get_engine()):
            # Production's steady state: autovacuum has set the visibility map (index-only scans
            # need it) and the statistics; a freshly loaded database has neither.
            with shared_db.get_engine().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        targets = find_targets()
        print(f"{database}: timing {len(pages(targets))} pages x {repeat}", flush=True)
        with serve_asgi(create_app()) as base_url:
            timings = time_pages(base_url, targets, repeat)
    return report(database, targets, timings)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--world", type=Path, help="a gen_bench world to reuse (generated if missing)")
    ap.add_argument("--invoices", type=int, default=100_000)
    ap.add_argument("--partners", type=int, default=5_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--databases", default="sqlite,postgres")
    ap.add_argument("--sqlite-file", type=Path, help="keep the seeded SQLite database here and reuse it")
    ap.add_argument(
        "--seed-postgres",
        action="store_true",
        help="seed PostgreSQL through the services too, instead of copying the seeded SQLite database",
    )
    args = ap.parse_args(argv)

    reports: list[str] = []
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="sverka-ws-bench-")))
        world = generate_world(args.world or workdir / "world", args.invoices, args.partners, args.seed)
        # A seeded SQLite database that PostgreSQL can copy.
        seeded = f"sqlite:///{args.sqlite_file}" if args.sqlite_file and args.sqlite_file.exists() else None
        for database in args.databases.split(","):
            if database == "sqlite":
                path = args.sqlite_file or workdir / "bench.db"
                reuse = path.exists()
                seeded = f"sqlite:///{path}"
                reports.append(run_database("SQLite", seeded, world, workdir, args.repeat, reuse=reuse))
            elif database == "postgres":
                from tests.servers import postgres_server

                admin_url = stack.enter_context(postgres_server())
                admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
                with admin.connect() as conn:
                    conn.execute(text("CREATE DATABASE sverka_bench"))
                admin.dispose()
                url = make_url(admin_url).set(database="sverka_bench").render_as_string(hide_password=False)
                copy_from = None if args.seed_postgres else seeded
                reports.append(
                    run_database("PostgreSQL", url, world, workdir, args.repeat, reuse=False, copy_from=copy_from)
                )
            else:
                raise SystemExit(f"unknown database {database!r}")
            print(reports[-1], flush=True)
    load = os.getloadavg()[0]
    print(f"\nMeasured {datetime.now(UTC).date().isoformat()}, load average {load:.1f} on {os.cpu_count()} cores.")
    print("\n\n".join(reports))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
