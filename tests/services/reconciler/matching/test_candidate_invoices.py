"""A few arriving lines are decided over their candidate invoices exactly as over every open invoice.

That equality is the specification of ``candidates`` (the shell's subset path): same outcome,
invoices, amounts, confidence and reasons, line by line, on generated worlds in a real database
(SQLite and PostgreSQL) — and on every hand-made world of the rule tests, whose ``decide`` checks
it too (``factories.decide``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from services.reconciler.billing.schemas import InvoiceIn
from services.reconciler.billing.service import read_invoices_csv, upsert_invoices
from services.reconciler.intake.service import import_statement_file
from services.reconciler.matching import repository, service
from services.reconciler.matching.book import InvoiceBook
from services.reconciler.matching.lookup_keys import LOOKUP_KEYS_VERSION, invoice_lookup_keys
from services.reconciler.matching.service import decide, reconcile
from services.reconciler.matching.types import LearnedFacts
from shared.db import session_scope
from shared.models import Allocation, BankTransaction, Invoice, InvoiceLookupKey
from tests.fixture_corpus import BENCH_DIR
from tests.services.reconciler.review.factories import account, invoice, line, partner


def _generate(out: Path, seed: int, invoices: int, partners: int) -> Path:
    subprocess.run(
        [
            sys.executable,
            str(BENCH_DIR / "gen_bench.py"),
            *("--out", str(out), "--seed", str(seed), "--invoices", str(invoices), "--partners", str(partners)),
        ],
        check=True,
        capture_output=True,
    )
    return out


@pytest.fixture(scope="module", params=[1, 5], ids=["seed1", "seed5"])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _generate(tmp_path_factory.mktemp(f"world{request.param}"), request.param, 400, 30)


def _load(session: Session, world: Path) -> None:
    items = read_invoices_csv((world / "invoices.csv").read_bytes(), "invoices.csv")
    upsert_invoices(session, items, actor="test")
    import_statement_file(session, (world / "statement.xml").read_bytes(), "statement.xml", actor="test")


def _load_into_both(world: Path, second: Engine) -> None:
    """The same world in the database under test and in a second one, to run it two ways."""
    for engine in (None, second):
        with session_scope(engine) as session:
            _load(session, world)


def _open_line_ids(session: Session) -> list[int]:
    return [ln.id for ln in repository.open_lines(session)]


def test_the_stored_keys_are_the_keys_the_book_finds_any_partners_invoice_by(world: Path) -> None:
    """Per invoice: its global reference keys and its contract key in the invoice book, no more, no less."""
    items = read_invoices_csv((world / "invoices.csv").read_bytes(), "invoices.csv")
    from tests.services.reconciler.matching.factories import invoice as open_invoice

    invoices = [
        open_invoice(i.invoice_no, 1_00, id=n, contract_number=i.contract_no, direction=i.direction)
        for n, i in enumerate(items, start=1)
    ]
    book = InvoiceBook(invoices, LearnedFacts())
    indexed: dict[int, set[str]] = {inv.id: set() for inv in invoices}
    for key, hits in book._global_refs.items():
        for invoice_id, _, _ in hits:
            indexed[invoice_id].add(key)
    for key, ids in book._contracts.items():
        for invoice_id in ids:
            indexed[invoice_id].add(key)
    assert {inv.id: set(invoice_lookup_keys(inv.number, inv.contract_number)) for inv in invoices} == indexed


def test_each_line_is_decided_over_its_candidates_as_over_all_open_invoices(database_url: str, world: Path) -> None:
    with session_scope() as session:
        _load(session, world)
    with session_scope() as session:
        ids = _open_line_ids(session)
        total = len(repository.open_invoices(session))
        assert len(ids) > 300
        candidates = sampled = 0
        for line_id in ids:
            lines = repository.open_lines(session, [line_id])
            over_candidates = decide(session, lines, [line_id], candidates_only=True)
            over_all = decide(session, lines, [line_id], candidates_only=False)
            assert over_candidates == over_all, f"line {line_id}"
            if line_id % 10 == 0:
                sampled += 1
                candidates += len(repository.open_invoices_found_by(session, *_search(session, lines)))
        # Several lines at once, decided in order, each seeing what the ones before it booked.
        for start in range(0, len(ids), 37):
            chunk = ids[start : start + 37]
            lines = repository.open_lines(session, chunk)
            assert decide(session, lines, chunk, candidates_only=True) == decide(
                session, lines, chunk, candidates_only=False
            ), f"lines {chunk}"
    assert candidates / sampled < total / 5, "a line's candidates are a small part of the open invoices"


def _search(session: Session, lines: Any) -> tuple[Any, Any, Any]:
    from services.reconciler.matching.candidates import candidate_search
    from services.reconciler.matching.payers import PartnerDirectory

    learned = repository.learned_facts(session, [ln.id for ln in lines])
    search = candidate_search(lines, PartnerDirectory(repository.partners(session), learned))
    return search.keys, search.partner_ids, search.outstanding


def _books(engine: Engine | None) -> tuple[list[Any], list[Any]]:
    """The allocations (by bank reference and invoice number) and every invoice's paid amount and status."""
    with session_scope(engine) as session:
        allocations = session.execute(
            select(
                col(BankTransaction.bank_ref),
                col(Invoice.number),
                col(Allocation.amount_minor),
                col(Allocation.kind),
                col(Allocation.confidence),
                col(Allocation.reasons),
                col(Allocation.reversed_at).is_(None),
            )
            .join(BankTransaction, col(BankTransaction.id) == col(Allocation.transaction_id))
            .join(Invoice, col(Invoice.id) == col(Allocation.invoice_id))
            .order_by(col(Allocation.id))
        ).all()
        invoices = session.execute(
            select(col(Invoice.number), col(Invoice.paid_minor), col(Invoice.status)).order_by(col(Invoice.id))
        ).all()
    return [tuple(r) for r in allocations], [tuple(r) for r in invoices]


def test_lines_arriving_one_by_one_settle_the_books_as_if_every_invoice_were_read(
    database_url: str, world: Path, second_sqlite: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Arrival after arrival, storing as the matcher task does: the books end the same."""
    _load_into_both(world, second_sqlite)
    with session_scope() as session:
        ids = _open_line_ids(session)
    sizes = [1, 1, 2, 1, 5, 1, 3]
    batches, start = [], 0
    while start < len(ids):
        size = sizes[len(batches) % len(sizes)]
        batches.append(ids[start : start + size])
        start += size
    for batch in batches:
        with session_scope() as session:
            reconcile(session, batch)
    monkeypatch.setattr(service, "CANDIDATES_MAX_LINES", 0)  # every run reads all open invoices
    for batch in batches:
        with session_scope(second_sqlite) as session:
            reconcile(session, batch)
    over_candidates, over_all = _books(None), _books(second_sqlite)
    assert over_candidates[0] == over_all[0]
    assert over_candidates[1] == over_all[1]
    assert sum(1 for a in over_candidates[0] if a[3] == "auto") > len(ids) / 2


def test_an_invoice_written_without_its_keys_is_keyed_before_a_line_is_decided(database_url: str) -> None:
    """One ORM object (a test, the demo) carries no keys; the matcher keys it before it looks."""
    with session_scope() as session:
        acc = account(session)
        payee = partner(session)
        inv = invoice(session, payee, 1_500_00, number="INV-2026-07311")
        tx = line(session, acc, 1_500_00, purpose="Оплата по счету INV-2026-07311", counterparty_name="Кто-то ещё")
        assert inv.lookup_keys_version is None
        tx_id, inv_id = tx.id or 0, inv.id or 0
    with session_scope() as session:
        summary = reconcile(session, [tx_id])
        assert summary.auto == 1
        keyed = session.get(Invoice, inv_id)
        assert keyed is not None and keyed.lookup_keys_version == LOOKUP_KEYS_VERSION
        keys = set(session.scalars(select(col(InvoiceLookupKey.key)).where(col(InvoiceLookupKey.invoice_id) == inv_id)))
        assert keys == set(invoice_lookup_keys("INV-2026-07311", None))


def test_an_invoice_moved_to_another_contract_is_found_by_the_new_contract(database_url: str) -> None:
    """An import that changes an invoice's contract keys it under the new one in the same transaction."""
    row: dict[str, Any] = {
        "invoice_no": "7",
        "amount": "2500.00",
        "partner_name": 'ООО "Гранит"',
        "partner_inn": "7703000003",
        "contract_no": "Д-00451",
    }
    with session_scope() as session:
        upsert_invoices(session, [InvoiceIn.model_validate(row)], actor="test")
        upsert_invoices(session, [InvoiceIn.model_validate({**row, "contract_no": "Д-00777"})], actor="test")
        acc = account(session)
        tx = line(session, acc, 2_500_00, purpose="Оплата по договору Д-00777", counterparty_name="Кто-то ещё")
        tx_id = tx.id or 0
    with session_scope() as session:
        lines = repository.open_lines(session, [tx_id])
        over_candidates = decide(session, lines, [tx_id], candidates_only=True)
        assert over_candidates == decide(session, lines, [tx_id], candidates_only=False)
        assert [s.reasons[0].code for s in over_candidates[0].suggestions] == ["contract_in_purpose"]


def test_a_line_nobody_can_place_is_offered_the_invoices_of_its_amount_whoever_s_they_are(database_url: str) -> None:
    """No payer, no reference: ``amount_anywhere`` looks at every open invoice; the amount index finds them."""
    with session_scope() as session:
        acc = account(session)
        a, b = partner(session), partner(session, 'АО "Вектор"')
        invoice(session, a, 3_210_00, number="A-1")
        invoice(session, b, 3_210_00, number="B-1")
        invoice(session, b, 3_210_00, number="B-2", paid_minor=1_000_00, status="partially_paid")
        invoice(session, b, 4_210_00, number="B-3", paid_minor=1_000_00, status="partially_paid")
        lone = line(session, acc, 3_210_00, purpose="Оплата", counterparty_name="Кто-то ещё")
        two = line(session, acc, 2_210_00, purpose="Оплата", counterparty_name="Кто-то ещё")
        ids = [lone.id or 0, two.id or 0]
    with session_scope() as session:
        for line_id in ids:
            lines = repository.open_lines(session, [line_id])
            over_candidates = decide(session, lines, [line_id], candidates_only=True)
            assert over_candidates == decide(session, lines, [line_id], candidates_only=False)
            assert {r.code for s in over_candidates[0].suggestions for r in s.reasons} >= {"amount_equal"}
        lines = repository.open_lines(session, ids)
        assert decide(session, lines, ids, candidates_only=True) == decide(session, lines, ids, candidates_only=False)


def test_a_contract_named_by_someone_unknown_brings_its_invoices_whoever_s_they_are() -> None:
    """The contract index is global: a stranger paying "по договору Д-00451" is offered its invoices."""
    from tests.services.reconciler.matching.factories import GRANIT, credit, decide_one
    from tests.services.reconciler.matching.factories import invoice as open_invoice

    a = open_invoice("17", 2_500_00, GRANIT, contract_number="Д-00451")
    b = open_invoice("18", 1_000_00, GRANIT, contract_number="Д-00451")
    d = decide_one(credit(3_500_00, "Оплата по договору № Д-00451 от 01.02.2025", payer=None), [a, b])
    assert {s.invoice_id for s in d.suggestions} == {a.id, b.id}, "decide() also proved the candidates decide so"
