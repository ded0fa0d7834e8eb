"""The open invoices of one matching run, indexed, with what is still outstanding on each.

Every lookup the rules make goes through a dictionary built once per run (reference key →
invoices, contract key → invoices, partner → open invoices, amount → invoices), so a line
costs a few dozen hash lookups however many invoices are open: the run is near-linear in
lines + invoices, never lines × invoices.

The book is the one mutable thing in a run: when a decision is booked automatically, its
allocations are taken off the invoices' outstanding amounts so the next line in the same run
cannot spend them again (two installments of one invoice see the right remainder).

References people taught (``LearnedFacts.references``) are indexed per partner, never globally:
a partner's own order or contract code means something only on that partner's payments.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace

from services.reconciler.matching.references import LEARNED, contract_key, is_distinctive, number_keys
from services.reconciler.matching.text import normalise_reference
from services.reconciler.matching.types import (
    Direction,
    LearnedFacts,
    LearnedReference,
    OpenInvoice,
    ProposedAllocation,
)


@dataclass(frozen=True, slots=True)
class ReferenceHit:
    """An open invoice whose number (or a form of it) is written in the purpose."""

    invoice: OpenInvoice
    tier: int
    key: str
    # Long enough not to be a coincidence (see ``references.is_distinctive``), or learned.
    distinctive: bool
    learned: bool = False
    # Learned, and a person has since undone or rejected an allocation made by it.
    doubted: bool = False


_Slot = tuple[int, Direction, str]  # partner, direction, currency


class InvoiceBook:
    """Indexes over the open invoices plus their running outstanding amounts."""

    def __init__(self, invoices: Iterable[OpenInvoice], learned: LearnedFacts) -> None:
        self._invoices: dict[int, OpenInvoice] = {}
        self._outstanding: dict[int, int] = {}
        self._keys: dict[int, dict[str, int]] = {}
        self._global_refs: dict[str, list[tuple[int, int, bool]]] = defaultdict(list)
        self._partner_refs: dict[tuple[int, str], list[tuple[int, int, bool]]] = defaultdict(list)
        # (partner, direction, alias) → what people taught; pointers only while their invoice is open
        self._pointers: dict[tuple[int, Direction, str], LearnedReference] = {}
        self._standing: dict[tuple[int, Direction, str], LearnedReference] = {}
        self._contracts: dict[str, list[int]] = defaultdict(list)
        self._by_partner: dict[_Slot, list[int]] = defaultdict(list)
        self._by_partner_amount: dict[tuple[int, Direction, str, int], dict[int, None]] = defaultdict(dict)
        self._by_amount: dict[tuple[Direction, str, int], dict[int, None]] = defaultdict(dict)
        # Many invoices share a contract: its number is normalised once.
        self._contract_keys: dict[str, str | None] = {}
        for inv in invoices:
            if inv.id in self._invoices or inv.outstanding_minor <= 0:
                continue
            self._add(inv)
        self._learn(learned.references)

    def _add(self, inv: OpenInvoice) -> None:
        self._invoices[inv.id] = inv
        self._outstanding[inv.id] = inv.outstanding_minor
        keys = number_keys(inv.number)
        self._keys[inv.id] = keys
        for key, tier in keys.items():
            # A distinctive key is found through the global index whoever pays; the partner's
            # index holds only the short ones (a second entry there would be offered twice).
            if is_distinctive(key):
                self._global_refs[key].append((inv.id, tier, True))
            else:
                self._partner_refs[(inv.partner_id, key)].append((inv.id, tier, False))
        if inv.contract_number:
            contract_key = self._contract_key(inv.contract_number)
            if contract_key is not None:
                self._contracts[contract_key].append(inv.id)
        currency = inv.currency.upper()
        self._by_partner[(inv.partner_id, inv.direction, currency)].append(inv.id)
        self._index_amount(inv, inv.outstanding_minor)

    def _learn(self, references: Iterable[LearnedReference]) -> None:
        taught: dict[tuple[int, Direction, str], LearnedReference] = {}
        for ref in references:
            key = normalise_reference(ref.alias)
            # Our own numbers are never a partner's alias: an open invoice's number (or a form of
            # it), or a contract's, names that invoice or contract, whatever was learned.
            if not key or key in self._global_refs or key in self._contracts:
                continue
            slot = (ref.partner_id, ref.direction, key)
            known = taught.get(slot)
            taught[slot] = ref if known is None else _merged(known, ref)
        for slot, ref in taught.items():
            target = ref.points_at
            if target is None:
                self._standing[slot] = ref
            elif target in self._invoices and self._invoices[target].partner_id == ref.partner_id:
                self._pointers[slot] = ref

    def _contract_key(self, number: str) -> str | None:
        if number not in self._contract_keys:
            self._contract_keys[number] = contract_key(number)
        return self._contract_keys[number]

    def _index_amount(self, inv: OpenInvoice, amount: int) -> None:
        currency = inv.currency.upper()
        self._by_partner_amount[(inv.partner_id, inv.direction, currency, amount)][inv.id] = None
        self._by_amount[(inv.direction, currency, amount)][inv.id] = None

    def _unindex_amount(self, inv: OpenInvoice, amount: int) -> None:
        currency = inv.currency.upper()
        self._by_partner_amount[(inv.partner_id, inv.direction, currency, amount)].pop(inv.id, None)
        self._by_amount[(inv.direction, currency, amount)].pop(inv.id, None)

    # --- state -------------------------------------------------------------------------

    def invoice(self, invoice_id: int) -> OpenInvoice:
        return self._invoices[invoice_id]

    def outstanding(self, invoice_id: int) -> int:
        return self._outstanding.get(invoice_id, 0)

    def keys_of(self, invoice_id: int) -> dict[str, int]:
        return self._keys[invoice_id]

    def consume(self, allocations: Iterable[ProposedAllocation]) -> None:
        """Take booked allocations off the invoices so later lines see what is left."""
        for alloc in allocations:
            inv = self._invoices[alloc.invoice_id]
            before = self._outstanding[inv.id]
            after = before - alloc.amount_minor
            if after < 0:
                raise ValueError(f"allocation of {alloc.amount_minor} exceeds outstanding {before}")
            self._unindex_amount(inv, before)
            self._outstanding[inv.id] = after
            if after > 0:
                self._index_amount(inv, after)

    # --- lookups -----------------------------------------------------------------------

    def _usable(self, invoice_id: int, direction: Direction, currency: str) -> bool:
        inv = self._invoices[invoice_id]
        return inv.direction == direction and inv.currency.upper() == currency and self._outstanding[invoice_id] > 0

    def find_references(
        self,
        keys: Iterable[str],
        partner_ids: Iterable[int],
        direction: Direction,
        currency: str,
        cited_keys: frozenset[str] = frozenset(),
    ) -> dict[int, ReferenceHit]:
        """Open invoices named in the purpose: globally by distinctive keys and learned
        aliases, and by any key among the invoices of the given partners. Strongest hit wins.

        ``cited_keys`` are pieces of another document's number the purpose cites (a contract, an
        order): no invoice's number, only what people taught (a partner's own code may follow
        "договор" or "заказ")."""
        partners = tuple(partner_ids)
        hits: dict[int, ReferenceHit] = {}

        def offer(
            invoice_id: int, tier: int, key: str, distinctive: bool, learned: bool = False, doubted: bool = False
        ) -> None:
            if not self._usable(invoice_id, direction, currency):
                return
            known = hits.get(invoice_id)
            # The invoice's own number outranks an alias of the same strength: it needs no teaching.
            if known is None or (tier, not learned, len(key)) > (known.tier, not known.learned, len(known.key)):
                hits[invoice_id] = ReferenceHit(self._invoices[invoice_id], tier, key, distinctive, learned, doubted)

        for key in keys:
            if self._pointers:
                for partner_id in partners:
                    ref = self._pointers.get((partner_id, direction, key))
                    if ref is not None and ref.points_at is not None:
                        offer(ref.points_at, LEARNED, key, True, learned=True, doubted=ref.doubted)
            if key in cited_keys:
                continue
            found = self._global_refs.get(key)
            if found is not None:  # a distinctive key: it is in no partner's index
                for invoice_id, tier, distinctive in found:
                    offer(invoice_id, tier, key, distinctive)
                continue
            for partner_id in partners:
                for invoice_id, tier, distinctive in self._partner_refs.get((partner_id, key), ()):
                    offer(invoice_id, tier, key, distinctive)
        return hits

    def standing_references(
        self, keys: Iterable[str], partner_ids: Iterable[int], direction: Direction
    ) -> list[tuple[str, LearnedReference]]:
        """The partners' standing references written in the purpose, with the key that names each."""
        if not self._standing:
            return []
        partners = tuple(partner_ids)
        found: list[tuple[str, LearnedReference]] = []
        for key in keys:
            for partner_id in partners:
                ref = self._standing.get((partner_id, direction, key))
                if ref is not None:
                    found.append((key, ref))
        return found

    def find_contracts(self, keys: Iterable[str]) -> dict[str, list[int]]:
        """Contract numbers written in the purpose → their invoices' ids."""
        return {key: self._contracts[key] for key in keys if key in self._contracts}

    def contract_invoices(self, contract_key: str, direction: Direction, currency: str) -> list[OpenInvoice]:
        return [
            self._invoices[i] for i in self._contracts.get(contract_key, ()) if self._usable(i, direction, currency)
        ]

    def open_of_partner(self, partner_id: int, direction: Direction, currency: str) -> list[OpenInvoice]:
        return [
            self._invoices[i]
            for i in self._by_partner.get((partner_id, direction, currency), ())
            if self._outstanding[i] > 0
        ]

    def partner_with_outstanding(
        self, partner_id: int, direction: Direction, currency: str, amount: int
    ) -> list[OpenInvoice]:
        ids = self._by_partner_amount.get((partner_id, direction, currency, amount), {})
        return [self._invoices[i] for i in ids]

    def any_with_outstanding(self, direction: Direction, currency: str, amount: int) -> list[OpenInvoice]:
        ids = self._by_amount.get((direction, currency, amount), {})
        return [self._invoices[i] for i in ids]


def _merged(a: LearnedReference, b: LearnedReference) -> LearnedReference:
    """Two lessons about one alias (written differently, the same once normalised) are one."""
    contract = a.contract_id if a.contract_id == b.contract_id else None
    return replace(
        a,
        invoice_ids=a.invoice_ids | b.invoice_ids,
        contract_id=contract,
        written_for_others=a.written_for_others or b.written_for_others,
        doubted=a.doubted or b.doubted,
    )
