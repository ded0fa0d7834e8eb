"""Which open invoices a few bank lines could touch: the core's input when lines arrive one by one.

Deciding a line that just arrived does not need the 100,000 other open invoices, and loading
them and indexing them costs seconds. The core (``engine``) is not changed: it runs on a subset,
and the subset must hold every invoice any of its lookups could return for these lines, or a
decision changes (two equal candidates where only one was loaded would look unambiguous). These
are all of them, and what covers each:

=====================================================  ==========================================
the invoice book's lookup (``book.py``), by its rule   found here by
=====================================================  ==========================================
global reference index: a *distinctive* key of the     the purpose's keys in ``invoice_lookup_key``
number (``find_references``; the reference rules)      (``lookup_keys``), any partner, direction
per-partner reference index, short and serial keys,    all open invoices of the payer and of the
typos of the number (``_typo_of``), learned pointers   partners named by INN in the purpose (or,
and standing references (only for those partners),     for an unknown payer naming nobody by INN,
``partner_amount``, ``partner_subsets``,               by a quoted name: ``by_quoted_names``)
``partner_shortfall``
contract index (``find_contracts``; contract rules)    the purpose's keys in ``invoice_lookup_key``
                                                       (contract keys are stored there too)
whether a learned alias is one of our own numbers or   the same key lookup: the alias is looked
contracts (``InvoiceBook._learn``), any direction      up only by a key of the purpose
``amount_anywhere``: every open invoice with the       open invoices whose outstanding amount is
line's open amount                                     a line's open amount (expression index)
=====================================================  ==========================================

Payers are identified by the same ``PartnerDirectory`` the core uses, over all partners (the
fuzzy name match compares with every partner's name), kept by the worker while the partners do
not change (``directory_cache``). Of the references people taught, only those of the lines'
payers and named partners are read: the book looks a learned alias up only for the partners a
line knows (``find_references``, ``standing_references``), and merges lessons per partner.

Several lines in one call are decided in order, and an automatic decision takes money off its
invoices before the next line: those invoices are in the subset, so the next line sees the same
remainders as over all invoices; an invoice outside it keeps its outstanding amount, so the
amount lookup finds it exactly when the full book would. A subset larger than needed never
changes a decision (every lookup returns the invoices it would over all of them), and the
subset keeps the order of the full load (by id), which the book's lists keep too.

The equality of the two paths is the specification: ``tests/services/reconciler/matching/
test_candidate_invoices.py`` proves it line by line on generated worlds and the rules' own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import Session

from services.reconciler.matching import lookup_index, repository
from services.reconciler.matching.payers import PartnerDirectory
from services.reconciler.matching.text import read_purpose
from services.reconciler.matching.types import OpenInvoice, PaymentLine


@dataclass(frozen=True, slots=True)
class CandidateSearch:
    """What finds the invoices some lines could touch."""

    # every reference key the purposes contain (the stored keys of an invoice are among them)
    keys: frozenset[str]
    # the payers and the partners the purposes name by INN
    partner_ids: frozenset[int]
    # the lines' open amounts (an invoice with that outstanding amount could be paid by one)
    outstanding: frozenset[int]


def candidate_search(lines: Iterable[PaymentLine], directory: PartnerDirectory) -> CandidateSearch:
    """What to look for, read from the lines exactly as the core reads them (pure)."""
    keys: set[str] = set()
    partner_ids: set[int] = set()
    outstanding: set[int] = set()
    for line in lines:
        if line.amount_minor == 0 or line.open_minor <= 0:
            continue  # the core decides such a line without looking at any invoice
        facts = read_purpose(line.purpose)
        keys.update(facts.keys)
        payer = directory.identify(line).partner_ids
        partner_ids.update(payer)
        named_by_tax_id = directory.by_tax_ids(facts.tax_ids)
        for named in named_by_tax_id.values():
            partner_ids.update(named)
        if not payer and not named_by_tax_id:  # the core reads quoted names for such a payer only
            partner_ids.update(directory.by_quoted_names(line.purpose))
        outstanding.add(line.open_minor)
    return CandidateSearch(frozenset(keys), frozenset(partner_ids), frozenset(outstanding))


def candidate_invoices(session: Session, search: CandidateSearch) -> list[OpenInvoice]:
    """The open invoices the core could look at deciding the lines of ``search``, in the order of
    the full load (``search`` read with the directory the core will decide with)."""
    lookup_index.key_unkeyed_invoices(session)
    return repository.open_invoices_found_by(session, search.keys, search.partner_ids, search.outstanding)
