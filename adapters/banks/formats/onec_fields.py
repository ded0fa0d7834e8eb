"""Values inside a 1CClientBankExchange document: amounts, dates, parties, VAT, payment-order fields.

These are pure functions of strings so the statement logic in ``onec`` reads as rules, and so
each quirk seen in real exports (INN glued to a name, VAT written five ways, the purpose
repeated in numbered parts) is handled in exactly one place.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from functools import lru_cache
from itertools import compress
from operator import itemgetter

# Rubles and kopecks only: more than two decimals cannot be booked, and more than 18 integer
# digits is no amount any bank sends (it also keeps hostile input from building huge numbers).
_AMOUNT_RE = re.compile(r"(-?)(\d{1,18})(?:[.,](\d{1,2}))?")
# The common spelling, read by Decimal as is (same value, same two places as the general path).
_PLAIN_AMOUNT_RE = re.compile(r"\d{1,18}\.\d\d")
_DATE_RE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
# "7810011111 ООО Ромашка", "7123456777, ООО Ромашка", "ИНН 7707083893 ООО Ромашка".
_INN_THEN_NAME_RE = re.compile(r"(?:ИНН\s*)?(\d{12}|\d{10})(?![\d])[\s,;]*(.*)", re.DOTALL)

# One pass, leftmost clause wins: "без НДС" / "НДС не облагается", or "в т.ч. НДС 20% 1234.56"
# (also "В т.ч. НДС(18%) 1372-88", "в том числе НДС 20%: 0.00", "НДС - 152.54"), or a bare rate.
_VAT_RE = re.compile(
    r"без\s+(?:налога\s*\(\s*НДС\s*\)|НДС)|НДС\s+не\s+облагается|не\s+облагается\s+НДС|НДС\s+не\s+предусмотрен"
    r"|(?:в\s*(?:т\.\s*ч\.?|том\s+числе)\s*)?НДС\s*(?:\(?\s*\d{1,2}(?:[.,]\d+)?\s*%\s*\)?)?\s*[-:=]?\s*"
    r"(?:\d[\d\s]*(?:[.,-]\d{2})?(?!\d)|(?<=%)|(?<=%\)))",
    re.IGNORECASE,
)


class FieldError(ValueError):
    """A value that cannot be read; the caller knows the line and adds it."""


def parse_amount(text: str, *, signed: bool = False) -> Decimal:
    """An exact amount from ``1000``, ``1000.5``, ``1000.50`` or ``1000,50`` (spaces as thousands).

    Document sums are never negative (the direction says which way money went); balances may be.
    """
    if _PLAIN_AMOUNT_RE.fullmatch(text):
        return Decimal(text)  # "1234.50", how banks write it: already the exact two-place form
    match = _AMOUNT_RE.fullmatch(text)
    if match is None and (" " in text or "\xa0" in text):
        match = _AMOUNT_RE.fullmatch(text.replace(" ", "").replace("\xa0", ""))
    if match is None:
        raise FieldError(f"not an amount in rubles and kopecks: {text[:40]!r}")
    minus, units, cents = match.groups()
    if minus and not signed:
        raise FieldError(f"negative amount {text[:40]!r}: the direction comes from the accounts, not a sign")
    # Always two places, so 700 and 700.00 are the same amount written the same way.
    return Decimal(f"{minus}{units}.{(cents or '').ljust(2, '0')}")


@lru_cache(maxsize=8192)
def parse_date(text: str) -> date:
    """``dd.mm.yyyy`` as 1C writes it; anything else is a broken date."""
    match = _DATE_RE.fullmatch(text)
    if match is None:
        raise FieldError(f"not a dd.mm.yyyy date: {text[:40]!r}")
    day, month, year = (int(g) for g in match.groups())
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise FieldError(f"no such date: {text[:40]!r}") from exc


def split_inn_and_name(text: str) -> tuple[str | None, str | None]:
    """Split the ``Плательщик=``/``Получатель=`` field, where many banks put the INN before the name."""
    if not text:
        return None, None
    match = _INN_THEN_NAME_RE.fullmatch(text)
    if match is None:
        return None, text
    return match.group(1), (match.group(2).strip() or None)


def vat_text(purpose: str | None) -> str | None:
    """The VAT clause of a payment purpose (form 0401060 must show it), or None when there is none."""
    if not purpose:
        return None
    match = _VAT_SEARCH_RE.search(purpose)
    return None if match is None else match.group(0).strip()


# The same clauses, searched about four times faster: every alternative of _VAT_RE starts with
# "б", "н" or "в" (any case), and this one-character lookahead lets the search skip every other
# position at once instead of trying five case-insensitive alternatives there.
_VAT_SEARCH_RE = re.compile(f"(?=[бвн])(?:{_VAT_RE.pattern})", re.IGNORECASE)


# Fields worth keeping beyond form 0401060's core: the budget-payment indicators (tax payments
# are rejected by the treasury without them), the payment code (УИН) and the bank's dates.
EXTRA_KEYS = (
    "ВидПлатежа",
    "КодНазПлатежа",
    "Код",
    "СрокПлатежа",
    "ДатаСписано",
    "ДатаПоступило",
    "СтатусСоставителя",
    "ПоказательКБК",
    "ОКАТО",
    "ПоказательОснования",
    "ПоказательПериода",
    "ПоказательНомера",
    "ПоказательДаты",
    "ПоказательТипа",
    "КвитанцияДата",
    "КвитанцияСодержание",
)
_PURPOSE_KEYS = ("НазначениеПлатежа", *(f"НазначениеПлатежа{i}" for i in range(1, 7)))
_SIDE_SUFFIXES = ("", "1", "ИНН", "КПП", "Счет", "РасчСчет", "2", "Банк1", "Банк2", "3", "4", "БИК", "Корсчет")
PAYER, PAYEE = "Плательщик", "Получатель"

# Every document field Sverka reads, in one fixed order. A document is read into a tuple of
# these (by position, in C) instead of a dict of every line it holds: a statement may hold
# hundreds of thousands of documents, and most of their lines are empty fields nobody reads.
DOCUMENT_KEYS: tuple[str, ...] = tuple(
    dict.fromkeys(
        (
            "Номер",
            "Дата",
            "Сумма",
            "Очередность",
            "ВидОплаты",
            *(PAYER + suffix for suffix in _SIDE_SUFFIXES),
            *(PAYEE + suffix for suffix in _SIDE_SUFFIXES),
            *_PURPOSE_KEYS,
            *EXTRA_KEYS,
        )
    )
)
FIELD = {key: index for index, key in enumerate(DOCUMENT_KEYS)}
_SIDE_START = {PAYER: FIELD[PAYER], PAYEE: FIELD[PAYEE]}
_PURPOSE_START = FIELD["НазначениеПлатежа"]
_PURPOSE_END = _PURPOSE_START + len(_PURPOSE_KEYS)
_EXTRAS = itemgetter(*(FIELD[key] for key in EXTRA_KEYS))
_NOTHING = ("",) * len(DOCUMENT_KEYS)


def document_values(fields: Mapping[str, str]) -> tuple[str, ...]:
    """A document's fields as a tuple in ``DOCUMENT_KEYS`` order, "" where absent."""
    return tuple(map(fields.get, DOCUMENT_KEYS, _NOTHING))


def purpose_of(fields: Mapping[str, str]) -> str | None:
    """НазначениеПлатежа, plus НазначениеПлатежа1..6 when they add text (see :func:`purpose_from`)."""
    return purpose_from(document_values(fields))


def purpose_from(values: tuple[str, ...]) -> str | None:
    """The purpose from a document's values.

    1C writes the purpose once in full and (in many exports) again split into numbered parts
    for the paper form; other exporters use only the parts, or put different text in them.
    Appending the parts only when they are not already in the full text covers all three.
    """
    main = values[_PURPOSE_START]
    parts = list(filter(None, values[_PURPOSE_START + 1 : _PURPOSE_END]))
    if not parts:
        return main or None
    joined = " ".join(parts)
    if not main:
        return joined
    if joined in main:  # the usual repeat, found without squeezing both texts
        return main
    squeezed_main = "".join(main.split())
    if "".join(joined.split()) in squeezed_main:
        return main
    return f"{main} {joined}"


PARTY_FIELDS = ("name", "inn", "kpp", "account", "bank_name", "bank_bik", "bank_corr_account")
# A party is a tuple in PARTY_FIELDS order; where the values a statement line needs sit.
NAME, INN, ACCOUNT = 0, 1, 3


def party(fields: Mapping[str, str], side: str) -> dict[str, str]:
    """One side of the payment order (``side`` is ``Плательщик`` or ``Получатель``), non-empty fields only."""
    values = party_from(document_values(fields), side)
    return dict(compress(zip(PARTY_FIELDS, values, strict=True), values))


def party_from(values: tuple[str, ...], side: str) -> tuple[str, ...]:
    """One side of the payment order from a document's values, in ``PARTY_FIELDS`` order, "" where unknown.

    Names: ``<side>1`` is the name proper; the bare ``<side>`` field often carries "INN name".
    Bank: ``<side>Банк1`` (+ city in ``<side>Банк2``); for indirect settlements 1C puts the
    account in ``<side>2`` and the bank in ``<side>3``/``<side>4``, used when Банк1 is empty.
    """
    start = _SIDE_START[side]
    bare, name, inn, kpp, account, settlement, indirect, bank1, bank2, bank3, bank4, bik, corr = values[
        start : start + 13
    ]
    if bare and not (name and inn):
        inn_in_name, name_in_field = split_inn_and_name(bare)
        name = name or name_in_field or ""
        inn = inn or inn_in_name or ""
    if bank1 or bank2:
        bank = f"{bank1} {bank2}" if bank1 and bank2 else bank1 or bank2
    else:
        bank = f"{bank3} {bank4}" if bank3 and bank4 else bank3 or bank4
    return (name, inn, kpp, account or settlement or indirect, bank, bik, corr)


_DETAIL_KEYS = (
    "document_kind",
    "document_number",
    "document_date",
    "priority",
    "payment_kind",
    *(f"payer_{key}" for key in PARTY_FIELDS),
    *(f"payee_{key}" for key in PARTY_FIELDS),
    "vat_text",
    *EXTRA_KEYS,
)
_NUMBER, _PRIORITY, _PAYMENT_KIND = FIELD["Номер"], FIELD["Очередность"], FIELD["ВидОплаты"]


def payment_order_details(
    values: tuple[str, ...],
    kind: str,
    document_date: date,
    purpose: str | None,
    payer: tuple[str, ...],
    payee: tuple[str, ...],
) -> dict[str, str]:
    """``StatementLine.details`` in the keys of ``PAYMENT_ORDER_KEYS`` plus ``EXTRA_KEYS``, non-empty only.

    ``values`` come from :func:`document_values` (or the fast reader), ``payer``/``payee`` from
    :func:`party_from`. Dates are ISO 8601 so consumers need not know 1C's ``dd.mm.yyyy``;
    extras are verbatim: a "0" in a budget indicator is what the paper form must print, not
    "nothing". One zip over every key, keeping the non-empty values, runs in C.
    """
    row = (
        kind,
        values[_NUMBER],
        document_date.isoformat(),
        values[_PRIORITY],
        values[_PAYMENT_KIND],
        *payer,
        *payee,
        vat_text(purpose) or "",
        *_EXTRAS(values),
    )
    # compress keeps the (key, value) pairs whose value is non-empty, in C.
    return dict(compress(zip(_DETAIL_KEYS, row, strict=True), row))
