"""Habits of companies other than the benchmark's, found by ``benchmarks/synth/other_company.py``.

Each test is one rule a careful accountant reads purposes by; each was a wrong automatic
allocation or a needless review on that unseen world.
"""

from __future__ import annotations

from typing import Any

from services.reconciler.matching.payers import IDENTIFICATION_PENALTY, PartnerDirectory
from services.reconciler.matching.references import SERIAL, number_keys
from services.reconciler.matching.text import read_purpose
from services.reconciler.matching.types import LearnedFacts, PartnerFacts, PaymentLine
from tests.services.reconciler.matching.factories import PARTNERS, booked, codes, credit, decide_one, invoice, suggested


def test_a_month_suffix_is_not_the_serial() -> None:
    """Invoices numbered per month ("42/11", "7/03"): the counter is 42, and 11 is November."""
    keys = number_keys("42/11")
    assert keys["42"] == SERIAL
    assert "11" not in keys
    assert number_keys("7/03")["7"] == SERIAL
    assert "03" not in number_keys("7/03")
    assert "3" not in number_keys("7/03")
    # A four-digit year before it makes the last group the serial, as before.
    assert number_keys("2026/05")["5"] == SERIAL


def test_invoices_of_one_month_are_not_one_number() -> None:
    """Three monthly invoices of one price: "сч. 4/08" names 4/08, not every August invoice."""
    named = invoice("4/08", 48_000_00)
    same_month = [invoice("44/08", 48_000_00), invoice("8/08", 48_000_00)]
    d = decide_one(credit(48_000_00, "Счет 4/08 от 23.08.2026. Оплата за услуги хранения"), [named, *same_month])
    assert booked(d) == {(named.id, 48_000_00)}


def test_a_month_written_after_a_serial_is_no_number_of_its_own() -> None:
    """ "№38/8" is invoice 38 of August written loosely; the 8 alone names no invoice 8/12."""
    assert "8" not in read_purpose("Оплата по счету №38/8").keys
    assert "11" not in read_purpose("Опл. с/ф 42/11").keys
    assert "11" in read_purpose("сч 42/11 и сч 11").keys  # written on its own too
    august, december = invoice("38/08", 4_900_00), invoice("8/12", 4_900_00)
    d = decide_one(credit(4_900_00, "Оплата по счету №38/8. в т.ч. НДС 20% 816.67 руб."), [august, december])
    assert (december.id, 4_900_00) not in booked(d)


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
    """Only the amount confirms a typo. With two open invoices of 36 000.00, a number that is one's
    number with two digits swapped (or a coincidence) ranks it first; a person confirms."""
    typo_of, other = invoice("74/10", 36_000_00), invoice("28/09", 36_000_00)
    d = decide_one(credit(36_000_00, "Оплата 7401 от 25.09.26"), [typo_of, other])
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
    assert read_purpose("Опл. по дог. Д-15/2025").cited_keys >= {"15", "2025"}


def test_a_number_written_as_contract_and_as_invoice_is_still_the_invoice() -> None:
    """ "сч. 15 по договору Д-15/2025": 15 is written outside the contract too; it names invoice 15."""
    fifteen = invoice("А-15", 7_000_00, contract_number="Д-15/2025")
    d = decide_one(credit(7_000_00, "Оплата по сч. 15 по договору Д-15/2025"), [fifteen, invoice("А-16", 7_000_00)])
    assert booked(d) == {(fifteen.id, 7_000_00)}
    assert "reference_serial" in codes(d)


def test_the_number_as_written_beats_a_namesake_sharing_only_its_serial() -> None:
    """ "счет 80/10": 80/09 of the same amount is only a namesake by its serial 80."""
    september, october = invoice("80/09", 120_000_00), invoice("80/10", 120_000_00)
    d = decide_one(credit(120_000_00, "Оплата по счету 80/10 от 10.10.2026"), [september, october])
    assert booked(d) == {(october.id, 120_000_00)}


def test_a_batch_written_in_full_beats_sets_that_read_a_number_by_its_serial_only() -> None:
    """ "по счетам 42/09 и 115/09": the set with 42/11 (serial 42 again) is a weaker reading."""
    a, b, namesake = invoice("42/09", 24_500_00), invoice("115/09", 24_500_00), invoice("42/11", 24_500_00)
    d = decide_one(credit(49_000_00, "Опл. по счетам 42/09 и 115/09"), [a, b, namesake])
    assert booked(d) == {(a.id, 24_500_00), (b.id, 24_500_00)}


def test_batches_written_equally_strongly_are_a_question() -> None:
    """ "сч. 41 и 42" with two invoices numbered 42 in different series: a person picks."""
    invoices = [invoice("А-41", 24_500_00), invoice("А-42", 24_500_00), invoice("СЧ-2026/0042", 24_500_00)]
    d = decide_one(credit(49_000_00, "Оплата по сч. 41 и 42"), invoices)
    assert d.outcome == "suggest"


def test_the_payers_order_number_is_not_our_invoice_number() -> None:
    """ "по заказу № 40": the customer's order 40, not invoice 40/09. With two open invoices of the
    amount, a person picks; the order's number picks neither."""
    forty, other = invoice("40/09", 120_000_00), invoice("17/09", 120_000_00)
    d = decide_one(credit(120_000_00, "Оплата по заказу № 40 от 30.09.26. Сумма 120000-00"), [forty, other])
    assert d.outcome == "suggest"
    assert read_purpose("Inv. no. INV2026-00042, our order PO-97200").cited_keys >= {"97200"}
    assert "97200" in read_purpose("Оплата по счету 97200").keys  # the same number as an invoice


def test_a_piece_of_a_cited_contract_number_is_no_mistyped_invoice_number() -> None:
    """ "договор № ДП-010/26": 010 is the contract's, not invoice 100/10 with two digits swapped."""
    hundred, twin = invoice("100/10", 120_000_00), invoice("7/10", 120_000_00)
    d = decide_one(credit(120_000_00, "Оплата по договору поставки № ДП-010/26"), [hundred, twin])
    assert d.outcome == "suggest"
    assert "reference_typo" not in {r.code for s in d.suggestions for r in s.reasons}
    assert d.suggestions[0].confidence == d.suggestions[-1].confidence  # neither ranked first by a typo


PROMRESURS = PartnerFacts(11, "ООО «Промресурс»", ("7811000011",), ("40702810900000000011",))
BEREZKA = PartnerFacts(12, "ООО «Берёзка»", ("7812000012",), ("40702810900000000012",))
NAMED_IN_CYRILLIC = (PROMRESURS, BEREZKA)


def _unknown_account(name: str, amount: int, purpose: str, **kw: Any) -> PaymentLine:
    """A line with only a name: no INN, an account the directory does not know."""
    return credit(amount, purpose, None, counterparty_name=name, counterparty_account="40702810000000099999", **kw)


def test_a_payer_in_latin_letters_is_its_cyrillic_partner_at_the_fuzzy_names_trust() -> None:
    """ "Promresurs LLC" is ООО «Промресурс» spelled by a Latin-only bank ("Berezka LLC" is
    ООО «Берёзка»): identified, and trusted exactly as much as a similar Cyrillic name."""
    directory = PartnerDirectory(NAMED_IN_CYRILLIC, LearnedFacts())
    for name, partner in (("Promresurs LLC", PROMRESURS), ("Berezka LLC", BEREZKA), ("OOO Berezka", BEREZKA)):
        found = directory.identify(_unknown_account(name, 1_00, "Оплата"))
        assert found.partner_ids == {partner.id}, name
        assert found.by == "name_transliterated"
        assert found.penalty == IDENTIFICATION_PENALTY["name_fuzzy"]
    # Its short number is now read among its invoices: the invoice is offered first, with the
    # confidence a similar Cyrillic name gets (below the automatic threshold: a person confirms).
    inv = invoice("42", 36_000_00, PROMRESURS)
    latin = decide_one(
        _unknown_account("Promresurs LLC", 36_000_00, "Оплата по сч. 42"), [inv], partners=NAMED_IN_CYRILLIC
    )
    cyrillic = decide_one(
        _unknown_account("ООО Промресурсы", 36_000_00, "Оплата по сч. 42"), [inv], partners=NAMED_IN_CYRILLIC
    )
    assert "payer_name_transliterated" in codes(latin) and "payer_name_fuzzy" in codes(cyrillic)
    assert (latin.outcome, latin.confidence) == (cyrillic.outcome, cyrillic.confidence)
    assert latin.outcome == "suggest" and latin.suggestions[0].invoice_id == inv.id


def test_a_transliterated_name_alone_books_nothing() -> None:
    """The only open invoice of Промресурс with the amount, no number in the purpose: a person
    confirms it — a spelling is a guess, not a legal entity."""
    inv = invoice("42", 36_000_00, PROMRESURS)
    d = decide_one(_unknown_account("Promresurs LLC", 36_000_00, "Оплата за товары"), [inv], partners=NAMED_IN_CYRILLIC)
    assert booked(d) == set()
    assert inv.id in suggested(d)


def test_only_a_name_no_partner_resembles_is_read_as_a_transliteration() -> None:
    """A Latin name that is (like) a Latin partner's stays that partner's; a Cyrillic name is never
    transliterated; a tax id on the line still rules out every name."""
    latin_partner = PartnerFacts(13, "Promresurs Trading Ltd", (), ())
    directory = PartnerDirectory((*NAMED_IN_CYRILLIC, latin_partner), LearnedFacts())
    assert directory.identify(_unknown_account("PROMRESURS TRADING LTD", 1_00, "")).partner_ids == {13}
    assert directory.identify(_unknown_account("ООО Promresursъ", 1_00, "")).by != "name_transliterated"
    with_inn = credit(1_00, "", None, counterparty_name="Promresurs LLC", counterparty_tax_id="7899999999")
    assert directory.identify(with_inn).partner_ids == frozenset()


BLUE_HARBOR = PartnerFacts(21, "Blue Harbor Trading Ltd", (), ("LV00HABA0000000000021",))
BLUE_HARBOR_EAST = PartnerFacts(22, "Blue Harbor Trading Ltd East", (), ("LV00HABA0000000000022",))
FOREIGN = (BLUE_HARBOR, BLUE_HARBOR_EAST)


def test_a_city_or_branch_after_a_comma_leaves_the_name_before_it() -> None:
    """ "Blue Harbor Trading Ltd East, Riga": the bank appended the city; the name before the comma
    is the partner's exactly, and is trusted as an equal name is — its fee-short payment of our
    invoice is booked, not left a suggestion."""
    directory = PartnerDirectory(FOREIGN, LearnedFacts())
    found = directory.identify(_unknown_account("Blue Harbor Trading Ltd East, Riga", 1_00, ""))
    assert found.partner_ids == {BLUE_HARBOR_EAST.id}
    assert found.penalty == IDENTIFICATION_PENALTY["name"]
    inv = invoice("INV2026-00247", 25_015_00, BLUE_HARBOR_EAST, currency="EUR")
    line = _unknown_account("Blue Harbor Trading Ltd East, Riga", 25_000_00, "Inv. no. INV2026-00247", currency="EUR")
    d = decide_one(line, [inv], partners=FOREIGN)
    assert "payer_name_before_comma" in codes(d)
    assert booked(d) == {(inv.id, 25_000_00)}


def test_words_after_the_comma_that_complete_another_partners_name_leave_the_payer_unknown() -> None:
    """ "Blue Harbor Trading Ltd, East, Riga" may be "... Ltd" or "... Ltd East": a name that cannot
    tell them apart identifies nobody."""
    directory = PartnerDirectory(FOREIGN, LearnedFacts())
    assert directory.identify(_unknown_account("Blue Harbor Trading Ltd, East, Riga", 1_00, "")).partner_ids == set()
    assert directory.identify(_unknown_account("Blue Harbor Trading Ltd, Riga", 1_00, "")).partner_ids == {21}


ROMASHKA_GROUP = PartnerFacts(31, "ООО «Ромашка Групп»", ("7831000031",), ("40702810900000000031",))
STRANGER = {"counterparty_name": "ООО «Гарант-602»", "counterparty_tax_id": "5841098226"}


def test_a_partner_named_by_name_in_the_purpose_has_its_short_number_suggested_never_booked() -> None:
    """ "Оплата за ООО «Ромашка Групп» по сч. 22/08" from a company we do not know: 22/08 of
    Ромашка Групп is offered first — anyone can write a name, so a person confirms it."""
    named = invoice("22/08", 15_000_00, ROMASHKA_GROUP)
    same_price = invoice("23/08", 15_000_00, ROMASHKA_GROUP)
    line = credit(15_000_00, "Оплата за ООО «Ромашка Групп» по сч. 22/08. Без налога (НДС)", None, **STRANGER)
    d = decide_one(line, [named, same_price], partners=(*PARTNERS, ROMASHKA_GROUP))
    assert booked(d) == set()
    assert d.suggestions[0].invoice_id == named.id
    assert "third_party_named_by_name" in {r.code for r in d.suggestions[0].reasons}
    assert d.suggestions[0].confidence > d.suggestions[1].confidence  # 23/08 only has the amount


def test_a_quoted_name_never_books_even_what_would_be_certain_by_inn() -> None:
    """The only open invoice of the partner, its full number and the exact amount: booked when the
    purpose names the partner's INN, only suggested when it names the partner by name."""
    inv = invoice("22/08", 15_000_00, ROMASHKA_GROUP)
    partners = (*PARTNERS, ROMASHKA_GROUP)
    by_name = credit(15_000_00, "Оплата за ООО «Ромашка Групп» по сч. 22/08", None, **STRANGER)
    by_inn = credit(15_000_00, "Оплата за ООО Ромашка Групп ИНН 7831000031 по сч. 22/08", None, **STRANGER)
    assert booked(decide_one(by_inn, [inv], partners=partners)) == {(inv.id, 15_000_00)}
    d = decide_one(by_name, [inv], partners=partners)
    assert booked(d) == set() and suggested(d) == {inv.id}


def test_a_quoted_name_does_not_unbook_a_distinctive_number() -> None:
    """A number that cannot be a coincidence is booked as before, whatever name is quoted beside it."""
    inv = invoice("INV-2026-00042", 15_000_00, ROMASHKA_GROUP)
    line = credit(15_000_00, "Оплата за ООО «Ромашка Групп» по счету INV-2026-00042", None, **STRANGER)
    assert booked(decide_one(line, [inv], partners=(*PARTNERS, ROMASHKA_GROUP))) == {(inv.id, 15_000_00)}
