"""Deadline reminders: on schedule, to the right people, never the same one twice."""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import select
from sqlmodel import col

from services.notifier.dispatcher import Dispatcher
from services.notifier.reminders import due_step, run
from shared.db import session_scope
from shared.models import JournalEvent
from shared.models.documents import ReminderLog
from shared.tasks import periodic_tasks
from tests.services.notifier.email import factories as f
from tests.services.notifier.email.conftest import Mailbox
from tests.services.notifier.factories import FakeClock

DUE = date(2026, 6, 10)


def test_the_step_sent_is_the_latest_one_that_came_and_stale_ones_are_skipped() -> None:
    offsets = [-3, 0, 7]
    assert due_step(DUE, DUE - timedelta(days=4), offsets) is None
    assert due_step(DUE, DUE - timedelta(days=3), offsets) == -3
    assert due_step(DUE, DUE - timedelta(days=1), offsets) == -3  # a missed day catches up
    assert due_step(DUE, DUE, offsets) == 0
    assert due_step(DUE, DUE + timedelta(days=8), offsets) == 7
    assert due_step(DUE, DUE + timedelta(days=15), offsets) is None  # long overdue: no stale letter


def test_partners_and_accountants_are_reminded_once_per_step(mail_settings: str, mailbox: Mailbox) -> None:
    with session_scope() as session:
        romashka = f.partner(session, "7701234567")
        supplier = f.partner(session, "5003012345", 'ООО "Металл"')
        receivable = f.invoice(session, romashka, 500_00, due=DUE, number="INV-R")
        f.allocate(session, f.payment(session, romashka, 200_00), receivable)
        paid = f.invoice(session, romashka, 100_00, due=DUE, number="INV-PAID")
        f.allocate(session, f.payment(session, romashka, 100_00), paid)  # nothing outstanding: no reminder
        f.invoice(session, supplier, 900_00, direction="payable", due=DUE, number="П-9")
        receivable_id = receivable.id

    three_days_before = run(DUE - timedelta(days=3))
    run(DUE - timedelta(days=3))  # a doubled tick
    run(DUE - timedelta(days=2))  # the next day: the same step, already sent
    on_the_day = run(DUE)

    assert three_days_before.as_dict() == {"partner_reminders": 1, "payables_listed": 1, "digests": 1}
    assert on_the_day.as_dict() == {"partner_reminders": 1, "payables_listed": 1, "digests": 1}
    with session_scope() as session:
        logs = list(session.scalars(select(ReminderLog).order_by(col(ReminderLog.id))))
        planned = list(session.scalars(select(JournalEvent).where(col(JournalEvent.action) == "reminder.planned")))
    assert [(log.audience, log.offset_days) for log in logs] == [
        ("partner", -3),
        ("accountants", -3),
        ("partner", 0),
        ("accountants", 0),
    ]
    assert all(log.email_delivery_id is not None for log in logs)
    assert len(planned) == 4
    assert {e.entity_id for e in planned if (e.after or {})["audience"] == "partner"} == {str(receivable_id)}

    with Dispatcher(clock=FakeClock(), rng=random.Random(1)) as dispatcher:
        dispatcher.drain()
    reminders = [r for r in mailbox.received if "оплачен" not in r.message()["Subject"]]  # not the receipts
    subjects = sorted((r.recipients[0], r.message()["Subject"]) for r in reminders)
    assert subjects == [
        ("buh@romashka.example", "Напоминание: срок оплаты счёта № INV-R — 10.06.2026"),
        ("buh@romashka.example", "Сегодня срок оплаты счёта № INV-R"),
        ("buh@sverka.example", "Счета поставщиков к оплате: 1 на 07.06.2026"),
        ("buh@sverka.example", "Счета поставщиков к оплате: 1 на 10.06.2026"),
    ]
    reminder = next(r.message() for r in reminders if "Сегодня" in r.message()["Subject"])
    body = reminder.get_body(preferencelist=("plain",))
    assert body is not None and "К оплате: 300,00 RUB" in body.get_content()
    assert {part.get_filename() for part in reminder.iter_attachments()} == {
        "statement-no-contract.pdf",
        "statement-no-contract.csv",
    }


def test_reminders_run_on_a_schedule() -> None:
    assert periodic_tasks()["notifier.reminders"] == 3600.0
