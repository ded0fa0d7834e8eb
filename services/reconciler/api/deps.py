"""Request-scoped dependencies: the unit of work commits when the handler returns without error."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends
from sqlmodel import Session

from shared.db import session_scope


def db_session() -> Iterator[Session]:
    with session_scope() as session:
        yield session


DbSession = Annotated[Session, Depends(db_session, scope="function")]

# Until accounts and API keys land, the API acts as one service identity.
API_ACTOR = "api"
