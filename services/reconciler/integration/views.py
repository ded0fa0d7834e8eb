"""Render pages of rows as API shapes, loading related rows in bulk (a few queries per page)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlmodel import Session

from services.reconciler.api.auth import Principal
from services.reconciler.integration import repository, schemas, scope
from shared.models import Allocation, BankAccount, BankTransaction, Contract, Invoice, Partner, Statement
from shared.models.matching import counts_as_paid
from shared.money import format_amount


def _payment_ref(tx: BankTransaction) -> schemas.PaymentRef:
    return schemas.PaymentRef(
        id=tx.id or 0,
        bank_ref=tx.bank_ref,
        booking_date=tx.booking_date,
        amount=format_amount(tx.amount_minor, tx.currency),
        currency=tx.currency,
        counterparty_name=tx.counterparty_name,
    )


def invoices(session: Session, rows: Sequence[Invoice], principal: Principal) -> list[schemas.Invoice]:
    ids = [r.id or 0 for r in rows]
    partners = repository.by_id(session, Partner, [r.partner_id for r in rows])
    contracts = repository.by_id(session, Contract, [r.contract_id for r in rows if r.contract_id])
    allocations: dict[int, list[schemas.InvoiceAllocation]] = {}
    last_paid: dict[int, date] = {}
    for a, tx in repository.allocations_of_invoices(session, ids, scope.allocation_visible(principal)):
        allocations.setdefault(a.invoice_id, []).append(
            schemas.InvoiceAllocation(
                id=a.id or 0,
                kind=a.kind,
                amount=format_amount(a.amount_minor, a.currency),
                currency=a.currency,
                confidence=a.confidence,
                reasons=list(a.reasons),
                created_by=a.created_by,
                created_at=a.created_at,
                reversed_at=a.reversed_at,
                reversal_reason=a.reversal_reason,
                transaction_id=a.transaction_id,
                bank_ref=tx.bank_ref,
                payment=_payment_ref(tx),
            )
        )
        if counts_as_paid(a.kind, a.reversed_at) and tx.booking_date:
            seen = last_paid.get(a.invoice_id)
            last_paid[a.invoice_id] = max(seen, tx.booking_date) if seen else tx.booking_date
    out: list[schemas.Invoice] = []
    for inv in rows:
        partner = partners.get(inv.partner_id)
        contract = contracts.get(inv.contract_id) if inv.contract_id else None
        out.append(
            schemas.Invoice(
                id=inv.id or 0,
                number=inv.number,
                direction=inv.direction,
                status=inv.status,
                amount=format_amount(inv.amount_minor, inv.currency),
                paid=format_amount(inv.paid_minor, inv.currency),
                outstanding=format_amount(inv.outstanding_minor, inv.currency),
                currency=inv.currency,
                partner_id=inv.partner_id,
                partner_name=partner.name if partner else "",
                partner_inn=partner.inn if partner else None,
                contract_id=inv.contract_id,
                contract_no=contract.number if contract else None,
                invoice_date=inv.invoice_date,
                due_date=inv.due_date,
                last_payment_date=last_paid.get(inv.id or 0),
                created_at=inv.created_at,
                updated_at=inv.updated_at,
                allocations=allocations.get(inv.id or 0, []),
            )
        )
    return out


def _payment_allocation(a: Allocation, invoice: Invoice) -> schemas.PaymentAllocation:
    return schemas.PaymentAllocation(
        id=a.id or 0,
        invoice_id=a.invoice_id,
        invoice_no=invoice.number,
        kind=a.kind,
        amount=format_amount(a.amount_minor, a.currency),
        currency=a.currency,
        confidence=a.confidence,
        reasons=list(a.reasons),
        created_by=a.created_by,
        created_at=a.created_at,
        reversed_at=a.reversed_at,
        reversal_reason=a.reversal_reason,
    )


def payments(session: Session, rows: Sequence[BankTransaction], principal: Principal) -> list[schemas.Payment]:
    accounts = repository.by_id(session, BankAccount, [r.bank_account_id for r in rows])
    allocations: dict[int, list[schemas.PaymentAllocation]] = {}
    for a, inv in repository.allocations_of_payments(
        session, [r.id or 0 for r in rows], scope.allocation_visible(principal)
    ):
        allocations.setdefault(a.transaction_id, []).append(_payment_allocation(a, inv))
    return [
        schemas.Payment(
            id=tx.id or 0,
            bank_ref=tx.bank_ref,
            account=accounts[tx.bank_account_id].number if tx.bank_account_id in accounts else "",
            booking_date=tx.booking_date,
            value_date=tx.value_date,
            amount=format_amount(tx.amount_minor, tx.currency),
            currency=tx.currency,
            direction=tx.direction,
            counterparty_name=tx.counterparty_name,
            counterparty_account=tx.counterparty_account,
            counterparty_tax_id=tx.counterparty_tax_id,
            purpose=tx.purpose,
            match_status=tx.match_status,
            allocated=format_amount(tx.allocated_minor, tx.currency),
            statement_id=tx.statement_id,
            created_at=tx.created_at,
            allocations=allocations.get(tx.id or 0, []),
        )
        for tx in rows
    ]


def allocations(session: Session, rows: Sequence[Allocation]) -> list[schemas.Allocation]:
    invoices_by_id = repository.by_id(session, Invoice, [a.invoice_id for a in rows])
    lines = repository.by_id(session, BankTransaction, [a.transaction_id for a in rows])
    return [
        schemas.Allocation(
            **_payment_allocation(a, invoices_by_id[a.invoice_id]).model_dump(),
            transaction_id=a.transaction_id,
            bank_ref=lines[a.transaction_id].bank_ref if a.transaction_id in lines else None,
        )
        for a in rows
    ]


def partners(session: Session, rows: Sequence[Partner]) -> list[schemas.Partner]:
    accounts = repository.accounts_of_partners(session, [p.id or 0 for p in rows])
    return [
        schemas.Partner(
            id=p.id or 0,
            name=p.name,
            inn=p.inn,
            kpp=p.kpp,
            email=p.email,
            language=p.language,
            accounts=accounts.get(p.id or 0, []),
            created_at=p.created_at,
        )
        for p in rows
    ]


def contracts(session: Session, rows: Sequence[Contract], principal: Principal) -> list[schemas.ContractSummary]:
    partners_by_id = repository.by_id(session, Partner, [c.partner_id for c in rows])
    totals = repository.contract_totals(session, [c.id or 0 for c in rows], scope.invoice_visible(principal))
    out = []
    for c in rows:
        count, owed = totals.get(c.id or 0, (0, {}))
        out.append(
            schemas.ContractSummary(
                id=c.id or 0,
                number=c.number,
                partner_id=c.partner_id,
                partner_name=partners_by_id[c.partner_id].name if c.partner_id in partners_by_id else "",
                contract_date=c.contract_date,
                currency=c.currency,
                invoice_count=count,
                outstanding={cur: format_amount(minor, cur) for cur, minor in sorted(owed.items())},
            )
        )
    return out


def statements(session: Session, rows: Sequence[Statement]) -> list[schemas.Statement]:
    accounts = repository.statement_accounts(session, rows)

    def money(minor: int | None, currency: str | None) -> str | None:
        return format_amount(minor, currency or "RUB") if minor is not None else None

    return [
        schemas.Statement(
            id=s.id or 0,
            account=accounts.get(s.bank_account_id, ""),
            source=s.source,
            format=s.format,
            filename=s.filename,
            file_hash=s.file_hash,
            external_id=s.external_id,
            date_from=s.date_from,
            date_to=s.date_to,
            currency=s.currency,
            opening_balance=money(s.opening_minor, s.currency),
            closing_balance=money(s.closing_minor, s.currency),
            lines=s.line_count,
            new=s.new_count,
            duplicates=s.duplicate_count,
            warnings=list(s.warnings),
            imported_by=s.imported_by,
            imported_at=s.imported_at,
        )
        for s in rows
    ]
