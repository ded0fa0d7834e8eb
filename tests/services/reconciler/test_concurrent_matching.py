"""Two matcher runs at the same moment (two workers, or the API's and the CLI's) settle each line once."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from services.reconciler.billing.schemas import InvoiceIn
from services.reconciler.billing.service import upsert_invoices
from services.reconciler.intake.service import import_statement_file
from services.reconciler.matching.service import reconcile
from shared.db import session_scope
from shared.models import Allocation, BankTransaction
from tests.services.reconciler.api.test_api_flow import CAMT, INVOICE


def test_concurrent_runs_allocate_each_payment_once(database_url: str) -> None:
    with session_scope() as session:
        upsert_invoices(session, [InvoiceIn.model_validate(INVOICE)], actor="test")
        import_statement_file(session, CAMT.encode(), "may.xml", actor="test")
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def run() -> None:
        try:
            start.wait()
            with session_scope() as session:
                reconcile(session)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    with session_scope() as session:
        assert session.execute(select(func.count()).select_from(Allocation)).scalar_one() == 1
        line = session.scalars(select(BankTransaction)).one()
        assert (line.allocated_minor, line.match_status) == (150000, "settled")
