"""The Russian payment order, form 0401060 (Bank of Russia Regulation 762-П, appendix 1 and 3), as a PDF.

Suppliers ask for "the payment order" as proof that money was sent. When nobody uploaded the
bank's scan, we draw the order from the payment-order fields the statement carried
(``BankTransaction.details``, see ``adapters.banks.base.PAYMENT_ORDER_KEYS``), on the
layout of the official form: the same blocks, in the same places, with the same captions and
field numbers' contents — so an accountant finds each requisite where they expect it:

* top: "Поступ. в банк плат." (62) and "Списано со сч. плат." (71), the form code box;
* "ПЛАТЕЖНОЕ ПОРУЧЕНИЕ №" (3), date (4), payment kind (5), payer status box (101);
* "Сумма прописью" (6);
* the grid: payer INN/KPP (60/102), payer (8) and account (9), amount (7); payer's bank (10),
  BIK (11), correspondent account (12); payee's bank (13), BIK (14), correspondent account
  (15); payee INN/KPP (61/103), payee (16) and account (17); operation type (18), payment term
  (19), purpose code (20), priority "Очер. плат." (21), code/УИН (22), reserved (23);
* the budget indicators (104–110), the purpose (24), signatures (43, 44) and bank marks (45).

Geometry is in millimetres from the top-left corner of the form's frame (A4, margins 20 mm
left, 10 mm right), following the printed form's proportions. What the statement did not
carry stays empty rather than invented, and a note at the bank marks says the document was
drawn by Sverka from the bank statement: it is not the bank's stamped copy.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

from services.notifier.documents.amount_words import figures, rubles_in_words
from services.notifier.documents.fonts import register_fonts

FORM_CODE = "0401060"
PAGE_W, PAGE_H = A4
LEFT, TOP = 20 * mm, 12 * mm
WIDTH = 180.0  # mm, the form's frame


@dataclass(frozen=True, slots=True)
class Party:
    """One side of the order (payer or payee) with its bank."""

    name: str = ""
    inn: str = ""
    kpp: str = ""
    account: str = ""
    bank_name: str = ""
    bank_bik: str = ""
    bank_corr_account: str = ""


@dataclass(frozen=True, slots=True)
class PaymentOrder:
    """Every field the form prints, as text (empty = not known)."""

    number: str
    date: date | None
    amount: Decimal
    payer: Party
    payee: Party
    purpose: str = ""
    payment_kind: str = ""  # field 5: электронно / срочно / …
    operation_kind: str = "01"  # field 18: 01 is the cipher of a payment order
    priority: str = ""  # field 21
    payment_term: str = ""  # field 19
    purpose_code: str = ""  # field 20
    uin: str = ""  # field 22 (Код)
    payer_status: str = ""  # field 101
    budget: tuple[str, str, str, str, str, str, str] = ("", "", "", "", "", "", "")  # fields 104-110
    received_by_bank: str = ""  # field 62
    debited: str = ""  # field 71
    bank_marks: tuple[str, ...] = field(default_factory=tuple)  # field 45
    currency: str = "RUB"

    @property
    def date_text(self) -> str:
        return self.date.strftime("%d.%m.%Y") if self.date else ""


class _Sheet:
    """Drawing in millimetres from the top-left of the form's frame."""

    def __init__(self, canvas: Canvas, regular: str, bold: str) -> None:
        self.c = canvas
        self.regular = regular
        self.bold = bold

    def _x(self, x: float) -> float:
        return float(LEFT + x * mm)

    def _y(self, y: float) -> float:
        return float(PAGE_H - TOP - y * mm)

    def hline(self, y: float, x0: float, x1: float) -> None:
        self.c.line(self._x(x0), self._y(y), self._x(x1), self._y(y))

    def vline(self, x: float, y0: float, y1: float) -> None:
        self.c.line(self._x(x), self._y(y0), self._x(x), self._y(y1))

    def box(self, x0: float, y0: float, x1: float, y1: float) -> None:
        self.c.rect(self._x(x0), self._y(y1), (x1 - x0) * mm, (y1 - y0) * mm)

    def text(self, x: float, y: float, value: str, size: float = 9, *, bold: bool = False) -> None:
        """``value`` with its baseline at ``y``."""
        self.c.setFont(self.bold if bold else self.regular, size)
        self.c.drawString(self._x(x), self._y(y), value)

    def centred(self, x0: float, x1: float, y: float, value: str, size: float = 9) -> None:
        self.c.setFont(self.regular, size)
        self.c.drawCentredString(self._x((x0 + x1) / 2), self._y(y), value)

    def paragraph(self, x0: float, x1: float, y0: float, y1: float, value: str, size: float = 9) -> None:
        """``value`` wrapped into the cell, shrinking the type until it fits (never cut off silently)."""
        width = (x1 - x0 - 2) * mm
        height = (y1 - y0 - 0.8) * mm
        lines: list[str] = []
        while size >= 5:
            lines = [ln for part in value.splitlines() for ln in simpleSplit(part, self.regular, size, width)]
            if len(lines) * size * 1.15 <= height:
                break
            size -= 0.5
        self.c.setFont(self.regular, size)
        leading = size * 1.15
        baseline = self._y(y0) - size
        for line in lines:
            self.c.drawString(self._x(x0 + 1), baseline, line)
            baseline -= leading


# Columns of the main grid (mm from the frame's left edge) and its row boundaries.
_KPP_X, _LABEL_X, _VALUE_X, _LABEL2_X, _VALUE2_X = 50.2, 100.3, 115.3, 135.3, 155.3
_ROWS = (0.0, 4.5, 14.5, 24.7, 29.2, 34.0, 38.9, 43.4, 48.3, 54.1, 58.6, 63.1, 72.9, 77.6, 82.3, 86.9)
_BUDGET_WIDTHS = (45.2, 30.0, 10.0, 25.1, 35.0, 25.0, 9.7)


def render_payment_order(order: PaymentOrder) -> bytes:
    """The order as a one-page A4 PDF."""
    regular, bold = register_fonts()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=True)
    canvas.setTitle(f"Платежное поручение № {order.number}")
    canvas.setAuthor("Sverka")
    canvas.setLineWidth(0.6)
    sheet = _Sheet(canvas, regular, bold)
    _header(sheet, order)
    _grid(sheet, order, top=39.9)
    _budget_and_purpose(sheet, order, top=39.9 + _ROWS[-1])
    _signatures(sheet, order, top=39.9 + _ROWS[-1] + 4.5 + 29.2)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _header(s: _Sheet, order: PaymentOrder) -> None:
    # Fields 62 and 71: dates the payer's bank received the order and debited the account.
    s.centred(0, 35.1, 3.8, order.received_by_bank)
    s.hline(4.5, 0, 35.1)
    s.centred(0, 35.1, 7.3, "Поступ. в банк плат.", 7)
    s.centred(47.6, 82.7, 3.8, order.debited)
    s.hline(4.5, 47.6, 82.7)
    s.centred(47.6, 82.7, 7.3, "Списано со сч. плат.", 7)
    s.box(165.0, 0, 180.0, 4.5)
    s.centred(165.0, 180.0, 3.4, FORM_CODE, 8)
    # Fields 3, 4, 5 and 101.
    s.text(0, 17.8, f"ПЛАТЕЖНОЕ ПОРУЧЕНИЕ № {order.number}", 11, bold=True)
    s.centred(90.0, 125.2, 17.8, order.date_text)
    s.hline(18.8, 90.0, 125.2)
    s.centred(90.0, 125.2, 21.8, "Дата", 7)
    s.centred(130.1, 165.2, 17.8, order.payment_kind)
    s.hline(18.8, 130.1, 165.2)
    s.centred(130.1, 165.2, 21.8, "Вид платежа", 7)
    s.box(172.0, 12.5, 180.0, 18.8)
    s.centred(172.0, 180.0, 17.0, order.payer_status)
    # Field 6: the amount in words.
    s.vline(20.2, 25.5, 39.9)
    s.text(1, 28.8, "Сумма", 8)
    s.text(1, 32.3, "прописью", 8)
    s.paragraph(20.2, WIDTH, 25.8, 39.9, rubles_in_words(order.amount) if order.currency == "RUB" else "")


def _grid(s: _Sheet, order: PaymentOrder, top: float) -> None:
    r = [top + row for row in _ROWS]
    s.hline(r[0], 0, WIDTH)
    s.vline(_LABEL_X, r[0], r[15])
    s.vline(_VALUE_X, r[0], r[15])
    # Left part: payer, payer's bank, payee's bank, payee.
    for y in (r[1], r[4], r[7], r[10], r[11], r[15]):
        s.hline(y, 0, _LABEL_X)
    s.vline(_KPP_X, r[0], r[1])
    s.vline(_KPP_X, r[10], r[11])
    payer, payee = order.payer, order.payee
    s.text(1, r[1] - 1.2, f"ИНН  {payer.inn}", 8.5)
    s.text(_KPP_X + 1, r[1] - 1.2, f"КПП  {payer.kpp}", 8.5)
    s.paragraph(0, _LABEL_X, r[1], r[3], payer.name)
    s.text(1, r[4] - 1.0, "Плательщик", 7)
    s.paragraph(0, _LABEL_X, r[4], r[6], payer.bank_name)
    s.text(1, r[7] - 1.0, "Банк плательщика", 7)
    s.paragraph(0, _LABEL_X, r[7], r[9], payee.bank_name)
    s.text(1, r[10] - 1.0, "Банк получателя", 7)
    s.text(1, r[11] - 1.2, f"ИНН  {payee.inn}", 8.5)
    s.text(_KPP_X + 1, r[11] - 1.2, f"КПП  {payee.kpp}", 8.5)
    s.paragraph(0, _LABEL_X, r[11], r[14], payee.name)
    s.text(1, r[15] - 1.0, "Получатель", 7)
    # Label column (Сумма, Сч. №, БИК …) and the values beside it.
    for y in (r[2], r[4], r[5], r[7], r[8], r[10], r[12], r[13], r[14], r[15]):
        s.hline(y, _LABEL_X, _VALUE_X)
    for y in (r[2], r[7], r[12], r[15]):
        s.hline(y, _VALUE_X, WIDTH)
    labels = (
        (r[0], "Сумма", figures(order.amount)),
        (r[2], "Сч. №", payer.account),
        (r[4], "БИК", payer.bank_bik),
        (r[5], "Сч. №", payer.bank_corr_account),
        (r[7], "БИК", payee.bank_bik),
        (r[8], "Сч. №", payee.bank_corr_account),
        (r[10], "Сч. №", payee.account),
    )
    for y, label, value in labels:
        s.text(_LABEL_X + 1, y + 3.3, label, 8)
        s.text(_VALUE_X + 1.5, y + 3.3, value, 9)
    # Operation type, payment term, purpose code, priority, code (УИН), reserved field.
    s.vline(_LABEL2_X, r[12], r[15])
    s.vline(_VALUE2_X, r[12], r[15])
    for y in (r[13], r[14]):
        s.hline(y, _LABEL2_X, _VALUE2_X)
    s.hline(r[15], _VALUE_X, WIDTH)
    small = (
        (r[12], "Вид оп.", order.operation_kind, "Срок плат.", order.payment_term),
        (r[13], "Наз. пл.", order.purpose_code, "Очер. плат.", order.priority),
        (r[14], "Код", order.uin, "Рез. поле", ""),
    )
    for y, label, value, label2, value2 in small:
        s.text(_LABEL_X + 1, y + 3.3, label, 8)
        s.text(_VALUE_X + 1.5, y + 3.3, value, 8.5)
        s.text(_LABEL2_X + 1, y + 3.3, label2, 8)
        s.text(_VALUE2_X + 1.5, y + 3.3, value2, 8.5)


def _budget_and_purpose(s: _Sheet, order: PaymentOrder, top: float) -> None:
    x = 0.0
    for width, value in zip(_BUDGET_WIDTHS, order.budget, strict=True):
        if x + width < WIDTH - 0.01:
            s.vline(x + width, top, top + 4.5)
        s.centred(x, x + width, top + 3.4, value, 8)
        x += width
    s.hline(top + 4.5, 0, WIDTH)
    # Field 24: the purpose, with the VAT clause as the statement carried it.
    s.paragraph(0, WIDTH, top + 5.0, top + 4.5 + 24.6, order.purpose)
    s.text(1, top + 4.5 + 24.6 + 3.4, "Назначение платежа", 7)
    s.hline(top + 4.5 + 29.2, 0, WIDTH)


def _signatures(s: _Sheet, order: PaymentOrder, top: float) -> None:
    s.centred(60.3, 120.4, top + 3.5, "Подписи", 8)
    s.centred(120.4, WIDTH, top + 3.5, "Отметки банка", 8)
    s.hline(top + 14.0, 62.0, 118.0)
    s.centred(0, 60.3, top + 18.0, "М.П.", 8)
    s.hline(top + 28.0, 62.0, 118.0)
    y = top + 7.5
    for line in order.bank_marks:
        for part in simpleSplit(line, s.regular, 7, 57 * mm):
            s.text(121.5, y, part, 7)
            y += 3.0
