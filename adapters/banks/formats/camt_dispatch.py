"""All of a document's entry shapes in one regex, so an entry finds its shape in the same match that reads it.

Why: with one regex per shape, picking the shape costs a few ``str.count`` passes over the
entry (the :class:`camt_shapes.ShapeBook` key) and, for shapes with the same key, a failed
match each. Shapes of one bank share most of their elements (the amount, the dates, the bank
code, …) and part where one entry has a debtor and the next a creditor, or a reversal
indicator. Written as a trie — the common start once, then ``(?:…|…)`` where they part — one
``re.match`` walks the entry once: at a parting it tries the next tag of each branch, which
fails on its first differing character. The empty group closing each branch says which shape
matched (``Match.lastindex``: the last group to close).

The combined regex is exactly the union of the shapes' own: every branch is one shape's token
sequence unchanged, a text can never contain ``<``, and no shape's sequence is a prefix of
another's (each ends with the entry's only ``</Ntry>``), so a match of the combined regex is
a match of the one shape whose branch it took, with the same groups, which are handed back in
that shape's own numbering. ``test_camt_shapes.py`` checks it against the separate regexes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

# A token of a shape's regex (a tag, a gap, a captured text) → how many groups it opens.
_GROUPS_IN_TOKEN: dict[str, int] = {}


class Shaped(Protocol):
    """What the dispatch needs of a shape: its regex as a sequence of tokens."""

    @property
    def tokens(self) -> tuple[str, ...]: ...


@dataclass(frozen=True, slots=True)
class Dispatch:
    """The combined regex, and for each branch's closing group its shape's index and groups."""

    pattern: re.Pattern[str]
    branches: dict[int, tuple[int, tuple[int, ...]]]  # closing group → (shape index, its groups)


def _groups_in(token: str) -> int:
    found = _GROUPS_IN_TOKEN.get(token)
    if found is None:
        found = _GROUPS_IN_TOKEN[token] = re.compile(token).groups
    return found


@dataclass(slots=True)
class _Node:
    """A trie node: the tokens that may follow, or the end of a shape (no shape's tokens go on)."""

    children: dict[str, _Node] = field(default_factory=dict)
    shape: int | None = None  # the index of the shape ending here


def combine(shapes: Sequence[Shaped], *, max_length: int) -> Dispatch | None:
    """One regex matching exactly what one of ``shapes`` matches (see the module docstring).

    None when its source would be longer than ``max_length``: compiling a regex costs time
    in proportion to it, and a hostile file can make many large shapes.
    """
    root = _Node()
    for index, shape in enumerate(shapes):
        node = root
        for token in shape.tokens:
            node = node.children.setdefault(token, _Node())
        node.shape = index
    branches: dict[int, tuple[int, tuple[int, ...]]] = {}
    group = 0

    def emit(node: _Node, numbers: list[int]) -> str:
        """The regex of the subtree at ``node``; ``numbers`` are the groups opened on the way."""
        nonlocal group
        alternatives: list[str] = []
        if node.shape is not None:  # a leaf: every shape ends with the entry's only </Ntry>
            group += 1
            branches[group] = (node.shape, tuple(numbers))
            alternatives.append("()")
        for token, child in node.children.items():
            parts: list[str] = []
            mine = list(numbers)
            # Follow a chain of single children without recursing (a shape has thousands of tokens).
            while True:
                opened = _groups_in(token)
                mine.extend(range(group + 1, group + 1 + opened))
                group += opened
                parts.append(token)
                if len(child.children) != 1 or child.shape is not None:
                    break
                ((token, child),) = child.children.items()
            parts.append(emit(child, mine))
            alternatives.append("".join(parts))
        return alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"

    pattern = emit(root, [])
    if len(pattern) > max_length:
        return None
    return Dispatch(re.compile(pattern), branches)
