"""Two accountants decide at the same moment: exactly one wins, the other is told who settled it and when.

Real threads, each with its own connection and transaction, released together by a barrier; on
PostgreSQL the row locks order them, on SQLite the database's single writer does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial

import pytest
from sqlmodel import Session

from services.reconciler.review import service
from services.reconciler.review.service import Part
from shared import journal
from shared.db import session_scope
from shared.errors import Conflict
from shared.models import BankTransaction, Invoice
from tests.services.reconciler.review import factories as f


def _race(*decisions: Callable[[Session], object]) -> tuple[list[str], list[Conflict]]:
    barrier = threading.Barrier(len(decisions))
    wins: list[str] = []
    conflicts: list[Conflict] = []
    failures: list[BaseException] = []

    def run(name: str, decide: Callable[[Session], object]) -> None:
        try:
            barrier.wait(timeout=10)
            with session_scope() as s:
                decide(s)
            wins.append(name)
        except Conflict as exc:
            conflicts.append(exc)
        except BaseException as exc:  # anything else is a bug the test must show
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(f"t{i}", d)) for i, d in enumerate(decisions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not failures, failures
    return wins, conflicts


def _confirm(s: Session, *, line_id: int, suggestion_id: int, actor: str) -> list[int]:
    return service.confirm_suggestions(s, line_id, [suggestion_id], actor=actor)


@pytest.mark.parametrize("rounds", [4])
def test_two_accountants_confirming_the_same_line_one_wins(database_url: str, rounds: int) -> None:
    for _ in range(rounds):
        with session_scope() as s:
            acc, p = f.account(s), f.partner(s)
            inv_a, inv_b = f.invoice(s, p, 1000_00), f.invoice(s, p, 1000_00)
            tx = f.line(s, acc, 1000_00)
            sug_a, sug_b = f.suggestion(s, tx, inv_a), f.suggestion(s, tx, inv_b)
            ids = (tx.id or 0, sug_a.id or 0, sug_b.id or 0, inv_a.id or 0, inv_b.id or 0)
        line_id, a, b, ia, ib = ids
        wins, conflicts = _race(
            partial(_confirm, line_id=line_id, suggestion_id=a, actor="anna"),
            partial(_confirm, line_id=line_id, suggestion_id=b, actor="boris"),
        )
        assert len(wins) == 1 and len(conflicts) == 1
        assert "already settled by" in conflicts[0].message
        assert ("anna" if wins[0] == "t0" else "boris") in conflicts[0].message
        with session_scope() as s:
            tx_now = s.get(BankTransaction, line_id)
            paid = sorted(i.paid_minor for i in (s.get(Invoice, ia), s.get(Invoice, ib)) if i)
            assert tx_now and (tx_now.match_status, tx_now.allocated_minor) == ("settled", 1000_00)
            assert paid == [0, 1000_00]
            assert journal.verify(s).ok


def test_two_lines_paying_the_same_invoice_at_once_only_one_settles_it(database_url: str) -> None:
    with session_scope() as s:
        acc, p = f.account(s), f.partner(s)
        inv = f.invoice(s, p, 500_00)
        one, two = f.line(s, acc, 500_00), f.line(s, acc, 500_00)
        ids = (one.id or 0, two.id or 0, inv.id or 0)
    one_id, two_id, inv_id = ids
    wins, conflicts = _race(
        lambda s: service.allocate_manually(s, one_id, [Part(inv_id, 500_00)], actor="anna"),
        lambda s: service.allocate_manually(s, two_id, [Part(inv_id, 500_00)], actor="boris"),
    )
    assert len(wins) == 1 and len(conflicts) == 1
    assert "is already settled by" in conflicts[0].message
    with session_scope() as s:
        invoice = s.get(Invoice, inv_id)
        assert invoice and (invoice.paid_minor, invoice.status) == (500_00, "paid")
        allocated = sorted(
            t.allocated_minor for t in (s.get(BankTransaction, one_id), s.get(BankTransaction, two_id)) if t
        )
        assert allocated == [0, 500_00]
