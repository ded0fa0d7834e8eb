"""The matcher's shell: load open lines and candidates in bulk, run the pure core, store the outcome.

Automatic allocations move money (invoice paid amounts, line allocated amounts) and each is
journaled with its reasons; suggestions are stored for review and replaced when a later run
sees the line differently (the old ones are withdrawn, not deleted). Amounts are applied as
relative updates, and the database's check constraints refuse any allocation beyond a line's
amount, so a concurrent decision cannot make the books inconsistent.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import BigInteger, bindparam, case, func, select, text, update
from sqlalchemy.dialects import postgresql
from sqlmodel import Session, col

from services.reconciler.matching import invoice_status, repository
from services.reconciler.matching.candidates import candidate_invoices, candidate_search
from services.reconciler.matching.directory_cache import known_partners
from services.reconciler.matching.engine import cyclic_gc_paused, match_lines
from services.reconciler.matching.types import Decision, LearnedFacts, MatchPolicy, PaymentLine
from shared import journal, outbox
from shared.config import get_settings
from shared.db import is_postgres, serialize
from shared.models import BankTransaction, Invoice
from shared.models.columns import utcnow

MATCHER_ACTOR = "system:matcher"
# Up to this many given lines are decided over their candidate invoices (see ``candidates``). Their
# candidates grow with the lines (about 40 invoices a line in the generated world); a statement
# of thousands of lines reads every open invoice once instead, its cost spread over its lines.
CANDIDATES_MAX_LINES = 500
# SQLite's page cache while a bulk run stores its decisions (KiB; SQLite's default is 2 MiB).
BULK_PAGE_CACHE_KIB = 65536


@dataclass
class MatchSummary:
    lines: int
    auto: int
    suggested: int
    unmatched: int
    allocations: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def policy_from_settings() -> MatchPolicy:
    settings = get_settings()
    return MatchPolicy(auto_confidence=settings.auto_match_confidence, fee_tolerance_minor=settings.fee_tolerance_minor)


def reconcile(session: Session, line_ids: Sequence[int] | None = None, *, actor: str = MATCHER_ACTOR) -> MatchSummary:
    """Match every open line (or the given ones) and store the decisions, in the caller's transaction.

    A few given lines (at most ``CANDIDATES_MAX_LINES``: lines arriving from a bank) are decided
    over the open invoices they could touch, found by index (``candidates``); a bulk run reads
    every open invoice. The decisions are the same either way.
    """
    serialize(session, "matcher")  # concurrent runs would decide from the same picture of open lines
    with cyclic_gc_paused():  # loading, deciding and storing a run allocate much and free little
        lines = repository.open_lines(session, line_ids)
        if not lines:
            return MatchSummary(0, 0, 0, 0, 0)
        few = line_ids is not None and len(lines) <= CANDIDATES_MAX_LINES
        decisions = decide(session, lines, line_ids, candidates_only=few)
        with nullcontext() if few else _larger_page_cache(session):
            return _store(session, {ln.id: ln for ln in lines}, decisions, actor)


@contextmanager
def _larger_page_cache(session: Session) -> Iterator[None]:
    """On SQLite, a page cache large enough for a bulk run's writes, while it stores them.

    A bulk run updates a hundred thousand lines and invoices and the indexes on their statuses
    and amounts, at places all over each index; with SQLite's default 2 MiB cache nearly every
    one of those reads its page back from the file (measured on 100,000 invoices: storing took a
    third more CPU and, on a busy machine, three times the wall time). The limit goes back before
    the commit: pages not yet written are kept whatever the limit, so lowering it costs nothing.
    """
    if is_postgres(session):
        yield
        return
    before = session.execute(text("PRAGMA cache_size")).scalar_one()
    session.execute(text(f"PRAGMA cache_size = -{BULK_PAGE_CACHE_KIB}"))
    try:
        yield
    finally:
        session.execute(text(f"PRAGMA cache_size = {int(before)}"))


def decide(
    session: Session, lines: Sequence[PaymentLine], line_ids: Sequence[int] | None, *, candidates_only: bool
) -> list[Decision]:
    """The core's decisions on ``lines`` (the open ones of ``line_ids``, None: all), nothing stored,
    over the invoices they could touch or over every open invoice."""
    if not candidates_only:
        partners = repository.partners(session)
        learned = repository.learned_facts(session, line_ids)
        return match_lines(lines, repository.open_invoices(session), partners, learned, policy_from_settings())
    known = known_partners(session)
    search = candidate_search(lines, known.directory)
    declined, reoffered = repository.people_decisions(session, line_ids)
    references = repository.learned_references(session, search.partner_ids)
    learned = LearnedFacts(
        account_partner=known.account_partner, references=references, declined=declined, reoffered=reoffered
    )
    invoices = candidate_invoices(session, search)
    return match_lines(lines, invoices, (), learned, policy_from_settings(), known.directory)


def _reasons(decision_reasons: Sequence[Any]) -> list[dict[str, str]]:
    return [{"code": r.code, "text": r.text} for r in decision_reasons]


def _store(session: Session, lines: dict[int, PaymentLine], decisions: list[Decision], actor: str) -> MatchSummary:
    now = utcnow()
    decided = [d for d in decisions if d.outcome != "none"]
    stale = repository.active_suggestions(session, [d.line_id for d in decisions])
    repository.withdraw_allocations(session, stale, actor, "superseded by a new matcher run")
    rows: list[dict[str, Any]] = []
    line_delta: dict[int, int] = defaultdict(int)
    invoice_delta: dict[int, int] = defaultdict(int)
    for d in decided:
        line = lines[d.line_id]
        base = {"transaction_id": d.line_id, "currency": line.currency, "created_by": actor, "created_at": now}
        if d.outcome == "auto":
            reasons = _reasons(d.reasons)
            for a in d.allocations:
                rows.append(
                    {
                        **base,
                        "invoice_id": a.invoice_id,
                        "amount_minor": a.amount_minor,
                        "kind": "auto",
                        "confidence": d.confidence,
                        "reasons": reasons,
                    }
                )
                line_delta[d.line_id] += a.amount_minor
                invoice_delta[a.invoice_id] += a.amount_minor
        else:
            rows.extend(
                {
                    **base,
                    "invoice_id": s.invoice_id,
                    "amount_minor": s.amount_minor,
                    "kind": "suggested",
                    "confidence": s.confidence,
                    "reasons": _reasons(s.reasons),
                }
                for s in d.suggestions
            )
    ids = repository.insert_allocations(session, rows)
    suggested_lines = {d.line_id for d in decided if d.outcome == "suggest"}
    _refresh_line_status(session, [i for i in lines if i not in line_delta], suggested_lines)
    auto_rows = [(i, r) for i, r in zip(ids, rows, strict=True) if r["kind"] == "auto"]
    if auto_rows:  # no events, no need to lock and read the journal's head
        _journal_and_announce(session, auto_rows, actor)
    # After the payment events, so receivers read "allocated" before "invoice paid"; sets the
    # status of the lines and invoices it moves. The events wait for the commit's flush, all in
    # one statement.
    with session.no_autoflush:
        _apply_amounts(session, line_delta, invoice_delta)
    auto = sum(1 for d in decisions if d.outcome == "auto")
    return MatchSummary(
        lines=len(decisions),
        auto=auto,
        suggested=len(suggested_lines),
        unmatched=len(decisions) - auto - len(suggested_lines),
        allocations=len(auto_rows),
    )


def _journal_and_announce(session: Session, auto_rows: list[tuple[int, dict[str, Any]]], actor: str) -> None:
    """The automatic allocations in the journal, and their ``payment.allocated`` events."""
    journal.record_many(
        session,
        [
            journal.Change(
                actor,
                "allocation.created",
                "allocation",
                i,
                after={
                    "transaction_id": r["transaction_id"],
                    "invoice_id": r["invoice_id"],
                    "amount_minor": r["amount_minor"],
                    "currency": r["currency"],
                    "kind": "auto",
                    "confidence": r["confidence"],
                    "reasons": r["reasons"],
                },
            )
            for i, r in auto_rows
        ],
    )
    outbox.emit_many(
        session,
        [
            (
                "payment.allocated",
                {
                    "allocation_id": i,
                    "transaction_id": r["transaction_id"],
                    "invoice_id": r["invoice_id"],
                    "amount_minor": r["amount_minor"],
                    "currency": r["currency"],
                },
            )
            for i, r in auto_rows
        ],
    )


def _invoice_status(paid: Any, amount: Any, status: Any) -> Any:
    """``shared.models.billing.invoice_status`` in SQL: the status follows from what is paid."""
    return case(
        (status == "cancelled", "cancelled"),
        (paid <= 0, "open"),
        (paid < amount, "partially_paid"),
        (paid == amount, "paid"),
        else_="overpaid",
    )


def _line_status(allocated: Any, magnitude: Any, suggested: Any = None) -> Any:
    """A line's status from what is allocated of it; ``suggested``: the condition for "suggested"."""
    unsettled = [(suggested, "suggested")] if suggested is not None else []
    return case(
        (allocated >= magnitude, "settled"), (allocated > 0, "partially_settled"), *unsettled, else_="unmatched"
    )


_TX = BankTransaction.__table__  # type: ignore[attr-defined]
_INV = Invoice.__table__  # type: ignore[attr-defined]
_LINE_MAGNITUDE = case((_TX.c.amount_minor < 0, -_TX.c.amount_minor), else_=_TX.c.amount_minor)
_LINE_ALLOCATED = _TX.c.allocated_minor + bindparam("b_delta")
# Each row's status is derived from its new amounts in the same statement (SQL evaluates every
# SET expression on the row as it was). Built once, like every statement of a call: building them
# again per arriving line cost more than running them.
_ADD_TO_LINES = (
    update(_TX)
    .where(_TX.c.id == bindparam("b_id"))
    .values(allocated_minor=_LINE_ALLOCATED, match_status=_line_status(_LINE_ALLOCATED, _LINE_MAGNITUDE))
)
_INVOICE_PAID = _INV.c.paid_minor + bindparam("b_delta")
_ADD_TO_INVOICES = (
    update(_INV)
    .where(_INV.c.id == bindparam("b_id"))
    .values(
        paid_minor=_INVOICE_PAID,
        status=_invoice_status(_INVOICE_PAID, _INV.c.amount_minor, _INV.c.status),
        updated_at=bindparam("b_now"),
    )
)
_ADD_TO_ONE_INVOICE = _ADD_TO_INVOICES.returning(_INV.c.id, _INV.c.status)
# PostgreSQL, many rows: the ids and deltas as two arrays, joined in one UPDATE … FROM per chunk.
# As an executemany, each row was a statement of its own for the server (on 20,000 invoices the
# two updates took 2.6 s of wall time for 0.4 s of the client's CPU).
_DELTAS = select(
    func.unnest(bindparam("b_ids", type_=postgresql.ARRAY(BigInteger))).label("id"),
    func.unnest(bindparam("b_deltas", type_=postgresql.ARRAY(BigInteger))).label("delta"),
).subquery("delta")
_LINE_ALLOCATED_BY_ARRAY = _TX.c.allocated_minor + _DELTAS.c.delta
_ADD_TO_LINES_BY_ARRAY = (
    update(_TX)
    .where(_TX.c.id == _DELTAS.c.id)
    .values(
        allocated_minor=_LINE_ALLOCATED_BY_ARRAY, match_status=_line_status(_LINE_ALLOCATED_BY_ARRAY, _LINE_MAGNITUDE)
    )
)
_INVOICE_PAID_BY_ARRAY = _INV.c.paid_minor + _DELTAS.c.delta
_ADD_TO_INVOICES_BY_ARRAY = (
    update(_INV)
    .where(_INV.c.id == _DELTAS.c.id)
    .values(
        paid_minor=_INVOICE_PAID_BY_ARRAY,
        status=_invoice_status(_INVOICE_PAID_BY_ARRAY, _INV.c.amount_minor, _INV.c.status),
        updated_at=bindparam("b_now"),
    )
)
# Fewer rows (a line arriving): the executemany, as before; its statements are prepared already.
_ARRAY_FROM_ROWS = 100
_ARRAY_CHUNK = 20_000
_LINE_STATUS = _line_status(
    col(BankTransaction.allocated_minor),
    _LINE_MAGNITUDE,
    suggested=col(BankTransaction.id).in_(bindparam("suggested", expanding=True)),
)


def _apply_amounts(session: Session, line_delta: dict[int, int], invoice_delta: dict[int, int]) -> None:
    """Relative updates: concurrent writers add up instead of overwriting each other.

    Each row's status is derived from its new amounts in the same statement, instead of a second
    pass over the same rows: on a run of 100,000 lines that second pass cost as much as the
    updates themselves.

    Rows are updated in id order: in decision order they hit the tables and their indexes at
    random, and on SQLite (a small page cache over a table of 100,000 invoices) updating the
    invoices that way cost four times as much.
    """
    by_array = is_postgres(session) and max(len(line_delta), len(invoice_delta)) >= _ARRAY_FROM_ROWS
    if line_delta:
        if by_array:
            _add_by_array(session, _ADD_TO_LINES_BY_ARRAY, line_delta, {})
        else:
            session.execute(_ADD_TO_LINES, [{"b_id": k, "b_delta": line_delta[k]} for k in sorted(line_delta)])
    if not invoice_delta:
        return
    before = invoice_status.current_statuses(session, invoice_delta)
    now = utcnow()
    if by_array:
        _add_by_array(session, _ADD_TO_INVOICES_BY_ARRAY, invoice_delta, {"b_now": now})
        invoice_status.announce_changes(session, before)
        return
    params = [{"b_id": k, "b_delta": invoice_delta[k], "b_now": now} for k in sorted(invoice_delta)]
    if len(params) > 1:
        session.execute(_ADD_TO_INVOICES, params)
        invoice_status.announce_changes(session, before)
        return
    # One invoice (a line arriving pays one, mostly): its new status comes back with the update,
    # not from a read after a flush; the events then go in with the others at commit.
    after = {int(i): str(s) for i, s in session.execute(_ADD_TO_ONE_INVOICE, params[0])}
    invoice_status.announce(session, before, after)


def _add_by_array(session: Session, statement: Any, delta: dict[int, int], extra: dict[str, Any]) -> None:
    ids = sorted(delta)
    for start in range(0, len(ids), _ARRAY_CHUNK):
        chunk = ids[start : start + _ARRAY_CHUNK]
        session.execute(statement, {"b_ids": chunk, "b_deltas": [delta[i] for i in chunk], **extra})


def refresh_invoice_status(session: Session, invoice_ids: Sequence[int]) -> None:
    """Derive status from the amounts, in SQL, for the given invoices; announce the ones that changed."""
    status = _invoice_status(col(Invoice.paid_minor), col(Invoice.amount_minor), col(Invoice.status))
    before = invoice_status.current_statuses(session, invoice_ids)
    for start in range(0, len(invoice_ids), 2000):
        chunk = invoice_ids[start : start + 2000]
        session.execute(update(Invoice).where(col(Invoice.id).in_(chunk)).values(status=status))
    invoice_status.announce_changes(session, before)


def _refresh_line_status(session: Session, line_ids: Sequence[int], suggested: set[int]) -> None:
    for start in range(0, len(line_ids), 2000):
        chunk = line_ids[start : start + 2000]
        # Of the model, with the ids written out: objects of these lines in the caller's session
        # are found and expired, and read the new status.
        session.execute(
            update(BankTransaction).where(col(BankTransaction.id).in_(chunk)).values(match_status=_LINE_STATUS),
            {"suggested": [i for i in chunk if i in suggested]},
        )
