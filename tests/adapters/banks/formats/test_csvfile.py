"""The CSV adapter: profiles decide everything, nothing is guessed, broken rows reject the file."""

from __future__ import annotations

import contextlib
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.banks.base import ParseError
from adapters.banks.formats import parse_bytes
from adapters.banks.formats.csv_profile import ProfileError, load_profile
from adapters.banks.formats.csv_values import AmountReader, CellError, DateReader
from adapters.banks.formats.csvfile import FORMAT, SHIPPED_PROFILES_DIR, CsvFormat, load_profiles
from benchmarks.synth.csv import generate
from tests.fixture_corpus import under

ACME_PROFILE = """
name = "acme"
description = "ACME Bank test export"
encoding = "cp1251"
delimiter = ";"

[detect]
header = ["Дата", "Сумма", "Д/К", "Назначение", "ИНН"]

[columns]
booking_date = "Дата"
amount = "Сумма"
direction = "Д/К"
counterparty_tax_id = "ИНН"
purpose = ["Назначение"]

[values]
date_formats = ["%d.%m.%Y"]
decimal_separator = ","
thousands_separator = [" "]
currency = "RUB"
direction_debit = ["Д"]
direction_credit = ["К"]
"""
ACME_HEADER = "Дата;Сумма;Д/К;Назначение;ИНН\n"


@pytest.fixture
def acme(tmp_path: Path) -> CsvFormat:
    (tmp_path / "acme.toml").write_text(ACME_PROFILE, encoding="utf-8")
    return CsvFormat(load_profiles([tmp_path]))


def acme_file(*rows: str) -> bytes:
    return (ACME_HEADER + "".join(r + "\n" for r in rows)).encode("cp1251")


# --- amounts and dates ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("1 234,56", "1234.56"), ("-,01", "-0.01"), ("+31070,11", "31070.11"), ("0", "0"), ("12,5", "12.5")],
)
def test_decimal_comma_amounts_are_exact(cell: str, expected: str) -> None:
    assert AmountReader(",", " ").read(cell) == Decimal(expected)


@pytest.mark.parametrize("cell", ["1.5E3", "1,5E3", "NaN", "Infinity", "1_000", "12 34,00", "1,", "-", "", "٣"])
def test_floats_in_disguise_and_bad_grouping_are_refused(cell: str) -> None:
    with pytest.raises(CellError):
        AmountReader(",", " ").read(cell)


def test_dates_follow_the_profile_formats_in_order() -> None:
    reader = DateReader(("%d.%m.%y", "%Y-%m-%d %H:%M:%S"))
    assert reader.read("31.05.17") == date(2017, 5, 31)
    assert reader.read("2019-07-06 10:48:55") == date(2019, 7, 6)
    with pytest.raises(CellError, match="not a valid date"):
        reader.read("31.02.17")
    with pytest.raises(CellError, match="not a date in format"):
        reader.read("2019/07/06")


# --- parsing with a profile ----------------------------------------------------------------


def test_indicator_column_sets_the_sign_and_tax_id_is_kept(acme: CsvFormat) -> None:
    parsed = acme.parse(
        acme_file("01.02.2024;1 000,50;Д;Оплата счёта 7;7701234567", "02.02.2024;5;К;Возврат;"), "a.csv"
    )
    (statement,) = parsed.statements
    assert [ln.amount for ln in statement.lines] == [Decimal("-1000.50"), Decimal("5")]
    assert statement.lines[0].counterparty_tax_id == "7701234567"
    assert statement.lines[0].source_line == 2
    assert statement.lines[0].raw == "01.02.2024;1 000,50;Д;Оплата счёта 7;7701234567"
    assert (statement.currency, statement.date_from, statement.date_to) == ("RUB", date(2024, 2, 1), date(2024, 2, 2))


def test_a_bad_amount_rejects_the_file_naming_line_and_column(acme: CsvFormat) -> None:
    data = acme_file("01.02.2024;10;Д;ok;", "02.02.2024;1.5E3;Д;bad;")
    with pytest.raises(ParseError) as caught:
        acme.parse(data, "a.csv")
    assert caught.value.line == 3
    assert "'Сумма'" in caught.value.reason
    assert "1.5E3" in caught.value.reason


def test_a_bad_date_rejects_the_file_naming_line_and_column(acme: CsvFormat) -> None:
    with pytest.raises(ParseError) as caught:
        acme.parse(acme_file("2024-02-01;10;Д;x;"), "a.csv")
    assert caught.value.line == 2
    assert "'Дата'" in caught.value.reason


def test_an_unknown_indicator_is_an_error_not_a_guess(acme: CsvFormat) -> None:
    with pytest.raises(ParseError, match="debit/credit indicator"):
        acme.parse(acme_file("01.02.2024;10;X;x;"), "a.csv")


def test_header_only_file_is_refused_as_empty(acme: CsvFormat) -> None:
    with pytest.raises(ParseError, match="no transaction rows"):
        acme.parse(acme_file(), "a.csv")


def test_bytes_invalid_in_the_profile_encoding_are_reported_with_their_line(tmp_path: Path) -> None:
    profile = ACME_PROFILE.replace('encoding = "cp1251"', 'encoding = "utf-8"')
    (tmp_path / "acme.toml").write_text(profile, encoding="utf-8")
    fmt = CsvFormat(load_profiles([tmp_path]))
    data = (ACME_HEADER + "01.02.2024;1;Д;ok;\n").encode() + b"01.02.2024;1;\xff;x;\n"
    with pytest.raises(ParseError) as caught:
        fmt.parse(data, "a.csv")
    assert caught.value.line == 3


def test_several_accounts_in_one_file_become_separate_statements() -> None:
    data = (
        b'"Datum","Naam / Omschrijving","Rekening","Tegenrekening","Code","Af Bij","Bedrag (EUR)",'
        b'"Mutatiesoort","Mededelingen"\n'
        b'"20240105","A","NL01INGB0000000001","","DV","Af","1,25","Diversen","x"\n'
        b'"20240106","B","NL01INGB0000000002","","OV","Bij","2,00","Overschrijving","y"\n'
    )
    parsed = FORMAT.parse(data, "ing.csv")
    assert [(s.account, [ln.amount for ln in s.lines]) for s in parsed.statements] == [
        ("NL01INGB0000000001", [Decimal("-1.25")]),
        ("NL01INGB0000000002", [Decimal("2.00")]),
    ]


# --- detection -----------------------------------------------------------------------------


def test_sniff_is_false_for_a_csv_no_profile_knows() -> None:
    assert not FORMAT.sniff(b"date,amount,who\n2024-01-01,5.00,me\n", "x.csv")


def test_unmatched_csv_error_shows_the_header_seen() -> None:
    with pytest.raises(ParseError, match=r"no CSV profile matched.*date,amount,who"):
        FORMAT.parse(b"date,amount,who\n2024-01-01,5.00,me\n", "x.csv")


def test_header_matching_ignores_case_and_trailing_empty_cells(acme: CsvFormat) -> None:
    data = ("дата;СУММА;Д/К;Назначение;ИНН;;\n01.02.2024;1;К;x;\n").encode("cp1251")
    assert acme.sniff(data, "a.csv")


def test_a_known_non_statement_is_refused_with_the_reason() -> None:
    data = b'"Datum","Boeksaldo","Valutair saldo"\n"2020-05-30","13,20","13,20"\n'
    with pytest.raises(ParseError, match="daily balances only"):
        parse_bytes(data, "saldo.csv")


def test_a_profile_can_be_chosen_by_name(acme: CsvFormat) -> None:
    data = acme_file("01.02.2024;1;К;x;")
    assert acme.parse(data, "a.csv", profile="acme").statements[0].lines[0].amount == 1
    with pytest.raises(ParseError, match="does not match CSV profile"):
        acme.parse(data, "a.csv", profile="nl-ing")


# --- profiles by configuration -------------------------------------------------------------


def test_extra_profiles_come_first_and_replace_shipped_ones_by_name(tmp_path: Path) -> None:
    (tmp_path / "ing.toml").write_text(
        (SHIPPED_PROFILES_DIR / "nl-ing.toml")
        .read_text(encoding="utf-8")
        .replace('currency = "EUR"', 'currency = "USD"'),
        encoding="utf-8",
    )
    profiles = load_profiles([tmp_path])
    assert [p.name for p in profiles].count("nl-ing") == 1
    assert profiles[0].name == "nl-ing"
    assert profiles[0].currency == "USD"


def test_every_shipped_profile_loads() -> None:
    shipped = sorted(SHIPPED_PROFILES_DIR.glob("*.toml"))
    assert len(shipped) >= 12
    assert {load_profile(p).name for p in shipped} == {p.name for p in load_profiles()}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("[columns]\n", "[columns]\ncolour = 'x'\n"), r"\[columns\] unknown key\(s\) colour"),
        (('amount = "Сумма"', 'debit = "Сумма"'), "`debit` and `credit` go together"),
        (('amount = "Сумма"', 'amount = "Сумма"\ndebit = "x"\ncredit = "y"'), "either `amount` or both"),
        (('encoding = "cp1251"', 'encoding = "klingon"'), "unknown encoding"),
        (('["%d.%m.%Y"]', '["%d.%m.%Y %Z"]'), "unsupported directive %Z"),
        (('currency = "RUB"', 'currency = "rubles"'), "ISO 4217"),
        (('direction_credit = ["К"]', 'direction_credit = ["Д"]'), "overlap"),
        (('booking_date = "Дата"', "booking_date = true"), "header name"),
        (('name = "acme"', 'name = "ACME Bank"'), "lower-case"),
    ],
)
def test_invalid_profiles_are_refused_with_file_and_key(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(ACME_PROFILE.replace(*change, 1), encoding="utf-8")
    with pytest.raises(ProfileError, match=message) as caught:
        load_profile(path)
    assert str(path) in str(caught.value)


def test_duplicate_names_in_one_directory_and_missing_directories_are_errors(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text(ACME_PROFILE, encoding="utf-8")
    (tmp_path / "b.toml").write_text(ACME_PROFILE, encoding="utf-8")
    with pytest.raises(ProfileError, match="used twice"):
        load_profiles([tmp_path])
    with pytest.raises(ProfileError, match="does not exist"):
        load_profiles([tmp_path / "nope"])


# --- the benchmark generator reads back in its profile -------------------------------------


def test_benchmark_file_parses_in_the_knab_profile_with_exact_totals() -> None:
    data = generate(500, seed=7)
    (statement,) = FORMAT.parse(data, "bench.csv").statements
    assert len(statement.lines) == 500
    assert statement.account == "NL99KNAB9999999999"
    assert generate(500, seed=7) == data


# --- hostile input -------------------------------------------------------------------------

_REAL = [f.path.read_bytes() for f in under("csv")]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048))
def test_arbitrary_bytes_only_ever_raise_parse_error(data: bytes) -> None:
    with contextlib.suppress(ParseError):
        parse_bytes(data, "f.csv")
    with contextlib.suppress(ParseError):
        FORMAT.parse(data, "f.csv")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(_REAL),
    st.lists(st.tuples(st.integers(0, 10_000), st.binary(min_size=0, max_size=4)), min_size=1, max_size=6),
)
def test_mutated_real_files_only_ever_raise_parse_error(original: bytes, edits: list[tuple[int, bytes]]) -> None:
    data = bytearray(original)
    for pos, chunk in edits:
        at = pos % (len(data) + 1)
        data[at : at + len(chunk)] = chunk
    with contextlib.suppress(ParseError):
        parse_bytes(bytes(data), "f.csv")
    with contextlib.suppress(ParseError):
        FORMAT.parse(bytes(data), "f.csv")
