"""Column helpers shared by the table modules."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator

JsonType = JSON().with_variant(JSONB(), "postgresql")


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in, timezone-aware UTC out, on SQLite (which stores naive) too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def money_column(nullable: bool = False) -> Any:
    return Column(BigInteger, nullable=nullable)


def json_column(nullable: bool = True) -> Any:
    return Column(JsonType, nullable=nullable)


def json_as_written_column(nullable: bool = True) -> Any:
    """JSON kept as its text (``json``, not ``jsonb``, on PostgreSQL), for values read whole.

    ``jsonb`` pays off only for queries inside a value, costs the server a parse into its binary
    form on every write, and writes numbers back in its own form (a float of 1e16 comes back as an
    integer). Bank lines' ``details`` (migration 0015) and the journal's payload (0017, where the
    number form breaks the hash) are never queried inside.
    """
    return Column(JSON, nullable=nullable)


def text_column(nullable: bool = True) -> Any:
    return Column(Text, nullable=nullable)


def utc_column(nullable: bool = False, index: bool = False) -> Any:
    return Column(UtcDateTime(), nullable=nullable, index=index)
