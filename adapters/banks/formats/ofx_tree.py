"""The OFX tag stream as a small tree, in one linear pass (OFX 1.x SGML and 2.x XML alike).

Why our own reader: ofxparse closes unclosed SGML tags with a regex rewrite and then hands the
text to BeautifulSoup, which is fine for a month of transactions and far too slow for years of
them. OFX needs much less than a general SGML/XML parser:

* aggregates (``<STMTTRN>``...``</STMTTRN>``) always have end tags; elements (``<TRNAMT>-5.00``)
  may or may not, and their value runs to the next ``<``;
* an element whose value is blank is an aggregate when it is a known aggregate name or its name
  is closed somewhere in the file, and an empty element otherwise;
* an end tag may implicitly close open *elements*, never an open *aggregate* with content: an
  unclosed aggregate means the structure is broken, and we refuse rather than guess.

Elements are stored as a ``{NAME: value}`` dict on their aggregate (first occurrence wins, as in
ofxparse), aggregates as :class:`Aggregate` nodes. Safety: only the five XML entities and
numeric character references are expanded; a DOCTYPE (where DTDs and entity declarations would
live) is refused; nesting deeper than :data:`MAX_DEPTH` is refused.

Speed: a flat ``<STMTTRN>`` block (elements with values only; see ``ofx_flat``) is matched whole
by the first alternative of the token pattern and becomes one :class:`FlatTransaction` node
holding its captured values, so the loop below runs once per transaction rather than once per
tag. Only blocks whose reading cannot differ from the rules above are taken that way.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from adapters.banks.base import ParseError
from adapters.banks.formats.ofx_flat import (
    CAPTURED_VALUES,
    RAW,
    FlatTransaction,
    check_layout,
    flat_stmttrn_pattern,
)

MAX_DEPTH = 48
MAX_NAME_LENGTH = 64

# One token: "<", optional "/", the tag text, ">", then the text up to the next "<".
_TOKEN = re.compile(r"<(/?)([^<>]*)>([^<]*)")
# A '<' that starts no tag: the next '<' or the end comes before any '>'.
_BAD_LT = re.compile(r"<[^<>]*+(?:<|\Z)")
_END_TAG = re.compile(r"</([^<>]*)>")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.]*")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.DOTALL)
_REFERENCE = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|amp|lt|gt|quot|apos);")
_PREDEFINED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
# CDATA content is kept as text: its markup characters are parked on private-use code points of
# the same length (so offsets stay true) and restored when the value is read.
_CDATA_PARK = str.maketrans({"<": "\ue000", ">": "\ue001", "&": "\ue002"})
_CDATA_UNPARK = str.maketrans({"\ue000": "<", "\ue001": ">", "\ue002": "&"})

# Aggregates of the OFX 1.6 / 2.x specifications that a statement file can carry. A name not
# listed here is still read as an aggregate when its end tag appears in the file.
KNOWN_AGGREGATES = frozenset(
    [
        "OFX",
        "SIGNONMSGSRSV1",
        "SONRS",
        "STATUS",
        "FI",
        "SIGNUPMSGSRSV1",
        "ACCTINFOTRNRS",
        "ACCTINFORS",
        "ACCTINFO",
        "BANKACCTINFO",
        "CCACCTINFO",
        "INVACCTINFO",
        "BPACCTINFO",
        "BANKMSGSRSV1",
        "STMTTRNRS",
        "STMTRS",
        "BANKACCTFROM",
        "BANKACCTTO",
        "BANKTRANLIST",
        "STMTTRN",
        "PAYEE",
        "CURRENCY",
        "ORIGCURRENCY",
        "IMAGEDATA",
        "LEDGERBAL",
        "AVAILBAL",
        "BALLIST",
        "BAL",
        "CREDITCARDMSGSRSV1",
        "CCSTMTTRNRS",
        "CCSTMTRS",
        "CCACCTFROM",
        "CCACCTTO",
        "STMTENDTRNRS",
        "STMTENDRS",
        "CCSTMTENDTRNRS",
        "CCSTMTENDRS",
        "CLOSING",
        "INVSTMTMSGSRSV1",
        "INVSTMTTRNRS",
        "INVSTMTRS",
        "INVACCTFROM",
        "INVTRANLIST",
        "INVBANKTRAN",
        "INVPOSLIST",
        "INVBAL",
        "INVOOLIST",
        "INV401K",
        "INV401KBAL",
        "SECLISTMSGSRSV1",
        "SECLIST",
        "SECID",
        "INVTRAN",
        "INVBUY",
        "INVSELL",
        "BUYMF",
        "SELLMF",
        "BUYSTOCK",
        "SELLSTOCK",
        "BUYDEBT",
        "SELLDEBT",
        "BUYOPT",
        "SELLOPT",
        "BUYOTHER",
        "SELLOTHER",
        "INCOME",
        "REINVEST",
        "TRANSFER",
        "SPLIT",
        "INVEXPENSE",
        "MARGININTEREST",
        "RETOFCAP",
        "JRNLFUND",
        "JRNLSEC",
        "CLOSUREOPT",
        "POSMF",
        "POSSTOCK",
        "POSDEBT",
        "POSOPT",
        "POSOTHER",
        "INVPOS",
        "MFINFO",
        "STOCKINFO",
        "DEBTINFO",
        "OPTINFO",
        "OTHERINFO",
        "SECINFO",
    ]
)


# The tokenizer's pattern with whole flat STMTTRN blocks as one token (see ofx_flat); the tag
# token's three groups come last in every findall tuple.
_TOKEN_OR_FLAT = re.compile(f"{flat_stmttrn_pattern(KNOWN_AGGREGATES)}|{_TOKEN.pattern}")
_FLAT_TAIL = check_layout(_TOKEN_OR_FLAT)


@dataclass(slots=True, eq=False)
class Aggregate:
    """An OFX aggregate: its elements by name, its child aggregates, and where it sits.

    A flat STMTTRN child is a :class:`FlatTransaction` (its values captured, no elements dict).
    """

    name: str
    line: int
    start: int
    end: int = -1
    elements: dict[str, str] = field(default_factory=dict)
    children: list[Node] = field(default_factory=list)

    def child(self, name: str) -> Aggregate | None:
        """The first direct child aggregate called ``name``."""
        for node in self.children:
            if node.name == name and isinstance(node, Aggregate):
                return node
        return None

    def first(self, name: str) -> Aggregate | None:
        """The direct child ``name``, else the first descendant ``name`` (where an omitted end
        tag left it, e.g. LEDGERBAL inside an unclosed BANKTRANLIST)."""
        found = self.child(name) or next(self.iter(frozenset({name})), None)
        return found if isinstance(found, Aggregate) else None

    def iter(self, names: frozenset[str]) -> Iterator[Node]:
        """Descendants with one of ``names``, in document order, not looking inside a match."""
        pending: list[Node] = list(reversed(self.children))
        while pending:
            node = pending.pop()
            if node.name in names:
                yield node
            else:
                pending.extend(reversed(node.children))


Node = Aggregate | FlatTransaction


def parse_tree(text: str, root_start: int, *, flat_transactions: bool = True) -> Aggregate:
    """The ``<OFX>`` aggregate of ``text`` (which starts at ``root_start``); ParseError if broken.

    ``flat_transactions=False`` reads flat STMTTRN blocks tag by tag too, as aggregates: the
    same result, slower; it exists so tests can hold the two readings to each other.
    """
    has_cdata = False
    if "<!" in text:
        has_cdata = "<![CDATA[" in text
        text = _neutralise_markup_declarations(text)
    # Names closed anywhere decide whether a blank-valued tag opens an aggregate (see module doc).
    closed_names = {name.strip().upper() for name in set(_END_TAG.findall(text, root_start))}
    # CDATA values need unparking, which only the tag-by-tag reading does; without </STMTTRN>
    # no block can be flat, and trying would only slow the tag-by-tag reading down.
    flat = flat_transactions and not has_cdata and "STMTTRN" in closed_names
    token = _TOKEN_OR_FLAT if flat else _TOKEN
    return _Builder(text, root_start, closed_names, has_cdata).build(token)


def read_value(raw: str, has_cdata: bool = False) -> str:
    """An element's text as written: references expanded (five entities + numeric), trimmed."""
    value = raw.strip()
    if "&" in value:
        value = _REFERENCE.sub(_expand_reference, value)
    if has_cdata:
        value = value.translate(_CDATA_UNPARK)
    return value


def _expand_flat_values(token: tuple[str, ...]) -> tuple[str, ...]:
    """A flat block's token with references expanded in its values (never in the raw block)."""
    values = tuple(read_value(value) if "&" in value else value for value in token[CAPTURED_VALUES])
    return (*token[: CAPTURED_VALUES.start], *values, *token[CAPTURED_VALUES.stop :])


def _expand_reference(match: re.Match[str]) -> str:
    ref = match.group(1)
    if ref[0] != "#":
        return _PREDEFINED[ref]
    code = int(ref[2:], 16) if ref[1] in "xX" else int(ref[1:])
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return "\ufffd"
    return chr(code)


def _neutralise_markup_declarations(text: str) -> str:
    """Blank out comments, keep CDATA as text, refuse DOCTYPE/ENTITY; offsets and lines unchanged."""
    upper_probe = text.upper()
    for forbidden in ("<!DOCTYPE", "<!ENTITY"):
        at = upper_probe.find(forbidden)
        if at >= 0:
            line = text.count("\n", 0, at) + 1
            raise ParseError("DTD and entity declarations are not allowed in OFX", line=line)
    text = _COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)
    return _CDATA.sub(lambda m: " " * 9 + m.group(1).translate(_CDATA_PARK) + " " * 3, text)


class _Builder:
    """One pass over the tokens with an explicit stack; see the module docstring for the rules."""

    def __init__(self, text: str, root_start: int, closed_names: set[str], has_cdata: bool) -> None:
        self.text = text
        self.root_start = root_start
        self.closed_names = closed_names
        self.has_cdata = has_cdata
        self.names: dict[str, str | None] = {}

    def error(self, reason: str, offset: int, element: str | None = None) -> ParseError:
        return ParseError(reason, line=self.text.count("\n", 0, offset) + 1, element=element)

    def normalise(self, raw: str, offset: int) -> str:
        name = self.names.get(raw)
        if name is None:
            stripped = raw.strip()
            if len(stripped) > MAX_NAME_LENGTH or not _NAME.fullmatch(stripped):
                raise self.error(f"malformed tag <{raw[:40]}>", offset)
            name = self.names[raw] = stripped.upper()
        return name

    def build(self, token: re.Pattern[str]) -> Aggregate:
        text = self.text
        # Offsets count from the first tag: an "<OFX>" found inside a comment is blank by now.
        pos = text.find("<", self.root_start)
        if pos < 0:
            pos = len(text)
        line, line_pos = 1, 0
        root: Aggregate | None = None
        stack: list[Aggregate] = []
        open_element: str | None = None  # an element that an explicit end tag may still close
        flat_parent: Aggregate | None = None  # the stack top last checked to take flat STMTTRNs
        add_flat = list[FlatTransaction]().append  # flat_parent.children.append, once it is known
        tag_by_tag = token is _TOKEN
        closed_names = self.closed_names
        names = self.names
        # findall would silently skip a '<' that starts no valid tag, so look for one first.
        bad = _BAD_LT.search(text, self.root_start)
        if bad is not None:
            raise self.error("malformed markup (a '<' without its '>')", bad.start())
        tokens = token.findall(text, self.root_start)
        has_cdata = self.has_cdata
        new_flat = tuple.__new__  # FlatTransaction(...) would run a Python-level __new__ per transaction
        for match in tokens:
            start = pos
            if tag_by_tag:
                slash, raw, tail = match
            else:
                flat_raw = match[RAW]
                if flat_raw:  # a whole flat STMTTRN (ofx_flat): one node, no tag-by-tag work
                    pos += len(flat_raw) + len(match[_FLAT_TAIL])
                    open_element = None
                    if not stack or stack[-1] is not flat_parent:
                        flat_parent = self.flat_parent(stack, start, root is None)
                        add_flat = flat_parent.children.append
                    line += text.count("\n", line_pos, start)
                    line_pos = start
                    if "&" in flat_raw and _REFERENCE.search(flat_raw):  # not for a bare "J SMITH & SONS"
                        match = _expand_flat_values(match)
                    add_flat(new_flat(FlatTransaction, (start, line, match)))
                    continue
                slash, raw, tail = match[-3:]
            pos += 2 + len(slash) + len(raw) + len(tail)
            if not slash and tail and stack:
                # Hot path, most tokens: an element with a value (``<TRNAMT>-5.00``) whose name
                # was already seen valid. Everything else takes the general path below.
                name = names.get(raw)
                if name is not None and name not in KNOWN_AGGREGATES and not tail.isspace():
                    value = tail.strip()
                    if has_cdata or "&" in value:
                        value = read_value(value, has_cdata)
                    elements = stack[-1].elements
                    if name not in elements:
                        elements[name] = value
                    open_element = name
                    continue
            if slash:
                name = names.get(raw) or self.normalise(raw, start)
                if name == open_element:
                    open_element = None
                else:
                    open_element = None
                    if root is not None and not stack:
                        raise self.error(f"</{name}> after the end of <OFX>", start)
                    self.close(stack, name, start)
                if tail and not tail.isspace():
                    raise self.error(f"text {tail.strip()[:40]!r} outside any element", start)
                continue
            open_element = None
            first = raw[:1]
            if first == "?":  # a processing instruction inside the body says nothing we use
                if tail and not tail.isspace():
                    raise self.error(f"text {tail.strip()[:40]!r} outside any element", start)
                continue
            if root is not None and not stack:
                raise self.error("content after the end of <OFX>", start)
            if raw.endswith("/"):  # XML empty-element tag
                name = names.get(raw[:-1]) or self.normalise(raw[:-1], start)
                if not stack:
                    raise self.error(f"<{name}/> outside <OFX>", start)
                stack[-1].elements.setdefault(name, "")
                if tail and not tail.isspace():
                    raise self.error(f"text {tail.strip()[:40]!r} after <{name}/>", start)
                continue
            name = names.get(raw) or self.normalise(raw, start)
            if tail and not tail.isspace():
                if name in KNOWN_AGGREGATES:
                    raise self.error(f"aggregate <{name}> holds text {tail.strip()[:40]!r}", start)
                if not stack:
                    raise self.error(f"<{name}> outside <OFX>", start)
                stack[-1].elements.setdefault(name, read_value(tail, self.has_cdata))
                open_element = name
                continue
            if name in KNOWN_AGGREGATES or name in closed_names:
                for open_node in stack:
                    if open_node.name == name:
                        # No OFX aggregate contains itself: <STMTTRN>...<STMTTRN> without
                        # </STMTTRN> means the first one ended (else the second would hide in it).
                        self.close(stack, name, start, omitted=True)
                        if not stack:
                            raise self.error("a second <OFX> root", start)
                        break
                line += text.count("\n", line_pos, start)
                line_pos = start
                node = Aggregate(name, line, start)
                if stack:
                    stack[-1].children.append(node)
                elif root is None:
                    if name != "OFX":
                        raise self.error(f"expected <OFX> as the root, found <{name}>", start)
                    root = node
                if len(stack) >= MAX_DEPTH:
                    raise self.error(f"aggregates nested deeper than {MAX_DEPTH}", start)
                stack.append(node)
            else:
                if not stack:
                    raise self.error(f"<{name}> outside <OFX>", start)
                stack[-1].elements.setdefault(name, "")
                open_element = name
        if root is None:
            raise ParseError("no <OFX> root element")
        if stack:
            raise self.error(f"file ends inside <{stack[-1].name}> (truncated?)", len(text), stack[-1].name)
        return root

    def flat_parent(self, stack: list[Aggregate], offset: int, before_root: bool) -> Aggregate:
        """The aggregate a flat STMTTRN at ``offset`` goes into, applying the rules of an opening
        ``<STMTTRN>`` tag: refused outside the root, refused too deep, ends an open STMTTRN."""
        if not stack:
            if before_root:  # the <OFX> that decoding found was inside a comment
                raise self.error("expected <OFX> as the root, found <STMTTRN>", offset)
            raise self.error("content after the end of <OFX>", offset)
        if any(node.name == "STMTTRN" for node in stack):
            self.close(stack, "STMTTRN", offset, omitted=True)  # never empties it: <OFX> is below
        if len(stack) >= MAX_DEPTH:
            raise self.error(f"aggregates nested deeper than {MAX_DEPTH}", offset)
        return stack[-1]

    def close(self, stack: list[Aggregate], name: str, offset: int, *, omitted: bool = False) -> None:
        """Handle ``</name>`` at ``offset`` (or, with ``omitted``, its omission before ``offset``).

        Aggregates above the one it names lose their end tag by omission (SGML allows it and
        banks do it, e.g. an unclosed ``<BANKTRANLIST>``); they end where this tag starts. An end
        tag of an element that is not open (``<A>1<B>2</B></A>`` written by a pretty-printer) is
        redundant and ignored. An end tag that matches nothing open is a broken structure.
        """
        for depth in range(len(stack) - 1, -1, -1):
            if stack[depth].name == name:
                break
        else:
            if stack and name in stack[-1].elements:
                return
            raise self.error(f"</{name}> closes nothing that is open", offset, name)
        end = offset if omitted else self.text.find(">", offset) + 1
        while len(stack) > depth:
            node = stack.pop()
            node.end = end if len(stack) == depth else offset
            if not node.children and not node.elements and node.name not in KNOWN_AGGREGATES and stack:
                # <MEMO></MEMO>: an empty element written XML-style, not an aggregate. It is
                # its parent's last child (nothing is added to a parent while a child is open).
                stack[-1].children.pop()
                stack[-1].elements.setdefault(node.name, "")
