"""Small hand-made worlds for matcher tests: one call per thing, overrides by keyword."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from services.reconciler.matching.candidates import candidate_search
from services.reconciler.matching.engine import match_lines
from services.reconciler.matching.lookup_keys import invoice_lookup_keys
from services.reconciler.matching.payers import PartnerDirectory
from services.reconciler.matching.types import (
    Decision,
    Direction,
    LearnedFacts,
    MatchPolicy,
    OpenInvoice,
    PartnerFacts,
    PaymentLine,
)

ROMASHKA = PartnerFacts(1, 'ООО "Ромашка"', ("7701000001",), ("40702810000000000001",))
VEKTOR = PartnerFacts(2, 'АО "Вектор"', ("7702000002",), ("40702810000000000002",))
GRANIT = PartnerFacts(3, 'ООО "Гранит"', ("7703000003",), ("40702810000000000003",))
PARTNERS = (ROMASHKA, VEKTOR, GRANIT)
BANK_TAX_ID = "7707083893"

_next_id = iter(range(1000, 10**9))


def invoice(
    number: str,
    amount: int,
    partner: PartnerFacts = ROMASHKA,
    *,
    direction: Direction = "receivable",
    outstanding: int | None = None,
    currency: str = "RUB",
    invoice_date: date | None = date(2026, 3, 2),
    contract_number: str | None = None,
    id: int | None = None,
) -> OpenInvoice:
    return OpenInvoice(
        id=id if id is not None else next(_next_id),
        number=number,
        direction=direction,
        partner_id=partner.id,
        amount_minor=amount,
        outstanding_minor=amount if outstanding is None else outstanding,
        currency=currency,
        invoice_date=invoice_date,
        due_date=None,
        contract_id=None,
        contract_number=contract_number,
    )


def payable(number: str, amount: int, partner: PartnerFacts, **kw: Any) -> OpenInvoice:
    return invoice(number, amount, partner, direction="payable", **kw)


def credit(amount: int, purpose: str | None, payer: PartnerFacts | None = ROMASHKA, **kw: Any) -> PaymentLine:
    """Money in from ``payer`` (identified by tax id unless overridden)."""
    fields: dict[str, Any] = {
        "id": next(_next_id),
        "amount_minor": amount,
        "currency": "RUB",
        "booking_date": date(2026, 3, 10),
        "counterparty_name": payer.name if payer else None,
        "counterparty_tax_id": payer.tax_ids[0] if payer else None,
        "purpose": purpose,
    }
    fields.update(kw)
    return PaymentLine(**fields)


def debit(amount: int, purpose: str | None, payee: PartnerFacts | None = ROMASHKA, **kw: Any) -> PaymentLine:
    """Money out to ``payee``."""
    return credit(-amount, purpose, payee, **kw)


def decide(
    lines: list[PaymentLine],
    invoices: list[OpenInvoice],
    partners: tuple[PartnerFacts, ...] = PARTNERS,
    learned: LearnedFacts | None = None,
    **policy: Any,
) -> list[Decision]:
    """The core's decisions; every world a rule test builds also proves that the lines' candidate
    invoices alone, with only the references people taught the lines' payers and named partners
    (what the shell loads for a few arriving lines), decide them the same way."""
    decisions = match_lines(lines, invoices, partners, learned, MatchPolicy(**policy))
    subset = candidates_in_memory(lines, invoices, partners, learned)
    lessons = lessons_in_memory(lines, partners, learned)
    assert match_lines(lines, subset, partners, lessons, MatchPolicy(**policy)) == decisions, (
        "the candidate invoices decide differently from all invoices"
    )
    return decisions


def candidates_in_memory(
    lines: Sequence[PaymentLine],
    invoices: Iterable[OpenInvoice],
    partners: Iterable[PartnerFacts],
    learned: LearnedFacts | None = None,
) -> list[OpenInvoice]:
    """What ``repository.open_invoices_found_by`` returns for these lines, from a list: the invoices
    with a stored lookup key the purposes contain, of a payer or named partner, or with a line's
    open amount outstanding — in the list's order, as the full load keeps the database's."""
    search = candidate_search(lines, PartnerDirectory(partners, learned or LearnedFacts()))
    return [
        inv
        for inv in invoices
        if inv.partner_id in search.partner_ids
        or inv.outstanding_minor in search.outstanding
        or not search.keys.isdisjoint(invoice_lookup_keys(inv.number, inv.contract_number))
    ]


def lessons_in_memory(
    lines: Sequence[PaymentLine], partners: Iterable[PartnerFacts], learned: LearnedFacts | None = None
) -> LearnedFacts:
    """What ``repository.learned_references(session, partner_ids)`` leaves of ``learned`` for these
    lines: the references of their payers and of the partners their purposes name."""
    learned = learned or LearnedFacts()
    search = candidate_search(lines, PartnerDirectory(partners, learned))
    references = tuple(r for r in learned.references if r.partner_id in search.partner_ids)
    return replace(learned, references=references)


def decide_one(line: PaymentLine, invoices: list[OpenInvoice], **kw: Any) -> Decision:
    return decide([line], invoices, **kw)[0]


def booked(decision: Decision) -> set[tuple[int, int]]:
    """What an automatic decision allocates: {(invoice id, amount)}; empty unless ``auto``."""
    if decision.outcome != "auto":
        return set()
    return {(a.invoice_id, a.amount_minor) for a in decision.allocations}


def suggested(decision: Decision) -> set[int]:
    return {s.invoice_id for s in decision.suggestions}


def codes(decision: Decision) -> set[str]:
    return {r.code for r in decision.reasons}
