"""Every OFX file of the third-party corpus, against what ofxparse (the reference) said about it.

Where we deliberately differ from ofxparse, the entry below says so and why; the same list is in
docs/formats/ofx.md. Everything else must agree on counts, sums, dates and balances.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from adapters.banks.base import ParsedFile, ParseError
from adapters.banks.formats import parse_bytes
from adapters.banks.formats.ofx import FORMAT
from tests.fixture_corpus import CorpusFile, under

OFX_FILES = under("ofx")

# Files we refuse, with the words the refusal must contain. ofxparse refuses the first three too;
# the others it "reads" into empty or meaningless accounts.
REFUSED = {
    # Peer test expects rejection; one STMTTRN lost its TRNAMT/DTPOSTED to a comment.
    "ofx/OCA__bank-statement-import/test_ofx_wrong.ofx": "without TRNAMT",
    "ofx/jseutter__ofxparse/fail_nice/date_missing.ofx": "without DTPOSTED",
    "ofx/jseutter__ofxparse/fail_nice/decimal_error.ofx": "not an amount",
    # libofx fuzz inputs: broken structure, nothing to import.
    "ofx/libofx__libofx/failing-ofx-file1.xml": "no <OFX> root",
    "ofx/libofx__libofx/downcast.ofx": "closes nothing",
    "ofx/libofx__libofx/heap-buffer-overflow-1.ofx": "no account, no transactions and no balance",
    "ofx/libofx__libofx/null-ptr-deref-1.ofx": "malformed markup",
    # Error responses and an account listing: ofxparse returns no (or statement-less) accounts;
    # an import that silently yields nothing would hide the bank's message.
    "ofx/jseutter__ofxparse/error_message.ofx": "status 2000 (ERROR) 'General Server Error'",
    "ofx/jseutter__ofxparse/signon_fail.ofx": "status 15500 (ERROR)",
    "ofx/jseutter__ofxparse/account_listing_aggregation.ofx": "no statement",
}

# Readable files ofxparse crashes on (fail_fast=True): compared with its fail_fast=False result.
READ_ALTHOUGH_OFXPARSE_CRASHES = {
    "ofx/asgrim__ofxparser/ofxdata-selfclose.ofx",  # <BALAMT> empty -> closing balance None + warning
    "ofx/jbms__beancount-import/checking-emptyledgerbal.ofx",  # <BALAMT/>
    "ofx/jseutter__ofxparse/fail_nice/empty_balance.ofx",  # <BALAMT> </BALAMT>
    "ofx/jseutter__ofxparse/ofx-v102-empty-tags.ofx",  # empty CURDEF, FITID, BALAMT
}

# Where our numbers differ from ofxparse's on purpose: relpath -> {account index: overrides}.
OVERRIDES: dict[str, dict[int, dict[str, Any]]] = {
    # ofxparse (even lenient) discards the transaction with an empty FITID; its amount and date
    # are unambiguous, so we keep it (bank_ref None, statement warning).
    "ofx/jseutter__ofxparse/ofx-v102-empty-tags.ofx": {
        0: {"n_transactions": 1, "sum_amounts": "12.34", "first_date": "2018-05-07", "last_date": "2018-05-07"}
    },
    # A SELLMF trade is not a bank statement line; ofxparse counts it as a transaction.
    "ofx/jseutter__ofxparse/vanguard.ofx": {
        0: {"n_transactions": 0, "sum_amounts": "0", "first_date": None, "last_date": None}
    },
}


def _reference(entry: CorpusFile) -> dict[str, Any]:
    observed: dict[str, Any] = entry.expected["ofxparse"]
    if entry.relpath in READ_ALTHOUGH_OFXPARSE_CRASHES:
        assert observed["result"] != "ok", "ofxparse reads it now: move the file out of this list"
        observed = observed["lenient_fail_fast_False"]
    assert observed["result"] == "ok"
    return observed


def _zones(entry: CorpusFile) -> set[float]:
    """The ``[offset:zone]`` suffixes the file writes dates with, plus 0 for dates without one."""
    found = re.findall(rb"<DT[A-Z]+>[0-9.]+\[([-+]?[0-9.]+):", entry.path.read_bytes())
    return {0.0} | {float(hours) for hours in found}


def _local_days(value: str | None, zones: set[float]) -> set[str | None]:
    """Deliberate difference: ofxparse shifts dates to UTC (20130831165153[-8:PST] becomes
    1 September); a statement line belongs to the bank's own day, so we undo the shift. The
    manifest keeps only the UTC value, so the day we report must be that value moved back by
    one of the offsets the file uses."""
    if not value:
        return {None}
    return {(datetime.fromisoformat(value) + timedelta(hours=hours)).date().isoformat() for hours in zones}


def test_the_corpus_has_the_42_ofx_files_the_suite_was_written_for():
    assert len(OFX_FILES) == 42
    named = set(REFUSED) | READ_ALTHOUGH_OFXPARSE_CRASHES | set(OVERRIDES)
    assert named <= {entry.relpath for entry in OFX_FILES}


def test_every_ofx_file_is_recognised_except_the_one_that_is_not_ofx():
    not_recognised = [e.relpath for e in OFX_FILES if not FORMAT.sniff(e.path.read_bytes()[:65536], e.relpath)]
    assert not_recognised == ["ofx/libofx__libofx/failing-ofx-file1.xml"]


@pytest.mark.parametrize("entry", [e for e in OFX_FILES if e.relpath in REFUSED], ids=str)
def test_broken_files_and_error_responses_are_refused_with_a_reason(entry: CorpusFile):
    with pytest.raises(ParseError) as caught:
        FORMAT.parse(entry.path.read_bytes(), entry.relpath)
    assert REFUSED[entry.relpath] in caught.value.reason
    assert caught.value.file == entry.relpath


@pytest.mark.parametrize("entry", [e for e in OFX_FILES if e.relpath not in REFUSED], ids=str)
def test_readable_files_agree_with_ofxparse_on_counts_sums_dates_and_balances(entry: CorpusFile):
    parsed = parse_bytes(entry.path.read_bytes(), entry.relpath)  # through detection, as in production
    assert parsed.format == "ofx"
    reference = _reference(entry)
    assert len(parsed.statements) == reference["n_accounts"]
    overrides = OVERRIDES.get(entry.relpath, {})
    zones = _zones(entry)
    for index, (statement, account) in enumerate(zip(parsed.statements, reference["accounts"], strict=True)):
        expected = {**account, **overrides.get(index, {})}
        dates = sorted(line.booking_date for line in statement.lines if line.booking_date)
        assert statement.account == (expected["account_id"] or None)
        assert statement.currency == (expected["currency"].upper() if expected["currency"] else None)
        assert len(statement.lines) == expected["n_transactions"]
        assert sum((line.amount for line in statement.lines), Decimal(0)) == Decimal(expected["sum_amounts"])
        assert (dates[0].isoformat() if dates else None) in _local_days(expected["first_date"], zones)
        assert (dates[-1].isoformat() if dates else None) in _local_days(expected["last_date"], zones)
        assert (statement.date_from.isoformat() if statement.date_from else None) in _local_days(
            expected["start_date"], zones
        )
        assert (statement.date_to.isoformat() if statement.date_to else None) in _local_days(
            expected["end_date"], zones
        )
        balance = expected["balance"]
        assert statement.closing_balance == (Decimal(balance) if balance is not None else None)
        assert statement.opening_balance is None  # OFX never states one; we do not invent it


@pytest.mark.parametrize("relpath", sorted(READ_ALTHOUGH_OFXPARSE_CRASHES))
def test_a_missing_closing_balance_is_flagged_not_hidden(relpath: str):
    entry = next(e for e in OFX_FILES if e.relpath == relpath)
    parsed: ParsedFile = FORMAT.parse(entry.path.read_bytes(), relpath)
    assert all(s.closing_balance is None for s in parsed.statements)
    assert all(any("LEDGERBAL has no amount" in w for w in s.warnings) for s in parsed.statements)


def test_ofxtools_agrees_where_it_reads_the_file_at_all():
    """ofxtools is far stricter; where it accepted a file, its totals must match ours too."""
    checked = 0
    for entry in OFX_FILES:
        cross = entry.expected.get("ofxtools_crosscheck", {})
        if cross.get("result") != "ok" or entry.relpath in REFUSED:
            continue
        parsed = FORMAT.parse(entry.path.read_bytes(), entry.relpath)
        ours = [(s.account, len(s.lines), sum((ln.amount for ln in s.lines), Decimal(0))) for s in parsed.statements]
        theirs = [(s["account_id"], s["n_transactions"], Decimal(s["sum_amounts"])) for s in cross["statements"]]
        if entry.relpath in OVERRIDES:  # vanguard: ofxtools also counts the trade
            continue
        assert ours == theirs, entry.relpath
        checked += 1
    assert checked >= 10
