"""SWIFT MT940 (customer statement) and MT942 (interim transaction report) files.

One ``ParsedStatement`` per ``:20:`` message. Splitting into messages lives in
``mt940_lexer``, money and dates in ``mt940_fields``, ``:86:`` text in ``mt940_info``; this
module assembles statements and checks them against their own balances, because the balances
are the only ground truth an MT940 file carries (they proved, for instance, that ``RC`` lines
are debits, which a popular peer parser gets wrong). See ``docs/formats/mt940.md``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from adapters.banks.base import ParsedFile, ParsedStatement, ParseError, StatementLine
from adapters.banks.formats.collector import PAUSE_COLLECTOR_FROM, collector_paused
from adapters.banks.formats.mt940_fields import (
    AMOUNT_PATTERN,
    Balance,
    parse_amount,
    parse_balance,
    parse_statement_line,
)
from adapters.banks.formats.mt940_info import parse_information
from adapters.banks.formats.mt940_lexer import Field, Message, decode, messages, split_lines
from adapters.banks.formats.statement_line import new_statement_line

_NONREF = "NONREF"
_HEAD_TAG_20 = re.compile(rb"(?:^|[\r\n]|\{4:)[ \t\x01]*:20:")
_HEAD_TAG_25 = re.compile(rb"(?:^|[\r\n])[ \t]*:25:")
_FLOOR_LIMIT = re.compile(rf"([A-Z]{{3}})([CD]?)({AMOUNT_PATTERN})")
_IBAN = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}")
_TOTALS = re.compile(rf"([0-9]{{1,5}})([A-Z]{{3}})({AMOUNT_PATTERN})")
# Tags we read, or know and deliberately skip; anything else becomes a statement warning.
_KNOWN_TAGS = {"20", "21", "25", "28", "28C", "60F", "60M", "62F", "62M", "64", "65", "61", "86", "NS"}
_KNOWN_TAGS |= {"34F", "13", "13D", "90D", "90C"}
# The fields that belong to the entry (:61:) before them, when they follow it directly.
_ENTRY_PARTS = frozenset({"61", "86", "NS"})


@dataclass(frozen=True, slots=True)
class StatementExtras:
    """What an MT940 statement says beyond ``ParsedStatement``'s fields (kept for callers who need it)."""

    reference: str | None  # :20:
    related_reference: str | None  # :21:
    available_balance: Balance | None  # :64:
    forward_available_balances: tuple[Balance, ...]  # :65:
    information: str | None  # :86: fields that belong to the statement, not to a line
    is_mt942: bool


@dataclass(slots=True)
class _Entry:
    """A ``:61:`` with the ``:86:``/``:NS:`` fields that follow it."""

    line: Field
    info: list[Field] = field(default_factory=list)
    non_standard: list[Field] = field(default_factory=list)


@dataclass(slots=True)
class _MessageFields:
    """A message's fields sorted by meaning, before interpretation."""

    reference: str | None = None
    related_reference: str | None = None
    account: str | None = None
    number: str | None = None
    opening: Balance | None = None
    closing: Balance | None = None
    available: Balance | None = None
    forward: list[Balance] = field(default_factory=list)
    floor_currency: str | None = None
    totals: dict[str, tuple[int, str, Decimal]] = field(default_factory=dict)
    interim_tags: bool = False
    entries: list[_Entry] = field(default_factory=list)
    info: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _text(f: Field) -> str:
    return "".join(f.lines).strip()


def _sort_fields(message: Message) -> _MessageFields:
    """Walk the fields in order; ``:86:`` belongs to the ``:61:`` it follows, else to the statement."""
    out = _MessageFields()
    entry: _Entry | None = None
    previous = ""
    for f in message.fields:
        tag = f.tag
        # Entries first: they are nearly all of a statement's fields.
        if tag == "61":
            entry = _Entry(f, [], [])
            out.entries.append(entry)
            previous = tag
            continue
        follows_entry = entry is not None and previous in _ENTRY_PARTS
        previous = tag
        if tag == "86":
            if follows_entry and entry is not None:
                entry.info.append(f)
            else:
                out.info.append("\n".join(ln.strip() for ln in f.lines if ln.strip()))
            continue
        if tag == "20":
            out.reference = _text(f) or None
        elif tag == "21":
            out.related_reference = _text(f) or None
        elif tag == "25":
            account = _text(f)
            if out.account is None:
                out.account = account or None
            elif account != out.account:
                out.warnings.append(f"line {f.line_no}: second :25: account {account[:40]!r} ignored")
        elif tag in {"28", "28C"}:
            out.number = _text(f) or None
        elif tag in {"60F", "60M", "62F", "62M", "64", "65"}:
            balance, problem = parse_balance(_text(f), f.line_no, tag)
            if problem:
                out.warnings.append(problem)
            if tag.startswith("60"):
                out.opening = out.opening or balance  # the first opening balance opens the statement
            elif tag.startswith("62"):
                out.closing = balance
            elif tag == "64":
                out.available = balance
            else:
                out.forward.append(balance)
        elif tag == "NS":
            if follows_entry and entry is not None:
                entry.non_standard.append(f)
        elif tag == "34F":
            out.interim_tags = True
            floor = _FLOOR_LIMIT.fullmatch(_text(f))
            if floor is None:
                raise ParseError(f":34F: floor limit {_text(f)[:40]!r} is not <CCY>[C|D]<amount>", line=f.line_no)
            out.floor_currency = out.floor_currency or floor.group(1)
        elif tag in {"90D", "90C"}:
            out.interim_tags = True
            totals = _TOTALS.fullmatch(_text(f))
            if totals is None:
                raise ParseError(f":{tag}: totals {_text(f)[:40]!r} are not <count><CCY><amount>", line=f.line_no)
            out.totals[tag] = (int(totals.group(1)), totals.group(2), parse_amount(totals.group(3)))
        elif tag in {"13", "13D"}:
            out.interim_tags = True
        elif tag not in _KNOWN_TAGS:
            out.warnings.append(f"line {f.line_no}: unknown tag :{tag}: ignored")
    return out


def _strip_currency_suffix(account: str | None, currency: str | None) -> str | None:
    """``NL77INGB0574908765EUR`` / ``NL34RABO0142623393 EUR`` → the account without its currency."""
    if account is None or currency is None:
        return account
    for suffix in (f" {currency}", f"/{currency}", currency):
        if account.endswith(suffix) and len(account) > len(suffix):
            return account[: -len(suffix)].rstrip(" /") or account
    return account


def _bank_ref(customer: str | None, bank: str | None) -> str | None:
    """The bank's own reference when given, else the customer's; ``NONREF`` means there is none."""
    if bank and bank.upper() != _NONREF:
        return bank
    if customer and customer.upper() != _NONREF:
        return customer
    return None


def _raw_fields(fields: list[Field]) -> str:
    """The fields as they stood: ``:tag:`` + value lines, one field after the other."""
    return "\n".join([f":{f.tag}:" + "\n".join(f.lines) for f in fields])


def _statement_line(entry: _Entry, currency: str, status: str) -> tuple[StatementLine, tuple[str, ...]]:
    line_field = entry.line
    (value_date, entry_date, mark, funds, amount, tx_type, customer, bank, supplementary, trailing, problems) = (
        parse_statement_line(line_field.lines, line_field.line_no)
    )
    # Details in a fixed order: the :61: parts, the :86: text, :NS:, then what :86: says.
    details: dict[str, str] = {"mark": mark}
    if tx_type:
        details["transaction_type"] = tx_type
    if funds:
        details["funds_code"] = funds
    if customer:
        details["customer_reference"] = customer
    if bank:
        details["bank_reference"] = bank
    if supplementary:
        details["supplementary"] = supplementary
    info_fields = entry.info
    info_lines = info_fields[0].lines if len(info_fields) == 1 else [ln for f in info_fields for ln in f.lines]
    if info_lines:
        details["information"] = (
            info_lines[0].strip() if len(info_lines) == 1 else "\n".join([ln.rstrip() for ln in info_lines]).strip()
        )
    raw = ":61:" + "\n".join(line_field.lines)
    for f in info_fields:
        raw += "\n:86:" + "\n".join(f.lines)
    if entry.non_standard:
        details["non_standard"] = _raw_fields(entry.non_standard)
        raw += "\n" + details["non_standard"]
    counterparty_name, counterparty_account, purpose = parse_information(info_lines, details)
    counterparty_name = counterparty_name or trailing
    if counterparty_account is None and supplementary and _IBAN.fullmatch(supplementary):
        counterparty_account = supplementary  # old Rabobank: the counterparty IBAN on the :61: second line
    # Positional, in StatementLine's field order (see statement_line.new_statement_line).
    line = new_statement_line(
        amount,
        currency,
        entry_date or value_date,
        value_date,
        _bank_ref(customer, bank),
        counterparty_name,
        counterparty_account,
        None,
        purpose,
        status,
        details,
        raw,
        line_field.line_no,
    )
    return line, problems


def _reconcile(fields: _MessageFields, lines: tuple[StatementLine, ...]) -> list[str]:
    """Warnings when the file's own balances or MT942 totals disagree with its entries."""
    warnings: list[str] = []
    opening, closing = fields.opening, fields.closing
    if opening is not None and closing is not None:
        if opening.currency != closing.currency:
            warnings.append(f"opening balance is in {opening.currency} but closing balance in {closing.currency}")
        booked = sum((ln.amount for ln in lines if ln.status == "booked"), Decimal(0))
        gap = closing.amount - (opening.amount + booked)
        if gap:
            warnings.append(
                f"balances do not reconcile: opening {opening.amount} + entries {booked} = "
                f"{opening.amount + booked}, but closing balance is {closing.amount} (gap {gap})"
            )
    for tag, sign in (("90D", -1), ("90C", 1)):
        if tag not in fields.totals:
            continue
        count, _, total = fields.totals[tag]
        mine = [ln.amount for ln in lines if (ln.amount < 0) == (sign < 0) and ln.amount != 0]
        listed = abs(sum(mine, Decimal(0)))
        if count != len(mine) or total != listed:
            warnings.append(f":{tag}: reports {count} entries for {total}, the file lists {len(mine)} for {listed}")
    return warnings


def _statement(message: Message) -> tuple[ParsedStatement, StatementExtras]:
    fields = _sort_fields(message)
    is_mt942 = fields.opening is None and fields.interim_tags
    currency = (
        (fields.opening.currency if fields.opening else None)
        or (fields.closing.currency if fields.closing else None)
        or fields.floor_currency
        or next((c for _, c, _ in fields.totals.values()), None)
    )
    warnings = list(fields.warnings)
    built = []
    status = "pending" if is_mt942 else "booked"
    for entry in fields.entries:
        line, problems = _statement_line(entry, currency or "", status)
        built.append(line)
        if problems:
            warnings.extend(problems)
    lines = tuple(built)
    if lines and currency is None:
        warnings.append("statement names no currency (no balance, floor limit or totals); lines carry ''")
    warnings.extend(_reconcile(fields, lines))
    date_from: date | None = fields.opening.on if fields.opening else None
    date_to: date | None = fields.closing.on if fields.closing else None
    if date_from is None or date_to is None:  # only then do the lines' own dates count
        line_dates = [d for ln in lines for d in (ln.booking_date, ln.value_date) if d is not None]
        if date_from is None and line_dates:
            date_from = min(line_dates)
        if date_to is None and line_dates:
            date_to = max(line_dates)
    statement = ParsedStatement(
        account=_strip_currency_suffix(fields.account, currency),
        currency=currency,
        date_from=date_from,
        date_to=date_to,
        opening_balance=fields.opening.amount if fields.opening else None,
        closing_balance=fields.closing.amount if fields.closing else None,
        lines=lines,
        statement_id=fields.number or fields.reference,
        warnings=tuple(warnings),
    )
    extras = StatementExtras(
        reference=fields.reference,
        related_reference=fields.related_reference,
        available_balance=fields.available,
        forward_available_balances=tuple(fields.forward),
        information="\n".join(fields.info) or None,
        is_mt942=is_mt942,
    )
    return statement, extras


def parse_with_extras(data: bytes, filename: str) -> list[tuple[ParsedStatement, StatementExtras]]:
    """Every statement of the file with its MT940-only facts (:20:, :21:, :64:, :65:, statement :86:)."""
    with collector_paused(len(data) >= PAUSE_COLLECTOR_FROM):
        text, _ = decode(data)
        found = messages(split_lines(text))
        if not found:
            raise ParseError("no MT940/MT942 message found (no :20: field)", file=filename)
        try:
            statements = [_statement(message) for message in found]
        except ParseError as exc:
            raise exc.with_file(filename) from None
        # Dropped while the collector is still off: its first pass afterwards would otherwise
        # walk every field of the file once more (0.1 s at 100,000 lines), fields that reference
        # counting frees a moment later anyway.
        del found
    return statements


@dataclass(frozen=True, slots=True)
class Mt940Format:
    """The ``StatementFormat`` for SWIFT MT940 and MT942."""

    name: str = "mt940"

    def sniff(self, head: bytes, filename: str) -> bool:
        """``:20:`` and ``:25:`` at line starts (or ``:20:`` right after a ``{4:`` block): content, not extension."""
        return _HEAD_TAG_20.search(head) is not None and _HEAD_TAG_25.search(head) is not None

    def parse(self, data: bytes, filename: str) -> ParsedFile:
        """Parse all statements; ``ParseError`` (with file and line) is the only exception raised."""
        return ParsedFile(format=self.name, statements=tuple(s for s, _ in parse_with_extras(data, filename)))


FORMAT = Mt940Format()
