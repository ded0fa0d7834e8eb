"""Pulling an account from the sandbox bank: every booked line lands once, failures land nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlmodel import col

from services.reconciler.billing.schemas import InvoiceIn
from services.reconciler.billing.service import upsert_invoice
from services.reconciler.sync.service import list_pulls
from shared import journal
from shared.db import session_scope
from shared.models import BankTransaction, Invoice, JournalEvent
from shared.tasks import drain_in_process
from tests.services.reconciler.sync.conftest import TODAY, Bank, connect, cursor_of, pull, stored_lines

FIRST_DAY = TODAY - timedelta(days=30)  # first sync reaches 31 days back
YESTERDAY = TODAY - timedelta(days=1)


@pytest.mark.parametrize("api", ["berlin_group", "tbank"])
def test_a_first_pull_stores_every_booked_line_of_the_month_and_no_pending_one(
    database_url: str, bank: Bank, api: str
) -> None:
    number = connect(bank, api)

    result = pull(number)

    booked = bank.booked_between(FIRST_DAY, TODAY)
    assert result.status == "ok", result.error
    assert (result.date_from, result.date_to) == (FIRST_DAY, TODAY)
    assert result.pages > 1
    assert (result.lines, result.new, result.duplicates) == (booked, booked, 0)
    assert result.pending == bank.pending_between(FIRST_DAY, TODAY) > 0
    assert stored_lines(number) == booked
    assert cursor_of(number) == f"booked-through:{YESTERDAY.isoformat()}"  # today is never complete


def test_pulling_again_stores_nothing_new(database_url: str, bank: Bank) -> None:
    number = connect(bank)
    first = pull(number)

    second = pull(number)

    assert second.status == "ok"
    assert second.date_from == YESTERDAY - timedelta(days=2)  # three days of overlap
    assert second.new == 0
    assert second.duplicates == second.lines > 0
    assert stored_lines(number) == first.new


def test_a_line_booked_late_inside_the_overlap_is_stored_once(database_url: str, bank: Bank) -> None:
    number = connect(bank)
    pull(number)
    before = stored_lines(number)
    late_day = TODAY - timedelta(days=2)
    bank.inject(amount="7300.00", purpose="Оплата по счету 991 (late)", booking_date=late_day.isoformat())

    caught = pull(number)
    again = pull(number)

    assert (caught.new, again.new) == (1, 0)
    assert stored_lines(number) == before + 1


def test_a_pending_line_is_stored_once_it_is_booked(database_url: str, bank: Bank) -> None:
    number = connect(bank)
    pending = bank.inject(amount="1250.00", purpose="Оплата по счету 555", status="pending")
    first = pull(number)
    before = stored_lines(number)
    assert first.pending >= 1

    bank.book(pending["transaction_id"], TODAY)
    booked = pull(number)
    again = pull(number)

    assert (booked.new, again.new) == (1, 0)
    assert stored_lines(number) == before + 1


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "status", "status": 429, "retry_after": "1", "count": 2},
        {"kind": "status", "status": 500, "count": 3},
        {"kind": "slow", "delay_seconds": 0.8, "count": 1},
    ],
    ids=["429", "500", "timeout"],
)
def test_a_transient_fault_is_retried_and_the_pull_succeeds(
    database_url: str, bank: Bank, fault: dict[str, object]
) -> None:
    number = connect(bank)
    bank.fault(**fault)

    result = pull(number)

    assert result.status == "ok", result.error
    assert result.new == bank.booked_between(FIRST_DAY, TODAY)


def test_a_paging_gap_fails_the_pull_stores_nothing_keeps_the_cursor_and_the_next_pull_succeeds(
    database_url: str, bank: Bank
) -> None:
    number = connect(bank)
    bank.fault(kind="gap", count=1)

    failed = pull(number)

    assert failed.status == "failed"
    assert "pulled again" in (failed.error or "")
    assert (failed.lines, failed.new, failed.statement_id) == (0, 0, None)
    assert stored_lines(number) == 0
    assert cursor_of(number) is None and failed.cursor_after is None

    recovered = pull(number)
    assert recovered.status == "ok", recovered.error
    assert (recovered.date_from, recovered.date_to) == (failed.date_from, failed.date_to)
    assert recovered.new == bank.booked_between(FIRST_DAY, TODAY)
    assert cursor_of(number) == f"booked-through:{YESTERDAY.isoformat()}"


def test_data_changing_mid_pull_fails_the_window_instead_of_storing_part_of_it(database_url: str, bank: Bank) -> None:
    number = connect(bank, "tbank")
    bank.fault(kind="mutate", count=1, api="tbank")

    failed = pull(number)
    recovered = pull(number)

    assert failed.status == "failed"
    assert recovered.status == "ok"
    assert stored_lines(number) == recovered.new == bank.booked_between(FIRST_DAY, TODAY)


def test_a_refused_request_is_a_failed_pull_with_the_banks_answer(database_url: str, bank: Bank) -> None:
    number = connect(bank, api_account_id="no-such-account")

    result = pull(number)

    assert result.status == "failed"
    assert "404" in (result.error or "")
    assert stored_lines(number) == 0
    assert cursor_of(number) is None


def test_a_missing_token_is_a_failed_pull_naming_the_variable(
    database_url: str, bank: Bank, monkeypatch: pytest.MonkeyPatch
) -> None:
    number = connect(bank, token_env="SVERKA_BANK_TOKEN_NOT_SET")
    monkeypatch.delenv("SVERKA_BANK_TOKEN_NOT_SET", raising=False)

    result = pull(number)

    assert result.status == "failed"
    assert "SVERKA_BANK_TOKEN_NOT_SET" in (result.error or "")


def test_every_pull_is_a_row_and_a_journal_event(database_url: str, bank: Bank) -> None:
    number = connect(bank)
    ok = pull(number)
    bank.fault(kind="status", status=403, count=1)
    failed = pull(number)

    with session_scope() as session:
        history = list_pulls(session, number)
        events = session.scalars(
            select(JournalEvent).where(col(JournalEvent.entity_type) == "bank_pull").order_by(col(JournalEvent.seq))
        ).all()
        chain = journal.verify(session)

    assert [p.pull_id for p in history] == [failed.pull_id, ok.pull_id]
    assert [p.status for p in history] == ["failed", "ok"]
    assert [(e.action, e.entity_id) for e in events] == [
        ("bank_pull.completed", str(ok.pull_id)),
        ("bank_pull.failed", str(failed.pull_id)),
    ]
    assert events[1].after is not None and "403" in events[1].after["error"]
    assert chain.ok


def test_the_cursor_never_moves_backwards(database_url: str, bank: Bank) -> None:
    number = connect(bank)
    pull(number)
    ahead = cursor_of(number)

    earlier = pull(number, today=TODAY - timedelta(days=10))

    assert earlier.status == "ok"
    assert cursor_of(number) == ahead


def test_an_unknown_account_is_not_found(database_url: str, bank: Bank) -> None:
    from shared.errors import NotFound

    with pytest.raises(NotFound):
        pull("40702810000000000000")


def test_new_lines_are_matched_once_the_pull_commits(database_url: str, bank: Bank) -> None:
    number = connect(bank)
    with session_scope() as session:
        invoice = upsert_invoice(
            session,
            InvoiceIn(
                invoice_no="INV-4411", invoice_date=TODAY - timedelta(days=9), amount=Decimal("48600.00"),
                partner_name="ООО «Ромашка»", partner_inn="7707083893",
            ),
            actor="test",
        )  # fmt: skip
    bank.inject(amount="48600.00", purpose="Оплата по счету INV-4411, без НДС", booking_date=YESTERDAY.isoformat())

    result = pull(number)
    drain_in_process()

    with session_scope() as session:
        line = session.scalars(select(BankTransaction).where(col(BankTransaction.amount_minor) == 48_600_00)).one()
        settled = session.get(Invoice, invoice.id)
    assert result.new > 0
    assert line.match_status == "settled"
    assert settled is not None and settled.status == "paid"
