"""The fast 1CClientBankExchange reader: documents read a megabyte at a time, one regex match each.

Why: the careful reader (``onec_sections.read_careful``) rewrites CRLF in the whole file,
decodes the whole file and splits it into lines, and an earlier fast reader still made whole-
file passes to count lines; for a 139 MB statement those passes alone took a third of the
parse, and the two whole-file copies were the largest allocations of all. Here the header (a
few dozen lines) goes through the careful reader's own code; the documents are decoded in
pieces of about a megabyte (see :func:`_chunks`) and each is read with one ``re.match`` of a
template compiled for its key sequence (see :func:`_template`), ``raw`` being a slice.

It answers only what it can prove the careful reader would answer, and returns None otherwise
(the caller then runs the careful reader, which also reports every error, so an error always
reads the same, whichever reader tried first):

* no NUL byte, at least one LF (a file of bare CRs is the careful reader's), and the pieces it
  decodes cover the whole file, so "every piece decodes as UTF-8" is "the file is UTF-8";
* the header up to the first ``СекцияДокумент`` line reads without error (with a ``КонецФайла``
  put where the documents begin), documents follow back to back with only blank lines between,
  then ``КонецФайла`` and blank lines;
* each document either matches a template exactly (every line ``key=value`` with the template's
  keys, in order, no blank at a value's edge, then ``КонецДокумента``), or is read by the careful
  reader's ``read_section`` and ends exactly at its closing line.

See "Performance" in ``docs/formats/onec.md`` for measurements.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from adapters.banks.base import ParseError
from adapters.banks.formats.onec_fields import DOCUMENT_KEYS, document_values
from adapters.banks.formats.onec_sections import (
    BLANK,
    DOCUMENT_END,
    DOCUMENT_START,
    ENCODING_WINDOW,
    FILE_END,
    MAGIC,
    UTF8_BOM,
    Document,
    ExchangeFile,
    eight_bit_encoding,
    is_tidy,
    read_lines,
    read_section,
)

# Bytes decoded at a time (see _chunks).
_CHUNK = 1 << 20
# Enough of the file to tell UTF-8 from an 8-bit code page: Cyrillic header keys come first.
_SNIFF = 65536
# A key sequence seen twice gets a template; a handful covers an exporter's document kinds, and
# the cap keeps a hostile file (every document shaped differently) from compiling without end.
_MAX_TEMPLATES = 8
# Real documents have 20–70 fields; a template is not worth compiling for a freak one.
_MAX_TEMPLATE_FIELDS = 200
# A value as the careful reader keeps it: no blank at either edge (it strips them), anything but
# a line end between. Lookarounds and a possessive run (no backtracking) cost ≈0.8 µs per
# 55-line document; nested optional groups cost 4 µs.
_VALUE = "((?![ \\t\\r\\x1a\\x0c])[^\\n]*+(?<![ \\t\\r\\x1a\\x0c]))"


@dataclass(frozen=True, slots=True)
class _Template:
    """A compiled reader for documents whose lines are exactly ``keys``, in order.

    Only the values Sverka reads are captured; ``pick`` puts them in ``DOCUMENT_KEYS`` order.
    (``match.groups()`` then an ``itemgetter`` is faster than ``match.group(*numbers)``, which
    converts each number on every call.)
    """

    pattern: re.Pattern[str]
    pick: Callable[[tuple[str | Any, ...]], tuple[str, ...]]
    fields: int


def _template(keys: tuple[str, ...]) -> _Template:
    # Each line is the key, "=", then the value up to the line end (a later "=" is part of the
    # value, as for the careful reader); the closing line and its LF end the match. A key is
    # captured on its last line (a repeated key's last value is the one read, as in a dict) and
    # only when it is one of DOCUMENT_KEYS; the final empty group is what an absent key reads as.
    last = {key: index for index, key in enumerate(keys)}
    wanted = set(DOCUMENT_KEYS)
    parts = []
    group_of: dict[str, int] = {}
    for index, key in enumerate(keys):
        value = _VALUE
        if key in wanted and last[key] == index:
            group_of[key] = len(group_of) + 1
        else:
            value = "(?:" + value[1:]  # the same value, not captured
        parts.append(f"{re.escape(key)}={value}\n")
    pattern = re.compile("".join(parts) + f"{DOCUMENT_END}\n()")
    absent = len(group_of)  # the final group, as an index into match.groups()
    pick = itemgetter(*(group_of[key] - 1 if key in group_of else absent for key in DOCUMENT_KEYS))
    return _Template(pattern, pick, len(keys))


def read_fast(data: bytes) -> ExchangeFile | None:
    """The file read document by document, or None when the careful reader must decide."""
    if b"\x00" in data or b"\n" not in data:
        return None
    begin, encoding = _encoding(data)
    area = data.find(f"\n{DOCUMENT_START}".encode(encoding), begin) + 1
    if area <= 0:
        return None
    crlf = b"\r" in data
    try:
        head_text = _text(data[begin:area], encoding, crlf)
    except UnicodeDecodeError:
        return None
    head = head_text.split("\n")
    if head[0].strip(BLANK + "\ufeff") != MAGIC:
        return None
    head[-1] = FILE_END  # a sentinel: the careful reader stops there, having read the whole head
    result = ExchangeFile(encoding=encoding)
    try:
        read_lines(result, head, tidy=is_tidy(head_text))
    except ParseError:
        return None
    reader = _DocumentReader(result.documents, line=len(head) - 1)
    for start, end in _chunks(data, area, encoding):
        try:
            text = _text(data[start:end], encoding, crlf)
        except UnicodeDecodeError:
            return None
        stop = reader.read(text)
        if stop is None:
            return None
        if end < len(data):
            if stop != len(text):
                return None  # something other than documents before the last chunk
            continue
        tail = text[stop:].split("\n")
        if tail[0].strip(BLANK) != FILE_END or any(line.strip(BLANK) for line in tail[1:]):
            return None
    return result


def _chunks(data: bytes, start: int, encoding: str) -> Iterator[tuple[int, int]]:
    """``data[start:]`` in pieces of about ``_CHUNK`` bytes, each ending with a closing line.

    Why: decoding the whole file at once allocated two copies of it (CRLF rewritten, then text
    at two bytes a character), and the kernel zero-filled every page of them on first touch:
    a fifth of the parse's CPU time went to page faults. Pieces of a megabyte are reused by
    the allocator and stay in cache from decoding to matching. A piece ends after a line that
    is exactly ``КонецДокумента``, so no document is cut (when one is anyway, the document
    reader finds no closing line inside its piece and the file is declined).
    """
    closing = f"\n{DOCUMENT_END}".encode(encoding)
    after = len(closing)
    find, size = data.find, len(data)
    while start < size:
        cut = find(closing, start + _CHUNK)
        while cut >= 0:
            line_end = cut + after + (data[cut + after : cut + after + 1] == b"\r")
            if data[line_end : line_end + 1] == b"\n":
                break
            cut = find(closing, cut + 1)
        end = size if cut < 0 else line_end + 1
        yield start, end
        start = end


def _text(piece: bytes, encoding: str, crlf: bool) -> str:
    # The careful reader rewrites CRLF over the whole file; a piece that starts at a line start
    # and ends after an LF gives the same text.
    return (piece.replace(b"\r\n", b"\n") if crlf else piece).decode(encoding)


def _encoding(data: bytes) -> tuple[int, str]:
    """Where the text starts and the encoding ``onec_sections.decode`` would choose.

    A prefix that is not UTF-8 settles it: the file is not UTF-8 either. A prefix that is UTF-8
    only suggests it: decoding the whole file as UTF-8 then either confirms it or fails, and the
    file goes to the careful reader. (Trying the whole file first costs a pass over it even when
    the first Cyrillic byte of a Windows-1251 header already says no.)
    """
    if data.startswith(UTF8_BOM):
        return len(UTF8_BOM), "utf-8"
    # Cut at a line end: LF is never inside a UTF-8 sequence, so the prefix is whole characters.
    cut = data.rfind(b"\n", 0, _SNIFF)
    try:
        data[: max(cut, 0)].decode("utf-8")
    except UnicodeDecodeError:
        # The careful reader looks at the first bytes with CRLF rewritten (the file has an LF, so
        # a bare CR stays): twice the window, rewritten, holds at least the window.
        return 0, eight_bit_encoding(data[: 2 * ENCODING_WINDOW + 2].replace(b"\r\n", b"\n"))
    return 0, "utf-8"


class _DocumentReader:
    """Reads documents piece after piece into ``documents``, keeping line numbers and templates."""

    def __init__(self, documents: list[Document], line: int) -> None:
        self.documents = documents
        self.line = line  # the 0-based line number where the next piece starts
        self.templates: list[_Template] = []
        self.shapes: dict[tuple[str, ...], int] = {}

    def read(self, text: str) -> int | None:
        """Documents from ``text``, back to back; where something else starts (or the end), or None.

        Blank lines between documents are skipped.
        """
        line = self.line
        pos = 0
        closer = f"\n{DOCUMENT_END}\n"
        after_closer = len(closer) - 1
        opener_length = len(DOCUMENT_START)
        find, startswith, size = text.find, text.startswith, len(text)
        append = self.documents.append
        templates = self.templates
        shapes = self.shapes
        while pos < size:
            if not startswith(DOCUMENT_START, pos):
                end = find("\n", pos)
                end = size if end < 0 else end
                if text[pos:end].strip(BLANK):
                    self.line = line
                    return pos  # not a blank line: the rest of the file
                pos = end + 1
                line += 1
                continue
            kind_end = find("\n", pos)
            if kind_end < 0:
                return None
            if kind_end == pos + opener_length:
                kind = ""
            elif text[pos + opener_length] == "=":
                kind = text[pos + opener_length + 1 : kind_end].strip(BLANK)
            else:
                return None  # "СекцияДокумент " or "СекцияДокументX": the careful reader decides
            for template in templates:
                match = template.pattern.match(text, kind_end + 1)
                if match is not None:
                    end = match.end() - 1  # the LF ending the closing line
                    last = line + template.fields + 1
                    append(Document(kind, line, last, template.pick(match.groups()), text[pos:end]))
                    break
            else:
                close = find(closer, kind_end)
                if close < 0:
                    return None
                end = close + after_closer  # the LF ending the closing line
                raw = text[pos:end]
                document = _careful_document(raw, line, kind)
                if document is None:
                    return None
                append(document)
                last = document.end
                keys = _shape(raw)
                if keys is not None:
                    shapes[keys] = seen = shapes.get(keys, 0) + 1
                    if seen == 2 and len(templates) < _MAX_TEMPLATES and len(keys) <= _MAX_TEMPLATE_FIELDS:
                        templates.insert(0, _template(keys))
            line = last + 1
            pos = end + 1
        self.line = line
        return pos


def _careful_document(raw: str, line: int, kind: str) -> Document | None:
    """One document read by the careful reader's code; None unless it ends at its last line."""
    lines = raw.split("\n")
    try:
        section = read_section(lines, 0, DOCUMENT_END, kind)
    except ParseError:
        return None  # the careful reader of the whole file reports it with the file's line numbers
    if section.end != len(lines) - 1:
        return None  # closed earlier (a blank-edged closing line): the rest is not ours to read
    return Document(kind, line, line + section.end, document_values(section.fields), raw)


def _shape(raw: str) -> tuple[str, ...] | None:
    """The key sequence of a document whose every line is ``key=value`` with an unpadded key."""
    keys = []
    for each in raw.split("\n")[1:-1]:
        key, sep, _ = each.partition("=")
        if not sep or key != key.strip(BLANK):
            return None
        keys.append(key)
    return tuple(keys)
