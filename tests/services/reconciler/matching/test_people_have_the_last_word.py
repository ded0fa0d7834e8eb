"""A person's "no" sticks: the matcher never proposes a pair a person declined, nor books one they doubted.

The pure core is told the pairs (``LearnedFacts.declined`` / ``reoffered``); the shell reads them
from what the review workflow leaves behind. Both are specified here, the shell through the real
review service on both databases.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlmodel import col

from services.reconciler.matching import repository
from services.reconciler.matching.service import reconcile
from services.reconciler.matching.types import LearnedFacts
from services.reconciler.review import service as review
from services.reconciler.review.service import Part
from shared import journal
from shared.db import session_scope
from shared.models import Allocation, BankTransaction, Invoice
from tests.services.reconciler.matching.factories import booked, codes, credit, decide_one, invoice, suggested
from tests.services.reconciler.review import factories as f

ANNA = "anna"

# --- the pure core ------------------------------------------------------------------------


def test_a_declined_invoice_is_never_proposed_for_that_line_again() -> None:
    inv = invoice("INV-2026-00042", 1_200_00, id=1)
    line = credit(1_200_00, "Оплата по счету № INV-2026-00042")
    assert booked(decide_one(line, [inv])) == {(1, 1_200_00)}, "without the no it would be booked"
    d = decide_one(line, [inv], learned=LearnedFacts(declined=frozenset({(line.id, 1)})))
    assert d.outcome == "none"
    assert {"declined_before", "nothing_fits"} <= codes(d)


def test_a_no_is_about_one_line_other_lines_still_settle_the_invoice() -> None:
    inv = invoice("INV-2026-00042", 1_200_00, id=1)
    line, other = credit(1_200_00, "Оплата по счету № INV-2026-00042"), credit(1_200_00, "Оплата INV-2026-00042")
    d = decide_one(other, [inv], learned=LearnedFacts(declined=frozenset({(line.id, 1)})))
    assert booked(d) == {(1, 1_200_00)}


def test_the_other_of_two_equal_candidates_is_suggested_not_booked_by_elimination() -> None:
    """Not this one is not that one: the remaining candidate still needs a person."""
    first, second = invoice("INV-7", 500_00, id=1), invoice("INV-8", 500_00, id=2)
    line = credit(500_00, "Оплата за услуги")
    d = decide_one(line, [first, second], learned=LearnedFacts(declined=frozenset({(line.id, 1)})))
    assert d.outcome == "suggest"
    assert suggested(d) == {2}


def test_a_batch_with_a_declined_invoice_in_it_is_not_proposed() -> None:
    a, b = invoice("INV-2026-00051", 300_00, id=1), invoice("INV-2026-00052", 200_00, id=2)
    line = credit(500_00, "Оплата по счетам INV-2026-00051, INV-2026-00052")
    assert booked(decide_one(line, [a, b])) == {(1, 300_00), (2, 200_00)}
    d = decide_one(line, [a, b], learned=LearnedFacts(declined=frozenset({(line.id, 2)})))
    assert 2 not in suggested(d) and booked(d) == set()


def test_a_pair_offered_again_by_a_person_is_suggested_never_booked() -> None:
    inv = invoice("INV-2026-00042", 1_200_00, id=1)
    line = credit(1_200_00, "Оплата по счету № INV-2026-00042")
    d = decide_one(line, [inv], learned=LearnedFacts(reoffered=frozenset({(line.id, 1)})))
    assert d.outcome == "suggest"
    assert suggested(d) == {1}
    assert "declined_then_reoffered" in codes(d)


# --- the shell, through the review workflow ----------------------------------------------------


@pytest.fixture
def books(database_url: str) -> dict[str, int]:
    """Romashka owes two invoices of the same amount; it pays one, naming it."""
    with session_scope() as s:
        acc = f.account(s)
        p = f.partner(s)
        named = f.invoice(s, p, 1200_00, number="INV-2026-00042")
        twin = f.invoice(s, p, 1200_00, number="INV-2026-00043")
        tx = f.line(s, acc, 1200_00, counterparty_tax_id=p.inn, purpose="Оплата по счету № INV-2026-00042")
        return {"line": tx.id or 0, "named": named.id or 0, "twin": twin.id or 0}


def _active(line_id: int) -> list[tuple[str, int]]:
    with session_scope() as s:
        rows = s.scalars(
            select(Allocation)
            .where(col(Allocation.transaction_id) == line_id, col(Allocation.reversed_at).is_(None))
            .order_by(col(Allocation.id))
        )
        return [(a.kind, a.invoice_id) for a in rows]


def _auto_allocation(line_id: int) -> int:
    with session_scope() as s:
        return s.scalars(
            select(Allocation.id).where(col(Allocation.transaction_id) == line_id, col(Allocation.kind) == "auto")
        ).one()


def test_an_undone_automatic_allocation_is_not_made_again_and_the_line_may_go_elsewhere(
    books: dict[str, int],
) -> None:
    with session_scope() as s:
        assert reconcile(s).auto == 1
    assert _active(books["line"]) == [("auto", books["named"])]
    with session_scope() as s:
        review.reverse_allocation(s, _auto_allocation(books["line"]), actor=ANNA, reason="this is the April one")
    with session_scope() as s:
        summary = reconcile(s)
    assert summary.auto == 0
    assert _active(books["line"]) == [("suggested", books["twin"])], "not that invoice; the other is offered"
    with session_scope() as s:
        line = s.get(BankTransaction, books["line"])
        named = s.get(Invoice, books["named"])
        assert line and (line.match_status, line.allocated_minor) == ("suggested", 0)
        assert named and (named.status, named.paid_minor) == ("open", 0)
        assert journal.verify(s).ok


def test_a_person_who_changes_their_mind_can_still_allocate_the_declined_pair_by_hand(
    books: dict[str, int],
) -> None:
    with session_scope() as s:
        reconcile(s)
    with session_scope() as s:
        review.reverse_allocation(s, _auto_allocation(books["line"]), actor=ANNA, reason="not sure yet")
    with session_scope() as s:
        reconcile(s)
    with session_scope() as s:
        review.allocate_manually(s, books["line"], [Part(books["named"], 1200_00)], actor=ANNA, reason="it was")
    assert _active(books["line"]) == [("manual", books["named"])]
    with session_scope() as s:
        assert repository.people_decisions(s) == (frozenset(), frozenset()), "a settled line is not re-matched"
        assert reconcile(s).lines == 0


def test_a_rejected_suggestion_is_not_offered_again_until_a_person_reinstates_it(books: dict[str, int]) -> None:
    with session_scope() as s:
        tx = s.get(BankTransaction, books["line"])
        assert tx is not None
        tx.purpose = "Оплата по счету"  # nothing named: the two invoices are equally likely
        s.add(tx)
    with session_scope() as s:
        reconcile(s)
    assert {inv for _, inv in _active(books["line"])} == {books["named"], books["twin"]}
    with session_scope() as s:
        rejected = s.scalars(
            select(Allocation.id).where(
                col(Allocation.invoice_id) == books["twin"], col(Allocation.reversed_at).is_(None)
            )
        ).one()
        review.reject_suggestion(s, rejected, actor=ANNA, reason="the twin is for another shop")
    with session_scope() as s:
        reconcile(s)
    assert _active(books["line"]) == [("suggested", books["named"])]
    with session_scope() as s:
        review.reinstate_suggestion(s, rejected, actor=ANNA)
    with session_scope() as s:
        assert repository.people_decisions(s) == (frozenset(), frozenset({(books["line"], books["twin"])}))
        reconcile(s)
    assert sorted(inv for _, inv in _active(books["line"])) == sorted([books["named"], books["twin"]])


def test_undoing_a_confirmation_re_offers_the_pair_but_the_matcher_never_books_it(books: dict[str, int]) -> None:
    with session_scope() as s:
        tx = s.get(BankTransaction, books["line"])
        assert tx is not None
        suggestion = f.suggestion(s, tx, s.get(Invoice, books["named"]), confidence=0.85)  # type: ignore[arg-type]
        suggestion_id = suggestion.id or 0
    with session_scope() as s:
        [confirmed] = review.confirm_suggestions(s, books["line"], [suggestion_id], actor=ANNA)
    with session_scope() as s:
        review.reverse_allocation(s, confirmed, actor=ANNA, reason="clicked too fast")
    with session_scope() as s:
        assert reconcile(s).auto == 0, "the named invoice would be booked at 0.99 had nobody doubted it"
        reasons = s.scalars(
            select(Allocation.reasons).where(
                col(Allocation.transaction_id) == books["line"],
                col(Allocation.reversed_at).is_(None),
                col(Allocation.created_by) == "system:matcher",
            )
        ).all()
    assert sorted(_active(books["line"])) == [("suggested", books["named"]), ("suggested", books["twin"])]
    assert any(r["code"] == "reference_exact" for rs in reasons for r in rs), "offered for what it is"
