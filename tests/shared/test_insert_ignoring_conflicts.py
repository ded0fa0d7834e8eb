"""insert_ignoring_conflicts: each row stored once, whatever the constraint already holds, in the rows' order."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlmodel import col

from shared.db import insert_ignoring_conflicts, session_scope
from shared.models import Partner, PartnerAccount


@pytest.mark.parametrize("count", [3, 1_200])  # few rows: one statement; many: copied through a staging table
def test_rows_already_stored_or_repeated_are_stored_once_and_the_rest_in_order(database_url: str, count: int) -> None:
    table = PartnerAccount.__table__  # type: ignore[attr-defined]
    with session_scope() as session:
        partner = Partner(name="ООО «Ромашка»")
        session.add(partner)
        session.flush()
        pid = partner.id or 0
        insert_ignoring_conflicts(session, table, [{"partner_id": pid, "number": "acc-1"}], ["partner_id", "number"])
    rows = [{"partner_id": pid, "number": f"acc-{n}"} for n in range(count, 0, -1)]
    rows.insert(1, {"partner_id": pid, "number": f"acc-{count}"})  # the same row twice in one batch
    with session_scope() as session:
        insert_ignoring_conflicts(session, table, rows, ["partner_id", "number"])
    with session_scope() as session:
        stored = list(session.scalars(select(col(PartnerAccount.number)).order_by(col(PartnerAccount.id))))
    assert stored == ["acc-1", *[f"acc-{n}" for n in range(count, 1, -1)]]
