"""A small, deterministic demo company: partners with valid INNs, contracts, receivables and payables."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from services.reconciler.billing.schemas import InvoiceIn

PARTNER_NAMES = (
    'ООО "Ромашка"',
    'АО "Вектор"',
    'ООО "СтройМонтаж"',
    'ООО "ТехноСервис"',
    'ПАО "Гранит"',
    'ООО "Меридиан"',
    'ООО "Nordic Parts"',
    'АО "Орион"',
    'ООО "Кристалл"',
    'ООО "Baltic Freight"',
)
SUPPLIER_COUNT = 3  # the last partners also sell to us


@dataclass(frozen=True)
class DemoPartner:
    name: str
    inn: str
    kpp: str
    account: str


def _inn10(rng: random.Random) -> str:
    digits = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(8)]
    weights = (2, 4, 10, 3, 5, 9, 4, 6, 8)
    check = sum(d * w for d, w in zip(digits, weights, strict=True)) % 11 % 10
    return "".join(map(str, [*digits, check]))


def demo_partners(seed: int = 2026) -> list[DemoPartner]:
    rng = random.Random(seed)
    partners = []
    for name in PARTNER_NAMES:
        inn = _inn10(rng)
        partners.append(DemoPartner(name, inn, inn[:4] + "01001", "40702810" + f"{rng.randint(0, 10**12 - 1):012d}"))
    return partners


def demo_invoices(today: date, seed: int = 2026) -> list[InvoiceIn]:
    """About forty invoices issued over the last month, a few from suppliers to us."""
    rng = random.Random(seed)
    partners = demo_partners(seed)
    invoices: list[InvoiceIn] = []
    for i, p in enumerate(partners):
        contract = f"Д-{100 + i}/2026"
        for _ in range(4):
            number = len(invoices) + 1
            issued = today - timedelta(days=rng.randint(3, 30))
            invoices.append(
                InvoiceIn(
                    invoice_no=f"INV-2026-{number:04d}",
                    invoice_date=issued,
                    due_date=issued + timedelta(days=14),
                    amount=Decimal(rng.randint(5_000, 400_000)) + Decimal(rng.randint(0, 99)) / 100,
                    currency="RUB",
                    contract_no=contract,
                    contract_date=today - timedelta(days=200),
                    partner_name=p.name,
                    partner_inn=p.inn,
                    partner_kpp=p.kpp,
                    partner_account=p.account,
                    direction="receivable",
                )
            )
    for j, p in enumerate(partners[-SUPPLIER_COUNT:]):
        for k in range(2):
            issued = today - timedelta(days=rng.randint(3, 20))
            invoices.append(
                InvoiceIn(
                    invoice_no=f"{j + 1}{k + 1:02d}",
                    invoice_date=issued,
                    due_date=issued + timedelta(days=10),
                    amount=Decimal(rng.randint(10_000, 150_000)),
                    currency="RUB",
                    contract_no=f"П-{j + 1:03d}",
                    partner_name=p.name,
                    partner_inn=p.inn,
                    partner_kpp=p.kpp,
                    partner_account=p.account,
                    direction="payable",
                )
            )
    return invoices
