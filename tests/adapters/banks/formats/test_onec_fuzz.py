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
from adapters.banks.formats import onec_fast, onec_sections, parse_bytes
from adapters.banks.formats.onec import FORMAT
from benchmarks.synth.onec import generate
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


# --- The fast reader agrees with the careful one ----------------------------------------------
#
# ``onec_fast.read_fast`` reads well-formed files without splitting them into lines (a template
# per key sequence, the careful reader's code for a document no template fits) and hands anything
# it is not sure about to the careful line-by-line reader (``onec_sections.read_careful``). The
# rule: whenever it answers, its answer is exactly the careful reader's. Files are built so that
# both easy and awkward cases occur:
# documents of several shapes (so templates are compiled and then reused or missed), values
# holding "=", blank or blank-edged lines, bare openers, odd line endings and encodings.

_SHAPES = [
    ("Номер", "Дата", "Сумма", "ПлательщикСчет", "ПолучательСчет", "ДатаПоступило", "НазначениеПлатежа"),
    ("Номер", "Дата", "Сумма", "ПлательщикСчет", "ПолучательСчет", "ДатаСписано", "Код", "ПоказательКБК"),
    ("Дата", "Номер", "Сумма", "Плательщик", "ПлательщикРасчСчет", "Получатель", "ПолучательРасчСчет"),
]
_AWKWARD_LINES = ["", " ", "Сумма=1 ", " Номер=5", "Ключ=a=b", "=x", "x", "СекцияДокумент", "КонецДокумента",
                  "СекцияРасчСчет", "КонецФайла", "Номер\t=7", "СекцияДокумент=Банковский ордер ",
                  "Сумма=1\x1a"]  # fmt: skip


def _statement(shapes: list[int], values: list[str], kinds: list[str]) -> list[str]:
    lines = ["1CClientBankExchange", "ВерсияФормата=1.03", "РасчСчет=40702810900000000001"]
    lines += ["СекцияРасчСчет", "РасчСчет=40702810900000000001", "НачальныйОстаток=0", "КонецРасчСчет"]
    for number, shape in enumerate(shapes):
        kind = kinds[number % len(kinds)]
        lines.append(f"СекцияДокумент={kind}" if kind else "СекцияДокумент")
        keys = _SHAPES[shape % len(_SHAPES)]
        lines += [f"{key}={values[(number + i) % len(values)]}" for i, key in enumerate(keys)]
        lines.append("КонецДокумента")
    return [*lines, "КонецФайла", ""]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.integers(0, 5), min_size=1, max_size=12),
    st.lists(st.sampled_from(["", "1", "100.00", "02.03.2024", "40702810900000000001", "a=b", "ООО Ёлка"]), min_size=1),
    st.lists(st.sampled_from(["Платежное поручение", "", "Мемориальный ордер"]), min_size=1, max_size=3),
    st.lists(st.tuples(st.integers(0), st.sampled_from(_AWKWARD_LINES), st.booleans()), max_size=3),
    st.sampled_from(["\r\n", "\n", "\r"]),
    st.sampled_from(["cp1251", "utf-8", "cp866"]),
)
def test_the_fast_reader_answers_exactly_as_the_careful_reader_or_not_at_all(
    shapes: list[int],
    values: list[str],
    kinds: list[str],
    edits: list[tuple[int, str, bool]],
    newline: str,
    encoding: str,
) -> None:
    lines = _statement(shapes, values, kinds)
    for position, line, replace in edits:
        at = position % len(lines)
        lines[at : at + replace] = [line]
    data = newline.join(lines).encode(encoding)
    _reader_agreement(data)


def _reader_agreement(data: bytes) -> bool:
    """True when the fast reader answered (and so agreed); asserts agreement whenever it does."""
    fast = onec_fast.read_fast(data)
    if fast is None:
        return False
    assert fast == onec_sections.read_careful(data)
    return True


def test_the_fast_reader_takes_every_well_formed_statement_in_the_corpus_and_generated_ones() -> None:
    # Without this the agreement property could hold vacuously, the fast reader declining everything.
    # Real exports have trailing blanks and empty lines between documents: those stay on the fast path.
    assert _reader_agreement(generate(60, seed=7))
    assert _reader_agreement(generate(60, seed=7).replace(b"\r\n", b"\n"))
    for sample in SAMPLES:
        try:
            onec_sections.read_careful(sample)
        except ParseError:
            continue  # a broken file: the careful reader is the one to explain it
        assert _reader_agreement(sample)


def test_a_key_repeated_with_blanks_around_it_takes_its_last_line_in_both_readers() -> None:
    # Found by the property above: " Номер" and "Номер" are one key once stripped, and the last
    # line wins — also in the careful reader's one-split shortcut for a whole section.
    lines = _statement([0], ["1"], ["Платежное поручение"])
    at = lines.index("Номер=1")
    lines[at : at + 1] = [" Номер=5", "Номер=a=b", " Номер=5"]
    data = "\r\n".join(lines).encode("cp1251")
    assert _reader_agreement(data)
    careful = onec_sections.read_careful(data)
    assert careful.documents[0].values[0] == "5"  # Номер is the first of DOCUMENT_KEYS
