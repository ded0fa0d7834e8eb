"""ISO 20022 CAMT (camt.052/053/054): what a statement file must turn into.

Small documents written inline pin single rules; the third-party corpus (``fixtures/camt``) is
walked entry by entry in ``test_camt_conformance.py``.
"""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest

from adapters.banks.base import ParseError
from adapters.banks.formats import camt_zip, parse_bytes
from adapters.banks.formats.camt import FORMAT
from benchmarks.synth.camt import generate
from tests.fixture_corpus import FIXTURES_DIR

NS53 = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"


def document(
    body: str, *, ns: str = NS53, wrapper: str = "BkToCstmrStmt", report: str = "Stmt", header: str = ""
) -> bytes:
    """A minimal CAMT document around ``body`` (the entries and balances of one report)."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="{ns}"><{wrapper}>'
        "<GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-01-02T10:00:00</CreDtTm></GrpHdr>"
        f"<{report}><Id>S1</Id>{header}"
        "<Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>"
        f"{body}</{report}></{wrapper}></Document>"
    ).encode()


def balance(code: str, amount: str, indicator: str = "CRDT") -> str:
    return (
        f'<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">{amount}</Amt>'
        f"<CdtDbtInd>{indicator}</CdtDbtInd><Dt><Dt>2026-01-02</Dt></Dt></Bal>"
    )


def entry(amount: str, indicator: str, *, extra: str = "", details: str = "", status: str = "<Sts>BOOK</Sts>") -> str:
    return (
        f'<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>{indicator}</CdtDbtInd>{extra}{status}'
        "<BookgDt><Dt>2026-01-02</Dt></BookgDt><ValDt><DtTm>2026-01-03T09:30:00+01:00</DtTm></ValDt>"
        f"{details}</Ntry>"
    )


def tx(*, amount: str | None = None, parties: str = "", refs: str = "", rmt: str = "") -> str:
    amt = f'<AmtDtls><TxAmt><Amt Ccy="EUR">{amount}</Amt></TxAmt></AmtDtls>' if amount else ""
    return f"<TxDtls><Refs>{refs}</Refs>{amt}<RltdPties>{parties}</RltdPties><RmtInf>{rmt}</RmtInf></TxDtls>"


def only_statement(data: bytes):
    parsed = FORMAT.parse(data, "test.xml")
    assert len(parsed.statements) == 1
    return parsed.statements[0]


# --- amounts, signs, balances -------------------------------------------------------------------


def test_debit_entries_are_negative_and_credits_positive():
    stmt = only_statement(document(entry("10.50", "CRDT") + entry("3.25", "DBIT")))
    assert [ln.amount for ln in stmt.lines] == [Decimal("10.50"), Decimal("-3.25")]
    assert all(ln.currency == "EUR" for ln in stmt.lines)


def test_balances_are_signed_by_their_own_indicator():
    stmt = only_statement(document(balance("OPBD", "5.00", "DBIT") + balance("CLBD", "5.00") + entry("10.00", "CRDT")))
    assert stmt.opening_balance == Decimal("-5.00")
    assert stmt.closing_balance == Decimal("5.00")
    assert stmt.warnings == ()


def test_previous_closing_balance_opens_when_there_is_no_opening_balance():
    stmt = only_statement(document(balance("PRCD", "7.00") + balance("CLBD", "8.00") + entry("1.00", "CRDT")))
    assert stmt.opening_balance == Decimal("7.00")
    assert stmt.balance_gap() == 0


def test_balance_mismatch_is_a_warning_not_an_error():
    stmt = only_statement(document(balance("OPBD", "100.00") + balance("CLBD", "150.00") + entry("10.00", "CRDT")))
    assert stmt.balance_gap() == Decimal("40.00")
    assert len(stmt.warnings) == 1
    assert "150.00" in stmt.warnings[0]
    assert "40.00" in stmt.warnings[0]


def test_pending_entries_do_not_count_toward_the_balance_check():
    body = balance("OPBD", "100.00") + balance("CLBD", "110.00") + entry("10.00", "CRDT")
    body += entry("99.00", "DBIT", status="<Sts>PDNG</Sts>")
    stmt = only_statement(document(body))
    assert [ln.status for ln in stmt.lines] == ["booked", "pending"]
    assert stmt.warnings == ()


def test_v08_status_code_element_is_understood():
    ns = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"
    body = entry("1.00", "CRDT", status="<Sts><Cd>PDNG</Cd></Sts>") + entry(
        "2.00", "CRDT", status="<Sts><Cd>BOOK</Cd></Sts>"
    )
    stmt = only_statement(document(body, ns=ns))
    assert [ln.status for ln in stmt.lines] == ["pending", "booked"]


def test_missing_status_means_booked():
    stmt = only_statement(document(entry("1.00", "CRDT", status="")))
    assert stmt.lines[0].status == "booked"


def test_reversal_keeps_the_sign_of_its_own_indicator():
    # ISO books the reversal of a credit as DBIT + RvslInd: the indicator already says which
    # way the money moved, so flipping it again would count the reversal twice.
    stmt = only_statement(document(entry("20.00", "DBIT", extra="<RvslInd>true</RvslInd>")))
    assert stmt.lines[0].amount == Decimal("-20.00")
    assert stmt.lines[0].details["reversal"] == "true"


def test_amounts_with_signs_or_exponents_are_refused():
    for bad in ("-1.00", "1e3", "NaN", "1,00", ""):
        with pytest.raises(ParseError, match="Ntry"):
            FORMAT.parse(document(entry(bad, "CRDT")), "bad.xml")


def test_unknown_credit_debit_indicator_is_refused_with_its_location():
    with pytest.raises(ParseError, match=r"Stmt\[1\]/Ntry\[1\]/CdtDbtInd"):
        FORMAT.parse(document(entry("1.00", "CREDIT")), "bad.xml")


# --- dates and period ---------------------------------------------------------------------------


def test_booking_and_value_dates_accept_date_or_datetime():
    stmt = only_statement(document(entry("1.00", "CRDT")))
    line = stmt.lines[0]
    assert str(line.booking_date) == "2026-01-02"
    assert str(line.value_date) == "2026-01-03"


def test_period_comes_from_frtodt_else_from_the_entries():
    header = "<FrToDt><FrDtTm>2025-12-01T00:00:00</FrDtTm><ToDtTm>2025-12-31T23:59:59</ToDtTm></FrToDt>"
    with_period = only_statement(document(entry("1.00", "CRDT"), header=header))
    assert (str(with_period.date_from), str(with_period.date_to)) == ("2025-12-01", "2025-12-31")
    without = only_statement(document(entry("1.00", "CRDT")))
    assert (str(without.date_from), str(without.date_to)) == ("2026-01-02", "2026-01-02")


# --- parties, references, purpose ---------------------------------------------------------------

DEBTOR = (
    "<Dbtr><Nm>Payer GmbH</Nm><Id><OrgId><Othr><Id>7707083893</Id><SchmeNm><Cd>TXID</Cd></SchmeNm>"
    "</Othr></OrgId></Id></Dbtr><DbtrAcct><Id><IBAN>DE02120300000000202051</IBAN></Id></DbtrAcct>"
)
CREDITOR = "<Cdtr><Nm>Supplier AG</Nm></Cdtr><CdtrAcct><Id><Othr><Id>40702810000000000001</Id></Othr></Id></CdtrAcct>"


def test_counterparty_is_the_debtor_of_a_credit_and_the_creditor_of_a_debit():
    body = entry("5.00", "CRDT", details=f"<NtryDtls>{tx(parties=DEBTOR + CREDITOR)}</NtryDtls>")
    body += entry("6.00", "DBIT", details=f"<NtryDtls>{tx(parties=DEBTOR + CREDITOR)}</NtryDtls>")
    credit, debit = only_statement(document(body)).lines
    assert (credit.counterparty_name, credit.counterparty_account, credit.counterparty_tax_id) == (
        "Payer GmbH", "DE02120300000000202051", "7707083893",
    )  # fmt: skip
    assert (debit.counterparty_name, debit.counterparty_account) == ("Supplier AG", "40702810000000000001")
    assert credit.details["payer_inn"] == "7707083893"
    assert credit.details["payee_name"] == "Supplier AG"


def test_reversed_credit_keeps_the_original_payer_as_counterparty():
    body = entry(
        "5.00", "DBIT", extra="<RvslInd>true</RvslInd>", details=f"<NtryDtls>{tx(parties=DEBTOR + CREDITOR)}</NtryDtls>"
    )
    assert only_statement(document(body)).lines[0].counterparty_name == "Payer GmbH"


def test_v08_party_wrapper_is_understood():
    ns = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"
    parties = "<Dbtr><Pty><Nm>Wrapped Payer</Nm></Pty></Dbtr>"
    body = entry("5.00", "CRDT", details=f"<NtryDtls>{tx(parties=parties)}</NtryDtls>")
    assert only_statement(document(body, ns=ns)).lines[0].counterparty_name == "Wrapped Payer"


def test_tax_id_is_taken_only_under_a_tax_scheme():
    parties = (
        "<Dbtr><Nm>X</Nm><Id><OrgId><Othr><Id>CUST-42</Id><SchmeNm><Cd>CUST</Cd></SchmeNm></Othr></OrgId></Id></Dbtr>"
    )
    body = entry("5.00", "CRDT", details=f"<NtryDtls>{tx(parties=parties)}</NtryDtls>")
    assert only_statement(document(body)).lines[0].counterparty_tax_id is None


def test_account_holder_is_never_its_own_counterparty():
    own = "<Cdtr><Nm>Us</Nm></Cdtr><CdtrAcct><Id><IBAN>DE89370400440532013000</IBAN></Id></CdtrAcct>"
    body = entry("5.00", "CRDT", details=f"<NtryDtls>{tx(parties=own)}</NtryDtls>")
    assert only_statement(document(body)).lines[0].counterparty_name is None


def test_bank_ref_prefers_the_servicer_reference_then_entry_reference_then_transaction_ids():
    refs = "<EndToEndId>E2E-1</EndToEndId>"
    body = entry("1.00", "CRDT", extra="<NtryRef>NR-1</NtryRef>", details=f"<NtryDtls>{tx(refs=refs)}</NtryDtls>")
    body = body.replace("</ValDt>", "</ValDt><AcctSvcrRef>ASR-1</AcctSvcrRef>")
    body += entry("1.00", "CRDT", details=f"<NtryDtls>{tx(refs=refs)}</NtryDtls>")
    body += entry("1.00", "CRDT", details=f"<NtryDtls>{tx(refs='<EndToEndId>NOTPROVIDED</EndToEndId>')}</NtryDtls>")
    lines = only_statement(document(body)).lines
    assert [ln.bank_ref for ln in lines] == ["ASR-1", "E2E-1", None]


def test_purpose_joins_unstructured_lines_and_falls_back_to_structured_reference():
    ustrd = "<Ustrd>Invoice 17</Ustrd><Ustrd>and 18</Ustrd>"
    strd = "<Strd><CdtrRefInf><Ref>RF18539007547034</Ref></CdtrRefInf></Strd>"
    body = entry("1.00", "CRDT", details=f"<NtryDtls>{tx(rmt=ustrd)}</NtryDtls>")
    body += entry("1.00", "CRDT", details=f"<NtryDtls>{tx(rmt=strd)}</NtryDtls>")
    lines = only_statement(document(body)).lines
    assert [ln.purpose for ln in lines] == ["Invoice 17 and 18", "RF18539007547034"]


def test_raw_is_the_entry_xml():
    stmt = only_statement(document(entry("1.00", "CRDT")))
    assert stmt.lines[0].raw.startswith("<Ntry")
    assert '<Amt Ccy="EUR">1.00</Amt>' in stmt.lines[0].raw
    assert stmt.lines[0].source_line == 2


# --- batches ------------------------------------------------------------------------------------


def test_batch_entry_becomes_one_line_per_payment_when_amounts_add_up():
    payments = tx(amount="30.00", parties=DEBTOR, rmt="<Ustrd>A</Ustrd>") + tx(amount="70.00", rmt="<Ustrd>B</Ustrd>")
    body = balance("OPBD", "0") + balance("CLBD", "100.00")
    body += entry("100.00", "CRDT", details=f"<NtryDtls>{payments}</NtryDtls>").replace(
        "</ValDt>", "</ValDt><AcctSvcrRef>BATCH-1</AcctSvcrRef>"
    )
    stmt = only_statement(document(body))
    assert [ln.amount for ln in stmt.lines] == [Decimal("30.00"), Decimal("70.00")]
    assert [ln.purpose for ln in stmt.lines] == ["A", "B"]
    assert [ln.bank_ref for ln in stmt.lines] == ["BATCH-1/1", "BATCH-1/2"]
    assert stmt.lines[0].counterparty_name == "Payer GmbH"
    assert stmt.warnings == ()


def test_batch_whose_amounts_do_not_add_up_stays_one_line():
    payments = tx(amount="30.00", rmt="<Ustrd>A</Ustrd>") + tx(amount="60.00", rmt="<Ustrd>B</Ustrd>")
    stmt = only_statement(document(entry("100.00", "DBIT", details=f"<NtryDtls>{payments}</NtryDtls>")))
    (line,) = stmt.lines
    assert line.amount == Decimal("-100.00")
    assert line.details["tx_count"] == "2"
    assert line.purpose == "A | B"
    assert line.counterparty_name is None


# --- documents, namespaces, safety --------------------------------------------------------------


def test_camt052_and_camt054_are_read_like_statements():
    rpt = document(entry("1.00", "CRDT"), ns="urn:iso:std:iso:20022:tech:xsd:camt.052.001.06",
                   wrapper="BkToCstmrAcctRpt", report="Rpt")  # fmt: skip
    ntf = document(entry("2.00", "DBIT"), ns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.10",
                   wrapper="BkToCstmrDbtCdtNtfctn", report="Ntfctn")  # fmt: skip
    assert only_statement(rpt).lines[0].amount == Decimal("1.00")
    assert only_statement(ntf).lines[0].amount == Decimal("-2.00")


def test_prolog_encoding_other_than_utf8_is_honoured():
    body = entry("1.00", "CRDT", details=f"<NtryDtls>{tx(parties='<Dbtr><Nm>Müller</Nm></Dbtr>')}</NtryDtls>")
    data = document(body).decode().replace('encoding="UTF-8"', 'encoding="ISO-8859-1"').encode("latin-1")
    assert only_statement(data).lines[0].counterparty_name == "Müller"
    utf16 = document(body).decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    assert FORMAT.sniff(utf16[:4096], "x.xml")
    assert only_statement(utf16).lines[0].counterparty_name == "Müller"


def test_unknown_namespace_is_refused_naming_it():
    data = document(entry("1.00", "CRDT"), ns="urn:example:not-camt")
    with pytest.raises(ParseError, match="urn:example:not-camt"):
        FORMAT.parse(data, "x.xml")
    with pytest.raises(ParseError, match="urn:example:not-camt"):
        parse_bytes(data, "x.xml")


def test_other_iso20022_messages_are_refused():
    data = document(entry("1.00", "CRDT"), ns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03")
    with pytest.raises(ParseError, match=r"pain\.001"):
        FORMAT.parse(data, "x.xml")


def test_malformed_xml_reports_the_line():
    with pytest.raises(ParseError, match="line 2"):
        FORMAT.parse(document(entry("1.00", "CRDT")).replace(b"</Ntry>", b"</Ntryy>"), "x.xml")


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><Stmt><Id>&lol9;</Id>
<Ntry><Amt Ccy="EUR">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><AddtlNtryInf>&lol9;</AddtlNtryInf></Ntry>
</Stmt></BkToCstmrStmt></Document>"""


def xxe(target: str) -> bytes:
    return (
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE Document [<!ENTITY xxe SYSTEM "{target}">]>\n'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><Stmt><Id>&xxe;</Id>'
        '<Ntry><Amt Ccy="EUR">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><AddtlNtryInf>&xxe;</AddtlNtryInf></Ntry>'
        "</Stmt></BkToCstmrStmt></Document>"
    ).encode()


@pytest.mark.parametrize("parse", [FORMAT.parse, parse_bytes], ids=["format", "parse_bytes"])
def test_entity_bomb_is_refused_as_doctype(parse):
    with pytest.raises(ParseError, match="DOCTYPE") as caught:
        parse(BILLION_LAUGHS, "lol.xml")
    assert "lollol" not in str(caught.value)


@pytest.mark.parametrize("parse", [FORMAT.parse, parse_bytes], ids=["format", "parse_bytes"])
def test_external_entity_never_reads_local_files(parse):
    passwd_line = Path("/etc/passwd").read_text(encoding="utf-8").splitlines()[0].strip()
    assert passwd_line  # the secret the attack is after
    with pytest.raises(ParseError, match="DOCTYPE") as caught:
        parse(xxe("file:///etc/passwd"), "xxe.xml")
    assert passwd_line not in str(caught.value)
    assert "root:" not in str(caught.value)


def test_doctype_is_refused_in_utf16_too():
    data = xxe("file:///etc/passwd").decode().replace('version="1.0"', 'version="1.0" encoding="UTF-16"')
    with pytest.raises(ParseError, match="DOCTYPE"):
        FORMAT.parse(data.encode("utf-16"), "xxe16.xml")


def test_document_without_statements_is_refused():
    data = document("").replace(b"<Stmt><Id>S1</Id>", b"").replace(b"</Stmt>", b"")
    data = data.replace(b"<Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>", b"")
    with pytest.raises(ParseError, match="no Stmt"):
        FORMAT.parse(data, "empty.xml")


def test_several_statements_in_one_file_each_become_a_statement():
    one = document(balance("OPBD", "1.00") + balance("CLBD", "2.00") + entry("1.00", "CRDT")).decode()
    stmt = one[one.index("<Stmt>") : one.index("</Stmt>") + len("</Stmt>")]
    data = one.replace(stmt, stmt + stmt.replace("<Id>S1</Id>", "<Id>S2</Id>")).encode()
    parsed = FORMAT.parse(data, "two.xml")
    assert [s.statement_id for s in parsed.statements] == ["S1", "S2"]
    assert all(s.account == "DE89370400440532013000" and s.warnings == () for s in parsed.statements)


# --- zip containers -----------------------------------------------------------------------------


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_every_member_of_a_zip_is_parsed():
    data = zipped({"a.xml": document(entry("1.00", "CRDT")), "sub/b.xml": document(entry("2.00", "DBIT"))})
    assert FORMAT.sniff(data[:65536], "statements.zip")
    parsed = parse_bytes(data, "statements.zip")
    assert [s.lines[0].amount for s in parsed.statements] == [Decimal("1.00"), Decimal("-2.00")]


def test_zip_member_that_is_not_camt_is_refused_naming_it():
    data = zipped({"a.xml": document(entry("1.00", "CRDT")), "notes.txt": b"hello"})
    with pytest.raises(ParseError, match=r"notes\.txt"):
        FORMAT.parse(data, "statements.zip")


@pytest.mark.parametrize("name", ["../evil.xml", "/etc/evil.xml", "C:/evil.xml", "a/../../evil.xml"])
def test_zip_member_names_that_escape_the_archive_are_refused(name):
    with pytest.raises(ParseError, match="outside the archive"):
        FORMAT.parse(zipped({name: document(entry("1.00", "CRDT"))}), "evil.zip")


def test_zip_bomb_is_refused_by_the_uncompressed_size_bound(monkeypatch):
    monkeypatch.setattr(camt_zip, "MAX_TOTAL_UNCOMPRESSED", 1024 * 1024)
    padding = b" " * (2 * 1024 * 1024)  # compresses to a few KiB
    data = zipped({"bomb.xml": document(entry("1.00", "CRDT")) + padding})
    assert len(data) < 64 * 1024
    with pytest.raises(ParseError, match="limit"):
        FORMAT.parse(data, "bomb.zip")


def test_zip_with_too_many_members_is_refused(monkeypatch):
    monkeypatch.setattr(camt_zip, "MAX_MEMBERS", 3)
    data = zipped({f"m{i}.xml": document(entry("1.00", "CRDT")) for i in range(4)})
    with pytest.raises(ParseError, match="members"):
        FORMAT.parse(data, "many.zip")


def test_zip_inside_zip_is_refused():
    inner = zipped({"a.xml": document(entry("1.00", "CRDT"))})
    with pytest.raises(ParseError, match="inside zip"):
        FORMAT.parse(zipped({"inner.zip": inner}), "outer.zip")


# --- sniffing -----------------------------------------------------------------------------------


def test_sniff_accepts_camt_and_refuses_other_xml_and_text():
    assert FORMAT.sniff(document(entry("1.00", "CRDT"))[:4096], "x.xml")
    prefixed = document("").decode().replace("<Document xmlns=", "<c:Document xmlns:c=")
    assert FORMAT.sniff(prefixed.encode(), "x.xml")
    assert not FORMAT.sniff(b'<?xml version="1.0"?><OFX><SIGNONMSGSRSV1/></OFX>', "x.ofx")
    assert not FORMAT.sniff(b"date;amount\n2026-01-01;1.00\n", "x.csv")
    assert not FORMAT.sniff(b"PK\x03\x04garbage", "x.zip")


def test_sniff_claims_a_document_with_a_bank_to_customer_child_in_a_wrong_namespace():
    # So that the user is told which namespace was wrong rather than "unknown format".
    assert FORMAT.sniff(document("", ns="urn:weird-namespace"), "x.xml")


def test_zip_fixture_is_sniffed_from_its_head():
    data = (FIXTURES_DIR / "camt/OCA__bank-statement-import/test-camt053.zip").read_bytes()
    assert FORMAT.sniff(data[:65536], "test-camt053.zip")


# --- the benchmark generator --------------------------------------------------------------------


def test_benchmark_generator_yields_exactly_the_requested_lines_with_reconciling_balances():
    parsed = FORMAT.parse(generate(160, seed=3), "synthetic.xml")
    lines = [ln for s in parsed.statements for ln in s.lines]
    assert len(lines) == 160
    assert any("batch_index" in ln.details for ln in lines)
    assert all(s.balance_gap() == 0 and s.warnings == () for s in parsed.statements)


# --- reading entries ----------------------------------------------------------------------------


def test_empty_elements_inside_an_entry_leave_the_rest_of_it_readable():
    parties = "<Dbtr><Nm>Payer GmbH</Nm><Id/></Dbtr><Cdtr/>"
    details = f"<NtryDtls>{tx(parties=parties)}<TxDtls/></NtryDtls><AddtlNtryInf/><NtryRef>R-1</NtryRef><Chrgs/>"
    line = only_statement(document(entry("1.00", "CRDT", details=details))).lines[0]
    assert line.bank_ref == "R-1"
    # An empty TxDtls describes no transaction, so the entry still has exactly one payer.
    assert "tx_count" not in line.details
    assert line.counterparty_name == "Payer GmbH"


def test_a_ntry_nested_deeper_in_an_entry_is_not_an_entry_of_the_statement():
    odd = "<SplmtryData><Envlp><Ntry><Amt Ccy='EUR'>9.00</Amt><CdtDbtInd>DBIT</CdtDbtInd></Ntry></Envlp></SplmtryData>"
    body = entry("1.00", "CRDT") + entry("2.00", "DBIT", extra=odd) + entry("3.00", "CRDT")
    assert [str(ln.amount) for ln in only_statement(document(body)).lines] == ["1.00", "-2.00", "3.00"]
