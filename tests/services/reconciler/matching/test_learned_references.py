"""What people taught: a partner's own order or contract code settles its next payments — carefully.

A customer writes "по заказу ZK-77812" instead of our invoice number. Once a person allocated such
a payment to INV-5, the code is the customer's reference for INV-5 (``LearnedReference``): it
speaks for that customer only, points at that invoice while it is open, and books nothing alone
once a person has corrected an allocation made by it.

The pure core here; which words are learned in ``test_learning_aliases.py``; the shell through the
real review service on both databases in ``tests/services/reconciler/review/test_learning.py``.
"""

from __future__ import annotations

from dataclasses import replace

from services.reconciler.matching.types import Decision, LearnedFacts, LearnedReference, OpenInvoice
from tests.services.reconciler.matching.factories import (
    GRANIT,
    ROMASHKA,
    VEKTOR,
    booked,
    codes,
    credit,
    debit,
    decide_one,
    invoice,
    payable,
    suggested,
)


def _two_of_500_in_two_contracts() -> tuple[OpenInvoice, OpenInvoice]:
    mine = replace(invoice("INV-8", 500_00, contract_number="Д-00077", id=8), contract_id=77)
    other = replace(invoice("INV-9", 500_00, contract_number="Д-00078", id=9), contract_id=78)
    return mine, other


def taught(
    alias: str, *invoices: int, partner: int = ROMASHKA.id, direction: str = "receivable", **kw: object
) -> LearnedFacts:
    ref = LearnedReference(partner, direction, alias, frozenset(invoices), **kw)  # type: ignore[arg-type]
    return LearnedFacts(references=(ref,))


def reasons_of_suggestions(d: Decision) -> set[str]:
    return {r.code for s in d.suggestions for r in s.reasons}


# --- an alias taught on one invoice points at it ---------------------------------------------------


def test_the_next_installment_naming_only_the_customers_order_code_settles_its_invoice() -> None:
    inv = invoice("INV-5", 3_000_00, outstanding=2_000_00, id=5)
    d = decide_one(credit(1_000_00, "Оплата по заказу ZK-77812, второй платёж"), [inv], learned=taught("ZK77812", 5))
    assert booked(d) == {(5, 1_000_00)}
    assert {"reference_learned", "partial_payment", "payer_tax_id"} <= codes(d)


def test_the_code_is_found_however_it_is_written_again() -> None:
    inv = invoice("INV-5", 3_000_00, outstanding=2_000_00, id=5)
    for purpose in ("zk 77812", "ZK77812", "по заказу № ZK-77812 от 12.03.2026", "ZК-77812"):  # the last: Cyrillic К
        assert booked(decide_one(credit(2_000_00, purpose), [inv], learned=taught("ZK77812", 5))) == {(5, 2_000_00)}


def test_the_rest_of_the_invoice_settles_it_and_an_overpayment_keeps_the_excess_on_the_line() -> None:
    inv = invoice("INV-5", 3_000_00, outstanding=2_000_00, id=5)
    rest = decide_one(credit(2_000_00, "ZK-77812 окончательный расчет"), [inv], learned=taught("ZK77812", 5))
    assert booked(rest) == {(5, 2_000_00)}
    more = decide_one(credit(2_100_00, "ZK-77812"), [inv], learned=taught("ZK77812", 5))
    assert booked(more) == {(5, 2_000_00)}
    assert "overpayment" in codes(more)


def test_a_partners_code_says_nothing_on_another_partners_payment() -> None:
    """Vektor writes the same code: it is Romashka's reference, not Vektor's."""
    inv = invoice("INV-5", 1_000_00, id=5)
    d = decide_one(credit(1_000_00, "по заказу ZK-77812", payer=VEKTOR), [inv], learned=taught("ZK77812", 5))
    assert booked(d) == set()
    assert "reference_learned" not in codes(d) | reasons_of_suggestions(d)


def test_a_code_from_an_unknown_payer_settles_nothing() -> None:
    inv = invoice("INV-5", 1_000_00, id=5)
    d = decide_one(credit(1_000_00, "по заказу ZK-77812", payer=None), [inv], learned=taught("ZK77812", 5))
    assert booked(d) == set()
    assert "reference_learned" not in reasons_of_suggestions(d)


def test_a_third_party_naming_the_partner_by_inn_may_use_its_code() -> None:
    inv = invoice("INV-5", 3_000_00, outstanding=2_000_00, id=5)
    line = credit(1_000_00, f"За ООО Ромашка ИНН {ROMASHKA.tax_ids[0]} по заказу ZK-77812", payer=GRANIT)
    d = decide_one(line, [inv], learned=taught("ZK77812", 5))
    assert booked(d) == {(5, 1_000_00)}
    assert {"reference_learned", "third_party_named"} <= codes(d)


def test_a_code_pointing_at_a_paid_invoice_names_nothing() -> None:
    """The order is paid; the customer copied an old payment order. The amount alone decides."""
    other = invoice("INV-6", 1_000_00, id=6)
    d = decide_one(credit(700_00, "по заказу ZK-77812"), [other], learned=taught("ZK77812", 5))
    assert booked(d) == set()
    assert "reference_learned" not in codes(d) | reasons_of_suggestions(d)


def test_one_of_our_numbers_is_never_an_alias() -> None:
    """A lesson that is an open invoice's number (or a contract's) names that invoice, not the taught one."""
    taught_inv = invoice("INV-5", 1_000_00, id=5)
    named = invoice("ZK-77812", 1_000_00, VEKTOR, id=6)
    d = decide_one(credit(1_000_00, "по счету ZK-77812"), [taught_inv, named], learned=taught("ZK77812", 5))
    assert booked(d) != {(5, 1_000_00)}
    assert "reference_learned" not in codes(d) | reasons_of_suggestions(d)


def test_a_suppliers_code_in_our_own_purposes_works_for_payables() -> None:
    inv = payable("57", 1_000_00, GRANIT, outstanding=600_00, id=57)
    d = decide_one(
        debit(300_00, "Оплата по спецификации SP-20431", payee=GRANIT),
        [inv],
        learned=taught("SP20431", 57, partner=GRANIT.id, direction="payable"),
    )
    assert booked(d) == {(57, 300_00)}


def test_the_code_and_another_invoice_with_exactly_the_amount_are_a_question_for_a_person() -> None:
    """ZK-77812's invoice would take a part; INV-6 has exactly this amount. Two readings: review."""
    inv5 = invoice("INV-5", 3_000_00, outstanding=2_000_00, id=5)
    inv6 = invoice("INV-6", 500_00, id=6)
    d = decide_one(credit(500_00, "ZK-77812"), [inv5, inv6], learned=taught("ZK77812", 5))
    assert d.outcome == "suggest"
    assert suggested(d) == {5, 6}
    assert "ambiguous" in codes(d)


# --- an alias taught on several invoices is the partner's standing reference -----------------------


def test_a_code_people_allocated_to_two_invoices_points_at_neither() -> None:
    open_one = invoice("INV-7", 3_000_00, outstanding=2_000_00, id=7)
    d = decide_one(credit(1_000_00, "по договору ZK-2024"), [open_one], learned=taught("ZK2024", 5, 7))
    assert booked(d) == set(), "a part payment of which invoice? The code does not say"


def test_a_standing_code_settles_the_only_open_invoice_of_its_contract_with_that_amount() -> None:
    """The partner has two invoices of 500.00; only one is of the contract its code stands for."""
    mine, other = _two_of_500_in_two_contracts()
    plain = decide_one(credit(500_00, "оплата по ZK-2024"), [mine, other])
    assert plain.outcome == "suggest", "without the lesson the two are equally likely"
    d = decide_one(credit(500_00, "оплата по ZK-2024"), [mine, other], learned=taught("ZK2024", 5, 6, contract_id=77))
    assert booked(d) == {(8, 500_00)}
    assert {"reference_learned", "amount_equal_in_contract"} <= codes(d)


def test_a_standing_code_with_two_fitting_invoices_is_ambiguous_never_booked() -> None:
    a, b = invoice("INV-8", 500_00, id=8), invoice("INV-9", 500_00, id=9)
    d = decide_one(credit(500_00, "оплата по ZK-2024"), [a, b], learned=taught("ZK2024", 5, 6), auto_confidence=0.5)
    assert d.outcome == "suggest"
    assert suggested(d) == {8, 9}


def test_a_code_the_partner_also_wrote_for_other_invoices_is_standing_from_the_first_lesson() -> None:
    inv = invoice("INV-5", 3_000_00, outstanding=2_000_00, id=5)
    d = decide_one(credit(1_000_00, "ZK-2024"), [inv], learned=taught("ZK2024", 5, written_for_others=True))
    assert booked(d) == set()


# --- people have the last word ---------------------------------------------------------------------


def test_a_doubted_code_only_suggests_whatever_the_threshold() -> None:
    inv = invoice("INV-5", 3_000_00, outstanding=2_000_00, id=5)
    learned = taught("ZK77812", 5, doubted=True)
    d = decide_one(credit(1_000_00, "по заказу ZK-77812"), [inv], learned=learned, auto_confidence=0.5)
    assert d.outcome == "suggest"
    assert suggested(d) == {5}
    assert "reference_learned_doubted" in codes(d) & reasons_of_suggestions(d)


def test_a_doubted_standing_code_only_suggests() -> None:
    mine, other = _two_of_500_in_two_contracts()
    learned = taught("ZK2024", 5, 6, contract_id=77, doubted=True)
    d = decide_one(credit(500_00, "оплата по ZK-2024"), [mine, other], learned=learned)
    assert d.outcome == "suggest"
    assert "reference_learned_doubted" in reasons_of_suggestions(d)


def test_a_doubted_code_does_not_stop_what_else_the_purpose_says() -> None:
    """The invoice's own number in the purpose — or the only invoice with this amount — books as ever."""
    inv = invoice("INV-2026-00005", 2_000_00, id=5)
    inv = replace(inv, outstanding_minor=3_000_00, amount_minor=3_000_00)
    d = decide_one(
        credit(2_000_00, "по счету INV-2026-00005, заказ ZK-77812"), [inv], learned=taught("ZK77812", 5, doubted=True)
    )
    assert booked(d) == {(5, 2_000_00)}
    assert "reference_exact" in codes(d)
    unique = invoice("INV-6", 700_00, id=6)
    by_amount = decide_one(credit(700_00, "заказ ZK-77812"), [unique], learned=taught("ZK77812", 6, doubted=True))
    assert booked(by_amount) == {(6, 700_00)}, "the matcher would book it without any lesson"
    assert "amount_unique_for_partner" in codes(by_amount)
