"""Queries of the billing area, in bulk where imports need it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlmodel import Session, col

from shared.db import in_list_chunks, insert_ignoring_conflicts, insert_returning_ids
from shared.models import Contract, Invoice, Partner, PartnerAccount


def partners_by_inn(session: Session, inns: Sequence[str]) -> dict[str, Partner]:
    found: dict[str, Partner] = {}
    for chunk in in_list_chunks(sorted(set(inns))):
        for p in session.scalars(select(Partner).where(col(Partner.inn).in_(chunk))):
            found.setdefault(p.inn or "", p)
    return found


def partners_by_name_without_inn(session: Session, names: Sequence[str]) -> dict[str, Partner]:
    found: dict[str, Partner] = {}
    for chunk in in_list_chunks(sorted(set(names))):
        for p in session.scalars(select(Partner).where(col(Partner.inn).is_(None), col(Partner.name).in_(chunk))):
            found.setdefault(p.name, p)
    return found


def contracts_of(session: Session, partner_ids: Sequence[int]) -> dict[tuple[int, str], Contract]:
    found: dict[tuple[int, str], Contract] = {}
    for chunk in in_list_chunks(sorted(set(partner_ids))):
        for c in session.scalars(select(Contract).where(col(Contract.partner_id).in_(chunk))):
            found[(c.partner_id, c.number)] = c
    return found


def invoices_by_number(session: Session, numbers: Sequence[str]) -> list[Invoice]:
    found: list[Invoice] = []
    for chunk in in_list_chunks(sorted(set(numbers))):
        found.extend(session.scalars(select(Invoice).where(col(Invoice.number).in_(chunk))))
    return found


def insert_rows(session: Session, model: type[Any], rows: Sequence[dict[str, Any]]) -> list[int]:
    return insert_returning_ids(session, model.__table__, rows)


def add_partner_accounts(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    insert_ignoring_conflicts(session, PartnerAccount.__table__, rows, ["partner_id", "number"])  # type: ignore[attr-defined]


def update_invoices(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Bulk UPDATE by primary key (each row has ``id`` and the changed columns)."""
    if rows:
        session.execute(update(Invoice), list(rows))


def get_invoice(session: Session, invoice_id: int) -> Invoice | None:
    return session.get(Invoice, invoice_id)


def find_invoice(session: Session, number: str, direction: str = "receivable") -> Invoice | None:
    return session.scalars(
        select(Invoice).where(col(Invoice.number) == number, col(Invoice.direction) == direction)
    ).first()


def invoices_of_contract(session: Session, contract_id: int) -> list[Invoice]:
    return list(
        session.scalars(select(Invoice).where(col(Invoice.contract_id) == contract_id).order_by(col(Invoice.id)))
    )


def get_partner(session: Session, partner_id: int) -> Partner | None:
    return session.get(Partner, partner_id)


def get_contract(session: Session, contract_id: int) -> Contract | None:
    return session.get(Contract, contract_id)


def find_contract(session: Session, partner_id: int, number: str) -> Contract | None:
    return session.scalars(
        select(Contract).where(col(Contract.partner_id) == partner_id, col(Contract.number) == number)
    ).first()
