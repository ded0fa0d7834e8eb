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
    .venv/bin/python -m benchmarks.unseen_quality --core               # the core alone, in process
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from datetime import date
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


def match_in_process(world: Path, out: Path) -> Path:
    """The matcher core alone over the world (no database): the export ``run_flow`` would write.

    Partners are told apart as the import does: by INN, or by name when they have none (the
    foreign ones). Lines are decided in booking-date order, as ``sverka reconcile`` does.
    """
    from adapters.banks.formats import parse_path
    from services.reconciler.matching.engine import match_lines
    from services.reconciler.matching.types import Direction, OpenInvoice, PartnerFacts, PaymentLine

    def minor(amount: Decimal) -> int:
        return int((amount * 100).to_integral_value())

    partners: dict[str, PartnerFacts] = {}
    contracts: dict[tuple[str, str], int] = {}
    invoices: list[OpenInvoice] = []
    with (world / "invoices.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            who = row["partner_inn"] or row["partner_name"]
            if who not in partners:
                tax_ids = (row["partner_inn"],) if row["partner_inn"] else ()
                partners[who] = PartnerFacts(len(partners) + 1, row["partner_name"], tax_ids, (row["partner_account"],))
            amount = minor(Decimal(row["amount"]))
            direction: Direction = "payable" if row["direction"] == "payable" else "receivable"
            invoices.append(
                OpenInvoice(
                    id=len(invoices) + 1,
                    number=row["invoice_no"],
                    direction=direction,
                    partner_id=partners[who].id,
                    amount_minor=amount,
                    outstanding_minor=amount,
                    currency=row["currency"],
                    invoice_date=date.fromisoformat(row["invoice_date"]),
                    contract_id=contracts.setdefault((who, row["contract_no"]), len(contracts) + 1),
                    contract_number=row["contract_no"],
                )
            )
    parsed = [
        ln
        for path in sorted(world.glob("statement_*.xml"))
        for st in parse_path(path, max_bytes=path.stat().st_size + 1).statements
        for ln in st.lines
    ]
    parsed.sort(key=lambda ln: ln.booking_date or date.min)  # stable: file order within a day
    lines = [
        PaymentLine(
            id=n,
            amount_minor=minor(ln.amount),
            currency=ln.currency,
            booking_date=ln.booking_date,
            counterparty_name=ln.counterparty_name,
            counterparty_account=ln.counterparty_account,
            counterparty_tax_id=ln.counterparty_tax_id,
            purpose=ln.purpose,
        )
        for n, ln in enumerate(parsed)
    ]
    numbers = {inv.id: inv.number for inv in invoices}
    with out.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["bank_ref", "invoice_no", "amount", "kind", "confidence"])
        for d in match_lines(lines, invoices, list(partners.values())):
            ref = parsed[d.line_id].bank_ref
            for a in d.allocations:
                w.writerow([ref, numbers[a.invoice_id], f"{Decimal(a.amount_minor) / 100:.2f}", "auto", d.confidence])
            for s in d.suggestions:
                w.writerow(
                    [ref, numbers[s.invoice_id], f"{Decimal(s.amount_minor) / 100:.2f}", "suggested", s.confidence]
                )
    return out


def score(world: Path, allocations: Path) -> dict[str, float]:
    """score.py's last line: precision, recall, suggest_hit."""
    last = (
        subprocess.run(  # noqa: S603  (our interpreter, the bench's scorer)
            [sys.executable, str(_score_py()), str(world / "truth.csv"), str(allocations)],
            capture_output=True,
            text=True,
            check=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    return {k: float(v) for k, v in (part.split("=") for part in last.split())}


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
    ap.add_argument("--core", action="store_true", help="the matcher core in this process, no CLI or database")
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
        if a.core:
            allocations = match_in_process(world, Path(tmp) / "allocations.csv")
        else:
            allocations = run_flow(world, a.source.resolve(), Path(tmp))
        verdict = score(world, allocations)
        rows, wrong = scenario_table(world / "truth.csv", allocations)
    print(f"{'scenario':<22} {'truth':>6} {'auto ok':>8} {'sugg.':>6} {'wrong':>6}")
    for name, total, right, hinted, bad in rows:
        print(f"{name:<22} {total:>6} {right:>8} {hinted:>6} {bad:>6}")
    for w in wrong:
        print("WRONG", w)
    print(" ".join(f"{k}={v}" for k, v in verdict.items()))


if __name__ == "__main__":
    main()
