"""What partners do in the demo: pay our invoices in the many ways people do, and we pay suppliers."""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from services.reconciler.demo.company import DemoPartner


@dataclass(frozen=True)
class DemoInvoice:
    number: str
    direction: str
    amount: Decimal
    outstanding: Decimal
    invoice_date: str
    contract_no: str | None
    partner: DemoPartner


@dataclass(frozen=True)
class DemoPayment:
    """A transaction to inject into the sandbox bank, and the story the demo tells about it."""

    story: str
    amount: Decimal  # signed from our account's view
    counterparty: DemoPartner
    purpose: str

    def as_sandbox_json(self) -> dict[str, Any]:
        return {
            "amount": str(self.amount),
            "purpose": self.purpose,
            "counterparty": {
                "name": self.counterparty.name,
                "inn": self.counterparty.inn,
                "kpp": self.counterparty.kpp,
                "account": self.counterparty.account,
            },
        }


def _vat(amount: Decimal) -> str:
    return f"{(amount * 20 / 120).quantize(Decimal('0.01'))}"


def next_payment(rng: random.Random, open_invoices: list[DemoInvoice]) -> DemoPayment | None:
    """One plausible bank movement, chosen among several habits of real payers."""
    receivables = [i for i in open_invoices if i.direction == "receivable"]
    payables = [i for i in open_invoices if i.direction == "payable"]
    roll = rng.random()
    if payables and roll < 0.15:
        inv = rng.choice(payables)
        return DemoPayment(
            f"we pay supplier {inv.partner.name} for their invoice {inv.number}",
            -inv.outstanding,
            inv.partner,
            f"Оплата по счету № {inv.number} от {inv.invoice_date}. Сумма {inv.outstanding}, в т.ч. НДС 20% "
            f"{_vat(inv.outstanding)}",
        )
    if not receivables:
        return None
    inv = rng.choice(receivables)
    digits = inv.number.rsplit("-", 1)[-1].lstrip("0")
    if roll < 0.45:
        return DemoPayment(
            f"{inv.partner.name} pays {inv.number}, quoting it exactly",
            inv.outstanding,
            inv.partner,
            f"Оплата по счету № {inv.number} от {inv.invoice_date}. В т.ч. НДС {_vat(inv.outstanding)}",
        )
    if roll < 0.65:
        return DemoPayment(
            f"{inv.partner.name} pays {inv.number}, written as 'сч. {digits}'",
            inv.outstanding,
            inv.partner,
            f"Опл. по сч. {digits} по дог. {inv.contract_no}, НДС не облагается",
        )
    if roll < 0.80:
        return DemoPayment(
            f"{inv.partner.name} pays {inv.number} with no reference at all",
            inv.outstanding,
            inv.partner,
            "Оплата за услуги",
        )
    half = (inv.outstanding / 2).quantize(Decimal("0.01"))
    return DemoPayment(
        f"{inv.partner.name} pays half of {inv.number}",
        half,
        inv.partner,
        f"Частичная оплата по счету {inv.number} от {inv.invoice_date}, аванс 50%",
    )
