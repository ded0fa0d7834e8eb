"""The fast CAMT reader: the document's text scanned for entries, each read by a compiled shape.

Why: the streaming reader (``camt._parse_xml``) spends most of its time in Python touching lxml
elements — libxml2 builds every entry as a tree, Python walks it element by element into a
path → text map, and lxml serialises it again for ``raw``. Entries of one bank repeat a handful
of shapes, so here an entry is one ``re.match`` of its shape on the text (see
:mod:`camt_shapes`), ``raw`` is a slice of the text, and the statement header (a few elements)
is still read by lxml. The lines come from the same :func:`camt_entries.lines_of_entry`.

It answers only what it can prove it reads exactly as the streaming reader would, and returns
None for anything else; the caller then parses the document with the streaming reader, which
also reports every error (so an error always reads the same, whichever reader tried first):

* libxml2 accepts the whole document, with the same safe options (:func:`xmlsafe.is_well_formed`);
* UTF-8, LF or CRLF line ends, no ``<!`` (DOCTYPE, comments, CDATA) and no processing
  instruction but the XML declaration, no ``>`` outside tags, no entity but ``&amp;``, ``&lt;``,
  ``&gt;``, namespace declarations on the root only: then the text of an entry, in lxml's
  canonical spelling, is what ``etree.tostring`` would give;
* the plain layout ``Document/<wrapper>/<report>/Ntry``, entries one after another, nothing of
  the same name nested inside;
* no element deeper than 256 (libxml2 refuses those while building a tree, but the
  whole-document check builds none and lets depth 257 through): each part parsed on its own
  (skipped elements, report headers, the entry each shape is made from) is measured;
* source lines as libxml2 numbers them, including its rule for lines past 65,534 (it then takes
  an element's line from its first child), or the document is declined.

See "Speed" in ``docs/formats/camt.md`` for the measurements.
"""

from __future__ import annotations

import re

from lxml import etree

from adapters.banks.base import ParsedStatement, StatementLine
from adapters.banks.formats.camt_entries import (
    RAW_LIMIT_CHARS,
    Names,
    account_id,
    bounded_raw,
    fields_of,
    flatten,
    lines_of_entry,
    where,
)
from adapters.banks.formats.camt_rules import LineRule
from adapters.banks.formats.camt_shapes import ShapeBook, compile_shape
from adapters.banks.formats.camt_statement import NAMESPACE, REPORT_ELEMENT, WRAPPER, finish_statement
from adapters.banks.formats.xmlsafe import is_well_formed, safe_parser

_UTF8_BOM = b"\xef\xbb\xbf"
_DECLARATION = re.compile(rb"<\?xml[^>]*\?>")
_ENCODING = re.compile(rb"""encoding\s*=\s*["']([^"']*)["']""")
_ROOT = re.compile(r"(?:<\?xml[^>]*\?>)?\s*(<Document(\s[^>]*)?>)\s*<([A-Za-z]\w*)>")
_NTRY = re.compile(r"<Ntry[\s/>]")
# Any "&" that does not start one of the three entities a shape unescapes. One pass with a
# literal-led regex (about a sixth of the cost of counting "&" and each entity apart).
_OTHER_ENTITY = re.compile(rb"&(?!amp;|lt;|gt;)")
_DEFAULT_NAMESPACE = re.compile(r"""\sxmlns\s*=\s*["']([^"']*)["']""")
_NEXT_TAG = re.compile(r"[^<]*<(/?)([A-Za-z_][\w.-]*)([^>]*)>")
_DOCUMENT_END = re.compile(r"\s*</Document>\s*\Z")
# libxml2 keeps a line number in 16 bits: from this line on it stores this value and reports
# an element's line from its first child (see _big_line).
_LINE_LIMIT = 65535
# A text longer than this may reach libxml2 in several pieces, and the piece that creates the
# node decides its line; only shorter ones are predicted.
_SHORT_TEXT = 250
# libxml2 refuses text nodes over 10 MB without huge_tree, but only while building a tree; the
# check parse builds none, so a document with a long run of text is left to the streaming reader.
_TEXT_RUN_CHUNK = 1 << 20
# libxml2 refuses elements nested deeper than this while it builds a tree (the streaming
# reader), but the whole-document check, which builds none, lets one level more through; so
# every part the fast reader parses on its own is measured (see _check_depth).
_MAX_DEPTH = 256
# Entries of more shapes than this are read with lxml, one by one (still exact, just slower).
_MAX_SHAPES = 48
# Compiling a shape costs about a millisecond; entries no compiled shape can read (spelled other
# than lxml would write them) must not make a hostile file compile one per entry.
_MAX_SHAPE_ATTEMPTS = 2 * _MAX_SHAPES


class _Decline(Exception):
    """This document is for the streaming reader."""


def read_statements(data: bytes) -> list[ParsedStatement] | None:
    """Every statement of a CAMT document, or None when the streaming reader must read it."""
    text = _plain_text(data)
    if text is None or not is_well_formed(data):
        return None
    try:
        return _Document(text).statements()
    except Exception:  # whatever went wrong, the streaming reader decides and reports it
        return None


def _plain_text(data: bytes) -> str | None:
    """The document as text when it meets the byte-level conditions of the module docstring."""
    body = data[len(_UTF8_BOM) :] if data.startswith(_UTF8_BOM) else data
    declaration = _DECLARATION.match(body)
    if declaration is not None:
        encoding = _ENCODING.search(declaration[0])
        if encoding is not None and encoding[1].lower() not in (b"utf-8", b"utf8"):
            return None
    elif body.startswith(b"<?"):
        return None
    # A single-byte search runs at memory speed (memchr; a count is several times slower); a
    # two-byte search ("<!", "<?") is slow where "<" is frequent, so it runs only when the
    # rarer byte occurs at all. No processing instruction after the declaration.
    after_declaration = declaration.end() if declaration is not None else 0
    if (b"!" in body and b"<!" in body) or (
        body.find(b"?", after_declaration) >= 0 and body.find(b"<?", after_declaration) >= 0
    ):
        return None
    if b"&" in body and _OTHER_ENTITY.search(body) is not None:
        return None
    if body.count(b"<") != body.count(b">") or b"\x00" in body:
        return None
    root_end = body.find(b">", after_declaration)
    if body.find(b"xmlns", root_end) >= 0:
        return None
    if any(body.find(b"<", start, start + _TEXT_RUN_CHUNK) < 0 for start in range(0, len(body), _TEXT_RUN_CHUNK)):
        return None
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "\r" in text:
        text = text.replace("\r\n", "\n")
        if "\r" in text:
            return None  # a lone CR: libxml2's line count would need more care than it is worth
    return text


def _big_line(text: str, pos: int, line: int) -> int:
    """libxml2's line for an element at or past line 65,535 whose start tag ends just before ``pos``.

    It reports the line of the first child: a text node knows its own line (where its text
    ends, for a short one), an element asks its own first child, or its next sibling when it
    has none. ``line`` is the line at ``pos``.
    """
    while True:
        lt = text.find("<", pos)
        if lt < 0:
            raise _Decline
        if lt > pos:
            if lt - pos > _SHORT_TEXT:
                raise _Decline
            return line + text.count("\n", pos, lt)
        if text.startswith("</", lt):
            raise _Decline  # no child and no next sibling: libxml2 would look at the previous one
        gt = text.find(">", lt)
        line += text.count("\n", lt, gt)
        pos = gt + 1  # into the first child, or past an empty element to its next sibling


class _Document:
    """One document's scan: root, wrapper, reports, entries."""

    def __init__(self, text: str) -> None:
        self.text = text
        root = _ROOT.match(text)
        if root is None:
            raise _Decline
        ns_match = _DEFAULT_NAMESPACE.search(root[2] or "")
        namespace = NAMESPACE.fullmatch(ns_match[1]) if ns_match is not None else None
        if namespace is None:
            raise _Decline
        self.ns = namespace[0]
        self.q = Names(self.ns)
        self.report = REPORT_ELEMENT[namespace[1]]
        if root[3] not in (WRAPPER[namespace[1]], WRAPPER[namespace[1]] + "V01"):
            raise _Decline
        self.wrapper = root[3]
        self.pos = root.end()
        # What lxml writes for an entry's (and a report's) start tag: the root's namespace
        # declarations copied onto it. Asked of lxml itself, on the root's own start tag.
        probe = etree.fromstring(f"{root[1]}<Ntry/><{self.report}/></Document>".encode(), safe_parser())
        self.ntry_open = etree.tostring(probe[0], encoding="unicode")[: -len("/>")]
        self.report_open = etree.tostring(probe[1], encoding="unicode")[: -len("/>")]
        self.shapes = ShapeBook()
        self.shape_attempts = 0
        self.entry_search = (len(text) + 1, -1)  # (searched from, first <Ntry found there or -1)
        # Where the next "&" is: found once per stretch without one, not searched for per entry.
        self.next_amp = -1
        # The 1-based line of text[line_pos]; entries are read in increasing order of position.
        self.line = 1
        self.line_pos = 0

    def statements(self) -> list[ParsedStatement]:
        text = self.text
        statements: list[ParsedStatement] = []
        pos = self.pos
        while True:
            tag = _NEXT_TAG.match(text, pos)
            if tag is None:
                raise _Decline
            closing, name, rest = tag.groups()
            if closing:
                if name != self.wrapper or rest or _DOCUMENT_END.match(text, tag.end()) is None:
                    raise _Decline
                break
            if rest.endswith("/"):
                if name == self.report:
                    raise _Decline
                pos = tag.end()
                continue
            if name == self.report:
                if rest:
                    raise _Decline
                statement, pos = self.statement(tag.end(), len(statements) + 1)
                statements.append(statement)
                continue
            close = f"</{name}>"
            end = text.find(close, tag.end())
            if end < 0 or _nested(text, name, tag.end(), end):
                raise _Decline
            # Not read, but its depth must be known: parsed below a report-like root, so at one
            # level less than in the document (where it is a child of the wrapper).
            _check_depth(self.parse(text[tag.start() : end + len(close)], self.report_open), 1)
            pos = end + len(close)
        if not statements:
            raise _Decline
        return statements

    def statement(self, start: int, index: int) -> tuple[ParsedStatement, int]:
        """One report element, its content starting at ``text[start]``; where it ends.

        Its end tag is looked for after its entries, not from its start: a report spans
        megabytes, and so does a search through it (for the end tag, and for a same-named
        element inside, which would make the end ambiguous). Inside entries such an element is
        found on the tree each shape is made from (see :meth:`entry`); the header and the
        trailer are searched here.
        """
        text = self.text
        close = f"</{self.report}>"
        element = f"{self.report}[{index}]"
        first = self.next_entry(start)
        lines: list[StatementLine] = []
        end = text.find(close, start, first) if first >= 0 else text.find(close, start)
        if end >= 0:  # no entries (the next one found is another report's)
            if _nested(text, self.report, start, end):
                raise _Decline
            header, trailer = text[start:end], ""
        else:
            header = text[start:first]
            # The first entry must be a child of the report, not inside a header element.
            if header.count("<") - 2 * header.count("</") - header.count("/>") != 0:
                raise _Decline
            if _nested(text, self.report, start, first):
                raise _Decline
            own_account = account_id(self.parse(header, self.report_open).find(self.q("Acct")), self.q)
            pos = first
            number = 0
            while True:
                number += 1
                pos = self.entry(pos, f"{element}/Ntry[{number}]", own_account, lines)
                following = text.find("<", pos)
                if following < 0 or not text.startswith("<Ntry>", following):
                    break
                pos = following
            end = text.find(close, pos)
            if end < 0 or _nested(text, self.report, pos, end):
                raise _Decline
            trailer = text[pos:end]
            if _NTRY.search(trailer):
                raise _Decline
        report = self.parse(header + trailer, self.report_open)
        _check_depth(report, 2)  # the report is at depth 3 in the document
        return finish_statement(report, lines, self.q, element), end + len(close)

    def next_entry(self, start: int) -> int:
        """Where the first ``<Ntry`` start tag at or after ``start`` is (-1: none).

        Remembered, so reports without entries do not each search the rest of the document.
        """
        searched_from, found = self.entry_search
        if start < searched_from or (0 <= found < start):
            match = _NTRY.search(self.text, start)
            found = -1 if match is None else match.start()
            self.entry_search = (start, found)
        return found

    def parse(self, content: str, open_tag: str) -> etree._Element:
        """An element made of ``open_tag``, ``content`` and its end tag, parsed safely."""
        name = open_tag[1:].split(" ", 1)[0]
        return etree.fromstring(f"{open_tag}>{content}</{name}>".encode(), safe_parser())

    def entry(self, pos: int, element: str, own_account: str | None, out: list[StatementLine]) -> int:
        """Read the entry at ``text[pos]``, add its lines to ``out``; where it ends."""
        text = self.text
        if not text.startswith("<Ntry>", pos):
            raise _Decline
        line = self.line = self.line + text.count("\n", self.line_pos, pos)  # the line of text[pos]
        self.line_pos = pos
        shapes = self.shapes
        found = shapes.find(text, pos)
        if found is None:
            end = text.find("</Ntry>", pos)
            if end < 0 or _NTRY.search(text, pos + 1, end):
                raise _Decline
            tree = self.parse(text[pos + len("<Ntry>") : end], self.ntry_open)
            # Entries are at depth 4; one a shape reads has the depth of the tree it was made from,
            # and the same elements: none may be named like the report (its end would be ambiguous).
            _check_depth(tree, 3)
            if next(tree.iter(self.q(self.report)), None) is not None:
                raise _Decline
            for tidy in (True, False):
                if len(shapes) >= _MAX_SHAPES or self.shape_attempts >= _MAX_SHAPE_ATTEMPTS:
                    break
                self.shape_attempts += 1
                new_shape = compile_shape(tree, self.ns, tidy=tidy)
                match = None if new_shape is None else new_shape.match(text, pos)
                if new_shape is not None and match is not None:
                    shapes.add(new_shape)
                    found = new_shape, match, new_shape.numbers
                    break
            if found is None:
                return self.entry_by_tree(tree, pos, end + len("</Ntry>"), line, element, own_account, out)
        shape, match, numbers = found
        end = match.end()
        if self.next_amp < pos:  # then the first "&" at or after the entry, len(text) for none
            amp = text.find("&", pos)
            self.next_amp = amp if amp >= 0 else len(text)
        groups = shape.groups(match, numbers, entities=self.next_amp < end)
        line_no = line if line < _LINE_LIMIT else _big_line(text, pos + len("<Ntry>"), line)
        raw = self.ntry_open + text[pos + len("<Ntry") : end]
        if len(raw) > RAW_LIMIT_CHARS:
            raw = bounded_raw(raw)
        rule = shape.rule
        if isinstance(rule, LineRule):
            # At most one transaction: its source line is never asked for (only a split batch's are).
            out.append(rule.line(groups, raw, line_no, element, own_account))
            return end
        tx_lines: list[int | None] = []
        for tx_group in shape.tx_groups:
            offset = match.start(numbers[tx_group - 1])
            tx_line = line + text.count("\n", pos, offset)
            if tx_line >= _LINE_LIMIT:
                tag_end = text.find(">", offset) + 1
                tx_line = _big_line(text, tag_end, tx_line)
            tx_lines.append(tx_line)
        if rule is not None:
            out.extend(rule.lines(groups, tx_lines, raw, line_no, element, own_account))
            return end
        fields = shape.fields(groups)
        out.extend(
            lines_of_entry(fields.entry, fields.txs, tx_lines, raw, line_no, element=element, own_account=own_account)
        )
        return end

    def entry_by_tree(
        self,
        tree: etree._Element,
        pos: int,
        end: int,
        line: int,
        element: str,
        own_account: str | None,
        out: list[StatementLine],
    ) -> int:
        """An entry no shape reads: lxml's tree of its text, read like the streaming reader does."""
        if line + self.text.count("\n", pos, end) >= _LINE_LIMIT:
            raise _Decline  # its lines would need libxml2's rule for long files, predicted for shapes only
        offset = line - 1
        strip = len(self.ns) + 2
        tx_elems: list[etree._Element] = []
        entry = fields_of(flatten(tree, strip, tx_elems))
        tx_lines = [_shifted(where(tx), offset) for tx in tx_elems]
        out.extend(
            lines_of_entry(
                entry,
                [fields_of(flatten(tx, strip)) for tx in tx_elems],
                tx_lines,
                bounded_raw(etree.tostring(tree, encoding="unicode", with_tail=False)),
                _shifted(where(tree), offset),
                element=element,
                own_account=own_account,
            )
        )
        return end


def _check_depth(root: etree._Element, offset: int) -> None:
    """Decline when ``root``'s tree, ``offset`` levels below the document's root, is too deep."""
    deepest = 0
    stack = [(root, offset + 1)]
    while stack:
        elem, depth = stack.pop()
        if depth > deepest:
            deepest = depth
        stack.extend((child, depth + 1) for child in elem)
    if deepest > _MAX_DEPTH:
        raise _Decline


def _nested(text: str, name: str, start: int, end: int) -> bool:
    """Whether an element named ``name`` starts in ``text[start:end]`` (then ends are ambiguous).

    ``str.find`` of the tag's start, then a look at the character after it: a report spans
    megabytes, and this runs at about twice the speed of a regex search over it.
    """
    opening = "<" + name
    found = text.find(opening, start, end)
    while found >= 0:
        after = found + len(opening)
        # The regex this replaces, ``<name[\s/>]``, with its ``\s`` (str.isspace) and its end.
        if after < end and (text[after] in "/>" or text[after].isspace()):
            return True
        found = text.find(opening, after, end)
    return False


def _shifted(line: int | None, offset: int) -> int | None:
    return None if line is None else line + offset
