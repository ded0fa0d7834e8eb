"""The per-contract statement: every invoice, payment and allocation with the running balance, as PDF and CSV.

It is what a partner checks in a reconciliation act (акт сверки): each document on its date,
on the debit or credit side, and the balance after it. The sides are ours, as in our ledger:

* an invoice we issued (receivable) is a **debit** — the partner owes us more;
* a payment received against it is a **credit**;
* an invoice a supplier issued to us (payable) is a **credit** — we owe more;
* our payment against it is a **debit**;
* a reversed allocation appears twice: as booked, and as its reversal on the other side.

So the balance (debit − credit) is positive when the partner owes us and negative when we owe
the partner. Only allocations that move money count (auto, confirmed, manual); suggestions
never appear. Each currency is its own statement: amounts of different currencies never add.
This module is pure (no database): :mod:`services.notifier.documents.service` loads the rows.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from services.notifier.documents.fonts import register_fonts
from shared.money import format_amount

CSV_COLUMNS = (
    "date",
    "entry",
    "document",
    "invoice_no",
    "bank_ref",
    "debit",
    "credit",
    "balance",
    "currency",
)


@dataclass(frozen=True, slots=True)
class InvoiceRow:
    id: int
    number: str
    direction: str  # receivable | payable
    invoice_date: date | None
    created_at: datetime
    amount_minor: int
    currency: str


@dataclass(frozen=True, slots=True)
class AllocationRow:
    id: int
    invoice_id: int
    invoice_number: str
    direction: str  # of the invoice
    amount_minor: int
    currency: str
    created_at: datetime
    reversed_at: datetime | None
    reversal_reason: str | None
    transaction_id: int
    bank_ref: str | None
    document_number: str | None
    booking_date: date | None


@dataclass(frozen=True, slots=True)
class Entry:
    on: date
    entry: str  # invoice | payment | reversal
    document: str
    invoice_no: str
    bank_ref: str
    debit_minor: int
    credit_minor: int
    balance_minor: int
    currency: str
    transaction_id: int | None = None


@dataclass(frozen=True, slots=True)
class ContractStatement:
    partner_name: str
    partner_inn: str | None
    contract_number: str | None  # None: the partner's invoices under no contract
    contract_date: date | None
    company_name: str
    language: str
    as_of: datetime
    currency: str
    entries: tuple[Entry, ...]

    @property
    def debit_minor(self) -> int:
        return sum(e.debit_minor for e in self.entries)

    @property
    def credit_minor(self) -> int:
        return sum(e.credit_minor for e in self.entries)

    @property
    def balance_minor(self) -> int:
        return self.debit_minor - self.credit_minor


_TEXT = {
    "ru": {
        "title": "Выписка по договору",
        "no_contract": "Счета вне договоров",
        "partner": "Контрагент",
        "inn": "ИНН",
        "company": "Организация",
        "as_of": "По состоянию на",
        "currency": "Валюта",
        "head": ("Дата", "Документ", "Дебет", "Кредит", "Сальдо"),
        "totals": "Обороты",
        "closing": "Сальдо конечное",
        "owes_us": "в пользу {company}: {partner} должен {amount}",
        "we_owe": "в пользу {partner}: {company} должен {amount}",
        "settled": "задолженность отсутствует",
        "invoice_issued": "Счёт № {number} от {date}",
        "invoice_received": "Счёт поставщика № {number} от {date}",
        "payment_in": "Оплата п/п № {doc} от {date} по счёту № {number}",
        "payment_out": "Наша оплата п/п № {doc} от {date} по счёту № {number}",
        "reversal": "Отмена разнесения п/п № {doc} по счёту № {number}",
        "sides": "Дебет — счета, выставленные нами, и наши оплаты; кредит — оплаты контрагента и его счета.",
        "from": "от",
    },
    "en": {
        "title": "Contract statement",
        "no_contract": "Invoices under no contract",
        "partner": "Partner",
        "inn": "INN",
        "company": "Company",
        "as_of": "As of",
        "currency": "Currency",
        "head": ("Date", "Document", "Debit", "Credit", "Balance"),
        "totals": "Turnover",
        "closing": "Closing balance",
        "owes_us": "in favour of {company}: {partner} owes {amount}",
        "we_owe": "in favour of {partner}: {company} owes {amount}",
        "settled": "nothing is owed",
        "invoice_issued": "Invoice {number} of {date}",
        "invoice_received": "Supplier invoice {number} of {date}",
        "payment_in": "Payment order {doc} of {date} for invoice {number}",
        "payment_out": "Our payment order {doc} of {date} for invoice {number}",
        "reversal": "Allocation of payment {doc} to invoice {number} reversed",
        "sides": "Debit: invoices we issued and our payments; credit: the partner's payments and invoices.",
        "from": "of",
    },
}


def texts(language: str) -> dict[str, str | tuple[str, ...]]:
    return _TEXT.get(language, _TEXT["ru"])  # type: ignore[return-value]


def _t(language: str, key: str) -> str:
    value = texts(language)[key]
    assert isinstance(value, str)
    return value


def _day(value: date | None) -> str:
    return value.strftime("%d.%m.%Y") if value else "—"


def build_entries(
    invoices: list[InvoiceRow], allocations: list[AllocationRow], currency: str, language: str
) -> tuple[Entry, ...]:
    """The statement's lines in date order with the running balance (pure; see the module's sign rules)."""
    raw: list[tuple[date, int, int, Entry]] = []
    for inv in invoices:
        if inv.currency != currency:
            continue
        on = inv.invoice_date or inv.created_at.date()
        key = "invoice_issued" if inv.direction == "receivable" else "invoice_received"
        debit, credit = (inv.amount_minor, 0) if inv.direction == "receivable" else (0, inv.amount_minor)
        text = _t(language, key).format(number=inv.number, date=_day(inv.invoice_date))
        raw.append((on, 0, inv.id, Entry(on, "invoice", text, inv.number, "", debit, credit, 0, currency)))
    for a in allocations:
        if a.currency != currency:
            continue
        on = a.booking_date or a.created_at.date()
        doc = a.document_number or a.bank_ref or str(a.transaction_id)
        key = "payment_in" if a.direction == "receivable" else "payment_out"
        debit, credit = (0, a.amount_minor) if a.direction == "receivable" else (a.amount_minor, 0)
        text = _t(language, key).format(doc=doc, date=_day(a.booking_date), number=a.invoice_number)
        bank_ref = a.bank_ref or ""
        raw.append(
            (
                on,
                1,
                a.id,
                Entry(on, "payment", text, a.invoice_number, bank_ref, debit, credit, 0, currency, a.transaction_id),
            )
        )
        if a.reversed_at is not None:
            back = a.reversed_at.date()
            text = _t(language, "reversal").format(doc=doc, number=a.invoice_number)
            if a.reversal_reason:
                text = f"{text}: {a.reversal_reason}"
            raw.append(
                (
                    back,
                    2,
                    a.id,
                    Entry(back, "reversal", text, a.invoice_number, bank_ref, credit, debit, 0, currency),
                )
            )
    raw.sort(key=lambda item: (item[0], item[1], item[2]))
    balance = 0
    entries: list[Entry] = []
    for _, _, _, e in raw:
        balance += e.debit_minor - e.credit_minor
        entries.append(
            Entry(
                e.on,
                e.entry,
                e.document,
                e.invoice_no,
                e.bank_ref,
                e.debit_minor,
                e.credit_minor,
                balance,
                currency,
                e.transaction_id,
            )
        )
    return tuple(entries)


def render_csv(statement: ContractStatement) -> bytes:
    """UTF-8 with a BOM (so spreadsheet programs read the Cyrillic right); amounts as plain decimals."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for e in statement.entries:
        writer.writerow(
            [
                e.on.isoformat(),
                e.entry,
                e.document,
                e.invoice_no,
                e.bank_ref,
                format_amount(e.debit_minor, e.currency) if e.debit_minor else "",
                format_amount(e.credit_minor, e.currency) if e.credit_minor else "",
                format_amount(e.balance_minor, e.currency),
                e.currency,
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _money(minor: int, currency: str) -> str:
    text = format_amount(abs(minor), currency)
    whole, _, frac = text.partition(".")
    grouped = f"{int(whole):,}".replace(",", "\u00a0")
    sign = "−" if minor < 0 else ""
    return f"{sign}{grouped},{frac}" if frac else f"{sign}{grouped}"


def closing_sentence(statement: ContractStatement) -> str:
    lang = statement.language
    amount = f"{_money(abs(statement.balance_minor), statement.currency)} {statement.currency}"
    company = statement.company_name or "—"
    if statement.balance_minor > 0:
        return _t(lang, "owes_us").format(company=company, partner=statement.partner_name, amount=amount)
    if statement.balance_minor < 0:
        return _t(lang, "we_owe").format(company=company, partner=statement.partner_name, amount=amount)
    return _t(lang, "settled")


def render_pdf(statement: ContractStatement) -> bytes:
    """An A4 statement: heading, the table of entries with the running balance, turnover and closing balance."""
    regular, bold = register_fonts()
    lang = statement.language
    t = texts(lang)
    base = ParagraphStyle("base", fontName=regular, fontSize=8.5, leading=10.5)
    title = ParagraphStyle("title", parent=base, fontName=bold, fontSize=13, leading=16)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=f"{t['title']} {statement.contract_number or ''}".strip(),
        author="Sverka",
        invariant=True,
    )
    if statement.contract_number:
        heading = f"{t['title']} № {statement.contract_number}"
        if statement.contract_date:
            heading += f" {t['from']} {_day(statement.contract_date)}"
    else:
        heading = str(t["no_contract"])
    partner_line = f"{t['partner']}: {statement.partner_name}, {t['inn']} {statement.partner_inn or '—'}"
    story: list[object] = [
        Paragraph(_escape(heading), title),
        Spacer(1, 2 * mm),
        Paragraph(_escape(partner_line), base),
        Paragraph(_escape(f"{t['company']}: {statement.company_name or '—'}"), base),
        Paragraph(
            _escape(f"{t['as_of']}: {statement.as_of:%d.%m.%Y %H:%M} UTC. {t['currency']}: {statement.currency}"),
            base,
        ),
        Spacer(1, 3 * mm),
    ]
    head = t["head"]
    assert isinstance(head, tuple)
    rows: list[list[object]] = [list(head)]
    for e in statement.entries:
        rows.append(
            [
                _day(e.on),
                Paragraph(_escape(e.document), base),
                _money(e.debit_minor, e.currency) if e.debit_minor else "",
                _money(e.credit_minor, e.currency) if e.credit_minor else "",
                _money(e.balance_minor, e.currency),
            ]
        )
    rows.append(
        [
            "",
            t["totals"],
            _money(statement.debit_minor, statement.currency),
            _money(statement.credit_minor, statement.currency),
            _money(statement.balance_minor, statement.currency),
        ]
    )
    table = Table(rows, colWidths=[20 * mm, 92 * mm, 24 * mm, 24 * mm, 23 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), regular, 8.5),
                ("FONT", (0, 0), (-1, 0), bold, 8.5),
                ("FONT", (0, -1), (-1, -1), bold, 8.5),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                ("ALIGN", (2, 0), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story += [
        table,
        Spacer(1, 3 * mm),
        Paragraph(_escape(f"{t['closing']}: {closing_sentence(statement)}"), base),
        Spacer(1, 2 * mm),
        Paragraph(_escape(str(t["sides"])), base),
    ]
    doc.build(story)
    return buffer.getvalue()


def _escape(text: str) -> str:
    """Paragraph takes mini-HTML: names like ООО "А&Б" must not be read as markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
