"""Bulk queries that feed the matcher and store its decisions."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from typing import Any, cast

from sqlalchemy import Select, and_, bindparam, not_, or_, select, union, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from services.reconciler.matching.types import (
    Direction,
    LearnedFacts,
    LearnedReference,
    OpenInvoice,
    PartnerFacts,
    PaymentLine,
)
from shared.db import IDS_PER_IN_LIST, any_of, columns, in_list_chunks, insert_returning_ids, rows_by_ids
from shared.models import (
    Allocation,
    BankTransaction,
    Contract,
    Invoice,
    InvoiceLookupKey,
    LearnedAccount,
    Partner,
    PartnerAccount,
)
from shared.models.columns import utcnow
from shared.models.matching import EFFECTIVE_KINDS
from shared.models.matching import LearnedReference as LearnedReferenceRow

OPEN_LINE_STATUSES = ("unmatched", "suggested")
OPEN_INVOICE_STATUSES = ("open", "partially_paid")
# Actors that are the system itself (the matcher, imports); every other actor is a person or an
# API caller acting for one, whose decisions the matcher respects.
SYSTEM_ACTOR_PREFIX = "system:"
# How the review workflow closes a suggestion a person rejected (``review.service.reject_suggestion``);
# people also close suggestions by confirming them or by settling the line otherwise, which is no "no".
REJECTED_REASON_PREFIX = "rejected"


_OPEN_LINES = (
    select(
        *columns(
            BankTransaction.id,
            BankTransaction.amount_minor,
            BankTransaction.currency,
            BankTransaction.booking_date,
            BankTransaction.counterparty_name,
            BankTransaction.counterparty_account,
            BankTransaction.counterparty_tax_id,
            BankTransaction.purpose,
            BankTransaction.allocated_minor,
        )
    )
    .where(col(BankTransaction.match_status).in_(OPEN_LINE_STATUSES))
    .order_by(col(BankTransaction.booking_date), col(BankTransaction.id))
)
# The statements of a call over a few lines are built once: building one again on every call
# (columns, conditions, its cache key) cost more than running it.
_OPEN_LINES_OF = _OPEN_LINES.where(col(BankTransaction.id).in_(bindparam("line_ids", expanding=True)))


def open_lines(session: Session, line_ids: Sequence[int] | None = None) -> list[PaymentLine]:
    if line_ids is None:
        return [PaymentLine(*row) for row in session.execute(_OPEN_LINES)]
    return [PaymentLine(*row) for row in session.execute(_OPEN_LINES_OF, {"line_ids": list(line_ids)})]


def _invoices_query() -> Select[Any]:
    """Invoices as the matcher reads them, with their contract's number (and, last, their status)."""
    return select(
        *columns(
            Invoice.id,
            Invoice.number,
            Invoice.direction,
            Invoice.partner_id,
            Invoice.amount_minor,
            Invoice.paid_minor,
            Invoice.currency,
            Invoice.invoice_date,
            Invoice.due_date,
            Invoice.contract_id,
            Contract.number,
            Invoice.status,
        )
    ).outerjoin(Contract, col(Contract.id) == col(Invoice.contract_id))


def _open_invoices_query() -> Select[Any]:
    """Open invoices as the matcher reads them."""
    return _invoices_query().where(col(Invoice.status).in_(OPEN_INVOICE_STATUSES))


def _open_invoice(r: Any) -> OpenInvoice:
    return OpenInvoice(
        id=r[0],
        number=r[1],
        direction=r[2],
        partner_id=r[3],
        amount_minor=r[4],
        outstanding_minor=r[4] - r[5],
        currency=r[6],
        invoice_date=r[7],
        due_date=r[8],
        contract_id=r[9],
        contract_number=r[10],
    )


def open_invoices(session: Session) -> list[OpenInvoice]:
    """Every open invoice, by id: the core's indexes keep the order they are given, so it is fixed."""
    return [_open_invoice(r) for r in session.execute(_open_invoices_query().order_by(col(Invoice.id)))]


def _found_ids() -> Any:
    """The ids of invoices with one of the keys, with one of the outstanding amounts (whatever their
    status: the caller asks for open ones), or open ones of one of the partners — each through its
    index, as one set."""
    owed, owned = aliased(Invoice), aliased(Invoice)
    # Written exactly as migration 0011's expression index, which is what lets both databases use it.
    outstanding = col(owed.amount_minor) - col(owed.paid_minor)
    return union(
        select(col(InvoiceLookupKey.invoice_id)).where(
            col(InvoiceLookupKey.key).in_(bindparam("keys", expanding=True))
        ),
        select(col(owed.id)).where(outstanding.in_(bindparam("outstanding", expanding=True))),
        select(col(owned.id)).where(
            col(owned.partner_id).in_(bindparam("partner_ids", expanding=True)),
            col(owned.status).in_(OPEN_INVOICE_STATUSES),
        ),
    )


_FOUND_IDS = _found_ids()
# No status condition: the caller keeps the open ones (see ``open_invoices_found_by``).
_INVOICES_BY_ID = _invoices_query().where(col(Invoice.id).in_(bindparam("ids", expanding=True)))


def open_invoices_found_by(
    session: Session, keys: Collection[str], partner_ids: Collection[int], outstanding: Collection[int]
) -> list[OpenInvoice]:
    """Open invoices with one of ``keys`` (``invoice_lookup_key``), of one of the partners, or with one
    of the outstanding amounts — each through its index — once each, by id like ``open_invoices``.

    Two statements (a round trip counts on PostgreSQL): the ids the three indexes find, as one
    union, then those invoices by primary key, keeping the open ones here. With a status
    condition in either, PostgreSQL without statistics (a fresh import, before its first
    ANALYZE) read every open invoice through the status index and joined or intersected: 50 ms
    and 4 ms instead of well under 1 ms. SQLite keeps no statistics unless someone runs ANALYZE.
    """
    lists: dict[str, list[Any]] = {
        "keys": sorted(keys),
        "outstanding": sorted(outstanding),
        "partner_ids": sorted(partner_ids),
    }
    ids: set[int] = set()
    for start in range(0, max(len(values) for values in lists.values()) or 1, IDS_PER_IN_LIST):
        params = {name: values[start : start + IDS_PER_IN_LIST] for name, values in lists.items()}
        ids.update(int(i) for i in session.scalars(_FOUND_IDS, params))
    found: dict[int, OpenInvoice] = {}
    for chunk in in_list_chunks(sorted(ids)):
        for row in session.execute(_INVOICES_BY_ID, {"ids": list(chunk)}):
            if row[11] in OPEN_INVOICE_STATUSES:
                found[row[0]] = _open_invoice(row)
    return [found[i] for i in sorted(found)]


def partners(session: Session) -> list[PartnerFacts]:
    """Every partner, by id: the directory's fuzzy name match takes the first of equal names, so
    the order is fixed (a worker's cached directory and a fresh one must read them alike)."""
    accounts: dict[int, list[str]] = defaultdict(list)
    query = select(*columns(PartnerAccount.partner_id, PartnerAccount.number)).order_by(col(PartnerAccount.id))
    for partner_id, number in session.execute(query):
        accounts[partner_id].append(number)
    return [
        PartnerFacts(id=pid, name=name, tax_ids=(inn,) if inn else (), accounts=tuple(accounts.get(pid, ())))
        for pid, name, inn in session.execute(
            select(*columns(Partner.id, Partner.name, Partner.inn)).order_by(col(Partner.id))
        )
    ]


def learned_accounts(session: Session) -> dict[str, int]:
    """Accounts people taught as a partner's: account number → partner."""
    rows = session.execute(select(*columns(LearnedAccount.account_number, LearnedAccount.partner_id)))
    return {str(a): int(p) for a, p in rows}


def learned_facts(session: Session, line_ids: Sequence[int] | None = None) -> LearnedFacts:
    """What people taught the matcher: accounts of partners, the partners' own references, and
    people's "no"s on the given open lines."""
    declined, reoffered = people_decisions(session, line_ids)
    return LearnedFacts(
        account_partner=learned_accounts(session),
        references=learned_references(session),
        declined=declined,
        reoffered=reoffered,
    )


def _learned_references_query() -> Select[Any]:
    # Correlated, so each taught row probes its partner's invoices by index; "partner_id IN (open
    # invoices' partners)" read every open invoice on each call, however few rows were taught.
    open_invoice = aliased(Invoice)
    has_open = (
        select(col(open_invoice.id))
        .where(
            col(open_invoice.partner_id) == col(LearnedReferenceRow.partner_id),
            col(open_invoice.status).in_(OPEN_INVOICE_STATUSES),
        )
        .exists()
    )
    return (
        select(
            *columns(
                LearnedReferenceRow.partner_id,
                LearnedReferenceRow.direction,
                LearnedReferenceRow.alias,
                LearnedReferenceRow.invoice_id,
                Invoice.contract_id,
                LearnedReferenceRow.written_for_other_invoices,
                LearnedReferenceRow.doubted_at,
            )
        )
        .join(Invoice, col(Invoice.id) == col(LearnedReferenceRow.invoice_id))
        .where(has_open)
    )


_LEARNED_REFERENCES = _learned_references_query()
_LEARNED_REFERENCES_OF = _LEARNED_REFERENCES.where(
    col(LearnedReferenceRow.partner_id).in_(bindparam("partner_ids", expanding=True))
)


def learned_references(session: Session, partner_ids: Collection[int] | None = None) -> tuple[LearnedReference, ...]:
    """The references people taught, one per (partner, direction, alias), for partners with open invoices
    (of ``partner_ids`` only, when given).

    All rows of an alias count, also those of invoices paid since: an alias allocated to two
    invoices is the partner's standing reference even when one of them is closed. The contract
    is the one every invoice of the alias belongs to, if there is one.
    """
    rows: list[Any] = []
    if partner_ids is None:
        rows.extend(session.execute(_LEARNED_REFERENCES))
    else:
        for chunk in in_list_chunks(sorted(partner_ids)):
            rows.extend(session.execute(_LEARNED_REFERENCES_OF, {"partner_ids": list(chunk)}))
    grouped: dict[tuple[int, str, str], list[Any]] = defaultdict(list)
    for row in rows:
        grouped[(int(row[0]), str(row[1]), str(row[2]))].append(row)
    references: list[LearnedReference] = []
    for (partner_id, direction, alias), taught in grouped.items():
        contracts = {r[4] for r in taught}
        references.append(
            LearnedReference(
                partner_id=partner_id,
                direction=cast(Direction, direction),
                alias=alias,
                invoice_ids=frozenset(int(r[3]) for r in taught),
                contract_id=next(iter(contracts)) if len(contracts) == 1 else None,
                written_for_others=any(r[5] for r in taught),
                doubted=any(r[6] is not None for r in taught),
            )
        )
    return tuple(references)


def _people_decisions_query() -> Select[Any]:
    person_undid = and_(
        col(Allocation.reversed_at).is_not(None),
        not_(col(Allocation.reversed_by).startswith(SYSTEM_ACTOR_PREFIX)),
        or_(
            col(Allocation.kind).in_(EFFECTIVE_KINDS),
            col(Allocation.reversal_reason).startswith(REJECTED_REASON_PREFIX),
        ),
    )
    person_made = not_(col(Allocation.created_by).startswith(SYSTEM_ACTOR_PREFIX))
    return (
        select(
            *columns(
                Allocation.transaction_id,
                Allocation.invoice_id,
                Allocation.kind,
                Allocation.created_by,
                Allocation.created_at,
                Allocation.reversed_by,
                Allocation.reversed_at,
                Allocation.reversal_reason,
            )
        )
        .join(BankTransaction, col(BankTransaction.id) == col(Allocation.transaction_id))
        .where(col(BankTransaction.match_status).in_(OPEN_LINE_STATUSES), or_(person_undid, person_made))
    )


_PEOPLE_DECISIONS = _people_decisions_query()
_PEOPLE_DECISIONS_OF = _PEOPLE_DECISIONS.where(
    col(Allocation.transaction_id).in_(bindparam("line_ids", expanding=True))
)


def people_decisions(
    session: Session, line_ids: Sequence[int] | None = None
) -> tuple[frozenset[tuple[int, int]], frozenset[tuple[int, int]]]:
    """The (line, invoice) pairs of open lines a person declined: (still declined, offered again).

    A person says no to a pair by rejecting its suggestion or by undoing its allocation (any
    kind, also an automatic one); the allocation rows keep that (``reversed_by`` is the person,
    never a ``system:`` actor). A later row a person made for the same pair takes the no back:
    a manual or confirmed allocation of it lifts it entirely; a suggestion a person offered again
    (reinstating a rejection, or undoing a confirmation, which re-offers its suggestion) lifts it
    only as far as suggesting. The latest word wins, so a reinstated pair rejected again is
    declined again.
    """
    rows: list[Any] = []
    if line_ids is None:
        rows.extend(session.execute(_PEOPLE_DECISIONS))
    else:
        for chunk in in_list_chunks(line_ids):
            rows.extend(session.execute(_PEOPLE_DECISIONS_OF, {"line_ids": list(chunk)}))
    last_no: dict[tuple[int, int], Any] = {}
    last_booked: dict[tuple[int, int], Any] = {}
    last_offered: dict[tuple[int, int], Any] = {}
    for line_id, invoice_id, kind, created_by, created_at, reversed_by, reversed_at, reason in rows:
        pair = (int(line_id), int(invoice_id))
        said_no = reversed_at is not None and not (reversed_by or "").startswith(SYSTEM_ACTOR_PREFIX)
        if said_no and (kind in EFFECTIVE_KINDS or (reason or "").startswith(REJECTED_REASON_PREFIX)):
            last_no[pair] = max(last_no.get(pair, reversed_at), reversed_at)
        elif not created_by.startswith(SYSTEM_ACTOR_PREFIX):  # a row that is itself a no is no yes
            latest = last_booked if kind in EFFECTIVE_KINDS else last_offered
            latest[pair] = max(latest.get(pair, created_at), created_at)
    declined: set[tuple[int, int]] = set()
    reoffered: set[tuple[int, int]] = set()
    for pair, no_at in last_no.items():
        # ">=": undoing a confirmation re-offers its suggestion in the same transaction, a moment
        # (on a coarse clock: no time at all) after the undo.
        if pair in last_booked and last_booked[pair] >= no_at:
            continue
        (reoffered if pair in last_offered and last_offered[pair] >= no_at else declined).add(pair)
    return frozenset(declined), frozenset(reoffered)


_ACTIVE_SUGGESTIONS = select(*columns(Allocation.id)).where(
    col(Allocation.kind) == "suggested", col(Allocation.reversed_at).is_(None)
)
_ACTIVE_SUGGESTIONS_IN = _ACTIVE_SUGGESTIONS.where(
    col(Allocation.transaction_id).in_(bindparam("line_ids", expanding=True))
)
_ACTIVE_SUGGESTIONS_ANY = _ACTIVE_SUGGESTIONS.where(any_of(col(Allocation.transaction_id), "line_ids"))


def active_suggestions(session: Session, line_ids: Sequence[int]) -> list[int]:
    rows = rows_by_ids(session, _ACTIVE_SUGGESTIONS_IN, _ACTIVE_SUGGESTIONS_ANY, "line_ids", line_ids)
    return [int(i) for (i,) in rows]


def withdraw_allocations(session: Session, allocation_ids: Sequence[int], actor: str, reason: str) -> None:
    now = utcnow()
    for chunk in in_list_chunks(allocation_ids):
        session.execute(
            update(Allocation)
            .where(col(Allocation.id).in_(chunk))
            .values(reversed_at=now, reversed_by=actor, reversal_reason=reason)
        )


def insert_allocations(session: Session, rows: Sequence[dict[str, Any]]) -> list[int]:
    return insert_returning_ids(session, Allocation.__table__, rows)  # type: ignore[attr-defined]


def update_by_id(session: Session, model: type[Any], rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(update(model), list(rows))
