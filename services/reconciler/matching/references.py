"""The ways one invoice number can be written, ranked by how much each proves.

``INV-2026-00042`` is split into its groups (``INV``, ``2026``, ``00042``); the *serial* is the
group that counts invoices (the last digit group, unless that is a year suffix as in ``5/26`` or a
month suffix as in ``42/11`` or ``7/03``).
Keys, strongest first:

* ``EXACT``: every group, glued (``INV202600042``) — the number as issued;
* ``VARIANT``: the serial with some other groups dropped or its leading zeros dropped
  (``INV00042``, ``INV42``, ``202600042``) — how people shorten it;
* ``SERIAL``: the serial alone (``00042``, ``42``) — only meaningful next to a known partner,
  so it is indexed per partner and never globally.

A key is *distinctive* when it is long enough (``MIN_DISTINCTIVE_LEN``) that a coincidence
with another number in a purpose is implausible; only distinctive keys go in the global index,
and a short key needs more corroboration before money is allocated on it.
"""

from __future__ import annotations

import re
from itertools import combinations

from services.reconciler.matching.text import fold, normalise_reference

EXACT = 3
VARIANT = 2
SERIAL = 1
# Learned aliases were confirmed by a person: as good as the number itself.
LEARNED = EXACT

MIN_DISTINCTIVE_LEN = 6
_GROUP = re.compile(r"[0-9]+|[A-ZА-Я]+")
_MAX_GROUPS = 5


def is_year_like(group: str) -> bool:
    """19xx/20xx, or a two-digit 20–39: a year, which purposes are full of, not a serial."""
    if len(group) == 4:
        return group[:2] in ("19", "20")
    return len(group) == 2 and 20 <= int(group) <= 39


def is_month_suffix(group: str) -> bool:
    """Two digits 01–12 after a serial ("42/11", "7/03"): the month it was issued, not a counter.

    Many companies restart or tag their numbering by month; every invoice of a month shares
    the suffix, so read as the serial it would make all of them one number.
    """
    return len(group) == 2 and 1 <= int(group) <= 12


def is_distinctive(key: str) -> bool:
    """Long enough, and numeric enough, not to turn up in a purpose by coincidence."""
    return len(key) >= MIN_DISTINCTIVE_LEN and sum(map(str.isdigit, key)) >= 3


def contract_key(number: str) -> str | None:
    """The key a contract number is found by in a purpose, or None when it has no digit.

    A contract "Договор поставки" without a number cannot be told from prose; one with a digit
    is read like an invoice number (upper case, look-alikes folded, no separators).
    """
    key = normalise_reference(number)
    return key if any(ch.isdigit() for ch in key) else None


def _serial_forms(serial: str) -> tuple[str, ...]:
    short = serial.lstrip("0") or "0"
    return (serial,) if short == serial else (serial, short)


def number_keys(number: str) -> dict[str, int]:
    """Every key of ``number`` with its tier (the strongest tier when two forms coincide)."""
    exact = normalise_reference(number)
    if not any(ch.isdigit() for ch in exact):
        return {exact: EXACT} if exact else {}
    groups = _GROUP.findall(fold(number))
    keys: dict[str, int] = {exact: EXACT}
    if len(groups) > _MAX_GROUPS:
        return keys
    digit_at = [i for i, g in enumerate(groups) if g.isdigit()]
    serial_at = digit_at[-1]
    if len(digit_at) >= 2:
        last, before = groups[serial_at], groups[digit_at[-2]]
        if (is_year_like(last) and not is_year_like(before)) or (
            is_month_suffix(last) and not (len(before) == 4 and is_year_like(before))
        ):
            serial_at = digit_at[-2]
    others = [i for i in range(len(groups)) if i != serial_at]
    forms = _serial_forms(groups[serial_at])
    for form in forms:
        # purposes are full of years: a serial "2025" alone proves nothing
        if not is_year_like(form) and keys.get(form, 0) < SERIAL:
            keys[form] = SERIAL
    for size in range(1, len(others) + 1):
        for kept in combinations(others, size):
            at = sorted((*kept, serial_at))
            for form in forms:
                key = "".join(form if i == serial_at else groups[i] for i in at)
                if keys.get(key, 0) < VARIANT:
                    keys[key] = VARIANT
    keys[exact] = EXACT
    return keys
