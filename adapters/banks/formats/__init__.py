"""Statement file formats: detection and parsing of one file, no database.

Each format lives in its own module exposing ``FORMAT`` (a ``StatementFormat``). Detection asks
them in the order below: the specific, self-identifying formats first, CSV (which can look like
almost anything) last.
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

from adapters.banks.base import ParsedFile, ParseError, StatementFormat

# Order matters: first sniff() that says yes wins.
_FORMAT_MODULES = ("camt", "ofx", "mt940", "onec", "csvfile")
_SNIFF_BYTES = 64 * 1024
DEFAULT_MAX_BYTES = 50 * 1024 * 1024


def available_formats() -> list[StatementFormat]:
    """The formats this build knows, in detection order."""
    formats: list[StatementFormat] = []
    for name in _FORMAT_MODULES:
        qualified = f"{__name__}.{name}"
        if importlib.util.find_spec(qualified) is None:
            continue
        formats.append(importlib.import_module(qualified).FORMAT)
    return formats


def detect(data: bytes, filename: str) -> StatementFormat:
    """The format of ``data``, or ParseError naming what was tried."""
    head = data[:_SNIFF_BYTES]
    formats = available_formats()
    for fmt in formats:
        if fmt.sniff(head, filename):
            return fmt
    names = ", ".join(f.name for f in formats)
    raise ParseError(f"not a statement format Sverka reads (tried {names})", file=filename)


def parse_bytes(data: bytes, filename: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedFile:
    """Detect and parse one file's bytes. Only ParseError escapes."""
    if len(data) > max_bytes:
        raise ParseError(f"file is {len(data)} bytes, over the limit of {max_bytes}", file=filename)
    if not data.strip():
        raise ParseError("file is empty", file=filename)
    fmt = detect(data, filename)
    try:
        return fmt.parse(data, filename)
    except ParseError as exc:
        raise exc if exc.file else exc.with_file(filename) from None
    except RecursionError:
        raise ParseError("structure nested too deeply", file=filename) from None
    except Exception as exc:  # a parser bug must still reach the user as a clear refusal
        raise ParseError(f"unreadable {fmt.name} file ({type(exc).__name__}: {exc})", file=filename) from exc


def parse_path(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedFile:
    """Read and parse a file, refusing oversized ones before reading them whole."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise ParseError(f"file is {size} bytes, over the limit of {max_bytes}", file=str(path))
        data = path.read_bytes()
    except OSError as exc:
        raise ParseError(f"cannot read file: {exc.strerror}", file=str(path)) from exc
    return parse_bytes(data, str(path), max_bytes=max_bytes)
