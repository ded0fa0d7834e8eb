"""Compiled entry shapes: one CAMT ``<Ntry>`` read with one regex match instead of a tree walk.

A bank writes its entries from a handful of templates, so the sequence of elements repeats
from entry to entry and only the texts change. An :class:`EntryShape` is compiled from the lxml
tree of the first entry of a shape; afterwards an entry of the same shape is read by one
``re.match`` on the document text, whose groups are exactly the leaf texts (and ``Ccy``
attributes of amounts) that :func:`camt_entries.flatten` would collect, at the same paths.

What a match proves, given that libxml2 accepted the whole document (``camt_fast`` checks that
first) and that the text holds no comments, CDATA, PIs, DOCTYPE, stray ``>`` or entities other
than ``&amp;``/``&lt;``/``&gt;``:

* the entry has the same elements, in the same order and nesting, as the tree the shape was
  compiled from; leaves are leaves, empty leaves are empty, so ``flatten`` would visit the same
  paths and collect the captured texts;
* every tag is written the way lxml serialises it (``<Name>``, ``<Name a="v">``, ``<Name/>``,
  ``</Name>``), so the source text of the entry *is* ``etree.tostring`` of it, once the
  namespace declarations lxml copies onto the serialised element are added.

An entry that matches no shape is read by lxml (and may seed a new shape); the equality of both
readers is tested on every corpus file and on generated statements.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import NamedTuple

from lxml import etree

from adapters.banks.formats.camt_dispatch import Dispatch, combine
from adapters.banks.formats.camt_entries import SKIPPED, Fields, fields_of
from adapters.banks.formats.camt_rules import BatchRule, LineRule, compile_rule

# A leaf's text; ">" never occurs in text (the document check), so this is all of it. A tidy
# shape takes only text without blanks at either end (str.strip's blanks are the regex's \s),
# so the first text of a path is already the first non-blank one, stripped.
#
# Every repeat is possessive (``*+``, ``++``: no backtracking into it). That changes no match:
# each run of ``[^<]`` is followed by ``<`` in the pattern and each run of ``[^"…]`` by ``"``,
# so any shorter run would be followed by a character the next token cannot take. It saves
# the regex engine its backtracking bookkeeping, a fifth of the match time.
_TEXT = "([^<]++)"
_TEXT_TIDY = r"([^<\s][^<]*+(?<!\s))"
_TEXT_UNCAPTURED = "[^<]++"
# Text between elements, which ``flatten`` ignores.
_GAP = "[^<]*+"
# An attribute value lxml would write back unchanged: the parser turns tabs and newlines in
# attribute values into spaces, and ``"`` would come back as ``&quot;``.
_ATTRIBUTE_VALUE = '[^"\t\n]*+'
_ATTRIBUTE_CAPTURED = f"({_ATTRIBUTE_VALUE})"
_ATTRIBUTE_TIDY = r'([^"\s][^"\t\n]*+(?<!\s))'
# Beyond this many elements a shape is not worth compiling (a batch of thousands of payments
# is unlike any other entry), and the regex stays small.
MAX_SHAPE_ELEMENTS = 600
_NAME = re.compile(r"[A-Za-z_][\w.-]*")


def _unescape(value: str) -> str:
    """XML text → what libxml2 reports for it; only these three entities reach a shape."""
    return value.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


@dataclass(frozen=True, slots=True)
class _FlatPlan:
    """Which groups of a match make up one :data:`Flat` (the entry's, or one TxDtls's)."""

    singles: tuple[str, ...]
    pick_singles: Callable[[Sequence[str]], tuple[str, ...]]
    multiples: tuple[tuple[str, Callable[[Sequence[str]], tuple[str, ...]]], ...]
    paths: tuple[str, ...]
    pick_firsts: Callable[[Sequence[str]], tuple[str, ...]]
    tidy: bool  # the shape takes tidy texts only (see EntryShape.tidy)

    def build(self, groups: Sequence[str]) -> Fields:
        many: dict[str, Sequence[str]] = {}
        for path, pick in self.multiples:
            many[path] = pick(groups)
        if self.tidy:
            # Every text is its own stripped first one: the map of firsts is all there is to
            # build, besides the few repeated paths. (pick_firsts returns one text per path by
            # construction, so the length check of strict=True would only cost time.)
            return Fields(dict(zip(self.paths, self.pick_firsts(groups), strict=False)), many)
        # zip() of one sequence yields 1-tuples: a path with one text gets a 1-tuple, in C.
        many.update(zip(self.singles, zip(self.pick_singles(groups)), strict=True))
        return fields_of(many)


def _picker(indexes: Sequence[int]) -> Callable[[Sequence[str]], tuple[str, ...]]:
    """A function returning the groups at ``indexes`` as a tuple (itemgetter unwraps a single one)."""
    if not indexes:
        return lambda _groups: ()
    if len(indexes) == 1:
        (index,) = indexes
        return lambda groups: (groups[index],)
    return itemgetter(*indexes)


def _plan(paths: dict[str, list[int]], *, tidy: bool) -> _FlatPlan:
    singles = {path: indexes[0] for path, indexes in paths.items() if len(indexes) == 1}
    return _FlatPlan(
        singles=tuple(singles),
        pick_singles=_picker(list(singles.values())),
        multiples=tuple((path, _picker(indexes)) for path, indexes in paths.items() if len(indexes) > 1),
        paths=tuple(paths),
        pick_firsts=_picker([indexes[0] for indexes in paths.values()]),
        tidy=tidy,
    )


class ShapeMatch(NamedTuple):
    """One entry's fields as ``flatten`` gives them (for shapes without a line rule).

    A named tuple: one is made per entry, and a frozen dataclass sets each field through
    ``object.__setattr__``.
    """

    entry: Fields
    txs: list[Fields]


@dataclass(slots=True)
class EntryShape:
    """A compiled reader for entries whose element structure equals one seen before."""

    pattern: re.Pattern[str]
    tokens: tuple[str, ...]  # the pattern's parts (tags, gaps, texts), for camt_dispatch
    numbers: tuple[int, ...]  # the pattern's group numbers, 1 to n, as a match of it is read
    entry: _FlatPlan
    txs: tuple[_FlatPlan, ...]
    tx_groups: tuple[int, ...]  # group numbers of the empty groups placed before each TxDtls
    tidy: bool  # texts captured only without blanks at their ends
    # The entry's lines straight from the groups (see camt_rules), for tidy shapes it can serve.
    rule: LineRule | BatchRule | None
    hits: int = 0  # entries read so far (the reader tries frequent shapes first)

    def match(self, text: str, pos: int) -> re.Match[str] | None:
        """The match of the entry starting at ``text[pos]`` (its ``<Ntry>``), or None for another shape."""
        return self.pattern.match(text, pos)

    @staticmethod
    def groups(match: re.Match[str], numbers: tuple[int, ...], *, entities: bool) -> Sequence[str]:
        """The texts a match captured in ``numbers`` (the shape's groups, in its own order),
        with the three entities a shape admits unescaped when the matched text has an ``&``."""
        # group(*numbers) returns a tuple only for two or more numbers.
        groups: Sequence[str] = match.group(*numbers) if len(numbers) > 1 else tuple(map(match.group, numbers))
        if entities:
            groups = [_unescape(value) if "&" in value else value for value in groups]
        return groups

    def fields(self, groups: Sequence[str]) -> ShapeMatch:
        """The entry's and each transaction's :class:`Fields`, for ``lines_of_entry``."""
        return ShapeMatch(self.entry.build(groups), [plan.build(groups) for plan in self.txs])


class _Compiler:
    """Emits the regex of one entry tree and notes which group feeds which path of which Flat."""

    def __init__(self, ns: str, *, tidy: bool) -> None:
        self.text = _TEXT_TIDY if tidy else _TEXT
        self.attribute = _ATTRIBUTE_TIDY if tidy else _ATTRIBUTE_CAPTURED
        self.qualifier = f"{{{ns}}}"
        self.strip = len(self.qualifier)
        self.parts: list[str] = []
        self.groups = 0
        self.flats: list[dict[str, list[int]]] = [{}]
        self.tx_groups: list[int] = []
        self.elements = 0

    def _capture(self, flat: int, path: str) -> None:
        self.groups += 1
        # Group numbers are 1-based; ``match.groups()`` is 0-based.
        self.flats[flat].setdefault(path, []).append(self.groups - 1)

    def element(self, elem: etree._Element, prefix: str, flat: int | None, *, batch: bool) -> bool:
        """Emit ``elem`` (a child being walked below ``prefix``); False when no shape can be made.

        ``flat`` is the Flat its leaves feed, None inside a subtree ``flatten`` skips.
        """
        self.elements += 1
        tag = elem.tag
        if type(tag) is not str or not tag.startswith(self.qualifier) or self.elements > MAX_SHAPE_ELEMENTS:
            return False
        name = tag[self.strip :]
        if not _NAME.fullmatch(name):
            return False
        start = [f"<{re.escape(name)}"]
        leaf = len(elem) == 0
        ccy_group: int | None = None
        for key in map(str, elem.attrib.keys()):
            if not _NAME.fullmatch(key):
                return False  # a namespaced attribute: lxml may write it differently
            if leaf and key == "Ccy" and name.endswith("Amt") and flat is not None:
                start.append(f' {key}="{self.attribute}"')
                self.groups += 1
                ccy_group = self.groups - 1
            else:
                start.append(f' {key}="{_ATTRIBUTE_VALUE}"')
        if leaf:
            path = prefix + name
            if elem.text is None:
                self.parts.append("".join(start) + "/>")
            else:
                self.parts.append("".join(start) + ">")
                if flat is None:
                    self.parts.append(_TEXT_UNCAPTURED)
                else:
                    self.parts.append(self.text)
                    self._capture(flat, path)
                self.parts.append(f"</{re.escape(name)}>")
            if ccy_group is not None and flat is not None:  # (flat is set whenever ccy_group is)
                # flatten appends the text first, then the currency, each under its own key.
                self.flats[flat].setdefault(path + "@Ccy", []).append(ccy_group)
            return True
        if flat is not None and name in SKIPPED:
            flat = None
        child_prefix = prefix + name + "/"
        if flat is not None and batch and name == "TxDtls" and prefix == "NtryDtls/":
            self.parts.append("()")
            self.groups += 1
            self.tx_groups.append(self.groups)
            self.flats.append({})
            flat = len(self.flats) - 1
            child_prefix = ""
        self.parts.append("".join(start) + ">")
        return self.children(elem, child_prefix, flat, batch=batch) and self._close(name)

    def children(self, elem: etree._Element, prefix: str, flat: int | None, *, batch: bool) -> bool:
        for child in elem:
            self.parts.append(_GAP)
            # Only the entry's own NtryDtls/TxDtls are read apart, not TxDtls nested deeper.
            if not self.element(child, prefix, flat, batch=batch and flat == 0):
                return False
        self.parts.append(_GAP)
        return True

    def _close(self, name: str) -> bool:
        self.parts.append(f"</{re.escape(name)}>")
        return True


def compile_shape(ntry: etree._Element, ns: str, *, tidy: bool) -> EntryShape | None:
    """The shape of ``ntry`` (an entry in namespace ``ns``), or None when it cannot have one.

    A ``tidy`` shape reads only entries whose texts have no blanks at their ends (nearly all),
    and saves finding each path's first non-blank text.
    """
    if len(ntry) == 0 or ntry.attrib:
        return None
    compiler = _Compiler(ns, tidy=tidy)
    compiler.parts.append("<Ntry>")
    if not compiler.children(ntry, "", 0, batch=True):
        return None
    compiler.parts.append("</Ntry>")
    plans = [_plan(paths, tidy=tidy) for paths in compiler.flats]
    pattern = re.compile("".join(compiler.parts))
    return EntryShape(
        pattern=pattern,
        tokens=tuple(compiler.parts),
        numbers=tuple(range(1, pattern.groups + 1)),
        entry=plans[0],
        txs=tuple(plans[1:]),
        tx_groups=tuple(compiler.tx_groups),
        tidy=tidy,
        # Only a tidy shape fixes which paths have a (non-blank, stripped) first text.
        rule=compile_rule(compiler.flats[0], compiler.flats[1:]) if tidy else None,
    )


# Start tags that tell shapes apart are counted in the entry's text; a handful is enough.
_MAX_MARKERS = 6
_START_TAG = re.compile(r"<([A-Za-z0-9_]+)>")
# When to combine the shapes into one regex (camt_dispatch). Compiling it costs about 1.4 µs
# a character of its source (16 shapes: 18,000 characters, 25 ms) and saves about 3 µs an
# entry, so it is built once as many entries in a row as an eighth of the shapes' source
# length (at least _SETTLED) had a known shape; each new shape undoes it. At most
# _MAX_COMBINED builds a document, none beyond _MAX_COMBINED_LENGTH characters.
_SETTLED = 32
_SETTLED_PER_CHARACTER = 1 / 8
_MAX_COMBINED = 8
_MAX_COMBINED_LENGTH = 64 * 1024


class ShapeBook:
    """The shapes of one document, indexed by a key that is cheap to take from an entry's text.

    Trying shapes in turn costs a regex run per miss up to where two shapes differ (a debtor
    against a creditor: most of the entry). The key is how often each of a few start tags
    (``<Dbtr>``, ``<Strd>``, …, chosen to tell the shapes apart) occurs in the entry: ``<``
    never occurs in text, so an entry a shape matches has exactly the counts of the shape's own
    literal tags, and only shapes with the entry's key need trying.
    """

    def __init__(self) -> None:
        self.shapes: list[EntryShape] = []
        self._markers: tuple[str, ...] = ()
        self._by_key: dict[tuple[int, ...], list[EntryShape]] = {}
        # Once the shapes stop changing, one regex for them all (camt_dispatch).
        self._dispatch: Dispatch | None = None
        self._settled = 0  # entries read since the last shape was added
        self._combine_at = _SETTLED  # … when that count reaches this
        self._source_length = 0  # of all shapes' regexes
        self._combined = 0  # how often a combined regex was built

    def __len__(self) -> int:
        return len(self.shapes)

    def find(self, text: str, pos: int) -> tuple[EntryShape, re.Match[str], tuple[int, ...]] | None:
        """The shape of the entry at ``text[pos]``, its match and the match's groups of the
        shape (in the shape's own order), or None when no shape has it."""
        dispatch = self._dispatch
        if dispatch is not None:
            match = dispatch.pattern.match(text, pos)
            if match is None:
                return None
            index, numbers = dispatch.branches[match.lastindex or 0]
            return self.shapes[index], match, numbers
        end = text.find("</Ntry>", pos)
        found = None if end < 0 else self._find_by_key(text, pos, end)
        if found is not None:
            self._settled += 1
            if self._settled == self._combine_at and self._combined < _MAX_COMBINED:
                self._combined += 1
                self._dispatch = combine(self.shapes, max_length=_MAX_COMBINED_LENGTH)
        return found

    def _find_by_key(self, text: str, pos: int, end: int) -> tuple[EntryShape, re.Match[str], tuple[int, ...]] | None:
        """:meth:`find` with the regexes of the shapes that have the entry's key."""
        count = text.count
        candidates = self._by_key.get(tuple([count(marker, pos, end) for marker in self._markers]))
        if not candidates:
            return None
        for index, shape in enumerate(candidates):
            found = shape.pattern.match(text, pos)
            if found is not None:
                shape.hits += 1  # keep the most frequent first among shapes of one key
                if index and candidates[index - 1].hits < shape.hits:
                    candidates[index - 1], candidates[index] = shape, candidates[index - 1]
                return shape, found, shape.numbers
        return None

    def add(self, shape: EntryShape) -> None:
        self.shapes.append(shape)
        self._dispatch = None
        self._settled = 0
        self._source_length += len(shape.pattern.pattern)
        self._combine_at = max(_SETTLED, int(self._source_length * _SETTLED_PER_CHARACTER))
        tags = [Counter(_START_TAG.findall(each.pattern.pattern)) for each in self.shapes]
        # Only tags whose count differs between shapes can tell them apart.
        names = sorted(name for name in set().union(*tags) if len({counts[name] for counts in tags}) > 1)

        def distinct(markers: list[str]) -> int:
            return len({tuple(counts[name] for name in markers) for counts in tags})

        chosen: list[str] = []
        best = 1
        while len(chosen) < _MAX_MARKERS and names:
            name = max(names, key=lambda candidate: distinct([*chosen, candidate]))
            split = distinct([*chosen, name])
            if split <= best:
                break
            chosen.append(name)
            best = split
        self._markers = tuple(f"<{name}>" for name in chosen)
        self._by_key = {}
        for each, counts in zip(self.shapes, tags, strict=True):
            self._by_key.setdefault(tuple(counts[name] for name in chosen), []).append(each)
