"""Synthetic Knab CSV exports for throughput measurements of the CSV adapter.

Knab's layout (shipped profile ``nl-knab``) is the demanding kind: every cell quoted, a
preamble line, decimal comma, a C/D indicator and 17 columns. Deterministic for a seed.

Run ``python -m benchmarks.synth.csv [n_lines]`` to print lines per second.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import date, timedelta

_HEADER = (
    "Rekeningnummer;Transactiedatum;Valutacode;CreditDebet;Bedrag;Tegenrekeningnummer;"
    "Tegenrekeninghouder;Valutadatum;Betaalwijze;Omschrijving;Type betaling;Machtigingsnummer;"
    "Incassant ID;Adres;Referentie;Boekdatum;"
)
_NAMES = ("Gert Janssen", "Bakkerij De Vries BV", "Stichting Noord", "M JANSSEN", "Energie Direct NV")
_METHODS = ("Overboeking", "Ontvangen betaling", "Incasso", "iDEAL")


def generate(n_lines: int, seed: int = 1) -> bytes:
    """A Knab export with ``n_lines`` transactions (UTF-8, LF line ends)."""
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    start = date(2024, 1, 1)
    out = ["KNAB EXPORT" + ";" * 16, _HEADER]
    for i in range(n_lines):
        booked = start + timedelta(days=i * 365 // max(n_lines, 1))
        cents = rng.randint(1, 5_000_000)
        amount = f"{cents // 100},{cents % 100:02d}"
        side = "C" if rng.random() < 0.4 else "D"
        day = booked.strftime("%d-%m-%Y")
        counter_iban = f"NL{rng.randint(10, 99)}RABO{rng.randint(0, 9_999_999_999):010d}"
        purpose = f"Factuur {rng.randint(10_000, 99_999)}"
        cells = (
            "NL99KNAB9999999999",
            day,
            "EUR",
            side,
            amount,
            counter_iban,
            rng.choice(_NAMES),
            day,
            rng.choice(_METHODS),
            purpose,
            "",
            "",
            "",
            "",
            f"B{i:015X}",
            day,
        )
        out.append(";".join(f'"{c}"' for c in cells) + ";")
    return ("\n".join(out) + "\n").encode("utf-8")


def _main() -> None:  # pragma: no cover - manual benchmark entry point
    from adapters.banks.formats.csvfile import FORMAT

    n_lines = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    data = generate(n_lines)
    started = time.process_time()
    parsed = FORMAT.parse(data, "bench.csv")
    elapsed = time.process_time() - started  # CPU time: the benchmark box is shared
    count = sum(len(s.lines) for s in parsed.statements)
    print(f"{count} lines, {len(data) / 1e6:.1f} MB in {elapsed:.2f}s: {count / elapsed:,.0f} lines/s")


if __name__ == "__main__":
    _main()
