"""Reading a payment purpose the way an accountant skims it.

People write the same invoice number many ways (``INV-2026-00042``, ``inv 2026 00042``,
``№42``, ``сч.42``), mix Cyrillic and Latin look-alike letters, and surround it with dates,
amounts and VAT percentages that look like numbers too. This module turns free text into:

* reference *keys*: every run of 1–4 adjacent alphanumeric tokens glued together, after
  dates, money amounts and percentages are cut out so "от 01.03.2026" or "НДС 20%" cannot
  pose as an invoice number; runs never cross a comma or semicolon, so a listed
  "№ 5, 6" is not read as "56";
* the dates written in it (an invoice date there corroborates a short reference);
* the tax ids (INN) it names (a third party paying for a partner names the partner);
* whether it says the payment is not for an invoice at all (bank fees, interest, salaries,
  refunds), and whether it says the payment is a part (prepayment, final settlement).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

# Cyrillic letters that look like Latin ones: people (and OCR) swap them freely in numbers.
_LOOKALIKES = str.maketrans("АВЕКМНОРСТУХЁ", "ABEKMHOPCTYXE")

_DATE_DMY = re.compile(r"(?<!\d)(\d{1,2})[./](\d{1,2})[./](\d{4}|\d{2})(?!\d)")
_DATE_ISO = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
# Money: "144192.75", "1 234 567,89"; percentages: "20%", "0,5 %".
_MONEY = re.compile(r"(?<![\d.,])\d{1,3}(?:[  ]\d{3})+[.,]\d{2}(?!\d)|(?<![\d.,])\d+[.,]\d{2}(?![\d.,]\d)")
_PERCENT = re.compile(r"\d+(?:[.,]\d+)?\s*%")
# Money in words: "2000 руб. 00 коп.", "816 рублей 67 копеек".
_MONEY_WORDS = re.compile(
    r"(?<![\w.,])\d[\d  ]*\s*руб(?:лей|ля|ль)?\.?\s*\d{1,2}\s*коп(?:еек|ейки|ейка)?\.?", re.IGNORECASE
)
# The number right after "НДС", "сумма", "итого", "VAT", "amount" is an amount however it is
# written ("НДС - 816-67", "Сумма 12000-00"); only spaces, a colon, a dash or brackets between.
_AMOUNT_WORD = re.compile(r"ндс|сумм(?:ой|а|е|у|ы)|итого|vat|amount")  # matched in lower case
_AMOUNT_AFTER_WORD = re.compile(r"[\s:()\-–—=]{0,8}(\d[\d  ]*(?:[.,\-]\d{1,2}(?!\d))?)")
# "38/8", "42/11": a serial with the month it was issued in. The month alone is no number.
_MONTH_SUFFIX = re.compile(r"(?<![\d/])\d+/(0?[1-9]|1[0-2])(?![\d/])")
_SEGMENT_BREAK = re.compile(r"[,;\n\r\t]+")
_TOKEN = re.compile(r"[0-9]+|[A-ZА-Я]+")
_TAX_ID = re.compile(r"(?<!\d)(\d{12}|\d{10})(?!\d)")

# Purposes that say "this is not an invoice payment". A careful accountant never settles an
# invoice with a bank fee, interest, salary or a refund, whatever the amount.
_NOT_INVOICE = re.compile(
    r"комисси|выплат\w* процент|процент\w* на остат|начислен\w* процент|заработн\w* плат|зарплат|"
    r"\bзп\b|отпускн|больничн|пособи[ея]|\bвозврат(?:а|у|ом)?\b|\brefund|\bsalar|\bpayroll|"
    r"\binterest\b|bank (?:fee|charge)|\bcommission",
)
# Purposes that say the payment is a part of an invoice.
_PARTIAL_HINT = re.compile(
    r"предоплат|\bаванс|частичн|\bчасть\b|\bчасти\b|окончательн|доплат|остаток|остатка|рассрочк|"
    r"\bpartial|\bprepay|\badvance|\binstal+ment|\bbalance\b",
)

# Words one of whose stems every match of the patterns above contains: a purpose with none of them
# (most purposes) is settled by a few substring tests instead of a regex scan at every position.
_NOT_INVOICE_STEMS = (
    "комисси",
    "процент",
    "заработн",
    "зарплат",
    "зп",
    "отпускн",
    "больничн",
    "пособи",
    "возврат",
    "refund",
    "salar",
    "payroll",
    "interest",
    "bank ",
    "commission",
)
_PARTIAL_STEMS = (
    "предоплат",
    "аванс",
    "част",
    "окончательн",
    "доплат",
    "остат",
    "рассрочк",
    "partial",
    "prepay",
    "advance",
    "instal",
    "balance",
)
_NOT_ALNUM = re.compile(r"[\W_]+")  # exactly what ``str.isalnum`` rejects
# "по договору № 7-П", "по дог. Д-15/2025", "contract 2025/17", "по заказу № 40", "PO-97200",
# "п/п 118", "реестр 15": the number that follows is that document's — a contract, the payer's
# order, a payment order, a register. Its pieces ("7", "15", "40") are no invoice number, however
# one is written. (Acts, waybills and УПД are left alone: they often carry the invoice's number.)
_CITED_DOCUMENT = re.compile(  # matched in lower case
    r"(\b(?:договор\w*|дог\b\.?|контракт\w*|contract|agreement|заказ\w*|order|po\b|п/п|"
    r"платежн\w*\s+поручени\w*|реестр\w*)"
    r"(?:\s+(?:поставки|подряда|оказания|услуг|аренды|займа|купли-продажи|покупателя|клиента))*"
    r"[\s:\-]*(?:№|no\.?|n|#)?\s*)((?=[\w/\-]*\d)[^\W_][\w/\-]*)"
)
_CITED_DOCUMENT_WORD = re.compile(r"дог|контракт|contract|agreement|заказ|order|po|п/п|поручени|реестр")
# One scan each instead of a substring test per stem (or a Python-level loop over the characters).
_NOT_INVOICE_STEM = re.compile("|".join(map(re.escape, _NOT_INVOICE_STEMS)))
_PARTIAL_STEM = re.compile("|".join(map(re.escape, _PARTIAL_STEMS)))
# A purpose without one has no key, date or tax id; the characters ``str.isdigit`` accepts beyond
# these (superscripts and the like) are in none of those patterns either.
_DIGIT = re.compile(r"\d")

MAX_KEY_TOKENS = 4
# Longer runs are prose, not a number; stopping there keeps a line's key count small.
MAX_KEY_LEN = 32


def fold(text: str) -> str:
    """Upper case with Cyrillic look-alike letters folded to Latin ones."""
    return text.upper().translate(_LOOKALIKES)


def normalise_reference(text: str) -> str:
    """Upper-case alphanumerics, Cyrillic look-alikes folded to Latin.

    'inv-2026-00042', 'INV 2026 00042' and 'ІNV-2026-00042' typed with a Cyrillic 'С' or 'Н'
    compare equal. Used for invoice numbers, contract numbers and learned aliases alike.
    """
    return _NOT_ALNUM.sub("", fold(text))


@dataclass(frozen=True, slots=True)
class PurposeFacts:
    """What a purpose text says, reduced to what matching needs."""

    keys: tuple[str, ...]
    dates: frozenset[date]
    tax_ids: frozenset[str]
    not_invoice: str | None
    partial_hint: bool
    # The tokens of the numbers of other documents the purpose cites (a contract, an order, a
    # payment order, a register): "7", "П" of "договор № 7-П". Empty for most purposes.
    cited_tokens: tuple[str, ...] = ()
    # The purpose without dates and money, kept to work ``cited_keys`` out only when asked.
    cleaned: str = field(default="", repr=False, compare=False)

    def may_be_cited(self, key: str) -> bool:
        """Whether ``key`` could be a piece of a cited document's number (cheap; no false "no")."""
        return any(token in key for token in self.cited_tokens)

    @property
    def cited_keys(self) -> frozenset[str]:
        """Keys that are only pieces of a cited document's number ("7" of "договор № 7-П", "40"
        of "по заказу № 40"): the contract rules and learned aliases read them, the invoice-number
        rules do not. Worked out on first use (most lines never need it), then remembered."""
        if not self.cited_tokens:
            return frozenset()
        return _cited_keys(self.cleaned, self.keys)


def _parse_dates(text: str) -> set[date]:
    found: set[date] = set()
    for d, m, y in _DATE_DMY.findall(text):
        year = int(y) + (2000 if len(y) == 2 else 0)
        try:
            found.add(date(year, int(m), int(d)))
        except ValueError:
            continue
    for y, m, d in _DATE_ISO.findall(text):
        try:
            found.add(date(int(y), int(m), int(d)))
        except ValueError:
            continue
    return found


def without_dates_and_money(text: str) -> str:
    """``text`` with dates, money amounts and percentages blanked out: numbers that are no reference.

    Money is also what is written in roubles and kopecks ("816 руб. 67 коп.") and the number
    right after a word that announces an amount ("НДС - 816-67", "Сумма 12000-00"): a sum, not a
    document, whatever its separators.
    """
    # Each pattern needs a separator it names; skipping the ones that cannot match keeps this cheap.
    cleaned = text
    if "." in cleaned or "/" in cleaned:
        cleaned = _DATE_DMY.sub(" ", cleaned)
    if "-" in cleaned:
        cleaned = _DATE_ISO.sub(" ", cleaned)
    if "." in cleaned or "," in cleaned:
        cleaned = _MONEY.sub(" ", cleaned)
    if "%" in cleaned:
        cleaned = _PERCENT.sub(" ", cleaned)
    if "коп" in cleaned or "КОП" in cleaned or "Коп" in cleaned:
        cleaned = _MONEY_WORDS.sub(" ", cleaned)
    return _without_amounts_after_words(cleaned)


def _without_amounts_after_words(text: str) -> str:
    """``text`` with the number right after each amount word blanked out."""
    lower = text.lower()
    if len(lower) != len(text):  # a letter whose lower case is longer: positions would not match
        return text
    parts: list[str] = []
    start = 0
    for word in _AMOUNT_WORD.finditer(lower):
        at, end = word.span()
        if (at and lower[at - 1].isalnum()) or (end < len(lower) and lower[end].isalnum()):
            continue  # part of a longer word
        amount = _AMOUNT_AFTER_WORD.match(text, end)
        if amount is not None and amount.start(1) >= start:
            parts.append(text[start : amount.start(1)])
            parts.append(" ")
            start = amount.end(1)
    if not parts:
        return text
    parts.append(text[start:])
    return "".join(parts)


def reference_keys(text: str) -> tuple[str, ...]:
    """Candidate reference keys in ``text``, in order of appearance, without duplicates.

    Only keys with a digit are kept: no invoice or contract number is letters alone, and a
    month written after a serial ("38/8", "42/11") is no key by itself (``references`` does not
    take it for the serial of a number either).
    """
    return _keys(without_dates_and_money(text))


def _keys(cleaned: str) -> tuple[str, ...]:
    """The keys of a text already ``without_dates_and_money``."""
    cleaned = fold(cleaned)
    keys: dict[str, None] = {}
    for segment in _SEGMENT_BREAK.split(cleaned):
        for key in _segment_keys(segment):
            keys.setdefault(key)
    if "/" in cleaned and keys:
        for month in _months_only_as_suffix(cleaned):
            keys.pop(month, None)
    return tuple(keys)


def _segment_keys(segment: str) -> tuple[str, ...]:
    tokens = _TOKEN.findall(segment)
    count = len(tokens)
    keys: dict[str, None] = {}
    # Where the first digit token at or after each position is: a run that starts further
    # than MAX_KEY_TOKENS before it is letters only and yields no key (most of a purpose).
    next_digit = [count] * (count + 1)
    for i in range(count - 1, -1, -1):
        next_digit[i] = i if tokens[i][0].isdigit() else next_digit[i + 1]  # all digits or all letters
    for i in range(count):
        first = next_digit[i]
        end = min(i + MAX_KEY_TOKENS, count)
        if first >= end:
            continue
        joined = "".join(tokens[i:first])
        for j in range(first, end):
            joined += tokens[j]
            if len(joined) > MAX_KEY_LEN:
                break
            keys.setdefault(joined)
    return tuple(keys)


def _months_only_as_suffix(cleaned: str) -> set[str]:
    """Months written after a serial ("38/8") and nowhere on their own: no key by themselves."""
    suffixes = _MONTH_SUFFIX.findall(cleaned)
    if not suffixes:
        return set()
    alone = _TOKEN.findall(_MONTH_SUFFIX.sub(" ", cleaned))
    return {m for m in suffixes if m not in alone}


def _cited_spans(cleaned: str) -> list[tuple[int, int]]:
    """Where ``cleaned`` writes the number of a contract, order, payment order or register."""
    lower = cleaned.lower()
    if _CITED_DOCUMENT_WORD.search(lower) is None:
        return []
    if len(lower) != len(cleaned):  # a letter whose lower case is longer: positions would not match
        return []
    return [m.span(2) for m in _CITED_DOCUMENT.finditer(lower)]


@lru_cache(maxsize=4096)
def _cited_keys(cleaned: str, keys: tuple[str, ...]) -> frozenset[str]:
    """The keys that exist only because the text cites another document by number.

    ``cleaned`` (the text without dates and money; a document's number is neither) is read again
    with every such number cut out; a key that is gone is a piece of one (a number written both as
    the document's and elsewhere stays).
    """
    parts, start = [], 0
    for begin, end in _cited_spans(cleaned):
        parts.append(cleaned[start:begin])
        parts.append(",")
        start = end
    parts.append(cleaned[start:])
    return frozenset(keys) - frozenset(_keys("".join(parts)))


@lru_cache(maxsize=65536)
def read_purpose(purpose: str | None) -> PurposeFacts:
    """Everything matching needs from one purpose text.

    Cached: purposes repeat a lot (templates, salary runs, fees), and the facts are immutable.
    """
    text = (purpose or "").replace("ё", "е").replace("Ё", "Е")
    lower = text.lower()  # the keyword patterns are lower case: cheaper than IGNORECASE
    blocked = _NOT_INVOICE.search(lower) if _NOT_INVOICE_STEM.search(lower) else None
    partial = _PARTIAL_STEM.search(lower) is not None and _PARTIAL_HINT.search(lower) is not None
    digits = _DIGIT.search(text) is not None
    cleaned = without_dates_and_money(text) if digits else ""
    keys = _keys(cleaned) if digits else ()
    cited = [_TOKEN.findall(fold(cleaned[a:b])) for a, b in _cited_spans(cleaned)] if keys else []
    return PurposeFacts(
        keys=keys,
        dates=frozenset(_parse_dates(text)) if digits else frozenset(),
        tax_ids=frozenset(_TAX_ID.findall(text)) if digits else frozenset(),
        not_invoice=blocked.group(0) if blocked else None,
        partial_hint=partial,
        cited_tokens=tuple(dict.fromkeys(token for tokens in cited for token in tokens)),
        cleaned=cleaned if cited else "",
    )


def is_transposition(written: str, key: str) -> bool:
    """True when ``written`` is ``key`` with two adjacent, different digits swapped.

    The one typo that keeps every digit (so amount and payer can confirm it) and the one people
    make most when copying numbers by hand.
    """
    if len(written) != len(key) or len(key) < 3 or written == key:
        return False
    diff = [i for i, (a, b) in enumerate(zip(written, key, strict=True)) if a != b]
    if len(diff) != 2 or diff[1] != diff[0] + 1:
        return False
    i = diff[0]
    return key[i].isdigit() and key[i + 1].isdigit() and written[i] == key[i + 1] and written[i + 1] == key[i]
