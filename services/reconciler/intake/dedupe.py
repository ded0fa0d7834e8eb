"""Stable identity of a bank line across files, formats and re-downloads.

Banks' own ids are not reliable keys (OFX FITIDs change between downloads or repeat; CAMT
EndToEndIds repeat within a file; 1C has only a document number). The key is therefore derived
from what the bank cannot reword: account, currency, booking date, signed amount, the
counterparty's account and the normalised purpose — plus an ordinal that tells apart lines
that are identical in all of these within one statement (two equal payments on one day).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import date


def normalise_text(value: str | None) -> str:
    """Case- and whitespace-insensitive form: banks re-wrap and re-case purposes between exports."""
    return " ".join((value or "").split()).casefold()


_NOT_ALNUM = re.compile(r"[\W_]+")  # exactly what ``str.isalnum`` rejects


def normalise_account(value: str | None) -> str:
    return _NOT_ALNUM.sub("", value).upper() if value else ""


def line_fingerprint(
    account: str,
    currency: str,
    booking_date: date | None,
    amount_minor: int,
    counterparty_account: str | None,
    purpose: str | None,
) -> str:
    return "\x1f".join(
        (
            normalise_account(account),
            currency.upper(),
            booking_date.isoformat() if booking_date else "",
            str(amount_minor),
            normalise_account(counterparty_account),
            normalise_text(purpose),
        )
    )


def iter_dedupe_keys(fingerprints: Iterable[str]) -> Iterator[str]:
    """One key per line, in order; identical fingerprints get ordinals 0, 1, 2, … (lazily: see the importer)."""
    seen: Counter[str] = Counter()
    for fp in fingerprints:
        ordinal = seen[fp]
        seen[fp] += 1
        yield hashlib.sha256(f"{fp}\x1e{ordinal}".encode()).hexdigest()[:40]
