"""Bytes → text → header fields, account sections and document sections of a 1CClientBankExchange file.

Kept apart from what the sections *mean* (``onec``) so every structural error (a document never
closed, a line that is not ``key=value``, a truncated file) is reported here with its line number.

Two readers: a careful one that goes line by line and names the exact broken line, and a fast
one for statements with hundreds of thousands of documents, which never splits the file into
lines and declines (handing the file to the careful one) whenever it cannot prove it reads the
file exactly as the careful one would. See "Performance" in ``docs/formats/onec.md``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import accumulate
from operator import itemgetter
from typing import Any

from adapters.banks.base import ParseError
from adapters.banks.formats.onec_fields import DOCUMENT_KEYS, document_values

MAGIC = "1CClientBankExchange"
_UTF8_BOM = b"\xef\xbb\xbf"
# The header key in DOS (cp866) bytes: its presence is how the bytes, not the claim, say "DOS".
_CP866_ENCODING_KEY = "Кодировка".encode("cp866")

DOCUMENT_START = "СекцияДокумент"
DOCUMENT_END = "КонецДокумента"
ACCOUNT_START = "СекцияРасчСчет"
ACCOUNT_END = "КонецРасчСчет"
FILE_END = "КонецФайла"
_MARKERS = frozenset({DOCUMENT_START, DOCUMENT_END, ACCOUNT_START, ACCOUNT_END, FILE_END})
# Inside a section, a line starting one of these means the section was never closed.
_OPENERS = frozenset({DOCUMENT_START, ACCOUNT_START, FILE_END})
# Whitespace plus the DOS end-of-file byte some old exporters still append.
_BLANK = " \t\r\x1a\x0c"
# Whitespace at a line's edge or around "=": when a file has none, keys and values need no
# stripping and whole sections can be read with C-speed list and dict operations.
# Substring tests, not a regex: they scan a large file in C at memory speed.
_UNTIDY = (" =", "= ", "\n ", " \n", "\t", "\r", "\x0c", "\x1a")


@dataclass(slots=True)
class Section:
    """One ``СекцияРасчСчет`` or ``СекцияДокумент`` block.

    ``start``/``end`` are the 0-based line indexes of its opening and closing lines, ``offset`` and
    ``end_offset`` where those lines start and end in ``ExchangeFile.text``: the verbatim block is
    a slice, so no list of the file's lines has to be kept.
    """

    kind: str
    start: int
    end: int
    fields: dict[str, str]
    offset: int
    end_offset: int


@dataclass(slots=True)
class Document:
    """One ``СекцияДокумент``: like a ``Section``, but its fields as a tuple in ``DOCUMENT_KEYS`` order.

    Only the fields Sverka reads are kept, by position: building a dict of every line of every
    document was most of the cost of reading a large statement.
    """

    kind: str
    start: int
    end: int
    values: tuple[str, ...]
    offset: int
    end_offset: int


def _document(section: Section) -> Document:
    return Document(
        section.kind, section.start, section.end, document_values(section.fields), section.offset, section.end_offset
    )


@dataclass(slots=True)
class ExchangeFile:
    """The file's structure, before any meaning is given to it."""

    text: str
    encoding: str
    header: dict[str, str] = field(default_factory=dict)
    header_line: dict[str, int] = field(default_factory=dict)
    header_accounts: list[str] = field(default_factory=list)
    header_kinds: list[str] = field(default_factory=list)
    accounts: list[Section] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)

    def raw(self, section: Section | Document) -> str:
        """The section's lines verbatim, from its opening to its closing marker, joined by LF."""
        return self.text[section.offset : section.end_offset]

    def field_line(self, section: Section | Document, key: str) -> int:
        """1-based line of ``key`` in ``section``, found only when an error needs it.

        The last occurrence, because a repeated key's last value is the one that was read.
        """
        found = section.start + 1
        for number, line in enumerate(self.raw(section).split("\n")[1:-1], start=section.start + 2):
            if line.partition("=")[0].strip(_BLANK) == key:
                found = number
        return found


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def decode(data: bytes) -> tuple[str, str]:
    """Text and encoding name, decided by the bytes whatever ``Кодировка`` claims.

    Valid UTF-8 (with or without BOM) is UTF-8: 1C's own exports say ``Кодировка=Windows``
    even when written in UTF-8. Otherwise cp866 when the header key itself is in DOS bytes,
    else Windows-1251, the format's default.
    """
    nul = data.find(b"\x00")
    if nul >= 0:
        raise ParseError("binary data (a NUL byte): not a text file", line=_line_of(data, nul))
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM) :]
        try:
            return data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError as exc:
            raise ParseError("invalid UTF-8 after a UTF-8 BOM", line=_line_of(data, exc.start)) from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    encoding = "cp866" if _CP866_ENCODING_KEY in data[:8192] else "cp1251"
    try:
        return data.decode(encoding), encoding
    except UnicodeDecodeError as exc:
        # cp1251 leaves 0x98 undefined; a file holding it is neither UTF-8 nor Windows-1251.
        raise ParseError(
            f"byte 0x{data[exc.start]:02x} is neither UTF-8 nor {encoding} text", line=_line_of(data, exc.start)
        ) from None


def normalise_newline_bytes(data: bytes) -> bytes:
    """LF only: CRLF and LF may mix in one file; bare CR counts only when there is no LF at all.

    Done on the bytes, before decoding: it is cheaper on one byte per character than on the
    decoded text, and every encoding we read writes CR and LF as the ASCII bytes.
    """
    if b"\n" not in data:
        return data.replace(b"\r", b"\n")
    if b"\r" in data:
        return data.replace(b"\r\n", b"\n")
    return data


def _preview(line: str) -> str:
    text = line.strip(_BLANK)
    hint = ""
    try:
        # UTF-8 bytes read as Windows-1251 (a file edited with two tools) look like "РљРѕРЅРµС†".
        repaired = text.encode("cp1251").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        repaired = ""
    if repaired and repaired != text:
        hint = f" (UTF-8 text inside a Windows-1251 file? it reads {repaired[:40]!r})"
    return f"{text[:60]!r}{hint}"


def read_sections(data: bytes) -> ExchangeFile:
    """Split the file into header, account sections and documents; ParseError on broken structure.

    A well-formed file is read by ``_read_fast``, which never splits the file into lines; anything
    it is not sure about sends the whole file to ``_read_careful``, the line-by-line reader that
    names the exact broken line. Both produce the same ``ExchangeFile`` for the same file.
    """
    normalised = normalise_newline_bytes(data)
    text, encoding = decode(normalised)
    first_end = text.find("\n")
    first = text if first_end < 0 else text[:first_end]
    if first.strip(_BLANK + "\ufeff") != MAGIC:
        raise ParseError(f"first line must be {MAGIC}, got {_preview(first)}", line=1)
    facts = _byte_facts(normalised, encoding)
    del normalised  # a copy as large as the file: free it before the documents are built
    return (facts and _read_fast(text, encoding, facts)) or _read_careful(text, encoding)


def _read_careful(text: str, encoding: str) -> ExchangeFile:
    lines = text.split("\n")
    result = ExchangeFile(text=text, encoding=encoding)
    starts = list(accumulate((len(line) + 1 for line in lines), initial=0))
    _read_lines(result, lines, starts, tidy=_is_tidy(text))
    return result


def _is_tidy(text: str) -> bool:
    return not text.startswith(" ") and not any(mark in text for mark in _UNTIDY)


def _read_lines(result: ExchangeFile, lines: list[str], starts: list[int], *, tidy: bool) -> None:
    """The top level of the file, line by line, up to ``КонецФайла``; ParseError names any broken line."""
    count = len(lines)
    index = 1
    while index < count:
        key, sep, value = lines[index].partition("=")
        key = key.strip(_BLANK)
        if key == DOCUMENT_START:
            kind = value.strip(_BLANK)
            section = _read_block(lines, starts, index, DOCUMENT_END, kind, tidy) or _read_section(
                lines, starts, index, DOCUMENT_END, kind
            )
            result.documents.append(_document(section))
            index = section.end + 1
            continue
        if sep:
            if key in _MARKERS:
                raise ParseError(f"{key} takes no value here: {_preview(lines[index])}", line=index + 1)
            _add_header_field(result, key, value.strip(_BLANK), index)
        elif key == ACCOUNT_START:
            section = _read_section(lines, starts, index, ACCOUNT_END, "")
            result.accounts.append(section)
            index = section.end
        elif key == FILE_END:
            _expect_nothing_after(lines, index)
            return
        elif key in (DOCUMENT_END, ACCOUNT_END):
            raise ParseError(f"{key} without a section to close", line=index + 1)
        elif key:
            raise ParseError(f"expected key=value or a section marker, got {_preview(lines[index])}", line=index + 1)
        index += 1
    raise ParseError(f"file ends without {FILE_END}: truncated?", line=count)


def _add_header_field(result: ExchangeFile, key: str, value: str, index: int) -> None:
    # A file may list several accounts and several document kinds; other keys occur once.
    if key == "РасчСчет":
        if value and value not in result.header_accounts:
            result.header_accounts.append(value)
    elif key == "Документ" and value:
        result.header_kinds.append(value)
    result.header[key] = value
    result.header_line.setdefault(key, index + 1)


def _read_block(lines: list[str], starts: list[int], start: int, closer: str, kind: str, tidy: bool) -> Section | None:
    """The fast path for a well-formed section; None sends the caller to ``_read_section``.

    Finding the closer with ``list.index`` and building the dict from ``str.split`` keeps the
    per-line work in C. Anything unusual (no closer, a line without "=", a nested opener)
    returns None, and the careful reader finds and reports the exact line.
    """
    try:
        end = lines.index(closer, start + 1)
        pairs = [line.split("=", 1) for line in lines[start + 1 : end]]
        fields = dict(pairs)  # ValueError when a line holds no "="
    except ValueError:
        return None
    if not tidy:
        # From the pairs, not from ``fields``: keys that differ only by blanks (" Номер", "Номер")
        # are one key, and the last line of it wins, as in the line-by-line reader.
        fields = {key.strip(_BLANK): value.strip(_BLANK) for key, value in pairs}
    if not _OPENERS.isdisjoint(fields):
        return None
    return Section(kind, start, end, fields, starts[start], starts[end] + len(lines[end]))


def _read_section(lines: list[str], starts: list[int], start: int, closer: str, kind: str) -> Section:
    """The fields from ``lines[start + 1]`` up to ``closer``, line by line, naming any broken line."""
    fields: dict[str, str] = {}
    opener = lines[start].partition("=")[0].strip(_BLANK)
    index = start + 1
    count = len(lines)
    while index < count:
        key, sep, value = lines[index].partition("=")
        if sep:
            key = key.strip(_BLANK)
            if key in _OPENERS:
                raise ParseError(
                    f"{opener} opened at line {start + 1} is not closed by {closer} before this {key}",
                    line=index + 1,
                )
            fields[key] = value.strip(_BLANK)
        else:
            marker = key.strip(_BLANK)
            if marker == closer:
                return Section(kind, start, index, fields, starts[start], starts[index] + len(lines[index]))
            if marker in _MARKERS:
                raise ParseError(
                    f"{opener} opened at line {start + 1} is not closed by {closer} before this {marker}",
                    line=index + 1,
                )
            if marker:
                raise ParseError(f"expected key=value inside {opener}, got {_preview(lines[index])}", line=index + 1)
        index += 1
    raise ParseError(f"{opener} opened at line {start + 1} is never closed by {closer}", line=start + 1)


def _expect_nothing_after(lines: list[str], end: int) -> None:
    for index in range(end + 1, len(lines)):
        if lines[index].strip(_BLANK):
            raise ParseError(f"text after {FILE_END}: {_preview(lines[index])}", line=index + 1)


# --- The fast reader --------------------------------------------------------------------------
#
# It trusts nothing it has not counted. Per document it finds the closing line with one
# ``str.find`` and turns the block between into a dict with one ``replace`` and one ``split``
# (C speed, no per-line Python), which is right only when every line holds exactly one "=".
# Per document it checks that the block has as many "=" as lines; over the whole document
# area it checks, on the bytes, that the only lines without "=" are the ones it identified
# (closing lines, openers without a kind). Together: every field line holds exactly one "=".
# Blanks at a line's edge or around "=" (which the careful reader strips) are ruled out for
# the same area in one pass. Any doubt returns None and the careful reader takes the file.

_KEPT_SEPARATORS = bytes(byte for byte in range(256) if byte not in b"=\n")
# Blanks to b" ", "=" and LF to LF, everything else to a letter: one search then finds any blank
# next to "=" or a line end.
_EDGE_MAP = bytes(0x20 if byte in _BLANK.encode("ascii") else 0x0A if byte in b"=\n" else 0x61 for byte in range(256))
_CLOSING_LINE = f"\n{DOCUMENT_END}\n"
_OPENER_LENGTH = len(DOCUMENT_START)


@dataclass(frozen=True, slots=True)
class _ByteFacts:
    """What the fast reader needs to know from the bytes, gathered before the bytes are let go."""

    lines: int  # lines in the file, as text.split("\n") counts them
    without_equals: int  # of those, lines holding no "="
    untidy: bool  # a blank at a line's edge or next to "=" somewhere among the documents


def _byte_facts(data: bytes, encoding: str) -> _ByteFacts | None:
    """Line counts and tidiness from C-speed passes over the bytes; None when there are no documents.

    "=" and LF are the same single bytes in every encoding we read, so counting them on the
    bytes is exact; each translated copy is dropped as soon as it has been counted.
    """
    byte_start = data.find(b"\n" + DOCUMENT_START.encode(encoding)) + 1
    byte_end = data.rfind(b"\n" + FILE_END.encode(encoding)) + 1
    if not 0 < byte_start <= byte_end:
        return None
    edges = data.translate(_EDGE_MAP)
    untidy = edges.find(b" \n", byte_start, byte_end) >= 0 or edges.find(b"\n ", byte_start - 1, byte_end) >= 0
    del edges
    separators = data.translate(None, _KEPT_SEPARATORS)
    lines = separators.count(b"\n") + 1
    with_equals = separators.count(b"=\n") + separators.endswith(b"=")
    return _ByteFacts(lines, lines - with_equals, untidy)


def _read_fast(text: str, encoding: str, facts: _ByteFacts) -> ExchangeFile | None:
    """The file read without splitting it into lines, or None when the careful reader must decide."""
    # The same places as _byte_facts found in the bytes: the encodings we read are
    # ASCII-compatible and these markers cannot start inside another character.
    area_start = text.find(f"\n{DOCUMENT_START}") + 1
    area_end = text.rfind(f"\n{FILE_END}") + 1
    if not 0 < area_start <= area_end:
        return None
    head = text[:area_start].split("\n")
    head[-1] = FILE_END  # a sentinel: the careful reader stops there, having read the whole head
    tail = text[area_end:].split("\n")
    if tail[0].strip(_BLANK) != FILE_END or any(line.strip(_BLANK) for line in tail[1:]):
        return None
    result = ExchangeFile(text=text, encoding=encoding)
    try:
        starts = list(accumulate((len(line) + 1 for line in head), initial=0))
        _read_lines(result, head, starts, tidy=_is_tidy(text[:area_start]))
    except ParseError:
        return None
    counted = _read_documents(text, area_start, area_end, len(head) - 1, result.documents, untidy=facts.untidy)
    if counted is None:
        return None
    area_lines, area_without_equals = counted
    # The whole file's counts from the bytes, minus the head and tail counted here.
    outside = head[:-1] + tail
    if area_lines != facts.lines - len(outside):
        return None
    if area_without_equals != facts.without_equals - sum(1 for line in outside if "=" not in line):
        return None
    return result


def _read_documents(
    text: str, pos: int, stop: int, line: int, documents: list[Document], *, untidy: bool
) -> tuple[int, int] | None:
    """Documents in ``text[pos:stop]``, back to back; (lines read, lines without "=") or None.

    Three ways to read one, fastest first: a template compiled for a key sequence seen before
    (one regex match, no key strings built); one split of the block (exact when the block holds
    as many "=" as lines, given the caller's count of lines without "="); line by line. Empty
    lines between documents are skipped; when ``untidy``, a document with a blank that the
    careful reader would strip is read line by line.
    """
    find, startswith, count = text.find, text.startswith, text.count
    opener_ends = _OPENER_LENGTH
    closing = len(_CLOSING_LINE) - 1
    openers = _OPENERS
    append = documents.append
    templates: list[_Template] = []
    shapes: dict[tuple[str, ...], int] = {}
    first_line = line
    without_equals = 0
    while pos < stop:
        if text[pos] == "\n":
            pos += 1
            line += 1
            without_equals += 1
            continue
        if not startswith(DOCUMENT_START, pos):
            return None
        kind_end = find("\n", pos, stop)
        bare = kind_end == pos + opener_ends  # "СекцияДокумент" with no "=<kind>"
        if bare:
            kind = ""
            without_equals += 1
        elif kind_end > pos and text[pos + opener_ends] == "=":
            kind = text[pos + opener_ends + 1 : kind_end]
            if "=" in kind:
                return None
        else:
            return None
        if untidy:
            close = find(_CLOSING_LINE, kind_end, stop)
            if close < 0:
                return None
            end = close + closing
            if any(find(blank, pos, end) >= 0 for blank in _UNTIDY):
                careful = _careful_document(text, pos, end, line, kind.strip(_BLANK))
                if careful is None:
                    return None
                append(careful[0])
                without_equals += careful[1] - bare
                line = careful[0].end + 1
                pos = end + 1
                continue
        for template in templates:
            match = template.pattern.match(text, kind_end + 1, stop)
            if match is not None:
                end = match.end() - 1  # the LF that ends the closing line
                append(Document(kind, line, line + template.fields + 1, template.pick(match.groups()), pos, end))
                without_equals += 1
                line += template.fields + 2
                pos = end + 1
                break
        else:
            close = find(_CLOSING_LINE, kind_end, stop)
            if close < 0:
                return None
            end = close + closing
            equals = count("=", kind_end, close)
            parts = text[kind_end + 1 : close].replace("\n", "=").split("=") if close > kind_end else []
            if len(parts) == 2 * equals:
                keys = parts[::2]
                fields = dict(zip(keys, parts[1::2], strict=True))
                if not openers.isdisjoint(fields):
                    return None
                append(Document(kind, line, line + equals + 1, document_values(fields), pos, end))
                without_equals += 1
                line += equals + 2
                shape = tuple(keys)
                shapes[shape] = seen = shapes.get(shape, 0) + 1
                if seen == 2 and len(templates) < _MAX_TEMPLATES and equals <= _MAX_TEMPLATE_FIELDS:
                    templates.insert(0, _template(shape))
            else:
                # A value holding "=" (or a line without one): this document, line by line.
                careful = _careful_document(text, pos, end, line, kind)
                if careful is None:
                    return None
                append(careful[0])
                without_equals += careful[1] - bare
                line = careful[0].end + 1
            pos = end + 1
    if pos != stop:
        return None
    return line - first_line, without_equals


# A key sequence seen twice gets a template; a handful covers an exporter's document kinds, and
# the cap keeps a hostile file (every document shaped differently) from compiling without end.
_MAX_TEMPLATES = 8
# Real documents have 20–70 fields; a template is not worth compiling for a freak one.
_MAX_TEMPLATE_FIELDS = 200


@dataclass(frozen=True, slots=True)
class _Template:
    """A compiled reader for documents whose lines are exactly ``keys``, in order."""

    pattern: re.Pattern[str]
    pick: Callable[[tuple[str | Any, ...]], tuple[str, ...]]
    fields: int


def _template(keys: tuple[str, ...]) -> _Template:
    # Each line is the key, "=", then the value up to the line end (a later "=" is part of the
    # value, as for the careful reader); the closing line ends the match. The final empty group
    # is what a key absent from this shape reads as.
    pattern = re.compile("".join(f"{re.escape(key)}=([^\n]*)\n" for key in keys) + f"{DOCUMENT_END}\n()")
    position = {key: index for index, key in enumerate(keys)}  # a repeated key: the last one, as in a dict
    absent = len(keys)
    pick = itemgetter(*(position.get(key, absent) for key in DOCUMENT_KEYS))
    return _Template(pattern, pick, len(keys))


def _careful_document(text: str, pos: int, end: int, line: int, kind: str) -> tuple[Document, int] | None:
    """One document read line by line; with the number of its lines that hold no "="."""
    lines = text[pos:end].split("\n")
    starts = list(accumulate((len(each) + 1 for each in lines), initial=pos))
    try:
        section = _read_section(lines, starts, 0, DOCUMENT_END, kind)
    except ParseError:
        return None  # the careful reader of the whole file reports it with the file's line numbers
    document = _document(section)
    document.start, document.end = line, line + section.end
    return document, sum(1 for each in lines if "=" not in each)
