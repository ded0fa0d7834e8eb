"""What the matcher settles on its own, one rule per test, with hand-made worlds."""

from __future__ import annotations

import pytest

from services.reconciler.matching.types import LearnedFacts, LearnedReference, PaymentLine
from tests.services.reconciler.matching.factories import (
    GRANIT,
    ROMASHKA,
    VEKTOR,
    booked,
    codes,
    credit,
    debit,
    decide,
    decide_one,
    invoice,
    payable,
    suggested,
)


def test_invoice_number_in_purpose_settles_when_amount_equals_outstanding() -> None:
    inv = invoice("INV-2026-00042", 1_200_00)
    other = invoice("INV-2026-00043", 1_200_00)  # same amount: the number decides
    d = decide_one(credit(1_200_00, "Оплата по счету № INV-2026-00042 от 02.03.2026"), [inv, other])
    assert booked(d) == {(inv.id, 1_200_00)}
    assert d.confidence >= 0.9
    assert {"payer_tax_id", "reference_exact"} <= codes(d)


@pytest.mark.parametrize(
    "written",
    [
        "INV202600042",
        "inv-2026-00042",
        "№42",
        "сч. 42",
        "сч.42",
        "INV 00042",
        "INV 2026 00042",
        "INV-42",
        "ІNV-2026-00042",  # Cyrillic І and Н look-alikes typed by hand
    ],
)
def test_invoice_number_written_as_people_write_it_settles(written: str) -> None:
    inv = invoice("INV-2026-00042", 5_000_00)
    noise = invoice("INV-2026-00420", 9_000_00)
    d = decide_one(credit(5_000_00, f"Оплата {written} за товар, НДС не облагается"), [inv, noise])
    assert booked(d) == {(inv.id, 5_000_00)}


def test_dates_amounts_and_percentages_are_not_read_as_invoice_numbers() -> None:
    # Serial 42 sits in the date, the amount and the VAT rate, never as a number of its own.
    inv = invoice("INV-2026-00042", 7_000_00, outstanding=9_000_00)
    d = decide_one(credit(7_000_00, "Оплата от 01.03.2042 сумма 42.00 руб, НДС 42%"), [inv])
    assert d.outcome != "auto"


def test_typo_two_adjacent_digits_swapped_settles_when_payer_and_amount_confirm() -> None:
    inv = invoice("INV-2026-01367", 3_333_33)
    d = decide_one(credit(3_333_33, "Оплата счета INV-2026-01376"), [inv, invoice("INV-2026-01368", 1_00)])
    assert booked(d) == {(inv.id, 3_333_33)}
    assert "reference_typo" in {r.code for r in d.reasons}


def test_typo_is_not_booked_without_the_amount_confirming_it() -> None:
    inv = invoice("INV-2026-01367", 3_333_33)
    d = decide_one(credit(2_000_00, "Оплата счета INV-2026-01376"), [inv])
    assert d.outcome != "auto"


def test_typo_is_not_booked_for_an_unknown_payer() -> None:
    inv = invoice("INV-2026-01367", 3_333_33)
    d = decide_one(credit(3_333_33, "Оплата счета INV-2026-01376", payer=None), [inv])
    assert d.outcome != "auto"


def test_contract_number_only_settles_when_amount_equals_one_open_invoice() -> None:
    a = invoice("INV-2026-00001", 1_000_00, contract_number="Д-00451")
    b = invoice("INV-2026-00002", 2_500_00, contract_number="Д-00451")
    d = decide_one(credit(2_500_00, "Оплата по договору № Д-00451 от 01.02.2025"), [a, b])
    assert booked(d) == {(b.id, 2_500_00)}
    assert "contract_in_purpose" in {r.code for s in [d] for r in s.reasons}


def test_contract_number_with_two_invoices_of_that_amount_goes_to_review() -> None:
    a = invoice("INV-2026-00001", 1_000_00, contract_number="800/2025")
    b = invoice("INV-2026-00002", 1_000_00, contract_number="800/2025")
    d = decide_one(credit(1_000_00, "Аванс/оплата по дог. 800/2025, НДС нет"), [a, b])
    assert d.outcome == "suggest"
    assert suggested(d) == {a.id, b.id}


def test_no_reference_settles_when_payer_identified_and_amount_equals_exactly_one_open_invoice() -> None:
    mine = invoice("INV-2026-00010", 4_321_00)
    others = invoice("INV-2026-00011", 4_321_00, VEKTOR)  # another partner's: irrelevant
    d = decide_one(credit(4_321_00, "Оплата за услуги"), [mine, others, invoice("INV-2026-00012", 1_00)])
    assert booked(d) == {(mine.id, 4_321_00)}
    assert "amount_unique_for_partner" in codes(d)


def test_no_reference_with_two_equal_open_invoices_goes_to_review_with_all_candidates() -> None:
    a = invoice("INV-2026-00010", 4_321_00)
    b = invoice("INV-2026-00011", 4_321_00)
    d = decide_one(credit(4_321_00, "Оплата согласно акту"), [a, b])
    assert d.outcome == "suggest"
    assert suggested(d) == {a.id, b.id}
    assert "ambiguous" in codes(d)


def test_listed_invoice_numbers_settle_one_payment_for_several_invoices() -> None:
    a, b, c = invoice("INV-2026-00001", 100_00), invoice("INV-2026-00002", 250_00), invoice("INV-2026-00003", 7_00)
    d = decide_one(credit(350_00, "Оплата по счетам INV-2026-00001, INV-2026-00002. В т.ч. НДС 58.33"), [a, b, c])
    assert booked(d) == {(a.id, 100_00), (b.id, 250_00)}


def test_amount_equal_to_the_sum_of_a_few_open_invoices_settles_them_without_references() -> None:
    invs = [invoice(f"INV-2026-000{n:02d}", amount) for n, amount in enumerate([101_17, 2_000_03, 555_55, 9_99])]
    d = decide_one(credit(101_17 + 555_55 + 9_99, "Оплата за товар"), invs)
    assert booked(d) == {(invs[0].id, 101_17), (invs[2].id, 555_55), (invs[3].id, 9_99)}
    assert "amount_sum_of_invoices" in {r.code for r in d.reasons}


def test_two_different_sets_of_invoices_with_the_same_sum_go_to_review() -> None:
    invs = [invoice(f"INV-2026-000{n:02d}", amount) for n, amount in enumerate([100_00, 200_00, 150_00, 150_00])]
    d = decide_one(credit(300_00, "Оплата"), invs)  # 100+200 or 150+150
    assert d.outcome == "suggest"


def test_installments_of_one_invoice_are_allocated_in_turn_without_spending_it_twice() -> None:
    inv = invoice("INV-2026-00077", 1_000_00)
    lines = [
        credit(300_00, "Частичная оплата по счету INV-2026-00077"),
        credit(700_00, "Оплата по счету INV-2026-00077"),
        credit(700_00, "Оплата по счету INV-2026-00077"),  # nothing left for a third
    ]
    first, second, third = decide(lines, [inv])
    assert booked(first) == {(inv.id, 300_00)}
    assert booked(second) == {(inv.id, 700_00)}
    assert booked(third) == set()
    assert "partial_payment" in codes(first)


def test_shortfall_within_bank_fee_tolerance_allocates_what_arrived() -> None:
    inv = invoice("INV-2026-00005", 10_000_00)
    d = decide_one(credit(9_950_00, "Оплата по счету INV-2026-00005"), [inv])
    assert booked(d) == {(inv.id, 9_950_00)}
    assert "amount_short_fee" in codes(d)


def test_fee_tolerance_is_configurable() -> None:
    inv = invoice("INV-2026-00005", 10_000_00)
    line = credit(9_950_00, "Оплата по счету INV-2026-00005")
    strict = decide([line], [inv], fee_tolerance_minor=10_00, fee_tolerance_ratio=0.0)[0]
    assert "amount_short_fee" not in codes(strict)  # now it is a part payment, not a fee


def test_overpayment_allocates_the_invoice_amount_and_leaves_the_rest_on_the_line() -> None:
    inv = invoice("INV-2026-00006", 1_000_00)
    d = decide_one(credit(1_450_00, "Оплата счета INV-2026-00006"), [inv])
    assert booked(d) == {(inv.id, 1_000_00)}
    assert "overpayment" in codes(d)


def test_third_party_paying_on_behalf_of_a_partner_named_by_inn_settles() -> None:
    inv = invoice("INV-2026-00099", 8_800_00, VEKTOR)
    stranger = credit(
        8_800_00,
        f'Оплата за АО "Вектор" ИНН {VEKTOR.tax_ids[0]} по счету INV-2026-00099',
        payer=None,
        counterparty_tax_id="5000000001",
        counterparty_name='ООО "Плательщик"',
    )
    d = decide_one(stranger, [inv])
    assert booked(d) == {(inv.id, 8_800_00)}
    assert "third_party_named" in codes(d)


def test_wrong_reference_to_another_partners_invoice_settles_the_payers_own_invoice_of_that_amount() -> None:
    theirs = invoice("INV-2026-00200", 5_555_55, VEKTOR)
    mine = invoice("INV-2026-00300", 1_234_56, ROMASHKA)
    d = decide_one(credit(1_234_56, "Оплата по счету INV-2026-00200"), [theirs, mine])
    assert booked(d) == {(mine.id, 1_234_56)}
    assert "reference_other_partner" in codes(d)


def test_outgoing_payment_settles_the_supplier_invoice_of_the_identified_payee() -> None:
    # Supplier numbers are unique per supplier only: both suppliers have a "123".
    ours = payable("123", 50_000_00, VEKTOR)
    same_number = payable("123", 50_000_00, GRANIT)
    d = decide_one(debit(50_000_00, "Оплата по счету № 123 от 02.03.2026", payee=VEKTOR), [ours, same_number])
    assert booked(d) == {(ours.id, 50_000_00)}


def test_outgoing_batch_payment_settles_the_listed_supplier_invoices() -> None:
    a, b = payable("УТ-000012", 10_000_00, VEKTOR), payable("УТ-000013", 2_500_50, VEKTOR)
    d = decide_one(debit(12_500_50, "Оплата по счетам № УТ-000012, УТ-000013", payee=VEKTOR), [a, b])
    assert booked(d) == {(a.id, 10_000_00), (b.id, 2_500_50)}


def test_prepayment_then_final_payment_to_a_supplier_settle_the_invoice_in_two_steps() -> None:
    inv = payable("57", 1_000_01, GRANIT, contract_number="П-00031")
    lines = [
        debit(500_00, "Предоплата 50% по счету № 57 от 02.03.2026", payee=GRANIT),
        debit(500_01, "Окончательный расчет по счету № 57 от 02.03.2026", payee=GRANIT),
    ]
    first, second = decide(lines, [inv])
    assert booked(first) == {(inv.id, 500_00)}
    assert booked(second) == {(inv.id, 500_01)}


def test_payer_identified_by_account_when_the_line_has_no_tax_id() -> None:
    inv = invoice("INV-2026-00010", 4_321_00)
    line = credit(4_321_00, "Оплата", counterparty_tax_id=None, counterparty_account=ROMASHKA.accounts[0])
    assert booked(decide_one(line, [inv])) == {(inv.id, 4_321_00)}


def test_payer_identified_by_a_learned_account() -> None:
    inv = invoice("INV-2026-00010", 4_321_00)
    line = credit(
        4_321_00,
        "Оплата",
        counterparty_tax_id=None,
        counterparty_account="40817810099990000001",
        counterparty_name="Иванов И.И.",
    )
    learned = LearnedFacts(account_partner={"40817810099990000001": ROMASHKA.id})
    d = decide_one(line, [inv], learned=learned)
    assert booked(d) == {(inv.id, 4_321_00)}
    assert "payer_learned_account" in codes(d)


def test_learned_reference_alias_settles_its_invoice() -> None:
    """More in test_learned_references.py: whose alias it is, what it points at, when it only suggests."""
    inv = invoice("INV-2026-00010", 4_321_00, outstanding=3_000_00)
    alias = LearnedReference(ROMASHKA.id, "receivable", "ORD7781", frozenset({inv.id}))
    d = decide_one(credit(1_000_00, "оплата по ord 7781"), [inv], learned=LearnedFacts(references=(alias,)))
    assert booked(d) == {(inv.id, 1_000_00)}
    assert "reference_learned" in {r.code for r in d.reasons}


@pytest.mark.parametrize("name", ["Ромашка ООО", "ООО «Ромашка»", 'Общество с ограниченной ответственностью "Ромашка"'])
def test_payer_identified_by_name_without_legal_form_and_quotes_when_no_tax_id(name: str) -> None:
    inv = invoice("INV-2026-00010", 4_321_00)
    line = credit(4_321_00, "Оплата за услуги", counterparty_tax_id=None, counterparty_name=name)
    assert booked(decide_one(line, [inv])) == {(inv.id, 4_321_00)}


def test_allocation_never_exceeds_what_is_left_open_on_the_line() -> None:
    inv = invoice("INV-2026-00042", 1_000_00)
    line = credit(1_000_00, "Оплата по счету INV-2026-00042", allocated_minor=400_00)
    d = decide_one(line, [inv])
    assert booked(d) == {(inv.id, 600_00)}


def test_auto_only_at_or_above_the_policy_threshold() -> None:
    inv = invoice("INV-2026-00010", 4_321_00)
    line: PaymentLine = credit(4_321_00, "Оплата за услуги")  # unique amount, no reference
    assert decide([line], [inv], auto_confidence=0.9)[0].outcome == "auto"
    strict = decide([line], [inv], auto_confidence=0.99)[0]
    assert strict.outcome == "suggest"
    assert suggested(strict) == {inv.id}


def test_suggestions_are_capped_by_the_policy_and_ranked() -> None:
    invs = [invoice(f"INV-2026-0000{n}", 4_321_00) for n in range(5)]
    d = decide_one(credit(4_321_00, "Оплата"), invs, max_suggestions=3)
    assert d.outcome == "suggest"
    assert len(d.suggestions) == 3
    confidences = [s.confidence for s in d.suggestions]
    assert confidences == sorted(confidences, reverse=True)


def test_a_four_digit_number_of_the_payers_own_invoice_settles_a_part_payment() -> None:
    inv = invoice("4249", 1_000_00)
    d = decide_one(credit(300_00, "Оплата: 4249"), [inv])
    assert booked(d) == {(inv.id, 300_00)}


def test_a_year_in_the_purpose_is_never_read_as_an_invoice_serial() -> None:
    # INV-2026-02025's serial looks like the contract's year: "2025" must not name it.
    inv = invoice("INV-2026-02025", 1_000_00)
    d = decide_one(credit(300_00, "Аванс по договору 670/2025"), [inv])
    assert d.outcome != "auto"
