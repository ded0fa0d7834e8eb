"""The adapter contract: what every statement source hands to the rest of Sverka.

Adapters return frozen dataclasses, never ORM rows, so they can be tested with real sample
files and a sandbox bank alone, and the services decide how to store what they read.

Sign convention (the one thing every format gets differently): ``StatementLine.amount`` is
signed from the point of view of the statement's account, negative = money leaving it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal, Protocol

LineStatus = Literal["booked", "pending"]

# Keys of StatementLine.details that the notifier needs to render a payment order (form 0401060).
# Formats that carry them (1CClientBankExchange, CAMT party data) fill what they have.
PAYMENT_ORDER_KEYS = (
    "document_kind",
    "document_number",
    "document_date",
    "priority",
    "payment_kind",
    "payer_name",
    "payer_inn",
    "payer_kpp",
    "payer_account",
    "payer_bank_name",
    "payer_bank_bik",
    "payer_bank_corr_account",
    "payee_name",
    "payee_inn",
    "payee_kpp",
    "payee_account",
    "payee_bank_name",
    "payee_bank_bik",
    "payee_bank_corr_account",
    "vat_text",
)


@dataclass(frozen=True, slots=True)
class StatementLine:
    """One booked (or pending) movement on the account, as the source reported it."""

    amount: Decimal
    currency: str
    booking_date: date | None
    value_date: date | None = None
    bank_ref: str | None = None
    counterparty_name: str | None = None
    counterparty_account: str | None = None
    counterparty_tax_id: str | None = None
    purpose: str | None = None
    status: LineStatus = "booked"
    # Format-specific facts worth keeping (payment-order fields, bank codes, tx type codes).
    details: Mapping[str, str] = field(default_factory=dict)
    # The source record verbatim (an XML element, an SGML block, 1C lines), for disputes.
    raw: str = ""
    # 1-based line in the source file where the record starts, when the format has lines.
    source_line: int | None = None


@dataclass(frozen=True, slots=True)
class ParsedStatement:
    """One account's statement for a period; a file may hold several."""

    account: str | None
    currency: str | None
    date_from: date | None
    date_to: date | None
    opening_balance: Decimal | None
    closing_balance: Decimal | None
    lines: tuple[StatementLine, ...]
    statement_id: str | None = None
    # Facts the importer must flag, not hide: e.g. opening + entries != closing.
    warnings: tuple[str, ...] = ()
    # Format-specific statement facts (e.g. MT940 :64: available / :65: forward balances).
    details: Mapping[str, str] = field(default_factory=dict)

    def balance_gap(self) -> Decimal | None:
        """closing - (opening + sum of booked lines); None when the file has no balances."""
        if self.opening_balance is None or self.closing_balance is None:
            return None
        booked = sum((ln.amount for ln in self.lines if ln.status == "booked"), Decimal(0))
        return self.closing_balance - (self.opening_balance + booked)


@dataclass(frozen=True, slots=True)
class ParsedFile:
    """Everything one statement file contained."""

    format: str
    statements: tuple[ParsedStatement, ...]


class ParseError(Exception):
    """The only exception a parser lets escape: the file is unusable, and here is why and where.

    ``line`` is 1-based; ``element`` names an XML path or record when lines mean little.
    """

    def __init__(
        self,
        reason: str,
        *,
        file: str | None = None,
        line: int | None = None,
        element: str | None = None,
    ) -> None:
        self.reason = reason
        self.file = file
        self.line = line
        self.element = element
        super().__init__(str(self))

    def __str__(self) -> str:
        where = [self.file or "<input>"]
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.element:
            where.append(self.element)
        return f"{': '.join(where)}: {self.reason}"

    def with_file(self, file: str) -> ParseError:
        """The same error, naming the file (parsers often see only bytes)."""
        return ParseError(self.reason, file=file, line=self.line, element=self.element)


class StatementFormat(Protocol):
    """A statement file format: recognises its files and parses them."""

    name: str

    def sniff(self, head: bytes, filename: str) -> bool:
        """True when ``head`` (the first few KiB) looks like this format."""
        ...

    def parse(self, data: bytes, filename: str) -> ParsedFile:
        """Parse a whole file; raise :class:`ParseError` on anything unusable."""
        ...
