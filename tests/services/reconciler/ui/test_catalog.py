"""Every word the workspace shows exists in Russian and in English."""

from __future__ import annotations

import re
from pathlib import Path

from services.reconciler.ui.i18n import CATALOG, LANGUAGES

UI_DIR = Path(__file__).resolve().parents[4] / "services" / "reconciler" / "ui"
# t("key") with a literal key; keys built at render time (t("status." ~ s)) are checked by prefix below.
LITERAL = re.compile(r"""\bt\(\s*["']([a-z_]+(?:\.[a-z_]+)*)["']""")
PREFIXED = re.compile(r"""\bt\(\s*["']([a-z_]+\.)["']\s*~""")


def _sources() -> list[str]:
    files = [*UI_DIR.glob("templates/*.html"), *UI_DIR.glob("*.py")]
    return [f.read_text(encoding="utf-8") for f in files]


def test_every_literal_key_in_the_templates_is_in_both_languages() -> None:
    used = {key for text in _sources() for key in LITERAL.findall(text)}
    assert len(used) > 100
    missing = sorted(k for k in used if k not in CATALOG)
    assert missing == []


def test_every_catalog_entry_has_both_languages_and_the_same_placeholders() -> None:
    for key, words in CATALOG.items():
        assert set(words) == set(LANGUAGES), key
        assert set(re.findall(r"{(\w+)}", words["ru"])) == set(re.findall(r"{(\w+)}", words["en"])), key


def test_every_prefix_used_with_a_computed_key_has_entries() -> None:
    prefixes = {p for text in _sources() for p in PREFIXED.findall(text)}
    assert {"status.", "role.", "trigger.", "group.", "direction.", "invoice_status."} <= prefixes
    for prefix in prefixes:
        assert any(k.startswith(prefix) for k in CATALOG), prefix
