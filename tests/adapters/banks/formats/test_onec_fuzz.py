"""Hostile and mangled 1CClientBankExchange input: only ParseError may escape, quickly.

Both entry points are fuzzed: ``FORMAT.parse`` directly (no safety net) and ``parse_bytes``,
whose catch-all turns parser bugs into "unreadable …" refusals, which must never be what
answered: a refusal must come from the parser itself.
"""

from __future__ import annotations

import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.banks.base import ParsedFile, ParseError
from adapters.banks.formats import parse_bytes
from adapters.banks.formats.onec import FORMAT
from tests.fixture_corpus import under

MAGIC = b"1CClientBankExchange\r\n"
SAMPLES = [f.path.read_bytes() for f in under("1c")]


def _only_parse_errors(data: bytes) -> None:
    for parse in (FORMAT.parse, parse_bytes):
        with contextlib.suppress(ParseError):
            assert isinstance(parse(data, "fuzz.txt"), ParsedFile)
    try:
        parse_bytes(data, "fuzz.txt")
    except ParseError as exc:
        refusal = exc
    else:
        return
    assert not refusal.reason.startswith("unreadable"), refusal.reason


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_after_the_magic_line_only_raise_parse_error(noise: bytes) -> None:
    _only_parse_errors(MAGIC + noise)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(SAMPLES),
    st.lists(st.tuples(st.integers(min_value=0), st.binary(max_size=8), st.integers(0, 40)), max_size=6),
)
def test_mutated_corpus_files_only_raise_parse_error(sample: bytes, edits: list[tuple[int, bytes, int]]) -> None:
    data = bytearray(sample)
    for position, insert, delete in edits:
        at = position % (len(data) + 1)
        data[at : at + delete] = insert
    _only_parse_errors(bytes(data))


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(SAMPLES),
    st.lists(st.integers(min_value=0), min_size=1, max_size=4),
    st.sampled_from(["", "Сумма=", "Дата=32.13.2024", "СекцияДокумент", "КонецДокумента", "КонецРасчСчет", "x"]),
)
def test_corpus_files_with_lines_dropped_or_replaced_only_raise_parse_error(
    sample: bytes, picks: list[int], replacement: str
) -> None:
    lines = sample.split(b"\n")
    for pick in picks:
        lines[pick % len(lines)] = replacement.encode("cp1251")
    _only_parse_errors(b"\n".join(lines))


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="=СекцияДокументРасчСчетКонецФайла\r\n0123456789.,- ", max_size=400))
def test_structure_words_in_any_order_only_raise_parse_error(body: str) -> None:
    _only_parse_errors(MAGIC + body.encode("cp1251"))
