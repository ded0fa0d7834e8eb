"""Сумма прописью: the ruble amount in words, in the right gender and case, kopecks in figures."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.notifier.documents.amount_words import figures, number_in_words, plural, rubles_in_words


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("1", "Один рубль 00 копеек"),
        ("2", "Два рубля 00 копеек"),
        ("5", "Пять рублей 00 копеек"),
        ("11", "Одиннадцать рублей 00 копеек"),
        ("12", "Двенадцать рублей 00 копеек"),
        ("14", "Четырнадцать рублей 00 копеек"),
        ("21", "Двадцать один рубль 00 копеек"),
        ("22", "Двадцать два рубля 00 копеек"),
        ("100", "Сто рублей 00 копеек"),
        ("111", "Сто одиннадцать рублей 00 копеек"),
        ("1000", "Одна тысяча рублей 00 копеек"),
        ("2000", "Две тысячи рублей 00 копеек"),
        ("5000", "Пять тысяч рублей 00 копеек"),
        ("11000", "Одиннадцать тысяч рублей 00 копеек"),
        ("21000", "Двадцать одна тысяча рублей 00 копеек"),
        ("1000000", "Один миллион рублей 00 копеек"),
        ("2000000", "Два миллиона рублей 00 копеек"),
        ("1001001", "Один миллион одна тысяча один рубль 00 копеек"),
        ("1234567.89", "Один миллион двести тридцать четыре тысячи пятьсот шестьдесят семь рублей 89 копеек"),
        ("0.01", "Ноль рублей 01 копейка"),
        ("0.02", "Ноль рублей 02 копейки"),
        ("0.11", "Ноль рублей 11 копеек"),
        ("0.21", "Ноль рублей 21 копейка"),
        ("1500.50", "Одна тысяча пятьсот рублей 50 копеек"),
        ("3000000000", "Три миллиарда рублей 00 копеек"),
    ],
)
def test_rubles_are_written_in_words_and_kopecks_in_figures(amount: str, words: str) -> None:
    assert rubles_in_words(Decimal(amount)) == words


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("0.01", "Ноль рублей одна копейка"),
        ("0.02", "Ноль рублей две копейки"),
        ("1.89", "Один рубль восемьдесят девять копеек"),
        ("2.12", "Два рубля двенадцать копеек"),
    ],
)
def test_kopecks_can_be_spelled_out_in_the_feminine(amount: str, words: str) -> None:
    assert rubles_in_words(Decimal(amount), kopecks_in_words=True) == words


def test_the_noun_agrees_with_the_last_two_digits() -> None:
    forms = ("рубль", "рубля", "рублей")
    assert [plural(n, forms) for n in (1, 2, 4, 5, 11, 12, 14, 20, 21, 101, 111, 112, 122)] == [
        "рубль",
        "рубля",
        "рубля",
        "рублей",
        "рублей",
        "рублей",
        "рублей",
        "рублей",
        "рубль",
        "рубль",
        "рублей",
        "рублей",
        "рубля",
    ]


def test_thousands_are_feminine_and_millions_masculine() -> None:
    assert number_in_words(2_002_002) == "два миллиона две тысячи два"
    assert number_in_words(2, "f") == "две"


def test_the_figures_field_separates_kopecks_with_a_dash() -> None:
    assert figures(Decimal("1234567.89")) == "1234567-89"
    assert figures(Decimal("1500")) == "1500-00"
    assert figures(Decimal("-0.01")) == "0-01"


def test_amounts_finer_than_a_kopeck_or_negative_are_refused() -> None:
    with pytest.raises(ValueError, match="kopecks"):
        rubles_in_words(Decimal("1.001"))
    with pytest.raises(ValueError, match="negative"):
        rubles_in_words(Decimal("-1"))
