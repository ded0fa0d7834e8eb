"""Cursor pagination with a stable order: keyset, never OFFSET.

A page is ``{"data": [...], "has_more": bool, "next_cursor": str | null}``. The cursor is opaque
to clients (base64url of the ordering's name and the last row's sort key); the next page is the
rows strictly after that key in the same order. Because the order ends with the primary key, it
is total: a row that existed when listing began is returned exactly once however many rows are
inserted meanwhile (new rows sort after the ones already read when ordered by id; OFFSET would
shift and repeat or skip).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, Field
from sqlalchemy import Select, and_, or_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from shared.errors import InvalidInput

T = TypeVar("T")
Row = TypeVar("Row")

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


class Page(BaseModel, Generic[T]):
    data: list[T]
    has_more: bool = Field(description="True when another page follows.")
    next_cursor: str | None = Field(description="Pass as `cursor` to get the next page; null on the last page.")


@dataclass(frozen=True, slots=True)
class SortKey:
    """One column of an ordering and how its value travels in a cursor."""

    column: Any
    kind: Literal["int", "datetime", "str"]


@dataclass(frozen=True, slots=True)
class Ordering:
    """A named total order (its last key is the primary key) and how to read a row's key."""

    name: str
    keys: tuple[SortKey, ...]
    key_of: Callable[[Any], tuple[Any, ...]]


def _encode(ordering: Ordering, values: tuple[Any, ...]) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    raw = json.dumps([ordering.name, plain], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(ordering: Ordering, cursor: str) -> tuple[Any, ...]:
    bad = InvalidInput("this cursor is not one this list gave out (or belongs to another order)", field="cursor")
    try:
        name, values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error, TypeError) as exc:
        raise bad from exc
    if name != ordering.name or not isinstance(values, list) or len(values) != len(ordering.keys):
        raise bad
    decoded: list[Any] = []
    for key, value in zip(ordering.keys, values, strict=True):
        try:
            if (key.kind == "int" and isinstance(value, int) and not isinstance(value, bool)) or (
                key.kind == "str" and isinstance(value, str)
            ):
                decoded.append(value)
            elif key.kind == "datetime" and isinstance(value, str):
                when = datetime.fromisoformat(value)
                if when.tzinfo is None:
                    raise bad
                decoded.append(when)
            else:
                raise bad
        except ValueError as exc:
            raise bad from exc
    return tuple(decoded)


def _after(keys: Sequence[SortKey], values: Sequence[Any]) -> ColumnElement[bool]:
    """(k1, k2, …) > (v1, v2, …) spelled out, which both SQLite and PostgreSQL plan with indexes."""
    clauses: list[ColumnElement[bool]] = []
    for i, key in enumerate(keys):
        equal = [keys[j].column == values[j] for j in range(i)]
        clauses.append(and_(*equal, key.column > values[i]))
    return or_(*clauses)


def paginate(
    session: Session, query: Select[Any], ordering: Ordering, cursor: str | None, limit: int
) -> tuple[list[Any], bool, str | None]:
    """Run ``query`` for one page in ``ordering``: (rows, has_more, next_cursor)."""
    if cursor:
        query = query.where(_after(ordering.keys, _decode(ordering, cursor)))
    query = query.order_by(*(k.column for k in ordering.keys)).limit(limit + 1)
    rows = list(session.scalars(query))
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = _encode(ordering, ordering.key_of(rows[-1])) if has_more and rows else None
    return rows, has_more, next_cursor
