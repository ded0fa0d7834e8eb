"""Every CAMT file of the third-party corpus against what the peers observed (``MANIFEST.json``).

``lxml_xpath`` counts Ntry elements and sums them signed by CdtDbtInd; ``oca_golden`` is OCA's
committed parser output. Where we deliberately differ, the test says so and why (see also
``docs/formats/camt.md``). Plus a fuzz test: whatever the bytes, only ParseError escapes.
"""

from __future__ import annotations

import contextlib
import random
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.banks.base import ParsedStatement, ParseError
from adapters.banks.formats import parse_bytes
from adapters.banks.formats.camt import FORMAT
from tests.fixture_corpus import CorpusFile, under

CAMT_FILES = under("camt")
REJECTED = [f for f in CAMT_FILES if f.expected.get("lxml_xpath", {}).get("result", "ok") != "ok"]
ACCEPTED = [f for f in CAMT_FILES if f not in REJECTED]


def test_the_corpus_has_the_28_camt_files():
    assert len(CAMT_FILES) == 28
    assert len(REJECTED) == 2


def entry_count(statement: ParsedStatement) -> int:
    """Entries, counting a split batch once (its lines carry batch_index 1..n)."""
    return sum(1 for ln in statement.lines if ln.details.get("batch_index", "1") == "1")


def summaries(f: CorpusFile) -> list[tuple[str, dict[str, Any]]]:
    """(label, lxml_xpath summary) per XML document: the file itself or each zip member."""
    if "zip_members" in f.expected:
        return [(m["member"], m["lxml_xpath"]) for m in f.expected["zip_members"]]
    return [(f.relpath, f.expected["lxml_xpath"])]


@pytest.mark.parametrize("f", ACCEPTED, ids=str)
def test_statements_entries_and_signed_sums_match_the_xpath_summary(f: CorpusFile):
    parsed = parse_bytes(f.path.read_bytes(), f.relpath)
    assert parsed.format == "camt"
    reports = [r for _label, summary in summaries(f) for r in summary["reports"]]
    assert len(parsed.statements) == len(reports)
    for statement, report in zip(parsed.statements, reports, strict=True):
        assert statement.statement_id == report["id"]
        if report["account"] is None:
            # Deliberate: the xpath summary reads only IBAN/Othr; camt v01 names the account in
            # Id/PrtryAcct/Id, which we read too.
            assert statement.account is not None
        else:
            assert statement.account == report["account"]
        assert entry_count(statement) == report["n_entries"]
        # Splitting batches never changes the money: lines sum to the entries exactly.
        assert sum((ln.amount for ln in statement.lines), Decimal(0)) == Decimal(report["sum_signed"])
        assert sum(1 for ln in statement.lines if ln.details.get("reversal")) >= report["n_reversal_entries"]
        assert {ln.currency for ln in statement.lines} == set(report["entry_currencies"])


@pytest.mark.parametrize("f", ACCEPTED, ids=str)
def test_opening_and_closing_balances_match_and_mismatches_are_flagged(f: CorpusFile):
    parsed = FORMAT.parse(f.path.read_bytes(), f.relpath)
    reports = [r for _label, summary in summaries(f) for r in summary["reports"]]
    for statement, report in zip(parsed.statements, reports, strict=True):
        types = report["balance_types"]
        if "OPBD" in types or "PRCD" in types:
            assert statement.opening_balance == Decimal(report["opening_balance"]["amount"])
        else:
            # Deliberate: the xpath summary takes any first balance (ITBD in genkgo's camt.052)
            # as the opening one; an interim balance is not an opening balance, so we leave it
            # unset rather than let the importer reconcile against it.
            assert statement.opening_balance is None
        if "CLBD" in types:
            assert statement.closing_balance == Decimal(report["closing_balance"]["amount"])
        else:
            assert statement.closing_balance is None
        balanced = report["opening_plus_sum_equals_closing"]
        flagged = any("closing balance is" in w for w in statement.warnings)
        if statement.opening_balance is not None and statement.closing_balance is not None:
            assert flagged is (balanced is False)
        else:
            assert not flagged


@pytest.mark.parametrize("f", [f for f in ACCEPTED if "oca_golden" in f.expected], ids=str)
def test_line_counts_and_sums_match_oca_golden_output(f: CorpusFile):
    golden = f.expected["oca_golden"]
    parsed = FORMAT.parse(f.path.read_bytes(), f.relpath)
    if golden["n_statements"] == 0:
        # Deliberate: OCA drops a statement without entries; we keep it, because its balances
        # still tell the importer where the account stood (and that nothing moved).
        assert len(parsed.statements) == 1
        assert parsed.statements[0].lines == ()
        return
    assert len(parsed.statements) == golden["n_statements"]
    for statement, expected in zip(parsed.statements, golden["statements"], strict=True):
        # OCA also emits one transaction per TxDtls of a batch; the counts agree.
        assert len(statement.lines) == expected["n_transactions"]
        assert sum((ln.amount for ln in statement.lines), Decimal(0)) == Decimal(expected["sum_amounts"])


def ofxstatement_result(f: CorpusFile) -> dict[str, Any] | None:
    """ofxstatement-iso20022's successful reading (first try or the retry), if it had one."""
    check = f.expected.get("ofxstatement_iso20022_crosscheck")
    if not check:
        return None
    result = check if check.get("result") == "ok" else check.get("retry_with_settings", {})
    return result if result.get("result") == "ok" else None


@pytest.mark.parametrize("f", [f for f in ACCEPTED if ofxstatement_result(f)], ids=str)
def test_first_statement_agrees_with_ofxstatement_where_it_parsed(f: CorpusFile):
    result = ofxstatement_result(f)
    assert result is not None
    first = FORMAT.parse(f.path.read_bytes(), f.relpath).statements[0]
    assert sum((ln.amount for ln in first.lines), Decimal(0)) == Decimal(result["sum_amounts"])
    assert first.opening_balance == Decimal(result["start_balance"])
    assert first.closing_balance == Decimal(result["end_balance"])


@pytest.mark.parametrize("f", REJECTED, ids=str)
def test_files_the_peers_reject_raise_a_useful_parse_error(f: CorpusFile):
    assert f.expected.get("peer_test_expectation")
    with pytest.raises(ParseError) as caught:
        parse_bytes(f.path.read_bytes(), f.relpath)
    message = str(caught.value)
    assert f.relpath in message
    assert ("urn:weird-namespace" in message) or ("no Stmt" in message)


def test_a_reversal_in_the_corpus_is_booked_in_its_indicators_direction():
    (f,) = [f for f in CAMT_FILES if f.relpath.endswith("OCA__bank-statement-import/test-camt053")]
    lines = FORMAT.parse(f.path.read_bytes(), f.relpath).statements[0].lines
    reversed_lines = [ln for ln in lines if ln.details.get("reversal")]
    assert [ln.amount for ln in reversed_lines] == [Decimal("-564.05"), Decimal("-100.00")]


# --- fuzz ---------------------------------------------------------------------------------------

SEEDS = [f.path.read_bytes() for f in ACCEPTED if f.path.stat().st_size < 20_000]


def mutate(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        kind = rng.randrange(4)
        pos = rng.randrange(len(out)) if out else 0
        if kind == 0 and out:
            out[pos] = rng.randrange(256)
        elif kind == 1:
            del out[pos : pos + rng.randint(1, 64)]
        elif kind == 2:
            out[pos:pos] = rng.choice([b"<", b">", b"&", b"<!DOCTYPE x>", b"\x00", b"DBIT", b"-1", b"</Ntry>"])
        else:
            start = rng.randrange(len(out)) if out else 0
            out[pos:pos] = out[start : start + rng.randint(1, 200)]
    return bytes(out)


def only_parse_errors(data: bytes) -> None:
    for parse in (FORMAT.parse, parse_bytes):
        with contextlib.suppress(ParseError):
            parse(data, "fuzz.xml")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048))
def test_arbitrary_bytes_raise_only_parse_error(data: bytes):
    only_parse_errors(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=len(SEEDS) - 1), st.randoms(use_true_random=False))
def test_mutated_fixtures_raise_only_parse_error(index: int, rng: random.Random):
    only_parse_errors(mutate(SEEDS[index], rng))
