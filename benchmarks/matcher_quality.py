"""How well the matcher settles a labelled world: precision, recall, suggestion hits, time.

Runs ``shared/bench/gen_bench.py`` into a temporary directory, turns its CAMT statement into
``PaymentLine``s and its ``invoices.csv`` into ``OpenInvoice``s and ``PartnerFacts``, runs
``match_lines`` once over everything, writes the allocations export
(``bank_ref,invoice_no,amount,kind,confidence``) and prints ``score.py``'s verdict on it.

    .venv/bin/python benchmarks/matcher_quality.py --seed 1 [--invoices 5000 --partners 300]

The statement is read with Sverka's own CAMT adapter when it is available, else with a minimal
lxml reader here (the benchmark measures the matcher, not the parser).
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from services.reconciler.matching.engine import match_lines  # noqa: E402
from services.reconciler.matching.types import (  # noqa: E402
    Decision,
    Direction,
    OpenInvoice,
    PartnerFacts,
    PaymentLine,
)

BENCH_DIRS = (REPO.parent / "shared" / "bench", REPO / "shared" / "bench", Path("/work/shared/bench"))


@dataclass(frozen=True, slots=True)
class _Line:
    bank_ref: str
    amount: Decimal
    currency: str
    booking_date: date | None
    name: str | None
    account: str | None
    tax_id: str | None
    purpose: str | None


def _bench_dir() -> Path:
    for d in BENCH_DIRS:
        if (d / "gen_bench.py").exists():
            return d
    raise SystemExit("gen_bench.py not found (looked in shared/bench beside the repo)")


def _minor(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def _read_with_adapter(path: Path) -> list[_Line] | None:
    try:
        from adapters.banks.formats import parse_path
        from adapters.banks.formats.camt import FORMAT  # noqa: F401  (only to know it exists)
    except ImportError:
        return None
    parsed = parse_path(path, max_bytes=max(path.stat().st_size, 1) + 1)  # the big world is a large file
    return [
        _Line(
            ln.bank_ref or "",
            ln.amount,
            ln.currency,
            ln.booking_date,
            ln.counterparty_name,
            ln.counterparty_account,
            ln.counterparty_tax_id,
            ln.purpose,
        )
        for st in parsed.statements
        for ln in st.lines
    ]


def _read_with_lxml(path: Path) -> list[_Line]:
    from lxml import etree

    ns = {"c": "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"}
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    root = etree.parse(str(path), parser).getroot()
    out: list[_Line] = []
    for e in root.iterfind(".//c:Ntry", ns):
        amt_el = e.find("c:Amt", ns)
        if amt_el is None or not amt_el.text:
            raise SystemExit("statement entry without an amount")
        amount = Decimal(amt_el.text)
        credit = e.findtext("c:CdtDbtInd", namespaces=ns) == "CRDT"
        party = "Dbtr" if credit else "Cdtr"
        pt = f".//c:RltdPties/c:{party}"
        day = e.findtext("c:BookgDt/c:Dt", namespaces=ns)
        out.append(
            _Line(
                bank_ref=e.findtext("c:AcctSvcrRef", namespaces=ns) or "",
                amount=amount if credit else -amount,
                currency=amt_el.get("Ccy", ""),
                booking_date=date.fromisoformat(day) if day else None,
                name=e.findtext(f"{pt}/c:Nm", namespaces=ns),
                account=e.findtext(f".//c:RltdPties/c:{party}Acct/c:Id/c:Othr/c:Id", namespaces=ns),
                tax_id=e.findtext(f"{pt}/c:Id/c:OrgId/c:Othr/c:Id", namespaces=ns),
                purpose=e.findtext(".//c:RmtInf/c:Ustrd", namespaces=ns),
            )
        )
    return out


def _read_invoices(path: Path) -> tuple[list[OpenInvoice], list[PartnerFacts], dict[int, str]]:
    partners: dict[str, PartnerFacts] = {}
    contracts: dict[str, int] = {}
    invoices: list[OpenInvoice] = []
    numbers: dict[int, str] = {}
    with path.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            inn = row["partner_inn"]
            if inn not in partners:
                partners[inn] = PartnerFacts(len(partners) + 1, row["partner_name"], (inn,), (row["partner_account"],))
            amount = _minor(Decimal(row["amount"]))
            inv_id = len(invoices) + 1
            contract_key = f"{inn}/{row['contract_no']}"
            contract_id = contracts.setdefault(contract_key, len(contracts) + 1)
            direction: Direction = "payable" if row["direction"] == "payable" else "receivable"
            invoices.append(
                OpenInvoice(
                    id=inv_id,
                    number=row["invoice_no"],
                    direction=direction,
                    partner_id=partners[inn].id,
                    amount_minor=amount,
                    outstanding_minor=amount,
                    currency=row["currency"],
                    invoice_date=date.fromisoformat(row["invoice_date"]),
                    due_date=date.fromisoformat(row["due_date"]),
                    contract_id=contract_id,
                    contract_number=row["contract_no"],
                )
            )
            numbers[inv_id] = row["invoice_no"]
    return invoices, list(partners.values()), numbers


def _write_allocations(path: Path, decisions: list[Decision], refs: dict[int, str], numbers: dict[int, str]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["bank_ref", "invoice_no", "amount", "kind", "confidence"])
        for d in decisions:
            for a in d.allocations:
                w.writerow(
                    [
                        refs[d.line_id],
                        numbers[a.invoice_id],
                        f"{Decimal(a.amount_minor) / 100:.2f}",
                        "auto",
                        f"{d.confidence:.2f}",
                    ]
                )
            for s in d.suggestions:
                w.writerow(
                    [
                        refs[d.line_id],
                        numbers[s.invoice_id],
                        f"{Decimal(s.amount_minor) / 100:.2f}",
                        "suggested",
                        f"{s.confidence:.2f}",
                    ]
                )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--invoices", type=int, default=5000)
    ap.add_argument("--partners", type=int, default=300)
    ap.add_argument("--keep", type=Path, help="write the world and allocations here instead of a temp dir")
    a = ap.parse_args()
    bench = _bench_dir()
    with tempfile.TemporaryDirectory(prefix="matcher-quality-") as tmp:
        out = a.keep or Path(tmp)
        subprocess.run(  # noqa: S603  (our interpreter, our scripts)
            [
                sys.executable,
                str(bench / "gen_bench.py"),
                "--out",
                str(out),
                "--seed",
                str(a.seed),
                "--invoices",
                str(a.invoices),
                "--partners",
                str(a.partners),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        t0 = time.perf_counter()
        raw = _read_with_adapter(out / "statement.xml")
        reader = "adapters.banks.formats.camt"
        if raw is None:
            raw = _read_with_lxml(out / "statement.xml")
            reader = "lxml (benchmark's own reader)"
        invoices, partners, numbers = _read_invoices(out / "invoices.csv")
        t1 = time.perf_counter()
        lines = [
            PaymentLine(
                id=i,
                amount_minor=_minor(r.amount),
                currency=r.currency,
                booking_date=r.booking_date,
                counterparty_name=r.name,
                counterparty_account=r.account,
                counterparty_tax_id=r.tax_id,
                purpose=r.purpose,
            )
            for i, r in enumerate(raw)
        ]
        refs = {i: r.bank_ref for i, r in enumerate(raw)}
        t2 = time.perf_counter()
        cpu = time.process_time()
        decisions = match_lines(lines, invoices, partners)
        cpu = time.process_time() - cpu
        t3 = time.perf_counter()
        alloc_path = out / "allocations.csv"
        _write_allocations(alloc_path, decisions, refs, numbers)
        outcomes = {k: sum(1 for d in decisions if d.outcome == k) for k in ("auto", "suggest", "none")}
        print(
            f"statement read with {reader}: {len(lines)} lines, {len(invoices)} invoices, "
            f"{len(partners)} partners; load {t1 - t0:.2f}s"
        )
        print(
            f"match_lines: {t3 - t2:.2f}s wall, {cpu:.2f}s CPU ({len(lines) / max(cpu, 1e-9):.0f} lines/CPU-s); "
            f"outcomes {outcomes}"
        )
        sys.stdout.flush()
        subprocess.run([sys.executable, str(bench / "score.py"), str(out / "truth.csv"), str(alloc_path)], check=True)  # noqa: S603


if __name__ == "__main__":
    main()
