"""MT940/MT942 text → messages → tagged fields, before any field is interpreted.

Banks wrap the SWIFT message in many ways: full FIN blocks (``{1:…}{2:…}{4:`` … ``-}``), bare
``:20:`` … ``-`` messages, several statements without any terminator, SOH/ETX control bytes,
header lines such as ``ABNANL2A``/``940``, and prose ("the example starts after the dashes").
This module's only job is to find where messages and fields start and end, keeping line
numbers, so the interpreting code never has to think about envelopes.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field

# A tag is two digits plus an optional letter (``:60F:``); ``:NS:`` is the non-standard tag some
# banks (Sberbank, Hungarian CMI) use for their own sub-records. All of them, as a set: looking up
# the text between a line's first two colons is a third cheaper than a pattern, once per line.
_TAGS = frozenset(["NS", *(f"{n:02d}{letter}" for n in range(100) for letter in ["", *string.ascii_uppercase])])
_CONTROL_EDGES = "\x01\x02\x03\x04\x1a\ufeff"


@dataclass(slots=True)
class Field:
    """One tag with its value lines, exactly as they stood (continuations unjoined)."""

    tag: str
    lines: list[str]
    line_no: int

    @property
    def first(self) -> str:
        return self.lines[0]


@dataclass(slots=True)
class Message:
    """The fields of one statement message, starting at its ``:20:``."""

    fields: list[Field] = field(default_factory=list)
    line_no: int = 0


def decode(data: bytes) -> tuple[str, str]:
    """Text of the file and the codec used.

    MT940 is officially a SWIFT subset of ASCII, but banks send UTF-8, latin-1/cp1252 (German and
    Dutch umlauts) or cp852 (Central European DOS, e.g. Hungarian CMI exports). Strict UTF-8 is
    tried first because it almost never decodes non-UTF-8 text by accident. Otherwise the 8-bit
    codec whose decoding of the non-ASCII bytes yields the most letters wins (umlauts decode as
    letters in cp1252, box-drawing junk in cp852, and the reverse for Hungarian), ties going to
    cp1252. Amounts and dates are ASCII, so this choice can garble a name, never money.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    high = bytes(sorted({b for b in data if b >= 0x80}))
    best_codec, best_score = "latin-1", -1
    for codec in ("cp1252", "cp852"):
        try:
            sample = high.decode(codec)
        except UnicodeDecodeError:
            continue
        score = sum(ch.isalpha() for ch in sample)
        if score > best_score:
            best_codec, best_score = codec, score
    return data.decode(best_codec), best_codec


def split_lines(text: str) -> list[str]:
    """Lines for CRLF, LF and lone-CR files alike (``str.splitlines`` would also split on \\x85 etc.)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _strip_envelope(line: str) -> tuple[str, bool]:
    """The line without FIN block wrappers, and whether a ``-}`` block end was on it."""
    line = line.strip(_CONTROL_EDGES)
    if line.startswith("{"):
        at = line.find("{4:")
        if at < 0:
            return "", False  # {5:…} trailers and other blocks carry no statement data
        line = line[at + 3 :]
    if line.startswith("-}"):
        return "", True
    return line, False


def _is_terminator(line: str) -> bool:
    """A ``-`` end-of-message line (``-``, ``-XXX`` as ING writes it); decided in context by the caller."""
    stripped = line.strip()
    return stripped.startswith("-") and len(stripped) <= 4 and not stripped.startswith("--")


def _tag_end(line: str) -> int:
    """Where the ``:tag:`` that starts ``line`` ends (the index of its second colon), or -1."""
    end = line.find(":", 1) if line.startswith(":") else -1
    return end if 3 <= end <= 4 and line[1:end] in _TAGS else -1


def _starts_message_or_ends(lines: list[str], index: int) -> bool:
    """Whether the next non-blank line after ``index`` is a tag, a FIN block, or the end of the file.

    By index, not over a slice: a slice would copy the rest of the file at every ``-`` line, and a
    file whose messages have no closing balance (MT942) has one per message.
    """
    for at in range(index + 1, len(lines)):
        probe = lines[at].strip(_CONTROL_EDGES + " \t")
        if not probe:
            continue
        return probe.startswith("{") or _tag_end(probe) > 0
    return True


def messages(lines: list[str]) -> list[Message]:
    """Group lines into messages of fields; text outside any message is ignored as envelope junk.

    A message starts at ``:20:`` and ends at the next ``:20:``, at ``-}``, or at a ``-`` line.
    ING wraps ``:86:`` text so that a lone ``-`` can be *content*; a ``-`` therefore only ends
    a message once its closing balance was seen or when what follows starts a new message.
    """
    found: list[Message] = []
    fields: list[Field] | None = None  # the current message's fields; None outside a message
    has_closing = False
    for line_no, line in enumerate(lines, 1):
        if not line.startswith(":"):  # the fast path: most lines are plain tags
            line, block_end = _strip_envelope(line)
            if block_end:
                fields = None
                continue
        # _tag_end, inlined: this runs for every line of the file.
        end = line.find(":", 1) if line.startswith(":") else -1
        if 3 <= end <= 4 and (tag := line[1:end]) in _TAGS:
            if tag == "20":
                current = Message(line_no=line_no)
                found.append(current)
                fields = current.fields
                has_closing = False
            elif fields is None:
                continue  # a tag outside any message (":940:" style headers never match, others are junk)
            elif not has_closing and tag.startswith("62"):
                has_closing = True
            fields.append(Field(tag, [line[end + 1 :]], line_no))
            continue
        if not fields:
            continue
        if _is_terminator(line) and (has_closing or _starts_message_or_ends(lines, line_no - 1)):
            fields = None
            continue
        fields[-1].lines.append(line)
    return found
