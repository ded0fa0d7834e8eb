"""The whole reconciliation flow, end to end through the CLI, beside the native-tools floor.

Generates a world with ``shared/bench/gen_bench.py`` (or reuses ``--world``), then, per
repetition, runs ``shared/bench/floor.py`` and the public batch flow on a fresh database —

    sverka import-invoices invoices.csv
    sverka import-statement statement_part1.xml statement_part2.xml
    sverka reconcile
    sverka export-allocations --out allocations.csv

— on SQLite and on a throwaway PostgreSQL it starts itself (``tests.servers.postgres_server``).
On PostgreSQL the database is migrated by the owner role before the clock starts and the CLI
connects as production's application role, ``sverka_app``, to which row-level security applies
(``tests/pg_roles.py``); on SQLite the first command migrates the empty file, about 0.3 s,
as the embedded mode does.
It prints seconds per stage (wall, and the CPU time of the CLI process), the totals, the ratio
of each database's total to the floor's total *measured in the same repetition* (the machine
is shared, so only a ratio taken side by side means anything), the load average, and
``score.py``'s verdict on the export.

    .venv/bin/python -m benchmarks.flow                     # 100,000 invoices, 5,000 partners
    .venv/bin/python -m benchmarks.flow --invoices 5000 --partners 300 --repeat 3

The floor needs lxml, duckdb and pandas, which are the yardstick's dependencies and not the
product's: give a scratch interpreter with ``--floor-python`` (default ``$SVERKA_FLOOR_PYTHON``
or ``/tmp/floorenv/bin/python``; ``python3 -m venv /tmp/floorenv && /tmp/floorenv/bin/pip
install lxml duckdb pandas``).

The CLI runs as an installed program runs: with its bytecode cached. The machine's
``PYTHONDONTWRITEBYTECODE`` is dropped for the children and the cache goes to a private
``PYTHONPYCACHEPREFIX``; a warm-up flow on a tiny world fills it before anything is timed.
``--source`` runs the CLI from another checkout (e.g. a copy with a proposed change).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCH_DIRS = (REPO.parent / "shared" / "bench", Path("/work/shared/bench"))
STAGES = ("import-invoices", "import-statement", "reconcile", "export-allocations")


@dataclass
class StageTime:
    wall: float
    cpu: float


@dataclass
class FlowRun:
    """One database's flow in one repetition."""

    stages: dict[str, StageTime] = field(default_factory=dict)
    score: dict[str, float] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return sum(s.wall for s in self.stages.values())

    @property
    def cpu(self) -> float:
        return sum(s.cpu for s in self.stages.values())


def _bench_dir() -> Path:
    for d in BENCH_DIRS:
        if (d / "gen_bench.py").exists():
            return d
    raise SystemExit("gen_bench.py not found (looked in shared/bench beside the repo)")


def _child_env(source: Path, pycache: Path, database_url: str, migrated: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "SVERKA_REDIS_URL")}
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    env["PYTHONPATH"] = str(source)
    env["SVERKA_DATABASE_URL"] = database_url
    if migrated:  # as in production, where the application role may not change the schema
        env["SVERKA_AUTO_MIGRATE"] = "false"
    return env


def _timed(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[StageTime, str]:
    """Run ``cmd``; wall time and the CPU time (user + system) the child used."""
    before = os.times()
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, check=False)  # noqa: S603  (our CLI)
    wall = time.perf_counter() - start
    after = os.times()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return StageTime(wall, cpu), proc.stdout


def run_flow(
    world: Path, database_url: str, source: Path, pycache: Path, workdir: Path, *, migrated: bool = False
) -> FlowRun:
    """The four public commands, in order, against ``database_url``: empty, or ``migrated`` and holding nothing.

    An empty database is migrated by the first command (embedded mode, SQLite); a ``migrated``
    one is used as production's services use theirs, without migrating.
    """
    env = _child_env(source, pycache, database_url, migrated)
    cli = [sys.executable, "-m", "services.reconciler.cli"]
    out = workdir / "allocations.csv"
    commands = {
        "import-invoices": [*cli, "import-invoices", str(world / "invoices.csv")],
        "import-statement": [
            *cli,
            "import-statement",
            str(world / "statement_part1.xml"),
            str(world / "statement_part2.xml"),
        ],
        "reconcile": [*cli, "reconcile"],
        "export-allocations": [*cli, "export-allocations", "--out", str(out)],
    }
    run = FlowRun()
    for stage in STAGES:
        run.stages[stage], _ = _timed(commands[stage], env, workdir)
    run.score = score(world, out)
    return run


def score(world: Path, allocations: Path) -> dict[str, float]:
    proc = subprocess.run(  # noqa: S603  (our interpreter, the bench's scorer)
        [sys.executable, str(_bench_dir() / "score.py"), str(world / "truth.csv"), str(allocations)],
        capture_output=True,
        text=True,
        check=True,
    )
    last = proc.stdout.strip().splitlines()[-1]
    return {k: float(v) for k, v in (part.split("=") for part in last.split())}


def run_floor(world: Path, floor_python: str) -> dict[str, float]:
    """floor.py's own seconds per stage, plus ``cpu_s``: the CPU time its process used."""
    before = os.times()
    proc = subprocess.run(  # noqa: S603  (the scratch interpreter the operator named)
        [floor_python, str(_bench_dir() / "floor.py"), str(world)], capture_output=True, text=True, check=False
    )
    after = os.times()
    if proc.returncode != 0:
        raise SystemExit(f"floor.py failed (does {floor_python} have lxml, duckdb, pandas?):\n{proc.stderr[-2000:]}")
    fields = dict(part.split("=") for part in proc.stdout.split())
    times = {k: float(v) for k, v in fields.items() if k.endswith("_s")}
    times["cpu_s"] = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return times


def generate(out: Path, invoices: int, partners: int, seed: int) -> None:
    subprocess.run(  # noqa: S603  (our interpreter, the bench's generator)
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
        capture_output=True,
    )


@contextmanager
def postgres() -> Iterator[str]:
    """A throwaway PostgreSQL cluster (the one the tests use) with production's roles; yields its superuser URL."""
    sys.path.insert(0, str(REPO))
    from tests.pg_roles import create_roles
    from tests.servers import postgres_server

    with postgres_server() as url:
        create_roles(url)
        yield url


def fresh_postgres_database(server_url: str, name: str, role: str = "app") -> str:
    """A new database migrated by the owner role, as a release leaves it: the application role's URL to it.

    The CLI then runs as production's services do, as ``sverka_app`` (row-level security applies);
    ``role="superuser"`` gives the cluster superuser's URL instead, which bypasses the policies.
    """
    from tests.pg_roles import PRODUCTION, as_role, migrated_database

    url = migrated_database(server_url, name)
    return as_role(url, PRODUCTION.app) if role == "app" else url


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def _summary(values: list[float]) -> str:
    return f"{min(values):7.2f} {statistics.median(values):7.2f}"


def report(floors: list[dict[str, float]], runs: dict[str, list[FlowRun]]) -> str:
    """The table: per stage best and median wall seconds (and median CPU), totals, ratios, score."""
    lines = []
    header = f"{'stage':<22}" + "".join(f"{db + ' best/med wall':>24}{'cpu':>7}" for db in runs)
    lines.append(header)
    for stage in STAGES:
        row = f"{stage:<22}"
        for flows in runs.values():
            walls = [r.stages[stage].wall for r in flows]
            cpus = [r.stages[stage].cpu for r in flows]
            row += f"{_summary(walls):>24}{statistics.median(cpus):7.2f}"
        lines.append(row)
    row = f"{'total':<22}"
    for flows in runs.values():
        row += f"{_summary([r.total for r in flows]):>24}{statistics.median([r.cpu for r in flows]):7.2f}"
    lines.append(row)
    floor_totals = [f["total_s"] for f in floors]
    lines.append(f"{'floor total':<22}{_summary(floor_totals):>24}")
    for stage in ("parse_s", "match_s", "store_s"):
        lines.append(f"{'  floor ' + stage:<22}{_summary([f[stage] for f in floors]):>24}")
    lines.append(f"{'floor cpu':<22}{_summary([f['cpu_s'] for f in floors]):>24}")
    for db, flows in runs.items():
        ratios = [r.total / f["total_s"] for r, f in zip(flows, floors, strict=True)]
        lines.append(f"{'ratio ' + db + '/floor':<22}{_summary(ratios):>24}   (wall, same repetition; target <= 3.0)")
        cpu_ratios = [r.cpu / f["cpu_s"] for r, f in zip(flows, floors, strict=True)]
        lines.append(
            f"{'cpu ratio ' + db:<22}{_summary(cpu_ratios):>24}   (CLI CPU / floor CPU: steady under load; "
            "PostgreSQL's server CPU is not in it)"
        )
    for db, flows in runs.items():
        s = flows[-1].score
        lines.append(f"score {db}: " + " ".join(f"{k}={v:g}" for k, v in s.items()))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--invoices", type=int, default=100_000)
    ap.add_argument("--partners", type=int, default=5_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--world", type=Path, help="Reuse (or create) the world in this directory.")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--databases", default="sqlite,postgres", help="Comma-separated: sqlite, postgres.")
    default_floor = os.environ.get("SVERKA_FLOOR_PYTHON", "/tmp/floorenv/bin/python")  # noqa: S108  (documented scratch venv)
    ap.add_argument("--floor-python", default=default_floor)
    ap.add_argument("--source", type=Path, default=REPO, help="Checkout whose CLI is timed (default: this one).")
    ap.add_argument("--no-warm-up", action="store_true", help="Skip the tiny warm-up flow (bytecode cached already).")
    ap.add_argument("--json", type=Path, help="Also write the raw numbers here.")
    ap.add_argument(
        "--pg-role",
        choices=("app", "superuser"),
        default="app",
        help="Role the CLI connects to PostgreSQL as: production's application role, or the superuser (no RLS).",
    )
    args = ap.parse_args(argv)
    databases = [d.strip() for d in args.databases.split(",") if d.strip()]

    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="sverka-flow-")))
        world = args.world or tmp / "world"
        if not (world / "invoices.csv").exists():
            world.mkdir(parents=True, exist_ok=True)
            print(f"generating {args.invoices} invoices, {args.partners} partners → {world}", flush=True)
            generate(world, args.invoices, args.partners, args.seed)
        # Kept between runs (it mirrors absolute paths, so checkouts do not collide).
        pycache = Path(tempfile.gettempdir()) / "sverka-flow-pycache"
        server = stack.enter_context(postgres()) if "postgres" in databases else ""

        def database_url(db: str, name: str) -> str:
            if db == "sqlite":
                return f"sqlite:///{tmp / (name + '.db')}"
            return fresh_postgres_database(server, name, args.pg_role)

        if not args.no_warm_up:
            warm = tmp / "warm"
            generate(warm, 200, 20, 1)
            for db in databases:  # fills the bytecode cache and the server's catalog caches
                (tmp / f"warm-{db}").mkdir()
                run_flow(
                    warm,
                    database_url(db, f"warm_{db}"),
                    args.source,
                    pycache,
                    tmp / f"warm-{db}",
                    migrated=db == "postgres",
                )

        print(f"load average before: {_load()}", flush=True)
        floors: list[dict[str, float]] = []
        runs: dict[str, list[FlowRun]] = {db: [] for db in databases}
        for n in range(args.repeat):
            floors.append(run_floor(world, args.floor_python))
            for db in databases:
                workdir = tmp / f"run{n}-{db}"
                workdir.mkdir()
                flow = run_flow(
                    world, database_url(db, f"flow_{n}_{db}"), args.source, pycache, workdir, migrated=db == "postgres"
                )
                runs[db].append(flow)
                stages = " ".join(f"{k}={v.wall:.2f}" for k, v in flow.stages.items())
                print(
                    f"rep {n + 1} {db}: {stages} total={flow.total:.2f} floor={floors[-1]['total_s']:.2f} "
                    f"ratio={flow.total / floors[-1]['total_s']:.2f} load={_load()}",
                    flush=True,
                )
        print(f"load average after: {_load()}")
        print(report(floors, runs))
        if args.json:
            raw = {
                "invoices": args.invoices,
                "partners": args.partners,
                "floors": floors,
                "runs": {
                    db: [{"stages": {k: vars(v) for k, v in r.stages.items()}, "score": r.score} for r in flows]
                    for db, flows in runs.items()
                },
            }
            args.json.write_text(json.dumps(raw, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
