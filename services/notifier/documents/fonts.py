"""The TrueType fonts our PDFs embed, so that Cyrillic renders in every viewer.

reportlab's built-in fonts (Helvetica, Times) are Type 1 with a Latin-1 encoding: Cyrillic in
them comes out as black boxes. So we embed a TTF that has the glyphs: DejaVu Sans, which
Debian ships as ``fonts-dejavu-core`` (the CI script installs it), or the file named by
``SVERKA_PDF_FONT_PATH`` (a bold face is looked for beside it as ``<name>-Bold.ttf``).
A missing font is an error that says what to install, never a PDF of boxes.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from shared.config import get_settings

DEFAULT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),  # Fedora, Arch
    Path("/usr/local/share/fonts/dejavu"),
)
REGULAR, BOLD = "SverkaSans", "SverkaSans-Bold"
_lock = threading.Lock()
_registered: tuple[str, str] | None = None


class FontMissing(RuntimeError):
    """No TrueType font with Cyrillic glyphs could be found; PDFs cannot be rendered."""


@dataclass(frozen=True, slots=True)
class FontFiles:
    regular: Path
    bold: Path


def find_fonts(configured: Path | None = None) -> FontFiles:
    """The regular and bold TTF files to embed; raise :class:`FontMissing` naming what to install."""
    if configured is not None:
        if not configured.is_file():
            raise FontMissing(f"SVERKA_PDF_FONT_PATH={configured} does not exist")
        bold = configured.with_name(f"{configured.stem}-Bold{configured.suffix}")
        return FontFiles(configured, bold if bold.is_file() else configured)
    for directory in DEFAULT_DIRS:
        regular = directory / "DejaVuSans.ttf"
        if regular.is_file():
            bold = directory / "DejaVuSans-Bold.ttf"
            return FontFiles(regular, bold if bold.is_file() else regular)
    raise FontMissing(
        "no TrueType font with Cyrillic glyphs found for PDF documents: install DejaVu Sans "
        "(Debian/Ubuntu: apt-get install fonts-dejavu-core) or set SVERKA_PDF_FONT_PATH to a .ttf file"
    )


def register_fonts() -> tuple[str, str]:
    """Register the fonts with reportlab once per process; returns the (regular, bold) font names."""
    global _registered
    with _lock:
        if _registered is None:
            files = find_fonts(get_settings().pdf_font_path)
            pdfmetrics.registerFont(TTFont(REGULAR, str(files.regular)))
            pdfmetrics.registerFont(TTFont(BOLD, str(files.bold)))
            _registered = (REGULAR, BOLD)
        return _registered
