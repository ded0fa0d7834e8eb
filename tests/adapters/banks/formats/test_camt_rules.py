"""Per-shape line rules (``camt_rules``) give exactly the lines ``lines_of_entry`` gives.

Each document is read by the fast reader twice — with the rules, and with rule compilation
switched off so every entry goes through ``lines_of_entry`` — and both answers must be equal
(``repr`` included: detail order, Decimal exponent), and equal to the streaming reader's. The
documents are entries of many layouts (parties wrapped or not, tax-id schemes, clearing ids,
placeholder references, statuses, reversals, dates as date-times, purposes from every source),
generated statements, the corpus and mutated copies of it; the tests also count that the rules
did read entries, so the comparison is not vacuous.
"""

from __future__ import annotations

import random

import pytest

from adapters.banks.base import ParsedStatement
from adapters.banks.formats import camt_shapes
from adapters.banks.formats.camt_fast import read_statements
from adapters.banks.formats.camt_rules import BatchRule, LineRule
from benchmarks.synth.camt import generate
from tests.adapters.banks.formats.test_camt import document, entry
from tests.adapters.banks.formats.test_camt_fast import CORPUS, _mutate, _same_statements, agree, xml_documents

OWN = "DE89370400440532013000"


@pytest.fixture
def rule_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Counts the entries the rules read ("line" for single entries, "batch" for batches)."""
    calls: list[str] = []
    for cls, method, kind in ((LineRule, "line", "line"), (BatchRule, "lines", "batch")):
        real = getattr(cls, method)

        def counting(self, *args, _real=real, _kind=kind, **kwargs):  # type: ignore[no-untyped-def]
            calls.append(_kind)
            return _real(self, *args, **kwargs)

        monkeypatch.setattr(cls, method, counting)
    return calls


def without_rules(data: bytes) -> list[ParsedStatement] | None:
    """The fast reader's answer with every entry read by ``lines_of_entry``."""
    real = camt_shapes.compile_rule
    camt_shapes.compile_rule = lambda *_args: None  # type: ignore[assignment]
    try:
        return read_statements(data)
    finally:
        camt_shapes.compile_rule = real


def rules_agree(data: bytes) -> bool:
    """True when the fast reader answered; asserts it equals itself without rules, and the streaming reader."""
    with_rules = read_statements(data)
    plain = without_rules(data)
    assert (with_rules is None) == (plain is None)
    if with_rules is None or plain is None:
        return False
    _same_statements(with_rules, plain)
    assert agree(data)
    return True


def party(role: str, body: str, acct: str = "") -> str:
    account = f"<{role}Acct><Id>{acct}</Id></{role}Acct>" if acct else ""
    return f"<{role}>{body}</{role}>{account}" if body else account


def org_ids(*pairs: tuple[str, str]) -> str:
    others = "".join(f"<Othr><Id>{value}</Id><SchmeNm>{scheme}</SchmeNm></Othr>" for value, scheme in pairs)
    return f"<Id><OrgId>{others}</OrgId></Id>"


def agents(role: str, inner: str) -> str:
    return f"<RltdAgts><{role}Agt><FinInstnId>{inner}</FinInstnId></{role}Agt></RltdAgts>"


def one_tx(parties: str = "", refs: str = "", rmt: str = "", tail: str = "") -> str:
    """One TxDtls without empty elements (``<Refs></Refs>`` is not how lxml writes one back,
    so no shape would read it and the rules would not be exercised)."""
    parts = (("Refs", refs), ("RltdPties", parties), ("RmtInf", rmt))
    body = "".join(f"<{name}>{inner}</{name}>" for name, inner in parts if inner)
    return f"<NtryDtls><TxDtls>{body}{tail}</TxDtls></NtryDtls>"


LAYOUTS = [
    entry("1.00", "CRDT"),
    entry("2.00", "DBIT", details="<AddtlNtryInf>entry info</AddtlNtryInf>"),
    entry("0.00", "DBIT", details=one_tx(refs="<EndToEndId>NOTPROVIDED</EndToEndId>")),
    entry(".50", "CRDT", extra="<RvslInd>true</RvslInd>", details=one_tx(party("Dbtr", "<Nm>Payer</Nm>"))),
    entry("3.10", "DBIT", extra="<RvslInd>1</RvslInd>", details=one_tx(party("Cdtr", "<Nm>Payee</Nm>"))),
    entry("4", "CRDT", status="<Sts><Cd>PDNG</Cd></Sts>", details=one_tx(rmt="<Ustrd>one</Ustrd><Ustrd>two</Ustrd>")),
    entry("5.5", "CRDT", status="<Sts>info</Sts>"),
    entry("6.00", "CRDT", status="<Sts><Prtry>X</Prtry></Sts>"),
    entry("7.00", "CRDT", status=""),
    entry(
        "8.00",
        "CRDT",
        details=one_tx(
            party("Dbtr", "<Nm>A &amp; B</Nm>" + org_ids(("7700", "<Cd>TXID</Cd>")), "<IBAN>DE02</IBAN>")
            + party("Cdtr", "<Nm>Us</Nm>", f"<IBAN>{OWN}</IBAN>"),
            refs="<AcctSvcrRef>TXREF</AcctSvcrRef><EndToEndId>E2E</EndToEndId><InstrId>I</InstrId>",
            rmt="<Strd><CdtrRefInf><Ref>RF18</Ref></CdtrRefInf><RfrdDocInf><Nb>N1</Nb></RfrdDocInf></Strd>",
            tail="<AddtlTxInf>tx info</AddtlTxInf>" + agents("Dbtr", "<BICFI>BANKDEFF</BICFI><Nm>Bank</Nm>"),
        ),
    ),
    entry(
        "9.00",
        "DBIT",
        details=one_tx(
            party("Cdtr", "<Pty><Nm>Wrapped</Nm>" + org_ids(("1", "<Prtry>inn</Prtry>")) + "</Pty>"),
            tail="<AddtlTxInf>only tx info</AddtlTxInf>"
            + agents(
                "Cdtr",
                "<BIC>OLDBIC</BIC><ClrSysMmbId><ClrSysId><Cd>RUCBC</Cd></ClrSysId><MmbId>044525225</MmbId></ClrSysMmbId>",
            ),
        ),
    ),
    entry(
        "10.00",
        "CRDT",
        details=one_tx(
            party("Dbtr", org_ids(("C1", "<Cd>CUST</Cd>"), ("V1", "<Cd>vat</Cd>")))
            + party("Cdtr", "<Nm>Other</Nm>", "<Othr><Id>ACC-9</Id></Othr>"),
            tail=agents("Dbtr", "<ClrSysMmbId><ClrSysId><Cd>USABA</Cd></ClrSysId><MmbId>1</MmbId></ClrSysMmbId>"),
        ),
    ),
    entry(
        "11.00",
        "CRDT",
        details=one_tx(party("Cdtr", "<Nm>Only the creditor</Nm>", f"<IBAN>{OWN}</IBAN>"))
        + "<AddtlNtryInf>fallback</AddtlNtryInf>",
    ),
    entry(
        "12.00",
        "DBIT",
        details=one_tx(
            party("Dbtr", "<Pty><Nm>P</Nm></Pty>" + org_ids(("2", "<Cd>TAX</Cd>")))
            + "<UltmtDbtr><Nm>U</Nm></UltmtDbtr>",
            refs="<MndtId>M</MndtId><TxId>T</TxId>",
            tail="<RtrInf><Rsn><Cd>AC04</Cd></Rsn></RtrInf>",
        ),
    ),
    entry(
        "13.00",
        "CRDT",
        details="<NtryRef>NONREF</NtryRef><AcctSvcrRef>n/a</AcctSvcrRef>"
        + one_tx(refs="<AcctSvcrRef>NOTPROVIDED</AcctSvcrRef><EndToEndId>E2E-13</EndToEndId>"),
    ),
    entry(
        "14.00",
        "CRDT",
        details="<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn>"
        "<Prtry><Cd>NTRF</Cd></Prtry></BkTxCd><NtryRef>R14</NtryRef>",
    ),
    entry(
        "15.00",
        "CRDT",
        details=one_tx(party("Dbtr", "<Nm>Batch of one</Nm>"), rmt="<Ustrd>u</Ustrd>").replace(
            "<NtryDtls>", "<NtryDtls><Btch><NbOfTxs>1</NbOfTxs><MsgId>B</MsgId></Btch>"
        ),
    ),
]


def batch(*txs: str, btch: str = "") -> str:
    return f"<NtryDtls>{btch}{''.join(f'<TxDtls>{body}</TxDtls>' for body in txs)}</NtryDtls>"


def amount(value: str, ccy: str = "EUR", path: str = "TxAmt") -> str:
    return f'<AmtDtls><{path}><Amt Ccy="{ccy}">{value}</Amt></{path}></AmtDtls>'


def payment(n: int, value: str, *, ref: str = "", role: str = "Dbtr", extra: str = "", amt: str = "") -> str:
    refs = f"<Refs>{f'<AcctSvcrRef>{ref}</AcctSvcrRef>' if ref else ''}<EndToEndId>E{n}</EndToEndId></Refs>"
    parties = f"<RltdPties><{role}><Nm>Party {n}</Nm></{role}></RltdPties>"
    return f"{refs}{amt or amount(value)}{extra}{parties}<RmtInf><Ustrd>invoice {n}</Ustrd></RmtInf>"


# Batches: split (references distinct, repeated, placeholders, from the end-to-end id), kept whole
# (amounts not adding up, a transaction without an amount or in another currency), amounts from
# each place a transaction may carry one, with its own indicator.
BATCHES = [
    entry("3.00", "CRDT", details=batch(payment(1, "1.00", ref="A"), payment(2, "2.00", ref="B"))),
    entry("3.00", "DBIT", details=batch(payment(1, "1.00", ref="A", role="Cdtr"), payment(2, "2.00", ref="A"))),
    entry(
        "3.00", "CRDT", details=batch(payment(1, "1.00"), payment(2, "2.00"), btch="<Btch><NbOfTxs>2</NbOfTxs></Btch>")
    ),
    entry("3.00", "CRDT", details="<AcctSvcrRef>ENTRY</AcctSvcrRef>" + batch(payment(1, "1.00"), payment(2, "2.00"))),
    entry("3.00", "CRDT", details=batch(payment(1, "1.00", ref="NOTPROVIDED"), payment(2, "2.00", ref="X"))),
    entry("4.00", "CRDT", details=batch(payment(1, "1.00"), payment(2, "2.00"))),
    entry("3.00", "CRDT", details=batch(payment(1, "1.00", amt="<AddtlTxInf>none</AddtlTxInf>"), payment(2, "2.00"))),
    entry("3.00", "CRDT", details=batch(payment(1, "1.00", amt=amount("1.00", "USD")), payment(2, "2.00"))),
    entry(
        "3.00",
        "CRDT",
        details=batch(
            payment(1, "", amt=amount("9.99", "USD") + amount("1.00", path="CntrValAmt")),
            payment(2, "", amt='<Amt Ccy="EUR">2.00</Amt>'),
        ),
    ),
    entry(
        "1.00",
        "CRDT",
        details=batch(
            payment(1, "3.00", extra="<CdtDbtInd>CRDT</CdtDbtInd>"),
            payment(2, "2.00", extra="<CdtDbtInd>DBIT</CdtDbtInd>", role="Cdtr"),
        ),
    ),
    entry("0.00", "DBIT", details=batch(payment(1, "0.00"), payment(2, "0"), payment(3, "0.0"))),
    entry(
        "3.00",
        "CRDT",
        extra="<RvslInd>true</RvslInd>",
        details=batch(payment(1, "1.00", ref="R1"), payment(2, "2.00", ref="R2"))
        + "<AddtlNtryInf>entry info</AddtlNtryInf>",
    ),
    entry(
        "5.00",
        "CRDT",
        details=batch(
            payment(1, "2.00").replace("<RmtInf><Ustrd>invoice 1</Ustrd></RmtInf>", ""),
            payment(2, "3.00").replace("<Ustrd>invoice 2</Ustrd>", "<Ustrd>invoice 1</Ustrd>"),
        )
        + "<AddtlNtryInf>entry info</AddtlNtryInf>",
    ),
    # Not adding up: one line, the repeated purpose once.
    entry(
        "6.00",
        "CRDT",
        details=batch(payment(1, "2.00"), payment(2, "3.00").replace("invoice 2", "invoice 1")),
    ),
]


def test_batches_of_every_layout_read_the_same_with_rules(rule_calls: list[str]):
    assert rules_agree(document("".join(BATCHES)))
    assert rule_calls.count("batch") == 2 * len(BATCHES)


@pytest.mark.parametrize("layout", range(len(BATCHES)))
def test_each_batch_alone_reads_the_same_with_rules(layout: int, rule_calls: list[str]):
    assert rules_agree(document(BATCHES[layout]))
    assert "batch" in rule_calls


def test_entries_of_every_layout_read_the_same_with_rules(rule_calls: list[str]):
    data = document("".join(LAYOUTS).replace("<Dt>2026-01-02</Dt>", "<DtTm>2026-01-02T23:10:00-05:00</DtTm>", 3))
    assert rules_agree(data)
    # Each entry was read by a rule, once by rules_agree's own read and once by agree()'s.
    assert len(rule_calls) == 2 * len(LAYOUTS)


@pytest.mark.parametrize("layout", range(len(LAYOUTS)))
def test_each_layout_alone_reads_the_same_with_rules(layout: int, rule_calls: list[str]):
    assert rules_agree(document(LAYOUTS[layout]))
    assert rule_calls


def test_generated_and_corpus_documents_read_the_same_with_rules(rule_calls: list[str]):
    documents = [generate(300, 11), generate(60, 12)] + [data for f in CORPUS for data in xml_documents(f)]
    answered = sum(rules_agree(data) for data in documents)
    assert answered > 20
    assert rule_calls.count("line") > 300
    assert rule_calls.count("batch") > 10


def test_mutated_documents_read_the_same_with_rules(rule_calls: list[str]):
    rng = random.Random(20261208)
    documents = [data for f in CORPUS for data in xml_documents(f)] + [
        generate(12, 9),
        document("".join(LAYOUTS)),
        document("".join(BATCHES)),
    ]
    answered = 0
    for data in documents:
        for _ in range(25):
            answered += rules_agree(_mutate(data, rng))
    assert answered > 200
    assert len(rule_calls) > 500
