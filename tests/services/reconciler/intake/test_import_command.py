"""``sverka import-statement FILE…``: every file on its own, in the order given.

The command reads the next file while it stores one (services/reconciler/cli.py); what a person
sees must not show it: each file lands whole or not at all in its own transaction, a later file's
lines that an earlier one stored are its duplicates, and the outcomes are reported in the order
the files were named.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from tests.cli import sverka
from tests.onec_files import PaymentOrder, exchange_file

OURS = "40702810900000000001"


def _orders(first: int, count: int) -> list[PaymentOrder]:
    return [
        PaymentOrder(
            number=str(n),
            day=date(2026, 3, n),
            amount=f"{n}00.00",
            purpose=f"Оплата по счету {n}",
            payer_name="ООО Ромашка",
            payer_inn="7701234567",
            payer_account="40702810500000000077",
        )
        for n in range(first, first + count)
    ]


def test_files_are_stored_one_by_one_in_the_order_given_and_a_bad_one_stops_only_itself(
    database_url: str, tmp_path: Path
) -> None:
    first = tmp_path / "1-march-first-week.txt"
    first.write_bytes(exchange_file(OURS, _orders(1, 3)))
    broken = tmp_path / "2-broken.txt"
    mended = exchange_file(OURS, _orders(10, 2))
    broken.write_bytes(mended.replace("Сумма=1100.00".encode("cp1251"), "Сумма=11OO.00".encode("cp1251")))
    missing = tmp_path / "3-never-saved.txt"
    overlapping = tmp_path / "4-march-first-fortnight.txt"  # the first week again, and four days more
    overlapping.write_bytes(exchange_file(OURS, _orders(1, 7)))

    run = sverka("import-statement", *map(str, (first, broken, missing, overlapping)), database_url=database_url)

    assert run.code == 1
    summary = run.json()
    assert [(Path(f["file"]).name, f["new"], f["duplicates"]) for f in summary["files"]] == [
        (first.name, 3, 0),
        (overlapping.name, 4, 3),
    ]
    assert [Path(r["file"]).name for r in summary["rejected"]] == [broken.name, missing.name]
    assert "line 22" in summary["rejected"][0]["error"]
    assert "cannot read file" in summary["rejected"][1]["error"]
    reported = [line for line in run.stderr.splitlines() if line.startswith("sverka: rejected")]
    assert [str(broken) in reported[0], str(missing) in reported[1]] == [True, True]

    broken.write_bytes(mended)
    again = sverka("import-statement", str(broken), database_url=database_url).json()
    assert (again["new"], again["duplicates"]) == (2, 0), "nothing of the broken file was stored"
