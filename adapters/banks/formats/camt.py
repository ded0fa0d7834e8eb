"""ISO 20022 CAMT bank-to-customer messages: camt.053 statements, camt.052 account reports and
camt.054 debit/credit notifications, any ``.001.xx`` version, bare XML or zipped.

The three messages share one shape (``Document/BkToCstmr…/{Stmt|Rpt|Ntfctn}/Ntry``), so one
streaming reader serves them all: ``iterparse`` hands over each ``Ntry`` as soon as it is
complete, the entry becomes lines (see :mod:`camt_entries`), and the element is dropped, so
memory stays flat however long the statement. The statement header (account, balances,
period) is read when its element closes. Decisions are recorded in ``docs/formats/camt.md``.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from lxml import etree

from adapters.banks.base import ParsedFile, ParsedStatement, ParseError, StatementLine
from adapters.banks.formats.camt_entries import (
    Names,
    account_id,
    currency_code,
    direction,
    entry_lines,
    parse_amount,
    parse_date,
    text,
    where,
)
from adapters.banks.formats.camt_zip import first_member_head, is_zip, zip_members
from adapters.banks.formats.xmlsafe import decode_prolog, root_of_parsed, safe_iterparse

NAMESPACE = re.compile(r"urn:iso:std:iso:20022:tech:xsd:camt\.(05[234])\.001\.(\d{2})")
# Which report element each message repeats; v01 messages suffix the wrapper with "V01".
_REPORT_ELEMENT = {"052": "Rpt", "053": "Stmt", "054": "Ntfctn"}
_WRAPPER = {"052": "BkToCstmrAcctRpt", "053": "BkToCstmrStmt", "054": "BkToCstmrDbtCdtNtfctn"}
_TAGS = ("{*}Document", "{*}Stmt", "{*}Rpt", "{*}Ntfctn", "{*}Ntry")
# Balance types, in order of preference, that open and close a statement. PRCD (previous
# closing) is what a bank sends when it has no separate opening figure for the period.
_OPENING_TYPES = ("OPBD", "PRCD")
_CLOSING_TYPES = ("CLBD",)

# Sniffing: the first start tag (after prolog, comments, DOCTYPE) and its namespace.
_FIRST_TAG = re.compile(r"<(?![?!])([^\s/>]+)([^>]*)>", re.DOTALL)
_XMLNS = re.compile(r"""xmlns(?::([\w.-]+))?\s*=\s*["']([^"']*)["']""")


@dataclass(slots=True)
class _Statement:
    """What is gathered for one Stmt/Rpt/Ntfctn while its entries stream past."""

    index: int
    lines: list[StatementLine] = field(default_factory=list)


def _balance(bal: etree._Element, q: Names, element: str) -> tuple[str | None, Decimal, str | None, date | None]:
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


def _finish_statement(stmt_elem: etree._Element, state: _Statement, q: Names, element: str) -> ParsedStatement:
    """Header facts of a statement element plus its streamed lines → ParsedStatement."""
    acct = stmt_elem.find(q("Acct"))
    account = account_id(acct, q)
    balances: dict[str, tuple[Decimal, str | None, date | None]] = {}
    for index, bal in enumerate(stmt_elem.iterfind(q("Bal")), start=1):
        code, amount, ccy, when = _balance(bal, q, f"{element}/Bal[{index}]")
        if code is not None:
            balances.setdefault(code.upper(), (amount, ccy, when))
    opening = next((balances[t] for t in _OPENING_TYPES if t in balances), None)
    closing = next((balances[t] for t in _CLOSING_TYPES if t in balances), None)

    currency = text(acct, "Ccy", q) if acct is not None else None
    if currency is None:
        currency = next((b[1] for b in (opening, closing) if b is not None and b[1]), None)
    if currency is None:
        currency = next((ln.currency for ln in state.lines if ln.currency), None)
    lines = state.lines
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


def _parse_xml(data: bytes) -> list[ParsedStatement]:
    """All statements of one CAMT XML document, streamed."""
    q: Names | None = None
    message = ""
    report_tag = ""
    statements: list[ParsedStatement] = []
    current: _Statement | None = None
    current_elem: etree._Element | None = None
    entry_index = 0
    own_account: str | None = None
    strip = 0
    saw_root = False
    for event, elem in safe_iterparse(data, tags=_TAGS):
        tag = elem.tag
        if not saw_root:
            root = elem.getroottree().getroot()
            saw_root = True
            q, message, report_tag = _check_root(root)
            strip = len(q.ns) + 2
        assert q is not None
        if event == "start":
            if tag == q(report_tag) and _is_report(elem, q, message):
                current = _Statement(index=len(statements) + 1)
                current_elem = elem
                entry_index = 0
            continue
        if current is not None and tag == q("Ntry") and elem.getparent() is current_elem:
            entry_index += 1
            if entry_index == 1 and current_elem is not None:
                # Acct precedes the entries in the schema, so it is already parsed here.
                own_account = account_id(current_elem.find(q("Acct")), q)
            element = f"{report_tag}[{current.index}]/Ntry[{entry_index}]"
            current.lines.extend(entry_lines(elem, strip, element=element, own_account=own_account))
            # Drop the consumed entry so memory stays flat on long statements.
            elem.clear()
            if current_elem is not None:
                current_elem.remove(elem)
        elif current is not None and elem is current_elem:
            statements.append(_finish_statement(elem, current, q, f"{report_tag}[{current.index}]"))
            current = None
            current_elem = None
            parent = elem.getparent()
            elem.clear()
            if parent is not None:
                parent.remove(elem)
    if not saw_root:
        root_tag = root_of_parsed(data) or "?"
        raise ParseError(
            f"not an ISO 20022 CAMT document: the root element is {root_tag!r}, expected "
            "Document in a urn:iso:std:iso:20022:tech:xsd:camt.05x namespace"
        )
    if not statements:
        raise ParseError(
            f"camt.{message} document holds no {report_tag} element (nothing to import)",
            element=f"Document/{_WRAPPER[message]}",
        )
    return statements


def _check_root(root: etree._Element) -> tuple[Names, str, str]:
    """(names, message, report element) for a root ``Document``; ParseError naming what is wrong."""
    # Split by hand: etree.QName refuses some names libxml2 accepts (a root named "urn:").
    tag = str(root.tag)
    ns, _, localname = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
    match = NAMESPACE.fullmatch(ns)
    if localname != "Document" or match is None:
        shown = ns or "no namespace"
        raise ParseError(
            f"unknown namespace {shown!r} on root element {localname!r}: expected an ISO 20022 "
            "camt.052/053/054 Document (urn:iso:std:iso:20022:tech:xsd:camt.05x.001.xx)",
            element=localname,
            line=where(root),
        )
    message = match[1]
    return Names(ns), message, _REPORT_ELEMENT[message]


def _is_report(elem: etree._Element, q: Names, message: str) -> bool:
    """A report element directly under the message wrapper (not a same-named element deeper)."""
    wrapper = elem.getparent()
    document = wrapper.getparent() if wrapper is not None else None
    if wrapper is None or document is None or document.getparent() is not None:
        return False
    return str(wrapper.tag) in {q(_WRAPPER[message]), q(_WRAPPER[message] + "V01")}


class CamtFormat:
    """ISO 20022 camt.052 / camt.053 / camt.054, plain or zipped."""

    name = "camt"

    def sniff(self, head: bytes, filename: str) -> bool:
        """XML whose root is in a camt.05x namespace, or a zip whose first member is one.

        A root ``Document`` with a ``BkToCstmr…`` child in some other namespace also counts, so
        that parsing can tell the user which namespace was wrong instead of "unknown format".
        """
        if is_zip(head):
            member = first_member_head(head)
            return member is not None and _sniff_xml(member)
        return _sniff_xml(head)

    def parse(self, data: bytes, filename: str) -> ParsedFile:
        """Every statement in the file (every member of a zip), in file order."""
        if is_zip(data[:4]):
            statements: list[ParsedStatement] = []
            for member, content in zip_members(data):
                if is_zip(content[:4]):
                    raise ParseError("zip archives inside zip archives are not read", file=f"{filename}!{member}")
                try:
                    statements.extend(_parse_xml(content))
                except ParseError as exc:
                    raise exc.with_file(f"{filename}!{member}") from None
            if not statements:
                raise ParseError("zip archive holds no CAMT file", file=filename)
            return ParsedFile(format=self.name, statements=tuple(statements))
        try:
            return ParsedFile(format=self.name, statements=tuple(_parse_xml(data)))
        except ParseError as exc:
            raise exc.with_file(filename) from None


def _sniff_xml(head: bytes) -> bool:
    prolog = decode_prolog(head)
    for match in _FIRST_TAG.finditer(prolog):
        name, attrs = match[1], match[2]
        prefix, _, local = name.rpartition(":")
        namespaces = {p or "": uri for p, uri in _XMLNS.findall(attrs)}
        if NAMESPACE.fullmatch(namespaces.get(prefix, "")):
            return True
        return local == "Document" and re.search(r"<([\w.-]+:)?BkToCstmr", prolog) is not None
    return False


FORMAT = CamtFormat()
