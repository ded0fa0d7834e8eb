"""Statement import end to end — parse, dedupe, store, commit — in lines per second.

    python -m benchmarks.import_throughput [--lines 100000] [--formats camt,onec] [--databases postgres,sqlite]

Issue 3's target is 20,000 lines/s into PostgreSQL. Each format's generator
(``benchmarks/synth/<format>.py``, the files ``parse_throughput`` reads) writes one file of N lines;
``import_statement_file`` — what the CLI, the upload route and the UI call — imports it in one
transaction into an empty, migrated database, and the commit is timed with it. Then the same bytes
are imported again: every line must come back a duplicate (the second number is the cost of
re-importing a file already seen).

PostgreSQL is a throwaway cluster (``tests.servers.postgres_server``; note it runs with
``fsync=off``, as the tests do, so a commit costs less than on a production disk); each format
gets its own database, cloned from a migrated template. The import connects as the application role
of production (``sverka_app``, ``--role app``, the default), for which row-level security applies to
every line stored (migration 0008); ``--role superuser`` bypasses it, for comparison. SQLite is a
file in a temporary directory.
The machine is shared: the load average is printed with the numbers, and CPU seconds of this
process and of the server's backend process of the import (``server``, PostgreSQL only) beside
wall seconds. ``--profile FILE``
writes a cProfile of the first import of each format (``FILE.<db>.<format>``).
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.process_cpu import cpu_seconds  # noqa: E402  (after the path: run as a script too)

TARGET_LINES_PER_S = 20_000
GENERATOR_SCALE = {"mt940": 2.65}  # the MT940 generator counts file lines, as in parse_throughput


@dataclass
class ImportRun:
    database: str
    fmt: str
    lines: int
    parse_s: float
    wall_s: float
    cpu_s: float
    server_cpu_s: float | None
    again_wall_s: float
    again_new: int

    @property
    def lines_per_s(self) -> float:
        return self.lines / self.wall_s


def _parse_seconds(data: bytes, filename: str) -> float:
    from services.reconciler.intake.service import parse_statement_file

    started = time.perf_counter()
    parse_statement_file(data, filename)
    return time.perf_counter() - started


def _backend_pid(session: Any) -> int | None:
    driver = session.connection().connection.driver_connection
    return getattr(getattr(driver, "info", None), "backend_pid", None)


def _import_once(
    url: str, data: bytes, filename: str, profile: Path | None
) -> tuple[int, int, float, float, float | None]:
    """(lines, new, wall, cpu, server cpu) of one import in its own transaction, commit included.

    The server's CPU is its backend process's, read from /proc (the cluster runs on this machine):
    the import's other half, which this process's CPU does not show.
    """
    from services.reconciler.intake.service import import_statement_file
    from shared import db

    engine = db.make_engine(url)
    try:
        with db.session_scope(engine) as session:  # connect and warm the pool outside the clock
            pid = _backend_pid(session) if engine.dialect.name == "postgresql" else None
        server0 = None if pid is None else cpu_seconds([pid])
        profiler = cProfile.Profile() if profile else None
        wall0, cpu0 = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        with db.session_scope(engine) as session:
            result = import_statement_file(session, data, filename, actor="bench")
        if profiler:
            profiler.disable()
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        server_cpu = None if pid is None or server0 is None else cpu_seconds([pid]) - server0
        if profiler and profile:
            profiler.dump_stats(str(profile))
    finally:
        engine.dispose()
    lines = sum(s.lines for s in result.statements)
    return lines, result.new, wall, cpu, server_cpu


@contextmanager
def _databases(kind: str, role: str = "app") -> Iterator[Iterator[str]]:
    """Yield a generator of fresh, migrated database URLs of this kind (PostgreSQL: connecting as ``role``)."""
    from shared import db
    from shared.migrate import upgrade

    if kind == "postgres":
        from tests.pg_roles import PRODUCTION, as_role, copy_of, create_roles, migrated_database
        from tests.servers import postgres_server

        with postgres_server() as admin_url:
            create_roles(admin_url)
            template = "import_template"
            migrated_database(admin_url, template)

            def fresh() -> Iterator[str]:
                n = 0
                while True:
                    n += 1
                    url = copy_of(admin_url, template, f"import_{n}")
                    yield as_role(url, PRODUCTION.app) if role == "app" else url

            yield fresh()
        return
    with tempfile.TemporaryDirectory(prefix="sverka-import-bench-") as tmp:

        def fresh_sqlite() -> Iterator[str]:
            n = 0
            while True:
                n += 1
                url = f"sqlite:///{Path(tmp) / f'import_{n}.db'}"
                engine = db.make_engine(url)
                upgrade(engine)
                engine.dispose()
                yield url

        yield fresh_sqlite()


def measure(kind: str, formats: list[str], lines: int, profile: Path | None, role: str = "app") -> list[ImportRun]:
    runs = []
    with _databases(kind, role) as fresh:
        for fmt in formats:
            data: bytes = importlib.import_module(f"benchmarks.synth.{fmt}").generate(
                int(lines * GENERATOR_SCALE.get(fmt, 1))
            )
            filename = f"bench.{'xml' if fmt == 'camt' else fmt}"
            url = next(fresh)
            parse_s = _parse_seconds(data, filename)
            where = profile.with_name(f"{profile.name}.{kind}.{fmt}") if profile else None
            count, new, wall, cpu, server_cpu = _import_once(url, data, filename, where)
            assert new == count, f"{fmt}: a fresh database stored {new} of {count} lines"
            _, again_new, again_wall, _, _ = _import_once(url, data, filename, None)
            runs.append(ImportRun(kind, fmt, count, parse_s, wall, cpu, server_cpu, again_wall, again_new))
            print(_row(runs[-1]), flush=True)
    return runs


HEADER = (
    f"{'database':<10} {'format':<7} {'lines':>8} {'parse s':>8} {'import s':>9} {'cpu s':>7} {'server':>7} "
    f"{'lines/s':>9} {'target':>7} {'met':>4}   re-import: s, new"
)


def _row(run: ImportRun) -> str:
    met = "yes" if run.lines_per_s >= TARGET_LINES_PER_S else "NO"
    server = "" if run.server_cpu_s is None else f"{run.server_cpu_s:.2f}"
    return (
        f"{run.database:<10} {run.fmt:<7} {run.lines:>8,} {run.parse_s:>8.2f} {run.wall_s:>9.2f} {run.cpu_s:>7.2f} "
        f"{server:>7} "
        f"{run.lines_per_s:>9,.0f} {TARGET_LINES_PER_S:>7,} {met:>4}   {run.again_wall_s:.2f}, {run.again_new}"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--lines", type=int, default=100_000)
    ap.add_argument("--formats", default="camt,onec,ofx")
    ap.add_argument("--databases", default="postgres,sqlite")
    ap.add_argument("--profile", type=Path, help="Write a cProfile of each first import to FILE.<db>.<format>.")
    ap.add_argument(
        "--role",
        choices=("app", "superuser"),
        default="app",
        help="Role that imports: the services' own (row-level security applies) or a superuser (bypasses it).",
    )
    args = ap.parse_args(argv)
    # The generated files run to 100+ MB; the product's default limit (50 MB) is for uploads.
    os.environ.setdefault("SVERKA_MAX_STATEMENT_BYTES", str(1 << 30))
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"load average at start: {load} ({os.cpu_count()} cores); one import per format into a fresh database;"
        f" PostgreSQL role: {args.role}"
    )
    print(HEADER, flush=True)
    runs = [
        run
        for kind in args.databases.split(",")
        for run in measure(kind, args.formats.split(","), args.lines, args.profile, args.role)
    ]
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0 if all(r.again_new == 0 for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
