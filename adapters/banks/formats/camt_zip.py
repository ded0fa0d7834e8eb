"""Zip containers of CAMT files (banks hand out a day's or a month's statements as one zip).

Nothing is extracted to disk; members are read into memory under hard bounds so a zip bomb
(tiny archive, huge members, or thousands of members) is refused before it costs anything, and
member names that try to climb out of a directory are refused too, since such an archive is
hostile whether or not we would ever write it out.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Iterator

from adapters.banks.base import ParseError

ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"
MAX_MEMBERS = 1000
MAX_TOTAL_UNCOMPRESSED = 100 * 1024 * 1024
# Archive furniture added by desktop zip tools; not statements, so not read.
_IGNORED = re.compile(r"(^|/)(__MACOSX/|\.DS_Store$|Thumbs\.db$)")
_DRIVE = re.compile(r"^[A-Za-z]:")


def is_zip(head: bytes) -> bool:
    """True when the bytes start like a zip archive."""
    return head.startswith((ZIP_MAGIC, EMPTY_ZIP_MAGIC))


def _unsafe_name(name: str) -> bool:
    parts = name.replace("\\", "/").split("/")
    return name.startswith(("/", "\\")) or bool(_DRIVE.match(name)) or "\x00" in name or ".." in parts


def zip_members(data: bytes) -> Iterator[tuple[str, bytes]]:
    """``(member name, bytes)`` for every file member, bounded; ParseError on anything odd."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    # NotImplementedError: a central directory claiming a zip version Python does not read.
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, ValueError, OSError, EOFError) as exc:
        raise ParseError(f"unreadable zip archive ({exc})") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_MEMBERS:
            raise ParseError(f"zip archive has {len(infos)} members, over the limit of {MAX_MEMBERS}")
        for info in infos:
            if _unsafe_name(info.filename):
                raise ParseError(f"zip member name {info.filename[:200]!r} points outside the archive")
        budget = MAX_TOTAL_UNCOMPRESSED
        for info in infos:
            if info.is_dir() or _IGNORED.search(info.filename):
                continue
            # The declared size can lie; the bounded read below is what actually protects us.
            if info.file_size > budget:
                raise ParseError(
                    f"zip member {info.filename!r} would exceed the {MAX_TOTAL_UNCOMPRESSED}-byte "
                    "limit on uncompressed content"
                )
            try:
                with archive.open(info) as member:
                    content = member.read(budget + 1)
            except RuntimeError as exc:  # encrypted members
                raise ParseError(f"zip member {info.filename!r} cannot be read ({exc})") from None
            except (zipfile.BadZipFile, NotImplementedError, zlib.error, OSError, EOFError, ValueError) as exc:
                raise ParseError(f"zip member {info.filename!r} is corrupt ({exc})") from None
            if len(content) > budget:
                raise ParseError(
                    f"zip content exceeds the {MAX_TOTAL_UNCOMPRESSED}-byte limit on uncompressed "
                    f"content (at member {info.filename!r})"
                )
            budget -= len(content)
            yield info.filename, content


def first_member_head(head: bytes, limit: int = 8192) -> bytes | None:
    """The start of the first real member of a zip, decoded from the file's first bytes only.

    Sniffing sees only the file head, where the central directory is not, so this walks the
    local file headers and inflates a little of the first member that is not a folder.
    """
    offset = 0
    for _ in range(8):
        header = head[offset : offset + 30]
        if len(header) < 30 or not header.startswith(ZIP_MAGIC):
            return None
        flags = int.from_bytes(header[6:8], "little")
        method = int.from_bytes(header[8:10], "little")
        compressed_size = int.from_bytes(header[18:22], "little")
        name_len = int.from_bytes(header[26:28], "little")
        extra_len = int.from_bytes(header[28:30], "little")
        name = head[offset + 30 : offset + 30 + name_len].decode("utf-8", errors="replace")
        start = offset + 30 + name_len + extra_len
        if name.endswith("/") or _IGNORED.search(name):
            if flags & 0x08:  # sizes only after the data: cannot skip to the next header
                return None
            offset = start + compressed_size
            continue
        body = head[start:]
        if method == 0:
            return body[:limit]
        if method == 8:
            try:
                return zlib.decompressobj(-15).decompress(body, limit)
            except zlib.error:
                return None
        return None
    return None
