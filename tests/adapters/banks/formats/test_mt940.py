"""MT940/MT942 parsing rules, one rule per test; corpus conformance lives in test_mt940_conformance.py."""

from __future__ import annotations

import contextlib
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.banks.base import ParsedStatement, ParseError
from adapters.banks.formats import parse_bytes
from adapters.banks.formats.mt940 import FORMAT, parse_with_extras
from benchmarks.synth.mt940 import generate
from tests.fixture_corpus import FIXTURES_DIR, under


def _statement(*body: str, opening: str = "C240101EUR100,00", closing: str | None = None) -> bytes:
    lines = [":20:REF1", ":25:NL91ABNA0417164300", ":28C:1/1", f":60F:{opening}", *body]
    if closing is not None:
        lines.append(f":62F:{closing}")
    lines.append("-")
    return ("\r\n".join(lines) + "\r\n").encode()


def _only(data: bytes) -> ParsedStatement:
    (statement,) = FORMAT.parse(data, "test.sta").statements
    return statement


def _fixture(relpath: str) -> bytes:
    return (FIXTURES_DIR / relpath).read_bytes()


# --- signs -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mark", "signed"),
    [("C", "12.50"), ("D", "-12.50"), ("RC", "-12.50"), ("RD", "12.50"), ("CR", "12.50"), ("RCR", "-12.50")],
)
def test_mark_decides_the_sign_and_reversals_undo_their_original_direction(mark: str, signed: str) -> None:
    # "CR"/"RCR": the letter after the mark is the funds code, not part of the mark.
    statement = _only(_statement(f":61:240102{mark}12,50NTRFNONREF"))
    assert statement.lines[0].amount == Decimal(signed)


def test_a_statement_that_does_not_reconcile_carries_a_warning_and_still_parses() -> None:
    statement = _only(_statement(":61:240102D10,00NTRFNONREF", closing="C240102EUR95,00"))
    assert statement.balance_gap() == Decimal("5.00")
    assert any("do not reconcile" in w and "gap 5.00" in w for w in statement.warnings)


def test_a_reconciling_statement_has_no_warning() -> None:
    statement = _only(_statement(":61:240102RD10,00NTRFNONREF", closing="C240102EUR110,00"))
    assert statement.warnings == ()


def test_debit_balances_are_negative() -> None:
    statement = _only(_statement(opening="D240101EUR50,", closing="D240101EUR50,"))
    assert statement.opening_balance == Decimal(-50)
    assert statement.closing_balance == Decimal(-50)


# --- dates -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value_date", "booking_date"),
    [
        ("2312311231", date(2023, 12, 31), date(2023, 12, 31)),
        ("2312310102", date(2023, 12, 31), date(2024, 1, 2)),  # booked in the new year
        ("2401021229", date(2024, 1, 2), date(2023, 12, 29)),  # booked in the old year
        ("240315", date(2024, 3, 15), date(2024, 3, 15)),  # no entry date: booked on the value date
        ("240315    ", date(2024, 3, 15), date(2024, 3, 15)),  # Citi: blank entry date
    ],
)
def test_entry_date_takes_the_year_nearest_its_value_date(field: str, value_date: date, booking_date: date) -> None:
    line = _only(_statement(f":61:{field}C1,00NTRFNONREF")).lines[0]
    assert (line.value_date, line.booking_date) == (value_date, booking_date)


def test_an_impossible_value_date_is_left_empty_with_a_warning_not_guessed() -> None:
    parsed = FORMAT.parse(_fixture("mt940/wolph__mt940/self-provided/february_30.sta"), "feb30.sta")
    (statement,) = parsed.statements
    (line,) = statement.lines
    assert line.value_date is None
    assert line.booking_date == date(2016, 3, 1)
    assert any("160230" in w for w in statement.warnings)
    assert statement.balance_gap() == 0  # the amount itself is sound and the balances prove it


# --- :61: parts and bank_ref --------------------------------------------------------------------


def test_statement_line_parts_land_in_details() -> None:
    line = _only(_statement(":61:2401020103DR1234,5NMSCKREF123//BANKREF9", "SUPPLEMENT")).lines[0]
    assert line.amount == Decimal("-1234.5")
    expected = {
        "mark": "D",
        "funds_code": "R",
        "transaction_type": "NMSC",
        "customer_reference": "KREF123",
        "bank_reference": "BANKREF9",
        "supplementary": "SUPPLEMENT",
    }
    assert expected.items() <= line.details.items()


@pytest.mark.parametrize(
    ("references", "bank_ref"),
    [("KREF//BREF", "BREF"), ("KREF", "KREF"), ("NONREF", None), ("NONREF//BREF", "BREF"), ("KREF//NONREF", "KREF")],
)
def test_bank_ref_prefers_the_bank_reference_then_the_customer_reference_and_never_nonref(
    references: str, bank_ref: str | None
) -> None:
    assert _only(_statement(f":61:240102C1,00NTRF{references}")).lines[0].bank_ref == bank_ref


def test_nonref_right_after_the_amount_is_a_reference_not_a_type_code() -> None:
    line = _only(_statement(":61:2401020102D20,00NONREF")).lines[0]
    assert "transaction_type" not in line.details
    assert line.details["customer_reference"] == "NONREF"


def test_raw_keeps_61_and_86_verbatim_and_source_line_points_at_the_61() -> None:
    data = _statement(":61:240102C1,00NTRFNONREF", ":86:first line", "second line")
    line = _only(data).lines[0]
    assert line.raw == ":61:240102C1,00NTRFNONREF\n:86:first line\nsecond line"
    assert line.source_line is not None
    assert data.decode().split("\r\n")[line.source_line - 1] == ":61:240102C1,00NTRFNONREF"


def test_a_malformed_statement_line_is_refused_with_its_line_number() -> None:
    with pytest.raises(ParseError) as caught:
        FORMAT.parse(_statement(":61:24010X1,00NTRFNONREF"), "bad.sta")
    assert (caught.value.file, caught.value.line) == ("bad.sta", 5)


def test_a_malformed_balance_is_refused_with_its_line_number() -> None:
    with pytest.raises(ParseError) as caught:
        FORMAT.parse(_statement(opening="X240101EUR1,00"), "bad.sta")
    assert caught.value.line == 4


# --- :86: ---------------------------------------------------------------------------------------


def test_german_subfields_give_name_account_bank_code_and_sepa_purpose() -> None:
    info = (
        ":86:166?00GUTSCHRIFT?109310?20EREF+E2E-1?21SVWZ+Rechnung 4711 vom 0",
        "1.02.2024?30BANKDEFFXXX?31DE02100100000000000001?32Muster?33 GmbH",
    )
    line = _only(_statement(":61:240102C1,00NTRFNONREF", *info)).lines[0]
    assert line.counterparty_name == "Muster GmbH"
    assert line.counterparty_account == "DE02100100000000000001"
    assert line.purpose == "Rechnung 4711 vom 01.02.2024"
    assert line.details["sepa_eref"] == "E2E-1"
    assert line.details["counterparty_bank_code"] == "BANKDEFFXXX"
    assert line.details["gvc"] == "166"


def test_dutch_slash_codes_give_name_iban_and_remittance() -> None:
    info = (":86:/TRTP/SEPA OVERBOEKING/IBAN/NL02ABNA0123456789/BIC/ABNANL2A/NAME/J. JANSEN/REMI/Factuur 2024-0",
            "17/EREF/NOTPROVIDED")  # fmt: skip
    line = _only(_statement(":61:240102C1,00N654NONREF", *info)).lines[0]
    assert line.counterparty_name == "J. JANSEN"
    assert line.counterparty_account == "NL02ABNA0123456789"
    assert line.purpose == "Factuur 2024-017"
    assert line.details["eref"] == "NOTPROVIDED"


def test_ing_cntp_gives_counterparty_and_lone_dash_inside_86_is_content() -> None:
    (statement,) = FORMAT.parse(_fixture("mt940/OCA__bank-statement-import/test-ing.940"), "ing").statements
    assert len(statement.lines) == 8  # the "-" lines inside :86: did not end the message
    assert {ln.booking_date for ln in statement.lines} == {date(2014, 2, 20)}
    first = statement.lines[0]
    assert (first.counterparty_name, first.counterparty_account) == ("ING BANK NV INZAKE WEB", "NL32INGB0000012345")
    assert statement.account == "NL77INGB0574908765"  # the currency ING appends to :25: is dropped


def test_free_text_86_is_purpose_and_a_leading_iban_names_the_counterparty() -> None:
    line = _only(_statement(":61:240102D1,00NTRFNONREF", ":86:NL49RABO0166416932 gerrits glas", "Factuur 1")).lines[0]
    assert line.counterparty_account == "NL49RABO0166416932"
    assert line.counterparty_name == "gerrits glas"
    assert line.purpose == "NL49RABO0166416932 gerrits glas Factuur 1"


def test_86_before_the_first_61_belongs_to_the_statement_not_a_line() -> None:
    statements = parse_with_extras(_statement(":86:ACCOUNT NOTE", ":61:240102C1,00NTRFNONREF"), "x")
    (statement, extras) = statements[0]
    assert extras.information == "ACCOUNT NOTE"
    assert "information" not in statement.lines[0].details


# --- envelopes, line endings, encodings ---------------------------------------------------------


@pytest.mark.parametrize("newline", [b"\r\n", b"\n", b"\r"])
def test_line_endings_do_not_change_the_result(newline: bytes) -> None:
    data = _fixture("mt940/OCA__bank-statement-import/test-sns.940")
    reference = FORMAT.parse(data, "x")
    converted = data.replace(b"\r\n", b"\n").replace(b"\n", newline)
    assert FORMAT.parse(converted, "x") == reference


def test_swift_blocks_junk_lines_and_terminators_around_statements_are_ignored() -> None:
    body = _statement(":61:240102C1,00NTRFNONREF", closing="C240102EUR101,00")
    wrapped = b"\x01\r\nABNANL2A\r\n940\r\n{1:F01ABNANL2AXXX0000000000}{2:I940ABNANL2AXXXN}{4:\r\n" + body
    wrapped = wrapped.replace(b"\r\n-\r\n", b"\r\n-}{5:{CHK:123}}\r\n") + b"\x03"
    (plain,) = FORMAT.parse(body, "x").statements
    (enveloped,) = FORMAT.parse(wrapped, "x").statements
    # Same statement, its lines only shifted by the four envelope lines in front.
    shifted = tuple(replace(ln, source_line=(ln.source_line or 0) + 4) for ln in plain.lines)
    assert enveloped == replace(plain, lines=shifted)


def test_statements_without_terminators_split_at_each_20() -> None:
    one = _statement(":61:240102C1,00NTRFNONREF").replace(b"-\r\n", b"")
    assert len(FORMAT.parse(one + one + one, "x").statements) == 3


def test_cp1252_umlauts_decode_as_letters() -> None:
    data = _statement(":61:240102C1,00NTRFNONREF", ":86:166?20Miete?32Müller Straße").decode().encode("cp1252")
    assert _only(data).lines[0].counterparty_name == "Müller Straße"


def test_cp852_hungarian_text_decodes_as_letters() -> None:
    parsed = FORMAT.parse(_fixture("mt940/wolph__mt940/self-provided/raiffeisen-cmi.sta"), "cmi")
    assert parsed.statements[0].lines[0].details["supplementary"] == "Csoportos átutalás jóváírása"


def test_account_without_its_currency_suffix() -> None:
    data = _statement().replace(b":25:NL91ABNA0417164300", b":25:NL34RABO0142623393 EUR")
    assert _only(data).account == "NL34RABO0142623393"


# --- MT942 --------------------------------------------------------------------------------------


def test_mt942_lines_are_pending_and_checked_against_the_90_totals() -> None:
    data = _fixture("mt940/wolph__mt940/mBank/mt942.sta")
    (statement, extras) = parse_with_extras(data, "mt942")[0]
    assert extras.is_mt942
    assert statement.currency == "PLN"
    assert {ln.status for ln in statement.lines} == {"pending"}
    assert statement.warnings == ()
    tampered = data.replace(b":90C:3PLN0,03", b":90C:3PLN0,04")
    (statement,) = FORMAT.parse(tampered, "mt942").statements
    assert any(":90C:" in w for w in statement.warnings)


def test_mt940_available_and_forward_balances_are_kept_as_extras() -> None:
    (_, extras) = parse_with_extras(_fixture("mt940/OCA__bank-statement-import/test-ing.940"), "ing")[0]
    assert extras.available_balance is not None
    assert extras.available_balance.amount == Decimal("564.35")
    assert [b.on for b in extras.forward_available_balances] == [date(2014, 2, 21), date(2014, 2, 24)]


def test_unknown_tags_are_reported_not_fatal() -> None:
    statement = _only(_statement(":61:240102C1,00NTRFNONREF", ":12:11"))
    assert any(":12:" in w for w in statement.warnings)


# --- sniffing -----------------------------------------------------------------------------------


def test_sniff_needs_20_and_25_not_an_extension() -> None:
    assert FORMAT.sniff(_statement(), "export.csv")
    assert not FORMAT.sniff(b"date;amount\r\n2024-01-01;12,50\r\n", "statement.sta")
    assert not FORMAT.sniff(b":20:ONLY A REFERENCE\r\n", "statement.sta")


@pytest.mark.parametrize("folder", ["ofx", "camt", "1c", "csv", "bai2", "qif"])
def test_sniff_rejects_the_other_formats_in_the_corpus(folder: str) -> None:
    for entry in under(folder):
        assert not FORMAT.sniff(entry.path.read_bytes()[: 64 * 1024], entry.relpath), entry.relpath


# --- robustness ---------------------------------------------------------------------------------

_SEEDS = [f.path.read_bytes() for f in under("mt940")]


def _only_parse_error_escapes(data: bytes) -> None:
    """Any other exception fails the test (parse_bytes would turn it into a ParseError, so check both)."""
    with contextlib.suppress(ParseError):
        FORMAT.parse(data, "fuzz")
    with contextlib.suppress(ParseError):
        parse_bytes(data, "fuzz")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=2048))
def test_arbitrary_bytes_only_ever_raise_parse_error(data: bytes) -> None:
    _only_parse_error_escapes(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.sampled_from(_SEEDS),
    cuts=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 40), st.binary(max_size=12)), max_size=6),
)
def test_mutated_real_files_only_ever_raise_parse_error(seed: bytes, cuts: list[tuple[int, int, bytes]]) -> None:
    data = bytearray(seed)
    for at, length, insert in cuts:
        at %= max(len(data), 1)
        data[at : at + length] = insert
    _only_parse_error_escapes(bytes(data))


def test_benchmark_generator_makes_the_asked_line_count_and_reconciling_statements() -> None:
    data = generate(3_000, seed=7)
    assert data.count(b"\r\n") == 3_000
    parsed = FORMAT.parse(data, "synthetic.sta")
    assert parsed.statements
    assert all(st.balance_gap() == 0 for st in parsed.statements)
    assert any(ln.booking_date and ln.booking_date.year == 2024 for s in parsed.statements for ln in s.lines)
