"""The matcher on a world written by another company (``benchmarks/synth/other_company.py``).

Its numbering, purposes, payers' names and traps (dates, sums, VAT, contract and order numbers
that look like invoice numbers; twins of one amount; money that is no invoice payment) were not
what the matcher was tuned on. Whatever it misses, what it books must be right: precision
≥ 0.999 by ``shared/bench/score.py``, on small worlds of two seeds (each had a wrong allocation
before the rules in ``test_other_companies_habits.py``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.synth.other_company import World, write_all
from benchmarks.unseen_quality import match_in_process, score


@pytest.mark.parametrize("seed", [14, 16])
def test_what_the_matcher_books_on_an_unseen_world_is_right(seed: int, tmp_path: Path) -> None:
    world = tmp_path / "world"
    write_all(World(seed, invoices=700, partners=60), world)
    verdict = score(world, match_in_process(world, tmp_path / "allocations.csv"))
    assert verdict["precision"] >= 0.999, verdict
    # Not precise by booking nothing: most of the world is plainly written.
    assert verdict["recall"] >= 0.9, verdict
