"""Amounts in Russian words, as the "Сумма прописью" field of a payment order needs them.

The rules of form 0401060: the ruble amount in words from a capital letter, the word "рубль"
in its proper case and never abbreviated, the kopecks in two figures followed by "копейка" in
its proper case (``1 234,05`` → "Одна тысяча двести тридцать четыре рубля 05 копеек").
Russian counts agree in gender (одна тысяча, один миллион, две копейки) and the noun's case
follows the last one or two digits (1 рубль, 2–4 рубля, 5–20 рублей, 21 рубль, 111 рублей).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

Gender = Literal["m", "f"]

_ONES_M = ("", "один", "два", "три", "четыре", "пять", "шесть", "семь", "восемь", "девять")
_ONES_F = ("", "одна", "две", "три", "четыре", "пять", "шесть", "семь", "восемь", "девять")
_TEENS = (
    "десять",
    "одиннадцать",
    "двенадцать",
    "тринадцать",
    "четырнадцать",
    "пятнадцать",
    "шестнадцать",
    "семнадцать",
    "восемнадцать",
    "девятнадцать",
)
_TENS = ("", "", "двадцать", "тридцать", "сорок", "пятьдесят", "шестьдесят", "семьдесят", "восемьдесят", "девяносто")
_HUNDREDS = ("", "сто", "двести", "триста", "четыреста", "пятьсот", "шестьсот", "семьсот", "восемьсот", "девятьсот")
# Each power of a thousand: its gender and its three case forms (one, few, many).
_SCALES: tuple[tuple[Gender, tuple[str, str, str]], ...] = (
    ("f", ("тысяча", "тысячи", "тысяч")),
    ("m", ("миллион", "миллиона", "миллионов")),
    ("m", ("миллиард", "миллиарда", "миллиардов")),
    ("m", ("триллион", "триллиона", "триллионов")),
)
RUBLE = ("рубль", "рубля", "рублей")
KOPECK = ("копейка", "копейки", "копеек")


def plural(n: int, forms: tuple[str, str, str]) -> str:
    """The noun form that goes with ``n``: 1 рубль, 2 рубля, 5 рублей, 11 рублей, 21 рубль."""
    n = abs(n)
    if 11 <= n % 100 <= 14:
        return forms[2]
    last = n % 10
    if last == 1:
        return forms[0]
    if 2 <= last <= 4:
        return forms[1]
    return forms[2]


def _triple(n: int, gender: Gender) -> list[str]:
    """Words for 1..999 (nothing for 0)."""
    words = [_HUNDREDS[n // 100]]
    rest = n % 100
    if 10 <= rest <= 19:
        words.append(_TEENS[rest - 10])
    else:
        words.append(_TENS[rest // 10])
        words.append((_ONES_F if gender == "f" else _ONES_M)[rest % 10])
    return [w for w in words if w]


def number_in_words(n: int, gender: Gender = "m") -> str:
    """A whole number in words, lower case; ``gender`` is that of the counted noun (рубль m, копейка f)."""
    if n < 0:
        raise ValueError("negative numbers have no place in a payment order")
    if n == 0:
        return "ноль"
    groups: list[int] = []
    while n:
        groups.append(n % 1000)
        n //= 1000
    if len(groups) > len(_SCALES) + 1:
        raise ValueError("amount too large to write in words")
    words: list[str] = []
    for power in range(len(groups) - 1, -1, -1):
        value = groups[power]
        if value == 0:
            continue
        if power == 0:
            words.extend(_triple(value, gender))
        else:
            scale_gender, forms = _SCALES[power - 1]
            words.extend(_triple(value, scale_gender))
            words.append(plural(value, forms))
    return " ".join(words)


def rubles_in_words(amount: Decimal, *, kopecks_in_words: bool = False) -> str:
    """``amount`` rubles as the payment order writes it: rubles in words, kopecks in figures.

    ``kopecks_in_words`` spells the kopecks too (for letters and acts, where that is customary).
    """
    if amount < 0:
        raise ValueError("negative amounts have no place in a payment order")
    kopecks_total = int((amount * 100).to_integral_value())
    if Decimal(kopecks_total) != amount * 100:
        raise ValueError(f"{amount} is not a whole number of kopecks")
    rubles, kopecks = divmod(kopecks_total, 100)
    ruble_part = f"{number_in_words(rubles, 'm')} {plural(rubles, RUBLE)}"
    kopeck_count = number_in_words(kopecks, "f") if kopecks_in_words else f"{kopecks:02d}"
    text = f"{ruble_part} {kopeck_count} {plural(kopecks, KOPECK)}"
    return text[0].upper() + text[1:]


def figures(amount: Decimal) -> str:
    """The "Сумма" field: rubles and kopecks separated by a dash, ``1234-56`` (no grouping, no comma)."""
    kopecks_total = int((abs(amount) * 100).to_integral_value())
    rubles, kopecks = divmod(kopecks_total, 100)
    return f"{rubles}-{kopecks:02d}"
