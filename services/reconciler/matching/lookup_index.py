"""Keeping ``invoice_lookup_key`` in step with the invoices it finds.

The import that writes invoices (``billing.service``) keys them in the same transaction
(``store_keys``): the invoices it creates, with ``invoice.lookup_keys_version`` set in the
inserted row, and those whose number or contract it changes. Anything else that writes an
invoice — one ORM object in a test or the demo, rows older than migration 0011 — leaves the
version NULL, and the matcher keys every such invoice before it looks for a line's candidates
(``key_unkeyed_invoices``): a probe of the version's index when there is none, so the lookup
never misses an invoice whoever wrote it. Whoever renames a contract some other way must set the
version of its invoices back to NULL.

Keys are only ever added: the application role has no DELETE, and a key an invoice no longer
has costs at most one more candidate, never a missed one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import or_, select, update
from sqlmodel import Session, col

from services.reconciler.matching.lookup_keys import LOOKUP_KEYS_VERSION, invoice_lookup_keys
from shared.db import columns, in_list_chunks, insert_ignoring_conflicts
from shared.models import Contract, Invoice, InvoiceLookupKey

_KEY_ROWS_PER_INSERT = 10_000  # (key, invoice id) rows per statement, as before


def store_keys(session: Session, invoices: Iterable[tuple[int, str, str | None]]) -> None:
    """Add the lookup keys of ``(invoice id, number, contract number)``; the caller sets the version."""
    rows = [
        {"key": key, "invoice_id": invoice_id}
        for invoice_id, number, contract_number in invoices
        for key in sorted(invoice_lookup_keys(number, contract_number))
    ]
    table = InvoiceLookupKey.__table__  # type: ignore[attr-defined]
    for start in range(0, len(rows), _KEY_ROWS_PER_INSERT):
        insert_ignoring_conflicts(session, table, rows[start : start + _KEY_ROWS_PER_INSERT], ["key", "invoice_id"])


_UNKEYED = (
    select(*columns(Invoice.id, Invoice.number, Contract.number))
    .outerjoin(Contract, col(Contract.id) == col(Invoice.contract_id))
    .where(or_(col(Invoice.lookup_keys_version).is_(None), col(Invoice.lookup_keys_version) < LOOKUP_KEYS_VERSION))
)


def key_unkeyed_invoices(session: Session) -> int:
    """Key every invoice not keyed, or keyed by an older derivation; returns how many.

    Closed ones too: asking for open ones only would make the database read every open invoice
    (through the status index) to find none, on every call, instead of probing the version's.
    """
    found = [(int(i), str(n), c) for i, n, c in session.execute(_UNKEYED)]
    if found:
        store_keys(session, found)
        _mark_keyed(session, [i for i, _, _ in found])
    return len(found)


def _mark_keyed(session: Session, invoice_ids: Sequence[int]) -> None:
    for chunk in in_list_chunks(invoice_ids):
        session.execute(
            update(Invoice).where(col(Invoice.id).in_(chunk)).values(lookup_keys_version=LOOKUP_KEYS_VERSION)
        )
