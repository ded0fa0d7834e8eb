"""What people's decisions teach the matcher, and what their corrections take back.

Learning happens where a person allocates money — confirming a suggestion or allocating by hand —
in the same transaction, journaled with who taught what by which allocation:

* **the payer's account** ("this account pays for this partner", ``learned_account``): when every
  invoice of the decision is one partner's and the line's tax id, if it has one, is that
  partner's — a payer with another tax id is a different legal entity paying on the partner's
  behalf, whose account says nothing about the partner. Accounts a partner is already known by
  teach nothing. The first lesson for an account stands.
* **the payer's own references** (``learned_reference``, see ``matching.learning`` for which words
  qualify): when the line's money goes to one invoice only, and that invoice takes the whole line
  or the purpose names it by its own number. A payment split over several invoices teaches no
  reference: which word belongs to which invoice it does not say.

A person's correction takes a reference back as far as booking goes: undoing an allocation made
by it, rejecting a suggestion it offered, or undoing the allocation it was learned from marks
every row of that alias of the partner doubted — from then on the matcher only suggests by it.
Nothing lifts a doubt automatically; a person can always allocate by hand.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session

from services.reconciler.matching.learning import (
    TeachingContext,
    aliases_to_learn,
    lookup_digits,
    refusal,
    words_with_digits,
)
from services.reconciler.matching.references import SERIAL, number_keys
from services.reconciler.matching.text import read_purpose
from services.reconciler.review import repository
from shared import journal
from shared.models import Allocation, BankTransaction, Contract, Invoice
from shared.models.columns import utcnow

# Our numbers that look like a word are looked up by its digits; more matches than this and the
# word is not learned (that it is none of our numbers cannot be shown cheaply).
NUMBER_LOOKUP_LIMIT = 200
# How many of the partner's latest payments for other invoices show whether it writes a code on all.
HISTORY_LIMIT = 200


def learn_from_decision(
    session: Session, line_id: int, allocations: Sequence[tuple[int, int]], invoices: dict[int, Invoice], *, actor: str
) -> None:
    """Learn what a person's allocation of ``line_id`` teaches: ``allocations`` are its new (id, invoice id)."""
    if not allocations:
        return
    line = session.get(BankTransaction, line_id, populate_existing=True)
    if line is None:
        return
    partners = {invoices[invoice_id].partner_id for _, invoice_id in allocations}
    if len(partners) == 1:
        _learn_account(session, line, partners.pop(), allocations[0][0], actor)
    active = repository.effective_allocations_of_line(session, line_id)
    if len({a.invoice_id for a in active}) != 1:
        return
    allocation_id, invoice_id = allocations[0]
    invoice = invoices[invoice_id]
    whole = line.allocated_minor >= abs(line.amount_minor)
    keys = set(read_purpose(line.purpose).keys)
    named = any(tier > SERIAL and key in keys for key, tier in number_keys(invoice.number).items())
    if whole or named:
        _learn_references(session, line, invoice, allocation_id, actor)


def _clean(value: str | None) -> str:
    return "".join(ch for ch in (value or "") if ch.isalnum()).upper()


def _learn_account(session: Session, line: BankTransaction, partner_id: int, allocation_id: int, actor: str) -> None:
    account = line.counterparty_account
    if not account:
        return
    partner = repository.get_partner(session, partner_id)
    if partner is None:
        return
    if line.counterparty_tax_id and _clean(line.counterparty_tax_id) != _clean(partner.inn):
        return  # another legal entity paying for the partner: its account is not the partner's
    if repository.is_partner_account(session, account):
        return
    learned = repository.learn_account(session, account, partner_id, allocation_id, actor)
    if learned is not None:
        journal.record(
            session,
            journal.Change(
                actor,
                "learned_account.created",
                "learned_account",
                learned.id or 0,
                after={
                    "account_number": account,
                    "partner_id": partner_id,
                    "learned_from_allocation_id": allocation_id,
                    "transaction_id": line.id,
                },
            ),
        )


def _learn_references(
    session: Session, line: BankTransaction, invoice: Invoice, allocation_id: int, actor: str
) -> None:
    candidates = [a for a in words_with_digits(line.purpose) if refusal(a, TeachingContext()) is None]
    if not candidates:
        return
    numbers = [invoice.number]
    contracts = repository.contract_numbers_of_partner(session, invoice.partner_id)
    unprovable: set[str] = set()
    for alias in candidates:
        digits = lookup_digits(alias)
        found_invoices = repository.numbers_containing(session, Invoice, digits, NUMBER_LOOKUP_LIMIT)
        found_contracts = repository.numbers_containing(session, Contract, digits, NUMBER_LOOKUP_LIMIT)
        if found_invoices is None or found_contracts is None:
            unprovable.add(alias.key)
            continue
        numbers += found_invoices
        contracts += found_contracts
    partner = repository.get_partner(session, invoice.partner_id)
    context = TeachingContext(
        numbers=tuple(dict.fromkeys(numbers)),
        contracts=tuple(dict.fromkeys(contracts)),
        names=tuple(n for n in ((partner.name if partner else None), line.counterparty_name) if n),
        amounts_minor=(line.amount_minor, invoice.amount_minor, invoice.outstanding_minor, line.allocated_minor),
    )
    aliases = [a for a in aliases_to_learn(line.purpose, context) if a.key not in unprovable]
    if not aliases:
        return
    elsewhere = [
        set(read_purpose(p).keys)
        for p in repository.purposes_paying_other_invoices(session, invoice.partner_id, invoice.id or 0, HISTORY_LIMIT)
    ]
    now = utcnow()
    rows = [
        {
            "partner_id": invoice.partner_id,
            "direction": invoice.direction,
            "alias": a.key,
            "written": a.written,
            "invoice_id": invoice.id,
            "written_for_other_invoices": any(a.key in keys for keys in elsewhere),
            "learned_from_allocation_id": allocation_id,
            "created_by": actor,
            "created_at": now,
        }
        for a in aliases
    ]
    learned = repository.learn_references(session, rows, allocation_id)
    journal.record_many(
        session,
        [
            journal.Change(
                actor,
                "learned_reference.created",
                "learned_reference",
                r.id or 0,
                after={
                    "partner_id": r.partner_id,
                    "direction": r.direction,
                    "alias": r.alias,
                    "written": r.written,
                    "invoice_id": r.invoice_id,
                    "invoice_no": invoice.number,
                    "written_for_other_invoices": r.written_for_other_invoices,
                    "learned_from_allocation_id": allocation_id,
                    "transaction_id": line.id,
                },
            )
            for r in learned
        ],
    )


def doubt_after_correction(session: Session, allocation: Allocation, *, actor: str, why: str) -> None:
    """A person undid ``allocation`` or rejected it as a suggestion: doubt the references behind it."""
    invoice = session.get(Invoice, allocation.invoice_id)
    if invoice is None:
        return
    taught = repository.references_taught_by(session, allocation.id or 0)
    aliases = {(r.partner_id, r.direction, r.alias) for r in taught}
    if any(str(r.get("code", "")).startswith("reference_learned") for r in allocation.reasons or []):
        line = session.get(BankTransaction, allocation.transaction_id)
        keys = read_purpose(line.purpose if line else None).keys
        for r in repository.references_of_partner(session, invoice.partner_id, invoice.direction, keys):
            aliases.add((r.partner_id, r.direction, r.alias))
    if not aliases:
        return
    rows = [
        r
        for partner_id, direction, alias in sorted(aliases)
        for r in repository.references_of_partner(session, partner_id, direction, [alias])
        if r.doubted_at is None
    ]
    if not rows:
        return
    reason = f"{why} (allocation {allocation.id} of payment {allocation.transaction_id} to invoice {invoice.number})"
    repository.doubt_references(session, [r.id or 0 for r in rows], actor=actor, reason=reason, now=utcnow())
    journal.record_many(
        session,
        [
            journal.Change(
                actor,
                "learned_reference.doubted",
                "learned_reference",
                r.id or 0,
                before={"doubted": False},
                after={
                    "doubted": True,
                    "partner_id": r.partner_id,
                    "alias": r.alias,
                    "invoice_id": r.invoice_id,
                    "allocation_id": allocation.id,
                    "transaction_id": allocation.transaction_id,
                    "reason": reason,
                },
            )
            for r in rows
        ],
    )
