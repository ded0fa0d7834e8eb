"""The documents themselves: the statement's sides and running balance, Cyrillic in the PDFs, a clear font error."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pypdf
import pytest

from services.notifier.documents import fonts
from services.notifier.documents.contract_statement import (
    AllocationRow,
    ContractStatement,
    InvoiceRow,
    build_entries,
    closing_sentence,
    render_csv,
    render_pdf,
)
from services.notifier.documents.fonts import FontMissing, find_fonts
from services.notifier.documents.payment_order import Party, PaymentOrder, render_payment_order

T0 = datetime(2026, 5, 1, tzinfo=UTC)


def _allocation(id_: int, invoice: InvoiceRow, amount: int, day: int, reversed_on: int | None = None) -> AllocationRow:
    return AllocationRow(
        id=id_,
        invoice_id=invoice.id,
        invoice_number=invoice.number,
        direction=invoice.direction,
        amount_minor=amount,
        currency="RUB",
        created_at=T0,
        reversed_at=datetime(2026, 5, reversed_on, tzinfo=UTC) if reversed_on else None,
        reversal_reason="wrong invoice" if reversed_on else None,
        transaction_id=100 + id_,
        bank_ref=f"REF{id_}",
        document_number=str(id_),
        booking_date=date(2026, 5, day),
    )


def _statement(language: str = "ru") -> ContractStatement:
    ours = InvoiceRow(1, "INV-1", "receivable", date(2026, 5, 2), T0, 1000_00, "RUB")
    theirs = InvoiceRow(2, "P-1", "payable", date(2026, 5, 3), T0, 300_00, "RUB")
    allocations = [
        _allocation(1, ours, 400_00, 5),
        _allocation(2, ours, 100_00, 6, reversed_on=7),
        _allocation(3, theirs, 300_00, 8),
    ]
    return ContractStatement(
        partner_name='ООО "Ромашка"',
        partner_inn="7701234567",
        contract_number="Д-1",
        contract_date=date(2026, 1, 1),
        company_name='ООО "Сверка"',
        language=language,
        as_of=T0,
        currency="RUB",
        entries=build_entries([ours, theirs], allocations, "RUB", language),
    )


def test_the_statement_runs_debit_minus_credit_with_reversals_on_the_other_side() -> None:
    s = _statement()
    assert [(e.on.day, e.entry, e.debit_minor, e.credit_minor, e.balance_minor) for e in s.entries] == [
        (2, "invoice", 1000_00, 0, 1000_00),  # we invoiced: the partner owes us
        (3, "invoice", 0, 300_00, 700_00),  # they invoiced us: we owe them
        (5, "payment", 0, 400_00, 300_00),
        (6, "payment", 0, 100_00, 200_00),
        (7, "reversal", 100_00, 0, 300_00),  # the allocation undone, on the other side
        (8, "payment", 300_00, 0, 600_00),  # our payment to them
    ]
    assert s.balance_minor == 600_00
    assert closing_sentence(s) == 'в пользу ООО "Сверка": ООО "Ромашка" должен 600,00 RUB'


def test_the_statement_csv_and_pdf_carry_the_same_entries_in_cyrillic() -> None:
    s = _statement()
    rows = list(csv.DictReader(io.StringIO(render_csv(s).decode("utf-8-sig"))))
    assert [r["balance"] for r in rows] == ["1000.00", "700.00", "300.00", "200.00", "300.00", "600.00"]
    assert rows[4]["document"] == "Отмена разнесения п/п № 2 по счёту № INV-1: wrong invoice"
    text = " ".join(pypdf.PdfReader(io.BytesIO(render_pdf(s))).pages[0].extract_text().split())
    for words in (
        "Выписка по договору № Д-1 от 01.01.2026",
        "Счёт № INV-1 от 02.05.2026",
        "Сальдо конечное",
        "Обороты",
    ):
        assert words in text, words
    english = " ".join(pypdf.PdfReader(io.BytesIO(render_pdf(_statement("en")))).pages[0].extract_text().split())
    assert "Contract statement" in english and "Closing balance" in english


def test_the_payment_order_prints_every_field_of_the_form() -> None:
    order = PaymentOrder(
        number="7",
        date=date(2026, 5, 20),
        amount=Decimal("2000.00"),
        payer=Party("Плательщик ООО", "7701234567", "770101001", "40702810000000000001", "Банк А", "044525225", "301"),
        payee=Party("Получатель АО", "5003012345", "500301001", "40702810000000000002", "Банк Б", "044525974", "302"),
        purpose="За товар, без НДС",
        priority="5",
        uin="0",
        payer_status="01",
        budget=("18210102010011000110", "45000000", "ТП", "МС.05.2026", "0", "0", ""),
    )
    text = " ".join(pypdf.PdfReader(io.BytesIO(render_payment_order(order))).pages[0].extract_text().split())
    for words in (
        "0401060",
        "ПЛАТЕЖНОЕ ПОРУЧЕНИЕ № 7",
        "20.05.2026",
        "Две тысячи рублей 00 копеек",
        "2000-00",
        "Плательщик ООО",
        "Получатель АО",
        "Банк плательщика",
        "Банк получателя",
        "БИК",
        "Вид оп. 01",
        "Очер. плат. 5",
        "18210102010011000110",
        "МС.05.2026",
        "За товар, без НДС",
        "Подписи",
        "Отметки банка",
        "М.П.",
    ):
        assert words in text, words


def test_a_missing_font_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(FontMissing, match="does not exist"):
        find_fonts(tmp_path / "nope.ttf")
    with monkeypatch.context() as m:
        m.setattr(fonts, "DEFAULT_DIRS", (tmp_path,))  # a machine without fonts-dejavu-core
        with pytest.raises(FontMissing, match="apt-get install fonts-dejavu-core"):
            find_fonts(None)
    assert find_fonts(None).regular.name.endswith(".ttf")  # DejaVu is installed where the tests run
