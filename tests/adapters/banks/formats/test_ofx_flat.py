"""Reading a flat STMTTRN in one regex step must change nothing but the speed.

The fast path reads flat ``<STMTTRN>`` blocks whole (``ofx_flat``) and everything else tag by tag
(``ofx_tree``). Both readings exist side by side (``flat_transactions=False`` turns the first
off), so every test here parses the same bytes both ways and requires the very same outcome:
equal statements and lines (``raw`` and ``source_line`` included) or the very same refusal.
"""

from __future__ import annotations

import gc
from dataclasses import fields
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.banks.base import ParsedFile, ParseError, StatementLine
from adapters.banks.formats import ofx_fast
from adapters.banks.formats.ofx_contract import DETAIL_ELEMENTS
from adapters.banks.formats.ofx_fast import parse_fast
from adapters.banks.formats.ofx_flat import CAPTURED, RARE_KEYS, FlatTransaction
from adapters.banks.formats.ofx_text import decode
from adapters.banks.formats.ofx_tree import Aggregate, parse_tree
from benchmarks.synth.ofx import generate
from tests.adapters.banks.formats.test_ofx import TXN, sgml
from tests.fixture_corpus import CorpusFile, under

_STMTTRN = frozenset({"STMTTRN"})


def _read(data: bytes, *, flat: bool) -> ParsedFile | str:
    """The parsed file, or the refusal's full text (reason, line and element)."""
    try:
        return parse_fast(decode(data), "ofx", flat_transactions=flat)
    except ParseError as exc:
        return str(exc)


def _flat_share(data: bytes) -> tuple[int, int]:
    """(flat STMTTRNs, all STMTTRNs) in the tree of ``data``."""
    decoded = decode(data)
    assert decoded.root_start is not None
    nodes = list(parse_tree(decoded.text, decoded.root_start).iter(_STMTTRN))
    return sum(type(node) is FlatTransaction for node in nodes), len(nodes)


def _assert_same_reading(data: bytes) -> ParsedFile | str:
    flat = _read(data, flat=True)
    assert flat == _read(data, flat=False)
    return flat


@pytest.mark.parametrize("entry", under("ofx"), ids=str)
def test_every_fixture_reads_the_same_with_and_without_flat_blocks(entry: CorpusFile):
    _assert_same_reading(entry.path.read_bytes())


def test_most_corpus_transactions_take_the_flat_reading():
    flat = total = 0
    for entry in under("ofx"):
        try:
            found, count = _flat_share(entry.path.read_bytes())
        except (ParseError, AssertionError):
            continue  # refused or not OFX: covered by the test above
        flat, total = flat + found, total + count
    assert total >= 150
    assert flat >= 0.8 * total


def test_a_generated_statement_is_read_flat_and_the_same_either_way():
    data = generate(500, seed=3)
    assert _flat_share(data) == (500, 500)
    parsed = _assert_same_reading(data)
    assert isinstance(parsed, ParsedFile)
    assert len(parsed.statements[0].lines) == 500


def test_a_flat_line_carries_every_mapped_value():
    block = (
        "<STMTTRN>\n<TRNTYPE>check\n<DTPOSTED>20240105120000.000[-5:EST]\n<DTUSER>20240104\n"
        "<DTAVAIL>20240107\n<TRNAMT>+1250.5\n<FITID>F9 \n<CHECKNUM>1001\n<REFNUM>R7\n"
        "<NAME>J SMITH &amp; SONS\n<MEMO>INV 42  \n<X.BANK>ignored\n</STMTTRN>\n"
    )
    data = sgml(block).encode()
    assert _flat_share(data) == (1, 1)
    parsed = _assert_same_reading(data)
    assert isinstance(parsed, ParsedFile)
    (line,) = parsed.statements[0].lines
    assert line.amount == Decimal("1250.5")
    assert (line.booking_date, line.value_date) == (date(2024, 1, 5), date(2024, 1, 7))
    assert (line.bank_ref, line.counterparty_name, line.purpose) == ("F9", "J SMITH & SONS", "INV 42")
    assert line.details == {
        "trntype": "CHECK",
        "checknum": "1001",
        "refnum": "R7",
        "dtposted": "20240105120000.000[-5:EST]",
        "dtuser": "2024-01-04",
    }
    assert line.raw == block.rstrip("\n")


@pytest.mark.parametrize(
    ("block", "why"),
    [
        (TXN.replace("<TRNAMT>-12.50", "<TRNAMT>-12,50"), "decimal comma: parse_amount decides"),
        (TXN.replace("<MEMO>INV 42", "<MEMO>INV 42\n<MEMO>second"), "duplicate: the first one wins"),
        (TXN.replace("<MEMO>INV 42", "<MEMO>"), "blank value: element or aggregate"),
        (TXN.replace("<NAME>ACME LTD", "<PAYEE><NAME>ACME</PAYEE>"), "nested aggregate"),
        (TXN.replace("<TRNAMT>", "<trnamt>"), "lower-case name"),
        (TXN.replace("<FITID>F1", "<FITID>F1</TRNTYPE>"), "end tag of an earlier element"),
        (TXN.replace("</STMTTRN>\n", ""), "omitted end tag"),
    ],
)
def test_blocks_the_flat_pattern_does_not_claim_are_read_by_the_general_rules(block: str, why: str):
    data = sgml(block).encode()
    assert _flat_share(data)[0] == 0, why
    _assert_same_reading(data)


@pytest.mark.parametrize(
    ("block", "reason"),
    [
        (TXN.replace("20240105", "20241305"), "DTPOSTED: not a calendar date"),
        (TXN.replace("<MEMO>INV 42", "<MEMO>INV 42\n<DTAVAIL>20240230"), "DTAVAIL: not a calendar date"),
        (TXN.replace("<MEMO>INV 42", "<MEMO>INV 42\n<BANKACCTTO>text"), "aggregate <BANKACCTTO> holds text"),
        (TXN.replace("<TRNAMT>-12.50\n", ""), "transaction without TRNAMT"),
        (TXN + "trailing words", "outside any element"),
    ],
)
def test_broken_blocks_are_refused_with_the_same_reason_and_line_either_way(block: str, reason: str):
    refusal = _assert_same_reading(sgml(TXN + block).encode())
    assert isinstance(refusal, str)
    assert reason in refusal
    assert "line 1" not in refusal


def test_a_flat_block_after_the_root_is_refused_like_any_content():
    data = sgml(TXN).replace("</OFX>\n", "</OFX>\n" + TXN).encode()
    refusal = _assert_same_reading(data)
    assert isinstance(refusal, str)
    assert "content after the end of <OFX>" in refusal


def test_a_flat_block_ends_an_unclosed_stmttrn_before_it():
    unclosed = TXN.replace("</STMTTRN>\n", "").replace("F1", "F0")
    parsed = _assert_same_reading(sgml(unclosed + TXN).encode())
    assert isinstance(parsed, ParsedFile)
    assert [line.bank_ref for line in parsed.statements[0].lines] == ["F0", "F1"]


def test_an_ofx_tag_inside_a_comment_before_the_root_shifts_no_offsets():
    text = sgml(TXN).replace("<OFX>\n", "<!-- an <OFX> file\n\n --><OFX>\n", 1)
    parsed = _assert_same_reading(text.encode())
    assert isinstance(parsed, ParsedFile)
    (line,) = parsed.statements[0].lines
    assert line.raw == TXN.rstrip("\n")
    assert line.source_line is not None
    assert text.splitlines()[line.source_line - 1] == "<STMTTRN>"


# Pieces of STMTTRN blocks: every element the flat pattern knows, extensions, aggregates, names
# in the wrong case, and values that are plain, padded, blank, entity-laden or invalid.
_NAMES = [element for _, element, _ in CAPTURED] + ["X.EXT", "CATEGORY", "PAYEE", "CURRENCY", "trnamt", "Name"]
_VALUES = [
    "-12.50",
    "+.5",
    "1,5",
    "1e5",
    "20240105",
    "20240105120000.000[-5:EST]",
    "20241301",
    "00000000",
    "2024-01-05",
    "ACME & SONS",
    "A &amp; B &#65;",
    "",
    "   ",
    " padded  ",
    "x",
]
_GOOD = {"TRNTYPE": "DEBIT", "DTPOSTED": "20240105", "TRNAMT": "-1.50", "FITID": "F7", "NAME": "ACME", "MEMO": "INV 9"}
_EDITS = ["value", "value", "name", "own end tag", "other end tag", "duplicate", "extra", "drop"]


@st.composite
def _blocks(draw: st.DrawFn) -> str:
    """A valid flat STMTTRN in any order, then up to three edits that may or may not keep it flat."""
    elements = [[name, _GOOD[name], ""] for name in draw(st.permutations(list(_GOOD)))]
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        edit = draw(st.sampled_from(_EDITS))
        at = draw(st.integers(min_value=0, max_value=len(elements) - 1)) if elements else 0
        if edit == "value" and elements:
            elements[at][1] = draw(st.sampled_from(_VALUES))
        elif edit == "name" and elements:
            elements[at][0] = draw(st.sampled_from(_NAMES))
        elif edit == "own end tag" and elements:
            elements[at][2] = f"</{elements[at][0]}>"
        elif edit == "other end tag" and elements:
            elements[at][2] = f"</{draw(st.sampled_from(_NAMES))}>"
        elif edit == "duplicate" and elements:
            elements.insert(at, [elements[at][0], draw(st.sampled_from(_VALUES)), ""])
        elif edit == "extra":
            elements.insert(at, [draw(st.sampled_from(_NAMES)), draw(st.sampled_from(_VALUES)), ""])
        elif elements:
            del elements[at]
    gap = draw(st.sampled_from(["\n", "", "  ", " \n\t"]))
    closing = draw(st.sampled_from(["</STMTTRN>\n", "</STMTTRN>\n", "</STMTTRN>", ""]))
    return "<STMTTRN>" + gap + "".join(f"<{n}>{v}{end}{gap}" for n, v, end in elements) + closing


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_blocks(), min_size=1, max_size=3))
def test_generated_blocks_read_the_same_with_and_without_flat_blocks(blocks: list[str]):
    # A valid transaction first, so the statement is never refused for being empty.
    _assert_same_reading(sgml(TXN + "".join(blocks)).encode())


@settings(max_examples=100, deadline=None)
@given(st.permutations([element for _, element, _ in CAPTURED]), st.sampled_from(["\n", "", " \n "]))
def test_any_order_of_the_known_elements_is_read_flat(order: list[str], gap: str):
    values = {"TRNAMT": "-1.25", "DTPOSTED": "20240105", "DTUSER": "20240104", "DTAVAIL": "20240106"}
    block = "<STMTTRN>" + "".join(f"<{name}>{values.get(name, name.lower())}{gap}" for name in order) + "</STMTTRN>"
    data = sgml(block + "\n").encode()
    assert _flat_share(data) == (1, 1)
    _assert_same_reading(data)


def test_the_rare_captured_elements_are_the_contracts_detail_elements():
    assert tuple(element.lower() for element in DETAIL_ELEMENTS if element != "TRNTYPE") == RARE_KEYS


def test_the_fast_line_constructor_builds_the_same_frozen_line_as_the_class():
    values: dict[str, Any] = {
        "amount": Decimal("-1.50"),
        "currency": "EUR",
        "booking_date": date(2024, 1, 5),
        "value_date": None,
        "bank_ref": "F1",
        "counterparty_name": "ACME",
        "counterparty_account": None,
        "counterparty_tax_id": None,
        "purpose": "INV 1",
        "status": "booked",
        "details": {"dtposted": "20240105"},
        "raw": "<STMTTRN>...</STMTTRN>",
        "source_line": 12,
    }
    assert tuple(values) == tuple(field.name for field in fields(StatementLine)), "update _line_constructor"
    fast = ofx_fast._new_line(*values.values())
    assert type(fast) is StatementLine
    assert fast == StatementLine(**values)
    with pytest.raises(AttributeError):
        fast.amount = Decimal(0)  # type: ignore[misc]


def test_reading_a_big_file_leaves_the_garbage_collector_as_it_found_it(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(ofx_fast, "PAUSE_COLLECTOR_FROM", 0)  # pause even for a small file
    seen: list[bool] = []

    def spy(text: str, root_start: int, *, flat_transactions: bool = True) -> Aggregate:
        seen.append(gc.isenabled())
        return parse_tree(text, root_start, flat_transactions=flat_transactions)

    monkeypatch.setattr("adapters.banks.formats.ofx_fast.parse_tree", spy)
    assert gc.isenabled()
    _read(sgml(TXN).encode(), flat=True)
    assert isinstance(_read(sgml(TXN.replace("20240105", "20241305")).encode(), flat=True), str)
    assert seen == [False, False]
    assert gc.isenabled()
    gc.disable()
    try:
        _read(sgml(TXN).encode(), flat=True)
        assert not gc.isenabled(), "a collector the application turned off stays off"
    finally:
        gc.enable()
