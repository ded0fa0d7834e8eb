"""The fast path and the ofxparse reference path give identical results wherever both read a file.

Identical means every field of every statement and line, with one exception: ``raw``. The
reference path can only offer BeautifulSoup's re-rendering of the STMTTRN (lower-cased, closing
tags added); the fast path keeps the bank's own text, which is what a dispute needs.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from adapters.banks.base import ParsedFile, ParseError
from adapters.banks.formats.ofx import FORMAT
from benchmarks.synth.ofx import generate
from tests.fixture_corpus import CorpusFile, under

# Files the fast path reads and ofxparse crashes on (empty balances, empty FITID): no parity to check.
ONLY_FAST_READS = {
    "ofx/asgrim__ofxparser/ofxdata-selfclose.ofx",
    "ofx/jbms__beancount-import/checking-emptyledgerbal.ofx",
    "ofx/jseutter__ofxparse/fail_nice/empty_balance.ofx",
    "ofx/jseutter__ofxparse/ofx-v102-empty-tags.ofx",
}


def _comparable(parsed: ParsedFile) -> list[dict[str, Any]]:
    statements = [dataclasses.asdict(statement) for statement in parsed.statements]
    for statement in statements:
        for line in statement["lines"]:
            del line["raw"]
    return statements


def _outcome(data: bytes, name: str, reader: Any) -> ParsedFile | None:
    try:
        return FORMAT.parse(data, name, reader=reader)
    except ParseError:
        return None


@pytest.mark.parametrize("entry", under("ofx"), ids=str)
def test_fast_and_reference_paths_agree_on_every_fixture_both_accept(entry: CorpusFile):
    data = entry.path.read_bytes()
    fast = _outcome(data, entry.relpath, "fast")
    reference = _outcome(data, entry.relpath, "reference")
    if fast is None or reference is None:
        # Deliberate differences, listed in test_ofx_conformance and docs/formats/ofx.md.
        assert reference is None, "the reference path read a file the fast path refuses"
        assert (fast is not None) == (entry.relpath in ONLY_FAST_READS)
        return
    assert _comparable(fast) == _comparable(reference)


def test_the_fixtures_where_both_paths_read_are_most_of_the_corpus():
    both = 0
    for entry in under("ofx"):
        data = entry.path.read_bytes()
        if _outcome(data, entry.relpath, "fast") and _outcome(data, entry.relpath, "reference"):
            both += 1
    assert both >= 28


def test_fast_and_reference_paths_agree_on_a_generated_statement_with_accents_and_ampersands():
    data = generate(300, seed=7)
    assert _comparable(FORMAT.parse(data, "synth.ofx")) == _comparable(
        FORMAT.parse(data, "synth.ofx", reader="reference")
    )
