"""Cell readers for bank CSV: amounts and dates written the way one bank writes them.

Why not ``Decimal(cell)`` and ``datetime.strptime``: ``Decimal`` happily reads ``1.5E3``,
``NaN`` and ``Infinity`` (floats in disguise that no bank means), and a locale's grouping
(``1.234,56``, ``82 604,01``) needs to be checked, not guessed. ``strptime`` is also slow
(several microseconds a call); bank files repeat the same few dates thousands of times, so
dates are read by a compiled pattern and cached per file.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

# Format directives a profile may use in a date format; anything else is literal text.
_DATE_DIRECTIVES = {
    "%d": r"(?P<d>\d{1,2})",
    "%m": r"(?P<m>\d{1,2})",
    "%Y": r"(?P<Y>\d{4})",
    "%y": r"(?P<y>\d{2})",
    "%H": r"\d{1,2}",
    "%M": r"\d{2}",
    "%S": r"\d{2}",
    "%f": r"\d{1,6}",
}


class CellError(ValueError):
    """A cell that does not hold what the profile says it holds (the caller adds line and column)."""


class AmountReader:
    """Reads amounts in one profile's notation into exact ``Decimal``.

    Accepted: an optional sign, digits grouped by the thousands separator(s) in threes (or not
    grouped at all), and an optional fraction after the decimal separator. ``-,01`` is accepted
    because Sberbank writes small amounts that way. Exponents, NaN and anything else are refused.
    """

    __slots__ = ("_pattern", "_to_plain")

    def __init__(self, decimal_separator: str, thousands_separators: str) -> None:
        dec = re.escape(decimal_separator)
        if thousands_separators:
            group = "[" + re.escape(thousands_separators) + "]"
            integer = rf"(?:\d{{1,3}}(?:{group}\d{{3}})+|\d+)"
        else:
            integer = r"\d+"
        self._pattern = re.compile(rf"[+-]?{integer}?(?:{dec}\d+)?", re.ASCII)
        # Once the shape is checked, dropping the grouping and writing a '.' gives Decimal syntax.
        table = dict.fromkeys(map(ord, thousands_separators))
        table[ord(decimal_separator)] = "."
        self._to_plain = str.maketrans(table)

    def read(self, cell: str) -> Decimal:
        """The amount in ``cell``; :class:`CellError` when it is not a plain decimal number."""
        text = cell.strip()
        # The last character must be a digit: this refuses "", "-", "5," and exponents early.
        if not text or not text[-1].isdigit() or self._pattern.fullmatch(text) is None:
            raise CellError(f"not an amount: {cell[:40]!r}")
        try:
            return Decimal(text.translate(self._to_plain))
        except InvalidOperation as exc:  # pragma: no cover - the pattern admits only digits
            raise CellError(f"not an amount: {cell[:40]!r}") from exc


def validate_date_format(fmt: str) -> None:
    """Raise ValueError when ``fmt`` uses a directive we do not read or lacks day/month/year."""
    for directive in re.findall(r"%.", fmt):
        if directive not in _DATE_DIRECTIVES:
            raise ValueError(f"date format {fmt!r}: unsupported directive {directive}")
    if "%d" not in fmt or "%m" not in fmt or ("%Y" not in fmt and "%y" not in fmt):
        raise ValueError(f"date format {fmt!r} must contain %d, %m and %Y (or %y)")


def _compile_date_format(fmt: str) -> re.Pattern[str]:
    parts: list[str] = []
    for piece in re.split(r"(%.)", fmt):
        parts.append(_DATE_DIRECTIVES.get(piece, re.escape(piece)))
    return re.compile("".join(parts), re.ASCII)


class DateReader:
    """Reads dates in one or more strptime-like formats (first that fits wins), with a cache.

    A timestamp's time part is checked for shape and dropped: statements book by day.
    """

    __slots__ = ("_cache", "_formats", "_patterns")

    def __init__(self, formats: tuple[str, ...]) -> None:
        self._formats = formats
        self._patterns = tuple(_compile_date_format(f) for f in formats)
        self._cache: dict[str, date] = {}

    def read(self, cell: str) -> date:
        """The date in ``cell``; :class:`CellError` naming the expected formats otherwise."""
        cached = self._cache.get(cell)
        if cached is not None:
            return cached
        text = cell.strip()
        for pattern in self._patterns:
            match = pattern.fullmatch(text)
            if match is None:
                continue
            groups = match.groupdict()
            if groups.get("Y") is not None:
                year = int(groups["Y"])
            else:
                # strptime's pivot: 69-99 are the 1900s, 00-68 the 2000s.
                short = int(groups["y"])
                year = 1900 + short if short >= 69 else 2000 + short
            try:
                value = date(year, int(groups["m"]), int(groups["d"]))
            except ValueError as exc:
                raise CellError(f"not a valid date: {cell[:40]!r} ({exc})") from exc
            if len(self._cache) < 100_000:
                self._cache[cell] = value
            return value
        expected = " or ".join(self._formats)
        raise CellError(f"not a date in format {expected}: {cell[:40]!r}")
