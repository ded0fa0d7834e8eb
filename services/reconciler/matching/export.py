"""Export allocations as CSV (``bank_ref,invoice_no,amount,kind,confidence``): the scorer's format.

One row per active allocation and one per active suggestion (kind ``suggested``); withdrawn and
reversed rows are history, not current state, and are left out.
"""

from __future__ import annotations

import csv
from typing import TextIO

from sqlalchemy import select
from sqlmodel import Session, col

from shared.db import columns
from shared.models import Allocation, BankTransaction, Invoice
from shared.money import format_amount

HEADER = ("bank_ref", "invoice_no", "amount", "kind", "confidence")


def write_allocations_csv(session: Session, out: TextIO) -> int:
    """Write the CSV to ``out``; returns the number of rows."""
    query = (
        select(
            *columns(
                BankTransaction.bank_ref,
                Invoice.number,
                Allocation.amount_minor,
                Allocation.currency,
                Allocation.kind,
                Allocation.confidence,
            )
        )
        .join(BankTransaction, col(BankTransaction.id) == col(Allocation.transaction_id))
        .join(Invoice, col(Invoice.id) == col(Allocation.invoice_id))
        .where(col(Allocation.reversed_at).is_(None))
        .order_by(col(Allocation.id))
    )
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    count = 0
    for bank_ref, number, amount, currency, kind, confidence in session.execute(
        query.execution_options(yield_per=5000)
    ):
        writer.writerow((bank_ref or "", number, format_amount(amount, currency), kind, f"{confidence:.3f}"))
        count += 1
    return count
