"""1CClientBankExchange against the third-party corpus: every ``1c/`` manifest entry.

The reference is the corpus' own minimal reader (``expected.own_1c_reader``); there is no peer
Python parser. It decides direction only by ПлательщикСчет/ПолучательСчет, so where it
reports documents of unknown direction we decide differently, on purpose, and say why in
``DELIBERATE`` (and in docs/formats/onec.md). Everything else must agree: document counts,
sums, per-account balances, periods, document dates, the decoding, and which files are refused.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from adapters.banks.base import ParsedFile, ParseError, StatementLine
from adapters.banks.formats.onec import FORMAT
from adapters.banks.formats.onec_sections import decode
from tests.fixture_corpus import BENCH_DIR, CorpusFile, under

FILES = under("1c")

# Files we refuse, and the words the refusal must contain.
REFUSED = {
    # Truncated after the account section (the peer's own test expects it to be rejected).
    "1c/open-condo-software__condo/1CClientBankExchange-Invalid.txt": "truncated",
    # A 1C → bank export whose last line is UTF-8 inside a cp1251 file; it names no account of ours.
    "1c/dronm__clbnk/to_bank.txt": "UTF-8 text inside a Windows-1251 file",
}

# Where we deliberately differ from the reference reader: (credits, debits) per file.
DELIBERATE: dict[str, tuple[str, str]] = {
    # Both documents go from account …890 to itself (payer = payee, ДатаСписано and ДатаПоступило
    # both set): each is a debit and a credit on …890. The reader calls them "direction unknown".
    "1c/Xini1__client-bank-exchange/sample1.txt": ("20.20", "20.20"),
    # Document Номер=1 is paid from another account but carries ДатаСписано in a one-account
    # statement: we book it as a debit (with a warning); the reader skipped it.
    "1c/dronm__clbnk/kl_to_1c.txt": ("0", "169992.00"),
    # Ten documents name an anonymised payer account (12312312312312312) but carry ДатаСписано:
    # read as debits, the statement reconciles exactly (45329.91 + 40000.00 − 41184.00 = 44145.91)
    # and matches ВсегоСписано, which is the evidence that this is right.
    "1c/kilylabs__client-bank-exchange-php/one_day.txt": ("40000.00", "41184.00"),
    "1c/kilylabs__client-bank-exchange-php/one_day_utf8.txt": ("40000.00", "41184.00"),
}


def _reader(entry: CorpusFile) -> dict[str, Any]:
    reader: dict[str, Any] = entry.expected["own_1c_reader"]
    return reader


def _parse(entry: CorpusFile) -> ParsedFile:
    return FORMAT.parse(entry.path.read_bytes(), entry.relpath)


def _documents(parsed: ParsedFile) -> dict[int, StatementLine]:
    """One line per document (a transfer between our accounts appears in two statements)."""
    found: dict[int, StatementLine] = {}
    for statement in parsed.statements:
        for line in statement.lines:
            assert line.source_line is not None
            found.setdefault(line.source_line, line)
    return found


def _ddmmyyyy(text: str | None) -> date | None:
    if text is None:
        return None
    day, month, year = (int(p) for p in text.split("."))
    return date(year, month, day)


def _amount(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def test_the_corpus_has_the_twelve_1c_files() -> None:
    assert len(FILES) == 12


@pytest.mark.parametrize("entry", FILES, ids=str)
def test_decoding_agrees_with_the_reference(entry: CorpusFile) -> None:
    _, encoding = decode(entry.path.read_bytes())
    assert encoding == _reader(entry)["decoded_as"]


@pytest.mark.parametrize("entry", FILES, ids=str)
def test_sniff_recognises_every_corpus_file(entry: CorpusFile) -> None:
    assert FORMAT.sniff(entry.path.read_bytes()[:65536], entry.path.name)


@pytest.mark.parametrize("entry", [f for f in FILES if f.relpath in REFUSED], ids=str)
def test_broken_files_are_refused_with_a_line_number(entry: CorpusFile) -> None:
    with pytest.raises(ParseError) as caught:
        _parse(entry)
    assert REFUSED[entry.relpath] in caught.value.reason
    assert caught.value.line is not None


READABLE = [f for f in FILES if f.relpath not in REFUSED]


@pytest.mark.parametrize("entry", READABLE, ids=str)
def test_every_document_is_read_with_the_same_amount_and_dates(entry: CorpusFile) -> None:
    reader = _reader(entry)
    documents = _documents(_parse(entry))
    assert len(documents) == reader["n_СекцияДокумент"]
    assert sum((ln.amount.copy_abs() for ln in documents.values()), Decimal(0)) == Decimal(reader["sum_Сумма"])
    assert sum(reader["document_types"].values()) == len(documents)
    kinds: dict[str, int] = {}
    for line in documents.values():
        kinds[line.details.get("document_kind", "")] = kinds.get(line.details.get("document_kind", ""), 0) + 1
    assert kinds == reader["document_types"]
    document_dates = sorted(date.fromisoformat(ln.details["document_date"]) for ln in documents.values())
    first = reader["first_Дата"] and date.fromisoformat(reader["first_Дата"])
    last = reader["last_Дата"] and date.fromisoformat(reader["last_Дата"])
    assert (document_dates[0], document_dates[-1]) == (first, last)


@pytest.mark.parametrize("entry", READABLE, ids=str)
def test_credits_and_debits_on_our_accounts(entry: CorpusFile) -> None:
    reader = _reader(entry)
    lines = [ln for statement in _parse(entry).statements for ln in statement.lines]
    credits = sum((ln.amount for ln in lines if ln.amount > 0), Decimal(0))
    debits = -sum((ln.amount for ln in lines if ln.amount < 0), Decimal(0))
    if entry.relpath in DELIBERATE:
        assert reader["n_docs_direction_unknown"] > 0  # the reader could not tell; we decided
        assert (credits, debits) == tuple(Decimal(v) for v in DELIBERATE[entry.relpath])
    else:
        assert reader["n_docs_direction_unknown"] == 0
        assert credits == Decimal(reader["credits_to_own_account"])
        assert debits == Decimal(reader["debits_from_own_account"])


@pytest.mark.parametrize("entry", READABLE, ids=str)
def test_one_statement_per_account_with_the_sections_balances_and_period(entry: CorpusFile) -> None:
    reader = _reader(entry)
    statements = _parse(entry).statements
    sections = reader["account_sections"]
    if sections:
        assert [s.account for s in statements] == [s["account"] for s in sections]
        for statement, section in zip(statements, sections, strict=True):
            assert statement.opening_balance == _amount(section["opening_balance"])
            assert statement.closing_balance == _amount(section["closing_balance"])
            assert statement.date_from == _ddmmyyyy(section["date_from"])
            assert statement.date_to == _ddmmyyyy(section["date_to"])
    else:
        # 1C's own exports for the bank: the header names the account and the period.
        assert [s.account for s in statements] == reader["header_РасчСчет"]
        assert statements[0].date_from == _ddmmyyyy(reader["header_ДатаНачала"])
        assert all(ln.status == "pending" for ln in statements[0].lines)


@pytest.mark.parametrize("entry", READABLE, ids=str)
def test_the_corpus_consistency_warnings_surface_as_statement_warnings(entry: CorpusFile) -> None:
    reader = _reader(entry)
    warnings = [w for statement in _parse(entry).statements for w in statement.warnings]
    total_warnings = [w for w in warnings if "ВсегоПоступило" in w or "ВсегоСписано" in w]
    if reader["consistency_warnings"] and entry.relpath not in DELIBERATE:
        assert total_warnings
    if not reader["consistency_warnings"] and entry.relpath not in DELIBERATE:
        assert total_warnings == []


def test_reading_anonymised_debits_by_date_makes_the_kilylabs_statement_reconcile() -> None:
    entry = next(f for f in FILES if f.relpath == "1c/kilylabs__client-bank-exchange-php/one_day.txt")
    (statement,) = _parse(entry).statements
    assert statement.balance_gap() == 0
    assert not any("ВсегоСписано" in w for w in statement.warnings)


def test_the_georgeals_statement_reconciles_without_warnings() -> None:
    entry = next(f for f in FILES if f.relpath.startswith("1c/Georgeals"))
    (statement,) = _parse(entry).statements
    assert statement.balance_gap() == 0
    assert statement.warnings == ()
    vat = [ln.details.get("vat_text") for ln in statement.lines]
    assert "в т.ч. НДС 18% - 152.54" in vat
    assert "В т.ч. НДС(18%) 1372-88" in vat


def test_budget_payment_indicators_are_kept() -> None:
    entry = next(f for f in FILES if f.relpath.startswith("1c/andrey9129"))
    (statement,) = _parse(entry).statements
    tax = next(ln for ln in statement.lines if ln.bank_ref == "300")
    assert tax.details["ПоказательКБК"] == "18210102010011000110"
    assert tax.details["ОКАТО"] == "60737000"
    assert tax.details["СтатусСоставителя"] == "02"


def test_the_benchmark_generators_1c_file_parses_with_document_numbers_as_bank_refs(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            str(BENCH_DIR / "gen_bench.py"),
            "--out",
            str(tmp_path),
            "--invoices",
            "500",
            "--partners",
            "50",
        ],
        check=True,
        capture_output=True,
    )
    (statement,) = FORMAT.parse((tmp_path / "kl_to_1c.txt").read_bytes(), "kl_to_1c.txt").statements
    with (tmp_path / "docno_to_ref.csv").open(encoding="utf-8") as handle:
        numbers = [row["docno"] for row in csv.DictReader(handle)]
    assert sorted(ln.bank_ref or "" for ln in statement.lines) == sorted(numbers)
    assert statement.balance_gap() == 0
    assert statement.warnings == ()
