"""The matcher on a world it was not tuned on: another company's data, through the whole CLI flow.

Generates ``benchmarks/synth/other_company.py``'s world (or reuses ``--world``), then on a fresh
SQLite database runs the public batch flow —

    sverka import-invoices invoices.csv
    sverka import-statement statement_rub.xml statement_eur.xml
    sverka reconcile
    sverka export-allocations --out allocations.csv

— and scores the export with ``shared/bench/score.py``. Besides score.py's verdict it prints a
table per scenario: the truth's allocations, how many were booked right, how many of the rest
were at least suggested, and automatic allocations that were wrong (on lines that must stay
unallocated or go to review too), with every wrong one listed.

    .venv/bin/python -m benchmarks.unseen_quality [--seed 1] [--invoices 3000 --partners 200]
    .venv/bin/python -m benchmarks.unseen_quality --source /tmp/base   # the CLI of another checkout
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCH_DIRS = (REPO.parent / "shared" / "bench", Path("/work/shared/bench"))


def _score_py() -> Path:
    for d in BENCH_DIRS:
        if (d / "score.py").exists():
            return d / "score.py"
    raise SystemExit("score.py not found (looked in shared/bench beside the repo)")


def _cli(source: Path, database: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "SVERKA_REDIS_URL"}
    env["PYTHONPATH"] = str(source)
    env["SVERKA_DATABASE_URL"] = f"sqlite:///{database}"
    proc = subprocess.run(  # noqa: S603  (our interpreter, our CLI)
        [sys.executable, "-m", "services.reconciler.cli", *args],
        env=env,
        cwd=database.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"sverka {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    return proc.stdout


def run_flow(world: Path, source: Path, workdir: Path) -> Path:
    """The four public commands on a fresh SQLite database; returns the allocations export."""
    database = workdir / "sverka.sqlite"
    database.unlink(missing_ok=True)
    statements = [str(p) for p in sorted(world.glob("statement_*.xml"))]
    out = workdir / "allocations.csv"
    _cli(source, database, "import-invoices", str(world / "invoices.csv"))
    _cli(source, database, "import-statement", *statements)
    _cli(source, database, "reconcile")
    _cli(source, database, "export-allocations", "--out", str(out))
    return out


def scenario_table(truth_path: Path, allocations: Path) -> tuple[list[tuple[str, int, int, int, int]], list[str]]:
    """Per scenario: (name, truth allocations, booked right, missed but suggested, wrong automatic)."""
    truth: dict[str, set[tuple[str, Decimal]]] = defaultdict(set)
    scenario: dict[str, str] = {}
    with truth_path.open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            scenario[r["bank_ref"]] = r["scenario"]
            if r["invoice_no"] not in ("", "?"):
                truth[r["bank_ref"]].add((r["invoice_no"], Decimal(r["amount"])))
    auto: dict[str, set[tuple[str, Decimal]]] = defaultdict(set)
    offered: dict[str, set[str]] = defaultdict(set)
    with allocations.open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["kind"] == "auto":
                auto[r["bank_ref"]].add((r["invoice_no"], Decimal(r["amount"]).quantize(Decimal("0.01"))))
            elif r["kind"] == "suggested":
                offered[r["bank_ref"]].add(r["invoice_no"])
    rows: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    wrong_lines: list[str] = []
    for ref, name in scenario.items():
        row = rows[name]
        for pair in truth[ref]:
            row[0] += 1
            if pair in auto[ref]:
                row[1] += 1
            elif pair[0] in offered[ref]:
                row[2] += 1
        wrong = auto[ref] - truth[ref]
        row[3] += len(wrong)
        for number, amount in sorted(wrong):
            wrong_lines.append(f"{name}: line {ref} booked {amount} to {number}; truth {sorted(truth[ref]) or 'none'}")
    return [(name, *rows[name]) for name in sorted(rows)], wrong_lines  # type: ignore[misc]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--invoices", type=int, default=3000)
    ap.add_argument("--partners", type=int, default=200)
    ap.add_argument("--world", type=Path, help="an already generated world to reuse")
    ap.add_argument("--source", type=Path, default=REPO, help="run the CLI from this checkout")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="unseen-") as tmp:
        world = a.world or Path(tmp) / "world"
        if a.world is None:
            subprocess.run(  # noqa: S603  (our interpreter, our generator)
                [
                    sys.executable,
                    "-m",
                    "benchmarks.synth.other_company",
                    "--out",
                    str(world),
                    "--seed",
                    str(a.seed),
                    "--invoices",
                    str(a.invoices),
                    "--partners",
                    str(a.partners),
                ],
                check=True,
                cwd=REPO,
                env={**os.environ, "PYTHONPATH": str(REPO)},
            )
        allocations = run_flow(world, a.source.resolve(), Path(tmp))
        verdict = (
            subprocess.run(  # noqa: S603  (our interpreter, the bench's scorer)
                [sys.executable, str(_score_py()), str(world / "truth.csv"), str(allocations)],
                capture_output=True,
                text=True,
                check=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        rows, wrong = scenario_table(world / "truth.csv", allocations)
    print(f"{'scenario':<22} {'truth':>6} {'auto ok':>8} {'sugg.':>6} {'wrong':>6}")
    for name, total, right, hinted, bad in rows:
        print(f"{name:<22} {total:>6} {right:>8} {hinted:>6} {bad:>6}")
    for w in wrong:
        print("WRONG", w)
    print(verdict)


if __name__ == "__main__":
    main()
