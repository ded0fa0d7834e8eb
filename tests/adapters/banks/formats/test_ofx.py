"""OFX/QFX rules: detection, mapping to the contract, values, decoding, structure and safety."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from adapters.banks.base import ParseError
from adapters.banks.formats import detect
from adapters.banks.formats.ofx import FORMAT
from adapters.banks.formats.ofx_tree import MAX_DEPTH
from adapters.banks.formats.ofx_values import ValueProblem, parse_amount, parse_local_date

SGML_HEADER = (
    "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:USASCII\nCHARSET:{charset}\n"
    "COMPRESSION:NONE\nOLDFILEUID:NONE\nNEWFILEUID:NONE\n\n"
)


def sgml(transactions: str, *, charset: str = "1252", ledger: str = "<BALAMT>100.00\n<DTASOF>20240131") -> str:
    return SGML_HEADER.format(charset=charset) + (
        "<OFX>\n<SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS></SONRS></SIGNONMSGSRSV1>\n"
        "<BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STMTRS>\n<CURDEF>EUR\n"
        "<BANKACCTFROM><BANKID>123<ACCTID>DE001<ACCTTYPE>CHECKING</BANKACCTFROM>\n"
        "<BANKTRANLIST>\n<DTSTART>20240101\n<DTEND>20240131\n"
        f"{transactions}"
        f"</BANKTRANLIST>\n<LEDGERBAL>\n{ledger}\n</LEDGERBAL>\n</STMTRS></STMTTRNRS></BANKMSGSRSV1>\n</OFX>\n"
    )


TXN = (
    "<STMTTRN>\n<TRNTYPE>DEBIT\n<DTPOSTED>20240105\n<TRNAMT>-12.50\n<FITID>F1\n"
    "<NAME>ACME LTD\n<MEMO>INV 42\n</STMTTRN>\n"
)


def parse(text: str, encoding: str = "cp1252"):
    return FORMAT.parse(text.encode(encoding), "test.ofx")


def only_line(text: str, encoding: str = "cp1252"):
    (statement,) = parse(text, encoding).statements
    (line,) = statement.lines
    return line


# --- detection -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "head",
    [
        b"OFXHEADER:100\nDATA:OFXSGML\n",
        b'<?xml version="1.0"?>\n<?OFX OFXHEADER="200" VERSION="211"?>\n<OFX>',
        b"\n\n\n<OFX>\n<SIGNONMSGSRSV1>",  # no header at all
        b"\xef\xbb\xbfOFXHEADER:100\n",
        "<?xml version='1.0'?><ofx>".encode("utf-16"),
    ],
)
def test_ofx_is_recognised_by_header_processing_instruction_or_root(head: bytes):
    assert FORMAT.sniff(head, "x")


@pytest.mark.parametrize("head", [b"Date,Amount\n2024-01-01,5\n", b":20:STARTUMS\n:25:123", b"<Document>"])
def test_other_formats_are_not_taken_for_ofx(head: bytes):
    assert not FORMAT.sniff(head, "x")


def test_detection_through_the_registry_picks_ofx():
    assert detect(sgml(TXN).encode(), "x.qfx").name == "ofx"


# --- mapping to the contract -----------------------------------------------------------------


def test_a_bank_statement_maps_account_currency_period_and_closing_balance():
    (statement,) = parse(sgml(TXN)).statements
    assert statement.account == "DE001"
    assert statement.currency == "EUR"
    assert (statement.date_from, statement.date_to) == (date(2024, 1, 1), date(2024, 1, 31))
    assert statement.closing_balance == Decimal("100.00")
    assert statement.opening_balance is None  # never derived from closing - sum
    assert statement.warnings == ()


def test_a_line_keeps_the_signed_amount_fitid_name_and_memo_as_purpose():
    line = only_line(sgml(TXN))
    assert line.amount == Decimal("-12.50")
    assert line.currency == "EUR"
    assert line.booking_date == date(2024, 1, 5)
    assert line.bank_ref == "F1"
    assert line.counterparty_name == "ACME LTD"
    assert line.purpose == "INV 42"
    assert line.details["trntype"] == "DEBIT"
    assert line.status == "booked"


def test_name_is_the_purpose_when_the_bank_wrote_no_memo():
    line = only_line(sgml(TXN.replace("<MEMO>INV 42\n", "")))
    assert line.purpose == line.counterparty_name == "ACME LTD"


def test_value_date_is_dtavail_and_dtuser_is_kept_in_details():
    txn = TXN.replace("<FITID>F1", "<FITID>F1\n<DTUSER>20240103\n<DTAVAIL>20240106")
    line = only_line(sgml(txn))
    assert line.value_date == date(2024, 1, 6)
    assert line.details["dtuser"] == "2024-01-03"


def test_counterparty_account_payee_reference_numbers_and_foreign_currency_are_read():
    txn = (
        "<STMTTRN><TRNTYPE>XFER<DTPOSTED>20240105<TRNAMT>-5<FITID>F2<CHECKNUM>77<REFNUM>R9<SIC>5411"
        "<PAYEE><NAME>Jane Roe<ADDR1>x<CITY>y<STATE>z<POSTALCODE>1<PHONE>2</PAYEE>"
        "<BANKACCTTO><BANKID>999<ACCTID>GB99<ACCTTYPE>SAVINGS</BANKACCTTO>"
        "<CURRENCY><CURRATE>1.1<CURSYM>usd</CURRENCY></STMTTRN>\n"
    )
    line = only_line(sgml(txn))
    assert line.counterparty_name == "Jane Roe"
    assert line.counterparty_account == "GB99"
    assert line.currency == "USD"
    assert line.details == {
        "trntype": "XFER",
        "checknum": "77",
        "refnum": "R9",
        "sic": "5411",
        "dtposted": "20240105",
        "counterparty_bank_id": "999",
    }


def test_raw_is_the_stmttrn_block_and_source_line_where_it_starts():
    text = sgml(TXN)
    line = only_line(text)
    assert line.raw == TXN.strip()
    assert text.splitlines()[line.source_line - 1] == "<STMTTRN>"


def test_dates_are_the_banks_local_day_not_utc():
    # 22:00 in New York on 2 January is already 3 January in UTC (where ofxparse puts it).
    line = only_line(sgml(TXN.replace("<DTPOSTED>20240105", "<DTPOSTED>20240102220000.000[-5:EST]")))
    assert line.booking_date == date(2024, 1, 2)
    assert line.details["dtposted"] == "20240102220000.000[-5:EST]"


def test_a_credit_card_statement_is_read_like_a_bank_statement():
    text = sgml(TXN).replace("<STMTRS>", "<CCSTMTRS>").replace("</STMTRS>", "</CCSTMTRS>")
    text = text.replace(
        "<BANKACCTFROM><BANKID>123<ACCTID>DE001<ACCTTYPE>CHECKING</BANKACCTFROM>",
        "<CCACCTFROM><ACCTID>4111</CCACCTFROM>",
    )
    (statement,) = parse(text).statements
    assert statement.account == "4111"
    assert statement.lines[0].amount == Decimal("-12.50")


def test_an_empty_ledger_balance_is_none_with_a_warning_not_a_crash():
    (statement,) = parse(sgml(TXN, ledger="<BALAMT>\n<DTASOF>20240131")).statements
    assert statement.closing_balance is None
    assert statement.warnings == ("LEDGERBAL has no amount; closing balance unknown",)


def test_a_transaction_without_fitid_is_kept_and_flagged():
    (statement,) = parse(sgml(TXN.replace("<FITID>F1\n", ""))).statements
    assert statement.lines[0].bank_ref is None
    assert any("no FITID" in warning for warning in statement.warnings)


def test_unclosed_stmttrn_ends_at_the_next_one_so_no_transaction_hides_inside_another():
    txns = TXN.replace("</STMTTRN>\n", "") + TXN.replace("F1", "F2")
    (statement,) = parse(sgml(txns)).statements
    assert [line.bank_ref for line in statement.lines] == ["F1", "F2"]


# --- values ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "amount"),
    [
        ("-12.50", "-12.50"),
        ("+12", "12"),
        ("100", "100"),
        (".5", "0.5"),
        ("1234,56", "1234.56"),
        ("-1.234,56", "-1234.56"),
        ("1,234.56", "1234.56"),
        ("1 234,56", "1234.56"),
        ("null", "0"),
    ],
)
def test_amounts_are_exact_including_decimal_commas_and_grouping(written: str, amount: str):
    assert parse_amount(written) == Decimal(amount)
    assert str(parse_amount(written)) == str(Decimal(amount))


@pytest.mark.parametrize("written", ["$120", "1e3", "NaN", "Infinity", "1_000", "1.2.3", "1,2,3", "", "12-"])
def test_amounts_that_would_need_guessing_are_refused(written: str):
    with pytest.raises(ValueProblem):
        parse_amount(written)


def test_a_balance_without_decimal_point_is_exact():
    (statement,) = parse(sgml(TXN, ledger="<BALAMT>111")).statements
    assert statement.closing_balance == Decimal(111)


@pytest.mark.parametrize(
    ("written", "day"),
    [
        ("20240229", date(2024, 2, 29)),
        ("20240102120000.000[-5:EST]", date(2024, 1, 2)),
        ("20180804093914:014", date(2018, 8, 4)),
        ("20240102120000[+5.5:IST]", date(2024, 1, 2)),
        ("00000000", None),
    ],
)
def test_dates_keep_the_calendar_day_as_written(written: str, day: date | None):
    assert parse_local_date(written) == day


@pytest.mark.parametrize("written", ["20230229", "201120000000", "2024", "yesterday"])
def test_impossible_dates_are_refused(written: str):
    with pytest.raises(ValueProblem):
        parse_local_date(written)


def test_a_bad_amount_is_refused_with_the_line_of_its_transaction():
    text = sgml(TXN.replace("-12.50", "$12.50"))
    with pytest.raises(ParseError) as caught:
        parse(text)
    assert caught.value.line == text.splitlines().index("<STMTTRN>") + 1
    assert "TRNAMT" in caught.value.reason
    assert caught.value.file == "test.ofx"


# --- decoding --------------------------------------------------------------------------------


def test_charset_none_is_read_as_windows_1252():
    line = only_line(sgml(TXN.replace("ACME LTD", "CAFÉ"), charset="NONE"))
    assert line.counterparty_name == "CAFÉ"


def test_iso_8859_1_header_is_honoured():
    line = only_line(sgml(TXN.replace("ACME LTD", "Müller"), charset="ISO-8859-1"), "latin-1")
    assert line.counterparty_name == "Müller"


def test_a_utf8_body_under_a_1252_header_is_read_as_utf8():
    line = only_line(sgml(TXN.replace("ACME LTD", "Größe €"), charset="1252"), "utf-8")
    assert line.counterparty_name == "Größe €"


def test_a_declared_cyrillic_charset_is_honoured():
    line = only_line(sgml(TXN.replace("ACME LTD", "ООО Ромашка"), charset="1251"), "cp1251")
    assert line.counterparty_name == "ООО Ромашка"


def test_undecodable_bytes_become_replacement_characters_and_a_warning():
    data = sgml(TXN).encode("cp1252").replace(b"ACME LTD", b"ACME \x81LTD")
    (statement,) = FORMAT.parse(data, "x.ofx").statements
    assert statement.lines[0].counterparty_name == "ACME \ufffdLTD"
    assert statement.warnings == ("1 character(s) could not be decoded as cp1252 and were replaced with U+FFFD",)


def test_utf16_xml_with_a_byte_order_mark_is_read():
    text = sgml(TXN).split("\n\n", 1)[1]
    xml = '<?xml version="1.0" encoding="UTF-16"?>\n<?OFX OFXHEADER="200" VERSION="211"?>\n' + text
    assert FORMAT.parse(xml.encode("utf-16"), "x.ofx").statements[0].lines[0].amount == Decimal("-12.50")


def test_cr_only_line_ends_still_give_line_numbers():
    text = sgml(TXN).replace("\n", "\r")
    line = FORMAT.parse(text.encode(), "x.ofx").statements[0].lines[0]
    assert line.source_line == sgml(TXN).splitlines().index("<STMTTRN>") + 1


# --- structure and safety --------------------------------------------------------------------


def test_xml_entities_are_expanded_only_for_the_five_predefined_and_numeric_references():
    txn = TXN.replace("ACME LTD", "A &amp; B &#233;&#x20AC; &nbsp; &ext;")
    assert only_line(sgml(txn)).counterparty_name == "A & B é€ &nbsp; &ext;"


def test_a_doctype_is_refused_so_no_entity_or_dtd_is_ever_loaded():
    text = sgml(TXN).replace("<OFX>", '<!DOCTYPE OFX [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<OFX>')
    with pytest.raises(ParseError, match="DTD and entity declarations"):
        parse(text)


def test_absurd_nesting_is_refused():
    deep = "".join(f"<A{i}>" for i in range(MAX_DEPTH + 5)) + "".join(
        f"</A{i}>" for i in reversed(range(MAX_DEPTH + 5))
    )
    with pytest.raises(ParseError, match="nested deeper"):
        parse(sgml(TXN).replace("<BANKTRANLIST>", "<BANKTRANLIST>" + deep))


def test_comments_and_cdata_are_understood():
    txn = TXN.replace("<MEMO>INV 42", "<!-- <TRNAMT>999 --><MEMO><![CDATA[INV <42> & co]]>")
    assert only_line(sgml(txn)).purpose == "INV <42> & co"


def test_an_end_tag_that_closes_nothing_is_refused_with_its_line():
    text = sgml(TXN.replace("</STMTTRN>", "</STMTTRN></BANKACCTTO>"))
    with pytest.raises(ParseError, match="closes nothing") as caught:
        parse(text)
    assert caught.value.line is not None


def test_a_truncated_file_is_refused():
    with pytest.raises(ParseError, match="truncated"):
        parse(sgml(TXN).rsplit("</STMTRS>", 1)[0])


def test_an_oversized_file_is_refused_before_reading_it(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr("adapters.banks.formats.ofx.MAX_OFX_BYTES", 100)
    with pytest.raises(ParseError, match="over the OFX limit"):
        parse(sgml(TXN))


def test_an_investment_statement_keeps_cash_lines_and_flags_skipped_trades():
    inv = SGML_HEADER.format(charset="1252") + (
        "<OFX><INVSTMTMSGSRSV1><INVSTMTTRNRS><INVSTMTRS><DTASOF>20240131<CURDEF>USD"
        "<INVACCTFROM><BROKERID>b<ACCTID>INV1</INVACCTFROM><INVTRANLIST><DTSTART>20240101<DTEND>20240131"
        "<BUYMF><INVBUY><INVTRAN><FITID>T1<DTTRADE>20240102</INVTRAN><SECID><UNIQUEID>1<UNIQUEIDTYPE>CUSIP</SECID>"
        "<UNITS>1<UNITPRICE>10<TOTAL>-10<SUBACCTSEC>CASH<SUBACCTFUND>CASH</INVBUY><BUYTYPE>BUY</BUYMF>"
        "<INVBANKTRAN><STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20240103<TRNAMT>50<FITID>C1</STMTTRN>"
        "<SUBACCTFUND>CASH</INVBANKTRAN></INVTRANLIST></INVSTMTRS></INVSTMTTRNRS></INVSTMTMSGSRSV1></OFX>"
    )
    (statement,) = parse(inv).statements
    assert [(ln.bank_ref, ln.amount) for ln in statement.lines] == [("C1", Decimal(50))]
    assert statement.closing_balance is None
    assert any("1 investment transaction(s)" in w for w in statement.warnings)


def test_the_reference_path_turns_ofxparse_crashes_into_parse_errors():
    with pytest.raises(ParseError, match="ofxparse"):
        FORMAT.parse(sgml(TXN.replace("<TRNAMT>-12.50\n", "")).encode(), "x.ofx", reader="reference")
