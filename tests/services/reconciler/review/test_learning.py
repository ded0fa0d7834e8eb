"""What an accountant's allocation teaches, through the real review service and matcher, on both databases.

Romashka pays invoice INV-2026-00005 (3 000.00) in installments and writes its own order code,
"по заказу ZK-77812", never our number. Once a person allocated one installment, the next one
settles itself (``reference_learned``); Vektor writing the same code, or Romashka repeating the
date and the amount, does not. A person's undo or rejection takes the lesson back as far as
booking goes: the code is only suggested from then on.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select
from sqlmodel import Session, col

from services.reconciler.matching import repository as matching_repository
from services.reconciler.matching.service import reconcile
from services.reconciler.review import service as review
from services.reconciler.review.service import Part
from shared import journal
from shared.db import session_scope
from shared.models import (
    Allocation,
    BankAccount,
    BankTransaction,
    Contract,
    Invoice,
    JournalEvent,
    LearnedAccount,
    LearnedReference,
    Partner,
)
from tests.services.reconciler.review import factories as f

ANNA = "anna"
FIRST = "Оплата по заказу ZK-77812 от 05.03.2026, сумма 1 000,00 руб., в т.ч. НДС 20% 166,67 руб."


@dataclass
class World:
    account: int
    romashka: int
    romashka_inn: str
    vektor: int
    vektor_inn: str
    inv5: int
    inv6: int
    vektors: int


@pytest.fixture
def world(database_url: str) -> World:
    with session_scope() as s:
        acc = f.account(s)
        romashka, vektor = f.partner(s), f.partner(s, 'АО "Вектор"')
        inv5 = f.invoice(s, romashka, 3000_00, number="INV-2026-00005")
        inv6 = f.invoice(s, romashka, 500_00, number="INV-2026-00006")
        vektors = f.invoice(s, vektor, 1000_00, number="INV-2026-00007")
        ids = (acc.id, romashka.id, vektor.id, inv5.id, inv6.id, vektors.id)
        return World(
            *(i or 0 for i in ids[:2]),
            romashka.inn or "",
            ids[2] or 0,
            vektor.inn or "",
            *(i or 0 for i in ids[3:]),
        )


def _line(s: Session, w: World, amount: int, purpose: str, payer: str | None = "romashka", **kw: object) -> int:
    acc = s.get(BankAccount, w.account)
    assert acc is not None
    tax_id = {"romashka": w.romashka_inn, "vektor": w.vektor_inn, None: None}[payer]
    fields = {"counterparty_tax_id": tax_id, "purpose": purpose, **kw}
    return f.line(s, acc, amount, **fields).id or 0  # type: ignore[arg-type]


def _allocations(line_id: int) -> list[tuple[str, int, int, set[str]]]:
    with session_scope() as s:
        rows = s.scalars(
            select(Allocation)
            .where(col(Allocation.transaction_id) == line_id, col(Allocation.reversed_at).is_(None))
            .order_by(col(Allocation.id))
        )
        return [(a.kind, a.invoice_id, a.amount_minor, {r["code"] for r in a.reasons}) for a in rows]


def _lessons() -> list[tuple[int, str, int, bool, bool]]:
    with session_scope() as s:
        rows = s.scalars(select(LearnedReference).order_by(col(LearnedReference.id)))
        return [
            (r.partner_id, r.alias, r.invoice_id, r.written_for_other_invoices, r.doubted_at is not None) for r in rows
        ]


def _events(action: str) -> list[JournalEvent]:
    with session_scope() as s:
        return list(s.scalars(select(JournalEvent).where(col(JournalEvent.action) == action)))


def _teach_by_confirming(w: World) -> int:
    """Anna confirms the suggestion that the first installment is part of INV-2026-00005."""
    with session_scope() as s:
        line = s.get(BankTransaction, _line(s, w, 1000_00, FIRST))
        suggestion = f.suggestion(s, line, s.get(Invoice, w.inv5), 1000_00, confidence=0.7)  # type: ignore[arg-type]
        line_id, suggestion_id = line.id or 0, suggestion.id or 0  # type: ignore[union-attr]
    with session_scope() as s:
        [allocation] = review.confirm_suggestions(s, line_id, [suggestion_id], actor=ANNA)
    return allocation


def test_a_confirmed_installment_teaches_the_order_code_and_the_next_one_settles_itself(world: World) -> None:
    taught_by = _teach_by_confirming(world)
    assert _lessons() == [(world.romashka, "ZK77812", world.inv5, False, False)], "the code, not the date or sum"
    [event] = _events("learned_reference.created")
    assert event.actor == ANNA
    assert event.after and event.after["learned_from_allocation_id"] == taught_by
    assert (event.after["written"], event.after["invoice_no"]) == ("ZK-77812", "INV-2026-00005")

    with session_scope() as s:
        second = _line(s, world, 1000_00, "ZK-77812, второй платеж")
        vektor = _line(s, world, 1000_00, "Оплата по заказу ZK-77812", payer="vektor")
        same_date_and_sum = _line(s, world, 777_00, "Оплата от 05.03.2026, сумма 1 000,00 руб.")
    with session_scope() as s:
        reconcile(s)
    [(kind, invoice, amount, reasons)] = _allocations(second)
    assert (kind, invoice, amount) == ("auto", world.inv5, 1000_00)
    assert {"reference_learned", "partial_payment", "payer_tax_id"} <= reasons
    assert all(inv != world.inv5 and "reference_learned" not in r for _, inv, _, r in _allocations(vektor))
    assert _allocations(same_date_and_sum) == []
    with session_scope() as s:
        inv5 = s.get(Invoice, world.inv5)
        assert inv5 and (inv5.status, inv5.paid_minor) == ("partially_paid", 2000_00)
        assert journal.verify(s).ok


def test_a_manual_allocation_teaches_the_code_and_the_payers_account(world: World) -> None:
    """A payment from an account nobody knew, without INN: by hand to the invoice it names by its code."""
    unknown = {"counterparty_account": "40817810000000000777", "counterparty_name": "Иванов Иван Иванович"}
    with session_scope() as s:
        first = _line(s, world, 1000_00, FIRST, payer=None, **unknown)
    with session_scope() as s:
        reconcile(s)
    assert all(kind == "suggested" for kind, *_ in _allocations(first)), "nothing to go on yet but the amount"
    with session_scope() as s:
        [manual] = review.allocate_manually(s, first, [Part(world.inv5, 1000_00)], actor=ANNA, reason="звонил")
    assert _lessons() == [(world.romashka, "ZK77812", world.inv5, False, False)]
    with session_scope() as s:
        account = s.scalars(select(LearnedAccount)).one()
        assert (account.account_number, account.partner_id) == ("40817810000000000777", world.romashka)
        assert account.learned_from_allocation_id == manual
    [event] = _events("learned_account.created")
    assert event.actor == ANNA and event.after and event.after["learned_from_allocation_id"] == manual

    with session_scope() as s:
        second = _line(s, world, 1500_00, "по заказу ZK-77812", payer=None, **unknown)
    with session_scope() as s:
        reconcile(s)
    [(kind, invoice, _, reasons)] = _allocations(second)
    assert (kind, invoice) == ("auto", world.inv5)
    assert {"payer_learned_account", "reference_learned"} <= reasons


def test_a_payment_split_over_invoices_teaches_no_code(world: World) -> None:
    with session_scope() as s:
        line = _line(s, world, 1500_00, FIRST)
    with session_scope() as s:
        review.allocate_manually(s, line, [Part(world.inv5, 1000_00), Part(world.inv6, 500_00)], actor=ANNA)
    assert _lessons() == [], "which invoice ZK-77812 belongs to, the payment does not say"


def test_an_invoice_that_takes_only_part_of_the_payment_teaches_nothing_unless_the_purpose_names_it(
    world: World,
) -> None:
    with session_scope() as s:
        vague = _line(s, world, 1500_00, FIRST)
        named = _line(s, world, 1500_00, "Оплата по счету INV-2026-00006, заказ ZK-20431")
    with session_scope() as s:
        review.allocate_manually(s, vague, [Part(world.inv5, 1000_00)], actor=ANNA)
        review.allocate_manually(s, named, [Part(world.inv6, 500_00)], actor=ANNA)
    assert _lessons() == [(world.romashka, "ZK20431", world.inv6, False, False)]


def test_a_third_partys_account_is_not_learned_for_the_partner(world: World) -> None:
    """The payer's INN is not Romashka's: another company paid for it, from its own account."""
    with session_scope() as s:
        line = _line(s, world, 1000_00, FIRST, payer="vektor", counterparty_account="40702810000000000555")
    with session_scope() as s:
        review.allocate_manually(s, line, [Part(world.inv5, 1000_00)], actor=ANNA)
    with session_scope() as s:
        assert s.scalars(select(LearnedAccount)).all() == []


def test_a_code_the_partner_wrote_when_paying_other_invoices_is_its_standing_reference(world: World) -> None:
    with session_scope() as s:
        earlier = _line(s, world, 500_00, "Оплата по счету INV-2026-00006 по дог. ZK-2024")
        later = _line(s, world, 1000_00, "по дог. ZK-2024 заказ ZK-77812")
    with session_scope() as s:
        reconcile(s)
    assert [a[:2] for a in _allocations(earlier)] == [("auto", world.inv6)]
    with session_scope() as s:
        review.allocate_manually(s, later, [Part(world.inv5, 1000_00)], actor=ANNA)
    assert sorted(_lessons()) == [
        (world.romashka, "ZK2024", world.inv5, True, False),
        (world.romashka, "ZK77812", world.inv5, False, False),
    ]
    with session_scope() as s:
        facts = {r.alias: r for r in matching_repository.learned_facts(s).references}
    assert facts["ZK77812"].points_at == world.inv5
    assert facts["ZK2024"].points_at is None


def test_a_code_taught_on_two_invoices_of_one_contract_stands_for_the_contract(world: World) -> None:
    with session_scope() as s:
        romashka = s.get(Partner, world.romashka)
        assert romashka is not None
        ours, theirs = (
            Contract(partner_id=world.romashka, number="Д-00077"),
            Contract(partner_id=world.romashka, number="Д-00078"),
        )
        s.add_all([ours, theirs])
        s.flush()
        taught = [f.invoice(s, romashka, 200_00, contract_id=ours.id) for _ in range(2)]
        mine = f.invoice(s, romashka, 450_00, contract_id=ours.id)
        other = f.invoice(s, romashka, 450_00, contract_id=theirs.id)
        lines = [_line(s, world, 200_00, "по договору поставки ZK-2024") for _ in taught]
        ids = [i.id or 0 for i in taught]
        mine_id, other_id = mine.id or 0, other.id or 0
    with session_scope() as s:
        for line, invoice in zip(lines, ids, strict=True):
            review.allocate_manually(s, line, [Part(invoice, 200_00)], actor=ANNA)
    with session_scope() as s:
        payment = _line(s, world, 450_00, "по договору поставки ZK-2024")
    with session_scope() as s:
        reconcile(s)
    [(kind, invoice, _, reasons)] = _allocations(payment)
    assert (kind, invoice) == ("auto", mine_id), "the only 450.00 of the contract the code stands for"
    assert invoice != other_id
    assert {"reference_learned", "amount_equal_in_contract"} <= reasons


# --- people have the last word ---------------------------------------------------------------------


def test_undoing_an_allocation_the_code_made_leaves_it_only_suggesting(world: World) -> None:
    _teach_by_confirming(world)
    with session_scope() as s:
        second = _line(s, world, 1000_00, "ZK-77812, второй платеж")
    with session_scope() as s:
        reconcile(s)
    [(_, _, _, reasons)] = _allocations(second)
    assert "reference_learned" in reasons
    with session_scope() as s:
        auto = s.scalars(select(Allocation.id).where(col(Allocation.transaction_id) == second)).one()
        review.reverse_allocation(s, auto, actor=ANNA, reason="это оплата другого заказа")
    assert [lesson[-1] for lesson in _lessons()] == [True], "doubted"
    [event] = _events("learned_reference.doubted")
    assert event.actor == ANNA and event.after and event.after["allocation_id"] == auto

    with session_scope() as s:
        third = _line(s, world, 1000_00, "ZK-77812, третий платеж")
    with session_scope() as s:
        reconcile(s)
    [(kind, invoice, _, reasons)] = _allocations(third)
    assert (kind, invoice) == ("suggested", world.inv5)
    assert "reference_learned_doubted" in reasons


def test_undoing_the_allocation_a_code_was_learned_from_doubts_it(world: World) -> None:
    taught_by = _teach_by_confirming(world)
    with session_scope() as s:
        review.reverse_allocation(s, taught_by, actor=ANNA, reason="не тот счёт")
    assert [lesson[-1] for lesson in _lessons()] == [True]
    with session_scope() as s:
        second = _line(s, world, 1000_00, "ZK-77812")
    with session_scope() as s:
        reconcile(s)
    assert all(kind == "suggested" for kind, *_ in _allocations(second))


def test_rejecting_a_suggestion_the_code_offered_doubts_it(world: World) -> None:
    """500.00 saying ZK-77812: a part of INV-2026-00005, or INV-2026-00006 exactly? A person decides."""
    _teach_by_confirming(world)
    with session_scope() as s:
        line = _line(s, world, 500_00, "ZK-77812")
    with session_scope() as s:
        reconcile(s)
    offered = {invoice: reasons for kind, invoice, _, reasons in _allocations(line) if kind == "suggested"}
    assert set(offered) == {world.inv5, world.inv6}
    assert "reference_learned" in offered[world.inv5]
    with session_scope() as s:
        by_code = s.scalars(
            select(Allocation.id).where(
                col(Allocation.transaction_id) == line,
                col(Allocation.invoice_id) == world.inv5,
                col(Allocation.reversed_at).is_(None),
            )
        ).one()
        review.reject_suggestion(s, by_code, actor=ANNA, reason="это за INV-2026-00006")
    assert [lesson[-1] for lesson in _lessons()] == [True]
