"""The notifier stands alone: the outbox is its only contract with the reconciler."""

from __future__ import annotations

import ast
from pathlib import Path

import services.notifier

NOTIFIER = Path(services.notifier.__file__).parent
FORBIDDEN = "services.reconciler"


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_the_notifier_never_imports_the_reconciler() -> None:
    offenders = {
        str(path.relative_to(NOTIFIER)): sorted(m for m in _imported_modules(path) if m.startswith(FORBIDDEN))
        for path in NOTIFIER.rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}
    assert len(offenders) >= 10  # the scan saw the package
