"""The matcher's inputs and outputs: plain frozen values, no database, no I/O.

The decision core is a pure function of (lines, open invoices, partners, learned facts) →
decisions. Money is integer minor units; a line's ``amount_minor`` is signed (negative = money
leaving our account), so credits settle receivables and debits settle payables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

Direction = Literal["receivable", "payable"]
Outcome = Literal["auto", "suggest", "none"]


@dataclass(frozen=True, slots=True)
class PaymentLine:
    """A bank line waiting to be settled."""

    id: int
    amount_minor: int
    currency: str
    booking_date: date | None
    counterparty_name: str | None = None
    counterparty_account: str | None = None
    counterparty_tax_id: str | None = None
    purpose: str | None = None
    # Part of the line already allocated (e.g. by an earlier decision); the rest is open.
    allocated_minor: int = 0

    @property
    def direction(self) -> Direction:
        return "receivable" if self.amount_minor > 0 else "payable"

    @property
    def open_minor(self) -> int:
        return abs(self.amount_minor) - self.allocated_minor


@dataclass(frozen=True, slots=True)
class OpenInvoice:
    """An invoice that can still take money."""

    id: int
    number: str
    direction: Direction
    partner_id: int
    amount_minor: int
    outstanding_minor: int
    currency: str
    invoice_date: date | None = None
    due_date: date | None = None
    contract_id: int | None = None
    contract_number: str | None = None


@dataclass(frozen=True, slots=True)
class PartnerFacts:
    """What identifies a partner on a bank line."""

    id: int
    name: str
    tax_ids: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LearnedReference:
    """A reference of the partner's own that people allocated to its invoices (``learned_reference``).

    A customer writes its order or contract code ("по заказу ZK-77812") instead of our invoice
    number; when a person allocates such a payment, the code is remembered for the partner. It
    only ever speaks for that partner: another payer writing the same code says nothing by it.

    * Allocated to one invoice, and not something the partner also wrote when paying others, it
      *points* at that invoice (``points_at``): while the invoice is open the code names it as its
      number would — the next installment, the rest, a fee-short payment settle by it.
    * Allocated to two or more invoices, or written on the partner's payments for others too, it is
      the partner's *standing* reference (a contract or customer code): it names no invoice, only
      the partner — or the contract, when every invoice it was allocated to is of one
      (``contract_id``) — and settles a payment only when exactly one open invoice there has the
      payment's amount.
    * ``doubted``: a person undid or rejected an allocation made by it, or undid the allocation it
      was learned from. People have the last word: from then on it is only ever suggested.
    """

    partner_id: int
    direction: Direction
    alias: str
    invoice_ids: frozenset[int]
    contract_id: int | None = None
    written_for_others: bool = False
    doubted: bool = False

    @property
    def points_at(self) -> int | None:
        """The one invoice this reference names, or None for a standing reference."""
        if self.written_for_others or len(self.invoice_ids) != 1:
            return None
        return next(iter(self.invoice_ids))


@dataclass(frozen=True, slots=True)
class LearnedFacts:
    """What people taught the matcher by their decisions."""

    # counterparty account → partner id ("this account pays for this partner")
    account_partner: dict[str, int] = field(default_factory=dict)
    # the partners' own references, as people allocated them (one entry per partner, direction, alias)
    references: tuple[LearnedReference, ...] = ()
    # (line id, invoice id) pairs a person said no to — rejected the suggestion, or undid the
    # allocation — and has not taken back: never proposed again for that line. "Not this
    # invoice", not "never this line": the line's other candidates are still offered.
    declined: frozenset[tuple[int, int]] = frozenset()
    # Declined pairs a person then offered again as a suggestion (reinstated a rejection, or
    # undid a confirmation, which offers its suggestion again): suggested, never booked
    # automatically — a person has already changed their mind once; a person decides.
    reoffered: frozenset[tuple[int, int]] = frozenset()


@dataclass(frozen=True, slots=True)
class Reason:
    """One machine-readable reason with its words for people.

    ``code`` is stable (the review screen and the API key on it); ``text`` explains it.
    """

    code: str
    text: str


@dataclass(frozen=True, slots=True)
class ProposedAllocation:
    invoice_id: int
    amount_minor: int


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A candidate for review, best first."""

    invoice_id: int
    amount_minor: int
    confidence: float
    reasons: tuple[Reason, ...]
    # Suggestions with the same number form one alternative (a batch: several invoices paid by
    # the line together); 0 is the best alternative. Accepting one accepts its whole group.
    alternative: int = 0


@dataclass(frozen=True, slots=True)
class Decision:
    """What the matcher concluded about one line.

    ``auto``: ``allocations`` are to be booked now; ``suggest``: a person decides among
    ``suggestions``; ``none``: nothing fits (fees, salaries, unknown payers).
    """

    line_id: int
    outcome: Outcome
    confidence: float
    reasons: tuple[Reason, ...]
    allocations: tuple[ProposedAllocation, ...] = ()
    suggestions: tuple[Suggestion, ...] = ()


@dataclass(frozen=True, slots=True)
class MatchPolicy:
    """Tunable thresholds (from settings)."""

    auto_confidence: float = 0.9
    max_suggestions: int = 3
    # A shortfall up to this many minor units (e.g. a bank fee) still settles the invoice's match.
    fee_tolerance_minor: int = 100_00
    fee_tolerance_ratio: float = 0.005
    # Bounded subset search for one payment covering several invoices.
    max_subset_invoices: int = 12
    max_subset_size: int = 4
