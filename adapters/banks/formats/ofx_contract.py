"""How OFX facts become Sverka's contract; shared by the fast and the reference path.

Both paths read the same OFX facts in different ways (our tokenizer vs ofxparse + BeautifulSoup);
everything *after* reading — which element fills which field, which facts become warnings — is
decided here once, so the two paths can only differ in reading, which is what the parity test
is meant to catch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal

from adapters.banks.base import ParseError, StatementLine
from adapters.banks.formats.ofx_values import ValueProblem, parse_local_date

# ISO 4217 "no currency": used for lines of a statement whose CURDEF is empty or missing.
UNKNOWN_CURRENCY = "XXX"

STATEMENT_KINDS = frozenset({"STMTRS", "CCSTMTRS", "INVSTMTRS"})
ACCOUNT_FROM = {"STMTRS": "BANKACCTFROM", "CCSTMTRS": "CCACCTFROM", "INVSTMTRS": "INVACCTFROM"}
TRANSACTION_LIST = {"STMTRS": "BANKTRANLIST", "CCSTMTRS": "BANKTRANLIST", "INVSTMTRS": "INVTRANLIST"}

# STMTTRN elements kept verbatim in StatementLine.details (lower-cased OFX names).
DETAIL_ELEMENTS = (
    "TRNTYPE",
    "CHECKNUM",
    "REFNUM",
    "SIC",
    "SRVRTID",
    "PAYEEID",
    "EXTDNAME",
    "CORRECTFITID",
    "CORRECTACTION",
    "INV401KSOURCE",
)


def optional(value: str | None) -> str | None:
    """OFX writes "absent" as a missing tag or an empty one; both mean None here."""
    return value if value else None


def checked_date(value: str | None, what: str, line: int | None) -> date | None:
    """A local date from an optional OFX date element; ParseError when it is not a date."""
    if not value:
        return None
    try:
        return parse_local_date(value)
    except ValueProblem as exc:
        raise ParseError(f"{what}: {exc}", line=line) from None


def purpose_and_name(name: str | None, memo: str | None) -> tuple[str | None, str | None]:
    """(purpose, counterparty name): MEMO is the purpose; without a MEMO, NAME is both.

    Many banks put the whole description ("INVOICE 123 ACME LTD") in NAME and leave MEMO out,
    so a purpose of None would hide the only text the matcher can use.
    """
    return (memo or name), name


def transaction_details(
    elements: Mapping[str, str], dtposted: str, dtuser: date | None, counterparty_bank: str | None
) -> dict[str, str]:
    """Format-specific facts of one STMTTRN, keyed by lower-cased OFX element name."""
    details = {key.lower(): elements[key] for key in DETAIL_ELEMENTS if elements.get(key)}
    if "trntype" in details:  # an enumeration; "Credit" and "CREDIT" are the same type
        details["trntype"] = details["trntype"].upper()
    details["dtposted"] = dtposted
    if dtuser is not None:
        details["dtuser"] = dtuser.isoformat()
    if counterparty_bank:
        details["counterparty_bank_id"] = counterparty_bank
    return details


def make_line(
    *,
    amount: Decimal,
    currency: str,
    booking_date: date | None,
    value_date: date | None,
    fitid: str | None,
    name: str | None,
    memo: str | None,
    counterparty_account: str | None,
    details: dict[str, str],
    raw: str,
    source_line: int | None,
) -> StatementLine:
    purpose, counterparty = purpose_and_name(name, memo)
    return StatementLine(
        amount=amount,
        currency=currency,
        booking_date=booking_date,
        value_date=value_date,
        bank_ref=fitid,
        counterparty_name=counterparty,
        counterparty_account=counterparty_account,
        purpose=purpose,
        status="booked",
        details=details,
        raw=raw,
        source_line=source_line,
    )


def statement_warnings(
    *,
    lines: tuple[StatementLine, ...],
    currency: str | None,
    ledger_balance_written_empty: bool,
    skipped_investment_transactions: int,
    replaced_chars: int,
    encoding: str,
) -> tuple[str, ...]:
    """Facts the importer must flag rather than hide, in a stable order."""
    warnings: list[str] = []
    if replaced_chars:
        warnings.append(
            f"{replaced_chars} character(s) could not be decoded as {encoding.removesuffix('+replace')} "
            "and were replaced with U+FFFD"
        )
    if currency is None:
        warnings.append(f"statement has no CURDEF; lines without their own currency carry {UNKNOWN_CURRENCY}")
    if ledger_balance_written_empty:
        warnings.append("LEDGERBAL has no amount; closing balance unknown")
    without_fitid = sum(1 for line in lines if line.bank_ref is None)
    if without_fitid:
        warnings.append(f"{without_fitid} transaction(s) have no FITID (duplicates cannot be detected by id)")
    if skipped_investment_transactions:
        warnings.append(
            f"{skipped_investment_transactions} investment transaction(s) (trades, income, transfers of "
            "securities) are not bank statement lines and were skipped"
        )
    return tuple(warnings)


def no_statement_error(status_of: Callable[[], tuple[str, str, str] | None]) -> ParseError:
    """The refusal for a response without statements, quoting the bank's error when it sent one."""
    status = status_of()
    if status is not None:
        code, severity, message = status
        detail = f" {message!r}" if message else ""
        return ParseError(f"the bank sent status {code} ({severity}){detail} instead of a statement")
    return ParseError("no statement (STMTRS, CCSTMTRS or INVSTMTRS) in the OFX file")


def refuse_empty_statement(
    kind: str,
    account: str | None,
    lines: tuple[StatementLine, ...],
    closing: Decimal | None,
    ledger_empty: bool,
    line: int | None,
) -> None:
    """Nothing to import and nothing to check against: a fragment, not a statement.

    The libofx fuzz inputs look like this; ofxparse returns an empty account for them.
    """
    if account is None and not lines and closing is None and not ledger_empty:
        raise ParseError(f"<{kind}> holds no account, no transactions and no balance", line=line)
