"""A synthetic camt.053.001.02 file of an exact statement-line count, for throughput measurements.

Entries look like what banks send: pretty-printed, full party blocks (name, postal address,
IBAN, tax id, agent BIC), bank transaction codes, unstructured remittance over two lines, some
structured creditor references, reversals, and every 25th entry a batch of three payments (three
lines from one ``Ntry``). Statements of up to 5,000 lines each; every statement's balances
reconcile, so a benchmark run can also assert that nothing was lost.

    python -m benchmarks.synth.camt 100000   # prints lines/s of adapters.banks.formats.camt
"""

from __future__ import annotations

import io
import os
import random
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from statistics import median
from xml.sax.saxutils import escape

from lxml import etree

from adapters.banks.formats.camt import FORMAT

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"
LINES_PER_STATEMENT = 5000
BATCH_EVERY = 25
BATCH_SIZE = 3
_ACCOUNT = "DE89370400440532013000"
_NAMES = ("Nordwind GmbH", "ООО «Ромашка»", "Müller & Söhne KG", "Atlas Trading B.V.", "ИП Полюс", "Zeta Ltd")


def _party(role: str, rng: random.Random, serial: int) -> str:
    name = escape(rng.choice(_NAMES) + f" {serial % 500}")
    return (
        f"          <{role}>\n"
        f"            <Nm>{name}</Nm>\n"
        f"            <PstlAdr><StrtNm>Hauptstrasse {serial % 90 + 1}</StrtNm><TwnNm>Berlin</TwnNm>"
        f"<Ctry>DE</Ctry></PstlAdr>\n"
        f"            <Id><OrgId><Othr><Id>{7700000000 + serial % 99991}</Id>"
        f"<SchmeNm><Cd>TXID</Cd></SchmeNm></Othr></OrgId></Id>\n"
        f"          </{role}>\n"
        f"          <{role}Acct><Id><IBAN>DE{serial % 89 + 10:02d}500105170{serial:011d}</IBAN></Id></{role}Acct>\n"
    )


def _tx(rng: random.Random, amount: Decimal, credit: bool, serial: int, with_amount: bool) -> str:
    role = "Dbtr" if credit else "Cdtr"
    amount_xml = f'        <AmtDtls><TxAmt><Amt Ccy="EUR">{amount:.2f}</Amt></TxAmt></AmtDtls>\n' if with_amount else ""
    if serial % 7 == 0:
        remittance = (
            "          <Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp>"
            f"<Ref>RF18INV{serial:08d}</Ref></CdtrRefInf></Strd>\n"
        )
    else:
        remittance = (
            f"          <Ustrd>Invoice INV-{serial:07d} of {rng.randint(1, 28):02d}.03.2026,</Ustrd>\n"
            f"          <Ustrd>contract {serial % 300}/2025, customer {serial % 977}</Ustrd>\n"
        )
    return (
        "      <TxDtls>\n"
        f"        <Refs><InstrId>I{serial:010d}</InstrId><EndToEndId>E2E-{serial:010d}</EndToEndId></Refs>\n"
        f"{amount_xml}"
        "        <RltdPties>\n"
        f"{_party(role, rng, serial)}"
        "        </RltdPties>\n"
        f"        <RltdAgts><{role}Agt><FinInstnId><BIC>COBADEFFXXX</BIC></FinInstnId></{role}Agt></RltdAgts>\n"
        f"        <RmtInf>\n{remittance}        </RmtInf>\n"
        "      </TxDtls>\n"
    )


def _entry(rng: random.Random, on: date, serial: int, n_lines: int) -> tuple[str, Decimal]:
    """One ``Ntry`` yielding ``n_lines`` statement lines; returns (xml, signed amount)."""
    credit = rng.random() < 0.6
    reversal = n_lines == 1 and rng.random() < 0.02
    amounts = [Decimal(rng.randint(100, 5_000_000)) / 100 for _ in range(n_lines)]
    total = sum(amounts, Decimal(0))
    indicator = "CRDT" if credit else "DBIT"
    family = "RCDT/ESCT" if credit else "ICDT/ESCT"
    txs = "".join(_tx(rng, a, credit != reversal, serial * 10 + i, n_lines > 1) for i, a in enumerate(amounts))
    batch = (
        f'      <Btch><NbOfTxs>{n_lines}</NbOfTxs><TtlAmt Ccy="EUR">{total:.2f}</TtlAmt></Btch>\n'
        if n_lines > 1
        else ""
    )
    xml = (
        "  <Ntry>\n"
        f'    <Amt Ccy="EUR">{total:.2f}</Amt>\n'
        f"    <CdtDbtInd>{indicator}</CdtDbtInd>\n"
        + ("    <RvslInd>true</RvslInd>\n" if reversal else "")
        + "    <Sts>BOOK</Sts>\n"
        f"    <BookgDt><Dt>{on.isoformat()}</Dt></BookgDt>\n"
        f"    <ValDt><Dt>{(on + timedelta(days=rng.randint(0, 2))).isoformat()}</Dt></ValDt>\n"
        f"    <AcctSvcrRef>ASR{serial:012d}</AcctSvcrRef>\n"
        f"    <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>{family.split('/')[0]}</Cd>"
        f"<SubFmlyCd>{family.split('/')[1]}</SubFmlyCd></Fmly></Domn></BkTxCd>\n"
        "    <NtryDtls>\n"
        f"{batch}{txs}"
        "    </NtryDtls>\n"
        "  </Ntry>\n"
    )
    return xml, total if credit else -total


def _balance(code: str, value: Decimal, on: date) -> str:
    indicator = "DBIT" if value < 0 else "CRDT"
    return (
        f"  <Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>"
        f'<Amt Ccy="EUR">{abs(value):.2f}</Amt><CdtDbtInd>{indicator}</CdtDbtInd>'
        f"<Dt><Dt>{on.isoformat()}</Dt></Dt></Bal>\n"
    )


def generate(n_lines: int, seed: int = 1) -> bytes:
    """A camt.053 document that parses to exactly ``n_lines`` statement lines."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        f'<Document xmlns="{NAMESPACE}">\n<BkToCstmrStmt>\n',
        "<GrpHdr><MsgId>SYNTH-1</MsgId><CreDtTm>2026-04-01T08:00:00</CreDtTm></GrpHdr>\n",
    ]
    balance = Decimal("100000.00")
    day = date(2026, 1, 1)
    serial = 0
    remaining = n_lines
    statement_no = 0
    while remaining > 0 or statement_no == 0:
        statement_no += 1
        budget = min(remaining, LINES_PER_STATEMENT)
        remaining -= budget
        entries: list[str] = []
        opening = balance
        first_day = day
        while budget > 0:
            serial += 1
            size = BATCH_SIZE if serial % BATCH_EVERY == 0 and budget >= BATCH_SIZE else 1
            xml, signed = _entry(rng, day, serial, size)
            entries.append(xml)
            balance += signed
            budget -= size
            if serial % 40 == 0:
                day += timedelta(days=1)
        parts.append(
            f"<Stmt>\n  <Id>SYNTH-{statement_no}</Id>\n"
            f"  <CreDtTm>{day.isoformat()}T20:00:00</CreDtTm>\n"
            f"  <FrToDt><FrDtTm>{first_day.isoformat()}T00:00:00</FrDtTm>"
            f"<ToDtTm>{day.isoformat()}T23:59:59</ToDtTm></FrToDt>\n"
            f"  <Acct><Id><IBAN>{_ACCOUNT}</IBAN></Id><Ccy>EUR</Ccy></Acct>\n"
            + _balance("OPBD", opening, first_day)
            + _balance("CLBD", balance, day)
        )
        parts.extend(entries)
        parts.append("</Stmt>\n")
        day += timedelta(days=1)
    parts.append("</BkToCstmrStmt>\n</Document>\n")
    return "".join(parts).encode("utf-8")


def main(argv: list[str]) -> None:
    """Generate, parse, and print the throughput (best and median of three runs, wall and CPU).

    CPU time (``time.process_time``) is printed beside wall time because the machines this runs
    on are shared: wall time then measures the neighbours as much as the parser.
    """
    n_lines = int(argv[1]) if len(argv) > 1 else 100_000
    data = generate(n_lines)
    walls: list[float] = []
    cpus: list[float] = []
    floors: list[float] = []
    load = os.getloadavg()[0]
    for _ in range(3):
        wall, cpu = time.perf_counter(), time.process_time()
        parsed = FORMAT.parse(data, "synthetic.camt053.xml")
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - wall)
        floors.append(_iterparse_floor(data))
    lines = sum(len(s.lines) for s in parsed.statements)
    gaps = [s.balance_gap() for s in parsed.statements]
    print(
        f"{lines} lines in {len(parsed.statements)} statements, {len(data) / 1e6:.1f} MB, load {load:.2f}: "
        f"CPU best {min(cpus):.2f}s ({lines / min(cpus):,.0f} lines/s), median {median(cpus):.2f}s; "
        f"wall best {min(walls):.2f}s ({lines / min(walls):,.0f} lines/s), median {median(walls):.2f}s; "
        f"balance gaps: {sorted(set(map(str, gaps)))}; bare lxml iterparse of the same bytes (CPU): "
        f"{min(floors):.2f}s (ratio {min(cpus) / min(floors):.1f}x)"
    )


def _iterparse_floor(data: bytes) -> float:
    """CPU seconds lxml needs merely to stream the entries (no reading): the yardstick on this machine."""
    start = time.process_time()
    for _event, elem in etree.iterparse(io.BytesIO(data), events=("end",), tag="{*}Ntry"):
        elem.clear()
    return time.process_time() - start


if __name__ == "__main__":
    main(sys.argv)
