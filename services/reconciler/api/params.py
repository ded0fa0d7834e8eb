"""Parameter types shared by the ``/v1`` routes: row ids within what the databases can hold.

An id beyond a 32-bit integer can name no row (``id`` columns are INTEGER on PostgreSQL) and would
make the database refuse the query; declaring the bound rejects it with 422 before any query and
tells clients (and the OpenAPI document) the range.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

MAX_ID = 2**31 - 1

RowId = Annotated[int, Path(ge=1, le=MAX_ID)]
