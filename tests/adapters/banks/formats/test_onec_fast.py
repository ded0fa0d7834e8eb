"""The fast 1C reader (``onec_fast``) answers exactly as the careful reader, or not at all.

The careful reader (``onec_sections.read_careful``, line by line) is the reference: it reports
every error. The fast reader may decline any file (it returns None and the careful reader takes
over), but whenever it answers, its ``ExchangeFile`` — every document's values, kind, line
numbers and ``raw`` — must equal the careful reader's, and the statements parsed from it must
read the same, ``repr`` included. Checked on every corpus file, on generated statements in each
encoding and line ending, on padded ones (blank lines, blank-edged values, repeated keys,
values holding "="), on edge lines at the markers and on 1,200 mutated copies, each read whole
and in small pieces. ``test_onec_fuzz.py`` adds a hypothesis property over awkward hand-built
files.
"""

from __future__ import annotations

import random

import pytest

from adapters.banks.base import ParsedFile, ParseError
from adapters.banks.formats import onec, onec_fast
from adapters.banks.formats.onec_fast import read_fast
from adapters.banks.formats.onec_sections import read_careful
from benchmarks.synth.onec import generate
from tests.adapters.banks.formats.fast_reader_agreement import fast_reader_agrees
from tests.fixture_corpus import CorpusFile, under

CORPUS = under("1c")


@pytest.fixture(autouse=True, params=["whole", "small pieces"])
def piece_size(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    # Big files are decoded a megabyte at a time; test files are small, so every test also runs
    # with pieces of a few hundred bytes (a piece always ends after a closing line).
    if request.param == "small pieces":
        monkeypatch.setattr(onec_fast, "_CHUNK", 256)


def agree(data: bytes) -> bool:
    """True when the fast reader answered; asserts that its answer is the careful reader's."""
    return fast_reader_agrees(read_fast, read_careful, data, _equal)


def _equal(fast: object, reference: object) -> None:
    assert fast == reference


def _parsed_carefully(data: bytes, monkeypatch: pytest.MonkeyPatch) -> ParsedFile | str:
    with monkeypatch.context() as patch:
        patch.setattr(onec, "read_fast", lambda _data: None)
        return _outcome(data)


def _outcome(data: bytes) -> ParsedFile | str:
    try:
        return onec.FORMAT.parse(data, "f.txt")
    except ParseError as exc:
        return f"ParseError: {exc}"


def _same_statements(data: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    # Equal dataclasses can still differ in what repr shows (dict order, Decimal exponent).
    assert repr(_outcome(data)) == repr(_parsed_carefully(data, monkeypatch))


@pytest.mark.parametrize("f", CORPUS, ids=str)
def test_corpus_files_read_the_same_and_well_formed_ones_take_the_fast_path(
    f: CorpusFile, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = f.path.read_bytes()
    try:
        read_careful(data)
    except ParseError:
        assert read_fast(data) is None
    else:
        # Without this the agreement could hold vacuously, the fast reader declining everything.
        assert agree(data)
    _same_statements(data, monkeypatch)


def _variants(data: bytes) -> list[bytes]:
    """The same statement with LF only, in UTF-8 (with and without BOM) and in DOS cp866."""
    text = data.decode("cp1251")
    return [
        data,
        data.replace(b"\r\n", b"\n"),
        text.encode("utf-8"),
        b"\xef\xbb\xbf" + text.encode("utf-8"),
        text.replace("Кодировка=Windows", "Кодировка=DOS").encode("cp866"),
    ]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_statements_take_the_fast_path_in_every_encoding_and_line_ending(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    for data in _variants(generate(40, seed=seed)):
        assert agree(data)
        _same_statements(data, monkeypatch)


def _padded(data: bytes, rng: random.Random) -> bytes:
    """Blank lines between documents, blank-edged values, repeated keys, values holding "="."""
    lines = data.split(b"\r\n")
    out = []
    for line in lines:
        roll = rng.random()
        if line.startswith("КонецДокумента".encode("cp1251")) and roll < 0.3:
            out += [line, b"", b" \t"]
            continue
        if b"=" in line and not line.startswith("СекцияДокумент".encode("cp1251")):
            if roll < 0.03:
                line += b" "
            elif roll < 0.06:
                line = line.replace(b"=", b"= ", 1)
            elif roll < 0.08:
                line += b"=x"
            elif roll < 0.1:
                out.append(line.split(b"=")[0] + b"=earlier")
        out.append(line)
    return b"\r\n".join(out)


@pytest.mark.parametrize("seed", range(4))
def test_padded_statements_read_the_same(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _padded(generate(60, seed=seed), random.Random(seed))
    assert agree(data)  # awkward documents are read by the careful reader's code, not declined
    _same_statements(data, monkeypatch)


_INSERTS = [b" ", b"\r", b"\n", b"\r\n", b"=", b"\t", b"\x1a", b"", b"x", b"\x98", b"\xd0\xb8",
            "КонецДокумента\r\n".encode("cp1251"), "СекцияДокумент=\r\n".encode("cp1251"),
            "КонецФайла\r\n".encode("cp1251"), "СекцияРасчСчет\r\n".encode("cp1251")]  # fmt: skip


def _mutated(data: bytes, rng: random.Random) -> bytes:
    edited = bytearray(data)
    for _ in range(rng.randrange(1, 4)):
        at = rng.randrange(len(edited) + 1)
        if rng.random() < 0.5:
            line_end = edited.find(b"\n", at)  # at a line's start or end, where structure lives
            at = at if line_end < 0 else line_end + rng.randrange(2)
        edited[at : at + rng.randrange(0, 6)] = rng.choice(_INSERTS)
    return bytes(edited)


@pytest.mark.parametrize("seed", range(3))
def test_mutated_statements_read_the_same_whichever_reader_answers(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(seed)
    sources = [f.path.read_bytes() for f in CORPUS] + _variants(generate(12, seed=seed))
    answered = 0
    for _ in range(400):
        data = _mutated(rng.choice(sources), rng)
        answered += agree(data)
        _same_statements(data, monkeypatch)
    assert answered > 50  # most edits leave a readable file: the fast reader must still take many


def test_a_file_of_many_document_shapes_compiles_a_bounded_number_of_templates(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    compiled = []
    real = onec_fast._template

    def counting(keys: tuple[str, ...]) -> onec_fast._Template:
        compiled.append(keys)
        return real(keys)

    monkeypatch.setattr(onec_fast, "_template", counting)
    lines = ["1CClientBankExchange", "РасчСчет=40702810900000000001"]
    for number in range(40):
        extra = [f"Поле{number % 20}=x"]  # twenty shapes, each seen twice
        lines += ["СекцияДокумент=Платежное поручение", f"Номер={number}", "Дата=01.02.2024", "Сумма=1.00"]
        lines += [*extra, "ПолучательСчет=40702810900000000001", "КонецДокумента"]
    data = "\r\n".join([*lines, "КонецФайла", ""]).encode("cp1251")
    assert agree(data)
    assert 0 < len(compiled) <= onec_fast._MAX_TEMPLATES


# Lines the careful reader reads by its own rules (blanks stripped around markers and keys, a
# marker's first "=" splitting it), each put into the second document of a statement.
_EDGE_CASES = {
    "opener with a blank before =": ("СекцияДокумент=Платежное поручение", "СекцияДокумент =Платежное поручение"),
    "bare opener with a blank": ("СекцияДокумент=Платежное поручение", "СекцияДокумент "),
    "longer word than the opener": ("СекцияДокумент=Платежное поручение", "СекцияДокументы=x"),
    "kind holding =": ("СекцияДокумент=Платежное поручение", "СекцияДокумент=a=b"),
    "closing line with a trailing blank": ("КонецДокумента", "КонецДокумента "),
    "closing line with a leading blank": ("КонецДокумента", " КонецДокумента"),
    "closing line with a tab": ("КонецДокумента", "КонецДокумента\t"),
    "closing word as a key": ("КонецДокумента", "КонецДокумента=1\r\nКонецДокумента"),
    "empty line inside": ("КонецДокумента", "\r\nКонецДокумента"),
    "lone CR inside a value": ("ВидПлатежа=Электронно", "ВидПлатежа=Элек\rтронно"),
    "CR at a value's end": ("ВидПлатежа=Электронно", "ВидПлатежа=Электронно\r"),
    "blank-only line between": ("КонецДокумента", "КонецДокумента\r\n \t\x1a"),
    "key with a blank": ("Сумма=", " Сумма="),
    "opener inside": ("КонецДокумента", "СекцияДокумент=x\r\nКонецДокумента"),
}


@pytest.mark.parametrize("case", _EDGE_CASES, ids=str)
def test_edge_lines_read_the_same_whichever_reader_answers(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = _EDGE_CASES[case]
    text = generate(6, seed=5).decode("cp1251")
    second = text.index("СекцияДокумент", text.index("КонецДокумента"))
    at = text.index(old, second)
    for data in (text[:at] + new + text[at + len(old) :]).encode("cp1251"), generate(6, seed=5):
        agree(data)
        _same_statements(data, monkeypatch)


def test_the_dos_encoding_key_is_looked_for_where_the_careful_reader_looks(monkeypatch: pytest.MonkeyPatch) -> None:
    # The careful reader looks for the cp866 "Кодировка" in the first 8 KB of the file with CRLF
    # already rewritten; with 1,800 short CRLF lines before it, the key is past 8 KB of the raw
    # bytes but inside the first 8 KB of the rewritten ones.
    text = generate(3, seed=2).decode("cp1251").replace("Кодировка=Windows", "Кодировка=DOS")
    first_line_end = text.index("\r\n") + 2
    padded = text[:first_line_end] + "Ф=1\r\n" * 1800 + text[first_line_end:]
    data = padded.encode("cp866")
    assert data.index("Кодировка".encode("cp866")) > 8192
    assert agree(data)
    fast = read_fast(data)
    assert fast is not None
    assert fast.encoding == "cp866"
    _same_statements(data, monkeypatch)
