"""Session-wide fixtures: real databases (SQLite and PostgreSQL) with migrations applied.

Tests that take ``database_url`` run twice, once per database, each on a fresh database: a
SQLite file, or a PostgreSQL database cloned from a migrated template (fast, and lets the code
under test commit exactly as it does in production).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from shared import db as shared_db
from shared.config import get_settings
from shared.migrate import upgrade
from tests.servers import postgres_server, redis_server

_TEMPLATE = "sverka_template"
_counter = itertools.count(1)


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    """A running PostgreSQL with a migrated template database."""
    with postgres_server() as url:
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {_TEMPLATE}"))
        template = create_engine(make_url(url).set(database=_TEMPLATE))
        upgrade(template)
        template.dispose()
        admin.dispose()
        yield url
        shared_db.dispose_engines()


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


def _fresh_postgres(admin_url: str) -> str:
    name = f"sverka_test_{next(_counter)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name} TEMPLATE {_TEMPLATE}"))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh, migrated database, configured as SVERKA_DATABASE_URL for the code under test."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'sverka.db'}"
        engine = shared_db.make_engine(url)
        upgrade(engine)
        engine.dispose()
    else:
        url = _fresh_postgres(request.getfixturevalue("postgres_admin_url"))
    monkeypatch.setenv("SVERKA_DATABASE_URL", url)
    monkeypatch.setenv("SVERKA_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("SVERKA_REDIS_URL", raising=False)
    get_settings.cache_clear()
    shared_db.dispose_engines()
    yield url
    shared_db.dispose_engines()
    get_settings.cache_clear()


@pytest.fixture
def engine(database_url: str) -> Engine:
    return shared_db.get_engine()
