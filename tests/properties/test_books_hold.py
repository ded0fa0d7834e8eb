"""The books hold whatever people and the matcher do, in whatever order (issue 8, item 7).

A hypothesis state machine drives one small company through random sequences of the steps the
workspace and the API take — import a 1C statement (real bytes through the real intake), run the
matcher, confirm / reject / reinstate a suggestion, undo an allocation, allocate by hand, ignore /
un-ignore a line — calling the same service functions the UI and the API call, each in its own
unit of work (a refused step rolls back, as a request would). After every step:

- every line: its active allocations (auto, confirmed, manual) sum to its ``allocated_minor``,
  which never exceeds the line's amount; an ignored line carries nothing;
- every invoice: ``paid_minor`` is the sum of its active allocations, and the status is the one
  that amount implies (open / partially_paid / paid / overpaid);
- the journal replays to the same books: for every invoice and every line, the amounts of
  ``allocation.created`` (the matcher), ``allocation.confirmed`` and ``allocation.manual`` minus
  those of ``allocation.reversed`` equal its paid / allocated amount. Each of those events names
  the line, the invoice and the amount, so this is a full replay of the money, not a weaker
  check. What the journal does not carry is not checked against it: suggestions (only their
  rejection and reinstatement are journaled, not the matcher's offers) and line statuses;
- ``shared.journal.verify`` holds (the hash chain is intact);
- a person's "no" sticks: the matcher never books a pair automatically after a person undid or
  rejected it, unless a person allocated that pair again since.

It runs on SQLite by default (a fresh copy of one migrated file per example) and on PostgreSQL
(a fresh database cloned from the migrated template per example) when PostgreSQL is available.
"""

from __future__ import annotations

import shutil
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import select
from sqlmodel import Session, col

from services.reconciler.billing.schemas import InvoiceIn
from services.reconciler.billing.service import upsert_invoices
from services.reconciler.intake.service import import_statement_file
from services.reconciler.matching.service import MATCHER_ACTOR, reconcile
from services.reconciler.review import service as review
from services.reconciler.review.service import Part
from shared import db as shared_db
from shared import journal
from shared.config import get_settings
from shared.db import session_scope
from shared.errors import SverkaError
from shared.migrate import upgrade
from shared.models import Allocation, BankTransaction, Invoice, JournalEvent
from shared.models.matching import EFFECTIVE_KINDS
from tests.conftest import _fresh_postgres
from tests.onec_files import PaymentOrder, exchange_file

OURS = "40702810900000000001"
ROMASHKA = ("ООО Ромашка", "7701000001", "40702810500000000777")
STRANGER = ("ИП Петров", "7709999999", "40802810500000000888")
ANNA = "anna"
INVOICE_AMOUNTS = st.sampled_from([500_00, 700_00, 1_200_00, 1_900_00])
MONEY_EVENTS = {"allocation.created": 1, "allocation.confirmed": 1, "allocation.manual": 1, "allocation.reversed": -1}


def onec_statement(payments: list[tuple[int, str, int, tuple[str, str, str]]], serial: int) -> bytes:
    """A 1CClientBankExchange file: (amount in kopecks, purpose, day of March, payer) per payment."""
    orders = [
        PaymentOrder(
            number=str(serial * 10 + n),
            day=date(2026, 3, day),
            amount=f"{Decimal(amount) / 100:.2f}",
            purpose=purpose,
            payer_name=name,
            payer_inn=inn,
            payer_account=account,
        )
        for n, (amount, purpose, day, (name, inn, account)) in enumerate(payments)
    ]
    return exchange_file(OURS, orders, period=(date(2026, 3, 1), date(2026, 3, 31)))


def _number(n: int) -> str:
    return f"INV-2026-{n + 1:05d}"


class BooksMachine(RuleBasedStateMachine):
    """One company's books; ``fresh_database`` gives each example an empty, migrated database."""

    fresh_database: Callable[[], None]

    def __init__(self) -> None:
        super().__init__()
        type(self).fresh_database()
        self.invoices = 0
        self.imports = 0

    # --- steps ---------------------------------------------------------------------------

    @initialize(amounts=st.lists(INVOICE_AMOUNTS, min_size=2, max_size=5))
    def issue_invoices(self, amounts: list[int]) -> None:
        items = [
            InvoiceIn(
                invoice_no=_number(n),
                invoice_date=datetime(2026, 3, 1).date(),  # noqa: DTZ001 - a calendar date, no time
                amount=Decimal(amount) / 100,
                partner_name=ROMASHKA[0],
                partner_inn=ROMASHKA[1],
                partner_account=ROMASHKA[2],
            )
            for n, amount in enumerate(amounts)
        ]
        with session_scope() as s:
            upsert_invoices(s, items, actor=ANNA)
        self.invoices = len(amounts)

    @initialize(data=st.data())
    def first_statement(self, data: st.DataObject) -> None:
        self.import_statement(data, match_on_arrival=True)

    @rule(data=st.data(), match_on_arrival=st.booleans())
    def import_statement(self, data: st.DataObject, match_on_arrival: bool) -> None:
        """A file arrives; as in production, the matcher usually runs right after it."""
        refs = st.integers(0, max(self.invoices - 1, 0)).map(_number)
        purpose = st.one_of(
            refs.map(lambda r: f"Оплата по счету № {r}"),
            st.tuples(refs, refs).map(lambda rs: f"Оплата по счетам {rs[0]}, {rs[1]}"),
            refs.map(lambda r: f"Предоплата по счету {r}"),
            st.just("Оплата за услуги"),
            st.just("Комиссия банка"),
        )
        amount = st.one_of(INVOICE_AMOUNTS, st.sampled_from([300_00, 1_200_00 + 700_00, 2_400_00, 499_00]))
        payer = st.sampled_from([ROMASHKA, ROMASHKA, STRANGER])
        payments = data.draw(st.lists(st.tuples(amount, purpose, st.integers(2, 6), payer), min_size=1, max_size=3))
        self.imports += 1
        with session_scope() as s:
            import_statement_file(s, onec_statement(payments, self.imports), "kl_to_1c.txt", actor=ANNA)
        if match_on_arrival:
            self.run_matcher()

    @rule()
    def run_matcher(self) -> None:
        with session_scope() as s:
            reconcile(s)

    @rule(data=st.data())
    def confirm(self, data: st.DataObject) -> None:
        if (s_row := self._pick(data, col(Allocation.kind) == "suggested", active=True)) is not None:
            self._decide(lambda s: review.confirm_suggestions(s, s_row.transaction_id, [s_row.id or 0], actor=ANNA))

    @rule(data=st.data())
    def reject(self, data: st.DataObject) -> None:
        if (s_row := self._pick(data, col(Allocation.kind) == "suggested", active=True)) is not None:
            self._decide(lambda s: review.reject_suggestion(s, s_row.id or 0, actor=ANNA, reason="not this one"))

    @rule(data=st.data())
    def reinstate(self, data: st.DataObject) -> None:
        rejected = col(Allocation.reversal_reason).startswith("rejected")
        if (s_row := self._pick(data, rejected, active=False)) is not None:
            self._decide(lambda s: review.reinstate_suggestion(s, s_row.id or 0, actor=ANNA))

    @rule(data=st.data())
    def reverse(self, data: st.DataObject) -> None:
        if (a_row := self._pick(data, col(Allocation.kind).in_(EFFECTIVE_KINDS), active=True)) is not None:
            self._decide(lambda s: review.reverse_allocation(s, a_row.id or 0, actor=ANNA, reason="wrong invoice"))

    @rule(data=st.data(), share=st.sampled_from([1.0, 0.5, 2.0]))
    def allocate_by_hand(self, data: st.DataObject, share: float) -> None:
        with session_scope() as s:
            lines = s.scalars(select(BankTransaction).order_by(col(BankTransaction.id))).all()
            invoices = s.scalars(select(Invoice).order_by(col(Invoice.id))).all()
        if not lines or not invoices:
            return
        line = data.draw(st.sampled_from(lines))
        invoice = data.draw(st.sampled_from(invoices))
        amount = max(1, int(min(abs(line.amount_minor) - line.allocated_minor, invoice.outstanding_minor) * share))
        self._decide(lambda s: review.allocate_manually(s, line.id or 0, [Part(invoice.id or 0, amount)], actor=ANNA))

    @rule(data=st.data(), undo=st.booleans())
    def ignore_or_unignore(self, data: st.DataObject, undo: bool) -> None:
        with session_scope() as s:
            lines = s.scalars(select(BankTransaction.id).order_by(col(BankTransaction.id))).all()
        if lines:
            line_id = data.draw(st.sampled_from(lines))
            if undo:
                self._decide(lambda s: review.unignore_line(s, line_id, actor=ANNA, reason="it was a payment"))
            else:
                self._decide(lambda s: review.ignore_line(s, line_id, "bank_fee", actor=ANNA))

    # --- invariants ----------------------------------------------------------------------

    @invariant()
    def books_balance(self) -> None:
        with session_scope() as s:
            on_line: dict[int, int] = defaultdict(int)
            on_invoice: dict[int, int] = defaultdict(int)
            for a in self._active_money(s):
                on_line[a.transaction_id] += a.amount_minor
                on_invoice[a.invoice_id] += a.amount_minor
            for line in s.scalars(select(BankTransaction)):
                assert line.allocated_minor == on_line[line.id or 0], f"line {line.id}"
                assert 0 <= line.allocated_minor <= abs(line.amount_minor), f"line {line.id}"
                if line.match_status == "ignored":
                    assert line.allocated_minor == 0, f"ignored line {line.id} carries money"
            for inv in s.scalars(select(Invoice)):
                assert inv.paid_minor == on_invoice[inv.id or 0], f"invoice {inv.number}"
                assert inv.status == _status_of(inv.paid_minor, inv.amount_minor), f"invoice {inv.number}"

    @invariant()
    def journal_replays_to_the_books(self) -> None:
        with session_scope() as s:
            per_invoice: dict[int, int] = defaultdict(int)
            per_line: dict[int, int] = defaultdict(int)
            events = s.scalars(select(JournalEvent).where(col(JournalEvent.action).in_(list(MONEY_EVENTS))))
            for e in events:
                after = e.after or {}
                amount = MONEY_EVENTS[e.action] * int(after["amount_minor"])
                per_invoice[int(after["invoice_id"])] += amount
                per_line[int(after["transaction_id"])] += amount
            for inv in s.scalars(select(Invoice)):
                assert per_invoice[inv.id or 0] == inv.paid_minor, f"journal vs invoice {inv.number}"
            for line in s.scalars(select(BankTransaction)):
                assert per_line[line.id or 0] == line.allocated_minor, f"journal vs line {line.id}"
            assert journal.verify(s).ok

    @invariant()
    def a_persons_no_is_never_booked_by_the_matcher(self) -> None:
        with session_scope() as s:
            rows = s.scalars(select(Allocation).order_by(col(Allocation.id))).all()
        said_no: dict[tuple[int, int], datetime] = {}
        booked_by_person: dict[tuple[int, int], datetime] = {}
        for a in rows:
            pair = (a.transaction_id, a.invoice_id)
            undid = a.kind in EFFECTIVE_KINDS or (a.reversal_reason or "").startswith("rejected")
            if a.reversed_at and a.reversed_by == ANNA and undid:
                said_no[pair] = max(said_no.get(pair, a.reversed_at), a.reversed_at)
            if a.created_by == ANNA and a.kind in EFFECTIVE_KINDS:
                booked_by_person[pair] = max(booked_by_person.get(pair, a.created_at), a.created_at)
        for a in rows:
            pair = (a.transaction_id, a.invoice_id)
            if a.kind == "auto" and a.created_by == MATCHER_ACTOR and pair in said_no:
                no_at = said_no[pair]
                if a.created_at > no_at:
                    assert booked_by_person.get(pair, no_at) > no_at, f"matcher booked declined pair {pair}"

    # --- helpers -------------------------------------------------------------------------

    def _pick(self, data: st.DataObject, condition: Any, *, active: bool) -> Allocation | None:
        with session_scope() as s:
            state = col(Allocation.reversed_at).is_(None) if active else col(Allocation.reversed_at).is_not(None)
            rows = s.scalars(select(Allocation).where(condition, state).order_by(col(Allocation.id))).all()
        return data.draw(st.sampled_from(rows)) if rows else None

    @staticmethod
    def _decide(decision: Callable[[Session], object]) -> None:
        """One request: refused decisions (conflicts, bad input) roll back and change nothing."""
        try:
            with session_scope() as s:
                decision(s)
        except SverkaError:
            pass

    @staticmethod
    def _active_money(s: Session) -> list[Allocation]:
        return list(
            s.scalars(
                select(Allocation).where(
                    col(Allocation.reversed_at).is_(None), col(Allocation.kind).in_(EFFECTIVE_KINDS)
                )
            )
        )


def _status_of(paid: int, amount: int) -> str:
    if paid <= 0:
        return "open"
    if paid < amount:
        return "partially_paid"
    return "paid" if paid == amount else "overpaid"


SETTINGS = settings(
    max_examples=25,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def _use(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SVERKA_DATABASE_URL", url)
    get_settings.cache_clear()
    shared_db.dispose_engines()


@pytest.fixture
def clean_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SVERKA_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("SVERKA_REDIS_URL", raising=False)
    yield
    shared_db.dispose_engines()
    get_settings.cache_clear()


def test_the_books_hold_on_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_settings: None) -> None:
    template = tmp_path / "template.db"
    engine = shared_db.make_engine(f"sqlite:///{template}")
    upgrade(engine)
    engine.dispose()
    examples = iter(range(10**6))

    def fresh() -> None:
        copy = tmp_path / f"books-{next(examples)}.db"
        shutil.copyfile(template, copy)
        _use(f"sqlite:///{copy}", monkeypatch)

    BooksMachine.fresh_database = staticmethod(fresh)  # type: ignore[method-assign]
    run_state_machine_as_test(BooksMachine, settings=SETTINGS)


@pytest.mark.postgres
def test_the_books_hold_on_postgres(
    postgres_admin_url: str, monkeypatch: pytest.MonkeyPatch, clean_settings: None
) -> None:
    BooksMachine.fresh_database = staticmethod(  # type: ignore[method-assign]
        lambda: _use(_fresh_postgres(postgres_admin_url), monkeypatch)
    )
    run_state_machine_as_test(BooksMachine, settings=settings(SETTINGS, max_examples=6))
