"""The fast CAMT reader (``camt_fast``) answers exactly as the streaming reader, or not at all.

The streaming reader (lxml ``iterparse``, ``camt.read_streaming``) is the reference: it reports
every error. The fast reader may decline any document (it returns None and the streaming
reader takes over), but whenever it answers, its statements — every line, ``raw``, source
lines and details included — must equal the streaming reader's. Checked on every corpus file,
on generated statements (also past line 65,535, where libxml2 numbers lines differently), on
hostile documents, and on thousands of mutated copies of the corpus.
"""

from __future__ import annotations

import random
import re
from decimal import Decimal

import pytest

from adapters.banks.base import ParsedStatement
from adapters.banks.formats import camt_fast
from adapters.banks.formats.camt import read_streaming
from adapters.banks.formats.camt_fast import read_statements
from adapters.banks.formats.camt_zip import is_zip, zip_members
from benchmarks.synth.camt import generate
from tests.adapters.banks.formats.fast_reader_agreement import fast_reader_agrees
from tests.adapters.banks.formats.test_camt import NS53, document, entry, tx
from tests.fixture_corpus import CorpusFile, under


def xml_documents(f: CorpusFile) -> list[bytes]:
    data = f.path.read_bytes()
    return [content for _name, content in zip_members(data)] if is_zip(data[:4]) else [data]


def agree(data: bytes) -> bool:
    """True when the fast reader answered; asserts that its answer is the streaming reader's."""
    return fast_reader_agrees(read_statements, read_streaming, data, _same_statements)


def _same_statements(fast: list[ParsedStatement], reference: list[ParsedStatement]) -> None:
    assert len(fast) == len(reference)
    for ours, theirs in zip(fast, reference, strict=True):
        assert ours.lines == theirs.lines
        # Equal dataclasses can still differ in what repr shows (dict order, Decimal exponent).
        assert repr(ours) == repr(theirs)


CORPUS = under("camt")


@pytest.mark.parametrize("f", CORPUS, ids=str)
def test_corpus_files_read_the_same_and_well_formed_ones_take_the_fast_path(f: CorpusFile):
    for data in xml_documents(f):
        answered = agree(data)
        refused = f.expected.get("lxml_xpath", {}).get("result", "ok") != "ok"
        # Without this the agreement could hold vacuously, the fast reader declining everything.
        assert answered != refused


@pytest.mark.parametrize(("lines", "seed"), [(1, 1), (7, 2), (60, 3), (400, 4)])
def test_generated_statements_read_the_same(lines: int, seed: int):
    assert agree(generate(lines, seed))


def test_line_numbers_past_65535_follow_libxml2():
    # Past line 65,534 libxml2 reports an element's line from its first child: a text node for
    # indented entries, the first leaf's text when there is no whitespace between tags.
    data = generate(40, 5)
    padded = data.replace(b"<Stmt>", b"<Stmt>" + b"\n" * 70_000, 1)
    assert agree(padded)
    compact = re.sub(rb">\s+<", b"><", data).replace(b"<Stmt>", b"<Stmt>" + b"\n" * 70_000, 1)
    assert agree(compact)
    odd = compact.replace(b"<Ntry><Amt", b"<Ntry><RvslInd/><Amt").replace(b"<TxDtls><Refs>", b"<TxDtls>\n\n<Refs>")
    agree(odd)  # agreement is what counts; an element without a first child may be declined


def test_entries_of_many_shapes_and_awkward_spellings_read_the_same():
    parties = "<Dbtr><Nm>A &amp; B &lt;GmbH&gt;</Nm><Id/></Dbtr><DbtrAcct><Id><IBAN>DE1</IBAN></Id></DbtrAcct>"
    body = "".join(
        [
            entry("1.00", "CRDT", details=f"<NtryDtls>{tx(parties=parties)}</NtryDtls>"),
            entry("2.00", "DBIT", details=f"<NtryDtls>{tx(amount='1.50')}{tx(amount='0.50')}</NtryDtls>"),
            entry("3.00", "CRDT", extra="<RvslInd>true</RvslInd>", details="<AddtlNtryInf>  x  </AddtlNtryInf>"),
            entry("4.00", "CRDT", details="<NtryDtls><TxDtls/></NtryDtls><NtryRef></NtryRef>"),
            entry("5.00", "CRDT", details="<Chrgs><Amt Ccy='EUR'>1</Amt></Chrgs>"),
            '<Ntry><Amt Ccy="EUR" >6.00</Amt><CdtDbtInd>CRDT</CdtDbtInd></Ntry>',
        ]
    )
    assert agree(document(body))


@pytest.mark.parametrize(
    "hostile",
    [
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]><Document/>',
        b"<!-- c -->",
        b"<![CDATA[x]]>",
        b"&#65;",
        b"&apos;",
        b"\r",
        b"<?pi x?>",
        b"&amp",  # an entity without its semicolon
        b"&ampx;",  # a name that only starts like a known entity
        b"&lt",
    ],
)
def test_documents_with_dtds_comments_cdata_odd_entities_or_lone_cr_are_left_to_the_streaming_reader(
    hostile: bytes,
):
    data = document(entry("1.00", "CRDT", details="<AddtlNtryInf>X</AddtlNtryInf>"))
    spiked = data.replace(b"<AddtlNtryInf>X", b"<AddtlNtryInf>X" + hostile) if b"Document" not in hostile else hostile
    assert read_statements(spiked) is None


def test_other_encodings_are_left_to_the_streaming_reader():
    data = document(entry("1.00", "CRDT")).replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"')
    assert read_statements(data) is None
    assert read_streaming(data)


def test_mutated_corpus_files_read_the_same_or_are_declined():
    rng = random.Random(20261207)
    documents = [data for f in CORPUS for data in xml_documents(f)] + [generate(12, 9)]
    answered = 0
    for data in documents:
        for _ in range(40):
            answered += agree(_mutate(data, rng))
    assert answered > 200  # the mutations leave many documents readable, so the comparison bites


def _mutate(data: bytes, rng: random.Random) -> bytes:
    """A small structural or textual change of the kind that separates readers."""
    tags = [m.start() for m in re.finditer(rb"<", data)]
    if not tags:
        return data
    at = rng.choice(tags)
    end = data.find(b">", at) + 1
    choice = rng.randrange(9)
    if choice == 0:  # drop a tag
        return data[:at] + data[end:]
    if choice == 1:  # duplicate a tag
        return data[:end] + data[at:end] + data[end:]
    if choice == 2:  # whitespace inside a tag
        return data[: end - 1] + b" " + data[end - 1 :]
    if choice == 3:  # an empty element written long-hand
        return re.sub(rb"<(\w+)/>", rb"<\1></\1>", data, count=1)
    if choice == 4:  # text after a tag
        return data[:end] + rng.choice([b" ", b"\n", b"x", b"&amp;", b"  y  ", b"-1.00", b"DBIT"]) + data[end:]
    if choice == 5:  # a value changed
        nxt = data.find(b"<", end)
        return data[:end] + rng.choice([b"", b" ", b"1.5", b"CRDT", b"2026-13-01", b"NOTPROVIDED"]) + data[nxt:]
    if choice == 6:  # an attribute quoted otherwise
        return data.replace(b'Ccy="', b"Ccy='", 1).replace(b'EUR"', b"EUR'", 1)
    if choice == 7:  # CRLF line ends
        return data.replace(b"\n", b"\r\n")
    return data.replace(NS53.encode(), NS53.replace(".02", ".08").encode())


def test_entries_no_shape_can_read_are_read_by_lxml_and_compile_only_a_bounded_number_of_shapes(
    monkeypatch: pytest.MonkeyPatch,
):
    # Single-quoted attributes are not how lxml writes them back, so no shape may read these
    # entries; each is read from its own lxml tree, and a hostile file cannot make the reader
    # compile a regex per entry.
    compiled: list[int] = []
    real = camt_fast.compile_shape

    def counting(*args, **kwargs):
        compiled.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(camt_fast, "compile_shape", counting)
    body = "".join(entry(f"{n}.00", "CRDT").replace('Ccy="EUR"', "Ccy='EUR'") for n in range(1, 301))
    assert agree(document(body))
    assert 0 < len(compiled) <= 2 * camt_fast._MAX_SHAPES


@pytest.mark.parametrize(
    ("inside", "declined"),
    [
        ("<Stmt/>", True),
        ("<Stmt\t/>", True),
        ("<Stmt\n>x</Stmt>", True),
        ("<Stmt>x</Stmt>", True),
        ("<StmtRef>x</StmtRef>", False),  # only a longer name: not nested, the fast reader answers
        ("<Stmts/>", False),
    ],
)
@pytest.mark.parametrize("where", ["entry", "deep in an entry", "header", "trailer", "report without entries"])
def test_an_element_named_like_the_report_inside_it_is_declined_and_only_then(inside: str, declined: bool, where: str):
    one = entry("1.00", "CRDT", details="<AddtlNtryInf>X</AddtlNtryInf>")
    if where == "entry":
        data = document(entry("1.00", "CRDT", details=f"<AddtlNtryInf>X</AddtlNtryInf>{inside}"))
    elif where == "deep in an entry":
        data = document(one + entry("2.00", "CRDT", details=f"<NtryDtls><TxDtls>{inside}</TxDtls></NtryDtls>"))
    elif where == "header":
        data = document(one, header=f"<Pgntn>{inside}</Pgntn>")
    elif where == "trailer":
        data = document(one + one + f"<AddtlStmtInf>{inside}</AddtlStmtInf>")
    else:
        data = document(f"<AddtlStmtInf>{inside}</AddtlStmtInf>")
    assert agree(data) is not declined
    assert (read_statements(data) is None) is declined


def test_reports_with_and_without_entries_in_any_order_read_the_same():
    # The end of a report is looked for after its entries; a report without entries ends
    # before the next report's first entry, however many there are.
    reports = [
        ("S1", ""),
        ("S2", entry("1.00", "CRDT") + entry("2.00", "DBIT")),
        ("S3", ""),
        ("S4", ""),
        ("S5", entry("3.00", "CRDT")),
        ("S6", ""),
    ]
    body = "".join(f"<Stmt><Id>{name}</Id>{entries}</Stmt>" for name, entries in reports)
    data = document("").replace(b"<Stmt><Id>S1</Id>", body.encode() + b"<Stmt><Id>S7</Id>", 1)
    assert agree(data)
    assert [len(s.lines) for s in read_statements(data) or []] == [0, 2, 0, 0, 1, 0, 0]


def test_zero_amounts_keep_the_sign_multiplying_by_minus_one_gave_them():
    # The sign is applied with copy_negate (a zero debit stays -0.00, as -1 * 0.00 is), on
    # both readers; both agree, and the value's exponent and sign are those of the product.
    body = entry("0.00", "DBIT") + entry("0", "CRDT") + entry(".50", "DBIT")
    data = document(body)
    assert agree(data)
    amounts = [line.amount for line in read_statements(data)[0].lines]
    expected = [sign * Decimal(value) for sign, value in ((-1, "0.00"), (1, "0"), (-1, ".50"))]
    assert [a.as_tuple() for a in amounts] == [e.as_tuple() for e in expected]


def _nest(levels: int) -> str:
    return "".join(f"<X{i}>" for i in range(levels)) + "v" + "".join(f"</X{i}>" for i in reversed(range(levels)))


@pytest.mark.parametrize("depth", [255, 256, 257, 258])
@pytest.mark.parametrize("where", ["entry", "header", "trailer", "skipped"])
def test_documents_nested_about_libxml2s_depth_limit_read_the_same_or_are_declined(depth: int, where: str):
    # Building a tree, libxml2 refuses elements deeper than 256 (Document is 1, an entry 4);
    # the whole-document check builds none and lets depth 257 through, so the fast reader must
    # count depth itself. Depth 257 used to be answered while the streaming reader refused it.
    one = entry("1.00", "CRDT")
    if where == "entry":
        data = document(entry("1.00", "CRDT", details=_nest(depth - 4)))
    elif where == "header":
        data = document(one, header=_nest(depth - 3))
    elif where == "trailer":
        data = document(one + _nest(depth - 3))
    else:
        data = document(one).replace(b"<GrpHdr>", f"<GrpHdr>{_nest(depth - 3)}".encode())
    answered = agree(data)
    assert answered == (depth <= 256)
