"""Request-scoped dependencies: the unit of work commits when the handler returns without error.

A request made with a partner's key runs with that partner bound to its database transaction
(:func:`bind_partner`): on PostgreSQL the row-level security policies of migration 0008 then
confine every query of the request to that partner's rows, whatever the query's own conditions.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlmodel import Session

from shared.db import is_postgres, session_scope

# The per-transaction setting the row-level security policies read; unset or '' = internal caller.
PARTNER_SETTING = "sverka.partner_id"
_SET_PARTNER = text(f"SELECT set_config('{PARTNER_SETTING}', :partner, true)")


def db_session() -> Iterator[Session]:
    with session_scope() as session:
        yield session


DbSession = Annotated[Session, Depends(db_session, scope="function")]


def bind_partner(session: Session, partner_id: int) -> None:
    """Confine ``session`` to ``partner_id``'s rows from now on (PostgreSQL; SQLite has no RLS).

    ``set_config(…, true)`` lasts until the transaction ends, so it never leaks to the next user of
    the pooled connection; a listener sets it again at the start of any later transaction of this
    session, so a commit in the middle of a request cannot turn it back into an internal caller.
    """
    if not is_postgres(session):
        return
    value = {"partner": str(partner_id)}

    def _on_begin(_session: Session, _transaction: Any, connection: Connection) -> None:
        connection.execute(_SET_PARTNER, value)

    event.listen(session, "after_begin", _on_begin)
    session.execute(_SET_PARTNER, value)


# Until accounts and API keys land, the API acts as one service identity.
API_ACTOR = "api"
