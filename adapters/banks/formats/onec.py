"""1CClientBankExchange (versions 1.01–1.03): the statement every Russian bank exports for 1C.

The file lists payment documents, not movements: each document names a payer and a payee,
and only by comparing their accounts with the file's own accounts (``РасчСчет``) do we learn
whether money came in or went out, and on which account. That rule, and what to do when a
document names none of our accounts, is the heart of this module; see ``docs/formats/onec.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal

from adapters.banks.base import LineStatus, ParsedFile, ParsedStatement, ParseError, StatementLine
from adapters.banks.formats.collector import PAUSE_COLLECTOR_FROM, collector_paused
from adapters.banks.formats.onec_fast import read_fast
from adapters.banks.formats.onec_fields import (
    ACCOUNT,
    DOCUMENT_KEYS,
    FIELD,
    INN,
    NAME,
    PAYEE,
    PAYER,
    FieldError,
    parse_amount,
    parse_date,
    party_from,
    payment_order_details,
    purpose_from,
)
from adapters.banks.formats.onec_sections import MAGIC, Document, ExchangeFile, Section, read_careful
from adapters.banks.formats.statement_line import new_statement_line

Direction = Literal["credit", "debit"]

_KNOWN_VERSIONS = frozenset({"1.01", "1.02", "1.03"})
_RUBLE_CODES = frozenset({"810", "643"})
# Digits 6–8 of a Russian account are its currency. 1CClientBankExchange has no currency field
# and carries ruble accounts; one of these codes means amounts we would misread as rubles.
_FOREIGN_CURRENCY_CODES = {
    "840": "USD",
    "978": "EUR",
    "156": "CNY",
    "826": "GBP",
    "756": "CHF",
    "392": "JPY",
    "398": "KZT",
    "933": "BYN",
    "949": "TRY",
    "784": "AED",
    "356": "INR",
    "051": "AMD",
}
_MAX_LISTED = 10


@dataclass(slots=True)
class _Account:
    """What the file says about one of our accounts, merged over its sections."""

    number: str
    date_from: date | None = None
    date_to: date | None = None
    opening: Decimal | None = None
    closing: Decimal | None = None
    total_in: Decimal | None = None
    total_out: Decimal | None = None
    sections: int = 0
    lines: list[StatementLine] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _sniff_start(head: bytes) -> bytes:
    return head.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n")


class OneCFormat:
    """The ``StatementFormat`` for 1CClientBankExchange text files."""

    name = "1c"

    def sniff(self, head: bytes, filename: str) -> bool:
        """The first line is the ASCII word ``1CClientBankExchange`` in every encoding the format uses."""
        return _sniff_start(head).startswith(MAGIC.encode("ascii"))

    def parse(self, data: bytes, filename: str) -> ParsedFile:
        """One ``ParsedStatement`` per account of ours in the file; ParseError names the file."""
        try:
            with collector_paused(len(data) >= PAUSE_COLLECTOR_FROM):
                return self._parse(data)
        except ParseError as exc:
            raise exc.with_file(filename) from None

    def _parse(self, data: bytes) -> ParsedFile:
        # The fast reader answers exactly as the careful one or not at all (see onec_fast).
        exchange = read_fast(data) or read_careful(data)
        warnings = _header_warnings(exchange)
        accounts = _accounts(exchange)
        if not accounts:
            raise ParseError(
                "no account of ours in the file (no РасчСчет in the header or a СекцияРасчСчет): "
                "this looks like payment orders exported for the bank, not a statement",
                line=1,
            )
        _refuse_foreign_currency(exchange, accounts)
        _assign_documents(exchange, accounts, warnings)
        statements = []
        for position, account in enumerate(accounts.values()):
            notes = (warnings if position == 0 else []) + account.warnings + _balance_warnings(account)
            statements.append(
                ParsedStatement(
                    account=account.number,
                    currency="RUB",
                    date_from=account.date_from,
                    date_to=account.date_to,
                    opening_balance=account.opening,
                    closing_balance=account.closing,
                    lines=tuple(account.lines),
                    warnings=tuple(notes),
                )
            )
        return ParsedFile(format=self.name, statements=tuple(statements))


FORMAT = OneCFormat()


def _header_warnings(exchange: ExchangeFile) -> list[str]:
    version = exchange.header.get("ВерсияФормата", "")
    if version and version not in _KNOWN_VERSIONS:
        return [f"ВерсияФормата={version[:20]} is not one of 1.01–1.03; read as 1.03"]
    return []


def _header_date(exchange: ExchangeFile, key: str, warnings: list[str]) -> date | None:
    """The header period is only a fallback for files without sections, so a broken one is a warning."""
    text = exchange.header.get(key, "")
    if not text:
        return None
    try:
        return parse_date(text)
    except FieldError as exc:
        warnings.append(f"line {exchange.header_line[key]}: header {key} ignored: {exc}")
        return None


def _section_value(exchange: ExchangeFile, section: Section, key: str, *, signed: bool = True) -> Decimal | None:
    text = section.fields.get(key, "")
    if not text:
        return None
    try:
        return parse_amount(text, signed=signed)
    except FieldError as exc:
        raise ParseError(str(exc), line=exchange.field_line(section, key), element=key) from None


def _section_date(exchange: ExchangeFile, section: Section, key: str) -> date | None:
    text = section.fields.get(key, "")
    if not text:
        return None
    try:
        return parse_date(text)
    except FieldError as exc:
        raise ParseError(str(exc), line=exchange.field_line(section, key), element=key) from None


def _accounts(exchange: ExchangeFile) -> dict[str, _Account]:
    """Our accounts in file order: from the account sections, then header-only ones.

    Banks that export one section per day repeat the account; those sections are merged into
    one statement (earliest opening, latest closing, summed totals) and their chain is checked.
    """
    header_warnings: list[str] = []
    header_from = _header_date(exchange, "ДатаНачала", header_warnings)
    header_to = _header_date(exchange, "ДатаКонца", header_warnings)
    accounts: dict[str, _Account] = {}
    for section in exchange.accounts:
        number = section.fields.get("РасчСчет", "")
        if not number:
            if len(exchange.header_accounts) != 1:
                raise ParseError(
                    "СекцияРасчСчет without РасчСчет (and the header does not name exactly one)",
                    line=section.start + 1,
                    element="РасчСчет",
                )
            number = exchange.header_accounts[0]
        _merge_section(exchange, accounts.setdefault(number, _Account(number)), section)
    for number in exchange.header_accounts:
        if number not in accounts:
            accounts[number] = _Account(number, date_from=header_from, date_to=header_to)
    if accounts:
        first = next(iter(accounts.values()))
        first.warnings[:0] = header_warnings
    return accounts


def _merge_section(exchange: ExchangeFile, account: _Account, section: Section) -> None:
    date_from = _section_date(exchange, section, "ДатаНачала")
    date_to = _section_date(exchange, section, "ДатаКонца")
    opening = _section_value(exchange, section, "НачальныйОстаток")
    closing = _section_value(exchange, section, "КонечныйОстаток")
    total_in = _section_value(exchange, section, "ВсегоПоступило", signed=False)
    total_out = _section_value(exchange, section, "ВсегоСписано", signed=False)
    where = f"СекцияРасчСчет at line {section.start + 1}"
    if opening is None:
        account.warnings.append(f"{where}: no НачальныйОстаток")
    if closing is None:
        account.warnings.append(f"{where}: no КонечныйОстаток")
    account.sections += 1
    if account.sections == 1:
        account.date_from, account.date_to = date_from, date_to
        account.opening, account.closing = opening, closing
        account.total_in, account.total_out = total_in, total_out
        return
    if account.closing is not None and opening is not None and opening != account.closing:
        account.warnings.append(
            f"{where}: НачальныйОстаток {opening} does not continue the previous section's "
            f"КонечныйОстаток {account.closing}"
        )
    account.date_from = _earliest(account.date_from, date_from)
    account.date_to = _latest(account.date_to, date_to)
    account.closing = closing
    account.total_in = _add(account.total_in, total_in)
    account.total_out = _add(account.total_out, total_out)


def _earliest(left: date | None, right: date | None) -> date | None:
    return min(left, right) if left and right else left or right


def _latest(left: date | None, right: date | None) -> date | None:
    return max(left, right) if left and right else left or right


def _add(left: Decimal | None, right: Decimal | None) -> Decimal | None:
    if left is None or right is None:
        return left if right is None else right
    return left + right


def _refuse_foreign_currency(exchange: ExchangeFile, accounts: dict[str, _Account]) -> None:
    for number in accounts:
        code = number[5:8] if len(number) == 20 and number.isdigit() else ""
        if code in _FOREIGN_CURRENCY_CODES:
            raise ParseError(
                f"account {number} is a {_FOREIGN_CURRENCY_CODES[code]} account (digits 6–8 = {code}); "
                "1CClientBankExchange carries rubles only, refusing rather than reading its amounts as RUB",
                line=_account_line(exchange, number),
                element="РасчСчет",
            )


def _account_line(exchange: ExchangeFile, number: str) -> int:
    for section in exchange.accounts:
        if section.fields.get("РасчСчет") == number:
            return exchange.field_line(section, "РасчСчет")
    return exchange.header_line.get("РасчСчет", 1)


def _document_kind(exchange: ExchangeFile, document: Document) -> str:
    # "СекцияДокумент" without a kind: the header's Документ= says it when it lists just one.
    if document.kind:
        return document.kind
    return exchange.header_kinds[0] if len(exchange.header_kinds) == 1 else ""


_NUMBER, _DATE, _AMOUNT = FIELD["Номер"], FIELD["Дата"], FIELD["Сумма"]
_DEBITED, _CREDITED = FIELD["ДатаСписано"], FIELD["ДатаПоступило"]
_PAYER_ACCOUNTS = (FIELD["ПлательщикСчет"], FIELD["ПлательщикРасчСчет"])
_PAYEE_ACCOUNTS = (FIELD["ПолучательСчет"], FIELD["ПолучательРасчСчет"])


def _assign_documents(exchange: ExchangeFile, accounts: dict[str, _Account], warnings: list[str]) -> None:
    """Turn each document into a line on every account of ours it moves money on.

    Credit when a payee account is ours, debit when a payer account is ours (both, on two
    accounts, for a transfer between our accounts; both on one account for a transfer to
    itself). A document naming none of our accounts is placed by ДатаСписано/ДатаПоступило
    when the file has a single account (anonymised or indirect-settlement exports do this);
    otherwise it is left out with a warning, since guessing an account would falsify a statement.
    """
    single = next(iter(accounts.values())) if len(accounts) == 1 else None
    has_sections = bool(exchange.accounts)
    by_dates: list[str] = []
    left_out: list[str] = []
    ours = accounts.get
    payer_account, payer_settlement = _PAYER_ACCOUNTS
    payee_account, payee_settlement = _PAYEE_ACCOUNTS
    for source in exchange.documents:
        # Read (and so validate) every document, including those we then leave out.
        document = _Document(exchange, source, _document_kind(exchange, source))
        values = source.values
        # Accounts are non-empty numbers, so a missing field ("") is never ours.
        payer_ours = ours(values[payer_account]) or ours(values[payer_settlement])
        payee_ours = ours(values[payee_account]) or ours(values[payee_settlement])
        if payer_ours is not None:
            payer_ours.lines.append(document.line("debit", has_sections))
        if payee_ours is not None:
            payee_ours.lines.append(document.line("credit", has_sections))
        if payer_ours is None and payee_ours is None:
            guessed = _direction_from_dates(values[_DEBITED], values[_CREDITED])
            if single is not None and guessed is not None:
                single.lines.append(document.line(guessed, has_sections))
                by_dates.append(_cite(source))
            else:
                left_out.append(_cite(source))
    if by_dates:
        warnings.append(
            f"{len(by_dates)} document(s) name none of the file's accounts; direction taken from "
            f"ДатаСписано/ДатаПоступило: {_listed(by_dates)}"
        )
    if left_out:
        warnings.append(
            f"{len(left_out)} document(s) left out: they name none of the file's accounts "
            f"and their direction cannot be told: {_listed(left_out)}"
        )


def _direction_from_dates(debited: str, credited: str) -> Direction | None:
    if debited and not credited:
        return "debit"
    if credited and not debited:
        return "credit"
    return None


def _cite(document: Document) -> str:
    number = document.values[_NUMBER]
    return f"line {document.start + 1}" + (f" (Номер={number[:20]})" if number else "")


def _listed(items: list[str]) -> str:
    shown = ", ".join(items[:_MAX_LISTED])
    return shown + (f" and {len(items) - _MAX_LISTED} more" if len(items) > _MAX_LISTED else "")


class _Document:
    """One СекцияДокумент read once, rendered as a line per account it touches.

    Runs for every document of files with hundreds of thousands of them, so the common path
    is straight-line code over the document's value tuple; ``_fail`` runs only on errors.
    """

    __slots__ = ("_exchange", "_source", "amount", "date", "details", "payee", "payer", "purpose", "raw")

    def __init__(self, exchange: ExchangeFile, source: Document, kind: str) -> None:
        self._exchange = exchange
        self._source = source
        values = source.values
        amount = values[_AMOUNT]
        if not amount:
            raise self._fail("Сумма", "required field Сумма is missing or empty")
        try:
            self.amount = parse_amount(amount)
        except FieldError as exc:
            raise self._fail("Сумма", str(exc)) from None
        self.date = self._date(_DATE)
        if self.date is None:
            raise self._fail("Дата", "required field Дата is missing or empty")
        self.payer = party_from(values, PAYER)
        self.payee = party_from(values, PAYEE)
        self.purpose = purpose_from(values)
        self.details = payment_order_details(values, kind, self.date, self.purpose, self.payer, self.payee)
        self.raw = source.raw

    def _fail(self, key: str, reason: str) -> ParseError:
        source = self._source
        where = f"document at line {source.start + 1}"
        return ParseError(f"{where}: {reason}", line=self._exchange.field_line(source, key), element=key)

    def _date(self, index: int) -> date | None:
        text = self._source.values[index]
        if not text:
            return None
        try:
            return parse_date(text)
        except FieldError as exc:
            raise self._fail(DOCUMENT_KEYS[index], str(exc)) from None

    def line(self, direction: Direction, has_sections: bool) -> StatementLine:
        # The counterparty is the other side: whoever paid us, or whoever we paid.
        if direction == "credit":
            side_date, amount, counterparty = self._date(_CREDITED), self.amount, self.payer
        else:
            side_date, amount, counterparty = self._date(_DEBITED), -self.amount, self.payee
        # Without account sections the file is 1C's own export of orders for the bank: unless the
        # bank stamped the document as executed, it is an instruction, not a movement yet.
        status: LineStatus = "booked" if has_sections or side_date is not None else "pending"
        # Positional, in StatementLine's field order (see statement_line.new_statement_line).
        return new_statement_line(
            amount,
            "RUB",
            side_date or self.date,
            None,
            self._source.values[_NUMBER] or None,
            counterparty[NAME] or None,
            counterparty[ACCOUNT] or None,
            counterparty[INN] or None,
            self.purpose,
            status,
            self.details,
            self.raw,
            self._source.start + 1,
        )


def _balance_warnings(account: _Account) -> list[str]:
    """Facts the importer must flag: balances and totals that the documents do not explain."""
    credits = sum((ln.amount for ln in account.lines if ln.amount > 0), Decimal(0))
    debits = -sum((ln.amount for ln in account.lines if ln.amount < 0), Decimal(0))
    notes = []
    if account.total_in is not None and account.total_in != credits:
        notes.append(f"{account.number}: ВсегоПоступило={account.total_in} but the documents credit {credits}")
    if account.total_out is not None and account.total_out != debits:
        notes.append(f"{account.number}: ВсегоСписано={account.total_out} but the documents debit {debits}")
    if account.opening is not None and account.closing is not None:
        booked = sum((ln.amount for ln in account.lines if ln.status == "booked"), Decimal(0))
        gap = account.closing - (account.opening + booked)
        if gap:
            notes.append(
                f"{account.number}: НачальныйОстаток {account.opening} + documents {booked} "
                f"!= КонечныйОстаток {account.closing} (gap {gap})"
            )
    return notes
