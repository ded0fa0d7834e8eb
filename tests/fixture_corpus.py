"""Access to the third-party statement corpus in ``../shared/fixtures`` (beside the checkout).

The files are not copied into the repository; tests read them in place. Set
``SVERKA_FIXTURES_DIR`` to point elsewhere.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES_DIR = Path(os.environ.get("SVERKA_FIXTURES_DIR", REPO_ROOT.parent / "shared" / "fixtures"))
BENCH_DIR = FIXTURES_DIR.parent / "bench"


@dataclass(frozen=True)
class CorpusFile:
    """One manifest entry: the file and what the peer parsers said about it."""

    path: Path
    relpath: str
    format: str
    expected: dict[str, Any]
    note: str | None

    def __str__(self) -> str:  # readable pytest ids
        return self.relpath


@cache
def manifest() -> tuple[CorpusFile, ...]:
    """All manifest entries; fails loudly when the corpus is missing (it must be there in CI)."""
    data = json.loads((FIXTURES_DIR / "MANIFEST.json").read_text(encoding="utf-8"))
    return tuple(
        CorpusFile(
            path=FIXTURES_DIR / e["path"],
            relpath=e["path"],
            format=e["format"],
            expected=e["expected"],
            note=e.get("note"),
        )
        for e in data
    )


def corpus(where: Callable[[CorpusFile], bool]) -> list[CorpusFile]:
    """Manifest entries for which ``where`` holds, e.g. ``corpus(lambda f: f.relpath.startswith("ofx/"))``."""
    return [f for f in manifest() if where(f)]


def under(folder: str) -> list[CorpusFile]:
    """Manifest entries below ``fixtures/<folder>/``."""
    return corpus(lambda f: f.relpath.startswith(folder.rstrip("/") + "/"))
