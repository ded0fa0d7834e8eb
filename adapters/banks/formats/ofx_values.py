"""OFX leaf values: amounts and dates, read exactly and the same way by both OFX paths.

Kept apart from the tokenizer so the fast path and the ofxparse-based reference path agree by
construction on what a value means, and so the rules (decimal commas, local dates) live in one
place that the documentation can point at.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache

# Digits with optional sign, grouping spaces and at most the separators a bank plausibly uses.
_AMOUNT_CHARS = re.compile(r"[+-]?[0-9][0-9., \u00a0]*|[+-]?[.,][0-9]+")
_PLAIN_AMOUNT = re.compile(r"[+-]?[0-9]+(?:\.[0-9]*)?|[+-]?\.[0-9]+")
# YYYYMMDD, then whatever time / zone suffix the bank wrote (only the date is kept).
_DATE_HEAD = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})")
# [-5:EST], [+5.5:IST]: the offset the local time was written in, matched exactly as ofxparse
# does (it ignores a suffix without the colon), because it only serves to undo ofxparse's shift.
_OFXPARSE_TZ_SUFFIX = re.compile(r"\[([-+]?\d+\.?\d*):\w*\]$")

# Some banks write "null" for zero-amount informational entries (ofxparse reads them as 0).
_NULL_AMOUNTS = frozenset({"null", "-null", "+null"})


class ValueProblem(ValueError):
    """A leaf value that cannot mean anything; the caller adds file/line context."""


def parse_amount(text: str) -> Decimal:
    """An OFX amount as an exact Decimal.

    OFX mandates ``-1234.56``, but real files carry decimal commas (``1234,56``), grouping
    (``1.234,56`` / ``1,234.56`` / ``1 234,56``) and a leading ``+``. The separator written last
    is the decimal one; a lone comma is a decimal comma (as ofxparse reads it). Anything else
    (currency signs, exponents, NaN, two different-looking decimal parts) is refused, because a
    guessed amount is worse than a refused file.
    """
    value = text.strip()
    if _PLAIN_AMOUNT.fullmatch(value):  # the OFX-conformant form, nearly every amount
        return Decimal(value)
    if value.lower() in _NULL_AMOUNTS:
        return Decimal(0)
    if not _AMOUNT_CHARS.fullmatch(value):
        raise ValueProblem(f"not an amount: {text.strip()[:40]!r}")
    value = value.replace(" ", "").replace("\u00a0", "")
    last_dot, last_comma = value.rfind("."), value.rfind(",")
    if last_dot >= 0 and last_comma >= 0:
        decimal_sep, group_sep = (".", ",") if last_dot > last_comma else (",", ".")
        if value.count(decimal_sep) != 1:
            raise ValueProblem(f"ambiguous amount: {text.strip()[:40]!r}")
        value = value.replace(group_sep, "").replace(decimal_sep, ".")
    elif last_comma >= 0:
        if value.count(",") != 1:
            raise ValueProblem(f"ambiguous amount: {text.strip()[:40]!r}")
        value = value.replace(",", ".")
    elif value.count(".") > 1:
        raise ValueProblem(f"ambiguous amount: {text.strip()[:40]!r}")
    try:
        return Decimal(value)
    except InvalidOperation:  # pragma: no cover - the pattern above admits only numbers
        raise ValueProblem(f"not an amount: {text.strip()[:40]!r}") from None


def parse_local_date(text: str) -> date | None:
    """The calendar date the bank wrote, ignoring the time and the zone suffix.

    ``20240102220000.000[-5:EST]`` is 2 January where the bank is, even though it is already
    3 January in UTC; a statement line belongs to the bank's day, so the zone is *not* applied
    (ofxparse converts to UTC and would say 3 January). ``00000000`` means "no date" (as in
    ofxparse); anything that is not a real calendar date is refused.
    """
    value = text.strip()
    try:
        return _day(value[:8])
    except ValueProblem as exc:
        raise ValueProblem(f"{exc}: {value[:40]!r}") from None


@lru_cache(maxsize=4096)  # a statement has few distinct days and many lines per day
def _day(head: str) -> date | None:
    match = _DATE_HEAD.fullmatch(head)
    if match is None:
        raise ValueProblem("not an OFX date")
    if head == "00000000":
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise ValueProblem("not a calendar date") from None


def utc_offset_hours(text: str) -> float:
    """The ``[offset:zone]`` suffix in hours (0 when absent), as ofxparse reads it.

    Used only by the reference path, to undo ofxparse's conversion to UTC.
    """
    match = _OFXPARSE_TZ_SUFFIX.search(text.strip())
    return float(match.group(1)) if match else 0.0
