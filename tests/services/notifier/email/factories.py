"""Business rows for the email channel: partners with addresses, contracts, payments with payment-order fields."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from shared import outbox
from shared.models import Allocation, BankAccount, BankTransaction, Contract, Invoice, Partner, Statement
from shared.models.billing import invoice_status

_seq = itertools.count(1)
OUR_ACCOUNT = "40702810900000000001"


def partner(
    session: Session,
    inn: str,
    name: str = 'ООО "Ромашка"',
    email: str | None = "buh@romashka.example",
    language: str = "ru",
) -> Partner:
    row = Partner(name=name, inn=inn, kpp=inn[:4] + "01001", email=email, language=language)
    session.add(row)
    session.flush()
    return row


def contract(session: Session, owner: Partner, number: str = "Д-17/2026") -> Contract:
    row = Contract(partner_id=owner.id or 0, number=number, contract_date=date(2026, 1, 15), currency="RUB")
    session.add(row)
    session.flush()
    return row


def invoice(
    session: Session,
    owner: Partner,
    amount_minor: int,
    *,
    direction: str = "receivable",
    contract_id: int | None = None,
    due: date = date(2026, 5, 24),
    number: str | None = None,
) -> Invoice:
    row = Invoice(
        number=number or f"INV-{next(_seq)}",
        direction=direction,
        partner_id=owner.id or 0,
        contract_id=contract_id,
        invoice_date=date(2026, 5, 10),
        due_date=due,
        amount_minor=amount_minor,
    )
    session.add(row)
    session.flush()
    return row


def _account(session: Session) -> BankAccount:
    account = session.scalars(select(BankAccount).where(col(BankAccount.number) == OUR_ACCOUNT)).first()
    if account is None:
        account = BankAccount(number=OUR_ACCOUNT, currency="RUB", bank_bik="044525225", name="ООО Сверка")
        session.add(account)
        session.flush()
    return account


def payment(session: Session, counterparty: Partner, amount_minor: int, **details: str) -> BankTransaction:
    """A bank line on our account: positive = received, negative = we paid; ``details`` as 1C carries them."""
    n = next(_seq)
    account = _account(session)
    statement = Statement(
        bank_account_id=account.id or 0, source="file", format="1c", file_hash=f"h{n}", imported_by="test"
    )
    session.add(statement)
    session.flush()
    row = BankTransaction(
        bank_account_id=account.id or 0,
        statement_id=statement.id or 0,
        dedupe_key=f"k{n}",
        bank_ref=f"BANKREF-{n}",
        booking_date=date(2026, 5, 20),
        amount_minor=amount_minor,
        currency="RUB",
        counterparty_name=counterparty.name,
        counterparty_tax_id=counterparty.inn,
        counterparty_account="40702810500020007683",
        purpose=details.pop("purpose", "Оплата по счёту. В том числе НДС 20%"),
        details=dict(details),
    )
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True)
class Settled:
    event_id: str
    invoice_id: int
    transaction_id: int
    allocation_id: int


def allocate(session: Session, tx: BankTransaction, inv: Invoice, amount_minor: int | None = None) -> Settled:
    """Apply (part of) a line to an invoice as the matcher does, with the ``payment.allocated`` event."""
    amount = amount_minor if amount_minor is not None else abs(tx.amount_minor)
    allocation = Allocation(
        transaction_id=tx.id or 0,
        invoice_id=inv.id or 0,
        amount_minor=amount,
        currency="RUB",
        kind="auto",
        created_by="system:matcher",
    )
    session.add(allocation)
    inv.paid_minor += amount
    inv.status = invoice_status(inv.amount_minor, inv.paid_minor)
    tx.allocated_minor += amount
    tx.match_status = "settled"
    session.flush()
    event = outbox.emit(
        session,
        "payment.allocated",
        {
            "allocation_id": allocation.id,
            "transaction_id": tx.id,
            "invoice_id": inv.id,
            "amount_minor": amount,
            "currency": "RUB",
        },
    )
    return Settled(event.event_id, inv.id or 0, tx.id or 0, allocation.id or 0)


def one_c_details(**overrides: Any) -> dict[str, str]:
    """Payment-order fields as the 1C adapter stores them (keys of adapters.banks.base.PAYMENT_ORDER_KEYS)."""
    values = {
        "document_kind": "Платежное поручение",
        "document_number": "338",
        "document_date": "2026-05-19",
        "priority": "5",
        "payment_kind": "01",
        "payer_name": 'ООО "Ромашка"',
        "payer_inn": "7701234567",
        "payer_kpp": "770101001",
        "payer_account": "40702810500020007683",
        "payer_bank_name": 'ПАО "СБЕРБАНК" г. Москва',
        "payer_bank_bik": "044525225",
        "payer_bank_corr_account": "30101810400000000225",
        "payee_name": 'ООО "Сверка"',
        "payee_inn": "7709876543",
        "payee_kpp": "770901001",
        "payee_account": OUR_ACCOUNT,
        "payee_bank_name": 'АО "ТБАНК" г. Москва',
        "payee_bank_bik": "044525974",
        "payee_bank_corr_account": "30101810145250000974",
        "ВидПлатежа": "электронно",
    }
    values.update(overrides)
    return values
