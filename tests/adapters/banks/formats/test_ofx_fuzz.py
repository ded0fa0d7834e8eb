"""Hostile and damaged input: only ParseError may escape, through the registry and directly."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.banks.base import ParsedFile, ParseError
from adapters.banks.formats import parse_bytes
from adapters.banks.formats.ofx import FORMAT
from tests.fixture_corpus import under

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@cache
def _fixtures() -> tuple[bytes, ...]:
    return tuple(entry.path.read_bytes() for entry in under("ofx"))


def _refusal(parse: Callable[[], ParsedFile]) -> ParseError | None:
    try:
        assert isinstance(parse(), ParsedFile)
    except ParseError as exc:
        return exc
    return None


def _only_parse_errors(data: bytes) -> None:
    via_registry = _refusal(lambda: parse_bytes(data, "fuzz.ofx"))
    direct = _refusal(lambda: FORMAT.parse(data, "fuzz.ofx"))
    for refusal in (via_registry, direct):
        if refusal is not None:
            assert refusal.reason
            assert refusal.file == "fuzz.ofx"
            # The catch-all that turns our own bugs into refusals must never be what answered.
            assert not refusal.reason.startswith("unreadable"), refusal.reason


@FUZZ
@given(st.binary(max_size=2048))
def test_arbitrary_bytes_after_an_ofx_header_raise_only_parse_error(noise: bytes):
    _only_parse_errors(b"OFXHEADER:100\nCHARSET:1252\n\n<OFX>" + noise)


@FUZZ
@given(
    st.integers(min_value=0, max_value=41),
    st.lists(st.tuples(st.integers(min_value=0), st.binary(min_size=0, max_size=8)), min_size=1, max_size=6),
)
def test_mutated_real_fixtures_raise_only_parse_error(index: int, edits: list[tuple[int, bytes]]):
    data = bytearray(_fixtures()[index])
    for at, replacement in edits:
        position = at % (len(data) + 1)
        data[position : position + len(replacement)] = replacement
    _only_parse_errors(bytes(data))


@FUZZ
@given(
    st.lists(
        st.sampled_from(
            [
                "<OFX>",
                "</OFX>",
                "<STMTRS>",
                "</STMTRS>",
                "<STMTTRN>",
                "</STMTTRN>",
                "<TRNAMT>1.5",
                "<DTPOSTED>20240101",
                "<FITID>x",
                "<BANKTRANLIST>",
                "</BANKTRANLIST>",
                "<LEDGERBAL>",
                "<BALAMT>",
                "</LEDGERBAL>",
                "<",
                ">",
                "&amp;",
                "<!--",
                "-->",
                "<![CDATA[",
                "]]>",
                "\n",
                "<A/>",
            ]
        ),
        max_size=60,
    )
)
def test_shuffled_ofx_tags_raise_only_parse_error(parts: list[str]):
    _only_parse_errors(("<OFX>" + "".join(parts)).encode())


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=512))
def test_the_reference_path_raises_only_parse_error_too(noise: bytes):
    refusal = _refusal(lambda: FORMAT.parse(b"OFXHEADER:100\n\n<OFX><STMTRS>" + noise, "fuzz.ofx", reader="reference"))
    assert refusal is None or refusal.file == "fuzz.ofx"
