"""Review decisions on both databases: each decision, its undo, the rules, and the journal they leave."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlmodel import Session, col

from services.reconciler.review import service
from services.reconciler.review.service import Part
from shared import journal
from shared.db import session_scope
from shared.errors import Conflict, InvalidInput
from shared.models import Allocation, BankAccount, BankTransaction, Invoice, JournalEvent, LearnedAccount
from tests.services.reconciler.review import factories as f

ANNA = "anna"
BORIS = "boris"


def _state(line_id: int, *invoice_ids: int) -> tuple[tuple[str, int], list[tuple[str, int]]]:
    with session_scope() as s:
        tx = s.get(BankTransaction, line_id)
        assert tx is not None
        invoices = [s.get(Invoice, i) for i in invoice_ids]
        return (tx.match_status, tx.allocated_minor), [(i.status, i.paid_minor) for i in invoices if i]


def _actions(s: Session) -> list[tuple[str, str]]:
    return [(e.actor, e.action) for e in s.scalars(select(JournalEvent).order_by(col(JournalEvent.seq)))]


@pytest.fixture
def books(database_url: str) -> dict[str, int]:
    with session_scope() as s:
        acc = f.account(s)
        p = f.partner(s)
        inv = f.invoice(s, p, 1500_00)
        other = f.invoice(s, p, 800_00)
        payable = f.invoice(s, p, 1500_00, direction="payable")
        tx = f.line(s, acc, 1500_00)
        sug = f.suggestion(s, tx, inv, confidence=0.8)
        f.suggestion(s, tx, other, 800_00, confidence=0.4)
        ids = {
            "line": tx.id,
            "invoice": inv.id,
            "other": other.id,
            "suggestion": sug.id,
            "payable": payable.id,
            "account": acc.id,
            "partner": p.id,
        }
        return {k: v or 0 for k, v in ids.items()}


def test_confirming_a_suggestion_settles_both_sides_journals_it_and_learns_the_payer(books: dict[str, int]) -> None:
    with session_scope() as s:
        [allocation_id] = service.confirm_suggestions(s, books["line"], [books["suggestion"]], actor=ANNA)
    assert _state(books["line"], books["invoice"]) == (("settled", 1500_00), [("paid", 1500_00)])
    with session_scope() as s:
        confirmed = s.get(Allocation, allocation_id)
        assert confirmed and (confirmed.kind, confirmed.created_by) == ("confirmed", ANNA)
        original = s.get(Allocation, books["suggestion"])
        assert original and original.reversed_by == ANNA and "confirmed" in (original.reversal_reason or "")
        leftover = s.scalars(
            select(Allocation).where(col(Allocation.kind) == "suggested", col(Allocation.reversed_at).is_(None))
        ).all()
        assert leftover == [], "a settled line offers no more suggestions"
        assert (ANNA, "allocation.confirmed") in _actions(s)
        learned = s.scalars(select(LearnedAccount)).one()
        assert (learned.account_number, learned.partner_id) == ("40702810000000000099", books["partner"])
        assert journal.verify(s).ok


def test_undoing_a_confirmation_returns_the_money_and_offers_the_suggestion_again(books: dict[str, int]) -> None:
    with session_scope() as s:
        [allocation_id] = service.confirm_suggestions(s, books["line"], [books["suggestion"]], actor=ANNA)
    with session_scope() as s, pytest.raises(InvalidInput, match="reason"):
        service.reverse_allocation(s, allocation_id, actor=ANNA, reason=" ")
    with session_scope() as s:
        service.reverse_allocation(s, allocation_id, actor=ANNA, reason="wrong partner")
    assert _state(books["line"], books["invoice"]) == (("suggested", 0), [("open", 0)])
    with session_scope() as s:
        row = s.get(Allocation, allocation_id)
        assert row and row.reversed_by == ANNA and row.reversal_reason == "wrong partner"
        offered = s.scalars(
            select(Allocation).where(col(Allocation.kind) == "suggested", col(Allocation.reversed_at).is_(None))
        ).all()
        assert [a.invoice_id for a in offered] == [books["invoice"]]
        assert _actions(s)[-1] == (ANNA, "allocation.reversed")
    with session_scope() as s, pytest.raises(Conflict, match="already undone by anna"):
        service.reverse_allocation(s, allocation_id, actor=BORIS, reason="again")


def test_rejecting_needs_a_reason_and_its_undo_offers_the_suggestion_again(books: dict[str, int]) -> None:
    with session_scope() as s, pytest.raises(InvalidInput):
        service.reject_suggestion(s, books["suggestion"], actor=ANNA, reason="")
    with session_scope() as s:
        service.reject_suggestion(s, books["suggestion"], actor=ANNA, reason="that invoice is for March")
    with session_scope() as s:
        assert s.get(BankTransaction, books["line"]).match_status == "suggested"  # type: ignore[union-attr]
        assert _actions(s)[-1] == (ANNA, "suggestion.rejected")
    with session_scope() as s, pytest.raises(Conflict, match="already decided by anna"):
        service.confirm_suggestions(s, books["line"], [books["suggestion"]], actor=BORIS)
    with session_scope() as s:
        new_id = service.reinstate_suggestion(s, books["suggestion"], actor=ANNA)
    with session_scope() as s:
        service.confirm_suggestions(s, books["line"], [new_id], actor=BORIS)
    assert _state(books["line"], books["invoice"])[0] == ("settled", 1500_00)


def test_one_payment_can_be_split_over_several_invoices_in_part(books: dict[str, int]) -> None:
    with session_scope() as s:
        ids = service.allocate_manually(
            s,
            books["line"],
            [Part(books["invoice"], 700_00), Part(books["other"], 800_00)],
            actor=ANNA,
            reason="customer's letter of 12 March",
        )
    assert len(ids) == 2
    assert _state(books["line"], books["invoice"], books["other"]) == (
        ("settled", 1500_00),
        [("partially_paid", 700_00), ("paid", 800_00)],
    )
    with session_scope() as s:
        service.reverse_allocation(s, ids[1], actor=ANNA, reason="split was wrong")
    assert _state(books["line"], books["other"]) == (("partially_settled", 700_00), [("open", 0)])
    with session_scope() as s:
        assert [a for _, a in _actions(s)].count("allocation.manual") == 2
        assert journal.verify(s).ok


def test_a_line_never_carries_more_than_its_amount(books: dict[str, int]) -> None:
    with session_scope() as s, pytest.raises(InvalidInput, match="more than the payment"):
        service.allocate_manually(
            s, books["line"], [Part(books["invoice"], 1000_00), Part(books["other"], 600_00)], actor=ANNA
        )
    with session_scope() as s:
        service.allocate_manually(s, books["line"], [Part(books["invoice"], 1000_00)], actor=ANNA)
    with session_scope() as s, pytest.raises(Conflict, match="already settled by anna"):
        service.allocate_manually(s, books["line"], [Part(books["other"], 600_00)], actor=BORIS)
    assert _state(books["line"])[0] == ("partially_settled", 1000_00)


def test_an_invoice_is_never_paid_past_its_amount_by_hand(books: dict[str, int]) -> None:
    with session_scope() as s:
        second = f.line(s, s.get(BankAccount, books["account"]), 800_00).id  # type: ignore[arg-type]
    with session_scope() as s:
        service.allocate_manually(s, books["line"], [Part(books["other"], 800_00)], actor=ANNA)
    with session_scope() as s, pytest.raises(Conflict, match=r"invoice INV-\d+ is already settled by anna"):
        service.allocate_manually(s, second or 0, [Part(books["other"], 800_00)], actor=BORIS)


def test_currencies_must_match_and_credits_settle_receivables_only(books: dict[str, int]) -> None:
    with session_scope() as s, pytest.raises(InvalidInput, match="receivable"):
        service.allocate_manually(s, books["line"], [Part(books["payable"], 100_00)], actor=ANNA)
    with session_scope() as s:
        usd = f.line(s, s.get(BankAccount, books["account"]), 100_00, currency="USD").id  # type: ignore[arg-type]
    with session_scope() as s, pytest.raises(InvalidInput, match="USD"):
        service.allocate_manually(s, usd or 0, [Part(books["invoice"], 100_00)], actor=ANNA)
    with session_scope() as s:
        debit = f.line(s, s.get(BankAccount, books["account"]), -1500_00).id  # type: ignore[arg-type]
    with session_scope() as s, pytest.raises(InvalidInput, match="payable"):
        service.allocate_manually(s, debit or 0, [Part(books["invoice"], 100_00)], actor=ANNA)
    with session_scope() as s:
        service.allocate_manually(s, debit or 0, [Part(books["payable"], 1500_00)], actor=ANNA)
    assert _state(debit or 0, books["payable"]) == (("settled", 1500_00), [("paid", 1500_00)])


def test_ignoring_a_line_needs_a_known_reason_and_its_undo_reopens_it(books: dict[str, int]) -> None:
    with session_scope() as s, pytest.raises(InvalidInput):
        service.ignore_line(s, books["line"], "whatever", actor=ANNA)
    with session_scope() as s, pytest.raises(InvalidInput):
        service.ignore_line(s, books["line"], "other", actor=ANNA, note="")
    with session_scope() as s:
        service.ignore_line(s, books["line"], "refund", actor=ANNA, note="returned goods")
    assert _state(books["line"])[0] == ("ignored", 0)
    with session_scope() as s, pytest.raises(Conflict, match="not an invoice payment"):
        service.allocate_manually(s, books["line"], [Part(books["invoice"], 100_00)], actor=BORIS)
    with session_scope() as s:
        event = s.scalars(select(JournalEvent).where(col(JournalEvent.action) == "payment.ignored")).one()
        assert event.actor == ANNA and event.after and event.after["category"] == "refund"
    with session_scope() as s:
        service.unignore_line(s, books["line"], actor=BORIS, reason="it was a payment after all")
    assert _state(books["line"])[0] == ("suggested", 0), "the suggestions it had are offered again"


def test_a_line_with_money_on_it_cannot_be_ignored(books: dict[str, int]) -> None:
    with session_scope() as s:
        service.allocate_manually(s, books["line"], [Part(books["invoice"], 100_00)], actor=ANNA)
    with session_scope() as s, pytest.raises(Conflict, match="cannot be ignored"):
        service.ignore_line(s, books["line"], "bank_fee", actor=BORIS)
