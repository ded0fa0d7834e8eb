"""A small books-in-a-box for review tests: one account, partners, invoices, lines and suggestions."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from sqlmodel import Session

from shared.models import Allocation, BankAccount, BankTransaction, Invoice, Partner, Statement

_seq = itertools.count(1)


def account(session: Session) -> BankAccount:
    acc = BankAccount(number=f"4070281000000000{next(_seq):04d}", currency="RUB")
    session.add(acc)
    session.flush()
    return acc


def partner(session: Session, name: str = 'ООО "Ромашка"') -> Partner:
    p = Partner(name=name, inn=f"77{next(_seq):08d}")
    session.add(p)
    session.flush()
    return p


def invoice(session: Session, p: Partner, amount: int, **kw: Any) -> Invoice:
    inv = Invoice(number=kw.pop("number", f"INV-{next(_seq)}"), partner_id=p.id or 0, amount_minor=amount, **kw)
    session.add(inv)
    session.flush()
    return inv


def line(session: Session, acc: BankAccount, amount: int, **kw: Any) -> BankTransaction:
    st = Statement(
        bank_account_id=acc.id or 0, source="file", format="camt", file_hash=f"h{next(_seq)}", imported_by="test"
    )
    session.add(st)
    session.flush()
    n = next(_seq)
    tx = BankTransaction(
        bank_account_id=acc.id or 0,
        statement_id=st.id or 0,
        dedupe_key=f"k{n}",
        bank_ref=f"REF-{n}",
        booking_date=kw.pop("booking_date", date(2026, 3, 10)),
        amount_minor=amount,
        currency=kw.pop("currency", "RUB"),
        counterparty_name=kw.pop("counterparty_name", 'ООО "Ромашка"'),
        counterparty_account=kw.pop("counterparty_account", "40702810000000000099"),
        purpose=kw.pop("purpose", "Оплата"),
        **kw,
    )
    session.add(tx)
    session.flush()
    return tx


def suggestion(
    session: Session, tx: BankTransaction, inv: Invoice, amount: int | None = None, confidence: float = 0.7
) -> Allocation:
    a = Allocation(
        transaction_id=tx.id or 0,
        invoice_id=inv.id or 0,
        amount_minor=amount or abs(tx.amount_minor),
        currency=tx.currency,
        kind="suggested",
        confidence=confidence,
        reasons=[{"code": "amount_equal", "text": "the amount equals the invoice's outstanding"}],
        created_by="system:matcher",
    )
    session.add(a)
    tx.match_status = "suggested"
    session.add(tx)
    session.flush()
    return a
