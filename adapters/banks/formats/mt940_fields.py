"""Interpretation of the MT940 fields that carry money and dates: balances and ``:61:``.

Kept apart from message splitting and from ``:86:`` text so the money rules (sign of reversals,
decimal comma, two-digit years, entry dates across New Year) can be read in one place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple

from adapters.banks.base import ParseError

# SWIFT amounts: digits with a decimal comma, up to 15 characters; we allow a few more leading
# zeros (Rabobank pads to 15 digits before the comma) but never unbounded digit runs.
AMOUNT_PATTERN = r"[0-9]{1,18}(?:,[0-9]{0,6})?"
_BALANCE = re.compile(rf"([CD])([0-9]{{6}})([A-Z]{{3}})({AMOUNT_PATTERN})")
# The whole first line in one match. The transaction type identification is a letter (N, S, F by
# the standard) and three characters; "NONREF" straight after the amount is a reference without
# the (mandatory) type code (Penta), so it is never read as type "NONR".
_STATEMENT_LINE = re.compile(
    r"(?P<dates>[0-9]{6}(?:[0-9]{4}| {4})?)"
    r"(?P<mark>RC|RD|C|D)"
    r"(?P<funds>[A-Z])?"
    rf"(?P<amount>{AMOUNT_PATTERN})"
    r"(?:(?!NONREF)(?P<type>[A-Z][A-Z0-9 ]{3}))?"
    r"(?P<rest>.*)"
)
_PADDING = re.compile(r" {2,}")
# Debit/credit marks and the sign they give, from the account holder's point of view. A
# reversal of a credit (RC) takes money out again, a reversal of a debit (RD) brings it back.
MARK_SIGN = {"C": 1, "D": -1, "RC": -1, "RD": 1}
_MAX_REFERENCE = 16


@dataclass(frozen=True, slots=True)
class Balance:
    """A ``:60:``/``:62:``/``:64:``/``:65:`` balance, signed (D = negative)."""

    amount: Decimal
    currency: str
    on: date | None


class StatementLineField(NamedTuple):
    """The parts of one ``:61:`` field (a named tuple: one is built per line, and cheaply)."""

    value_date: date | None
    entry_date: date | None
    mark: str
    funds_code: str | None
    amount: Decimal  # signed
    transaction_type: str | None
    customer_reference: str | None
    bank_reference: str | None
    supplementary: str | None
    # Text after an over-long, space-padded reference: old Rabobank files put the counterparty name there.
    trailing_text: str | None
    date_problems: tuple[str, ...]


def parse_amount(text: str) -> Decimal:
    """``1234,5`` → ``Decimal('1234.5')``; a trailing comma (``6800,``) means no decimals."""
    return Decimal(text.replace(",", ".").rstrip("."))


def two_digit_year(yy: int) -> int:
    """SWIFT gives YY only; statements before 1980 are not a concern, so 80-99 are the 1900s."""
    return 1900 + yy if yy >= 80 else 2000 + yy


# A statement repeats a few dozen dates over thousands of lines: both date readers are pure
# functions of their text, so each date is computed once.
@lru_cache(maxsize=4096)
def parse_yymmdd(text: str) -> date | None:
    """A calendar date, or None when the digits name no such day (e.g. 30 February)."""
    try:
        return date(two_digit_year(int(text[0:2])), int(text[2:4]), int(text[4:6]))
    except ValueError:
        return None


def parse_balance(text: str, line_no: int, tag: str) -> tuple[Balance, str | None]:
    """A balance field, with a problem note when its date is not a real date."""
    match = _BALANCE.fullmatch(text.strip())
    if match is None:
        raise ParseError(f":{tag}: balance {text.strip()[:40]!r} is not <C|D><YYMMDD><CCY><amount>", line=line_no)
    mark, yymmdd, currency, amount = match.groups()
    on = parse_yymmdd(yymmdd)
    problem = None if on is not None else f"line {line_no}: :{tag}: date {yymmdd} is not a calendar date"
    value = parse_amount(amount)
    return Balance(-value if mark == "D" else value, currency, on), problem


@lru_cache(maxsize=4096)
def entry_date_near(value_yymmdd: str, mmdd: str) -> date | None:
    """The entry (booking) date MMDD in the year nearest the value date.

    The entry date has no year. Booking and value dates sit days apart, so a December value date
    with a January entry date means next year, and a January value date with a December entry
    date means last year; any other pair shares the value date's year.
    """
    year = two_digit_year(int(value_yymmdd[0:2]))
    month, day = int(mmdd[0:2]), int(mmdd[2:4])
    value_month = int(value_yymmdd[2:4])
    # Only a December/January pair can straddle New Year; everything else is the value date's year.
    if value_month == 12 and month == 1:
        year += 1
    elif value_month == 1 and month == 12:
        year -= 1
    try:
        return date(year, month, day)
    except ValueError:
        return None


@lru_cache(maxsize=4096)
def _line_dates(dates: str) -> tuple[date | None, date | None]:
    """Value date and entry date of a ``:61:`` date prefix ``YYMMDD[MMDD]`` (one cache look-up per line)."""
    entry = dates[6:]
    return parse_yymmdd(dates[:6]), entry_date_near(dates[:6], entry) if entry and entry != "    " else None


def parse_statement_line(lines: list[str], line_no: int) -> StatementLineField:
    """A ``:61:`` field: first line by the SWIFT layout, continuation lines as supplementary details."""
    first = lines[0].rstrip()
    match = _STATEMENT_LINE.match(first)
    if match is None:
        raise ParseError(
            f":61: statement line {first[:40]!r} is not <YYMMDD>[MMDD]<C|D|RC|RD>[funds]<amount>…", line=line_no
        )
    dates, mark, funds, raw_amount, tx_type, rest = match.groups()
    value_date, entry_date = _line_dates(dates)
    problems: tuple[str, ...] = ()
    if value_date is None:
        problems = (f"line {line_no}: :61: value date {dates[:6]} is not a calendar date; left empty",)
    if entry_date is None and dates[6:].strip():
        problems += (f"line {line_no}: :61: entry date {dates[6:]} is not a calendar date; left empty",)
    amount = Decimal(raw_amount.replace(",", ".").rstrip(".")) * MARK_SIGN[mark]  # parse_amount, inlined
    # References: customer's before "//", bank's after. The standard allows 16 characters each; some
    # banks (old Rabobank) put the counterparty name on the same line after a padded reference. An
    # over-long reference is split at its first run of spaces; without such a run it is kept whole
    # (SNS writes 18-character IBANs here).
    customer, _, bank = rest.partition("//")
    extra: str | None = None
    if len(customer) > _MAX_REFERENCE:
        padded = _PADDING.search(customer)
        if padded is not None:
            customer, extra = customer[: padded.start()], customer[padded.end() :].strip() or None
    # Continuations are wrapped at a fixed width (ING splits "/TRCD/010" + "16"), so they are
    # joined without a separator; same-line text after a padded reference stays a separate part.
    continued = "".join([ln.strip() for ln in lines[1:]]) if len(lines) > 1 else ""
    supplementary = (f"{extra} {continued}" if continued else extra) if extra else (continued or None)
    # Positional, in field order: keywords cost a third more, and one is built per line.
    return StatementLineField(
        value_date,
        entry_date,
        mark,
        funds,
        amount,
        (tx_type.strip() or None) if tx_type else None,
        customer.strip() or None,
        bank.strip() or None,
        supplementary,
        extra,
        problems,
    )
