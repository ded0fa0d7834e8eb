"""The company the production benchmark works on: partners, invoices, and payments that settle them.

The same columns as ``../shared/bench/gen_bench.py`` (the CSV ``sverka import-invoices`` reads, a
CAMT.053 entry with the payer's name, INN and account, our bank reference and a purpose naming the
invoice), but generated directly in the shapes the benchmark sends: a CSV for the bulk import, JSON
items for ``POST /v1/invoices/bulk``, and small CAMT statements paying chosen invoices in full, so
the matcher settles each line automatically (exact reference, exact amount, known payer).
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

OUR_ACCOUNT = "40702810938000012345"
CSV_COLUMNS = (
    "invoice_no", "invoice_date", "due_date", "amount", "currency", "contract_no", "contract_date",
    "partner_name", "partner_inn", "partner_kpp", "partner_account", "direction",
)  # fmt: skip


def inn10(rng: random.Random) -> str:
    """A 10-digit INN with a valid check digit."""
    digits = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(8)]
    weights = [2, 4, 10, 3, 5, 9, 4, 6, 8]
    return "".join(map(str, [*digits, sum(a * b for a, b in zip(digits, weights, strict=True)) % 11 % 10]))


@dataclass(frozen=True, slots=True)
class BenchPartner:
    name: str
    inn: str
    account: str


@dataclass(frozen=True, slots=True)
class BenchInvoice:
    number: str
    amount: Decimal
    invoice_date: date
    contract_no: str
    partner: BenchPartner

    def as_item(self) -> dict[str, Any]:
        """The ``InvoiceIn`` shape of the API (and the CSV's columns)."""
        p = self.partner
        return {
            "invoice_no": self.number,
            "invoice_date": self.invoice_date.isoformat(),
            "due_date": (self.invoice_date + timedelta(days=30)).isoformat(),
            "amount": f"{self.amount:.2f}",
            "currency": "RUB",
            "contract_no": self.contract_no,
            "contract_date": date(2026, 1, 1).isoformat(),
            "partner_name": p.name,
            "partner_inn": p.inn,
            "partner_kpp": p.inn[:4] + "01001",
            "partner_account": p.account,
            "direction": "receivable",
        }


def make_invoices(count: int, partners: int, *, prefix: str, seed: int) -> list[BenchInvoice]:
    """``count`` receivables spread over ``partners`` partners, numbers ``{prefix}-000001``…"""
    rng = random.Random(seed)  # noqa: S311 - synthetic data
    seen: set[str] = set()
    people: list[BenchPartner] = []
    while len(people) < partners:
        inn = inn10(rng)
        if inn in seen:
            continue
        seen.add(inn)
        n = len(people)
        people.append(BenchPartner(f'ООО "{prefix} Партнёр {n}"', inn, f"40702810{rng.randint(0, 10**12 - 1):012d}"))
    out = []
    for n in range(1, count + 1):
        partner = people[n % partners]
        out.append(
            BenchInvoice(
                number=f"{prefix}-{n:06d}",
                amount=Decimal(rng.randint(1_000_00, 500_000_00)) / 100,
                invoice_date=date(2026, 1, 1) + timedelta(days=n % 300),
                contract_no=f"{prefix}/{n % (partners * 3)}",
                partner=partner,
            )
        )
    return out


def write_invoices_csv(invoices: list[BenchInvoice], path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for inv in invoices:
            writer.writerow(inv.as_item())
    return path


def payments_statement(invoices: list[BenchInvoice], *, statement_id: str, ref_prefix: str) -> tuple[bytes, list[str]]:
    """A CAMT.053 statement with one credit line paying each invoice in full; and the lines' bank refs."""
    refs = [f"{ref_prefix}{n:06d}" for n in range(len(invoices))]
    entries = []
    for ref, inv in zip(refs, invoices, strict=True):
        p = inv.partner
        day = date(2026, 11, 2).isoformat()
        entries.append(
            f'<Ntry><Amt Ccy="RUB">{inv.amount:.2f}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>'
            f"<BookgDt><Dt>{day}</Dt></BookgDt><ValDt><Dt>{day}</Dt></ValDt><AcctSvcrRef>{ref}</AcctSvcrRef>"
            f"<NtryDtls><TxDtls><Refs><EndToEndId>{ref}</EndToEndId></Refs><RltdPties>"
            f"<Dbtr><Nm>{escape(p.name)}</Nm><Id><OrgId><Othr><Id>{p.inn}</Id><SchmeNm><Cd>TXID</Cd></SchmeNm>"
            f"</Othr></OrgId></Id></Dbtr><DbtrAcct><Id><Othr><Id>{p.account}</Id></Othr></Id></DbtrAcct></RltdPties>"
            f"<RmtInf><Ustrd>Оплата по счету {inv.number} по договору {escape(inv.contract_no)}, "
            f"в т.ч. НДС</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"
        )
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>'
        f"<GrpHdr><MsgId>{statement_id}</MsgId><CreDtTm>2026-11-02T09:00:00</CreDtTm></GrpHdr>"
        f"<Stmt><Id>{statement_id}</Id><CreDtTm>2026-11-02T09:00:00</CreDtTm>"
        f"<Acct><Id><Othr><Id>{OUR_ACCOUNT}</Id></Othr></Id><Ccy>RUB</Ccy></Acct>"
        + "".join(entries)
        + "</Stmt></BkToCstmrStmt></Document>"
    )
    return body.encode(), refs
