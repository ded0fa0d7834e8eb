"""The keys the database finds an invoice by when one bank line arrives.

Deciding one line does not need every open invoice, only those the rules could look at. Most
of them are found by the line itself (its payer's and named partners' invoices, invoices with
its amount); the rest are found by what its purpose says — an invoice number written in a
form anyone's invoice could have (the book's global reference index: *distinctive* keys, see
``references.is_distinctive``), or a contract number. Those are the keys stored per invoice in
``invoice_lookup_key``, derived here by the very functions the invoice book indexes with, so
the database finds exactly the invoices the book would.

``LOOKUP_KEYS_VERSION`` is stored on each keyed invoice (``invoice.lookup_keys_version``):
change how keys are derived (here, or in ``references``/``text``) and bump it, and invoices
keyed the old way are keyed again before the next line is decided (``lookup_index``).
"""

from __future__ import annotations

from services.reconciler.matching.references import contract_key, is_distinctive, number_keys

LOOKUP_KEYS_VERSION = 2  # 2: a month suffix (42/11) is not the serial


def invoice_lookup_keys(number: str, contract_number: str | None) -> frozenset[str]:
    """The keys a purpose can name this invoice by without knowing whose it is.

    An invoice's distinctive number keys (the invoice book indexes them globally) and its
    contract's key (the book indexes invoices by contract key, whoever the partner is). Short
    keys are not here: the book looks them up only among the payer's and the named partners'
    invoices, which are fetched by partner.
    """
    keys = {key for key in number_keys(number) if is_distinctive(key)}
    contract = contract_key(contract_number) if contract_number else None
    if contract:
        keys.add(contract)
    return frozenset(keys)
