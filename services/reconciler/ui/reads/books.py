"""A contract's or a partner's books: balances, invoices, the money on them, and what happened.

Every list here is bounded (the newest ``limit`` rows, with the full count beside it) and every
total is a SQL aggregate, so a partner with ten thousand invoices costs what one with ten does.
The timeline finds its journal events through subqueries on the entity's invoices and
allocations (``entity_id IN (SELECT …)``) and the ``(entity_type, entity_id)`` index of
migration 0007, instead of shipping id lists back and forth.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import String, and_, case, cast, func, select, union_all
from sqlmodel import Session, col

from services.reconciler.allocations import AllocationView, allocations_where
from shared.db import columns
from shared.errors import NotFound
from shared.models import Allocation, Contract, Invoice, JournalEvent, Partner

LIST_LIMIT = 200
TIMELINE_LIMIT = 100


@dataclass(frozen=True, slots=True)
class PartnerView:
    id: int
    name: str
    inn: str | None
    kpp: str | None
    email: str | None


@dataclass(frozen=True, slots=True)
class ContractView:
    id: int
    number: str
    contract_date: date | None
    currency: str | None
    partner: PartnerView


@dataclass(frozen=True, slots=True)
class Balance:
    """Invoices of one direction and currency: invoiced, paid and still outstanding (cancelled left out)."""

    direction: str
    currency: str
    invoices: int
    invoiced_minor: int
    paid_minor: int
    outstanding_minor: int


@dataclass(frozen=True, slots=True)
class BookInvoice:
    id: int
    number: str
    direction: str
    contract_id: int | None
    contract_no: str | None
    invoice_date: date | None
    due_date: date | None
    amount_minor: int
    paid_minor: int
    currency: str
    status: str

    @property
    def outstanding_minor(self) -> int:
        return max(self.amount_minor - self.paid_minor, 0) if self.status != "cancelled" else 0


@dataclass(frozen=True, slots=True)
class Books:
    """Everything the contract and partner pages show below their heading."""

    balances: list[Balance]
    invoices: list[BookInvoice]
    invoice_count: int
    allocations: list[AllocationView]
    allocation_count: int
    timeline: list[JournalEvent]
    contracts: list[tuple[int, str, int]]  # (id, number, invoices) of a partner; empty on a contract page


def partner(session: Session, partner_id: int) -> PartnerView:
    row = session.execute(
        select(*columns(Partner.id, Partner.name, Partner.inn, Partner.kpp, Partner.email)).where(
            col(Partner.id) == partner_id
        )
    ).first()
    if row is None:
        raise NotFound(f"partner {partner_id} not found")
    return PartnerView(*row)


def contract(session: Session, contract_id: int) -> ContractView:
    row = session.execute(
        select(
            *columns(Contract.id, Contract.number, Contract.contract_date, Contract.currency, Contract.partner_id)
        ).where(col(Contract.id) == contract_id)
    ).first()
    if row is None:
        raise NotFound(f"contract {contract_id} not found")
    contract_id_, number, signed, currency, partner_id = row
    return ContractView(int(contract_id_), str(number), signed, currency, partner(session, int(partner_id)))


def contract_of_invoice(session: Session, invoice_id: int) -> tuple[int, str] | None:
    row = session.execute(
        select(*columns(Contract.id, Contract.number))
        .join(Invoice, col(Invoice.contract_id) == col(Contract.id))
        .where(col(Invoice.id) == invoice_id)
    ).first()
    return (int(row[0]), str(row[1])) if row else None


def books_of_partner(session: Session, partner_id: int) -> Books:
    contracts = [
        (int(i), str(n), int(c))
        for i, n, c in session.execute(
            select(col(Contract.id), col(Contract.number), func.count(col(Invoice.id)))
            .outerjoin(Invoice, col(Invoice.contract_id) == col(Contract.id))
            .where(col(Contract.partner_id) == partner_id)
            .group_by(col(Contract.id), col(Contract.number))
            .order_by(col(Contract.number))
            .limit(LIST_LIMIT)
        )
    ]
    return _books(
        session,
        col(Invoice.partner_id) == partner_id,
        own_events=[
            ("partner", str(partner_id)),
            ("contract", select(cast(col(Contract.id), String)).where(col(Contract.partner_id) == partner_id)),
        ],
        contracts=contracts,
    )


def books_of_contract(session: Session, contract_id: int) -> Books:
    return _books(
        session, col(Invoice.contract_id) == contract_id, own_events=[("contract", str(contract_id))], contracts=[]
    )


def _books(
    session: Session, of_invoices: Any, *, own_events: list[tuple[str, Any]], contracts: list[tuple[int, str, int]]
) -> Books:
    invoice_ids = select(col(Invoice.id)).where(of_invoices)
    money_moved = and_(col(Allocation.invoice_id).in_(invoice_ids), col(Allocation.kind) != "suggested")
    allocation_count = int(
        session.execute(select(func.count()).select_from(Allocation).where(money_moved)).scalar_one()
    )
    newest = select(col(Allocation.id)).where(money_moved).order_by(col(Allocation.id).desc()).limit(LIST_LIMIT)
    allocation_ids = [int(i) for i in session.execute(newest).scalars()]
    allocations = allocations_where(session, col(Allocation.id).in_(allocation_ids)) if allocation_ids else []
    return Books(
        balances=_balances(session, of_invoices),
        invoices=_invoices(session, of_invoices),
        invoice_count=int(session.execute(select(func.count()).select_from(Invoice).where(of_invoices)).scalar_one()),
        allocations=list(reversed(allocations)),
        allocation_count=allocation_count,
        timeline=_timeline(session, of_invoices, own_events),
        contracts=contracts,
    )


def _balances(session: Session, of_invoices: Any) -> list[Balance]:
    live = col(Invoice.status) != "cancelled"
    amount = case((live, col(Invoice.amount_minor)), else_=0)
    paid = case((live, col(Invoice.paid_minor)), else_=0)
    outstanding = case(
        (
            and_(live, col(Invoice.amount_minor) > col(Invoice.paid_minor)),
            col(Invoice.amount_minor) - col(Invoice.paid_minor),
        ),
        else_=0,
    )
    rows = session.execute(
        select(
            col(Invoice.direction),
            col(Invoice.currency),
            func.count(),
            func.coalesce(func.sum(amount), 0),
            func.coalesce(func.sum(paid), 0),
            func.coalesce(func.sum(outstanding), 0),
        )
        .where(of_invoices)
        .group_by(col(Invoice.direction), col(Invoice.currency))
        .order_by(col(Invoice.direction).desc(), col(Invoice.currency))
    )
    return [Balance(str(d), str(c), int(n), int(a), int(p), int(o)) for d, c, n, a, p, o in rows]


def _invoices(session: Session, of_invoices: Any) -> list[BookInvoice]:
    rows = session.execute(
        select(
            *columns(
                Invoice.id,
                Invoice.number,
                Invoice.direction,
                Invoice.contract_id,
                Contract.number,
                Invoice.invoice_date,
                Invoice.due_date,
                Invoice.amount_minor,
                Invoice.paid_minor,
                Invoice.currency,
                Invoice.status,
            )
        )
        .outerjoin(Contract, col(Contract.id) == col(Invoice.contract_id))
        .where(of_invoices)
        .order_by(col(Invoice.invoice_date).desc(), col(Invoice.id).desc())
        .limit(LIST_LIMIT)
    )
    return [BookInvoice(*r) for r in rows]


def _timeline(session: Session, of_invoices: Any, own_events: list[tuple[str, Any]]) -> list[JournalEvent]:
    """The newest events about the entity, its invoices and their allocations, oldest first.

    One indexed lookup per kind of entity, glued with UNION ALL, and only then ordered: written
    as one ``WHERE … OR …`` with ``ORDER BY seq DESC LIMIT n``, PostgreSQL walks the whole
    journal backwards by ``seq`` looking for the few matching rows.
    """
    invoice_keys = select(cast(col(Invoice.id), String)).where(of_invoices)
    allocation_keys = select(cast(col(Allocation.id), String)).where(
        col(Allocation.invoice_id).in_(select(col(Invoice.id)).where(of_invoices))
    )
    lookups = [("invoice", invoice_keys), ("allocation", allocation_keys), *own_events]
    arms = []
    for kind, keys in lookups:
        entity = col(JournalEvent.entity_id) == keys if isinstance(keys, str) else col(JournalEvent.entity_id).in_(keys)
        arms.append(select(col(JournalEvent.seq)).where(col(JournalEvent.entity_type) == kind, entity))
    seqs = union_all(*arms).subquery()
    newest_first = select(seqs.c.seq).order_by(seqs.c.seq.desc()).limit(TIMELINE_LIMIT)
    newest = [int(seq) for seq in session.execute(newest_first).scalars()]
    if not newest:
        return []
    events = select(JournalEvent).where(col(JournalEvent.seq).in_(newest)).order_by(col(JournalEvent.seq))
    return list(session.scalars(events))
