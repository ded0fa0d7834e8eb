"""Habits of companies other than the benchmark's, found by ``benchmarks/synth/other_company.py``.

Each test is one rule a careful accountant reads purposes by; each was a wrong automatic
allocation or a needless review on that unseen world.
"""

from __future__ import annotations

from services.reconciler.matching.text import read_purpose
from tests.services.reconciler.matching.factories import booked, codes, credit, decide_one, invoice, suggested


def test_kopecks_and_the_number_after_vat_or_sum_are_money_not_references() -> None:
    """ "НДС 20%: 816 руб. 67 коп.", "НДС - 816-67", "Сумма 36000-00": amounts, however written."""
    for purpose in (
        "Оплата за продукты питания НДС 20%: 816 руб. 67 коп.",
        "Оплата за продукты, в том числе НДС (20%) - 816-67",
        "Оплата по заказу. Сумма 36000-00",
    ):
        keys = read_purpose(purpose).keys
        assert not {"67", "816", "81667", "36000", "3600000", "00"} & set(keys), purpose
    # A number after other words is still read.
    assert "42" in read_purpose("НДС не облагается. Счет 42").keys


def test_kopecks_of_the_vat_do_not_name_an_invoice() -> None:
    """Two open invoices of 4 900.00; the VAT's 67 kopecks are no invoice number: a person picks."""
    a, b = invoice("А-67", 4_900_00), invoice("А-31", 4_900_00)
    d = decide_one(credit(4_900_00, "Оплата за продукты питания НДС 20%: 816 руб. 67 коп."), [a, b])
    assert d.outcome == "suggest"
    assert suggested(d) == {a.id, b.id}


def test_a_swapped_digit_number_does_not_pick_among_invoices_of_the_same_amount() -> None:
    """Only the amount confirms a typo. With two open invoices of 36 000.00, an order number that
    happens to be one's number with two digits swapped ranks it first; a person confirms."""
    typo_of, other = invoice("74/10", 36_000_00), invoice("28/09", 36_000_00)
    d = decide_one(credit(36_000_00, "Оплата по заказу № 7401 от 25.09.26"), [typo_of, other])
    assert d.outcome == "suggest"
    assert d.suggestions[0].invoice_id == typo_of.id
    assert "reference_typo" in {r.code for s in d.suggestions for r in s.reasons}


def test_a_swapped_digit_number_still_settles_the_only_invoice_of_the_amount() -> None:
    only = invoice("74/10", 36_000_00)
    d = decide_one(credit(36_000_00, "Оплата по сч. 7401"), [only, invoice("28/09", 12_000_00)])
    assert booked(d) == {(only.id, 36_000_00)}
    assert "reference_typo" in codes(d)


def test_pieces_of_a_cited_contract_number_are_not_invoice_numbers() -> None:
    """ "по договору № 9-П": 9 is the contract's. Invoice 9 of the same amount is not named by it;
    the contract has two invoices of that amount, so a person decides."""
    serial_nine = invoice("А-9", 4_900_00, contract_number="12-П")
    of_contract = [
        invoice("СЧ-2026/0101", 4_900_00, contract_number="9-П"),
        invoice("СЧ-2026/0102", 4_900_00, contract_number="9-П"),
    ]
    d = decide_one(credit(4_900_00, "Оплата по договору № 9-П от 22.02.2025 за продукты"), [serial_nine, *of_contract])
    assert d.outcome == "suggest"
    assert "reference_serial" not in {r.code for s in d.suggestions for r in s.reasons}
    assert read_purpose("Опл. по дог. Д-15/2025").contract_keys >= {"15", "2025"}


def test_a_number_written_as_contract_and_as_invoice_is_still_the_invoice() -> None:
    """ "сч. 15 по договору Д-15/2025": 15 is written outside the contract too; it names invoice 15."""
    fifteen = invoice("А-15", 7_000_00, contract_number="Д-15/2025")
    d = decide_one(credit(7_000_00, "Оплата по сч. 15 по договору Д-15/2025"), [fifteen, invoice("А-16", 7_000_00)])
    assert booked(d) == {(fifteen.id, 7_000_00)}
    assert "reference_serial" in codes(d)
