"""The matching decision core: pure, deterministic, no I/O.

``match_lines`` reads each bank line like a careful accountant: who paid (tax id, account,
learned accounts, then names), what the purpose names (invoice numbers as people write them,
contract numbers, a third party's INN), and whether the amount fits. Every rule in
``rules`` that fits proposes allocations with a confidence and readable reasons; the engine
books the best proposal automatically only when it reaches ``policy.auto_confidence`` and no
*different* proposal comes within ``AMBIGUITY_MARGIN`` of it. Otherwise the candidates go to a
person as ranked suggestions, or, when nothing fits, the line is left alone.

Lines are decided in the order given; what one automatic decision allocates is taken off the
invoices before the next line is looked at, so nothing is spent twice. Precision comes first: a
wrong automatic allocation costs an accountant far more than a suggestion does.

People have the last word: a (line, invoice) pair a person declined (``LearnedFacts.declined``)
is never proposed for that line again, and one a person declined and then offered again
(``LearnedFacts.reoffered``) is only ever suggested; so is a proposal that rests on a learned
reference a person has doubted (``Proposal.held``).

See ``docs/matching.md`` for the rules, their confidences and the reason codes.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace

from services.reconciler.matching import rules
from services.reconciler.matching.book import InvoiceBook, ReferenceHit
from services.reconciler.matching.payers import PartnerDirectory
from services.reconciler.matching.rules import LineContext, Proposal
from services.reconciler.matching.text import PurposeFacts, normalise_reference, read_purpose
from services.reconciler.matching.types import (
    Decision,
    Direction,
    LearnedFacts,
    MatchPolicy,
    OpenInvoice,
    PartnerFacts,
    PaymentLine,
    Reason,
    Suggestion,
)

__all__ = ["AMBIGUITY_MARGIN", "Matcher", "cyclic_gc_paused", "match_lines", "normalise_reference"]

# A runner-up this close to the best proposal makes the line ambiguous: a person decides.
AMBIGUITY_MARGIN = 0.05
# What a purpose saying "bank fee", "salary", "refund"… leaves of any proposal: a suggestion.
NOT_INVOICE_CAP = 0.5


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a bulk run; it resumes (if it was on) after.

    A run creates millions of small containers (index entries, keys, reasons, decisions) and
    frees almost none of them until it ends, so every full collection walks the whole, growing
    heap and finds nothing: measured on 100,000 invoices, that was half of the run's time.
    Nothing here builds reference cycles; reference counting still frees everything.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class Matcher:
    """The decision core with its indexes built once: decide lines one by one as they arrive.

    Building the invoice book and the partner directory is the expensive part of a run (every
    open invoice's number is read in all the ways people write it); a long-lived matcher keeps
    them, so deciding one new line costs a few dozen hash lookups, not a rebuild.
    ``match_lines`` is one matcher used for one batch.
    """

    def __init__(
        self,
        invoices: Iterable[OpenInvoice],
        partners: Iterable[PartnerFacts],
        learned: LearnedFacts | None = None,
        policy: MatchPolicy | None = None,
        directory: PartnerDirectory | None = None,
    ) -> None:
        """``directory``: the partners' directory when the caller already built it from these
        ``partners`` and ``learned`` (the shell, to find the lines' candidates), not built twice."""
        learned = learned or LearnedFacts()
        self.policy = policy or MatchPolicy()
        with cyclic_gc_paused():
            self.book = InvoiceBook(invoices, learned)
            self.directory = directory or PartnerDirectory(partners, learned)
        self._declined = _by_line(learned.declined)
        self._reoffered = _by_line(learned.reoffered)

    def decide(self, line: PaymentLine) -> Decision:
        """Decide one line; what an automatic decision allocates is taken off the book."""
        decision = _decide(
            line,
            self.book,
            self.directory,
            self.policy,
            self._declined.get(line.id, frozenset()),
            self._reoffered.get(line.id, frozenset()),
        )
        if decision.outcome == "auto":
            self.book.consume(decision.allocations)
        return decision


def match_lines(
    lines: Sequence[PaymentLine],
    invoices: Iterable[OpenInvoice],
    partners: Iterable[PartnerFacts],
    learned: LearnedFacts | None = None,
    policy: MatchPolicy | None = None,
    directory: PartnerDirectory | None = None,
) -> list[Decision]:
    """Decide every line, in order; invoices consumed by one decision are not offered to the next."""
    with cyclic_gc_paused():
        matcher = Matcher(invoices, partners, learned, policy, directory)
        return [matcher.decide(line) for line in lines]


def _by_line(pairs: Iterable[tuple[int, int]]) -> dict[int, frozenset[int]]:
    """(line, invoice) pairs as line → invoices: each line looks up only its own."""
    grouped: dict[int, set[int]] = defaultdict(set)
    for line_id, invoice_id in pairs:
        grouped[line_id].add(invoice_id)
    return {line_id: frozenset(ids) for line_id, ids in grouped.items()}


def _decide(
    line: PaymentLine,
    book: InvoiceBook,
    directory: PartnerDirectory,
    policy: MatchPolicy,
    declined: frozenset[int] = frozenset(),
    reoffered: frozenset[int] = frozenset(),
) -> Decision:
    amount = line.open_minor
    if line.amount_minor == 0 or amount <= 0:
        return Decision(line.id, "none", 0.0, (Reason("line_fully_allocated", "nothing left to allocate on the line"),))
    facts = read_purpose(line.purpose)
    payer = directory.identify(line)
    named: dict[int, str] = {}
    for tax_id, partner_ids in sorted(directory.by_tax_ids(facts.tax_ids).items()):
        for partner_id in partner_ids - payer.partner_ids:
            named.setdefault(partner_id, tax_id)
    direction = line.direction
    currency = line.currency.upper()

    def context(named_partners: dict[int, str], named_by_name: frozenset[int] = frozenset()) -> LineContext:
        return LineContext(
            line=line,
            amount=amount,
            direction=direction,
            currency=currency,
            facts=facts,
            payer=payer,
            named=named_partners,
            refs=_references(book, facts, payer.partner_ids | frozenset(named_partners), direction, currency),
            book=book,
            directory=directory,
            policy=policy,
            declined=declined,
            named_by_name=named_by_name,
        )

    ctx = context(named)
    _run_rules(ctx, policy)
    decision = _conclude(line, ctx, ctx.proposals, policy, reoffered)
    if decision.outcome == "auto" or payer.partner_ids or named:
        return decision
    # A payer we do not know, naming nobody by INN: a partner whose name the purpose quotes
    # ("Оплата за ООО «Ромашка Групп» по сч. 22/08") is read as named, and what its invoices add
    # is only ever suggested (``LineContext.named_by_name``). Read after the decision without it,
    # so a name can add suggestions but neither book nor unbook anything.
    by_name = directory.by_quoted_names(line.purpose)
    if not by_name:
        return decision
    named_ctx = context(by_name, frozenset(by_name))  # the payer is unknown: its partners are none
    _run_rules(named_ctx, policy)
    ctx.passed_over |= named_ctx.passed_over
    added = [p for p in named_ctx.proposals if p.held is not None and p.held.code == "third_party_named_by_name"]
    if not added:
        return decision
    return _conclude(line, ctx, _outranked_by(ctx.proposals, added), policy, reoffered)


def _outranked_by(proposals: list[Proposal], held: list[Proposal]) -> list[Proposal]:
    """``proposals`` with ``held`` ones (never booked) that are surer than the same allocation.

    ``_merge`` lets undoubted evidence decide an allocation's confidence, which is right for a
    doubted reference; a quoted name, though, is the better of two weak readings ("22/08" named
    beside the partner's name vs the amount found anywhere at 0.40): the surer one ranks it, held.
    """
    best: dict[tuple[tuple[int, int], ...], Proposal] = {}
    for p in held:
        if p.key not in best or p.confidence > best[p.key].confidence:
            best[p.key] = p
    surer = {p.key for p in proposals if p.key in best and p.confidence >= best[p.key].confidence}
    kept = [p for p in proposals if p.key not in best or p.key in surer]
    return kept + [p for key, p in best.items() if key not in surer]


def _run_rules(ctx: LineContext, policy: MatchPolicy) -> None:
    rules.referenced_invoices(ctx)
    rules.contract_invoices(ctx)
    rules.standing_references(ctx)
    has_equal = rules.partner_amount(ctx)
    if not has_equal and not _settled(ctx.proposals, policy):
        rules.partner_subsets(ctx)
    if not ctx.proposals:
        rules.partner_shortfall(ctx)
    if not ctx.proposals:
        rules.amount_anywhere(ctx)


def _conclude(
    line: PaymentLine,
    ctx: LineContext,
    proposals: list[Proposal],
    policy: MatchPolicy,
    reoffered: frozenset[int],
) -> Decision:
    facts, book = ctx.facts, ctx.book
    reasons = ctx.payer.reasons
    if ctx.passed_over:
        numbers = ", ".join(sorted(book.invoice(i).number for i in ctx.passed_over))
        said_no = f"a person declined invoice {numbers} for this payment: not offered again"
        reasons += (Reason("declined_before", said_no),)
    if facts.not_invoice:
        reasons += (Reason("not_invoice_payment", f"purpose says «{facts.not_invoice}»: not a payment for an invoice"),)
        proposals = [replace(p, confidence=min(p.confidence, NOT_INVOICE_CAP)) for p in proposals]  # held stays held
    return _choose(line, proposals, reasons, policy, reoffered)


def _references(
    book: InvoiceBook, facts: PurposeFacts, partner_ids: frozenset[int], direction: Direction, currency: str
) -> dict[int, ReferenceHit]:
    """The invoices the purpose names; pieces of a cited contract's or order's number name none.

    Which keys are such pieces takes a second reading of the purpose; it is done only when a key
    that could be one found an invoice (rarely), with the same result as doing it always.
    """
    refs = book.find_references(facts.keys, partner_ids, direction, currency)
    if facts.cited_tokens and any(not h.learned and facts.may_be_cited(h.key) for h in refs.values()):
        refs = book.find_references(facts.keys, partner_ids, direction, currency, facts.cited_keys)
    return refs


def _settled(proposals: list[Proposal], policy: MatchPolicy) -> bool:
    return any(p.confidence >= policy.auto_confidence for p in proposals)


def _merge(proposals: list[Proposal]) -> list[Proposal]:
    """Proposals that allocate identically are one proposal: the best confidence, all reasons.

    Evidence nobody doubted outranks held evidence for the same allocation: it decides the
    confidence alone, and the held proposal only adds its reasons.
    """
    merged: dict[tuple[tuple[int, int], ...], Proposal] = {}
    for p in proposals:
        key = p.key  # built anew on every read: read once
        known = merged.get(key)
        if known is None:
            merged[key] = p
            continue
        if (p.held is None) != (known.held is None):
            best, other = (p, known) if p.held is None else (known, p)
        else:
            best, other = (p, known) if p.confidence > known.confidence else (known, p)
        reasons = best.reasons + tuple(r for r in other.reasons if r not in best.reasons)
        merged[key] = Proposal(best.allocations, best.confidence, reasons, best.rule, best.held)
    ranked = sorted(merged.items(), key=lambda kp: (-kp[1].confidence, kp[0]))
    return [p for _, p in ranked]


def _choose(
    line: PaymentLine,
    proposals: list[Proposal],
    reasons: tuple[Reason, ...],
    policy: MatchPolicy,
    reoffered: frozenset[int] = frozenset(),
) -> Decision:
    ranked = _merge(proposals)
    if not ranked:
        return Decision(line.id, "none", 0.0, (*reasons, Reason("nothing_fits", "no open invoice fits this line")))
    best = ranked[0]
    runner_up = ranked[1] if len(ranked) > 1 else None
    close = runner_up is not None and runner_up.confidence > best.confidence - AMBIGUITY_MARGIN
    second_thoughts = bool(reoffered) and any(a.invoice_id in reoffered for a in best.allocations)
    if best.confidence >= policy.auto_confidence and not close and not second_thoughts and best.held is None:
        return Decision(line.id, "auto", best.confidence, reasons + best.reasons, allocations=best.allocations)
    shown = ranked[: policy.max_suggestions]
    suggestions = tuple(
        Suggestion(a.invoice_id, a.amount_minor, p.confidence, p.reasons, alternative=n)
        for n, p in enumerate(shown)
        for a in p.allocations
    )
    if close:
        tied = sum(1 for p in ranked if p.confidence > best.confidence - AMBIGUITY_MARGIN)
        why = Reason("ambiguous", f"{tied} candidates fit almost equally well; a person must choose")
    elif best.held is not None and best.confidence >= policy.auto_confidence:
        why = best.held
    elif second_thoughts and best.confidence >= policy.auto_confidence:
        why = Reason(
            "declined_then_reoffered",
            "a person declined this invoice for this payment and then offered it again: a person confirms it",
        )
    else:
        why = Reason(
            "below_auto_confidence",
            f"best candidate is {best.confidence:.2f} sure, below the automatic threshold {policy.auto_confidence:.2f}",
        )
    return Decision(line.id, "suggest", best.confidence, (*reasons, why), suggestions=suggestions)
