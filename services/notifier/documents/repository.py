"""Every query the documents need: a payment and its context, a contract's invoices and allocations, scans."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session, col

from shared.models import Allocation, BankAccount, BankTransaction, Contract, Invoice, Partner
from shared.models.documents import PaymentDocument
from shared.models.matching import EFFECTIVE_KINDS


def get_transaction(session: Session, transaction_id: int) -> BankTransaction | None:
    return session.get(BankTransaction, transaction_id)


def get_account(session: Session, account_id: int) -> BankAccount | None:
    return session.get(BankAccount, account_id)


def get_partner(session: Session, partner_id: int) -> Partner | None:
    return session.get(Partner, partner_id)


def get_contract(session: Session, contract_id: int) -> Contract | None:
    return session.get(Contract, contract_id)


def get_invoice(session: Session, invoice_id: int) -> Invoice | None:
    return session.get(Invoice, invoice_id)


def contracts_of(session: Session, partner_id: int) -> list[Contract]:
    return list(
        session.scalars(select(Contract).where(col(Contract.partner_id) == partner_id).order_by(col(Contract.id)))
    )


def has_invoices_without_contract(session: Session, partner_id: int) -> bool:
    query = select(col(Invoice.id)).where(col(Invoice.partner_id) == partner_id, col(Invoice.contract_id).is_(None))
    return session.scalars(query.limit(1)).first() is not None


def invoices_of(session: Session, partner_id: int, contract_id: int | None) -> list[Invoice]:
    """The partner's invoices under ``contract_id`` (None: under no contract), cancelled ones left out."""
    contract = col(Invoice.contract_id).is_(None) if contract_id is None else col(Invoice.contract_id) == contract_id
    return list(
        session.scalars(
            select(Invoice)
            .where(col(Invoice.partner_id) == partner_id, contract, col(Invoice.status) != "cancelled")
            .order_by(col(Invoice.id))
        )
    )


def allocations_to(session: Session, invoice_ids: list[int]) -> list[tuple[Allocation, BankTransaction]]:
    """Allocations that moved money onto these invoices (reversed ones too), with their bank lines."""
    if not invoice_ids:
        return []
    rows = session.execute(
        select(Allocation, BankTransaction)
        .join(BankTransaction, col(BankTransaction.id) == col(Allocation.transaction_id))
        .where(col(Allocation.invoice_id).in_(invoice_ids), col(Allocation.kind).in_(EFFECTIVE_KINDS))
        .order_by(col(Allocation.id))
    ).all()
    return [(a, t) for a, t in rows]


def partner_of_transaction(session: Session, transaction_id: int) -> set[int]:
    """Partners whose invoices this bank line was (effectively) allocated to, ever."""
    rows = session.execute(
        select(col(Invoice.partner_id))
        .join(Allocation, col(Allocation.invoice_id) == col(Invoice.id))
        .where(col(Allocation.transaction_id) == transaction_id, col(Allocation.kind).in_(EFFECTIVE_KINDS))
        .distinct()
    ).all()
    return {int(r[0]) for r in rows}


def latest_scan(session: Session, transaction_id: int) -> PaymentDocument | None:
    return session.scalars(
        select(PaymentDocument)
        .where(col(PaymentDocument.transaction_id) == transaction_id)
        .order_by(col(PaymentDocument.id).desc())
        .limit(1)
    ).first()


def scans_of(session: Session, transaction_id: int) -> list[PaymentDocument]:
    return list(
        session.scalars(
            select(PaymentDocument)
            .where(col(PaymentDocument.transaction_id) == transaction_id)
            .order_by(col(PaymentDocument.id))
        )
    )


def scan_by_hash(session: Session, transaction_id: int, sha256: str) -> PaymentDocument | None:
    return session.scalars(
        select(PaymentDocument).where(
            col(PaymentDocument.transaction_id) == transaction_id, col(PaymentDocument.sha256) == sha256
        )
    ).first()


def partner_by_inn(session: Session, inn: str) -> Partner | None:
    return session.scalars(select(Partner).where(col(Partner.inn) == inn).order_by(col(Partner.id)).limit(1)).first()
