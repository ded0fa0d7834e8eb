"""ISO 20022 CAMT bank-to-customer messages: camt.053 statements, camt.052 account reports and
camt.054 debit/credit notifications, any ``.001.xx`` version, bare XML or zipped.

The three messages share one shape (``Document/BkToCstmr…/{Stmt|Rpt|Ntfctn}/Ntry``), so one
streaming reader serves them all: ``iterparse`` hands over each ``Ntry`` as soon as it is
complete, the entry becomes lines (see :mod:`camt_entries`), and the element is dropped, so
memory stays flat however long the statement. The statement header (account, balances,
period) is read when its element closes. Decisions are recorded in ``docs/formats/camt.md``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

from adapters.banks.base import ParsedFile, ParsedStatement, ParseError, StatementLine
from adapters.banks.formats.camt_entries import (
    Names,
    account_id,
    entry_lines,
    where,
)
from adapters.banks.formats.camt_fast import read_statements
from adapters.banks.formats.camt_statement import NAMESPACE, REPORT_ELEMENT, WRAPPER, finish_statement
from adapters.banks.formats.camt_zip import first_member_head, is_zip, zip_members
from adapters.banks.formats.collector import PAUSE_COLLECTOR_FROM, collector_paused
from adapters.banks.formats.xmlsafe import decode_prolog, root_of_parsed, safe_iterparse

_TAGS = ("{*}Document", "{*}Stmt", "{*}Rpt", "{*}Ntfctn", "{*}Ntry")

# Sniffing: the first start tag (after prolog, comments, DOCTYPE) and its namespace.
_FIRST_TAG = re.compile(r"<(?![?!])([^\s/>]+)([^>]*)>", re.DOTALL)
_XMLNS = re.compile(r"""xmlns(?::([\w.-]+))?\s*=\s*["']([^"']*)["']""")


@dataclass(slots=True)
class _Statement:
    """What is gathered for one Stmt/Rpt/Ntfctn while its entries stream past."""

    index: int
    lines: list[StatementLine] = field(default_factory=list)


def _parse_xml(data: bytes) -> list[ParsedStatement]:
    """All statements of one CAMT XML document: the fast reader's answer, else the streaming reader's."""
    fast = read_statements(data)
    return fast if fast is not None else read_streaming(data)


def read_streaming(data: bytes) -> list[ParsedStatement]:
    """All statements of one CAMT XML document, streamed with lxml; the reader that explains errors."""
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
            statements.append(finish_statement(elem, current.lines, q, f"{report_tag}[{current.index}]"))
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
            element=f"Document/{WRAPPER[message]}",
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
    return Names(ns), message, REPORT_ELEMENT[message]


def _is_report(elem: etree._Element, q: Names, message: str) -> bool:
    """A report element directly under the message wrapper (not a same-named element deeper)."""
    wrapper = elem.getparent()
    document = wrapper.getparent() if wrapper is not None else None
    if wrapper is None or document is None or document.getparent() is not None:
        return False
    return str(wrapper.tag) in {q(WRAPPER[message]), q(WRAPPER[message] + "V01")}


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
        with collector_paused(len(data) >= PAUSE_COLLECTOR_FROM):
            return self._parse(data, filename)

    def _parse(self, data: bytes, filename: str) -> ParsedFile:
        """:meth:`parse` while the collector is held off for a big file."""
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
