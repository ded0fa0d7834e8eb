"""Values inside 1CClientBankExchange documents: amounts, dates, parties, VAT clauses, purposes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.banks.formats.onec_fields import (
    _VAT_RE,
    FieldError,
    parse_amount,
    parse_date,
    party,
    purpose_of,
    split_inn_and_name,
    vat_text,
)


@pytest.mark.parametrize(
    ("text", "amount"),
    [("700", "700.00"), ("26.00", "26.00"), ("0.01", "0.01"), ("1000,5", "1000.50"), ("1 000 000.00", "1000000.00")],
)
def test_amounts_read_exactly_in_rubles_and_kopecks(text: str, amount: str) -> None:
    value = parse_amount(text)
    assert value == Decimal(amount)
    assert str(value) == amount


@pytest.mark.parametrize("text", ["", "1.234", "1e3", "12.3.4", "NaN", "-1.00", "1" * 19, "1,00,00"])
def test_what_is_not_rubles_and_kopecks_is_refused(text: str) -> None:
    with pytest.raises(FieldError):
        parse_amount(text)


def test_balances_may_be_negative() -> None:
    assert parse_amount("-15.20", signed=True) == Decimal("-15.20")


@pytest.mark.parametrize(("text", "day"), [("19.01.2015", date(2015, 1, 19)), ("1.2.2024", date(2024, 2, 1))])
def test_dates_are_day_month_year(text: str, day: date) -> None:
    assert parse_date(text) == day


@pytest.mark.parametrize("text", ["31.02.2024", "2024-01-01", "23.08.201819202122", "..", "0"])
def test_broken_dates_are_refused(text: str) -> None:
    with pytest.raises(FieldError):
        parse_date(text)


@pytest.mark.parametrize(
    ("text", "inn", "name"),
    [
        ('7810011111 ООО "РОГАИКАПЫТА"', "7810011111", 'ООО "РОГАИКАПЫТА"'),
        ('7123456777, ООО "Пупкин и К"', "7123456777", 'ООО "Пупкин и К"'),
        ("ИНН 771234567890 ИП Иванов", "771234567890", "ИП Иванов"),
        ("ЗАО Регистратор", None, "ЗАО Регистратор"),
        ("12345 Ромашка", None, "12345 Ромашка"),
        ("7810011111", "7810011111", None),
    ],
)
def test_the_inn_is_split_off_the_combined_name_field(text: str, inn: str | None, name: str | None) -> None:
    assert split_inn_and_name(text) == (inn, name)


@pytest.mark.parametrize(
    ("purpose", "clause"),
    [
        ("Оплата по договору в т.ч. НДС 18% - 152.54", "в т.ч. НДС 18% - 152.54"),
        ("Оплата по сч. 22 от 14.01.2015Сумма 9000-00 В т.ч. НДС(18%) 1372-88", "В т.ч. НДС(18%) 1372-88"),
        ("Комиссия (Без НДС)", "Без НДС"),
        ("Оплата по заказу №9614, НДС не облагается", "НДС не облагается"),
        ("НДФЛ Август 2021 Не облагается НДС", "Не облагается НДС"),
        ("Тип 3. в т.ч. НДС 20%: 0.00", "в т.ч. НДС 20%: 0.00"),
        ("Оплата по счету 7, в том числе НДС 20 % 1 234.56", "в том числе НДС 20 % 1 234.56"),
        ("Аванс, в т.ч. НДС 20%", "в т.ч. НДС 20%"),
    ],
)
def test_the_vat_clause_is_found_however_it_is_written(purpose: str, clause: str) -> None:
    assert vat_text(purpose) == clause


@pytest.mark.parametrize("purpose", [None, "", "Возврат займа по договору 5", "Plus NDS 111-16"])
def test_no_vat_clause_means_none(purpose: str | None) -> None:
    assert vat_text(purpose) is None


def test_purpose_uses_only_the_parts_when_the_full_field_is_empty() -> None:
    assert purpose_of({"НазначениеПлатежа": "", "НазначениеПлатежа1": "a", "НазначениеПлатежа3": "b"}) == "a b"


def test_purpose_is_none_when_every_purpose_field_is_empty() -> None:
    assert purpose_of({"НазначениеПлатежа1": ""}) is None


def test_party_bank_falls_back_to_the_indirect_settlement_fields() -> None:
    fields = {"Плательщик2": "40702810000000077777", "Плательщик3": "ФИЛИАЛ БАНКА", "Плательщик4": "г. Тюмень"}
    assert party(fields, "Плательщик") == {"account": "40702810000000077777", "bank_name": "ФИЛИАЛ БАНКА г. Тюмень"}


def test_party_prefers_the_name_field_over_the_combined_one() -> None:
    fields = {"Получатель": "7707083893 ООО Старое", "Получатель1": "ООО Новое", "ПолучательИНН": "7707083893"}
    assert party(fields, "Получатель") == {"name": "ООО Новое", "inn": "7707083893"}


_VAT_PIECES = ["в т.ч. ", "ᲀ т.ч. ", "В т. ч.", "в том числе ", "НДС", "ндс", "НᲁС", " 20%", "(18%)", " (", ")",
               "без ", "Без", "налога ", "не облагается", "не предусмотрен", "1234.56", "1372-88", " ", "   ", "\t",
               "\xa0", ":", "-", "Оплата по счету № 12 от 01.02.2024 ", "по договору поставки ", "х"]  # fmt: skip


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(_VAT_PIECES), max_size=12).map("".join))
def test_vat_clause_search_may_skip_positions_but_finds_what_the_plain_clause_search_finds(purpose: str) -> None:
    # vat_text searches with a lookahead that skips positions no clause can start at.
    plain = _VAT_RE.search(purpose)
    assert vat_text(purpose) == (plain.group(0).strip() if plain else None)
