"""Every CSV in the corpus is either read by a shipped profile or refused, for a stated reason.

Where a peer parser ran (``expected.peer_parser``), we agree with it on line count, sum, dates,
account and balances, except for the differences listed below, each tested for what it is.
Row counts are checked against the manifest's independent ``csv_probe``: no table row may be
dropped silently.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from adapters.banks.base import ParsedFile, ParseError, StatementLine
from adapters.banks.formats import parse_bytes
from adapters.banks.formats.csvfile import FORMAT
from tests.fixture_corpus import CorpusFile, under

CSV_FILES = under("csv")

# File name → (what the error must say, why we refuse it).
REFUSED = {
    "empty_statement_en.csv": ("no transaction rows", "header only: nothing to reconcile"),
    "NL99INGB9999999999_25-11-2019_30-05-2020.csv": (
        "daily balances only",
        "ING balance history: the peer returns 0 lines + a balance; we refuse a file without movements",
    ),
}

# File name → which expected profile reads it (so a detection regression is caught by name).
PROFILE_OF = {
    "debit_credit.csv": "oca-sheet-debit-credit",
    "meta_data_separated_credit_debit.csv": "oca-sheet-meta-debit-credit",
    "multi_currency.csv": "oca-sheet-signed",
    "original_currency.csv": "oca-sheet-signed",
    "sample_statement_credit_card_inverse_sign_en.csv": "oca-sheet-signed",
    "sample_statement_en.csv": "oca-sheet-signed",
    "statement_en.csv": "paypal-en",
    "statement_es.csv": "paypal-es",
    "viseca.csv": "viseca",
    "alfabank.csv": "ru-alfabank",
    "sberbank.csv": "ru-sberbank-card",
    "vtb.csv": "ru-vtb-card",
    "Knab_transactieoverzicht_ok.csv": "nl-knab",
    "ing_fail.csv": "nl-ing",
    "ing_ok_Mutatiesoort_Extra_Unquoted.csv": "nl-ing",
    "transactie-historie_NL00ASNB9999999999_20220717204133.csv": "nl-asn",
}


def _name(entry: CorpusFile) -> str:
    return entry.path.name


def test_every_corpus_csv_has_a_decision() -> None:
    assert {_name(f) for f in CSV_FILES} == set(REFUSED) | set(PROFILE_OF)


@pytest.mark.parametrize("entry", [f for f in CSV_FILES if _name(f) in REFUSED], ids=str)
def test_refused_files_say_why(entry: CorpusFile) -> None:
    message, _why = REFUSED[_name(entry)]
    with pytest.raises(ParseError, match=message):
        parse_bytes(entry.path.read_bytes(), entry.relpath)


def _lines(parsed: ParsedFile) -> list[StatementLine]:
    return [ln for s in parsed.statements for ln in s.lines]


def _data_rows(parsed: ParsedFile) -> int:
    return len({ln.source_line for ln in _lines(parsed)})


@pytest.mark.parametrize("entry", [f for f in CSV_FILES if _name(f) in PROFILE_OF], ids=str)
def test_parsed_files_keep_every_table_row(entry: CorpusFile) -> None:
    data = entry.path.read_bytes()
    layout = FORMAT.match(data[:65536])
    assert layout is not None
    assert layout.profile.name == PROFILE_OF[_name(entry)]
    parsed = parse_bytes(data, entry.relpath)
    probe = entry.expected["csv_probe"]
    if probe["delimiter"] != layout.delimiter:
        pytest.skip(f"csv_probe sniffed {probe['delimiter']!r}, the file uses {layout.delimiter!r}")
    text = data.decode(layout.profile.encoding).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=layout.delimiter))
    nonempty = [(i, r) for i, r in enumerate(rows) if "".join(r).strip()]
    assert len(nonempty) == probe["n_rows_nonempty"]
    header_row = -1 if layout.header_row is None else layout.header_row
    skip = layout.profile.skip_row_regex
    table = [r for i, r in nonempty if i > header_row]
    footers = [r for r in table if skip is not None and skip.search(layout.delimiter.join(r))]
    assert _data_rows(parsed) == len(table) - len(footers)


# Differences from the peer parser, each with the test of its explanation.
def _ing_extra_zero_line(parsed: ParsedFile, peer: dict[str, Any]) -> None:
    """The peer drops the 0,00 'Kwijtschelding' row; we keep every bank record."""
    lines = _lines(parsed)
    assert len(lines) == peer["n_lines"] + 1
    assert [ln.purpose for ln in lines if ln.amount == 0] == ["Kwijtschelding Valutadatum: 13-02-2020"]


def _alfa_operation_date(parsed: ParsedFile, peer: dict[str, Any]) -> None:
    """The peer dates a card line by the operation date inside its text; we use the booking date."""
    first_peer = date.fromisoformat(peer["first_date"][:10])
    assert parsed.statements[0].date_from == date(2017, 5, 3)
    assert any(first_peer.strftime("%d.%m.%y") in (ln.purpose or "") for ln in _lines(parsed))


def _vtb_derived_opening(parsed: ParsedFile, peer: dict[str, Any]) -> None:
    """The peer derives an opening balance from period totals; we report only the printed closing one."""
    (statement,) = parsed.statements
    assert statement.opening_balance is None
    assert statement.closing_balance == Decimal(peer["end_balance"])


KNOWN_DIFFERENCES = {
    "ing_ok_Mutatiesoort_Extra_Unquoted.csv": _ing_extra_zero_line,
    "alfabank.csv": _alfa_operation_date,
    "vtb.csv": _vtb_derived_opening,
}


@pytest.mark.parametrize(
    "entry", [f for f in CSV_FILES if _name(f) in PROFILE_OF and "peer_parser" in f.expected], ids=str
)
def test_parsed_files_agree_with_the_peer_parser(entry: CorpusFile) -> None:
    peer = entry.expected["peer_parser"]
    parsed = parse_bytes(entry.path.read_bytes(), entry.relpath)
    if peer["result"] != "ok":
        # ing_fail.csv: the peer refuses two accounts in one file; ING exports several accounts
        # on request, so we return one statement per account instead.
        assert "Only one account is allowed" in peer["result"]
        assert len({s.account for s in parsed.statements}) == len(parsed.statements) == 2
        return
    lines = _lines(parsed)
    assert sum((ln.amount for ln in lines), Decimal(0)) == Decimal(peer["sum_amounts"])
    assert {s.account for s in parsed.statements} <= {peer["account_id"], peer["account_id"].split()[-1]}
    check_difference = KNOWN_DIFFERENCES.get(_name(entry))
    if check_difference is not None:
        check_difference(parsed, peer)
        return
    assert len(lines) == peer["n_lines"]
    assert min(s.date_from for s in parsed.statements if s.date_from) == date.fromisoformat(peer["first_date"][:10])
    assert max(s.date_to for s in parsed.statements if s.date_to) == date.fromisoformat(peer["last_date"][:10])
    for key, ours in (("start_balance", "opening_balance"), ("end_balance", "closing_balance")):
        expected = None if peer[key] is None else Decimal(peer[key])
        assert getattr(parsed.statements[0], ours) == expected


def test_paypal_fees_are_separate_lines_and_balances_close_per_currency() -> None:
    (entry,) = [f for f in CSV_FILES if _name(f) == "statement_en.csv"]
    parsed = parse_bytes(entry.path.read_bytes(), entry.relpath)
    by_currency = {s.currency: s for s in parsed.statements}
    assert set(by_currency) == {"EUR", "USD"}
    usd = by_currency["USD"]
    fees = [ln for ln in usd.lines if ln.bank_ref and ln.bank_ref.endswith(":fee")]
    assert [f.amount for f in fees][:1] == [Decimal("-48.76")]
    assert all(s.balance_gap() == 0 for s in parsed.statements)


def test_meta_file_reads_account_currency_and_flags_its_balance_gap() -> None:
    (entry,) = [f for f in CSV_FILES if _name(f) == "meta_data_separated_credit_debit.csv"]
    (statement,) = parse_bytes(entry.path.read_bytes(), entry.relpath).statements
    assert (statement.account, statement.currency) == ("08088804068", "EUR")
    assert (statement.opening_balance, statement.closing_balance) == (Decimal("30000.77"), Decimal("31070.11"))
    assert statement.balance_gap() == Decimal("0.02")
    assert statement.warnings


def test_card_exports_read_purchases_as_money_leaving_the_account() -> None:
    (entry,) = [f for f in CSV_FILES if _name(f) == "viseca.csv"]
    (statement,) = parse_bytes(entry.path.read_bytes(), entry.relpath).statements
    first = statement.lines[0]
    assert (first.amount, first.counterparty_name) == (Decimal("-29.000"), "Jschalp Gastro AG")
