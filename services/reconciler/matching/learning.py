"""What a person's allocation teaches: the payer's own references written in the purpose.

A customer that writes its order or contract code instead of our invoice number ("по заказу
ZK-77812") pays the next installment the same way. When a person allocates such a payment to one
invoice, the code is worth remembering (``LearnedReference``). But a purpose is full of numbers
that are no reference, and a wrong alias misapplies money — worse than leaving a payment for
review — so a word is learned only when it is all of:

* one word with at least ``MIN_ALIAS_DIGITS`` digits and six characters (``is_distinctive``):
  "№ 4567" or "А-12" turn up by coincidence;
* a key the matcher itself reads in the purpose (not inside a date, an amount or a percentage,
  at most four tokens), so that the same words written again find it;
* not a date written another way (``05-03-2026``, ``05032026``, ``202603``), not years
  (``2025-2026``), not a number with a currency or unit (``1500руб``, ``2026года``);
* not a registry number: no run of ``REGISTRY_DIGITS`` or more digits (BIK and KPP 9, INN 10 or
  12, SNILS and phones 11, OGRN 13 or 15, cards 16, accounts 20), not a phone (``123-45-67``);
* none of our numbers: not a form of an invoice's number, nor one with two digits swapped, nor
  a piece of one, nor one with something appended; not a contract number;
* a code, not a word with a number: no letter part longer than ``MAX_CODE_LETTERS``
  ("Плательщик-1234"), and not part of the partner's or the payer's name;
* not an amount of the line or the invoice written as bare digits;
* one of at most ``MAX_ALIASES`` such words: a purpose with more is a list of documents, and
  which of them is the customer's reference it does not say.

Pure functions: the review service gathers the numbers, contracts, names and amounts
(``TeachingContext``) and stores what comes out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from services.reconciler.matching.references import is_distinctive, is_year_like, number_keys
from services.reconciler.matching.text import (
    fold,
    is_transposition,
    normalise_reference,
    read_purpose,
    without_dates_and_money,
)

MIN_ALIAS_DIGITS = 4
MAX_ALIASES = 3
REGISTRY_DIGITS = 9
# Codes have short letter parts (ZK-, PO-, ЗАКАЗ-); longer ones are words or names with a number.
MAX_CODE_LETTERS = 5

_WORD_BREAK = re.compile(r"[\s,;:.()\[\]{}<>«»\"'“”„№#+=!?*|\\]+")
_DIGIT_RUN = re.compile(r"[0-9]+")
_TOKEN = re.compile(r"[0-9]+|[A-ZА-Я]+")
_PHONE = re.compile(r"(?:\d+-)*\d{3}-\d{2}-\d{2}")
# Currencies and units after (or before) a number: money or a quantity, never a reference.
_UNIT_STEMS = tuple(
    fold(u) for u in ("руб", "rub", "rur", "usd", "eur", "коп", "год", "лет", "мес", "дне", "тыс", "млн", "ндс", "шт")
)
_UNITS = frozenset(fold(u) for u in ("р", "т", "г", "кг", "дн", "ч", "мин", "м", "л"))


@dataclass(frozen=True, slots=True)
class Alias:
    """A word of a purpose: its key (as the matcher reads it) and how it was written."""

    key: str
    written: str


@dataclass(frozen=True, slots=True)
class TeachingContext:
    """What the words must not be: our numbers, the names and the amounts of the allocation."""

    numbers: tuple[str, ...] = ()  # invoice numbers: the allocated invoice's and any other that looks alike
    contracts: tuple[str, ...] = ()
    names: tuple[str, ...] = ()  # the partner's and the payer's names
    amounts_minor: tuple[int, ...] = ()


def words_with_digits(purpose: str | None) -> list[Alias]:
    """Every word of the purpose that has a digit, once per key, in the order written.

    Dates, money and percentages are blanked first, exactly as the matcher reads a purpose.
    """
    text = without_dates_and_money((purpose or "").replace("ё", "е").replace("Ё", "Е"))
    found: dict[str, Alias] = {}
    for raw in _WORD_BREAK.split(text):
        written = raw.strip("-/_")
        if not any(ch.isdigit() for ch in written):
            continue
        key = normalise_reference(written)
        if key and key not in found:
            found[key] = Alias(key, written)
    return list(found.values())


def refusal(alias: Alias, context: TeachingContext, purpose_keys: Iterable[str] | None = None) -> str | None:
    """Why this word must not be learned as the payer's reference, or None when it may be."""
    key = alias.key
    digits = "".join(_DIGIT_RUN.findall(key))
    if len(digits) < MIN_ALIAS_DIGITS or not is_distinctive(key):
        return "too short to be anything but a coincidence"
    for number in context.numbers:
        why = _ours(key, number)
        if why:
            return why
    for contract in context.contracts:
        ckey = normalise_reference(contract)
        if ckey and (ckey == key or key in ckey or (is_distinctive(ckey) and ckey in key)):
            return f"contract {contract}"
    letters = [t for t in _TOKEN.findall(key) if not t[0].isdigit()]
    written_runs = _DIGIT_RUN.findall(alias.written)
    if max(map(len, written_runs)) >= REGISTRY_DIGITS or (not letters and len(digits) >= REGISTRY_DIGITS):
        return "a registry number (INN, KPP, BIK, OGRN, account, card, phone)"
    if _PHONE.fullmatch(alias.written):
        return "a phone number"
    if not letters and (_date_like(digits) or _years(digits)):
        return "a date or a year"
    if letters and all(_is_unit(t) for t in letters):
        return "a number with a currency or unit"
    if any(len(t) > MAX_CODE_LETTERS for t in letters):
        return "a word with a number, not a code"
    if digits in _amount_forms(context.amounts_minor):
        return "an amount"
    for name in context.names:
        if key in normalise_reference(name):
            return "part of a name"
    if purpose_keys is not None and key not in set(purpose_keys):
        return "not a key the matcher reads in the purpose"
    return None


def aliases_to_learn(purpose: str | None, context: TeachingContext) -> list[Alias]:
    """The words of ``purpose`` that are the payer's own reference; none when it is a list of them."""
    keys = read_purpose(purpose).keys
    chosen = [a for a in words_with_digits(purpose) if refusal(a, context, keys) is None]
    return chosen if len(chosen) <= MAX_ALIASES else []


def lookup_digits(alias: Alias) -> str:
    """The longest digit run of the word as written: what to look our numbers up by."""
    return max(_DIGIT_RUN.findall(alias.written), key=len, default="")


# --- helpers ---------------------------------------------------------------------------------


def _ours(key: str, number: str) -> str | None:
    exact = normalise_reference(number)
    if not exact:
        return None
    keys = number_keys(number)
    if key in keys:
        return f"invoice {number} as people write it"
    if any(is_distinctive(k) and is_transposition(key, k) for k in keys):
        return f"invoice {number} with two digits swapped"
    if key in exact or (is_distinctive(exact) and exact in key):
        return f"a piece of invoice {number}, or it with something appended"
    return None


def _is_unit(token: str) -> bool:
    return token in _UNITS or token.startswith(_UNIT_STEMS)


def _amount_forms(amounts_minor: Iterable[int]) -> set[str]:
    forms: set[str] = set()
    for minor in amounts_minor:
        minor = abs(minor)
        forms.add(str(minor))
        if minor % 100 == 0:
            forms.add(str(minor // 100))
    return forms


def _valid(year: int, month: int, day: int = 1) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _day_month(text: str) -> bool:
    """``text`` (1–4 digits) reads as a month, or a day and a month."""
    if not text or len(text) > 4:
        return False
    if len(text) <= 2 and 1 <= int(text) <= 12:
        return True
    return any(_valid(2000, int(text[i:]), int(text[:i])) for i in range(1, len(text)) if len(text) - i <= 2)


def _date_like(digits: str) -> bool:
    """A date or a month written as bare digits: 05032026, 20260305, 050326, 202603, 032026."""
    if len(digits) >= 5 and is_year_like(digits[-4:]) and _day_month(digits[:-4]):
        return True
    if len(digits) >= 5 and is_year_like(digits[:4]) and _month_day(digits[4:]):
        return True
    return (
        len(digits) == 6
        and is_year_like(digits[-2:])
        and _valid(2000 + int(digits[-2:]), int(digits[2:4]), int(digits[:2]))
    )


def _month_day(text: str) -> bool:
    if len(text) == 2:
        return 1 <= int(text) <= 12
    return len(text) == 4 and _valid(2000, int(text[:2]), int(text[2:]))


def _years(digits: str) -> bool:
    """Two years run together: 2025-2026, 20252026."""
    return len(digits) == 8 and is_year_like(digits[:4]) and is_year_like(digits[4:])
