"""How purposes and invoice numbers are read, and how the subset search stays bounded."""

from __future__ import annotations

import time

from services.reconciler.matching.references import EXACT, SERIAL, VARIANT, number_keys
from services.reconciler.matching.subsets import subsets_summing_to
from services.reconciler.matching.text import is_transposition, normalise_reference, read_purpose


def test_references_compare_without_case_separators_or_lookalike_letters() -> None:
    assert normalise_reference("inv-2026-00042") == normalise_reference("INV 2026 00042")
    assert normalise_reference("УТ-000123") == normalise_reference("YT000123")


def test_invoice_number_keys_rank_the_full_number_above_its_shortened_forms() -> None:
    keys = number_keys("INV-2026-00042")
    assert keys["INV202600042"] == EXACT
    assert keys["INV00042"] == VARIANT
    assert keys["INV42"] == VARIANT
    assert keys["42"] == SERIAL


def test_a_year_suffix_is_not_the_serial() -> None:
    keys = number_keys("5/26")
    assert keys["5"] == SERIAL
    assert "26" not in keys


def test_purpose_keys_skip_dates_money_and_percentages() -> None:
    facts = read_purpose("Оплата по счету № 17 от 01.03.2026. Сумма 1 234,56 руб., в т.ч. НДС (20%) 205.76 руб.")
    assert "17" in facts.keys
    for fragment in ("2026", "1234", "56", "20", "205", "76"):
        assert fragment not in facts.keys


def test_purpose_keys_never_join_across_a_list_separator() -> None:
    assert "56" not in read_purpose("Оплата по счетам № 5, 6").keys


def test_purpose_facts_carry_dates_tax_ids_and_hints() -> None:
    facts = read_purpose("Предоплата за ООО Ромашка ИНН 7701000001 по счету 5 от 02.03.2026")
    assert facts.tax_ids == {"7701000001"}
    assert {d.isoformat() for d in facts.dates} == {"2026-03-02"}
    assert facts.partial_hint
    assert facts.not_invoice is None
    assert read_purpose("Комиссия за ведение счета").not_invoice


def test_a_typo_is_two_adjacent_digits_swapped_and_nothing_else() -> None:
    assert is_transposition("INV202601376", "INV202601367")
    assert not is_transposition("INV202601377", "INV202601367")  # a different digit
    assert not is_transposition("INV202631067", "INV202601367")  # not adjacent
    assert not is_transposition("INV202601367", "INV202601367")  # identical is not a typo


def test_subset_search_finds_the_unique_exact_sum() -> None:
    amounts = [(1, 10_00), (2, 25_00), (3, 7_00), (4, 100_00)]
    assert subsets_summing_to(amounts, 42_00, 4, 4, 12) == [(1, 2, 3)]


def test_subset_search_reports_every_competing_set_up_to_the_limit() -> None:
    amounts = [(1, 100), (2, 200), (3, 150), (4, 150)]
    assert len(subsets_summing_to(amounts, 300, 4, 4, 12)) == 2


def test_subset_search_is_bounded_for_a_partner_with_thousands_of_open_invoices() -> None:
    amounts = [(i, 1_000_00 + i * 7) for i in range(5000)]
    start = time.perf_counter()
    subsets_summing_to(amounts, 1, 4, 4, 12)  # nothing sums to 1: the worst case, a full search
    subsets_summing_to(amounts, 3_000_00 + 2, 4, 4, 12)
    assert time.perf_counter() - start < 2.0
