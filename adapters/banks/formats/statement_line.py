"""A fast positional constructor for :class:`StatementLine`, shared by the readers of big files.

Why: a frozen dataclass's ``__init__`` sets each of its 13 fields through ``object.__setattr__``;
at 100,000 lines that is one of the largest single costs of reading a statement. First written
for OFX (``docs/formats/ofx.md``, "Speed"), now used by every reader that builds many lines.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from datetime import date
from decimal import Decimal

from adapters.banks.base import StatementLine


def _line_constructor() -> Callable[..., StatementLine]:
    """A StatementLine constructor taking every field positionally, about twice as fast as
    calling the class.

    Why: a frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``,
    which made building the line the largest single cost of reading a big file. Filling the
    slots directly gives the very same object (same class, same values, still frozen) as long
    as the class has exactly these fields and no ``__post_init__``; if ``base.py`` ever changes
    either, this falls back to the class's own constructor (``test_ofx_flat`` checks both ways).
    """
    expected = (
        "amount",
        "currency",
        "booking_date",
        "value_date",
        "bank_ref",
        "counterparty_name",
        "counterparty_account",
        "counterparty_tax_id",
        "purpose",
        "status",
        "details",
        "raw",
        "source_line",
    )
    if tuple(f.name for f in fields(StatementLine)) != expected or hasattr(StatementLine, "__post_init__"):
        return lambda *values: StatementLine(**dict(zip(expected, values, strict=True)))
    new = object.__new__
    (s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12) = (
        getattr(StatementLine, name).__set__ for name in expected
    )

    def new_line(
        amount: Decimal,
        currency: str,
        booking_date: date | None,
        value_date: date | None,
        bank_ref: str | None,
        counterparty_name: str | None,
        counterparty_account: str | None,
        counterparty_tax_id: str | None,
        purpose: str | None,
        status: str,
        details: dict[str, str],
        raw: str,
        source_line: int | None,
    ) -> StatementLine:
        line: StatementLine = new(StatementLine)
        s0(line, amount)
        s1(line, currency)
        s2(line, booking_date)
        s3(line, value_date)
        s4(line, bank_ref)
        s5(line, counterparty_name)
        s6(line, counterparty_account)
        s7(line, counterparty_tax_id)
        s8(line, purpose)
        s9(line, status)
        s10(line, details)
        s11(line, raw)
        s12(line, source_line)
        return line

    return new_line


new_statement_line = _line_constructor()
