"""The documented batch flow, driven through the CLI on a generated world and scored by the bench's scorer.

import-invoices → import-statement (two overlapping statements) → reconcile → export-allocations,
then ../shared/bench/score.py: every automatic allocation must be right (precision 1.0), and
importing the same statements again must add nothing.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli import sverka
from tests.fixture_corpus import BENCH_DIR


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world")
    subprocess.run(
        [
            sys.executable,
            str(BENCH_DIR / "gen_bench.py"),
            "--out",
            str(out),
            "--seed",
            "7",
            "--invoices",
            "600",
            "--partners",
            "60",
        ],
        check=True,
        capture_output=True,
    )
    return out


def _score(world: Path, allocations: Path) -> dict[str, float]:
    proc = subprocess.run(
        [sys.executable, str(BENCH_DIR / "score.py"), str(world / "truth.csv"), str(allocations)],
        check=True,
        capture_output=True,
        text=True,
    )
    last = proc.stdout.strip().splitlines()[-1]
    return {k: float(v) for k, v in (part.split("=") for part in last.split())}


def test_statements_to_scored_allocations(database_url: str, world: Path, tmp_path: Path) -> None:
    invoices = sverka("import-invoices", str(world / "invoices.csv"), database_url=database_url)
    assert invoices.code == 0, invoices.stderr
    with (world / "invoices.csv").open(encoding="utf-8") as f:
        assert invoices.json()["invoices_created"] == sum(1 for _ in csv.DictReader(f))

    parts = [str(world / "statement_part1.xml"), str(world / "statement_part2.xml")]
    first = sverka("import-statement", *parts, database_url=database_url)
    assert first.code == 0, first.stderr
    summary = first.json()
    assert summary["format"] == "camt"
    assert summary["duplicates"] > 0, "the two statements overlap: the overlap is counted as duplicates"
    assert summary["new"] + summary["duplicates"] == summary["lines"]

    matched = sverka("reconcile", database_url=database_url)
    assert matched.code == 0, matched.stderr
    assert matched.json()["auto"] > 0

    out = tmp_path / "allocations.csv"
    exported = sverka("export-allocations", "--out", str(out), database_url=database_url)
    assert exported.code == 0, exported.stderr
    assert out.read_text(encoding="utf-8").splitlines()[0] == "bank_ref,invoice_no,amount,kind,confidence"
    score = _score(world, out)
    assert score["precision"] == 1.0
    assert score["recall"] > 0.3

    again = sverka("import-statement", *parts, database_url=database_url)
    assert again.code == 0
    assert again.json()["new"] == 0
    assert again.json()["duplicates"] == summary["lines"]
    assert (
        sverka("import-invoices", str(world / "invoices.csv"), database_url=database_url).json()["invoices_created"]
        == 0
    )

    verified = sverka("journal", "verify", database_url=database_url)
    assert verified.code == 0 and verified.json()["ok"]


def test_a_broken_statement_is_rejected_whole_with_file_and_position(
    database_url: str, world: Path, tmp_path: Path
) -> None:
    good = (world / "statement_part1.xml").read_text(encoding="utf-8")
    # Break the amount of an entry deep in the file: earlier entries must not be stored either.
    cut = good.index("<Amt", len(good) // 2)
    broken = tmp_path / "broken.xml"
    broken.write_text(
        good[:cut] + '<Amt Ccy="RUB">12,5x</Amt>' + good[good.index("</Amt>", cut) + 6 :], encoding="utf-8"
    )
    run = sverka("import-statement", str(broken), database_url=database_url)
    assert run.code != 0
    assert str(broken) in run.stderr
    assert run.json()["new"] == 0 and run.json()["rejected"]
    retry = sverka("import-statement", str(world / "statement_part1.xml"), database_url=database_url)
    assert retry.json()["duplicates"] == 0, "nothing from the broken file was stored"
