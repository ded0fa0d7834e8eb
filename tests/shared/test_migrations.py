"""The migrations build exactly the tables the models declare, on SQLite and on PostgreSQL.

Alembic compares the migrated database with ``SQLModel.metadata``; the only differences allowed
are the indexes of migrations 0007 (the workspace's) and 0011 (open invoices by outstanding
amount), which exist in the migrations only (several are on expressions, which models do not
declare), and the tables that only triggers write (0013's partner directory version).
"""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Engine

from shared.migrate import MIGRATIONS_DIR
from shared.models import SQLModel


def _migration(revision: str) -> Any:
    path = next((MIGRATIONS_DIR / "versions").glob(f"{revision}_*.py"))
    spec = importlib.util.spec_from_file_location(f"migration_{revision}", Path(path))
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _migration_only_objects() -> set[str]:
    names: set[str] = set()
    for revision in ("0007", "0011"):
        names |= {name for name, _, _ in _migration(revision).INDEXES}
    return names | set(_migration("0013").TABLES)


def _name(diff: Any) -> str | None:
    if isinstance(diff, tuple) and diff and diff[0] in ("add_index", "remove_index", "remove_table"):
        return str(diff[1].name)
    return None


def test_the_migrated_schema_is_the_models_schema(engine: Engine) -> None:
    with engine.connect() as conn, warnings.catch_warnings():
        # SQLite cannot reflect expression indexes (0007's); alembic says so, and skips them.
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
        diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata)
    allowed = _migration_only_objects()
    assert [d for d in diffs if _name(d) not in allowed] == []
