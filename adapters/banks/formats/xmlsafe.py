"""Safe, streaming XML loading shared by the XML statement formats.

Bank files come from outside and are parsed on a server, so the parser must never fetch a URL,
read a local file through an external entity, expand an entity bomb, or build a tree without
bound. Statement formats never need a DTD, so the simplest sound rule is to refuse any DOCTYPE
outright (checked on the raw prolog *and* on what libxml2 reports) and to parse with every
loading feature off. lxml >= 6.1 is required: older iterparse resolved entities regardless of
``resolve_entities`` (CVE-2026-41066).
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Iterator, Sequence
from typing import TypedDict, cast

from lxml import etree

from adapters.banks.base import ParseError

# How much of the file start is scanned for a DOCTYPE before libxml2 sees the bytes. A prolog
# longer than this is itself suspicious; libxml2's own report (docinfo) is the second net.
_PROLOG_SCAN_BYTES = 64 * 1024
_DOCTYPE = re.compile(r"<!\s*DOCTYPE", re.IGNORECASE)
_ENTITY = re.compile(r"<!\s*ENTITY", re.IGNORECASE)

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def decode_prolog(head: bytes) -> str:
    """The start of an XML document as text, good enough to look at markup (not at content).

    UTF-16/32 are recognised by their BOM or by the NUL bytes around ``<``; everything else
    is read as Latin-1, which maps every byte and keeps ASCII markup of any ASCII-compatible
    encoding (UTF-8, Windows-1251, ISO-8859-x) readable.
    """
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return head[len(bom) :].decode(codec, errors="replace")
    if head.startswith(b"<\x00\x00\x00"):
        return head.decode("utf-32-le", errors="replace")
    if head.startswith(b"\x00\x00\x00<"):
        return head.decode("utf-32-be", errors="replace")
    if head.startswith(b"<\x00"):
        return head.decode("utf-16-le", errors="replace")
    if head.startswith(b"\x00<"):
        return head.decode("utf-16-be", errors="replace")
    return head.decode("latin-1")


def refuse_doctype(data: bytes) -> None:
    """Raise ParseError when the document declares a DOCTYPE or entities (before parsing it)."""
    prolog = decode_prolog(data[:_PROLOG_SCAN_BYTES])
    if _DOCTYPE.search(prolog) or _ENTITY.search(prolog):
        raise ParseError(
            "XML with a DOCTYPE or entity declarations is refused "
            "(statement files never need one; it is how entity bombs and XXE attacks arrive)"
        )


class SafeParserOptions(TypedDict):
    resolve_entities: bool
    no_network: bool
    load_dtd: bool
    dtd_validation: bool
    huge_tree: bool
    remove_comments: bool
    remove_pis: bool


# How every statement XML is read: entities never resolved, no DTD loaded, no network, libxml2's
# size limits on (huge_tree=False), comments and processing instructions dropped. One place, so a
# reader added later cannot forget one of them.
SAFE_PARSER_OPTIONS: SafeParserOptions = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}


def safe_parser() -> etree.XMLParser:
    """A parser with :data:`SAFE_PARSER_OPTIONS`, for small fragments read whole."""
    return etree.XMLParser(**SAFE_PARSER_OPTIONS)


def safe_iterparse(
    data: bytes, *, tags: Sequence[str], events: Sequence[str] = ("start", "end")
) -> Iterator[tuple[str, etree._Element]]:
    """Stream ``(event, element)`` pairs for ``tags`` (``{*}Name`` wildcards allowed).

    Refuses DOCTYPEs, never resolves entities or touches the network, keeps libxml2's size
    limits on (``huge_tree=False``), and turns every libxml2 complaint into a ParseError with
    the line it reports. The caller clears what it has consumed.
    """
    refuse_doctype(data)
    context = etree.iterparse(io.BytesIO(data), events=tuple(events), tag=list(tags), **SAFE_PARSER_OPTIONS)
    checked = False
    try:
        for event, elem in context:
            if not checked:
                checked = True
                docinfo = elem.getroottree().docinfo
                if docinfo.doctype or docinfo.internalDTD is not None:
                    raise ParseError("XML with a DOCTYPE is refused (statement files never need one)")
            yield event, elem
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if isinstance(exc.lineno, int) and exc.lineno > 0 else None
        raise ParseError(f"malformed XML: {exc.msg}", line=line) from None


class _Discard:
    """A parser target that keeps nothing: libxml2 checks the document without building a tree."""

    def close(self) -> None:
        return None


def is_well_formed(data: bytes) -> bool:
    """Whether libxml2, with the options :func:`safe_iterparse` uses, accepts the whole document.

    A fast reader that scans the text itself asks this first, and leaves every document libxml2
    refuses (and every DOCTYPE, which it must check itself) to the streaming reader, which
    reports the error. No tree is built and no Python runs per element, so it costs a fraction
    of a parse.
    """
    parser = etree.XMLParser(
        # Only close(): lxml then leaves every SAX event in C (a full ParserTarget would call Python).
        target=cast("etree.ParserTarget", _Discard()),
        **SAFE_PARSER_OPTIONS,
    )
    try:
        etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        return False
    return True


def root_of_parsed(data: bytes) -> str | None:
    """The root element's tag (``{ns}local``) when nothing else was reported, for error messages.

    Only called after :func:`safe_iterparse` accepted the document, so it is safe to re-read.
    """
    try:
        for _event, elem in etree.iterparse(
            io.BytesIO(data),
            events=("start",),
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
        ):
            return str(elem.tag)
    except etree.XMLSyntaxError:
        return None
    return None
