"""What a partner-scoped key may see, as SQL conditions the list and lookup queries add.

A partner sees its own record, its contracts and invoices, the effective (not suggested)
allocations to its invoices, and the payments it made (its INN as payer) or that were
allocated to its invoices. Anything else is invisible: a lookup answers 404 exactly as for an id
that does not exist, and lists simply do not contain it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, false, or_, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from services.reconciler.api.auth import Principal
from shared.models import Allocation, BankTransaction, Contract, Invoice, Partner
from shared.models.matching import EFFECTIVE_KINDS


def partner_invoices(partner_id: int) -> Any:
    return select(col(Invoice.id)).where(col(Invoice.partner_id) == partner_id)


def invoice_visible(principal: Principal) -> ColumnElement[bool] | None:
    return None if principal.partner_id is None else col(Invoice.partner_id) == principal.partner_id


def contract_visible(principal: Principal) -> ColumnElement[bool] | None:
    return None if principal.partner_id is None else col(Contract.partner_id) == principal.partner_id


def partner_visible(principal: Principal) -> ColumnElement[bool] | None:
    return None if principal.partner_id is None else col(Partner.id) == principal.partner_id


def allocation_visible(principal: Principal) -> ColumnElement[bool] | None:
    """Internal keys see suggestions too; a partner sees money moved onto its invoices."""
    if principal.partner_id is None:
        return None
    return (col(Allocation.kind).in_(EFFECTIVE_KINDS)) & col(Allocation.invoice_id).in_(
        partner_invoices(principal.partner_id)
    )


def payment_visible(principal: Principal) -> ColumnElement[bool] | None:
    if principal.partner_id is None:
        return None
    paid_ours = exists().where(
        col(Allocation.transaction_id) == col(BankTransaction.id),
        col(Allocation.kind).in_(EFFECTIVE_KINDS),
        col(Allocation.reversed_at).is_(None),
        col(Allocation.invoice_id).in_(partner_invoices(principal.partner_id)),
    )
    by_them = col(BankTransaction.counterparty_tax_id) == principal.partner_inn if principal.partner_inn else false()
    return or_(by_them, paid_ours)
