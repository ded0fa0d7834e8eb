"""OFX bytes to text: the header, the declared charset, and what the bytes really are.

OFX 1.x declares its encoding in a colon header (``ENCODING:USASCII`` + ``CHARSET:1252``),
OFX 2.x in the XML declaration. Banks get both wrong: UTF-8 bodies under a 1252 header,
``CHARSET:NONE``, ISO-8859-1 spelled five ways. The rules, in order:

1. a byte-order mark wins (UTF-8, UTF-16);
2. pure ASCII is ASCII, whatever the header says;
3. bytes that are valid UTF-8 are UTF-8: multi-byte UTF-8 sequences practically never occur by
   accident in single-byte text, so this catches UTF-8 bodies under a wrong header;
4. otherwise the declared single-byte charset when the bytes fit it;
5. otherwise (nothing declared, UTF-8 declared but invalid, or bytes the charset lacks)
   Windows-1252, the OFX 1.x default, with undecodable bytes replaced by U+FFFD and counted so
   the statement can carry a warning. Amounts, dates and ids are ASCII, so a damaged memo
   character is no reason to refuse a statement.

Line ends are normalised to ``\\n`` (old Mac files end lines with a bare CR), so line numbers
count what an editor shows.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

_XML_ENCODING = re.compile(rb"""<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""", re.IGNORECASE)
_SGML_HEADER_LINE = re.compile(r"^\s*([A-Za-z]+)\s*:\s*(.*?)\s*$")
_OFX_ROOT = re.compile(r"<\s*OFX\s*>", re.IGNORECASE)

# CHARSET spellings seen in the wild for Latin-1.
_LATIN1_NAMES = frozenset({"8859-1", "ISO-8859-1", "ISO8859-1", "ISO-8859", "LATIN1", "LATIN-1", "88591"})


@dataclass(frozen=True, slots=True)
class OfxText:
    """A decoded OFX file: the text, how it was decoded, and where the ``<OFX>`` root starts."""

    text: str
    encoding: str
    declared_encoding: str | None
    replaced_chars: int
    header: dict[str, str]
    root_start: int | None


def declared_encoding(data: bytes) -> str | None:
    """The codec the file claims (a Python codec name), or None when it claims nothing usable."""
    head = data[:4096]
    xml = _XML_ENCODING.search(head)
    if xml is not None:
        return _codec_name(xml.group(1).decode("ascii"))
    header = sgml_header(head.decode("latin-1"))
    encoding = header.get("ENCODING", "").upper()
    if encoding in {"UTF-8", "UTF8", "UNICODE"}:
        return "utf-8"
    charset = header.get("CHARSET", "").upper()
    if not charset or charset == "NONE":
        return None
    if charset in _LATIN1_NAMES:
        return "iso-8859-1"
    if charset.isdigit():
        return _codec_name(f"cp{charset}")
    return _codec_name(charset)


def sgml_header(text: str) -> dict[str, str]:
    """``KEY:VALUE`` lines before the first ``<`` (OFX 1.x); lines that are not pairs are skipped."""
    end = text.find("<")
    header: dict[str, str] = {}
    for line in (text if end < 0 else text[:end]).splitlines():
        match = _SGML_HEADER_LINE.match(line)
        if match:
            header.setdefault(match.group(1).upper(), match.group(2))
    return header


def decode(data: bytes) -> OfxText:
    """Decode a whole OFX file following the rules in the module docstring."""
    declared = declared_encoding(data)
    text, encoding = _decode_bytes(data, declared)
    replaced = text.count("\ufffd") if encoding.endswith("+replace") else 0
    if "\r" in text:
        text = text.replace("\r\n", "\n")
        if "\r" in text:  # old Mac line ends; a second pass over a big file is worth avoiding
            text = text.replace("\r", "\n")
    root = _OFX_ROOT.search(text)
    return OfxText(
        text=text,
        encoding=encoding,
        declared_encoding=declared,
        replaced_chars=replaced,
        header=sgml_header(text[: root.start()] if root else text[:4096]),
        root_start=root.start() if root else None,
    )


def _decode_bytes(data: bytes, declared: str | None) -> tuple[str, str]:
    if data.startswith(codecs.BOM_UTF8):
        return _lenient(data[len(codecs.BOM_UTF8) :], "utf-8")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _lenient(data, "utf-16")
    if data.isascii():
        return data.decode("ascii"), "ascii"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if declared is not None and declared != "utf-8" and not declared.startswith("utf-"):
        return _lenient(data, declared)
    return _lenient(data, "cp1252")


def _lenient(data: bytes, encoding: str) -> tuple[str, str]:
    try:
        return data.decode(encoding), encoding
    except UnicodeDecodeError:
        return data.decode(encoding, errors="replace"), f"{encoding}+replace"


def _codec_name(name: str) -> str | None:
    """A text codec's canonical name; None for unknown names and for bytes-to-bytes codecs
    (a header saying ``CHARSET:base64`` or ``zlib`` must not reach ``bytes.decode``)."""
    try:
        info = codecs.lookup(name)
    except LookupError:
        return None
    if not getattr(info, "_is_text_encoding", True):
        return None
    return info.name
