"""The settlement rules: each looks at one line and proposes allocations with a confidence.

A rule never decides alone. Every rule that fits proposes; the engine merges proposals that
allocate the same way, and books the best one automatically only when it clears the policy's
threshold *and* no different proposal comes close (two invoices fitting equally is a question
for a person, never a coin toss).

Confidences are fixed numbers per (rule, how the invoice's partner relates to the line,
whether the reference is distinctive), listed in ``docs/matching.md``. They are calibrated
against the default threshold of 0.9: everything at or above it is a match a careful
accountant would book without looking; everything below is a suggestion.

How an invoice's partner relates to the line (``Relation``):

* ``payer``: the line's counterparty *is* the invoice's partner (by tax id, account, name);
* ``named``: the purpose names the partner's tax id (a third party paying on its behalf), or, for
  a payer we do not know, its name in quotes (``LineContext.named_by_name``: less sure, and only
  ever suggested);
* ``unknown``: the counterparty is not one of our partners and names none;
* ``other``: the counterparty is a known partner, but a different one.

References people taught (``LearnedFacts.references``) are looked up only for the payer and the
partner the purpose names, so their relation is always ``payer`` or ``named``. A code that
points at one invoice is read like that invoice's number by the reference rules; a partner's
standing reference has a rule of its own (``standing_references``). A proposal that rests on a
reference a person has doubted is *held*: suggested, never booked, whatever its confidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from services.reconciler.matching.book import InvoiceBook, ReferenceHit
from services.reconciler.matching.payers import Identification, PartnerDirectory
from services.reconciler.matching.references import EXACT, SERIAL, VARIANT, is_distinctive, is_year_like
from services.reconciler.matching.subsets import subsets_summing_to
from services.reconciler.matching.text import PurposeFacts, normalise_reference
from services.reconciler.matching.types import (
    Direction,
    MatchPolicy,
    OpenInvoice,
    PaymentLine,
    ProposedAllocation,
    Reason,
)

Relation = Literal["payer", "named", "unknown", "other"]

# Confidence of a reference rule by relation, for a distinctive / a short reference.
EXACT_AMOUNT = {"payer": (0.99, 0.97), "named": (0.97, 0.95), "unknown": (0.93, 0.60), "other": (0.93, 0.60)}
FEE_SHORTFALL = {"payer": (0.95, 0.93), "named": (0.93, 0.90), "unknown": (0.85, 0.55), "other": (0.55, 0.50)}
# Short references need corroboration (date, contract, "prepayment") to reach the first value.
PARTIAL = {"payer": (0.92, 0.70), "named": (0.90, 0.65), "unknown": (0.80, 0.50), "other": (0.50, 0.40)}
OVERPAYMENT = {"payer": (0.92, 0.70), "named": (0.90, 0.65), "unknown": (0.75, 0.50), "other": (0.50, 0.40)}
OVERPAYMENT_OVER_DOUBLE = 0.85
BATCH_REFERENCED = {"payer": 0.98, "named": 0.96, "unknown": 0.90, "other": 0.60}
CONTRACT_AMOUNT = {"payer": 0.95, "named": 0.93, "unknown": 0.85, "other": 0.60}
CONTRACT_SUBSET = {"payer": 0.90, "named": 0.88, "unknown": 0.75, "other": 0.50}
PARTNER_AMOUNT_UNIQUE = {"payer": 0.92, "named": 0.90}
# A partner the purpose names only by a quoted name: as much less sure as a similar payer name.
NAMED_BY_NAME_PENALTY = 0.08
PARTNER_AMOUNT_TYPO = 0.96
# A swapped-digit reading is a typo only when the amount confirms it. Among several open invoices
# of the partner with the line's amount the amount confirms none of them, and a number that is a
# swap of one of theirs (an order or contract number, a date) is as likely a coincidence: it
# ranks that invoice first for a person, no more.
TYPO_AMONG_EQUALS = 0.85
PARTNER_SUBSET_UNIQUE = 0.90
# A partner's standing reference (its contract or customer code) and the only open invoice there
# with this amount: a little more than the amount alone, as sure as our contract number.
STANDING_AMOUNT = {"payer": 0.93, "named": 0.91}
AMBIGUOUS = 0.80
# A weaker form of a number ("42", a serial) while a stronger form (the full "42/09") names another
# invoice: that one is what was written. Further below than the engine's ambiguity margin (0.05),
# so the number as written is booked, not offered beside its namesakes.
WEAKER_FORM = 0.06
AMBIGUOUS_WEAK = 0.60
SHORTFALL_WITHOUT_REFERENCE = 0.75
AMOUNT_ANYWHERE = 0.40
# Digits a reference to one of the payer's own invoices needs to stand without corroboration.
MIN_SPECIFIC_DIGITS = 4

_TIER_CODE = {EXACT: "reference_exact", VARIANT: "reference_variant", SERIAL: "reference_serial"}


@dataclass(frozen=True, slots=True)
class Proposal:
    """One way to settle a line, with how sure a rule is and why."""

    allocations: tuple[ProposedAllocation, ...]
    confidence: float
    reasons: tuple[Reason, ...]
    rule: str
    # Why a person must confirm this whatever its confidence (it rests on a doubted reference).
    held: Reason | None = None

    @property
    def key(self) -> tuple[tuple[int, int], ...]:
        return tuple(sorted((a.invoice_id, a.amount_minor) for a in self.allocations))


@dataclass(slots=True)
class LineContext:
    """Everything known about one line while the rules look at it."""

    line: PaymentLine
    amount: int
    direction: Direction
    currency: str
    facts: PurposeFacts
    payer: Identification
    named: dict[int, str]  # partner id → tax id the purpose names it by (or its name, below)
    refs: dict[int, ReferenceHit]
    book: InvoiceBook
    directory: PartnerDirectory
    policy: MatchPolicy
    # Invoices a person declined for this line (``LearnedFacts.declined``): never proposed.
    declined: frozenset[int] = frozenset()
    # Partners of ``named`` the purpose names only by name, quoted (``named`` holds the name):
    # anyone can write a name, so what rests on one is less sure and only ever suggested.
    named_by_name: frozenset[int] = frozenset()
    proposals: list[Proposal] = field(default_factory=list)
    # Declined invoices some rule would have proposed: the decision says so, for the reviewer.
    passed_over: set[int] = field(default_factory=set)
    _positions: dict[str, int] | None = None
    _lengths: frozenset[int] | None = None

    def key_positions(self) -> dict[str, int]:
        """Each purpose key → where it comes in the purpose (built once per line, on demand)."""
        if self._positions is None:
            self._positions = {key: n for n, key in enumerate(self.facts.keys)}
        return self._positions

    def key_lengths(self) -> frozenset[int]:
        """The lengths of the purpose's keys (built once per line, on demand)."""
        if self._lengths is None:
            self._lengths = frozenset(map(len, self.facts.keys))
        return self._lengths

    @property
    def known_partners(self) -> frozenset[int]:
        return self.payer.partner_ids | frozenset(self.named)

    def relation(self, inv: OpenInvoice) -> Relation:
        if inv.partner_id in self.payer.partner_ids:
            return "payer"
        if inv.partner_id in self.named:
            return "named"
        return "other" if self.payer.partner_ids else "unknown"

    def trust(self, relation: Relation, base: float) -> float:
        """A rule's confidence, less what the way the payer was identified costs."""
        return round(base - self.payer.penalty, 4) if relation == "payer" else base

    def propose(
        self,
        allocations: list[tuple[OpenInvoice, int]],
        confidence: float,
        rule: str,
        *reasons: Reason,
        held: Reason | None = None,
    ) -> None:
        # A person's "not this invoice" for this line holds whatever a rule thinks. The whole
        # proposal goes (a batch with a declined invoice in it is not this batch), but the rules
        # still saw the declined invoice: two equal candidates where a person declined one are
        # not made unambiguous by that, so the other is not booked on elimination alone.
        if self.declined and (hit := self.declined.intersection(inv.id for inv, _ in allocations)):
            self.passed_over |= hit
            return
        allocs = tuple(ProposedAllocation(inv.id, amount) for inv, amount in allocations)
        total = sum(a.amount_minor for a in allocs)
        # The invariants a booking relies on: never more than the line or an invoice can take.
        if total > self.amount or any(
            a.amount_minor <= 0 or a.amount_minor > self.book.outstanding(a.invoice_id) for a in allocs
        ):
            return
        if self.named_by_name:
            by_name = [inv for inv, _ in allocations if inv.partner_id in self.named_by_name]
            if by_name:
                confidence = round(confidence - NAMED_BY_NAME_PENALTY, 4)
                held = held or self.relation_reason(by_name[0])
        if held is not None and held not in reasons:
            reasons = (*reasons, held)
        self.proposals.append(Proposal(allocs, confidence, reasons, rule, held))

    # --- reasons -------------------------------------------------------------------

    def relation_reason(self, inv: OpenInvoice) -> Reason | None:
        relation = self.relation(inv)
        partner = self.directory.name(inv.partner_id)
        if relation == "named" and inv.partner_id in self.named_by_name:
            return Reason(
                "third_party_named_by_name",
                f"purpose names partner {partner} only by name («{self.named[inv.partner_id]}»), "
                "which anyone can write: a person confirms",
            )
        if relation == "named":
            return Reason(
                "third_party_named",
                f"purpose names partner {partner} (INN {self.named[inv.partner_id]}) as the one paid for",
            )
        if relation == "other":
            return Reason("payer_other_partner", f"invoice {inv.number} belongs to {partner}, not to the payer")
        if relation == "unknown":
            return Reason("payer_unknown", f"payer is not a known partner; invoice {inv.number} is {partner}'s")
        return None


def money(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d}"


def reference_reason(hit: ReferenceHit) -> Reason:
    number = hit.invoice.number
    if hit.learned:
        return Reason(
            "reference_learned",
            f"“{hit.key}” is the payer's own reference for invoice {number}: a person allocated a payment "
            "saying so to it before",
        )
    if hit.tier == EXACT:
        return Reason("reference_exact", f"invoice {number} in purpose")
    return Reason(_TIER_CODE[hit.tier], f"invoice {number} in purpose, written as “{hit.key}”")


def doubted_reason(key: str) -> Reason:
    return Reason(
        "reference_learned_doubted",
        f"a person undid or rejected an allocation made by “{key}” before: it alone does not book; a person confirms",
    )


def _held(*hits: ReferenceHit) -> Reason | None:
    doubted = [h for h in hits if h.doubted]
    return doubted_reason(doubted[0].key) if doubted else None


def _with(*reasons: Reason | None) -> tuple[Reason, ...]:
    return tuple(r for r in reasons if r is not None)


def _tolerance(policy: MatchPolicy, outstanding: int) -> int:
    return max(policy.fee_tolerance_minor, int(outstanding * policy.fee_tolerance_ratio))


def _corroborated(ctx: LineContext, inv: OpenInvoice) -> bool:
    """A short reference backed by something else the purpose says about the same invoice."""
    if inv.invoice_date is not None and inv.invoice_date in ctx.facts.dates:
        return True
    if inv.contract_number:
        contract = normalise_reference(inv.contract_number)
        if contract and is_distinctive(contract) and contract in ctx.facts.keys:
            return True
    return ctx.facts.partial_hint


# --- rules ---------------------------------------------------------------------------------


def referenced_invoices(ctx: LineContext) -> None:
    """Invoices named in the purpose: paid exactly, short by a fee, in part, or overpaid."""
    if not ctx.refs:
        return
    hits = sorted(ctx.refs.values(), key=lambda h: (-h.tier, h.invoice.id))
    best_tier = hits[0].tier
    exact = [h for h in hits if ctx.book.outstanding(h.invoice.id) == ctx.amount]
    for h in exact:
        rel = ctx.relation(h.invoice)
        sure, short = EXACT_AMOUNT[rel]
        distinctive = h.distinctive and (h.invoice.direction == "receivable" or rel in ("payer", "named"))
        base = sure if distinctive else short
        if h.tier < best_tier:
            base -= WEAKER_FORM  # a weaker form of the number while a stronger one names another invoice
        ctx.propose(
            [(h.invoice, ctx.amount)],
            ctx.trust(rel, base),
            "reference_amount_equal",
            *_with(
                reference_reason(h),
                Reason("amount_equal", "amount equals the invoice's outstanding amount"),
                ctx.relation_reason(h.invoice),
            ),
            held=_held(h),
        )
    # Supplier numbers repeat across suppliers: when some named invoices belong to the payer (or
    # the partner the purpose names), the others are someone else's number that looks the same.
    own = [h for h in hits if ctx.relation(h.invoice) in ("payer", "named")] or hits
    best_tier = own[0].tier
    top = [h for h in own if h.tier == best_tier]
    if len(top) == 1 and not exact:
        _single_reference_other_amount(ctx, top[0])
    if len(own) >= 2:
        _referenced_batch(ctx, own)


def _single_reference_other_amount(ctx: LineContext, hit: ReferenceHit) -> None:
    inv = hit.invoice
    outstanding = ctx.book.outstanding(inv.id)
    rel = ctx.relation(inv)
    # A number of four or more digits among the few open invoices of the payer itself is rarely a
    # coincidence (about n / 10⁴ for n open invoices); shorter ones need corroboration.
    own_specific = (
        rel in ("payer", "named")
        and sum(map(str.isdigit, hit.key)) >= MIN_SPECIFIC_DIGITS
        and not is_year_like(hit.key)
    )
    strong = own_specific or (hit.distinctive and (inv.direction == "receivable" or rel in ("payer", "named")))
    ref = reference_reason(hit)
    who = ctx.relation_reason(inv)
    if ctx.amount < outstanding:
        shortfall = outstanding - ctx.amount
        if shortfall <= _tolerance(ctx.policy, outstanding):
            sure, short = FEE_SHORTFALL[rel]
            reason = Reason(
                "amount_short_fee",
                f"paid {money(shortfall)} less than the outstanding {money(outstanding)}, "
                "within the bank-fee tolerance; what arrived is allocated",
            )
            ctx.propose(
                [(inv, ctx.amount)],
                ctx.trust(rel, sure if strong else short),
                "fee_shortfall",
                *_with(ref, reason, who),
                held=_held(hit),
            )
            return
        sure, short = PARTIAL[rel]
        backed = strong or _corroborated(ctx, inv)
        reason = Reason(
            "partial_payment",
            f"part payment: {money(ctx.amount)} of the outstanding {money(outstanding)}; {money(shortfall)} stays open",
        )
        ctx.propose(
            [(inv, ctx.amount)],
            ctx.trust(rel, sure if backed else short),
            "partial_payment",
            *_with(ref, reason, who),
            held=_held(hit),
        )
        return
    sure, short = OVERPAYMENT[rel]
    excess = ctx.amount - outstanding
    base = sure if (strong or _corroborated(ctx, inv)) else short
    if excess > outstanding:
        base = min(base, OVERPAYMENT_OVER_DOUBLE)
    reason = Reason(
        "overpayment",
        f"paid {money(excess)} more than the outstanding {money(outstanding)}; "
        "the rest stays unallocated on the line as the partner's credit",
    )
    ctx.propose([(inv, outstanding)], ctx.trust(rel, base), "overpayment", *_with(ref, reason, who), held=_held(hit))


def _referenced_batch(ctx: LineContext, hits: list[ReferenceHit]) -> None:
    """One payment for several invoices named in the purpose: an exact sum of some of them."""
    amounts = [(h.invoice.id, ctx.book.outstanding(h.invoice.id)) for h in hits]
    by_id = {h.invoice.id: h for h in hits}
    found = subsets_summing_to(
        amounts,
        ctx.amount,
        ctx.policy.max_subset_size,
        ctx.policy.max_suggestions + 1,
        ctx.policy.max_subset_invoices,
    )
    # How each set is written: as strong as the weakest form by which one of its invoices is named.
    # "сч. 42/09 и 115/09" names those two in full; a set with 42/11 (which only shares the serial
    # 42) is a weaker reading of the same words. When the search saw every set, one set written
    # more strongly than all others is the one meant; sets written equally strongly are a question.
    forms = [min(by_id[i].tier for i in ids) for ids in found]
    complete = len(found) <= ctx.policy.max_suggestions
    as_written = [n for n, form in enumerate(forms) if form == max(forms, default=0)]
    for n, ids in enumerate(found):
        group = [by_id[i] for i in ids]
        rank = {"payer": 0, "named": 1, "unknown": 2, "other": 3}
        worst = max((ctx.relation(h.invoice) for h in group), key=rank.__getitem__)
        base = BATCH_REFERENCED[worst]
        if worst in ("unknown", "other") and not all(h.distinctive for h in group):
            base = BATCH_REFERENCED["other"]
        if len(found) > 1 and not (complete and as_written == [n]):
            base = min(base, AMBIGUOUS)
        numbers = ", ".join(h.invoice.number for h in group)
        ctx.propose(
            [(h.invoice, ctx.book.outstanding(h.invoice.id)) for h in group],
            ctx.trust(worst, base),
            "batch_referenced",
            Reason("references_in_purpose", f"invoices {numbers} in purpose"),
            Reason("amount_sum_of_invoices", f"amount equals the sum of {len(group)} invoices' outstanding"),
            *_with(*(ctx.relation_reason(h.invoice) for h in group[:1])),
            *(reference_reason(h) for h in group if h.learned),
            held=_held(*group),
        )


def contract_invoices(ctx: LineContext) -> None:
    """A contract number in the purpose and an amount that fits its open invoices."""
    for key in ctx.book.find_contracts(ctx.facts.keys):
        invoices = ctx.book.contract_invoices(key, ctx.direction, ctx.currency)
        if not invoices:
            continue
        contract_no = invoices[0].contract_number
        said = Reason("contract_in_purpose", f"contract {contract_no} in purpose")
        equal = [i for i in invoices if ctx.book.outstanding(i.id) == ctx.amount]
        for inv in equal:
            rel = ctx.relation(inv)
            base = CONTRACT_AMOUNT[rel] if (is_distinctive(key) or rel in ("payer", "named")) else 0.5
            if len(equal) > 1:
                base = min(base, AMBIGUOUS)
            ctx.propose(
                [(inv, ctx.amount)],
                ctx.trust(rel, base),
                "contract_amount_equal",
                *_with(
                    said,
                    Reason(
                        "amount_equal_in_contract",
                        f"amount equals invoice {inv.number}, the only open one of this contract with that amount"
                        if len(equal) == 1
                        else f"amount equals invoice {inv.number} and {len(equal) - 1} more of this contract",
                    ),
                    ctx.relation_reason(inv),
                ),
            )
        if equal:
            continue
        pool = _likeliest(invoices, ctx)
        found = subsets_summing_to(
            [(i.id, ctx.book.outstanding(i.id)) for i in pool],
            ctx.amount,
            ctx.policy.max_subset_size,
            ctx.policy.max_suggestions + 1,
            ctx.policy.max_subset_invoices,
        )
        by_id = {i.id: i for i in pool}
        for ids in found:
            group = [by_id[i] for i in ids]
            rel = ctx.relation(group[0])
            base = CONTRACT_SUBSET[rel] if len(found) == 1 else AMBIGUOUS_WEAK
            ctx.propose(
                [(i, ctx.book.outstanding(i.id)) for i in group],
                ctx.trust(rel, base),
                "contract_subset",
                *_with(
                    said,
                    Reason(
                        "amount_sum_of_invoices",
                        f"amount equals the sum of invoices {', '.join(i.number for i in group)}",
                    ),
                    ctx.relation_reason(group[0]),
                ),
            )


def standing_references(ctx: LineContext) -> None:
    """The partner's standing reference (its own contract or customer code) and an amount that fits.

    Such a code names no invoice, only the partner — or one contract, when every invoice people
    allocated it to is of that contract. It settles the line when exactly one open invoice there
    has the line's amount; two or more are a question for a person. A part payment is never
    guessed from it: which invoice it is part of, the code does not say.
    """
    for key, ref in ctx.book.standing_references(ctx.facts.keys, ctx.known_partners, ctx.direction):
        pool = ctx.book.partner_with_outstanding(ref.partner_id, ctx.direction, ctx.currency, ctx.amount)
        if ref.contract_id is not None:
            pool = [inv for inv in pool if inv.contract_id == ref.contract_id]
        if not pool:
            continue
        pool = sorted(pool, key=lambda inv: inv.id)
        partner = ctx.directory.name(ref.partner_id)
        held = doubted_reason(key) if ref.doubted else None
        for inv in pool[: ctx.policy.max_suggestions + 1]:
            rel = ctx.relation(inv)
            where = f"contract {inv.contract_number}" if ref.contract_id is not None else "its invoices"
            learned = Reason(
                "reference_learned",
                f"“{key}” is {partner}'s own reference for {where}: people allocated payments saying so "
                f"to {len(ref.invoice_ids)} invoice(s) before",
            )
            if len(pool) == 1:
                fits = Reason(
                    "amount_equal_in_contract" if ref.contract_id is not None else "amount_unique_for_partner",
                    f"the only open invoice there with amount {money(ctx.amount)}: {inv.number}",
                )
                base = STANDING_AMOUNT.get(rel, AMBIGUOUS_WEAK)
            else:
                fits = Reason("amount_equal", f"amount equals invoice {inv.number} ({len(pool)} invoices there do)")
                base = AMBIGUOUS
            ctx.propose(
                [(inv, ctx.amount)],
                ctx.trust(rel, base),
                "standing_reference",
                *_with(learned, fits, ctx.relation_reason(inv)),
                held=held,
            )


def partner_amount(ctx: LineContext) -> bool:
    """The identified partner has open invoices of exactly this amount.

    One such invoice settles the line (also when the purpose names another partner's invoice
    by mistake); a reference that is the number with two digits swapped confirms it further.
    Two or more are ambiguous: a swapped-digit reference ranks one first, a person confirms it
    (``TYPO_AMONG_EQUALS``). Returns whether any
    invoice of the partner has this exact amount.
    """
    candidates: dict[int, OpenInvoice] = {}
    for partner_id in sorted(ctx.known_partners):
        for inv in ctx.book.partner_with_outstanding(partner_id, ctx.direction, ctx.currency, ctx.amount):
            candidates.setdefault(inv.id, inv)
    if not candidates:
        return False
    elsewhere = [h for h in ctx.refs.values() if h.invoice.partner_id not in ctx.known_partners]
    for inv in candidates.values():
        rel = ctx.relation(inv)
        typo = _typo_of(ctx, inv)
        reasons: list[Reason | None] = [
            Reason(
                "amount_unique_for_partner",
                f"the only open invoice of {ctx.directory.name(inv.partner_id)} with amount "
                f"{money(ctx.amount)}: {inv.number}",
            )
            if len(candidates) == 1
            else Reason(
                "amount_equal",
                f"amount equals invoice {inv.number}'s outstanding ({len(candidates)} invoices of this partner do)",
            ),
            ctx.relation_reason(inv),
        ]
        if typo:
            reasons.insert(
                0, Reason("reference_typo", f"purpose “{typo}” is invoice {inv.number} with two digits swapped")
            )
            base = PARTNER_AMOUNT_TYPO if len(candidates) == 1 else TYPO_AMONG_EQUALS
        elif len(candidates) == 1:
            base = PARTNER_AMOUNT_UNIQUE.get(rel, AMBIGUOUS_WEAK)
        else:
            base = AMBIGUOUS
        if elsewhere and not typo:
            other = elsewhere[0].invoice
            reasons.append(
                Reason(
                    "reference_other_partner",
                    f"purpose names invoice {other.number} of {ctx.directory.name(other.partner_id)}, "
                    "which does not fit; the payer's own invoice does",
                )
            )
        ctx.propose([(inv, ctx.amount)], ctx.trust(rel, base), "partner_amount", *_with(*reasons))
    return True


def _typo_of(ctx: LineContext, inv: OpenInvoice) -> str | None:
    """The purpose key that is one of the invoice's keys with two adjacent digits swapped.

    Each invoice key has only a handful of such swaps; looking them up among the purpose's keys
    is cheaper than comparing the key with every purpose key of its length. Among several
    swaps written, the one that comes first in the purpose is taken. A piece of a cited contract's
    or order's number is no invoice number, mistyped or not.
    """
    if not ctx.facts.keys:
        return None
    facts = ctx.facts
    positions = ctx.key_positions()
    lengths = ctx.key_lengths()
    for key in ctx.book.keys_of(inv.id):
        if len(key) not in lengths:  # a swap keeps the length: none of this key's is written
            continue
        found: tuple[int, str] | None = None
        for i in range(len(key) - 1 if len(key) >= 3 else 0):
            a, b = key[i], key[i + 1]
            if a != b and a.isdigit() and b.isdigit():
                written = key[:i] + b + a + key[i + 2 :]
                at = positions.get(written)
                if at is None or (found is not None and at >= found[0]):
                    continue
                if facts.cited_tokens and facts.may_be_cited(written) and written in facts.cited_keys:
                    continue
                found = (at, written)
        if found is not None:
            return found[1]
    return None


def partner_subsets(ctx: LineContext) -> None:
    """One payment for several of the partner's open invoices, none named: an exact sum."""
    for partner_id in sorted(ctx.known_partners):
        invoices = ctx.book.open_of_partner(partner_id, ctx.direction, ctx.currency)
        pool = _likeliest([i for i in invoices if ctx.book.outstanding(i.id) < ctx.amount], ctx)
        found = subsets_summing_to(
            [(i.id, ctx.book.outstanding(i.id)) for i in pool],
            ctx.amount,
            ctx.policy.max_subset_size,
            ctx.policy.max_suggestions + 1,
            ctx.policy.max_subset_invoices,
        )
        by_id = {i.id: i for i in pool}
        for ids in found:
            group = [by_id[i] for i in ids]
            rel = ctx.relation(group[0])
            base = PARTNER_SUBSET_UNIQUE if len(found) == 1 and rel == "payer" else AMBIGUOUS_WEAK
            ctx.propose(
                [(i, ctx.book.outstanding(i.id)) for i in group],
                ctx.trust(rel, base),
                "partner_subset",
                *_with(
                    Reason(
                        "amount_sum_of_invoices",
                        f"amount equals the sum of {ctx.directory.name(partner_id)}'s open invoices "
                        f"{', '.join(i.number for i in group)}"
                        + ("" if len(found) == 1 else f" (one of {len(found)} such sets)"),
                    ),
                    ctx.relation_reason(group[0]),
                ),
            )


def partner_shortfall(ctx: LineContext) -> None:
    """Slightly less than one of the partner's invoices, nothing named: worth a look, no more."""
    near: list[OpenInvoice] = []
    for partner_id in sorted(ctx.known_partners):
        for inv in ctx.book.open_of_partner(partner_id, ctx.direction, ctx.currency):
            outstanding = ctx.book.outstanding(inv.id)
            if ctx.amount < outstanding <= ctx.amount + _tolerance(ctx.policy, outstanding):
                near.append(inv)
    for inv in near[: ctx.policy.max_suggestions]:
        ctx.propose(
            [(inv, ctx.amount)],
            SHORTFALL_WITHOUT_REFERENCE if len(near) == 1 else AMBIGUOUS_WEAK,
            "partner_shortfall",
            Reason(
                "amount_short_fee",
                f"amount is {money(ctx.book.outstanding(inv.id) - ctx.amount)} short of "
                f"invoice {inv.number}, within the bank-fee tolerance",
            ),
        )


def amount_anywhere(ctx: LineContext) -> None:
    """Nothing else to go on: open invoices of exactly this amount, for a person to look at."""
    found = ctx.book.any_with_outstanding(ctx.direction, ctx.currency, ctx.amount)
    if not found or len(found) > ctx.policy.max_suggestions:
        return
    for inv in found:
        ctx.propose(
            [(inv, ctx.amount)],
            AMOUNT_ANYWHERE,
            "amount_anywhere",
            *_with(
                Reason("amount_equal", f"amount equals invoice {inv.number}'s outstanding"), ctx.relation_reason(inv)
            ),
        )


def _likeliest(invoices: list[OpenInvoice], ctx: LineContext) -> list[OpenInvoice]:
    """Invoices ordered by how likely they are paid together with this line: closest in date first.

    The subset search looks for triples and quadruples only among the first few of these.
    """
    day = ctx.line.booking_date

    def distance(inv: OpenInvoice) -> tuple[int, int, int]:
        if day is None or inv.invoice_date is None:
            return (1, 0, inv.id)
        return (0, abs((day - inv.invoice_date).days), inv.id)

    return sorted(invoices, key=distance)
