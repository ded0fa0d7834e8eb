"""Deadline reminders: partners hear what is outstanding on our invoices; our accountants, what we must pay.

The schedule is ``SVERKA_REMINDER_OFFSETS_DAYS`` (default ``[-3, 0, 7]``: three days before the
due date, on it, a week after). Each run (the periodic task ``notifier.reminders``) looks at
unpaid invoices with a due date and, for each, at the **latest** step of the schedule that has
come (``due + offset <= today``):

* a **receivable** (we issued it) — the partner gets a reminder with what is still to pay and
  the contract statement, if the partner has an email address;
* a **payable** (a supplier's) — it goes into one digest for ``SVERKA_ACCOUNTING_EMAIL``.

Never the same reminder twice: a ``reminder_log`` row per (invoice, audience, step, due date) is
claimed with ``INSERT … ON CONFLICT DO NOTHING`` before the email is planned, in the same
transaction, so overlapping runs and doubled ticks send it once. A run that missed days sends
only the latest step that came (not three at once), and a step is not sent more than
:data:`CATCH_UP_DAYS` after its day (an invoice imported long overdue does not get a "due in three
days" letter). Days are UTC dates. Each reminder planned is journaled (``reminder.planned``,
entity ``invoice``); its sending is journaled with the email (``email.delivered``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from services.notifier.events import invoice_facts
from services.notifier.mail.planning import email_enabled, new_delivery, recipients_of
from shared import journal
from shared.config import Settings, get_settings
from shared.db import session_scope
from shared.models import Invoice, Partner
from shared.models.columns import utcnow
from shared.models.documents import ReminderLog

REMINDER_ACTOR = "system:reminders"
CATCH_UP_DAYS = 7
OPEN_STATUSES = ("open", "partially_paid")


@dataclass
class ReminderSummary:
    partner_reminders: int = 0
    payables_listed: int = 0
    digests: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def due_step(due: date, today: date, offsets: Sequence[int]) -> int | None:
    """The schedule step to send today for an invoice due on ``due``, or None (pure)."""
    come = [o for o in sorted(set(offsets)) if due + timedelta(days=o) <= today]
    if not come:
        return None
    step = come[-1]
    if (today - (due + timedelta(days=step))).days > CATCH_UP_DAYS:
        return None
    return step


def _candidates(session: Session, today: date, offsets: Sequence[int]) -> list[tuple[Invoice, Partner]]:
    earliest = today - timedelta(days=max(offsets) + CATCH_UP_DAYS)
    latest = today - timedelta(days=min(offsets))
    rows = session.execute(
        select(Invoice, Partner)
        .join(Partner, col(Partner.id) == col(Invoice.partner_id))
        .where(
            col(Invoice.status).in_(OPEN_STATUSES),
            col(Invoice.due_date).is_not(None),
            col(Invoice.due_date) >= earliest,
            col(Invoice.due_date) <= latest,
        )
        .order_by(col(Invoice.due_date), col(Invoice.id))
    ).all()
    return [(i, p) for i, p in rows]


def _claim(session: Session, invoice: Invoice, audience: str, step: int, today: date, now: datetime) -> int | None:
    """Take the (invoice, audience, step, due date) slot; its log id, or None when it was taken before."""
    table = ReminderLog.__table__  # type: ignore[attr-defined]
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = (
        insert(table)
        .values(
            invoice_id=invoice.id,
            audience=audience,
            offset_days=step,
            due_date=invoice.due_date,
            remind_on=today,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["invoice_id", "audience", "offset_days", "due_date"])
        .returning(table.c.id)
    )
    row = session.execute(stmt).first()
    return int(row[0]) if row else None


def _link(session: Session, log_ids: list[int], delivery_id: int | None) -> None:
    for log_id in log_ids:
        log = session.get(ReminderLog, log_id)
        if log is not None:
            log.email_delivery_id = delivery_id


def _journal(session: Session, invoice: Invoice, audience: str, step: int, delivery_id: int | None) -> None:
    journal.record(
        session,
        journal.Change(
            REMINDER_ACTOR,
            "reminder.planned",
            "invoice",
            invoice.id or 0,
            after={
                "invoice_no": invoice.number,
                "audience": audience,
                "offset_days": step,
                "due_date": invoice.due_date.isoformat() if invoice.due_date else None,
                "outstanding_minor": invoice.outstanding_minor,
                "currency": invoice.currency,
                "email_delivery_id": delivery_id,
            },
        ),
    )


def plan_reminders(
    session: Session, today: date, now: datetime | None = None, settings: Settings | None = None
) -> ReminderSummary:
    """Plan today's reminders in the caller's transaction (flushes only)."""
    settings = settings or get_settings()
    now = now or utcnow()
    summary = ReminderSummary()
    offsets = list(settings.reminder_offsets_days)
    if not email_enabled(settings) or not offsets:
        return summary
    accountants = recipients_of(settings.accounting_email)
    payables: list[dict[str, Any]] = []
    payable_logs: list[tuple[int, Invoice, int]] = []
    for invoice, partner in _candidates(session, today, offsets):
        step = due_step(invoice.due_date, today, offsets) if invoice.due_date else None
        if step is None or invoice.outstanding_minor <= 0:
            continue
        if invoice.direction == "receivable":
            recipients = recipients_of(partner.email)
            if not recipients:
                continue
            log_id = _claim(session, invoice, "partner", step, today, now)
            if log_id is None:
                continue
            delivery_id = new_delivery(
                session,
                dedupe_key=f"reminder:{log_id}",
                kind="receivable_reminder",
                recipients=recipients,
                language=partner.language,
                context={
                    "invoice_id": invoice.id,
                    "contract_id": invoice.contract_id,
                    "offset": step,
                    "today": today.isoformat(),
                    "partner": {"id": partner.id, "name": partner.name, "inn": partner.inn},
                    "invoice": invoice_facts(invoice),
                },
                now=now,
                partner_id=partner.id,
                settings=settings,
            )
            _link(session, [log_id], delivery_id)
            _journal(session, invoice, "partner", step, delivery_id)
            summary.partner_reminders += 1
        elif accountants:
            log_id = _claim(session, invoice, "accountants", step, today, now)
            if log_id is None:
                continue
            payable_logs.append((log_id, invoice, step))
            payables.append(
                {
                    "partner": partner.name,
                    "partner_inn": partner.inn,
                    "offset": step,
                    "invoice": invoice_facts(invoice),
                }
            )
    if payables:
        ids = [log_id for log_id, _, _ in payable_logs]
        key = hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()[:16]
        delivery_id = new_delivery(
            session,
            dedupe_key=f"payables:{today.isoformat()}:{key}",
            kind="payables_reminder",
            recipients=accountants,
            language="ru",
            context={"today": today.isoformat(), "items": payables},
            now=now,
            settings=settings,
        )
        _link(session, ids, delivery_id)
        for _, invoice, step in payable_logs:
            _journal(session, invoice, "accountants", step, delivery_id)
        summary.payables_listed = len(payables)
        summary.digests = 1
    session.flush()
    return summary


def run(today: date | None = None) -> ReminderSummary:
    """One run in its own transaction (the periodic task and tests)."""
    with session_scope() as session:
        return plan_reminders(session, today or utcnow().date())
