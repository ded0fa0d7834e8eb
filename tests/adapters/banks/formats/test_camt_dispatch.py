"""The combined regex of a document's shapes (``camt_dispatch``) reads exactly what the shapes' own do.

(And a shape's possessive repeats match exactly what ordinary greedy ones would.)

Checked two ways: directly — every entry of generated, hand-made and corpus documents is matched
by the combined regex and by each shape's own regex, and the combined one must match exactly when
some shape does, take a branch whose shape matches too, and give that shape's groups and end —
and through the fast reader, with the combined regex built after the first entry instead of after
thousands (the test documents are short), on the corpus, generated and mutated documents.
"""

from __future__ import annotations

import random
import re

import pytest

from adapters.banks.formats import camt_fast, camt_shapes
from adapters.banks.formats.camt_dispatch import combine
from benchmarks.synth.camt import generate
from tests.adapters.banks.formats.test_camt import document
from tests.adapters.banks.formats.test_camt_fast import CORPUS, _mutate, agree, xml_documents
from tests.adapters.banks.formats.test_camt_rules import LAYOUTS, rules_agree


def _documents() -> list[bytes]:
    return [generate(400, 21), document("".join(LAYOUTS))] + [data for f in CORPUS for data in xml_documents(f)]


def test_the_combined_regex_matches_where_a_shape_does_with_that_shapes_groups():
    rng = random.Random(20261210)
    originals = _documents()
    # Mutated copies add shapes of the same structure with padded texts, odd attributes, …
    mutated = [_mutate(data, rng) for data in originals for _ in range(10)]
    checked = 0
    for data in originals + mutated:
        text = camt_fast._plain_text(data)
        if text is None:
            continue
        try:
            document_ = camt_fast._Document(text)
            document_.statements()
        except Exception:  # declined documents have no shapes to compare
            continue
        shapes = document_.shapes.shapes
        if not shapes:
            continue
        dispatch = combine(shapes, max_length=1 << 20)
        assert dispatch is not None
        # Every entry, and every other "<Ntry>" start (a shape must not match from those).
        # The same patterns with ordinary greedy repeats instead of possessive ones.
        greedy = [re.compile(shape.pattern.pattern.replace("*+", "*").replace("++", "+")) for shape in shapes]
        for start in (m.start() for m in re.finditer("<Ntry", text)):
            matches = [shape.pattern.match(text, start) for shape in shapes]
            for possessive, ordinary in zip(matches, (each.match(text, start) for each in greedy), strict=True):
                assert (possessive is None) == (ordinary is None)
                assert possessive is None or ordinary is None or possessive.groups() == ordinary.groups()
            combined = dispatch.pattern.match(text, start)
            assert (combined is None) == all(m is None for m in matches)
            if combined is None:
                continue
            index, numbers = dispatch.branches[combined.lastindex or 0]
            own = matches[index]
            assert own is not None
            assert combined.end() == own.end()
            assert tuple(combined.group(number) for number in numbers) == own.groups()
            assert [combined.start(number) for number in numbers] == [own.start(n) for n in shapes[index].numbers]
            checked += 1
    assert checked > 400


def test_a_combined_regex_longer_than_allowed_is_not_built():
    text = camt_fast._plain_text(generate(60, 22))
    assert text is not None
    document_ = camt_fast._Document(text)
    document_.statements()
    shapes = document_.shapes.shapes
    length = len(combine(shapes, max_length=1 << 20).pattern.pattern)  # type: ignore[union-attr]
    assert combine(shapes, max_length=length) is not None
    assert combine(shapes, max_length=length - 1) is None


@pytest.fixture
def combined_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The combined regex built after one entry with a known shape (and again after each new shape)."""
    monkeypatch.setattr(camt_shapes, "_SETTLED", 1)
    monkeypatch.setattr(camt_shapes, "_SETTLED_PER_CHARACTER", 0)
    monkeypatch.setattr(camt_shapes, "_MAX_COMBINED", 1000)


@pytest.mark.usefixtures("combined_at_once")
def test_documents_read_the_same_when_the_combined_regex_reads_them(monkeypatch: pytest.MonkeyPatch):
    built: list[int] = []
    real = camt_shapes.combine

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        built.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(camt_shapes, "combine", counting)
    answered = sum(rules_agree(data) for data in _documents())
    assert answered > 20
    assert len(built) > 50


@pytest.mark.usefixtures("combined_at_once")
def test_mutated_documents_read_the_same_when_the_combined_regex_reads_them():
    rng = random.Random(20261209)
    documents = _documents()
    answered = 0
    for data in documents:
        for _ in range(20):
            answered += agree(_mutate(data, rng))
    assert answered > 200
