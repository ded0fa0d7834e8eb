"""The default OFX path: our linear tokenizer (``ofx_tree``) mapped to the adapter contract.

Linear in the file size (ofxparse is super-linear and needs minutes for 100,000 transactions),
and reads files ofxparse crashes on when their bytes are unambiguous (empty balances, empty
FITIDs, odd charsets). What it refuses, it refuses with a line number.

Flat STMTTRN blocks (``ofx_flat``) arrive as captured values, not as aggregates, and are mapped
in one tight loop (``_lines``): at 100,000 transactions every microsecond per line is a tenth of
a second, so that loop avoids per-line lookups, dicts and the dataclass's slow frozen
``__init__``. Aggregates (the unusual transactions) go through ``_line``; both give the same
line for the same block.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from adapters.banks.base import ParsedFile, ParsedStatement, ParseError, StatementLine
from adapters.banks.formats.collector import PAUSE_COLLECTOR_FROM, collector_paused
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
from adapters.banks.formats.ofx_flat import (
    NO_RARE,
    RARE,
    RARE_KEYS,
)
from adapters.banks.formats.ofx_text import OfxText
from adapters.banks.formats.ofx_tree import Aggregate, parse_tree
from adapters.banks.formats.ofx_values import ValueProblem, parse_amount
from adapters.banks.formats.statement_line import new_statement_line

_STMTTRN = frozenset({"STMTTRN"})
_FIRST_RARE = RARE.start
_STATUS = frozenset({"STATUS"})
_NOT_INVESTMENT_TRANSACTIONS = frozenset({"INVBANKTRAN"})


def parse_fast(decoded: OfxText, format_name: str, *, flat_transactions: bool = True) -> ParsedFile:
    """Parse decoded OFX text; ParseError (with a line) on anything broken.

    ``flat_transactions=False`` reads every STMTTRN tag by tag (see ``ofx_tree.parse_tree``).
    """
    if decoded.root_start is None:
        raise ParseError("no <OFX> root element")
    comments_blanked = "<!" in decoded.text
    with collector_paused(len(decoded.text) >= PAUSE_COLLECTOR_FROM):
        root = parse_tree(decoded.text, decoded.root_start, flat_transactions=flat_transactions)
        statements = tuple(
            _statement(node, decoded, comments_blanked)
            for node in root.iter(STATEMENT_KINDS)
            if isinstance(node, Aggregate)
        )
        status = None if statements else _error_status(root)
        # Free the tree (a node and a token per transaction) before the collector resumes: it
        # would otherwise walk it once more in the collection its pause deferred.
        del root
    if not statements:
        raise no_statement_error(lambda: status)
    return ParsedFile(format=format_name, statements=statements)


def _statement(node: Aggregate, decoded: OfxText, comments_blanked: bool) -> ParsedStatement:
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
    lines = _lines(node, currency or UNKNOWN_CURRENCY, decoded.text, comments_blanked)
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


def _lines(statement: Aggregate, currency: str, text: str, comments_blanked: bool) -> tuple[StatementLine, ...]:
    """The statement's lines in file order; flat STMTTRNs are mapped here, inline.

    This loop runs once per transaction of every file, so it is written for speed: locals
    instead of attribute lookups, a per-statement cache of days, positional construction. For
    a flat block it must give exactly what ``_line`` gives for the same block read tag by tag
    (``test_ofx_flat.py`` holds them to it, on the corpus and on generated blocks).
    """
    lines: list[StatementLine] = []
    append = lines.append
    days: dict[str, date | None] = {}  # a statement has few distinct days and many lines per day
    new_line = _new_line
    for txn in statement.iter(_STMTTRN):
        if isinstance(txn, Aggregate):
            append(_line(txn, currency, text))
            continue
        start, line, token = txn
        raw, trntype, dtposted, amount, fitid, name, memo, dtuser, dtavail = token[:_FIRST_RARE]
        dtposted = dtposted.rstrip()  # values keep their trailing blanks (see ofx_flat)
        day = dtposted[:8]
        if day in days:
            booking_date = days[day]
        else:  # first time this day: validate it (refuses 20241301)
            booking_date = days[day] = checked_date(dtposted, "DTPOSTED", line)
        value_date = checked_date(dtavail, "DTAVAIL", line) if dtavail else None
        details = {"trntype": trntype.rstrip().upper()} if trntype else {}
        if token[RARE] != NO_RARE:  # CHECKNUM, REFNUM, ...: in DETAIL_ELEMENTS order
            for key, value in zip(RARE_KEYS, token[RARE], strict=True):
                if value:
                    details[key] = value.rstrip()
        details["dtposted"] = dtposted
        if dtuser:
            user_date = checked_date(dtuser, "DTUSER", line)
            if user_date is not None:
                details["dtuser"] = user_date.isoformat()
        counterparty = name.rstrip() or None
        if comments_blanked:  # the tokenizer saw comments as blanks (ofx_tree); raw keeps them
            raw = text[start : start + len(raw)]
        append(
            new_line(
                Decimal(amount),  # the flat pattern admits only the plain OFX form
                currency,
                booking_date,
                value_date,
                fitid.rstrip() or None,
                counterparty,
                None,
                None,
                memo.rstrip() or counterparty,  # purpose: see ofx_contract.purpose_and_name
                "booked",
                details,
                raw,
                line,
            )
        )
    return tuple(lines)


_new_line = new_statement_line


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
        if isinstance(status, Aggregate) and status.elements.get("SEVERITY", "").upper() == "ERROR":
            return (status.elements.get("CODE", ""), "ERROR", status.elements.get("MESSAGE", ""))
    return None
