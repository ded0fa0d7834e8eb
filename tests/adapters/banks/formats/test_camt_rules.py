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
from adapters.banks.formats.camt_rules import LineRule
from benchmarks.synth.camt import generate
from tests.adapters.banks.formats.test_camt import document, entry
from tests.adapters.banks.formats.test_camt_fast import CORPUS, _mutate, _same_statements, agree, xml_documents

OWN = "DE89370400440532013000"


@pytest.fixture
def rule_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the entries the rules read."""
    calls: list[int] = []
    real = LineRule.line

    def counting(self: LineRule, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(LineRule, "line", counting)
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


def test_entries_of_every_layout_read_the_same_with_rules(rule_calls: list[int]):
    data = document("".join(LAYOUTS).replace("<Dt>2026-01-02</Dt>", "<DtTm>2026-01-02T23:10:00-05:00</DtTm>", 3))
    assert rules_agree(data)
    # Each entry was read by a rule, once by rules_agree's own read and once by agree()'s.
    assert len(rule_calls) == 2 * len(LAYOUTS)


@pytest.mark.parametrize("layout", range(len(LAYOUTS)))
def test_each_layout_alone_reads_the_same_with_rules(layout: int, rule_calls: list[int]):
    assert rules_agree(document(LAYOUTS[layout]))
    assert rule_calls


def test_generated_and_corpus_documents_read_the_same_with_rules(rule_calls: list[int]):
    documents = [generate(300, 11), generate(60, 12)] + [data for f in CORPUS for data in xml_documents(f)]
    answered = sum(rules_agree(data) for data in documents)
    assert answered > 20
    assert len(rule_calls) > 300


def test_mutated_documents_read_the_same_with_rules(rule_calls: list[int]):
    rng = random.Random(20261208)
    documents = [data for f in CORPUS for data in xml_documents(f)] + [
        generate(12, 9),
        document("".join(LAYOUTS)),
    ]
    answered = 0
    for data in documents:
        for _ in range(25):
            answered += rules_agree(_mutate(data, rng))
    assert answered > 200
    assert len(rule_calls) > 500
