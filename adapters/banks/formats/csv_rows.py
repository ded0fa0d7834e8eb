"""Turning the rows of a recognised bank CSV into statement lines, in one pass.

Detection (``csvfile``) decides *which* profile reads a file and where its columns are; this
module reads the table. It is written for throughput (a 100k-line export should take about a
second): column positions are resolved once, rows are padded once so every lookup is a plain
index (absent optional columns point at an always-empty pad cell), and dates are cached.
Any cell that does not read as the profile says rejects the whole file, naming line and column,
so nothing is half-imported.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from adapters.banks.base import LineStatus, ParsedFile, ParsedStatement, ParseError, StatementLine
from adapters.banks.formats.csv_profile import CsvProfile
from adapters.banks.formats.csv_values import AmountReader, CellError, DateReader
from adapters.banks.formats.statement_line import new_statement_line

# Old Russian rouble code that Russian banks still print; nothing else has used it since 1998,
# and matching against invoices in RUB needs the current code.
_CURRENCY_ALIASES = {"RUR": "RUB"}
_CURRENCY = re.compile(r"[A-Z]{3}")
_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class TableLayout:
    """A profile fitted to one file: the delimiter that worked and where each column is."""

    profile: CsvProfile
    delimiter: str
    header_row: int | None  # 0-based record index of the header; None when headerless
    index: Mapping[str, int]
    purpose: tuple[int, ...]
    details: Mapping[str, int]
    names: Mapping[int, str] = field(default_factory=dict)

    def column_name(self, i: int | None) -> str:
        """How an error names a column: its header text, else its 1-based position."""
        if i is None:
            return "?"
        return self.names.get(i) or f"column {i + 1}"


@dataclass(slots=True)
class _Group:
    """Lines of one (account, currency) plus the balances implied by its first and last rows."""

    lines: list[StatementLine] = field(default_factory=list)
    opening: Decimal | None = None
    closing: Decimal | None = None


def csv_reader(lines: Iterable[str], profile: CsvProfile, delimiter: str) -> csv.Reader:  # type: ignore[name-defined]
    """The csv module reader with the profile's dialect; strict, so broken quoting is an error."""
    return csv.reader(
        lines,
        delimiter=delimiter,
        quotechar=profile.quotechar,
        skipinitialspace=profile.skip_initial_space,
        strict=True,
    )


def read_table(text: str, layout: TableLayout, filename: str) -> ParsedFile:
    """Parse the whole decoded file; one statement per (account, currency) seen.

    Kept as one function on purpose: the row loop is the hot path and local names are the
    fastest lookups Python has.
    """
    prof = layout.profile
    lines_src = list(io.StringIO(text, newline=""))
    reader = csv_reader(lines_src, prof, layout.delimiter)
    amounts = AmountReader(prof.decimal_separator, prof.thousands_separators)
    read_amount = amounts.read
    read_date = DateReader(prof.date_formats).read
    strip = prof.strip_chars
    idx = layout.index

    def fail(line_no: int, column: int | None, reason: str) -> ParseError:
        return ParseError(
            f"profile {prof.name} (column {layout.column_name(column)!r}): {reason}", file=filename, line=line_no
        )

    used = [*idx.values(), *layout.purpose, *layout.details.values()]
    pad = max(used, default=0) + 1  # index of the always-empty cell that stands for "not mapped"
    width = pad + 1

    def col(key: str) -> int:
        return idx.get(key, pad)

    i_date, i_value, i_amount = col("booking_date"), col("value_date"), col("amount")
    i_debit, i_credit, i_direction = col("debit"), col("credit"), col("direction")
    i_status, i_fee, i_currency, i_account = col("status"), col("fee"), col("currency"), col("account")
    i_after, i_before, i_ref = col("balance_after"), col("balance_before"), col("bank_ref")
    i_cp_name, i_cp_acc, i_cp_tax = col("counterparty_name"), col("counterparty_account"), col("counterparty_tax_id")
    split_amount = "amount" not in idx
    has_direction, has_status, has_fee = "direction" in idx, "status" in idx, "fee" in idx
    has_after, has_before = "balance_after" in idx, "balance_before" in idx
    purpose_idx = layout.purpose
    detail_items = tuple(layout.details.items())
    debit_words, credit_words = prof.direction_debit, prof.direction_credit
    pending_words, booked_words = prof.status_pending, prof.status_booked
    negate = prof.negate_amounts
    skip_row = prof.skip_row_regex
    header_row = -1 if layout.header_row is None else layout.header_row
    fixed_account = prof.account

    def amount_in(row: list[str], i: int, line_no: int) -> Decimal | None:
        cell = row[i].strip(strip)
        if not cell:
            return None
        try:
            return read_amount(cell)
        except CellError as exc:
            raise fail(line_no, i, str(exc)) from None

    groups: dict[tuple[str | None, str], _Group] = {}
    non_data: list[str] = []
    checked_currencies: dict[str, str] = {}
    fallback_currency: str | None = None
    prev_end = 0
    rows_seen = 0
    try:
        for record_no, row in enumerate(reader):
            start, prev_end = prev_end, reader.line_num
            raw = "".join(lines_src[start:prev_end]).rstrip("\r\n")
            if record_no <= header_row or not "".join(row).strip() or (skip_row and skip_row.search(raw)):
                non_data.append(raw)
                continue
            line_no = start + 1
            rows_seen += 1
            if len(row) < width:
                row.extend([""] * (width - len(row)))
            else:
                row[pad] = ""  # a wide row's pad position holds real data we do not map

            status: LineStatus = "booked"
            if has_status:
                word = row[i_status].strip(strip)
                if word in pending_words:
                    status = "pending"
                elif word not in booked_words:
                    raise fail(line_no, i_status, f"unknown status {word[:40]!r}")

            booking: date | None = None
            cell = row[i_date].strip(strip)
            if cell:
                try:
                    booking = read_date(cell)
                except CellError as exc:
                    raise fail(line_no, i_date, str(exc)) from None
            elif status == "booked":
                raise fail(line_no, i_date, "booking date is empty")
            value: date | None = None
            cell = row[i_value].strip(strip)
            if cell:
                try:
                    value = read_date(cell)
                except CellError as exc:
                    raise fail(line_no, i_value, str(exc)) from None

            if split_amount:
                debit = amount_in(row, i_debit, line_no)
                credit = amount_in(row, i_credit, line_no)
                if debit is None and credit is None:
                    raise fail(line_no, i_credit, "neither debit nor credit is filled")
                amount = abs(credit or _ZERO) - abs(debit or _ZERO)
            else:
                found = amount_in(row, i_amount, line_no)
                if found is None:
                    raise fail(line_no, i_amount, "amount is empty")
                amount = found
                if has_direction:
                    # The indicator is authoritative; a sign in the amount column is ignored.
                    word = row[i_direction].strip(strip)
                    if word in debit_words:
                        amount = -abs(amount)
                    elif word in credit_words:
                        amount = abs(amount)
                    else:
                        raise fail(line_no, i_direction, f"not a debit/credit indicator: {word[:20]!r}")
            if negate:
                amount = -amount

            code = row[i_currency].strip(strip).upper()
            if not code:
                if fallback_currency is None:
                    # Once, on the first row that needs it: the preamble has been read by then.
                    fallback_currency = prof.currency or _meta_value(prof, "currency", non_data) or ""
                code = fallback_currency
            currency = checked_currencies.get(code)
            if currency is None:
                if not _CURRENCY.fullmatch(code):
                    raise fail(line_no, i_currency, f"no valid currency code ({code[:10]!r})")
                currency = checked_currencies[code] = _CURRENCY_ALIASES.get(code, code)
            account = row[i_account].strip(strip) or fixed_account

            # Positional, in StatementLine's field order (see statement_line.new_statement_line).
            line = new_statement_line(
                amount,
                currency,
                booking,
                value,
                row[i_ref].strip(strip) or None,
                row[i_cp_name].strip(strip) or None,
                row[i_cp_acc].strip(strip) or None,
                row[i_cp_tax].strip(strip) or None,
                " ".join([p for i in purpose_idx if (p := row[i].strip(strip))]) or None,
                status,
                {k: v for k, i in detail_items if (v := row[i].strip(strip))},
                raw,
                line_no,
            )
            group = groups.get((account, currency))
            if group is None:
                group = groups[(account, currency)] = _Group()
            group.lines.append(line)
            total = amount
            if has_fee:
                fee = amount_in(row, i_fee, line_no)
                if fee:
                    fee = -fee if negate else fee
                    total += fee
                    group.lines.append(_fee_line(line, fee))
            if has_after or has_before:
                balance = amount_in(row, i_after if has_after else i_before, line_no)
                if balance is None:
                    raise fail(line_no, i_after if has_after else i_before, "balance is empty")
                if has_after:
                    if group.opening is None:
                        group.opening = balance - total
                    group.closing = balance
                else:
                    if group.opening is None:
                        group.opening = balance
                    group.closing = balance + total
    except csv.Error as exc:
        raise ParseError(f"profile {prof.name}: malformed CSV ({exc})", file=filename, line=reader.line_num) from None

    if rows_seen == 0:
        raise ParseError(f"profile {prof.name}: the file has a header but no transaction rows", file=filename)
    return ParsedFile(format="csv", statements=_statements(groups, non_data, prof, amounts, filename))


def _meta_value(prof: CsvProfile, key: str, non_data: list[str]) -> str | None:
    """A value the file states outside its table (preamble or footer lines), if the profile says where."""
    pattern = prof.meta.get(key)
    if pattern is None:
        return None
    match = pattern.search("\n".join(non_data))
    return match.group(1).strip() if match else None


def _fee_line(line: StatementLine, fee: Decimal) -> StatementLine:
    """A payment processor's fee as its own line, so the payment line keeps the invoiced gross."""
    return StatementLine(
        amount=fee,
        currency=line.currency,
        booking_date=line.booking_date,
        value_date=line.value_date,
        bank_ref=f"{line.bank_ref}:fee" if line.bank_ref else None,
        purpose=f"Fee: {line.purpose or ''}".strip(),
        status=line.status,
        details={"fee_for": line.bank_ref} if line.bank_ref else {},
        raw=line.raw,
        source_line=line.source_line,
    )


def _statements(
    groups: dict[tuple[str | None, str], _Group],
    non_data: list[str],
    prof: CsvProfile,
    amounts: AmountReader,
    filename: str,
) -> tuple[ParsedStatement, ...]:
    def meta_amount(key: str) -> Decimal | None:
        text = _meta_value(prof, key, non_data)
        if text is None:
            return None
        try:
            return amounts.read(text)
        except CellError as exc:
            raise ParseError(f"profile {prof.name}: {key} outside the table: {exc}", file=filename) from None

    meta_account = _meta_value(prof, "account", non_data)
    out: list[ParsedStatement] = []
    for (account, currency), group in groups.items():
        opening, closing = group.opening, group.closing
        if len(groups) == 1 and opening is None and closing is None:
            # Balances printed around the table belong to the file's one account.
            opening, closing = meta_amount("opening_balance"), meta_amount("closing_balance")
        booked_dates = [ln.booking_date for ln in group.lines if ln.booking_date is not None]
        lines = tuple(group.lines)
        booked_sum = sum((ln.amount for ln in lines if ln.status == "booked"), _ZERO)
        warnings: tuple[str, ...] = ()
        if opening is not None and closing is not None and opening + booked_sum != closing:
            gap = closing - (opening + booked_sum)
            warnings = (f"opening balance + booked lines differs from closing balance by {gap}",)
        out.append(
            ParsedStatement(
                account=account or meta_account,
                currency=currency,
                date_from=min(booked_dates, default=None),
                date_to=max(booked_dates, default=None),
                opening_balance=opening,
                closing_balance=closing,
                lines=lines,
                warnings=warnings,
            )
        )
    return tuple(out)
