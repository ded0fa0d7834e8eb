"""A synthetic MT940 file of an exact line count, for throughput measurements.

The file mixes what slows real parsers down: German ``?NN`` structured ``:86:`` fields wrapped over
two lines, Dutch slash-coded ones, entry dates, reversals and funds codes; every statement's
balances reconcile, so a benchmark run can also assert that nothing was lost.

    python -m benchmarks.synth.mt940 100000   # prints lines/s of adapters.banks.formats.mt940
"""

from __future__ import annotations

import random
import sys
import time
from datetime import date, timedelta
from decimal import Decimal

_OVERHEAD = 6  # :20: :25: :28C: :60F: :62F: -
_MARKS = ("C", "D", "D", "D", "RC", "RD")
_SIGN = {"C": 1, "D": -1, "RC": -1, "RD": 1}


def _amount(value: Decimal) -> str:
    return f"{abs(value):.2f}".replace(".", ",")


def _balance(tag: str, value: Decimal, on: date) -> str:
    return f":{tag}:{'D' if value < 0 else 'C'}{on:%y%m%d}EUR{_amount(value)}"


def _transaction(rng: random.Random, on: date, n_lines: int, serial: int) -> tuple[list[str], Decimal]:
    """One :61: with its :86:, ``n_lines`` long (2 or 3 lines)."""
    mark = rng.choice(_MARKS)
    amount = Decimal(rng.randint(1, 5_000_000)) / 100
    entry = on + timedelta(days=rng.randint(0, 2))
    funds = rng.choice(("", "R"))
    first = f":61:{on:%y%m%d}{entry:%m%d}{mark}{funds}{_amount(amount)}NTRFREF{serial:08d}//B{serial:010d}"
    if n_lines == 2:
        info = [
            f":86:/EREF/E2E{serial}/IBAN/NL{serial % 97:02d}BANK0{serial:09d}/NAME/Customer {serial}/REMI/INV-{serial}"
        ]
    else:
        info = [
            f":86:166?00GUTSCHRIFT?109310?20EREF+E2E{serial}?21SVWZ+Rechnung INV-{serial} vom",
            f" {on:%d.%m.%Y}?30BANKDEFFXXX?31DE{serial % 97:02d}1001{serial:014d}?32Kunde GmbH {serial}",
        ]
    return [first, *info], amount * _SIGN[mark]


def generate(n_lines: int, seed: int = 1) -> bytes:
    """An MT940 file of exactly ``n_lines`` CRLF lines (at least 8), deterministic for a seed."""
    if n_lines < _OVERHEAD + 2:
        raise ValueError(f"an MT940 statement needs at least {_OVERHEAD + 2} lines")
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    out: list[str] = []
    remaining = n_lines
    balance = Decimal("10000.00")
    day = date(2023, 12, 20)  # crosses New Year, so entry dates roll over into the next year
    statement = 0
    serial = 0
    while remaining >= _OVERHEAD + 2:
        statement += 1
        body_budget = min(remaining - _OVERHEAD, rng.randint(40, 160))
        if remaining - _OVERHEAD - body_budget < _OVERHEAD + 2:
            body_budget = remaining - _OVERHEAD  # the last statement takes what is left
        out += [f":20:SYNTH{statement:06d}", ":25:NL91ABNA0417164300EUR", f":28C:{statement:05d}/1"]
        out.append(_balance("60F", balance, day - timedelta(days=1)))
        while body_budget:
            size = 2 if body_budget in (2, 4) or (body_budget != 3 and rng.random() < 0.5) else 3
            serial += 1
            lines, signed = _transaction(rng, day, size, serial)
            out += lines
            balance += signed
            body_budget -= size
        out += [_balance("62F", balance, day), "-"]
        remaining = n_lines - len(out)
        day += timedelta(days=1)
    out += [""] * remaining  # fewer lines left than a statement needs: trailing blank lines banks also send
    return ("\r\n".join(out) + "\r\n").encode("ascii")


def main() -> None:
    from adapters.banks.formats.mt940 import FORMAT

    n_lines = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    data = generate(n_lines)
    # CPU time, not wall time: the benchmark machines are shared, and waiting for a core is not parsing.
    start, cpu_start = time.perf_counter(), time.process_time()
    parsed = FORMAT.parse(data, "synthetic.sta")
    wall, elapsed = time.perf_counter() - start, time.process_time() - cpu_start
    n_entries = sum(len(s.lines) for s in parsed.statements)
    gaps = sum(1 for s in parsed.statements if s.balance_gap())
    print(f"{n_lines} lines, {len(parsed.statements)} statements, {n_entries} entries, {gaps} unreconciled")
    print(f"{elapsed:.3f} s CPU ({wall:.3f} s wall) → {n_lines / elapsed:,.0f} lines/s")


if __name__ == "__main__":
    main()
