"""A worker keeps its partner directory between arriving lines exactly as long as the partners stay the same.

The directory (``directory_cache``) is rebuilt when the database's ``partner_directory_version``
token changes, and migration 0013's triggers change it on every write to partners, their
accounts and learned accounts, whoever writes: the billing import, an ORM object, a hand-written
UPDATE, another process. Decisions over a kept directory equal those of a fresh one (the
candidate path reads the kept one, the full path a fresh one; ``test_candidate_invoices`` compares
them on generated worlds).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from services.reconciler.billing.schemas import InvoiceIn
from services.reconciler.billing.service import upsert_invoices
from services.reconciler.matching import directory_cache, repository
from services.reconciler.matching.directory_cache import known_partners
from services.reconciler.matching.service import decide
from services.reconciler.matching.types import PaymentLine
from shared import db as shared_db
from shared.db import insert_ignoring_conflicts, session_scope
from shared.models import LearnedAccount, LearnedReference, Partner, PartnerAccount
from tests.services.reconciler.review.factories import account, invoice, line, partner


@pytest.fixture(autouse=True)
def _nothing_kept() -> Iterator[None]:
    directory_cache.forget()
    yield
    directory_cache.forget()


@pytest.fixture
def other_worker(database_url: str) -> Iterator[Engine]:
    """Another process's connection to the same database (its writes reach ours only through it)."""
    engine = shared_db.make_engine(database_url)
    yield engine
    engine.dispose()


def _payer(name: str | None = None, tax_id: str | None = None, account_no: str | None = None) -> PaymentLine:
    return PaymentLine(
        id=1,
        amount_minor=100_00,
        currency="RUB",
        booking_date=date(2026, 3, 10),
        counterparty_name=name,
        counterparty_account=account_no,
        counterparty_tax_id=tax_id,
        purpose="Оплата",
    )


def _identified(name: str | None = None, tax_id: str | None = None, account_no: str | None = None) -> set[int]:
    with session_scope() as session:
        return set(known_partners(session).directory.identify(_payer(name, tax_id, account_no)).partner_ids)


def test_the_directory_is_kept_while_no_partner_changes(database_url: str) -> None:
    with session_scope() as session:
        partner(session)
    with session_scope() as session:
        first = known_partners(session)
    with session_scope() as session:
        assert known_partners(session) is first
        account(session)  # a write elsewhere changes nothing
    with session_scope() as session:
        assert known_partners(session) is first


def test_every_write_to_what_identifies_a_payer_is_seen_by_the_next_line(
    database_url: str, other_worker: Engine
) -> None:
    with session_scope() as session:
        vektor = partner(session, 'АО "Вектор"').id or 0
    assert _identified('АО "Вектор"') == {vektor}
    with session_scope(other_worker) as session:  # an ORM object
        granit = partner(session, 'ООО "Гранит"').id or 0
    assert _identified('ООО "Гранит"') == {granit}
    with session_scope(other_worker) as session:  # a hand-written UPDATE
        session.execute(text("UPDATE partner SET name = 'ООО \"Гранит-Строй\"' WHERE id = :i"), {"i": granit})
    assert _identified('ООО "Гранит"') == set()
    assert _identified('ООО "Гранит-Строй"') == {granit}
    with session_scope(other_worker) as session:  # an account, as the billing import adds one
        session.add(PartnerAccount(partner_id=vektor, number="40702810900000000777"))
    assert _identified(account_no="40702810900000000777") == {vektor}
    with session_scope(other_worker) as session:  # an account a person taught
        session.add(LearnedAccount(account_number="40702810900000000888", partner_id=granit, created_by="anna"))
    assert _identified(account_no="40702810900000000888") == {granit}
    with session_scope(other_worker) as session:  # the billing import: a new partner with its INN
        row = {"invoice_no": "9", "amount": "10.00", "partner_name": 'ООО "Новый"', "partner_inn": "7709000009"}
        upsert_invoices(session, [InvoiceIn.model_validate(row)], actor="test")
    [new] = _identified(tax_id="7709000009")
    assert new not in (vektor, granit)


def test_a_statement_that_changes_no_row_keeps_the_directory(database_url: str, other_worker: Engine) -> None:
    with session_scope() as session:
        vektor = partner(session, 'АО "Вектор"').id or 0
        session.add(PartnerAccount(partner_id=vektor, number="40702810900000000777"))
    with session_scope() as session:
        first = known_partners(session)
    with session_scope(other_worker) as session:  # a repeated import: the account is there already
        table = PartnerAccount.__table__  # type: ignore[attr-defined]
        rows = [{"partner_id": vektor, "number": "40702810900000000777"}]
        insert_ignoring_conflicts(session, table, rows, ["partner_id", "number"])
        session.execute(text("UPDATE partner SET name = 'x' WHERE id = -1"))
    with session_scope() as session:
        assert known_partners(session) is first


def test_a_change_rolled_back_is_not_kept(database_url: str) -> None:
    with session_scope() as session:
        partner(session, 'АО "Вектор"')
    session = Session(shared_db.get_engine())
    try:
        granit = partner(session, 'ООО "Гранит"').id or 0
        assert set(known_partners(session).directory.identify(_payer('ООО "Гранит"')).partner_ids) == {granit}
    finally:
        session.rollback()
        session.close()
    assert _identified('ООО "Гранит"') == set()


@pytest.mark.parametrize("database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_a_partner_bound_transaction_keeps_no_directory(database_url: str) -> None:
    """Such a transaction sees one partner's rows (row-level security, PostgreSQL's): its directory is no one else's."""
    with session_scope() as session:
        vektor = partner(session, 'АО "Вектор"').id or 0
    with session_scope() as session:
        session.execute(text("SELECT set_config('sverka.partner_id', :p, true)"), {"p": str(vektor)})
        bound = known_partners(session)
        assert known_partners(session) is not bound
    with session_scope() as session:
        first = known_partners(session)
        assert first is not bound and known_partners(session) is first


def _same_over_candidates_and_all(session: Session, line_ids: list[int]) -> None:
    for line_id in line_ids:
        lines = repository.open_lines(session, [line_id])
        over_candidates = decide(session, lines, [line_id], candidates_only=True)
        assert over_candidates == decide(session, lines, [line_id], candidates_only=False), f"line {line_id}"
    lines = repository.open_lines(session, line_ids)
    assert decide(session, lines, line_ids, candidates_only=True) == decide(
        session, lines, line_ids, candidates_only=False
    )


def test_a_partner_added_between_two_arrivals_is_the_payer_of_the_second(database_url: str) -> None:
    """Named by name only, fuzzily: the kept directory knows the partner as soon as it is written."""
    with session_scope() as session:
        acc = account(session)
        invoice(session, partner(session, 'АО "Вектор"'), 2_000_00, number="V-1")
        before = line(session, acc, 1_234_00, counterparty_name="ООО Гранит-Строй", counterparty_account=None).id
    with session_scope() as session:
        [decision] = decide(session, repository.open_lines(session, [before or 0]), [before or 0], candidates_only=True)
        assert decision.outcome == "none"
    with session_scope() as session:
        granit = Partner(name='ООО "Гранит Строй"', inn="7703000003")
        session.add(granit)
        session.flush()
        invoice(session, granit, 1_234_00, number="G-1")
        acc_row = account(session)
        after = line(session, acc_row, 1_234_00, counterparty_name="ООО Гранит-Строй", counterparty_account=None).id
    with session_scope() as session:
        lines = repository.open_lines(session, [after or 0])
        [decision] = decide(session, lines, [after or 0], candidates_only=True)
        assert "payer_name" in {r.code for r in decision.reasons}
        _same_over_candidates_and_all(session, [before or 0, after or 0])


def test_lessons_of_other_partners_are_not_read_and_decide_nothing_differently(database_url: str) -> None:
    """Only the references taught to a line's payer and named partners are read for it."""
    with session_scope() as session:
        acc = account(session)
        romashka, vektor = partner(session), partner(session, 'АО "Вектор"')
        taught = invoice(session, romashka, 3_000_00, number="INV-2026-00005")
        other = invoice(session, romashka, 1_500_00, number="INV-2026-00006")
        invoice(session, vektor, 1_000_00, number="INV-2026-00007")
        for inv, alias, standing in ((taught, "ZK77812", False), (other, "KL5", True), (taught, "KL5", True)):
            session.add(
                LearnedReference(
                    partner_id=romashka.id or 0,
                    direction="receivable",
                    alias=alias,
                    written=alias,
                    invoice_id=inv.id or 0,
                    written_for_other_invoices=standing,
                    created_by="anna",
                )
            )
        ids = [
            line(session, acc, amount, counterparty_tax_id=tax_id, counterparty_name=name, purpose=purpose).id or 0
            for amount, tax_id, name, purpose in (
                (1_000_00, romashka.inn, romashka.name, "по заказу ZK-77812"),
                (1_000_00, vektor.inn, vektor.name, "по заказу ZK-77812"),
                (1_000_00, None, "Кто-то ещё", "по заказу ZK-77812"),
                (1_000_00, None, "Кто-то ещё", f"за ИНН {romashka.inn} по заказу ZK-77812"),
                (1_000_00, romashka.inn, romashka.name, "код KL5"),
                (1_000_00, vektor.inn, vektor.name, "код KL5"),
            )
        ]
    with session_scope() as session:
        assert repository.learned_references(session, [vektor.id or 0]) == ()
        assert {r.alias for r in repository.learned_references(session, [romashka.id or 0])} == {"ZK77812", "KL5"}
        _same_over_candidates_and_all(session, ids)
        lines = repository.open_lines(session, ids[:1])
        [decision] = decide(session, lines, ids[:1], candidates_only=True)
        assert decision.outcome == "auto" and decision.allocations[0].invoice_id == taught.id
