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

# Rubles and kopecks only: more than two decimals cannot be booked, and more than 18 integer
# digits is no amount any bank sends (it also keeps hostile input from building huge numbers).
_AMOUNT_RE = re.compile(r"(-?)(\d{1,18})(?:[.,](\d{1,2}))?")
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
    match = _VAT_RE.search(purpose)
    return None if match is None else match.group(0).strip()


_PURPOSE_PARTS = tuple(f"НазначениеПлатежа{i}" for i in range(1, 7))


def purpose_of(fields: Mapping[str, str]) -> str | None:
    """НазначениеПлатежа, plus НазначениеПлатежа1..6 when they add text.

    1C writes the purpose once in full and (in many exports) again split into numbered parts
    for the paper form; other exporters use only the parts, or put different text in them.
    Appending the parts only when they are not already in the full text covers all three.
    """
    get = fields.get
    main = get("НазначениеПлатежа", "")
    parts = [part for part in map(get, _PURPOSE_PARTS) if part]
    if not parts:
        return main or None
    joined = " ".join(parts)
    if not main:
        return joined
    squeezed_main = "".join(main.split())
    if "".join(joined.split()) in squeezed_main:
        return main
    return f"{main} {joined}"


def _joined(first: str, second: str) -> str:
    return f"{first} {second}" if first and second else first or second


def _side_keys(side: str) -> tuple[str, ...]:
    suffixes = ("", "1", "ИНН", "КПП", "Счет", "РасчСчет", "2", "Банк1", "Банк2", "3", "4", "БИК", "Корсчет")
    return tuple(side + suffix for suffix in suffixes)


# Built once: party() runs twice per document, and formatting key names there costs real time.
_SIDE_KEYS = {side: _side_keys(side) for side in ("Плательщик", "Получатель")}


def party(fields: Mapping[str, str], side: str) -> dict[str, str]:
    """One side of the payment order (``side`` is ``Плательщик`` or ``Получатель``), non-empty fields only.

    Names: ``<side>1`` is the name proper; the bare ``<side>`` field often carries "INN name".
    Bank: ``<side>Банк1`` (+ city in ``<side>Банк2``); for indirect settlements 1C puts the
    account in ``<side>2`` and the bank in ``<side>3``/``<side>4``, used when Банк1 is empty.
    """
    get = fields.get
    bare, name, inn, kpp, account, settlement, indirect, bank1, bank2, bank3, bank4, bik, corr = (
        get(key, "") for key in _SIDE_KEYS[side]
    )
    if bare and not (name and inn):
        inn_in_name, name_in_field = split_inn_and_name(bare)
        name = name or name_in_field or ""
        inn = inn or inn_in_name or ""
    result = {
        "name": name,
        "inn": inn,
        "kpp": kpp,
        "account": account or settlement or indirect,
        "bank_name": _joined(bank1, bank2) or _joined(bank3, bank4),
        "bank_bik": bik,
        "bank_corr_account": corr,
    }
    return {k: v for k, v in result.items() if v}


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


_PARTY_FIELDS = ("name", "inn", "kpp", "account", "bank_name", "bank_bik", "bank_corr_account")
_PAYER_KEYS = {key: f"payer_{key}" for key in _PARTY_FIELDS}
_PAYEE_KEYS = {key: f"payee_{key}" for key in _PARTY_FIELDS}


def payment_order_details(
    fields: Mapping[str, str],
    kind: str,
    document_date: date,
    purpose: str | None,
    payer: Mapping[str, str],
    payee: Mapping[str, str],
) -> dict[str, str]:
    """``StatementLine.details`` in the keys of ``PAYMENT_ORDER_KEYS`` plus the extras above.

    Dates are ISO 8601 so consumers need not know 1C's ``dd.mm.yyyy``.
    """
    details: dict[str, str] = {"document_kind": kind} if kind else {}
    number = fields.get("Номер", "")
    if number:
        details["document_number"] = number
    details["document_date"] = document_date.isoformat()
    if priority := fields.get("Очередность", ""):
        details["priority"] = priority
    if payment_kind := fields.get("ВидОплаты", ""):
        details["payment_kind"] = payment_kind
    for key, value in payer.items():
        details[_PAYER_KEYS[key]] = value
    for key, value in payee.items():
        details[_PAYEE_KEYS[key]] = value
    if vat := vat_text(purpose):
        details["vat_text"] = vat
    # Verbatim: a "0" in a budget indicator is what the paper form must print, not "nothing".
    for key in EXTRA_KEYS:
        if value := fields.get(key, ""):
            details[key] = value
    return details
