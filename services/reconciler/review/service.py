"""What an accountant decides about a bank line the matcher could not settle.

Decisions: confirm a suggestion, reject one, allocate by hand (one line over several invoices,
partial amounts allowed), mark a line as not an invoice payment (ignore, with a reason), and undo
any of these. An undo is a reversal, never a deletion: the row keeps who reversed it, when and
why, and the journal records each decision with its actor and reason in the same transaction.

Rules held here, whatever the screen sends:
- a line never carries more than its amount, an invoice never more than its amount;
- currencies match; money in (credits) settles receivables, money out (debits) payables;
- two people deciding the same line or invoice at once: exactly one wins, the other gets
  :class:`~shared.errors.Conflict` naming who settled it and when. Rows are locked (see
  ``repository``) and every amount changes by a guarded relative update.

What a person's allocation teaches the matcher, and what an undo or a rejection takes back, is
in ``learning``.

Services only flush; the request or CLI command commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any, Literal

from sqlmodel import Session

from services.reconciler.matching.service import refresh_invoice_status
from services.reconciler.review import learning, repository
from shared import journal, outbox
from shared.errors import Conflict, InvalidInput, NotFound
from shared.models import Allocation, BankTransaction, Invoice, JournalEvent
from shared.models.columns import utcnow
from shared.models.matching import EFFECTIVE_KINDS
from shared.money import format_amount

IgnoreCategory = Literal["bank_fee", "refund", "loan", "other"]
IGNORE_CATEGORIES: tuple[IgnoreCategory, ...] = ("bank_fee", "refund", "loan", "other")
DIRECTION_OF = {"credit": "receivable", "debit": "payable"}


@dataclass(frozen=True, slots=True)
class Part:
    """One slice of a manual allocation: this much of the line to this invoice."""

    invoice_id: int
    amount_minor: int


def _when(event: JournalEvent | None) -> str:
    if event is None:
        return "another user"
    return f"{event.actor} at {event.occurred_at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"


def _line_conflict(session: Session, line: BankTransaction, what: str) -> Conflict:
    line_id = line.id or 0
    last = repository.latest_event(
        session, "bank_transaction", line_id, repository.allocation_ids_of_line(session, line_id)
    )
    return Conflict(f"payment {line.bank_ref or line_id} {what}: already settled by {_when(last)}")


def _invoice_conflict(session: Session, invoice: Invoice) -> Conflict:
    invoice_id = invoice.id or 0
    last = repository.latest_event(
        session, "invoice", invoice_id, repository.allocation_ids_of_invoice(session, invoice_id)
    )
    return Conflict(f"invoice {invoice.number} is already settled by {_when(last)}")


def _locked_line(session: Session, line_id: int) -> BankTransaction:
    line = repository.lock_line(session, line_id)
    if line is None:
        raise NotFound(f"payment {line_id} not found")
    return line


def _require_reason(reason: str | None, what: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise InvalidInput(f"a reason is required to {what}", field="reason")
    return text[:500]


@dataclass(frozen=True, slots=True)
class _Booking:
    invoice_id: int
    amount_minor: int
    kind: str
    confidence: float
    reasons: list[dict[str, Any]]


def _book(
    session: Session, line: BankTransaction, bookings: Sequence[_Booking], *, actor: str
) -> tuple[list[int], dict[int, Invoice]]:
    """Apply allocations to a locked line: check every rule, move the amounts, store the rows."""
    if line.match_status == "ignored":
        raise _line_conflict(session, line, "is marked as not an invoice payment")
    if not bookings:
        raise InvalidInput("nothing to allocate")
    invoices = repository.lock_invoices(session, [b.invoice_id for b in bookings])
    total = 0
    per_invoice: dict[int, int] = {}
    for b in bookings:
        if b.amount_minor <= 0:
            raise InvalidInput("each amount must be positive", field="amount")
        invoice = invoices.get(b.invoice_id)
        if invoice is None:
            raise NotFound(f"invoice {b.invoice_id} not found")
        if invoice.currency != line.currency:
            raise InvalidInput(
                f"invoice {invoice.number} is in {invoice.currency}, the payment in {line.currency}", field="invoice"
            )
        if invoice.direction != DIRECTION_OF[line.direction]:
            raise InvalidInput(
                f"a {line.direction} settles {DIRECTION_OF[line.direction]} invoices; {invoice.number} is a "
                f"{invoice.direction}",
                field="invoice",
            )
        if invoice.status == "cancelled":
            raise InvalidInput(f"invoice {invoice.number} is cancelled", field="invoice")
        total += b.amount_minor
        per_invoice[b.invoice_id] = per_invoice.get(b.invoice_id, 0) + b.amount_minor
    magnitude = abs(line.amount_minor)
    if total > magnitude:
        raise InvalidInput(
            f"{format_amount(total, line.currency)} is more than the payment's "
            f"{format_amount(magnitude, line.currency)}",
            field="amount",
        )
    if total > magnitude - line.allocated_minor:
        raise _line_conflict(
            session, line, "has only " + format_amount(magnitude - line.allocated_minor, line.currency) + " open"
        )
    for invoice_id, amount in per_invoice.items():
        invoice = invoices[invoice_id]
        if amount > invoice.outstanding_minor:
            if invoice.paid_minor > 0:
                raise _invoice_conflict(session, invoice)
            raise InvalidInput(
                f"{format_amount(amount, invoice.currency)} is more than invoice {invoice.number}'s "
                f"{format_amount(invoice.amount_minor, invoice.currency)}",
                field="amount",
            )
    # Guarded relative updates: the locks make these succeed; they are the last line of defence.
    if not repository.add_to_line(session, line.id or 0, total):
        raise _line_conflict(session, line, "changed meanwhile")
    for invoice_id, amount in per_invoice.items():
        if not repository.add_to_invoice(session, invoice_id, amount):
            raise _invoice_conflict(session, invoices[invoice_id])
    now = utcnow()
    rows = [
        {
            "transaction_id": line.id,
            "invoice_id": b.invoice_id,
            "amount_minor": b.amount_minor,
            "currency": line.currency,
            "kind": b.kind,
            "confidence": b.confidence,
            "reasons": b.reasons,
            "created_by": actor,
            "created_at": now,
        }
        for b in bookings
    ]
    ids = repository.insert_allocations(session, rows)
    outbox.emit_many(
        session,
        [
            (
                "payment.allocated",
                {
                    "allocation_id": i,
                    "transaction_id": line.id,
                    "invoice_id": r["invoice_id"],
                    "amount_minor": r["amount_minor"],
                    "currency": r["currency"],
                },
            )
            for i, r in zip(ids, rows, strict=True)
        ],
    )
    refresh_invoice_status(session, list(per_invoice))  # after the payment events: receivers read them in order
    return ids, invoices


def _after_change(session: Session, line_id: int, invoice_ids: Sequence[int], *, actor: str) -> str:
    """Bring derived state in line after a decision: line status, stale suggestions withdrawn.

    A settled line needs no suggestions; a fully paid invoice should not be offered to other lines.
    """
    now = utcnow()
    line = session.get(BankTransaction, line_id, populate_existing=True)
    assert line is not None
    settled = line.allocated_minor >= abs(line.amount_minor)
    if settled:
        stale = [a.id or 0 for a in repository.active_suggestions_of_line(session, line_id)]
        repository.withdraw(session, stale, actor=actor, reason="payment settled", now=now)
    paid = [
        i
        for i in invoice_ids
        if (inv := session.get(Invoice, i, populate_existing=True)) is not None and inv.outstanding_minor == 0
    ]
    touched_lines = {line_id}
    for suggestion in repository.active_suggestions_to_invoices(session, paid):
        repository.withdraw(session, [suggestion.id or 0], actor=actor, reason="invoice settled", now=now)
        touched_lines.add(suggestion.transaction_id)
    for other in touched_lines:
        _refresh_line_status(session, other)
    session.flush()
    refreshed = session.get(BankTransaction, line_id, populate_existing=True)
    return refreshed.match_status if refreshed else "unmatched"


def _refresh_line_status(session: Session, line_id: int) -> None:
    line = session.get(BankTransaction, line_id, populate_existing=True)
    if line is None or line.match_status == "ignored":
        return
    if line.allocated_minor >= abs(line.amount_minor):
        status = "settled"
    elif line.allocated_minor > 0:
        status = "partially_settled"
    elif repository.active_suggestions_of_line(session, line_id):
        status = "suggested"
    else:
        status = "unmatched"
    repository.set_line_status(session, line_id, status)


def _allocation_after(row_id: int, line: BankTransaction, invoice: Invoice, amount: int, kind: str) -> dict[str, Any]:
    return {
        "transaction_id": line.id,
        "bank_ref": line.bank_ref,
        "invoice_id": invoice.id,
        "invoice_no": invoice.number,
        "amount_minor": amount,
        "currency": line.currency,
        "kind": kind,
        "allocation_id": row_id,
    }


def confirm_suggestions(
    session: Session, line_id: int, suggestion_ids: Sequence[int], *, actor: str, reason: str | None = None
) -> list[int]:
    """Accept suggestions (one, or a batch offered together): each becomes a confirmed allocation.

    The suggestion row is closed with a pointer to the allocation that replaced it, and what the
    decision teaches is learned (``learning``): the payer's account, and the payer's own
    references in the purpose, so the matcher recognises them next time.
    """
    line = _locked_line(session, line_id)
    if not suggestion_ids:
        raise InvalidInput("choose a suggestion to confirm")
    suggestions: list[Allocation] = []
    for sid in dict.fromkeys(suggestion_ids):
        s = repository.get_allocation(session, sid)
        if s is None or s.transaction_id != line_id or s.kind != "suggested":
            raise NotFound(f"suggestion {sid} not found on payment {line_id}")
        if s.reversed_at is not None and line.allocated_minor >= abs(line.amount_minor):
            raise _line_conflict(session, line, "needs no more decisions")
        if s.reversed_at is not None:
            raise Conflict(
                f"suggestion {sid} was already decided by {s.reversed_by} at "
                f"{s.reversed_at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC ({s.reversal_reason})"
            )
        suggestions.append(s)
    ids, invoices = _book(
        session,
        line,
        [_Booking(s.invoice_id, s.amount_minor, "confirmed", s.confidence, list(s.reasons)) for s in suggestions],
        actor=actor,
    )
    now = utcnow()
    changes: list[journal.Change] = []
    for new_id, s in zip(ids, suggestions, strict=True):
        if not repository.mark_reversed(
            session, s.id or 0, kinds=("suggested",), actor=actor, reason=f"confirmed as allocation {new_id}", now=now
        ):
            raise Conflict(f"suggestion {s.id} was decided by someone else meanwhile")
        invoice = invoices[s.invoice_id]
        after = _allocation_after(new_id, line, invoice, s.amount_minor, "confirmed")
        changes.append(
            journal.Change(
                actor,
                "allocation.confirmed",
                "allocation",
                new_id,
                before={"suggestion_id": s.id, "confidence": s.confidence},
                after={**after, "suggestion_id": s.id, "reason": (reason or "").strip() or None},
            )
        )
    journal.record_many(session, changes)
    learning.learn_from_decision(
        session,
        line_id,
        [(new_id, s.invoice_id) for new_id, s in zip(ids, suggestions, strict=True)],
        invoices,
        actor=actor,
    )
    _after_change(session, line_id, [s.invoice_id for s in suggestions], actor=actor)
    return ids


def reject_suggestion(session: Session, suggestion_id: int, *, actor: str, reason: str | None) -> None:
    """Say a suggestion is wrong. It is closed (not deleted) and can be restored by undoing this."""
    text = _require_reason(reason, "reject a suggestion")
    suggestion = repository.get_allocation(session, suggestion_id)
    if suggestion is None or suggestion.kind != "suggested":
        raise NotFound(f"suggestion {suggestion_id} not found")
    line = _locked_line(session, suggestion.transaction_id)
    if not repository.mark_reversed(
        session, suggestion_id, kinds=("suggested",), actor=actor, reason=f"rejected: {text}", now=utcnow()
    ):
        current = repository.get_allocation(session, suggestion_id)
        by = (
            f"{current.reversed_by} at {current.reversed_at:%Y-%m-%d %H:%M:%S} UTC"
            if current and current.reversed_at
            else "someone else"
        )
        raise Conflict(f"suggestion {suggestion_id} was already decided by {by}")
    invoice = session.get(Invoice, suggestion.invoice_id)
    journal.record(
        session,
        journal.Change(
            actor,
            "suggestion.rejected",
            "allocation",
            suggestion_id,
            before={"kind": "suggested", "confidence": suggestion.confidence},
            after={
                "transaction_id": line.id,
                "invoice_id": suggestion.invoice_id,
                "invoice_no": invoice.number if invoice else None,
                "amount_minor": suggestion.amount_minor,
                "currency": suggestion.currency,
                "reason": text,
            },
        ),
    )
    learning.doubt_after_correction(session, suggestion, actor=actor, why=f"rejected: {text}")
    _refresh_line_status(session, line.id or 0)


def allocate_manually(
    session: Session, line_id: int, parts: Sequence[Part], *, actor: str, reason: str | None = None
) -> list[int]:
    """Allocate a line by hand: to one invoice or split over several, in full or in part.

    What the decision teaches is learned as on a confirmation (``learning``).
    """
    line = _locked_line(session, line_id)
    merged: dict[int, int] = {}
    for p in parts:
        merged[p.invoice_id] = merged.get(p.invoice_id, 0) + p.amount_minor
    ids, invoices = _book(
        session,
        line,
        [
            _Booking(i, amount, "manual", 1.0, [{"code": "manual", "text": "allocated by hand"}])
            for i, amount in merged.items()
        ],
        actor=actor,
    )
    note = (reason or "").strip() or None
    journal.record_many(
        session,
        [
            journal.Change(
                actor,
                "allocation.manual",
                "allocation",
                new_id,
                after={**_allocation_after(new_id, line, invoices[inv_id], amount, "manual"), "reason": note},
            )
            for new_id, (inv_id, amount) in zip(ids, merged.items(), strict=True)
        ],
    )
    learning.learn_from_decision(session, line_id, list(zip(ids, merged, strict=True)), invoices, actor=actor)
    _after_change(session, line_id, list(merged), actor=actor)
    return ids


def ignore_line(session: Session, line_id: int, category: str, *, actor: str, note: str | None = None) -> None:
    """Mark a line as not a receivable or payable (a bank fee, a refund, a loan…): it leaves the queue."""
    if category not in IGNORE_CATEGORIES:
        raise InvalidInput(f"unknown reason {category!r}; one of {', '.join(IGNORE_CATEGORIES)}", field="category")
    text = (note or "").strip() or None
    if category == "other" and not text:
        raise InvalidInput("say why this is not an invoice payment", field="note")
    line = _locked_line(session, line_id)
    if line.match_status == "ignored" or line.allocated_minor > 0 or not repository.set_ignored(session, line_id):
        raise _line_conflict(session, line, "cannot be ignored")
    now = utcnow()
    withdrawn = [a.id or 0 for a in repository.active_suggestions_of_line(session, line_id)]
    repository.withdraw(session, withdrawn, actor=actor, reason=f"payment ignored: {category}", now=now)
    journal.record(
        session,
        journal.Change(
            actor,
            "payment.ignored",
            "bank_transaction",
            line_id,
            before={"match_status": line.match_status},
            after={"match_status": "ignored", "category": category, "note": text, "withdrawn_suggestions": withdrawn},
        ),
    )
    outbox.emit(session, "payment.ignored", {"transaction_id": line_id, "category": category, "note": text})


def unignore_line(session: Session, line_id: int, *, actor: str, reason: str | None = None) -> None:
    """Undo an ignore: the line is open again (and the suggestions it had are offered again)."""
    line = _locked_line(session, line_id)
    if line.match_status != "ignored":
        raise _line_conflict(session, line, "is not ignored")
    last_ignore = next(
        (
            e
            for e in reversed(repository.history(session, "bank_transaction", line_id, []))
            if e.action == "payment.ignored"
        ),
        None,
    )
    restored = _restore_suggestions(
        session, (last_ignore.after or {}).get("withdrawn_suggestions", []) if last_ignore else [], actor
    )
    repository.set_line_status(session, line_id, "unmatched")
    _refresh_line_status(session, line_id)
    journal.record(
        session,
        journal.Change(
            actor,
            "payment.unignored",
            "bank_transaction",
            line_id,
            before={"match_status": "ignored"},
            after={"reason": (reason or "").strip() or None, "restored_suggestions": restored},
        ),
    )
    outbox.emit(session, "payment.unignored", {"transaction_id": line_id, "reason": (reason or "").strip() or None})


def _restore_suggestions(session: Session, suggestion_ids: Sequence[int], actor: str) -> list[int]:
    """Offer closed suggestions again as new rows (the closed ones stay as history)."""
    rows: list[dict[str, Any]] = []
    now = utcnow()
    for sid in suggestion_ids:
        s = repository.get_allocation(session, int(sid))
        if s is None:
            continue
        invoice = session.get(Invoice, s.invoice_id)
        if invoice is None or invoice.outstanding_minor < s.amount_minor or invoice.status == "cancelled":
            continue  # no longer possible: someone paid that invoice meanwhile
        rows.append(
            {
                "transaction_id": s.transaction_id,
                "invoice_id": s.invoice_id,
                "amount_minor": s.amount_minor,
                "currency": s.currency,
                "kind": "suggested",
                "confidence": s.confidence,
                "reasons": s.reasons,
                "created_by": actor,
                "created_at": now,
            }
        )
    return repository.insert_allocations(session, rows) if rows else []


def reverse_allocation(session: Session, allocation_id: int, *, actor: str, reason: str | None) -> None:
    """Undo an allocation (automatic, confirmed or manual): the money goes back to open.

    Undoing a confirmation offers its suggestion again, so the line returns to where it was.
    """
    text = _require_reason(reason, "undo an allocation")
    allocation = repository.get_allocation(session, allocation_id)
    if allocation is None or allocation.kind not in EFFECTIVE_KINDS:
        raise NotFound(f"allocation {allocation_id} not found")
    line = _locked_line(session, allocation.transaction_id)
    invoices = repository.lock_invoices(session, [allocation.invoice_id])
    if not repository.mark_reversed(
        session, allocation_id, kinds=EFFECTIVE_KINDS, actor=actor, reason=text, now=utcnow()
    ):
        current = repository.get_allocation(session, allocation_id)
        by = (
            f"{current.reversed_by} at {current.reversed_at:%Y-%m-%d %H:%M:%S} UTC"
            if current and current.reversed_at
            else "someone else"
        )
        raise Conflict(f"allocation {allocation_id} was already undone by {by}")
    if not repository.add_to_line(session, line.id or 0, -allocation.amount_minor):
        raise _line_conflict(session, line, "changed meanwhile")
    if not repository.add_to_invoice(session, allocation.invoice_id, -allocation.amount_minor):
        raise Conflict(f"invoice {allocation.invoice_id} changed meanwhile")
    outbox.emit(
        session,
        "payment.allocation_reversed",
        {
            "allocation_id": allocation_id,
            "transaction_id": line.id,
            "invoice_id": allocation.invoice_id,
            "amount_minor": allocation.amount_minor,
            "currency": allocation.currency,
        },
    )
    refresh_invoice_status(session, [allocation.invoice_id])
    restored: list[int] = []
    if allocation.kind == "confirmed":
        origin = repository.confirming_event(session, allocation_id)
        if origin and origin.after and origin.after.get("suggestion_id"):
            restored = _restore_suggestions(session, [int(origin.after["suggestion_id"])], actor)
    invoice = invoices.get(allocation.invoice_id)
    journal.record(
        session,
        journal.Change(
            actor,
            "allocation.reversed",
            "allocation",
            allocation_id,
            before={"kind": allocation.kind, "amount_minor": allocation.amount_minor, "reversed": False},
            after={
                "transaction_id": line.id,
                "invoice_id": allocation.invoice_id,
                "invoice_no": invoice.number if invoice else None,
                "amount_minor": allocation.amount_minor,
                "currency": allocation.currency,
                "reversed": True,
                "reason": text,
                "restored_suggestions": restored,
            },
        ),
    )
    learning.doubt_after_correction(session, allocation, actor=actor, why=f"undone: {text}")
    _refresh_line_status(session, line.id or 0)


def reinstate_suggestion(session: Session, suggestion_id: int, *, actor: str) -> int:
    """Undo a rejection: the suggestion is offered again (as a new row; the rejected one stays)."""
    suggestion = repository.get_allocation(session, suggestion_id)
    if suggestion is None or suggestion.kind != "suggested" or suggestion.reversed_at is None:
        raise NotFound(f"rejected suggestion {suggestion_id} not found")
    if not (suggestion.reversal_reason or "").startswith("rejected"):
        raise Conflict(f"suggestion {suggestion_id} was not rejected but {suggestion.reversal_reason}")
    line = _locked_line(session, suggestion.transaction_id)
    if line.match_status in ("settled", "ignored"):
        raise _line_conflict(session, line, "is closed")
    restored = _restore_suggestions(session, [suggestion_id], actor)
    if not restored:
        raise Conflict(f"invoice {suggestion.invoice_id} cannot take this payment any more")
    journal.record(
        session,
        journal.Change(
            actor,
            "suggestion.reinstated",
            "allocation",
            suggestion_id,
            before={"reversal_reason": suggestion.reversal_reason},
            after={"transaction_id": line.id, "invoice_id": suggestion.invoice_id, "new_suggestion_id": restored[0]},
        ),
    )
    _refresh_line_status(session, line.id or 0)
    return restored[0]
