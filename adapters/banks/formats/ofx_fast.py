"""The default OFX path: our linear tokenizer (``ofx_tree``) mapped to the adapter contract.

Linear in the file size (ofxparse is super-linear and needs minutes for 100,000 transactions),
and reads files ofxparse crashes on when their bytes are unambiguous (empty balances, empty
FITIDs, odd charsets). What it refuses, it refuses with a line number.
"""

from __future__ import annotations

from decimal import Decimal

from adapters.banks.base import ParsedFile, ParsedStatement, ParseError, StatementLine
from adapters.banks.formats.ofx_contract import (
    ACCOUNT_FROM,
    STATEMENT_KINDS,
    TRANSACTION_LIST,
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
from adapters.banks.formats.ofx_tree import Aggregate, parse_tree
from adapters.banks.formats.ofx_values import ValueProblem, parse_amount

_STMTTRN = frozenset({"STMTTRN"})
_STATUS = frozenset({"STATUS"})
_NOT_INVESTMENT_TRANSACTIONS = frozenset({"INVBANKTRAN"})


def parse_fast(decoded: OfxText, format_name: str) -> ParsedFile:
    """Parse decoded OFX text; ParseError (with a line) on anything broken."""
    if decoded.root_start is None:
        raise ParseError("no <OFX> root element")
    root = parse_tree(decoded.text, decoded.root_start)
    statements = tuple(_statement(node, decoded) for node in root.iter(STATEMENT_KINDS))
    if not statements:
        raise no_statement_error(lambda: _error_status(root))
    return ParsedFile(format=format_name, statements=statements)


def _statement(node: Aggregate, decoded: OfxText) -> ParsedStatement:
    account_from = node.first(ACCOUNT_FROM[node.name])
    account = optional(account_from.elements.get("ACCTID")) if account_from else None
    currency = optional(node.elements.get("CURDEF"))
    currency = currency.upper() if currency else None
    tran_list = node.first(TRANSACTION_LIST[node.name])
    date_from = date_to = None
    if tran_list is not None:
        date_from = checked_date(tran_list.elements.get("DTSTART"), "DTSTART", tran_list.line)
        date_to = checked_date(tran_list.elements.get("DTEND"), "DTEND", tran_list.line)
    closing, ledger_empty = _ledger_balance(node)
    lines = tuple(_line(txn, currency or UNKNOWN_CURRENCY, decoded.text) for txn in node.iter(_STMTTRN))
    skipped = 0
    if node.name == "INVSTMTRS" and tran_list is not None:
        skipped = sum(1 for child in tran_list.children if child.name not in _NOT_INVESTMENT_TRANSACTIONS)
    refuse_empty_statement(node.name, account, lines, closing, ledger_empty, node.line)
    return ParsedStatement(
        account=account,
        currency=currency,
        date_from=date_from,
        date_to=date_to,
        opening_balance=None,  # OFX states no opening balance; we do not derive one
        closing_balance=closing,
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


def _ledger_balance(node: Aggregate) -> tuple[Decimal | None, bool]:
    """(closing balance, whether LEDGERBAL was there with an empty BALAMT)."""
    ledger = node.first("LEDGERBAL")
    if ledger is None:
        return None, False
    text = ledger.elements.get("BALAMT")
    if not text:
        return None, True
    try:
        return parse_amount(text), False
    except ValueProblem as exc:
        raise ParseError(f"LEDGERBAL/BALAMT: {exc}", line=ledger.line, element="LEDGERBAL") from None


def _line(txn: Aggregate, default_currency: str, text: str) -> StatementLine:
    fields = txn.elements
    amount_text = fields.get("TRNAMT")
    if not amount_text:
        raise ParseError("transaction without TRNAMT", line=txn.line, element="STMTTRN")
    try:
        amount = parse_amount(amount_text)
    except ValueProblem as exc:
        raise ParseError(f"TRNAMT: {exc}", line=txn.line, element="STMTTRN") from None
    dtposted = fields.get("DTPOSTED")
    if not dtposted:
        raise ParseError("transaction without DTPOSTED", line=txn.line, element="STMTTRN")
    name = optional(fields.get("NAME"))
    currency = default_currency
    counterparty_account = counterparty_bank = None
    if txn.children:  # PAYEE, BANKACCTTO/CCACCTTO, CURRENCY/ORIGCURRENCY are rare; skip the lookups otherwise
        payee = txn.child("PAYEE")
        if name is None and payee is not None:
            name = optional(payee.elements.get("NAME"))
        account_to = txn.child("BANKACCTTO") or txn.child("CCACCTTO")
        if account_to is not None:
            counterparty_account = optional(account_to.elements.get("ACCTID"))
            counterparty_bank = optional(account_to.elements.get("BANKID"))
        foreign = txn.child("CURRENCY")
        if foreign is not None and foreign.elements.get("CURSYM"):
            currency = foreign.elements["CURSYM"].upper()
    return make_line(
        amount=amount,
        currency=currency,
        booking_date=checked_date(dtposted, "DTPOSTED", txn.line),
        value_date=checked_date(fields.get("DTAVAIL"), "DTAVAIL", txn.line),
        fitid=optional(fields.get("FITID")),
        name=name,
        memo=optional(fields.get("MEMO")),
        counterparty_account=counterparty_account,
        details=transaction_details(
            fields, dtposted, checked_date(fields.get("DTUSER"), "DTUSER", txn.line), counterparty_bank
        ),
        raw=text[txn.start : txn.end],
        source_line=txn.line,
    )


def _error_status(root: Aggregate) -> tuple[str, str, str] | None:
    for status in root.iter(_STATUS):
        if status.elements.get("SEVERITY", "").upper() == "ERROR":
            return (status.elements.get("CODE", ""), "ERROR", status.elements.get("MESSAGE", ""))
    return None
