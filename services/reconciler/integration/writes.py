"""Writes of ``/v1`` that no other area offers: partners, contract details, cancelling an invoice.

Nothing is deleted: an invoice is cancelled (status ``cancelled``, journaled with the reason);
partners and contracts are updated with before and after in the journal.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlmodel import Session, col

from services.reconciler.integration.schemas import ContractPatch, PartnerIn, PartnerPatch
from services.reconciler.review import repository as review_repository
from shared import journal
from shared.db import insert_ignoring_conflicts
from shared.errors import Conflict, NotFound
from shared.models import BankTransaction, Contract, Invoice, Partner, PartnerAccount
from shared.models.columns import utcnow
from shared.money import format_amount


def _add_accounts(session: Session, partner_id: int, accounts: list[str]) -> None:
    rows = [{"partner_id": partner_id, "number": a} for a in sorted(set(accounts))]
    insert_ignoring_conflicts(session, PartnerAccount.__table__, rows, ["partner_id", "number"])  # type: ignore[attr-defined]


def create_partner(session: Session, item: PartnerIn, *, actor: str) -> Partner:
    """A new partner; an INN already known is a conflict naming the partner that has it."""
    if item.inn:
        existing = session.scalars(
            select(Partner).where(col(Partner.inn) == item.inn).order_by(col(Partner.id))
        ).first()
        if existing is not None:
            raise Conflict(f"partner {existing.id} already has INN {item.inn}", field="inn")
    partner = Partner(name=item.name, inn=item.inn, kpp=item.kpp, email=item.email, language=item.language)
    session.add(partner)
    session.flush()
    _add_accounts(session, partner.id or 0, item.accounts)
    journal.record(
        session,
        journal.Change(
            actor, "partner.created", "partner", partner.id or 0, after={"name": partner.name, "inn": partner.inn}
        ),
    )
    return partner


def update_partner(session: Session, partner: Partner, patch: PartnerPatch, *, actor: str) -> Partner:
    fields: dict[str, Any] = patch.model_dump(exclude_unset=True, exclude={"accounts"})
    fields = {k: v for k, v in fields.items() if v is not None or k in ("kpp", "email")}
    if "name" in fields and fields["name"] is None:
        fields.pop("name")
    before = {k: getattr(partner, k) for k in fields}
    changed = {k: v for k, v in fields.items() if before[k] != v}
    for k, v in changed.items():
        setattr(partner, k, v)
    if patch.accounts:
        _add_accounts(session, partner.id or 0, patch.accounts)
    session.flush()
    if changed or patch.accounts:
        journal.record(
            session,
            journal.Change(
                actor,
                "partner.updated",
                "partner",
                partner.id or 0,
                before={k: before[k] for k in changed},
                after={**changed, **({"accounts_added": sorted(set(patch.accounts))} if patch.accounts else {})},
            ),
        )
    return partner


def update_contract(session: Session, contract: Contract, patch: ContractPatch, *, actor: str) -> Contract:
    fields = patch.model_dump(exclude_unset=True)
    before = {k: getattr(contract, k) for k in fields}
    changed = {k: v for k, v in fields.items() if before[k] != v}
    for k, v in changed.items():
        setattr(contract, k, v)
    session.flush()
    if changed:
        journal.record(
            session,
            journal.Change(
                actor,
                "contract.updated",
                "contract",
                contract.id or 0,
                before={k: before[k] for k in changed},
                after=changed,
            ),
        )
    return contract


def cancel_invoice(session: Session, invoice_id: int, *, reason: str, actor: str) -> Invoice:
    """Cancel an invoice that carries no money; its open suggestions are withdrawn.

    An invoice with payments on it is not cancelled: the allocations are undone first (each
    with its own reason), so the books never hold money against a cancelled invoice.
    """
    locked = review_repository.lock_invoices(session, [invoice_id])
    invoice = locked.get(invoice_id)
    if invoice is None:
        raise NotFound(f"invoice {invoice_id} not found")
    if invoice.status == "cancelled":
        raise Conflict(f"invoice {invoice.number} is already cancelled")
    if invoice.paid_minor > 0:
        raise Conflict(
            f"invoice {invoice.number} has {format_amount(invoice.paid_minor, invoice.currency)} paid on it; "
            "undo those allocations first"
        )
    now = utcnow()
    result = session.execute(
        update(Invoice)
        .where(col(Invoice.id) == invoice_id, col(Invoice.paid_minor) == 0, col(Invoice.status) != "cancelled")
        .values(status="cancelled", updated_at=now)
    )
    if getattr(result, "rowcount", 0) != 1:
        raise Conflict(f"invoice {invoice.number} changed meanwhile")
    suggestions = review_repository.active_suggestions_to_invoices(session, [invoice_id])
    review_repository.withdraw(
        session, [s.id or 0 for s in suggestions], actor=actor, reason="invoice cancelled", now=now
    )
    for line_id in sorted({s.transaction_id for s in suggestions}):
        _refresh_line_status(session, line_id)
    journal.record(
        session,
        journal.Change(
            actor,
            "invoice.cancelled",
            "invoice",
            invoice_id,
            before={"status": invoice.status},
            after={"status": "cancelled", "reason": reason, "withdrawn_suggestions": [s.id for s in suggestions]},
        ),
    )
    session.refresh(invoice)
    return invoice


def _refresh_line_status(session: Session, line_id: int) -> None:
    """A line that lost its last suggestion goes back to unmatched (the review service's rule)."""
    line = session.get(BankTransaction, line_id, populate_existing=True)
    if line is None or line.match_status in ("ignored", "settled", "partially_settled"):
        return
    if not review_repository.active_suggestions_of_line(session, line_id):
        review_repository.set_line_status(session, line_id, "unmatched")
