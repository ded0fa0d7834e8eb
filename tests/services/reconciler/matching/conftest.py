"""Fixtures shared by the matcher's tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from shared import db as shared_db
from shared.migrate import upgrade


@pytest.fixture
def second_sqlite(tmp_path: Path) -> Iterator[Engine]:
    """A second migrated SQLite database, for running the same world two ways and comparing the books."""
    engine = shared_db.make_engine(f"sqlite:///{tmp_path / 'second.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()
