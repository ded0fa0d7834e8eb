"""The layers stay where the architecture puts them, checked on the source itself.

Adapters know nothing of the services (nor of ``shared``): they turn bank data into plain
values. The notifier never imports the reconciler: it hears about changes through the outbox.
``shared`` serves every service and depends on none.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

RULES = [
    ("adapters", ("services", "shared")),
    ("shared", ("services", "adapters")),
    ("services/notifier", ("services.reconciler",)),
]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize(("package", "forbidden"), RULES, ids=[r[0] for r in RULES])
def test_layer_does_not_import_what_it_must_not_know(package: str, forbidden: tuple[str, ...]):
    offenders = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for name in _imports(path):
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not offenders, "\n".join(offenders)


def test_the_rule_finds_a_violation_when_there_is_one(tmp_path: Path):
    bad = tmp_path / "bad.py"
    bad.write_text("from services.reconciler.cli import main\nimport shared.db\n", encoding="utf-8")
    assert {"services.reconciler.cli", "shared.db"} <= _imports(bad)
