"""The fast MT940 readers give exactly what the readers before the speed work gave.

Exactly: the same messages and fields, and for every ``:61:`` the same ``StatementLine`` down to the
order of its ``details`` and the exponent of its amount (compared by ``repr``), the same date
problems, or the same ``ParseError``. The oracle is ``mt940_before_speedup``; inputs are the whole
corpus, generated files, mutated corpus files, and ``:61:``/``:86:`` text built from the pieces
those fields are made of.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.banks.base import ParseError
from adapters.banks.formats import mt940, mt940_lexer
from adapters.banks.formats.mt940_fields import parse_statement_line
from adapters.banks.formats.mt940_info import parse_information
from benchmarks.synth.mt940 import generate
from tests.adapters.banks.formats import mt940_before_speedup as before
from tests.fixture_corpus import FIXTURES_DIR, under

_CORPUS = [entry.path.read_bytes() for entry in under("mt940")]
_GENERATED = [generate(600, seed=seed) for seed in (1, 2, 3)]


def _field_view(message: mt940_lexer.Message) -> list[tuple[str, list[str], int]]:
    return [(f.tag, list(f.lines), f.line_no) for f in message.fields]


def _outcome(read: object, *args: object) -> str:
    """``repr`` of what ``read`` returns, or of the ParseError it raises (message and line)."""
    try:
        return repr(read(*args))  # type: ignore[operator]
    except ParseError as exc:
        return f"ParseError({exc!s}, line={exc.line})"


def _assert_same_reading(data: bytes) -> None:
    """Messages, and every line built from them, agree between the fast readers and the oracle."""
    text, _ = mt940_lexer.decode(data)
    lines = mt940_lexer.split_lines(text)
    found = mt940_lexer.messages(lines)
    assert [_field_view(m) for m in found] == [_field_view(m) for m in before.messages(lines)]
    for message in found:
        sorted_fields = _outcome(mt940._sort_fields, message)
        assert sorted_fields == _outcome(before.sort_fields, message)
        if sorted_fields.startswith("ParseError"):
            continue
        fields = mt940._sort_fields(message)
        for pending in (False, True):
            for entry in fields.entries:
                fast = _outcome(mt940._statement_line, entry, "EUR", "pending" if pending else "booked")
                old = _outcome(before.statement_line, entry.line, entry.info, entry.non_standard, "EUR", pending)
                assert fast == old


def test_every_corpus_file_reads_the_same() -> None:
    assert len(_CORPUS) == 39
    for data in _CORPUS:
        _assert_same_reading(data)


def test_generated_files_read_the_same() -> None:
    for data in _GENERATED:
        _assert_same_reading(data)


_SEEDS = [*_CORPUS, *_GENERATED, (FIXTURES_DIR / "mt940/OCA__bank-statement-import/test-ing.940").read_bytes()]
# What the mutations insert: the tokens the readers decide on, so that mutations hit the rules.
_TOKENS = [
    b"?2", b"?20", b"?32", b"?33", b"?31", b"?00", b"?10", b"?34", b"?60", b"?", b">", b">2", b"/NAME/",
    b"/IBAN/", b"/REMI/", b"/CNTP/", b"/EREF/", b"USTD//", b"EREF+", b"SVWZ+", b"MREF+", b"-", b"\r", b"\n",
    b"\r\n-\r\n", b"\r\n:86:", b"\r\n:61:", b"{4:", b"-}", b"  ", b"    ", b"RC", b"RD", b"NONREF", b"//",
    b"166?", b"\x01", b"\xe4", b"\r\n:20:X\r\n", b"\r\n:62F:C231220EUR1,00\r\n", b"1231", b"0101", b",",
    b"\r\n ", b"\r\n:NS:22x",
]  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.sampled_from(_SEEDS),
    cuts=st.lists(
        st.tuples(st.integers(0, 60_000), st.integers(0, 40), st.sampled_from(_TOKENS) | st.binary(max_size=8)),
        min_size=1,
        max_size=6,
    ),
)
def test_mutated_files_read_the_same(seed: bytes, cuts: list[tuple[int, int, bytes]]) -> None:
    data = bytearray(seed[:60_000])
    for at, length, insert in cuts:
        at %= max(len(data), 1)
        data[at : at + length] = insert
    _assert_same_reading(bytes(data))


_TEXT = st.lists(
    st.sampled_from(
        ["EREF+", "SVWZ+", "MREF+", "KREF+", "USTD//", "STRD/CUR/", "/", "//", " ", "  ", "?", "x", "Kunde"]
    )
    | st.text(max_size=3),
    max_size=5,
).map("".join)
_GERMAN_86 = st.tuples(
    st.sampled_from(["166", "835", "12"]),
    st.sampled_from("?>"),
    st.lists(
        st.tuples(st.sampled_from(["00", "10", "20", "21", "29", "30", "31", "32", "33", "34", "60", "63", "9"]), _TEXT)
    ),
).map(lambda g: g[0] + "".join(g[1] + key + text for key, text in g[2]))
_SLASH_86 = st.lists(
    st.tuples(st.sampled_from(["NAME", "IBAN", "REMI", "CNTP", "EREF", "BIC", "TRTP", "ORDP", "ADDR", "XX"]), _TEXT)
).map(lambda pairs: "".join(f"/{code}/{text}" for code, text in pairs))
_PROSE_86 = st.lists(st.sampled_from(["NL49RABO0166416932 ", "gerrits glas", " ", "\t"]) | _TEXT).map("".join)


def _wrapped(text: str, widths: list[int]) -> list[str]:
    """``text`` cut into lines as banks wrap it (mid-word, at arbitrary widths)."""
    lines, at = [], 0
    for width in widths:
        lines.append(text[at : at + width])
        at += width
    return [*lines, text[at:]] if at < len(text) or not lines else lines


@settings(max_examples=1000, deadline=None)
@given(
    text=_GERMAN_86 | _SLASH_86 | _PROSE_86,
    widths=st.lists(st.integers(0, 30), max_size=3),
    lead=st.sampled_from(["", " ", "  "]),
)
def test_86_text_reads_the_same(text: str, widths: list[int], lead: str) -> None:
    lines = _wrapped(lead + text, widths)
    details: dict[str, str] = {"mark": "C"}
    name, account, purpose = parse_information(lines, details)
    old = before.parse_information(lines)
    assert (name, account, purpose) == (old.counterparty_name, old.counterparty_account, old.purpose)
    assert list(details.items()) == [("mark", "C"), *old.details.items()]


_61_FIRST = st.tuples(
    st.sampled_from(["240102", "231231", "240101", "160230", "24010"]),
    st.sampled_from(["", "0102", "1231", "0101", "0230", "    ", "12"]),
    st.sampled_from(["C", "D", "RC", "RD", "X"]),
    st.sampled_from(["", "R", "C", "D"]),
    st.sampled_from(["12,50", "6800,", "0,00", "0001,5", "1", ","]),
    st.sampled_from(["", "NTRF", "N654", "S   ", "NONREF", "NONR", "ntrf", "N12"]),
    st.lists(
        st.sampled_from(["NONREF", "REF1", "//", "B123", "  ", " ", "NL49RABO0166416932", "J. JANSEN", "x" * 17])
        | st.text(max_size=3),
        max_size=5,
    ).map("".join),
).map("".join)
_61_MORE = st.sampled_from(["/TRCD/010", "16", "/", " NL49RABO0166416932 ", "", "  x  "])


@settings(max_examples=1000, deadline=None)
@given(first=_61_FIRST | st.text(max_size=30), more=st.lists(_61_MORE, max_size=2))
def test_61_text_reads_the_same(first: str, more: list[str]) -> None:
    lines = [first, *more]
    assert _outcome(parse_statement_line, lines, 7) == _outcome(before.parse_statement_line, lines, 7)


@settings(max_examples=1000, deadline=None)
@given(line=st.text(alphabet=":0123456789ANSZa\u0663 ", max_size=7))
def test_tag_lookup_finds_exactly_the_tags_the_pattern_found(line: str) -> None:
    match = before._TAG.match(line)
    assert mt940_lexer._tag_end(line) == (match.end() - 1 if match else -1)
