"""Read models of the billing area: an invoice with its status, amounts and allocations."""

from __future__ import annotations

from sqlmodel import Session

from services.reconciler.allocations import allocations_of_invoice
from services.reconciler.billing import repository
from services.reconciler.billing.schemas import AllocationOut, ContractOut, InvoiceOut
from shared.errors import NotFound
from shared.models import Contract, Invoice
from shared.money import format_amount


def invoice_view(session: Session, invoice: Invoice, *, with_allocations: bool = True) -> InvoiceOut:
    partner = repository.get_partner(session, invoice.partner_id)
    contract = repository.get_contract(session, invoice.contract_id) if invoice.contract_id else None
    allocations = [
        AllocationOut(
            id=a.id,
            transaction_id=a.transaction_id,
            bank_ref=a.bank_ref,
            amount=format_amount(a.amount_minor, a.currency),
            currency=a.currency,
            kind=a.kind,
            confidence=a.confidence,
            reasons=a.reasons,
            created_by=a.created_by,
            created_at=a.created_at.isoformat(),
            reversed_at=a.reversed_at.isoformat() if a.reversed_at else None,
        )
        for a in (allocations_of_invoice(session, invoice.id or 0) if with_allocations else [])
    ]
    return InvoiceOut(
        id=invoice.id or 0,
        number=invoice.number,
        direction=invoice.direction,
        partner_id=invoice.partner_id,
        partner_name=partner.name if partner else "",
        contract_id=invoice.contract_id,
        contract_no=contract.number if contract else None,
        invoice_date=invoice.invoice_date,
        due_date=invoice.due_date,
        amount=format_amount(invoice.amount_minor, invoice.currency),
        paid=format_amount(invoice.paid_minor, invoice.currency),
        outstanding=format_amount(invoice.outstanding_minor, invoice.currency),
        currency=invoice.currency,
        status=invoice.status,
        allocations=allocations,
    )


def get_invoice_view(session: Session, invoice_id: int) -> InvoiceOut:
    invoice = repository.get_invoice(session, invoice_id)
    if invoice is None:
        raise NotFound(f"invoice {invoice_id} not found")
    return invoice_view(session, invoice)


def find_invoice_view(session: Session, number: str, direction: str) -> InvoiceOut:
    invoice = repository.find_invoice(session, number, direction)
    if invoice is None:
        raise NotFound(f"{direction} invoice {number!r} not found", field="number")
    return invoice_view(session, invoice)


def contract_view(session: Session, contract: Contract) -> ContractOut:
    return ContractOut(
        id=contract.id or 0,
        number=contract.number,
        partner_id=contract.partner_id,
        contract_date=contract.contract_date,
        invoices=[
            invoice_view(session, inv, with_allocations=False)
            for inv in repository.invoices_of_contract(session, contract.id or 0)
        ],
    )


def get_contract_view(session: Session, contract_id: int) -> ContractOut:
    contract = repository.get_contract(session, contract_id)
    if contract is None:
        raise NotFound(f"contract {contract_id} not found")
    return contract_view(session, contract)
