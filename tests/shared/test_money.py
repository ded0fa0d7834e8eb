"""Money is exact: integer minor units per currency, never a float, never silently rounded."""

from decimal import Decimal

import pytest

from shared.money import Money, MoneyError, format_amount, from_minor, to_minor


def test_amounts_convert_to_minor_units_exactly():
    assert to_minor(Decimal("1234.56"), "RUB") == 123456
    assert to_minor("0.10", "EUR") == 10
    assert from_minor(123456, "RUB") == Decimal("1234.56")


def test_currencies_without_minor_units_and_with_three_decimals():
    assert to_minor("1500", "JPY") == 1500
    assert to_minor("1.234", "KWD") == 1234
    assert format_amount(1234, "KWD") == "1.234"


def test_more_decimals_than_the_currency_allows_is_refused_not_rounded():
    with pytest.raises(MoneyError, match="more decimals"):
        to_minor("10.005", "RUB")


def test_garbage_and_infinities_are_refused():
    for bad in ("abc", "NaN", "Infinity"):
        with pytest.raises(MoneyError):
            to_minor(bad, "RUB")


def test_money_arithmetic_refuses_mixing_currencies():
    assert Money.of("1.50", "rub") + Money.of("2.25", "RUB") == Money(375, "RUB")
    with pytest.raises(MoneyError, match="cannot combine"):
        Money.of("1", "RUB") + Money.of("1", "EUR")
