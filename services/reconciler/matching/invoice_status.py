"""Invoice status changes announced to the outbox: ``invoice.partially_paid``, ``.paid``, ``.overpaid``, ``.reopened``.

Statuses are derived in SQL from the amounts (see ``service._apply_amounts`` and
``service.refresh_invoice_status``), so the change is found by reading the statuses of the
invoices a writer touches before and after it writes, in the same transaction. The events are
written with the change and relayed after commit, like every outbox event: a partner hears
"your invoice is paid" only for a payment that was really booked.

A cancelled invoice's status never moves here (cancelling is the billing service's decision).
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import bindparam, select
from sqlmodel import Session, col

from shared import outbox
from shared.db import any_of, rows_by_ids
from shared.models import Invoice

STATUS_EVENT = {
    "open": "invoice.reopened",  # every payment on it was reversed
    "partially_paid": "invoice.partially_paid",
    "paid": "invoice.paid",
    "overpaid": "invoice.overpaid",
}
EVENT_TYPES = tuple(sorted(STATUS_EVENT.values()))


_STATUSES = select(col(Invoice.id), col(Invoice.status))
_STATUSES_IN = _STATUSES.where(col(Invoice.id).in_(bindparam("ids", expanding=True)))
_STATUSES_ANY = _STATUSES.where(any_of(col(Invoice.id), "ids"))  # PostgreSQL, many ids: one array


def current_statuses(session: Session, invoice_ids: Collection[int]) -> dict[int, str]:
    rows = rows_by_ids(session, _STATUSES_IN, _STATUSES_ANY, "ids", sorted(invoice_ids))
    return {int(i): str(s) for i, s in rows}


def announce_changes(session: Session, before: dict[int, str]) -> int:
    """Emit one event per invoice whose status differs from ``before``; the number emitted."""
    if not before:
        return 0
    session.flush()
    return announce(session, before, current_statuses(session, before))


def announce(session: Session, before: dict[int, str], after: dict[int, str]) -> int:
    """Emit one event per invoice whose status is ``after`` and was ``before`` (a writer that had the
    database return the new statuses); the number emitted."""
    changed = [
        (
            STATUS_EVENT[status],
            {"invoice_id": invoice_id, "status": status, "previous_status": before[invoice_id]},
        )
        for invoice_id, status in sorted(after.items())
        if status != before.get(invoice_id) and status in STATUS_EVENT
    ]
    outbox.emit_many(session, changed)
    return len(changed)
