"""Which words of a purpose a person's allocation teaches as the payer's own reference.

Only a customer's code: a wrong alias misapplies money, so when in doubt nothing is learned.
"""

from __future__ import annotations

import pytest

from services.reconciler.matching.learning import (
    Alias,
    TeachingContext,
    aliases_to_learn,
    refusal,
    words_with_digits,
)
from services.reconciler.matching.text import read_purpose

CONTEXT = TeachingContext(
    numbers=("INV-2026-00042",),
    contracts=("Д-01234",),
    names=('ООО "Плательщик-1234"',),
    amounts_minor=(1_500_00, 3_000_00),
)


def learned(purpose: str, context: TeachingContext = CONTEXT) -> list[str]:
    return [a.key for a in aliases_to_learn(purpose, context)]


def why_not(word: str, context: TeachingContext = CONTEXT) -> str | None:
    [alias] = words_with_digits(word)
    return refusal(alias, context, read_purpose(word).keys)


def test_the_customers_order_code_is_learned_and_nothing_around_it() -> None:
    purpose = "Оплата по заказу ZK-77812 от 05.03.2026, сумма 1 500,00 руб., в т.ч. НДС 20% 250,00 руб."
    assert aliases_to_learn(purpose, CONTEXT) == [Alias("ZK77812", "ZK-77812")]


@pytest.mark.parametrize(
    "purpose",
    [
        "SO-123456",
        "по спецификации SP-00123-A",
        "заказ ЗК/778120",  # Cyrillic letters, folded as the matcher folds them
        "дог. 77-П/2026",  # the customer's own contract number (not ours)
        "order 123456",  # six digits, no date
    ],
)
def test_codes_customers_write_are_learned(purpose: str) -> None:
    assert len(learned(purpose)) == 1


@pytest.mark.parametrize(
    ("word", "because"),
    [
        ("INV-2026-00042", "invoice INV-2026-00042"),
        ("inv202600042", "invoice INV-2026-00042"),
        ("2026-00042", "invoice INV-2026-00042"),  # a variant: the prefix dropped
        ("INV-2026-00024", "two digits swapped"),
        ("INV-2026-00042/1", "something appended"),
        ("Д-01234", "contract"),
        ("05-03-2026", "date"),
        ("05032026", "date"),
        ("20260305", "date"),
        ("050326", "date"),
        ("202603", "date"),
        ("2025-2026", "year"),
        ("2026года", "unit"),
        ("2500руб", "unit"),
        ("150000", "amount"),  # 1 500,00 in kopecks
        ("3000-00", "amount"),
        ("7701000001", "registry"),  # INN
        ("770101001", "registry"),  # KPP
        ("044525225", "registry"),  # BIK
        ("40702810900000000001", "registry"),  # account
        ("ИНН7701000001", "registry"),
        ("PO4500012345", "registry"),  # ten digits look like an INN: refused, whatever they are
        ("123-45-67", "phone"),
        ("8-800-555-35-35", "registry"),
        ("Плательщик-1234", "word"),
        ("№4567", "short"),
        ("А-123", "short"),
        ("ЗК/777", "short"),
    ],
)
def test_what_is_never_learned(word: str, because: str) -> None:
    assert because in (why_not(word) or "")


def test_part_of_the_partners_or_payers_name_is_never_learned() -> None:
    context = TeachingContext(names=('ООО "ТД-2024 Трейд"',))
    assert "name" in (why_not("ТД-2024", context) or "")
    assert why_not("ZK-2024", context) is None


def test_a_list_of_codes_teaches_nothing() -> None:
    """Which of them is the customer's reference the purpose does not say."""
    assert learned("по накладным TN-10021, TN-10022, TN-10023, TN-10024") == []
    assert learned("по накладным TN-10021, TN-10022") == ["TN10021", "TN10022"]


def test_a_code_the_matcher_cannot_read_back_is_not_learned() -> None:
    """More than four tokens: the matcher's keys never hold it, so it would never be found again."""
    assert learned("партия A-1-B-2-C-3456") == []
