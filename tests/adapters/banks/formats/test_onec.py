"""1CClientBankExchange parsing rules, one rule per test.

Corpus conformance lives in test_onec_conformance.py, value parsing in test_onec_fields.py,
fuzzing in test_onec_fuzz.py. Files here are built by ``_file`` so each test shows the few
fields its rule is about.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from adapters.banks.base import PAYMENT_ORDER_KEYS, ParsedStatement, ParseError
from adapters.banks.formats.onec import FORMAT
from adapters.banks.formats.onec_fields import EXTRA_KEYS
from benchmarks.synth.onec import generate
from tests.fixture_corpus import FIXTURES_DIR

OURS = "40702810900000000001"
OTHER_OURS = "40702810900000000002"
THEIRS = "40702810500000000777"
Doc = dict[str, str]


def _incoming(amount: str = "100.00", **extra: str) -> Doc:
    return {"Номер": "11", "Дата": "02.03.2024", "Сумма": amount, "ПлательщикСчет": THEIRS,
            "ПолучательСчет": OURS, "ДатаПоступило": "03.03.2024", **extra}  # fmt: skip


def _outgoing(amount: str = "40.00", **extra: str) -> Doc:
    return {"Номер": "12", "Дата": "02.03.2024", "Сумма": amount, "ПлательщикСчет": OURS,
            "ПолучательСчет": THEIRS, "ДатаСписано": "04.03.2024", **extra}  # fmt: skip


def _section(account: str = OURS, opening: str | None = "1000.00", closing: str | None = "1060.00",
             total_in: str | None = None, total_out: str | None = None) -> Doc:  # fmt: skip
    fields = {"ДатаНачала": "01.03.2024", "ДатаКонца": "31.03.2024", "РасчСчет": account}
    for key, value in (("НачальныйОстаток", opening), ("ВсегоПоступило", total_in),
                       ("ВсегоСписано", total_out), ("КонечныйОстаток", closing)):  # fmt: skip
        if value is not None:
            fields[key] = value
    return fields


def _file(
    *documents: Doc,
    sections: tuple[Doc, ...] | None = None,
    header: Doc | None = None,
    kind: str = "Платежное поручение",
    encoding: str = "cp1251",
    newline: str = "\r\n",
    end: str = "КонецФайла",
) -> bytes:
    sections = (_section(),) if sections is None else sections
    header = {"ВерсияФормата": "1.03", "Кодировка": "Windows", "РасчСчет": OURS} if header is None else header
    lines = ["1CClientBankExchange", *(f"{k}={v}" for k, v in header.items())]
    for section in sections:
        lines += ["СекцияРасчСчет", *(f"{k}={v}" for k, v in section.items()), "КонецРасчСчет"]
    for document in documents:
        lines += [f"СекцияДокумент={kind}", *(f"{k}={v}" for k, v in document.items()), "КонецДокумента"]
    lines.append(end)
    return (newline.join(lines) + newline).encode(encoding)


def _only(data: bytes) -> ParsedStatement:
    (statement,) = FORMAT.parse(data, "kl_to_1c.txt").statements
    return statement


def _error(data: bytes) -> ParseError:
    with pytest.raises(ParseError) as caught:
        FORMAT.parse(data, "kl_to_1c.txt")
    return caught.value


def _line_of(data: bytes, text: str, encoding: str = "cp1251") -> int:
    lines = data.decode(encoding).splitlines()
    return lines.index(text) + 1


# --- direction and sign --------------------------------------------------------------------------


def test_a_document_paying_our_account_is_a_positive_credit() -> None:
    (line,) = _only(_file(_incoming("100.00"))).lines
    assert line.amount == Decimal("100.00")


def test_a_document_paid_from_our_account_is_a_negative_debit() -> None:
    (line,) = _only(_file(_outgoing("40.00"))).lines
    assert line.amount == Decimal("-40.00")


def test_the_settlement_account_fields_alone_identify_our_side() -> None:
    document = _outgoing()
    del document["ПлательщикСчет"]
    document["ПлательщикРасчСчет"] = OURS
    (line,) = _only(_file(document)).lines
    assert line.amount == Decimal("-40.00")


def test_amounts_are_exact_decimals_with_kopecks() -> None:
    (line,) = _only(_file(_incoming("0.10"))).lines
    assert line.amount == Decimal("0.10")
    assert isinstance(line.amount, Decimal)


def test_currency_is_rubles_for_statement_and_lines() -> None:
    statement = _only(_file(_incoming()))
    assert statement.currency == "RUB"
    assert statement.lines[0].currency == "RUB"


def test_a_foreign_currency_account_is_refused_rather_than_read_as_rubles() -> None:
    usd = "40702840900000000001"
    data = _file(_incoming(ПолучательСчет=usd), sections=(_section(usd),), header={"РасчСчет": usd})
    error = _error(data)
    assert "USD" in error.reason
    assert error.element == "РасчСчет"
    assert error.line is not None
    assert data.decode("cp1251").splitlines()[error.line - 1] == f"РасчСчет={usd}"


# --- several accounts ----------------------------------------------------------------------------


def test_each_account_section_becomes_its_own_statement_with_its_documents() -> None:
    data = _file(
        _incoming("100.00"),
        _incoming("7.00", ПолучательСчет=OTHER_OURS),
        sections=(_section(OURS, "0.00", "100.00"), _section(OTHER_OURS, "0.00", "7.00")),
    )
    first, second = FORMAT.parse(data, "x").statements
    assert (first.account, [ln.amount for ln in first.lines]) == (OURS, [Decimal("100.00")])
    assert (second.account, [ln.amount for ln in second.lines]) == (OTHER_OURS, [Decimal("7.00")])
    assert first.warnings == second.warnings == ()


def test_a_transfer_between_our_accounts_is_a_debit_on_one_and_a_credit_on_the_other() -> None:
    transfer = _outgoing("30.00", ПолучательСчет=OTHER_OURS, ДатаПоступило="04.03.2024")
    data = _file(transfer, sections=(_section(OURS, "30.00", "0.00"), _section(OTHER_OURS, "0.00", "30.00")))
    first, second = FORMAT.parse(data, "x").statements
    assert [ln.amount for ln in first.lines] == [Decimal("-30.00")]
    assert [ln.amount for ln in second.lines] == [Decimal("30.00")]
    assert first.balance_gap() == second.balance_gap() == 0


def test_a_transfer_from_an_account_to_itself_is_both_a_debit_and_a_credit() -> None:
    # Net zero, but both movements happened; hiding them would hide what the bank reported.
    to_itself = _outgoing("5.00", ПолучательСчет=OURS, ДатаПоступило="04.03.2024")
    statement = _only(_file(to_itself, sections=(_section(OURS, "1.00", "1.00"),)))
    assert sorted(ln.amount for ln in statement.lines) == [Decimal("-5.00"), Decimal("5.00")]


def test_repeated_sections_of_one_account_merge_into_one_statement() -> None:
    # Some banks write a section per day; the statement spans them all.
    day1 = _section(OURS, "10.00", "110.00") | {"ДатаНачала": "01.03.2024", "ДатаКонца": "01.03.2024"}
    day2 = _section(OURS, "110.00", "70.00") | {"ДатаНачала": "02.03.2024", "ДатаКонца": "02.03.2024"}
    statement = _only(_file(_incoming("100.00"), _outgoing("40.00"), sections=(day1, day2)))
    assert (statement.date_from, statement.date_to) == (date(2024, 3, 1), date(2024, 3, 2))
    assert (statement.opening_balance, statement.closing_balance) == (Decimal("10.00"), Decimal("70.00"))
    assert statement.warnings == ()


def test_repeated_sections_that_do_not_chain_are_flagged() -> None:
    day1 = _section(OURS, "10.00", "110.00")
    day2 = _section(OURS, "999.00", "959.00")
    statement = _only(_file(_incoming("100.00"), _outgoing("40.00"), sections=(day1, day2)))
    assert any("does not continue" in w for w in statement.warnings)


# --- documents naming none of our accounts -------------------------------------------------------


def test_with_one_account_a_foreign_document_is_placed_by_its_debit_date_and_flagged() -> None:
    # Anonymised exports replace our account in the payer field; ДатаСписано still says "out".
    anonymised = _outgoing("40.00", ПлательщикСчет="12312312312312312")
    statement = _only(_file(anonymised, sections=(_section(OURS, "100.00", "60.00"),)))
    assert [ln.amount for ln in statement.lines] == [Decimal("-40.00")]
    assert any("direction taken from" in w for w in statement.warnings)


def test_with_one_account_a_foreign_document_is_placed_by_its_credit_date() -> None:
    anonymised = _incoming("100.00", ПолучательСчет="12312312312312312")
    statement = _only(_file(anonymised, sections=(_section(OURS, "0.00", "100.00"),)))
    assert [ln.amount for ln in statement.lines] == [Decimal("100.00")]


def test_a_foreign_document_without_dates_is_left_out_with_a_warning() -> None:
    stranger = {"Номер": "99", "Дата": "02.03.2024", "Сумма": "5.00", "ПлательщикСчет": THEIRS,
                "ПолучательСчет": "40702810500000000888"}  # fmt: skip
    statement = _only(_file(stranger, sections=(_section(OURS, "0.00", "0.00"),)))
    assert statement.lines == ()
    assert any("left out" in w and "Номер=99" in w for w in statement.warnings)


def test_a_document_left_out_is_still_validated() -> None:
    stranger = {"Номер": "99", "Дата": "02.03.2024", "Сумма": "пять", "ПлательщикСчет": THEIRS}
    data = _file(stranger, sections=(_section(OURS, "0.00", "0.00"),))
    assert _error(data).line == _line_of(data, "Сумма=пять")


def test_with_several_accounts_a_foreign_document_is_left_out_not_guessed() -> None:
    anonymised = _outgoing("40.00", ПлательщикСчет="12312312312312312")
    data = _file(anonymised, sections=(_section(OURS, "0.00", "0.00"), _section(OTHER_OURS, "0.00", "0.00")))
    statements = FORMAT.parse(data, "x").statements
    assert all(s.lines == () for s in statements)
    assert any("left out" in w for w in statements[0].warnings)


def test_a_file_with_no_account_of_ours_is_refused_as_payment_orders_for_the_bank() -> None:
    error = _error(_file(_outgoing(), sections=(), header={"ВерсияФормата": "1.03"}))
    assert "no account of ours" in error.reason


# --- line fields ---------------------------------------------------------------------------------


def test_bank_ref_is_the_document_number() -> None:
    (line,) = _only(_file(_incoming(Номер="5531"))).lines
    assert line.bank_ref == "5531"


def test_booking_date_is_the_credit_date_for_credits_and_the_debit_date_for_debits() -> None:
    credit, debit = _only(_file(_incoming(), _outgoing())).lines
    assert credit.booking_date == date(2024, 3, 3)
    assert debit.booking_date == date(2024, 3, 4)


def test_booking_date_falls_back_to_the_document_date() -> None:
    document = _incoming()
    del document["ДатаПоступило"]
    (line,) = _only(_file(document)).lines
    assert line.booking_date == date(2024, 3, 2)


def test_counterparty_is_the_payer_of_a_credit() -> None:
    document = _incoming(ПлательщикИНН="7707083893", Плательщик1='ООО "Ромашка"', ПолучательИНН="1111111111")
    (line,) = _only(_file(document)).lines
    assert (line.counterparty_name, line.counterparty_tax_id, line.counterparty_account) == (
        'ООО "Ромашка"',
        "7707083893",
        THEIRS,
    )


def test_counterparty_is_the_payee_of_a_debit() -> None:
    document = _outgoing(Получатель1="ИП Иванов", ПолучательИНН="771234567890", ПлательщикИНН="1111111111")
    (line,) = _only(_file(document)).lines
    assert (line.counterparty_name, line.counterparty_tax_id) == ("ИП Иванов", "771234567890")


def test_counterparty_name_and_inn_come_from_the_combined_field_when_alone() -> None:
    (line,) = _only(_file(_incoming(Плательщик="ИНН 7707083893 ООО Вектор"))).lines
    assert (line.counterparty_name, line.counterparty_tax_id) == ("ООО Вектор", "7707083893")


def test_purpose_joins_the_numbered_parts_when_they_add_text() -> None:
    document = _incoming(НазначениеПлатежа="Оплата по счету 7", НазначениеПлатежа1="за март")
    (line,) = _only(_file(document)).lines
    assert line.purpose == "Оплата по счету 7 за март"


def test_purpose_is_not_doubled_when_the_parts_repeat_the_full_text() -> None:
    document = _incoming(НазначениеПлатежа="Оплата по счету 7 за март", НазначениеПлатежа1="Оплата по счету 7",
                         НазначениеПлатежа2="за март")  # fmt: skip
    (line,) = _only(_file(document)).lines
    assert line.purpose == "Оплата по счету 7 за март"


def test_details_carry_the_payment_order_fields_for_form_0401060() -> None:
    document = _outgoing(
        Очередность="5", ВидОплаты="01", ПлательщикИНН="7707083893", ПлательщикКПП="770701001",
        Плательщик1='ООО "Северный Ветер"', ПлательщикБанк1="ПАО СБЕРБАНК", ПлательщикБанк2="г. Москва",
        ПлательщикБИК="044525225", ПлательщикКорсчет="30101810400000000225", Получатель1="ИП Иванов",
        ПолучательИНН="771234567890", ПолучательБИК="044525974", ПолучательКорсчет="30101810145250000974",
        ПолучательБанк1='АО "ТИНЬКОФФ БАНК"', НазначениеПлатежа="Оплата по счету 7 в т.ч. НДС 20% 6.67",
        ПоказательКБК="18210102010011000110",
    )  # fmt: skip
    (line,) = _only(_file(document, kind="Платежное поручение")).lines
    assert line.details == {
        "document_kind": "Платежное поручение", "document_number": "12", "document_date": "2024-03-02",
        "priority": "5", "payment_kind": "01",
        "payer_name": 'ООО "Северный Ветер"', "payer_inn": "7707083893", "payer_kpp": "770701001",
        "payer_account": OURS, "payer_bank_name": "ПАО СБЕРБАНК г. Москва", "payer_bank_bik": "044525225",
        "payer_bank_corr_account": "30101810400000000225",
        "payee_name": "ИП Иванов", "payee_inn": "771234567890", "payee_account": THEIRS,
        "payee_bank_name": 'АО "ТИНЬКОФФ БАНК"', "payee_bank_bik": "044525974",
        "payee_bank_corr_account": "30101810145250000974",
        "vat_text": "в т.ч. НДС 20% 6.67",
        "ДатаСписано": "04.03.2024", "ПоказательКБК": "18210102010011000110",
    }  # fmt: skip


def test_detail_keys_are_payment_order_keys_or_named_1c_extras() -> None:
    statement = _only(_file(_incoming(Очередность="5", ОКАТО="45380000", Неизвестное="x")))
    assert set(statement.lines[0].details) <= set(PAYMENT_ORDER_KEYS) | set(EXTRA_KEYS)


@pytest.mark.parametrize(
    "kind", ["Платежное поручение", "Банковский ордер", "Платежное требование", "Инкассовое поручение",
             "Мемориальный ордер", "Платежный ордер", "Аккредитив"],
)  # fmt: skip
def test_every_document_kind_is_read_and_named(kind: str) -> None:
    (line,) = _only(_file(_incoming(), kind=kind)).lines
    assert line.details["document_kind"] == kind


def test_a_section_without_kind_takes_the_single_kind_the_header_declares() -> None:
    data = _file(_incoming(), header={"РасчСчет": OURS, "Документ": "Банковский ордер"}, kind="").replace(
        "СекцияДокумент=".encode("cp1251"), "СекцияДокумент".encode("cp1251")
    )
    (line,) = _only(data).lines
    assert line.details["document_kind"] == "Банковский ордер"


def test_raw_holds_the_document_lines_and_source_line_points_at_its_start() -> None:
    data = _file(_incoming(), _outgoing())
    credit, debit = _only(data).lines
    lines = data.decode("cp1251").splitlines()
    openers = [n for n, text in enumerate(lines, 1) if text.startswith("СекцияДокумент")]
    assert [credit.source_line, debit.source_line] == openers
    closer = lines.index("КонецДокумента", openers[1])
    assert debit.raw.splitlines() == lines[openers[1] - 1 : closer + 1]


def test_orders_exported_for_the_bank_without_account_sections_are_pending() -> None:
    document = _outgoing()
    del document["ДатаСписано"]
    (line,) = _only(_file(document, sections=())).lines
    assert line.status == "pending"
    assert line.amount == Decimal("-40.00")


def test_documents_in_a_bank_statement_are_booked() -> None:
    document = _outgoing()
    del document["ДатаСписано"]
    (line,) = _only(_file(document)).lines
    assert line.status == "booked"


# --- balances ------------------------------------------------------------------------------------


def test_a_statement_whose_documents_explain_its_balances_and_totals_has_no_warning() -> None:
    section = _section(OURS, "1000.00", "1060.00", total_in="100.00", total_out="40.00")
    statement = _only(_file(_incoming("100.00"), _outgoing("40.00"), sections=(section,)))
    assert statement.warnings == ()
    assert statement.balance_gap() == 0


def test_balances_the_documents_do_not_explain_are_a_warning_not_an_error() -> None:
    statement = _only(_file(_incoming("100.00"), sections=(_section(OURS, "1000.00", "1200.00"),)))
    assert statement.balance_gap() == Decimal("100.00")
    assert any("gap 100.00" in w for w in statement.warnings)


def test_section_totals_the_documents_do_not_explain_are_a_warning() -> None:
    section = _section(OURS, "1000.00", "1100.00", total_in="150.00", total_out="50.00")
    statement = _only(_file(_incoming("100.00"), sections=(section,)))
    assert any("ВсегоПоступило=150.00" in w for w in statement.warnings)
    assert any("ВсегоСписано=50.00" in w for w in statement.warnings)


def test_a_section_without_closing_balance_parses_with_a_warning() -> None:
    statement = _only(_file(_incoming(), sections=(_section(OURS, "1000.00", None),)))
    assert statement.closing_balance is None
    assert any("no КонечныйОстаток" in w for w in statement.warnings)


def test_a_negative_opening_balance_is_an_overdraft_not_an_error() -> None:
    statement = _only(_file(_incoming("100.00"), sections=(_section(OURS, "-100.00", "0.00"),)))
    assert statement.opening_balance == Decimal("-100.00")
    assert statement.warnings == ()


def test_statement_period_and_account_come_from_the_section() -> None:
    statement = _only(_file(_incoming()))
    assert (statement.account, statement.date_from, statement.date_to) == (OURS, date(2024, 3, 1), date(2024, 3, 31))


def test_without_sections_the_header_gives_account_and_period() -> None:
    header = {"РасчСчет": OURS, "ДатаНачала": "01.02.2024", "ДатаКонца": "29.02.2024"}
    statement = _only(_file(_incoming(), sections=(), header=header))
    assert (statement.account, statement.date_from, statement.date_to) == (OURS, date(2024, 2, 1), date(2024, 2, 29))
    assert statement.opening_balance is None


def test_an_unknown_format_version_is_read_with_a_warning() -> None:
    statement = _only(_file(_incoming(), header={"ВерсияФормата": "2.00", "РасчСчет": OURS}))
    assert any("2.00" in w for w in statement.warnings)


# --- encodings and line endings ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "newline", "prefix"),
    [("cp1251", "\r\n", b""), ("cp1251", "\n", b""), ("utf-8", "\r\n", b""), ("utf-8", "\n", b"\xef\xbb\xbf")],
)
def test_the_same_statement_reads_alike_in_every_encoding_and_line_ending(
    encoding: str, newline: str, prefix: bytes
) -> None:
    # Кодировка says Windows in all of them: the bytes decide, not the claim.
    reference = _only(_file(_incoming(Плательщик1="ООО Ёлка"), _outgoing()))
    statement = _only(prefix + _file(_incoming(Плательщик1="ООО Ёлка"), _outgoing(), encoding=encoding,
                                     newline=newline))  # fmt: skip
    assert [(ln.amount, ln.counterparty_name, ln.raw) for ln in statement.lines] == [
        (ln.amount, ln.counterparty_name, ln.raw) for ln in reference.lines
    ]


def test_a_dos_file_is_read_as_cp866() -> None:
    header = {"ВерсияФормата": "1.02", "Кодировка": "DOS", "РасчСчет": OURS}
    (line,) = _only(_file(_incoming(Плательщик1="ООО Ёлка"), header=header, encoding="cp866")).lines
    assert line.counterparty_name == "ООО Ёлка"


def test_sniff_recognises_the_first_line_with_or_without_bom() -> None:
    assert FORMAT.sniff(b"1CClientBankExchange\r\nx", "a.txt")
    assert FORMAT.sniff(b"\xef\xbb\xbf1CClientBankExchange\n", "a.txt")
    assert not FORMAT.sniff(b"OFXHEADER:100\n", "1CClientBankExchange.txt")


def test_sniff_rejects_other_formats_in_the_corpus() -> None:
    for path in sorted(FIXTURES_DIR.glob("mt940/**/*"))[:10] + sorted(FIXTURES_DIR.glob("ofx/**/*"))[:10]:
        if path.is_file():
            assert not FORMAT.sniff(path.read_bytes()[:65536], path.name), path


# --- broken files ----------------------------------------------------------------------------------


def test_a_document_never_closed_names_the_line_that_opened_it_and_where_it_ran_into_the_next() -> None:
    data = _file(_incoming(), _outgoing()).replace("КонецДокумента\r\n".encode("cp1251"), b"", 1)
    lines = data.decode("cp1251").splitlines()
    opened = [n for n, text in enumerate(lines, 1) if text.startswith("СекцияДокумент")]
    error = _error(data)
    assert "not closed" in error.reason
    assert f"opened at line {opened[0]}" in error.reason
    assert error.line == opened[1]


def _first_document_line(data: bytes) -> int:
    return _line_of(data, "СекцияДокумент=Платежное поручение")


def test_a_document_cut_off_by_the_end_of_file_is_an_error() -> None:
    data = _file(_incoming()).split("КонецДокумента".encode("cp1251"))[0]
    error = _error(data)
    assert "never closed" in error.reason
    assert error.line == _first_document_line(data + b"x")


@pytest.mark.parametrize("amount", ["12,34,56", "сто", "1.234", "-5.00", "1e5", "9" * 30])
def test_an_unparseable_amount_names_its_line_and_field(amount: str) -> None:
    data = _file(_incoming(amount))
    error = _error(data)
    assert (error.line, error.element) == (_line_of(data, f"Сумма={amount}"), "Сумма")


def test_a_missing_amount_is_an_error_naming_the_document() -> None:
    document = _incoming()
    del document["Сумма"]
    data = _file(document)
    error = _error(data)
    assert error.element == "Сумма"
    assert error.line == _first_document_line(data)


@pytest.mark.parametrize("field", ["Дата", "ДатаПоступило"])
def test_a_broken_document_date_names_its_line_and_field(field: str) -> None:
    data = _file(_incoming(**{field: "31.02.2024"}))
    error = _error(data)
    assert (error.line, error.element) == (_line_of(data, f"{field}=31.02.2024"), field)


def test_a_broken_section_balance_names_its_line() -> None:
    data = _file(_incoming(), sections=(_section(OURS, "много", "1.00"),))
    error = _error(data)
    assert (error.line, error.element) == (_line_of(data, "НачальныйОстаток=много"), "НачальныйОстаток")


def test_a_broken_header_period_is_only_a_warning_when_sections_give_their_own() -> None:
    header = {"РасчСчет": OURS, "ДатаКонца": "23.08.201819202122"}
    statement = _only(_file(_incoming(), header=header))
    assert statement.date_to == date(2024, 3, 31)
    assert any("ДатаКонца" in w for w in statement.warnings)


def test_a_line_that_is_not_key_value_is_an_error_with_its_line() -> None:
    data = _file(_incoming(), _outgoing()).replace("Номер=12".encode("cp1251"), b"garbage")
    error = _error(data)
    assert error.line == _line_of(data, "garbage")


def test_a_file_without_end_marker_is_refused_as_truncated() -> None:
    error = _error(_file(_incoming(), end=""))
    assert "truncated" in error.reason


def test_text_after_the_end_marker_is_an_error() -> None:
    data = _file(_incoming()) + "СекцияДокумент=Платежное поручение\r\n".encode("cp1251")
    assert "after КонецФайла" in _error(data).reason


def test_a_dos_end_of_file_byte_after_the_end_marker_is_fine() -> None:
    assert len(_only(_file(_incoming()) + b"\x1a").lines) == 1


def test_errors_name_the_file() -> None:
    assert _error(_file(_incoming("x"))).file == "kl_to_1c.txt"


def test_binary_garbage_is_refused() -> None:
    assert "NUL" in _error(b"1CClientBankExchange\r\n\x00\x01\x02").reason


def test_a_file_not_starting_with_the_magic_line_is_refused_at_line_1() -> None:
    assert _error("ClientBankExchange\r\nКонецФайла\r\n".encode("cp1251")).line == 1


# --- the synthetic benchmark file ------------------------------------------------------------------


def test_the_synthetic_benchmark_file_parses_and_reconciles() -> None:
    statement = _only(generate(300, seed=7))
    assert len(statement.lines) == 300
    assert statement.warnings == ()
    assert statement.balance_gap() == 0
    assert {ln.details["document_kind"] for ln in statement.lines} >= {"Платежное поручение", "Банковский ордер"}


def test_a_repeated_field_is_read_from_its_last_line_and_an_error_names_that_line() -> None:
    # As in a dict, the last occurrence wins; the error must point at the line whose value was read.
    data = _file(_incoming()).replace("Сумма=100.00".encode("cp1251"), "Сумма=100.00\r\nСумма=1,2,3".encode("cp1251"))
    error = _error(data)
    assert error.element == "Сумма"
    assert error.line is not None
    assert data.decode("cp1251").splitlines()[error.line - 1] == "Сумма=1,2,3"


def test_a_value_holding_equals_signs_keeps_them_among_fast_read_documents() -> None:
    # Documents around it take the fast path; this one is read line by line, with the same result.
    documents = [_incoming(amount=f"{n}.00", Номер=str(n)) for n in range(1, 6)]
    documents[2]["НазначениеПлатежа"] = "Оплата по сч. 5 =1500 руб= без НДС"
    statement = _only(_file(*documents, sections=(_section(closing="1015.00"),)))
    assert [line.amount for line in statement.lines] == [Decimal(n) for n in range(1, 6)]
    assert statement.lines[2].purpose == "Оплата по сч. 5 =1500 руб= без НДС"
    assert statement.lines[2].details["vat_text"] == "без НДС"
    assert statement.balance_gap() == 0
