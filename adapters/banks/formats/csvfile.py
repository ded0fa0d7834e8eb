"""Bank CSV exports, read through named column-mapping profiles.

CSV carries no schema, so this format never guesses: a file is read only when one profile's
``detect`` rule matches its head (the exact header row, required header names, or for
headerless exports a first-line pattern). That keeps ``sniff`` conservative, which matters
because CSV is asked last, after the self-identifying formats. Profiles ship in
``csv_profiles/`` and more can be loaded from directories the caller names (the service
passes one from its settings; adapters read no settings).

One file may hold several accounts or currencies (ING exports several accounts, PayPal
several currencies): lines are grouped into one ``ParsedStatement`` per (account, currency),
because a statement is one account's movements in one currency.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
from collections.abc import Sequence
from pathlib import Path

from adapters.banks.base import ParsedFile, ParseError
from adapters.banks.formats.collector import PAUSE_COLLECTOR_FROM, collector_paused
from adapters.banks.formats.csv_profile import ColumnRef, CsvProfile, ProfileError, load_profile
from adapters.banks.formats.csv_rows import TableLayout, csv_reader, read_table

__all__ = ["FORMAT", "SHIPPED_PROFILES_DIR", "CsvFormat", "CsvProfile", "ProfileError", "load_profiles"]

SHIPPED_PROFILES_DIR = Path(__file__).with_name("csv_profiles")


def load_profiles(extra_dirs: Sequence[Path] = ()) -> list[CsvProfile]:
    """Shipped profiles plus every ``*.toml`` in ``extra_dirs``.

    Extra profiles come first, so a user's profile wins detection over a shipped one with the
    same header, and one with the same ``name`` replaces the shipped profile. Two profiles with
    the same name in one directory, an unreadable directory or an invalid file raise
    :class:`ProfileError`: a half-loaded configuration would silently misread statements.
    """
    loaded: list[CsvProfile] = []
    seen: set[str] = set()
    for directory in [*extra_dirs, SHIPPED_PROFILES_DIR]:
        if not directory.is_dir():
            raise ProfileError(f"CSV profile directory {directory} does not exist")
        in_this_dir: set[str] = set()
        for path in sorted(directory.glob("*.toml")):
            profile = load_profile(path)
            if profile.name in in_this_dir:
                raise ProfileError(f"CSV profile {path}: name {profile.name!r} is used twice in {directory}")
            in_this_dir.add(profile.name)
            if profile.name not in seen:
                loaded.append(profile)
        seen |= in_this_dir
    return loaded


def _norm(cell: str) -> str:
    return cell.strip().lstrip("\ufeff").strip().casefold()


def _decode_head(head: bytes, encoding: str) -> str | None:
    """The head as text, or None if it does not start in ``encoding``.

    A multi-byte character cut at the end is tolerated, and so is a bad byte after the first
    line: detection needs only the header, and ``parse`` then reports the bad byte's line.
    """
    try:
        text = codecs.getincrementaldecoder(encoding)(errors="strict").decode(head, final=False)
    except UnicodeDecodeError as exc:
        if b"\n" not in head[: exc.start]:
            return None
        try:
            text = codecs.getincrementaldecoder(encoding)(errors="strict").decode(head[: exc.start], final=False)
        except UnicodeDecodeError:
            return None
    return text.lstrip("\ufeff")


def _resolve(
    profile: CsvProfile, header: list[str] | None
) -> tuple[dict[str, int], tuple[int, ...], dict[str, int]] | None:
    """Column references → indexes, or None when a mapped core column is absent."""
    positions: dict[str, int] = {}
    if header is not None:
        for i, cell in enumerate(header):
            positions.setdefault(_norm(cell), i)

    def find(ref: ColumnRef) -> int | None:
        return ref if isinstance(ref, int) else positions.get(_norm(ref))

    index: dict[str, int] = {}
    for key, ref in profile.columns.items():
        found = find(ref)
        if found is None:
            return None
        index[key] = found
    purpose: list[int] = []
    for ref in profile.purpose:
        found = find(ref)
        if found is None:
            return None
        purpose.append(found)
    # Detail columns are extras: a bank dropping one must not make its files unreadable.
    details = {k: pos for k, ref in profile.details.items() if (pos := find(ref)) is not None}
    return index, tuple(purpose), details


def _fit(profile: CsvProfile, text: str) -> TableLayout | None:
    """How ``profile`` reads this text (a file or its head), or None when it does not match."""
    rule = profile.detect
    for delimiter in profile.delimiters:
        try:
            rows = list(
                itertools.islice(
                    csv_reader(io.StringIO(text, newline=""), profile, delimiter), profile.header_search_rows
                )
            )
        except csv.Error:
            continue
        if not profile.has_header:
            first_line = text.split("\n", 1)[0].rstrip("\r")
            if rule.first_line_regex is None or not rule.first_line_regex.match(first_line):
                return None
            if not rows or len(rows[0]) < 2:
                continue
            resolved = _resolve(profile, None)
            if resolved is None:
                return None
            return TableLayout(profile, delimiter, None, *resolved)
        exact = [_norm(c) for c in rule.header]
        required = {_norm(c) for c in rule.required_columns}
        for row_no, row in enumerate(rows):
            cells = [_norm(c) for c in row]
            while cells and not cells[-1]:
                cells.pop()
            if exact and cells != exact:
                continue
            if required and not required.issubset(cells):
                continue
            resolved = _resolve(profile, row)
            if resolved is None:
                continue
            names = {i: c.strip() for i, c in enumerate(row)}
            return TableLayout(profile, delimiter, row_no, *resolved, names=names)
    return None


class CsvFormat:
    """The CSV statement format over a fixed list of profiles (first matching profile wins)."""

    name = "csv"

    def __init__(self, profiles: Sequence[CsvProfile]) -> None:
        self.profiles = tuple(profiles)

    def match(self, head: bytes) -> TableLayout | None:
        """The first profile whose detect rule matches ``head``, fitted to it."""
        decoded: dict[str, str | None] = {}
        for profile in self.profiles:
            if profile.encoding not in decoded:
                decoded[profile.encoding] = _decode_head(head, profile.encoding)
            text = decoded[profile.encoding]
            if text is not None and (layout := _fit(profile, text)) is not None:
                return layout
        return None

    def sniff(self, head: bytes, filename: str) -> bool:
        """True only when a profile recognises the file; CSV never claims a file on looks alone."""
        return self.match(head) is not None

    def parse(self, data: bytes, filename: str, *, profile: str | None = None) -> ParsedFile:
        """Parse with the matching profile (or the one named); whole file or ParseError."""
        layout = self._layout_for(data, filename, profile)
        prof = layout.profile
        if prof.reject is not None:
            raise ParseError(f"recognised as {prof.name} ({prof.description}), refused: {prof.reject}", file=filename)
        try:
            text = data.decode(prof.encoding)
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise ParseError(
                f"profile {prof.name}: byte {exc.start} is not valid {prof.encoding}", file=filename, line=line
            ) from None
        with collector_paused(len(data) >= PAUSE_COLLECTOR_FROM):
            return read_table(text.lstrip("\ufeff"), layout, filename)

    def _layout_for(self, data: bytes, filename: str, name: str | None) -> TableLayout:
        head = data[:65536]
        if name is None:
            layout = self.match(head)
            if layout is None:
                seen = head.decode("utf-8", errors="replace").lstrip("\ufeff").split("\n", 1)[0].strip()
                raise ParseError(
                    f"no CSV profile matched (tried {len(self.profiles)}); first line seen: {seen[:200]!r}",
                    file=filename,
                )
            return layout
        chosen = next((p for p in self.profiles if p.name == name), None)
        if chosen is None:
            raise ParseError(f"unknown CSV profile {name!r}", file=filename)
        text = _decode_head(head, chosen.encoding)
        layout = _fit(chosen, text) if text is not None else None
        if layout is None:
            raise ParseError(f"file does not match CSV profile {name!r} (header or first line differs)", file=filename)
        return layout


FORMAT = CsvFormat(load_profiles())
