"""Alembic environment: runs on the connection handed in by ``shared.migrate``, or on the settings' URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

import shared.models
from shared.config import get_settings
from shared.db import make_engine

target_metadata = shared.models.SQLModel.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    with make_engine(get_settings().effective_database_url).connect() as conn:
        _run(conn)
        conn.commit()
