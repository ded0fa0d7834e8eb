"""Flat ``<STMTTRN>`` blocks read in one regex step: the shape of nearly every real transaction.

Why: the general tokenizer (``ofx_tree``) runs a Python loop per tag, about eight tags per
transaction, which caps it near 30,000 transactions/s. Almost every STMTTRN a bank writes is
*flat*: elements only, each with a value, in any order, no nested aggregate. One compiled
pattern recognises such a block and captures the values the contract uses, so the tokenizer
handles a whole transaction as one token and no dict or tree node is built for it.

A block is flat only when reading it this way cannot differ from the general rules, so
everything else (and every broken block) is left to the general tokenizer, which reads or
refuses it exactly as before:

* ``<STMTTRN>`` and ``</STMTTRN>`` written exactly so, followed by blank text only;
* elements with upper-case names, each with a non-blank value, optionally followed by its own
  end tag and blank text (a blank value may mean an aggregate, which only the general rules
  decide);
* each known element at most once (the general rules keep the first of duplicates; a pattern
  would keep the last), ``TRNAMT`` and ``DTPOSTED`` present, the amount in the plain OFX form
  (``-1234.56``), the date starting with eight digits;
* other element names (bank extensions) allowed but ignored, as the general rules ignore them,
  unless the name is an OFX aggregate (text inside an aggregate is refused by the general rules).

Captured values need only ``rstrip()``; ``&`` references are expanded by the caller (the
block then contains ``&``), and CDATA files never use this path (see ``ofx_tree``).
"""

from __future__ import annotations

import re
from typing import ClassVar

# Captured elements: (group name, OFX element name, value pattern). The order is the order of
# the values in the token (ofx_fast unpacks the first eight by position); the rare ones last, so
# "none of them" is one slice comparison.
# Values start at their first non-blank character and keep their trailing blanks (trimming them
# in the pattern costs more than rstrip() on the few values used): rstrip() gives the value.
_TEXT = r"[^<\s][^<]*+"
_DATE = r"[0-9]{8}[^<]*+"  # the general rules refuse any date not starting so
_AMOUNT = r"[+-]?(?:[0-9]++(?:\.[0-9]*+)?|\.[0-9]++)"  # other forms go to parse_amount
CAPTURED = (
    ("trntype", "TRNTYPE", _TEXT),
    ("dtposted", "DTPOSTED", _DATE),
    ("trnamt", "TRNAMT", _AMOUNT),
    ("fitid", "FITID", _TEXT),
    ("name", "NAME", _TEXT),
    ("memo", "MEMO", _TEXT),
    ("dtuser", "DTUSER", _DATE),
    ("dtavail", "DTAVAIL", _DATE),
    # Rare elements kept in StatementLine.details (ofx_contract.DETAIL_ELEMENTS minus TRNTYPE).
    ("checknum", "CHECKNUM", _TEXT),
    ("refnum", "REFNUM", _TEXT),
    ("sic", "SIC", _TEXT),
    ("srvrtid", "SRVRTID", _TEXT),
    ("payeeid", "PAYEEID", _TEXT),
    ("extdname", "EXTDNAME", _TEXT),
    ("correctfitid", "CORRECTFITID", _TEXT),
    ("correctaction", "CORRECTACTION", _TEXT),
    ("inv401ksource", "INV401KSOURCE", _TEXT),
)
# Indexes into the tokenizer's findall tuple of a flat block (kept whole: slicing it would cost
# an allocation per transaction): the block as written, then the CAPTURED values ("" = absent).
RAW = 0
TRNTYPE, DTPOSTED, TRNAMT, FITID, NAME, MEMO, DTUSER, DTAVAIL = range(1, 9)
CAPTURED_VALUES = slice(1, 1 + len(CAPTURED))
RARE = slice(DTAVAIL + 1, CAPTURED_VALUES.stop)
RARE_KEYS = tuple(group for group, _, _ in CAPTURED[RARE.start - 1 :])  # details keys, lower-case
NO_RARE = ("",) * len(RARE_KEYS)


class FlatTransaction(tuple[int, int, tuple[str, ...]]):
    """A flat STMTTRN in the tree, in place of an ``Aggregate``: (start offset, line, token).

    ``token`` is the tokenizer's findall tuple (see RAW, TRNTYPE, ... above). A bare tuple
    subclass, made with ``tuple.__new__``, because one is built per transaction.
    """

    __slots__ = ()

    # Enough of the Aggregate interface for tree walks (ofx_tree.Aggregate.iter).
    name: ClassVar[str] = "STMTTRN"
    children: ClassVar[tuple[()]] = ()


# More elements than any real transaction has; bounds the work of trying a block that then
# turns out not to be flat (a hostile file of one endless STMTTRN), so it stays linear.
MAX_FLAT_ELEMENTS = 64


def _by_first_letter(names: set[str] | frozenset[str]) -> str:
    """``(?:A(?:B|C)|D(?:E))``: one alternative per first letter, so the regex engine skips
    all but one group on its first character (a flat list of 120 names cost a microsecond)."""
    groups: dict[str, list[str]] = {}
    for name in sorted(names):
        groups.setdefault(name[0], []).append(re.escape(name[1:]))
    return "(?:" + "|".join(f"{letter}(?:{'|'.join(rests)})" for letter, rests in groups.items()) + ")"


def flat_stmttrn_pattern(known_aggregates: frozenset[str]) -> str:
    """The pattern of one flat block plus its trailing blank text (``flat`` and ``flat_tail``).

    Meant as the first alternative of the tokenizer's pattern, so a block that is not flat is
    tokenized tag by tag as before. Its groups must be the pattern's first ones (``flat`` is
    group 1, the captured values 2, 3, ...): the duplicate test refers to them by number, as
    Python only allows named references to groups already written.
    """
    excluded = _by_first_letter({element for _, element, _ in CAPTURED} | known_aggregates)
    # One alternative per element after a shared "<": the regex engine then rejects most
    # alternatives on their first letter, which matters as this runs for every element.
    alternatives = [
        # (?(n)(?!)) fails a second occurrence: the block is then read by the general rules.
        rf"{element}>(?({number})(?!))\s*+(?P<flat_{group}>{value})\s*+(?:</{element}>\s*+)?"
        for number, (group, element, value) in enumerate(CAPTURED, start=2)
    ]
    alternatives.append(
        rf"(?=[A-Z])(?!{excluded}>)(?P<flat_other>[A-Z][A-Z0-9_.]{{0,63}})>"
        r"\s*+[^<\s][^<]*+(?:</(?P=flat_other)>\s*+)?"
    )
    required = r"(?(flat_trnamt)(?(flat_dtposted)|(?!))|(?!))"
    return (
        rf"(?P<flat><STMTTRN>\s*+(?:<(?:{'|'.join(alternatives)})){{0,{MAX_FLAT_ELEMENTS}}}+{required}</STMTTRN>)"
        r"(?P<flat_tail>\s*+)(?=<|\Z)"
    )


def check_layout(pattern: re.Pattern[str]) -> int:
    """Fail at import if ``pattern`` does not start with the flat groups where the indexes above
    expect them; returns the index of the trailing-blank group."""
    index = pattern.groupindex
    expected = {"flat": RAW + 1} | {f"flat_{group}": 2 + offset for offset, (group, _, _) in enumerate(CAPTURED)}
    if any(index[group] != number for group, number in expected.items()):  # pragma: no cover
        raise AssertionError("the flat STMTTRN groups must come first in the tokenizer's pattern")
    return index["flat_tail"] - 1
