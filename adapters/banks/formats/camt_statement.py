"""The header of one CAMT ``Stmt``/``Rpt``/``Ntfctn`` (account, balances, period) plus its lines → ParsedStatement.

Kept apart from the document readers in ``camt`` (lxml ``iterparse``) and ``camt_fast`` (the
streaming fast path) so both finish a statement with the very same rules: the header is always
read from an lxml element, whichever reader found the entries.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from decimal import Decimal

from lxml import etree

from adapters.banks.base import ParsedStatement, ParseError, StatementLine
from adapters.banks.formats.camt_entries import (
    Names,
    account_id,
    currency_code,
    direction,
    parse_amount,
    parse_date,
    text,
    where,
)

NAMESPACE = re.compile(r"urn:iso:std:iso:20022:tech:xsd:camt\.(05[234])\.001\.(\d{2})")
# Which report element each message repeats; v01 messages suffix the wrapper with "V01".
REPORT_ELEMENT = {"052": "Rpt", "053": "Stmt", "054": "Ntfctn"}
WRAPPER = {"052": "BkToCstmrAcctRpt", "053": "BkToCstmrStmt", "054": "BkToCstmrDbtCdtNtfctn"}
# Balance types, in order of preference, that open and close a statement. PRCD (previous
# closing) is what a bank sends when it has no separate opening figure for the period.
_OPENING_TYPES = ("OPBD", "PRCD")
_CLOSING_TYPES = ("CLBD",)


def balance(bal: etree._Element, q: Names, element: str) -> tuple[str | None, Decimal, str | None, date | None]:
    """(type code, signed amount, currency, date) of one ``<Bal>``."""
    code = text(bal, "Tp/CdOrPrtry/Cd", q) or text(bal, "Tp/CdOrPrtry/Prtry", q) or text(bal, "Tp/Cd", q)
    amt = bal.find(q("Amt"))
    line = where(bal)
    if amt is None:
        raise ParseError("balance has no amount", element=f"{element}/Amt", line=line)
    # A balance without an indicator is a credit balance (the schema makes it mandatory, but
    # some banks omit it for positive balances; a debit balance is always marked).
    sign = direction(text(bal, "CdtDbtInd", q), element=f"{element}/CdtDbtInd", line=line, default=1)
    amount = sign * parse_amount(amt.text, element=f"{element}/Amt", line=where(amt))
    dt = bal.find(q("Dt"))
    when = None
    if dt is not None:
        when = parse_date(text(dt, "Dt", q) or text(dt, "DtTm", q), element=f"{element}/Dt", line=where(dt))
    return code, amount, currency_code(amt.get("Ccy")), when


def finish_statement(stmt_elem: etree._Element, lines: list[StatementLine], q: Names, element: str) -> ParsedStatement:
    """Header facts of a statement element plus its lines (found by either reader) → ParsedStatement."""
    acct = stmt_elem.find(q("Acct"))
    account = account_id(acct, q)
    balances: dict[str, tuple[Decimal, str | None, date | None]] = {}
    for index, bal in enumerate(stmt_elem.iterfind(q("Bal")), start=1):
        code, amount, ccy, when = balance(bal, q, f"{element}/Bal[{index}]")
        if code is not None:
            balances.setdefault(code.upper(), (amount, ccy, when))
    opening = next((balances[t] for t in _OPENING_TYPES if t in balances), None)
    closing = next((balances[t] for t in _CLOSING_TYPES if t in balances), None)

    currency = text(acct, "Ccy", q) if acct is not None else None
    if currency is None:
        currency = next((b[1] for b in (opening, closing) if b is not None and b[1]), None)
    if currency is None:
        currency = next((ln.currency for ln in lines if ln.currency), None)
    if any(not ln.currency for ln in lines):
        if currency is None:
            raise ParseError("entries carry no currency and neither does the account", element=element)
        lines = [ln if ln.currency else dataclasses.replace(ln, currency=currency) for ln in lines]

    period = stmt_elem.find(q("FrToDt"))
    date_from = date_to = None
    if period is not None:
        line = where(period)
        date_from = parse_date(
            text(period, "FrDtTm", q) or text(period, "FrDt", q), element=f"{element}/FrToDt", line=line
        )
        date_to = parse_date(
            text(period, "ToDtTm", q) or text(period, "ToDt", q), element=f"{element}/FrToDt", line=line
        )
    if date_from is None or date_to is None:
        dates = [d for ln in lines if (d := ln.booking_date or ln.value_date) is not None]
        if not dates:
            dates = [b[2] for b in (opening, closing) if b is not None and b[2] is not None]
        if dates:
            date_from = date_from or min(dates)
            date_to = date_to or max(dates)

    statement = ParsedStatement(
        account=account,
        currency=currency,
        date_from=date_from,
        date_to=date_to,
        opening_balance=opening[0] if opening else None,
        closing_balance=closing[0] if closing else None,
        lines=tuple(lines),
        statement_id=text(stmt_elem, "Id", q),
    )
    warnings: list[str] = []
    gap = statement.balance_gap()
    if gap is not None and gap != 0:
        booked = sum((ln.amount for ln in lines if ln.status == "booked"), Decimal(0))
        warnings.append(
            f"opening balance {statement.opening_balance} + booked entries {booked} = "
            f"{statement.opening_balance + booked if statement.opening_balance is not None else booked}"
            f", but the closing balance is {statement.closing_balance} (difference {gap})"
        )
    for label, figure in (("opening", opening), ("closing", closing)):
        if figure is not None and figure[1] and currency and figure[1] != currency:
            warnings.append(f"{label} balance is in {figure[1]}, the account in {currency}")
    foreign = sorted({ln.currency for ln in lines if currency and ln.currency != currency})
    if foreign:
        warnings.append(f"entries in {', '.join(foreign)} on an account in {currency}")
    return dataclasses.replace(statement, warnings=tuple(warnings))
