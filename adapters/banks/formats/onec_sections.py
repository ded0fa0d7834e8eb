"""Bytes → text → header fields, account sections and document sections of a 1CClientBankExchange file.

Kept apart from what the sections *mean* (``onec``) so every structural error (a document never
closed, a line that is not ``key=value``, a truncated file) is reported here with its line number.

This is the careful reader: it goes line by line and names the exact broken line. Statements
with hundreds of thousands of documents are first offered to the fast reader (``onec_fast``),
which reuses the pieces here for the few lines it does not read itself and declines (handing
the file to this one) whenever it cannot prove it reads the file exactly as this one would.
See "Performance" in ``docs/formats/onec.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from adapters.banks.base import ParseError
from adapters.banks.formats.onec_fields import document_values

MAGIC = "1CClientBankExchange"
UTF8_BOM = b"\xef\xbb\xbf"
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
BLANK = " \t\r\x1a\x0c"
# Whitespace at a line's edge or around "=": when a file has none, keys and values need no
# stripping and whole sections can be read with C-speed list and dict operations.
# Substring tests, not a regex: they scan a large file in C at memory speed.
_UNTIDY = (" =", "= ", "\n ", " \n", "\t", "\r", "\x0c", "\x1a")


@dataclass(slots=True)
class Section:
    """One ``СекцияРасчСчет`` or ``СекцияДокумент`` block.

    ``start``/``end`` are the 0-based line indexes of its opening and closing lines; ``raw`` is
    the block verbatim, from its opening to its closing line, joined by LF.
    """

    kind: str
    start: int
    end: int
    fields: dict[str, str]
    raw: str


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
    raw: str


def document_of(section: Section) -> Document:
    return Document(section.kind, section.start, section.end, document_values(section.fields), section.raw)


@dataclass(slots=True)
class ExchangeFile:
    """The file's structure, before any meaning is given to it."""

    encoding: str
    header: dict[str, str] = field(default_factory=dict)
    header_line: dict[str, int] = field(default_factory=dict)
    header_accounts: list[str] = field(default_factory=list)
    header_kinds: list[str] = field(default_factory=list)
    accounts: list[Section] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)

    @staticmethod
    def field_line(section: Section | Document, key: str) -> int:
        """1-based line of ``key`` in ``section``, found only when an error needs it.

        The last occurrence, because a repeated key's last value is the one that was read.
        """
        found = section.start + 1
        for number, line in enumerate(section.raw.split("\n")[1:-1], start=section.start + 2):
            if line.partition("=")[0].strip(BLANK) == key:
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
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM) :]
        try:
            return data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError as exc:
            raise ParseError("invalid UTF-8 after a UTF-8 BOM", line=_line_of(data, exc.start)) from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    encoding = eight_bit_encoding(data)
    try:
        return data.decode(encoding), encoding
    except UnicodeDecodeError as exc:
        # cp1251 leaves 0x98 undefined; a file holding it is neither UTF-8 nor Windows-1251.
        raise ParseError(
            f"byte 0x{data[exc.start]:02x} is neither UTF-8 nor {encoding} text", line=_line_of(data, exc.start)
        ) from None


# How far into the (newline-normalised) file the DOS header key is looked for.
ENCODING_WINDOW = 8192


def eight_bit_encoding(data: bytes) -> str:
    """cp866 when the header key ``Кодировка`` is itself written in DOS bytes, else Windows-1251.

    ``data`` has its newlines normalised (``normalise_newline_bytes``): the window counts those bytes.
    """
    return "cp866" if _CP866_ENCODING_KEY in data[:ENCODING_WINDOW] else "cp1251"


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
    text = line.strip(BLANK)
    hint = ""
    try:
        # UTF-8 bytes read as Windows-1251 (a file edited with two tools) look like "РљРѕРЅРµС†".
        repaired = text.encode("cp1251").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        repaired = ""
    if repaired and repaired != text:
        hint = f" (UTF-8 text inside a Windows-1251 file? it reads {repaired[:40]!r})"
    return f"{text[:60]!r}{hint}"


def read_careful(data: bytes) -> ExchangeFile:
    """Split the file into header, account sections and documents; ParseError on broken structure.

    Line by line, so that any broken line is named exactly. ``onec_fast.read_fast`` produces the
    same ``ExchangeFile`` for every file it accepts, faster; this reader decides the rest.
    """
    text, encoding = decode(normalise_newline_bytes(data))
    first_end = text.find("\n")
    first = text if first_end < 0 else text[:first_end]
    if first.strip(BLANK + "\ufeff") != MAGIC:
        raise ParseError(f"first line must be {MAGIC}, got {_preview(first)}", line=1)
    result = ExchangeFile(encoding=encoding)
    read_lines(result, text.split("\n"), tidy=is_tidy(text))
    return result


def is_tidy(text: str) -> bool:
    return not text.startswith(" ") and not any(mark in text for mark in _UNTIDY)


def read_lines(result: ExchangeFile, lines: list[str], *, tidy: bool) -> None:
    """The top level of the file, line by line, up to ``КонецФайла``; ParseError names any broken line."""
    count = len(lines)
    index = 1
    while index < count:
        key, sep, value = lines[index].partition("=")
        key = key.strip(BLANK)
        if key == DOCUMENT_START:
            kind = value.strip(BLANK)
            section = _read_block(lines, index, DOCUMENT_END, kind, tidy) or read_section(
                lines, index, DOCUMENT_END, kind
            )
            result.documents.append(document_of(section))
            index = section.end + 1
            continue
        if sep:
            if key in _MARKERS:
                raise ParseError(f"{key} takes no value here: {_preview(lines[index])}", line=index + 1)
            _add_header_field(result, key, value.strip(BLANK), index)
        elif key == ACCOUNT_START:
            section = read_section(lines, index, ACCOUNT_END, "")
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


def _read_block(lines: list[str], start: int, closer: str, kind: str, tidy: bool) -> Section | None:
    """The fast path for a well-formed section; None sends the caller to ``read_section``.

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
        fields = {key.strip(BLANK): value.strip(BLANK) for key, value in pairs}
    if not _OPENERS.isdisjoint(fields):
        return None
    return Section(kind, start, end, fields, "\n".join(lines[start : end + 1]))


def read_section(lines: list[str], start: int, closer: str, kind: str) -> Section:
    """The fields from ``lines[start + 1]`` up to ``closer``, line by line, naming any broken line."""
    fields: dict[str, str] = {}
    opener = lines[start].partition("=")[0].strip(BLANK)
    index = start + 1
    count = len(lines)
    while index < count:
        key, sep, value = lines[index].partition("=")
        if sep:
            key = key.strip(BLANK)
            if key in _OPENERS:
                raise ParseError(
                    f"{opener} opened at line {start + 1} is not closed by {closer} before this {key}",
                    line=index + 1,
                )
            fields[key] = value.strip(BLANK)
        else:
            marker = key.strip(BLANK)
            if marker == closer:
                return Section(kind, start, index, fields, "\n".join(lines[start : index + 1]))
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
        if lines[index].strip(BLANK):
            raise ParseError(f"text after {FILE_END}: {_preview(lines[index])}", line=index + 1)
