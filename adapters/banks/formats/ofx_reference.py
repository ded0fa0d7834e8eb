"""The reference OFX path: ofxparse (the customer's required reference), mapped to our contract.

ofxparse reads the values it knows (amounts, dates, FITID, NAME/PAYEE, MEMO, CHECKNUM, SIC,
TRNTYPE, account, CURDEF, balances); the few elements it ignores (DTAVAIL, REFNUM, SRVRTID,
BANKACCTTO/CCACCTTO, STMTTRN/CURRENCY) are read from the BeautifulSoup tags it parsed, which we
capture by subclassing its parser. Two things are undone on the way out:

* ofxparse shifts dates to UTC; we add the file's ``[offset:zone]`` back to get the bank's day;
* ofxparse's own decoding crashes on many real headers (``CHARSET:NONE``, UTF-8 under 1252), so
  it is fed our decoded text under a neutral UTF-8 header, padded so line numbers still match.

Every exception ofxparse (or BeautifulSoup) raises becomes our ParseError.
"""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from ofxparse import OfxParser

from adapters.banks.base import ParsedFile, ParsedStatement, ParseError, StatementLine
from adapters.banks.formats.ofx_contract import (
    DETAIL_ELEMENTS,
    STATEMENT_KINDS,
    UNKNOWN_CURRENCY,
    checked_date,
    make_line,
    no_statement_error,
    optional,
    refuse_empty_statement,
    statement_warnings,
    transaction_details,
)
from adapters.banks.formats.ofx_text import OfxText
from adapters.banks.formats.ofx_values import utc_offset_hours

_NEUTRAL_HEADER = (
    "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:UTF-8\n"
    "CHARSET:NONE\nCOMPRESSION:NONE\nOLDFILEUID:NONE\nNEWFILEUID:NONE\n"
)
_HEADER_LINES = _NEUTRAL_HEADER.count("\n")


class _CapturingParser(OfxParser):  # type: ignore[misc]  # ofxparse is untyped
    """ofxparse with the soup tag of each statement and transaction kept on the result."""

    @classmethod
    def parseStatement(cls, stmt_ofx: Any) -> Any:
        statement = super().parseStatement(stmt_ofx)
        statement.sverka_tag = stmt_ofx
        return statement

    @classmethod
    def parseInvestmentStatement(cls, invstmtrs_ofx: Any) -> Any:
        statement = super().parseInvestmentStatement(invstmtrs_ofx)
        statement.sverka_tag = invstmtrs_ofx
        return statement

    @classmethod
    def parseTransaction(cls, txn_ofx: Any) -> Any:
        transaction = super().parseTransaction(txn_ofx)
        transaction.sverka_tag = txn_ofx
        return transaction


def parse_reference(decoded: OfxText, format_name: str) -> ParsedFile:
    """Parse decoded OFX text with ofxparse; ParseError for anything it or we refuse."""
    if decoded.root_start is None:
        raise ParseError("no <OFX> root element")
    lines_before_root = decoded.text.count("\n", 0, decoded.root_start)
    padding = max(0, lines_before_root - _HEADER_LINES)
    fed = _NEUTRAL_HEADER + "\n" * padding + decoded.text[decoded.root_start :]
    line_shift = _HEADER_LINES + padding - lines_before_root
    try:
        ofx = _CapturingParser.parse(io.BytesIO(fed.encode("utf-8")), fail_fast=True)
    except Exception as exc:  # ofxparse raises ~8 exception types on broken input
        raise ParseError(f"ofxparse: {type(exc).__name__}: {exc}") from None
    statements = tuple(
        _statement(account, decoded, line_shift)
        for account in ofx.accounts
        if hasattr(getattr(account, "statement", None), "sverka_tag")
        # ofxparse also turns ACCTINFO account listings into accounts; they are not statements
        and account.statement.sverka_tag.name.upper() in STATEMENT_KINDS
    )
    if not statements:
        raise no_statement_error(lambda: _error_status(ofx))
    return ParsedFile(format=format_name, statements=statements)


def _statement(account: Any, decoded: OfxText, line_shift: int) -> ParsedStatement:
    statement = account.statement
    tag = statement.sverka_tag
    kind = tag.name.upper()
    # Bank accounts keep CURDEF as written; investment accounts only on the statement (lower-cased).
    currency = optional(_strip(account.curdef) or _strip(getattr(statement, "currency", "")))
    currency = currency.upper() if currency else None
    lines = tuple(
        _line(txn, currency or UNKNOWN_CURRENCY, line_shift)
        for txn in statement.transactions
        if hasattr(txn, "sverka_tag")  # InvestmentTransaction (trades) are not statement lines
    )
    skipped = len(statement.transactions) - len(lines) if kind == "INVSTMTRS" else 0
    closing = getattr(statement, "balance", None)
    ledger = tag.find("ledgerbal")
    ledger_empty = kind != "INVSTMTRS" and ledger is not None and not _text(ledger.find("balamt"))
    account_id = optional(_strip(getattr(account, "account_id", "")))
    source_line = tag.sourceline - line_shift if tag.sourceline is not None else None
    refuse_empty_statement(kind, account_id, lines, closing, ledger_empty, source_line)
    return ParsedStatement(
        account=account_id,
        currency=currency,
        date_from=_local_date(getattr(statement, "start_date", None), _text(tag.find("dtstart"))),
        date_to=_local_date(getattr(statement, "end_date", None), _text(tag.find("dtend"))),
        opening_balance=None,
        closing_balance=Decimal(closing) if closing is not None else None,
        lines=lines,
        warnings=statement_warnings(
            lines=lines,
            currency=currency,
            ledger_balance_written_empty=ledger_empty,
            skipped_investment_transactions=skipped,
            replaced_chars=decoded.replaced_chars,
            encoding=decoded.encoding,
        ),
    )


def _line(txn: Any, default_currency: str, line_shift: int) -> StatementLine:
    tag = txn.sverka_tag
    source_line = tag.sourceline - line_shift if tag.sourceline is not None else None
    dtposted = _text(tag.find("dtposted"))
    elements = {name: _text(tag.find(name.lower())) for name in DETAIL_ELEMENTS}
    elements["TRNTYPE"] = txn.type
    elements["CHECKNUM"] = txn.checknum
    elements["SIC"] = txn.sic or ""
    currency = default_currency
    foreign = tag.find("currency")
    if foreign is not None and _text(foreign.find("cursym")):
        currency = _text(foreign.find("cursym")).upper()
    account_to = tag.find("bankacctto") or tag.find("ccacctto")
    return make_line(
        amount=Decimal(txn.amount),
        currency=currency,
        booking_date=_local_date(txn.date, dtposted),
        value_date=checked_date(_text(tag.find("dtavail")), "DTAVAIL", source_line),
        fitid=optional(txn.id),
        name=optional(txn.payee),
        memo=optional(txn.memo),
        counterparty_account=optional(_text(account_to.find("acctid"))) if account_to else None,
        details=transaction_details(
            elements,
            dtposted,
            _local_date(txn.user_date, _text(tag.find("dtuser"))),
            optional(_text(account_to.find("bankid"))) if account_to else None,
        ),
        raw=str(tag),
        source_line=source_line,
    )


def _local_date(utc: datetime | None, written: str) -> date | None:
    """Undo ofxparse's shift to UTC: the bank's own calendar day."""
    if not isinstance(utc, datetime):
        return None
    return (utc + timedelta(hours=utc_offset_hours(written))).date()


def _text(tag: Any) -> str:
    """The first text of a soup tag as ofxparse reads it (``contents[0].strip()``), or ""."""
    if tag is None or not getattr(tag, "contents", None):
        return ""
    first = tag.contents[0]
    return first.strip() if isinstance(first, str) else ""


def _strip(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _error_status(ofx: Any) -> tuple[str, str, str] | None:
    signon = getattr(ofx, "signon", None)
    status = getattr(ofx, "status", None)
    # Document order, as the fast path reports it: the sign-on status comes first.
    if signon is not None and str(getattr(signon, "severity", "")).upper() == "ERROR":
        return (str(signon.code), "ERROR", signon.message or "")
    if isinstance(status, dict) and str(status.get("severity", "")).upper() == "ERROR":
        return (str(status.get("code", "")), "ERROR", status.get("message") or "")
    return None
