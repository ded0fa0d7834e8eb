"""The matching decision core: pure, deterministic, no I/O.

First version (the skeleton's): a line is settled automatically only when an invoice number
appears in its purpose text and the line's open amount equals that invoice's outstanding
amount, in the right direction (credits → receivables, debits → payables) and currency. For
a payable, whose number is only unique per supplier, the payee must also be identified by
tax id or account. Anything else is left for review. Precision first: a wrong allocation
costs more than a missed one.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence

from services.reconciler.matching.types import (
    Decision,
    LearnedFacts,
    MatchPolicy,
    OpenInvoice,
    PartnerFacts,
    PaymentLine,
    ProposedAllocation,
    Reason,
)

_TOKEN = re.compile(r"[0-9A-Za-zА-Яа-яЁё][0-9A-Za-zА-Яа-яЁё/\-]*")


def normalise_reference(text: str) -> str:
    """Upper-case alphanumerics only: 'inv-2026-00042' and 'INV 2026 00042' compare equal."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


def _purpose_keys(purpose: str) -> set[str]:
    """Every normalised run of 1–4 consecutive tokens, so 'INV 2026 00042' is found too."""
    tokens = [normalise_reference(t) for t in _TOKEN.findall(purpose)]
    tokens = [t for t in tokens if t]
    keys: set[str] = set()
    for i in range(len(tokens)):
        joined = ""
        for j in range(i, min(i + 4, len(tokens))):
            joined += tokens[j]
            keys.add(joined)
    return keys


def match_lines(
    lines: Sequence[PaymentLine],
    invoices: Iterable[OpenInvoice],
    partners: Iterable[PartnerFacts],
    learned: LearnedFacts | None = None,
    policy: MatchPolicy | None = None,
) -> list[Decision]:
    """Decide every line; invoices consumed by one decision are not offered to the next."""
    del learned, policy  # the skeleton matcher uses neither
    by_number: dict[str, list[OpenInvoice]] = defaultdict(list)
    for inv in invoices:
        by_number[normalise_reference(inv.number)].append(inv)
    partner_by_tax: dict[str, int] = {}
    partner_by_account: dict[str, int] = {}
    for p in partners:
        for tax_id in p.tax_ids:
            partner_by_tax[tax_id] = p.id
        for account in p.accounts:
            partner_by_account[account] = p.id
    outstanding: dict[int, int] = {}
    decisions: list[Decision] = []
    for line in lines:
        payer = partner_by_tax.get(line.counterparty_tax_id or "") or partner_by_account.get(
            line.counterparty_account or ""
        )
        found: list[OpenInvoice] = []
        for key in _purpose_keys(line.purpose or ""):
            for inv in by_number.get(key, ()):
                left = outstanding.get(inv.id, inv.outstanding_minor)
                if (
                    inv.direction == line.direction
                    and inv.currency == line.currency
                    and left == line.open_minor
                    and (inv.direction == "receivable" or inv.partner_id == payer)
                    and inv not in found
                ):
                    found.append(inv)
        if len(found) == 1:
            inv = found[0]
            outstanding[inv.id] = 0
            decisions.append(
                Decision(
                    line_id=line.id,
                    outcome="auto",
                    confidence=1.0,
                    reasons=(
                        Reason("reference_in_purpose", f"invoice {inv.number} named in the purpose"),
                        Reason("amount_equal", "amount equals the invoice's outstanding amount"),
                    ),
                    allocations=(ProposedAllocation(inv.id, line.open_minor),),
                )
            )
        else:
            decisions.append(Decision(line_id=line.id, outcome="none", confidence=0.0, reasons=()))
    return decisions
