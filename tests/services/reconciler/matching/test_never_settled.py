"""What the matcher must never settle automatically, however well the amount fits."""

from __future__ import annotations

import pytest

from services.reconciler.matching.types import PartnerFacts
from tests.services.reconciler.matching.factories import (
    BANK_TAX_ID,
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
)


@pytest.mark.parametrize(
    ("purpose", "outgoing"),
    [
        ("Комиссия за ведение счета за период", True),
        ("Перечисление заработной платы по реестру", True),
        ("Выплата процентов на остаток по счету", False),
        ("Возврат излишне перечисленных денежных средств по платежному поручению", False),
        ("Bank charges: commission for SWIFT transfer", True),
    ],
)
def test_fees_salaries_interest_and_refunds_are_never_settled(purpose: str, outgoing: bool) -> None:
    # The partner even has an open invoice of exactly this amount, each way.
    invs = [invoice("INV-2026-00001", 1_500_00), payable("15", 1_500_00, ROMASHKA)]
    line = debit(1_500_00, purpose) if outgoing else credit(1_500_00, purpose)
    d = decide_one(line, invs)
    assert d.outcome != "auto"
    assert "not_invoice_payment" in codes(d)


def test_credit_never_settles_a_payable_and_debit_never_a_receivable() -> None:
    receivable = invoice("INV-2026-00001", 1_000_00)
    ours_to_pay = payable("INV-2026-00002", 2_000_00, ROMASHKA)
    money_out = debit(1_000_00, "Оплата по счету INV-2026-00001")
    money_in = credit(2_000_00, "Оплата по счету INV-2026-00002")
    out_d, in_d = decide([money_out, money_in], [receivable, ours_to_pay])
    assert out_d.outcome != "auto"
    assert in_d.outcome != "auto"
    assert receivable.id not in {s.invoice_id for s in out_d.suggestions}
    assert ours_to_pay.id not in {s.invoice_id for s in in_d.suggestions}


def test_currency_must_match() -> None:
    inv = invoice("INV-2026-00001", 1_000_00, currency="EUR")
    d = decide_one(credit(1_000_00, "Оплата по счету INV-2026-00001"), [inv])
    assert d.outcome == "none"


def test_unknown_payer_with_nothing_to_go_on_is_left_alone() -> None:
    inv = invoice("INV-2026-00001", 1_000_00)
    stranger = credit(
        1_234_00, "Оплата за товар", payer=None, counterparty_tax_id="5000000001", counterparty_name='ООО "Неизвестный"'
    )
    d = decide_one(stranger, [inv])
    assert d.outcome == "none"
    assert "nothing_fits" in codes(d)


def test_unknown_payer_with_only_an_equal_amount_is_at_most_suggested() -> None:
    inv = invoice("INV-2026-00001", 1_000_00)
    stranger = credit(1_000_00, "Оплата за товар", payer=None, counterparty_tax_id="5000000001")
    assert decide_one(stranger, [inv]).outcome != "auto"


def test_payment_for_an_invoice_nobody_entered_is_not_booked() -> None:
    # The supplier has invoice "123", but we pay "124" with an amount that fits nothing.
    inv = payable("123", 90_000_00, VEKTOR)
    d = decide_one(debit(45_000_00, "Оплата по счету поставщика 124", payee=VEKTOR), [inv])
    assert booked(d) == set()


def test_a_bare_supplier_number_alone_is_not_enough_to_book_a_part_payment() -> None:
    # "Оплата по счету 123" for less than invoice 123: could be anything; a person looks.
    inv = payable("123", 90_000_00, VEKTOR)
    d = decide_one(debit(45_000_00, "Оплата по счету поставщика 123", payee=VEKTOR), [inv])
    assert d.outcome != "auto"


def test_a_similar_name_never_overrides_a_different_tax_id() -> None:
    romashka_12 = PartnerFacts(12, 'ООО "Ромашка-12"', ("7712000012",))
    inv = invoice("INV-2026-00001", 1_000_00, romashka_12)
    line = credit(
        1_000_00, "Оплата", payer=None, counterparty_name='ООО "Ромашка-12"', counterparty_tax_id="7799999999"
    )
    d = decide([line], [inv], partners=(romashka_12,))[0]
    assert d.outcome != "auto"


def test_a_fuzzy_name_must_keep_every_digit() -> None:
    romashka_121 = PartnerFacts(121, 'ООО "Ромашка-121"', ("7712100121",))
    inv = invoice("INV-2026-00001", 1_000_00, romashka_121)
    line = credit(1_000_00, "Оплата", payer=None, counterparty_name='ООО "Ромашка-12"')
    d = decide([line], [inv], partners=(romashka_121,))[0]
    assert d.outcome != "auto"


def test_the_bank_itself_is_not_a_partner() -> None:
    inv = invoice("INV-2026-00001", 150_00)
    fee = debit(150_00, "Плата за обслуживание", payee=None, counterparty_tax_id=BANK_TAX_ID)
    assert decide_one(fee, [inv]).outcome != "auto"


def test_an_invoice_of_another_partner_named_with_a_different_amount_is_not_booked() -> None:
    theirs = invoice("INV-2026-00200", 5_555_55, VEKTOR)
    d = decide_one(credit(1_000_00, "Оплата по счету INV-2026-00200"), [theirs])
    assert d.outcome != "auto"


def test_every_decision_explains_itself_with_stable_codes_and_words() -> None:
    invs = [invoice("INV-2026-00001", 1_000_00), invoice("INV-2026-00002", 1_000_00)]
    lines = [
        credit(1_000_00, "Оплата по счету INV-2026-00001"),
        credit(1_000_00, "Оплата"),
        credit(77_00, "Комиссия банка"),
    ]
    for d in decide(lines, invs):
        assert d.reasons
        assert all(r.code.isidentifier() and r.code.islower() and r.text for r in d.reasons)
        assert 0.0 <= d.confidence <= 1.0
        for s in d.suggestions:
            assert s.reasons


def test_decisions_do_not_depend_on_the_order_invoices_arrive_in() -> None:
    invs = [invoice(f"INV-2026-000{n:02d}", 1_000_00 + n) for n in range(20)]
    lines = [credit(1_000_00 + 3 + 1_000_00 + 7, "Оплата"), credit(1_000_00 + 5, "Оплата по сч. №5")]
    assert decide(lines, invs) == decide(lines, list(reversed(invs)))
