"""Parse throughput per statement format, on generated files, printed as a table.

    python -m benchmarks.parse_throughput [--lines 100000] [--repeat 3]

Each format's generator (``benchmarks/synth/<format>.py``) writes a realistic file of N lines; the
parser runs on it ``--repeat`` times and the best run counts (a shared machine only ever makes a run
slower). CPU time (``process_time``) is reported beside wall time. ofxparse, the reference OFX parser,
runs on a smaller file in the same process for comparison: it grows faster than linearly.
"""

from __future__ import annotations

import argparse
import importlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

from adapters.banks.base import ParsedFile

TARGETS = {"ofx": 100_000, "onec": 100_000, "camt": 50_000, "mt940": 50_000, "csv": 100_000}
FORMAT_MODULES = {"ofx": "ofx", "onec": "onec", "camt": "camt", "mt940": "mt940", "csv": "csvfile"}
# The MT940 generator counts file lines (a transaction takes 2-3); ask for enough to get ~N transactions.
GENERATOR_SCALE = {"mt940": 2.65}


@dataclass
class Measurement:
    name: str
    lines: int
    megabytes: float
    wall: float
    cpu: float

    @property
    def lines_per_second(self) -> float:
        return self.lines / self.cpu if self.cpu else float("inf")


def _best_of(repeat: int, fn: Callable[[], ParsedFile]) -> tuple[ParsedFile, float, float]:
    best_wall, best_cpu, result = float("inf"), float("inf"), None
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        best_wall = min(best_wall, time.perf_counter() - w0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    assert result is not None
    return result, best_wall, best_cpu


def measure(fmt: str, n_lines: int, repeat: int) -> Measurement:
    size = int(n_lines * GENERATOR_SCALE.get(fmt, 1))
    data: bytes = importlib.import_module(f"benchmarks.synth.{fmt}").generate(size)
    parser = importlib.import_module(f"adapters.banks.formats.{FORMAT_MODULES[fmt]}").FORMAT
    parsed, wall, cpu = _best_of(repeat, lambda: parser.parse(data, f"bench.{fmt}"))
    lines = sum(len(s.lines) for s in parsed.statements)
    return Measurement(fmt, lines, len(data) / 1e6, wall, cpu)


def measure_ofxparse(n_lines: int) -> Measurement:
    from adapters.banks.formats.ofx import FORMAT

    data: bytes = importlib.import_module("benchmarks.synth.ofx").generate(n_lines)
    parsed, wall, cpu = _best_of(1, lambda: FORMAT.parse(data, "bench.ofx", reader="reference"))
    return Measurement(
        f"ofx via ofxparse ({n_lines:,})", sum(len(s.lines) for s in parsed.statements), len(data) / 1e6, wall, cpu
    )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--formats", default=",".join(TARGETS))
    args = ap.parse_args(argv)
    print(f"load average at start: {os.getloadavg()[0]:.2f} (2 cores); best of {args.repeat} runs")
    print(f"{'format':<28}{'lines':>9}{'MB':>8}{'wall s':>9}{'cpu s':>8}{'lines/s':>11}{'target':>9}  met")
    rows = [measure(f, args.lines, args.repeat) for f in args.formats.split(",")]
    if "ofx" in args.formats:
        rows += [measure_ofxparse(n) for n in (2_000, 5_000)]
    for m in rows:
        target = TARGETS.get(m.name)
        met = "" if target is None else ("yes" if m.lines_per_second >= target else "NO")
        print(
            f"{m.name:<28}{m.lines:>9,}{m.megabytes:>8.1f}{m.wall:>9.2f}{m.cpu:>8.2f}"
            f"{m.lines_per_second:>11,.0f}{(f'{target:,}' if target else ''):>9}  {met}"
        )


if __name__ == "__main__":
    main()
