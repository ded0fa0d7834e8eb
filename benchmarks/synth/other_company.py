"""An unseen world: another company's invoices and bank lines, written independently of gen_bench.

The matcher's quality benchmark (``shared/bench/gen_bench.py``) is one company's habits: one
numbering scheme, four purpose templates, amounts with random kopecks. A matcher tuned to it can
still misread everyone else. This generator is a different company, «Кедровый Двор», a
wholesaler with services and export, whose customers write the way real ones do:

* our own numbers in four series: goods ``СЧ-2026/0042``, monthly services ``42/11`` (serial /
  month), advance invoices ``А-17``, export ``INV2026-00042`` (EUR); suppliers number theirs as
  they like (``118``, ``УТ-000118``, ``00БП-000118``, ``118/26``), and repeat each other's;
* contracts ``Д-15/2025``, ``7-П`` (written "№ 7-П от 01.03.2025"), ``ДП-007/25``;
* purposes full of numbers that are no invoice: dates, sums written ``12000-00``, VAT, the
  contract's number, the customer's own order number, a salary register's number;
* recurring service invoices of one price (two open invoices of one amount are common);
* payers' names as their banks spell them (``ООО "РОМАШКА-ЮГ"``, the full legal form, Latin
  transliteration), lines without INN, other accounts than the directory knows, third parties
  paying for a partner (by INN, or only by name);
* money that is no invoice payment: bank fees, salaries, taxes, loans, refunds, interest.

It writes the files the flow imports — ``invoices.csv`` (the columns ``sverka import-invoices``
reads), ``statement_rub.xml`` and ``statement_eur.xml`` (camt.053.001.02) — and ``truth.csv`` in
the format ``shared/bench/score.py`` reads (``bank_ref,invoice_no,amount,scenario``; empty
invoice = must stay unallocated, ``?`` = must go to review). Deterministic for a seed.

    python -m benchmarks.synth.other_company --out DIR [--seed 1] [--invoices 3000] [--partners 200]

Lines are written in the order the money arrived (the matcher decides in booking-date order, and
the truth of "the only open invoice of this amount" depends on what was paid before).
"""

from __future__ import annotations

import argparse
import csv
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

CENT = Decimal("0.01")
PERIOD_START = date(2026, 10, 1)
PERIOD_DAYS = 88
ISSUE_FROM = date(2026, 8, 20)

OURS = {
    "name": "ООО «Кедровый Двор»",
    "inn": "7816385247",
    "rub": "40702810455000077123",
    "eur": "40702978855000000456",
}
BANK = {"name": "ПАО «Банк Санкт-Петербург»", "inn": "7831000027", "account": "30101810900000000790"}
TREASURY = {"name": "УФК по г. Санкт-Петербургу (Межрайонная ИФНС России № 15)", "inn": "7842000011"}

_ROOTS = (
    "Ромашка", "Берёзка", "Техснаб", "Промресурс", "Северный Путь", "Альянс", "Гелиос", "Стройкомплект",
    "Медтехника", "Агроинвест", "Волга-Транс", "Уралмет", "Сибирский Лес", "Инфосфера", "Колос",
    "Невские Берега", "Балтпродукт", "Лесторг", "Энергоучёт", "Арктика",
)  # fmt: skip
_TRANSLIT = {
    "Ромашка": "Romashka", "Берёзка": "Berezka", "Техснаб": "Tekhsnab", "Промресурс": "Promresurs",
    "Северный Путь": "Severny Put", "Альянс": "Alyans", "Гелиос": "Gelios", "Стройкомплект": "Stroykomplekt",
    "Медтехника": "Medtekhnika", "Агроинвест": "Agroinvest", "Волга-Транс": "Volga-Trans", "Уралмет": "Uralmet",
    "Сибирский Лес": "Sibirsky Les", "Инфосфера": "Infosfera", "Колос": "Kolos", "Невские Берега": "Nevskie Berega",
    "Балтпродукт": "Baltprodukt", "Лесторг": "Lestorg", "Энергоучёт": "Energouchet", "Арктика": "Arktika",
}  # fmt: skip
_QUALIFIERS = ("", "-Юг", " Плюс", " СПб", "-Сервис", " Групп", "-М", " Северо-Запад")
_PEOPLE = ("Ковалёв Сергей Петрович", "Смирнова Анна Игоревна", "Гусейнов Рамиль Акифович", "Белова Ольга Викторовна",
           "Тихонов Дмитрий Олегович", "Ли Виктор Сергеевич")  # fmt: skip
_FOREIGN = ("Nordwind Handel GmbH", "Blue Harbor Trading Ltd", "Kestrel Logistics Oy", "Helix Components B.V.",
            "Pinecrest Foods AB", "Atlas Marine SIA")  # fmt: skip
_GOODS = ("товары", "пиломатериалы", "комплектующие", "продукты питания", "упаковку", "крепёж", "ЛКМ")
_SERVICES = ("услуги хранения", "транспортно-экспедиционные услуги", "обслуживание склада", "аренду стеллажей")
_PRICE_LIST = tuple(Decimal(x) for x in ("4900", "12000", "15000", "24500", "36000", "48000", "60000", "120000"))


def _check_digit(digits: list[int], weights: tuple[int, ...]) -> int:
    return sum(d * w for d, w in zip(digits, weights, strict=False)) % 11 % 10


def company_inn(rng: random.Random) -> str:
    """A ten-digit INN with a valid check digit (a legal entity)."""
    d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(8)]
    return "".join(map(str, [*d, _check_digit(d, (2, 4, 10, 3, 5, 9, 4, 6, 8))]))


def person_inn(rng: random.Random) -> str:
    """A twelve-digit INN with both check digits (a sole trader)."""
    d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(9)]
    d.append(_check_digit(d, (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)))
    d.append(_check_digit(d, (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)))
    return "".join(map(str, d))


def rub(x: Decimal) -> str:
    """A sum as 1C users type it in purposes: 12 000-00 or 12000.00 or 12 000,00."""
    return f"{x:.2f}"


@dataclass
class Partner:
    kind: str  # "org" | "sole" | "foreign"
    root: str
    name: str  # as in our directory
    inn: str  # empty for foreign partners
    kpp: str
    account: str
    other_account: str  # an account the directory does not know
    habit: int  # how this partner writes purposes (index into the phrasing choices)
    contracts: list[Contract] = field(default_factory=list)


@dataclass
class Contract:
    number: str
    spoken: str  # how people cite it: "№ 7-П от 01.03.2025"
    signed: date
    partner: Partner


@dataclass
class Invoice:
    number: str
    series: str  # goods | services | advance | export | payable
    serial: int
    issued: date
    amount: Decimal
    currency: str
    contract: Contract
    direction: str = "receivable"
    open: Decimal = Decimal(0)

    @property
    def partner(self) -> Partner:
        return self.contract.partner


@dataclass
class Line:
    ref: str
    day: date
    amount: Decimal  # positive
    currency: str
    credit: bool
    name: str
    inn: str
    account: str
    purpose: str


class World:
    """Partners, contracts, invoices and the statement lines, with the truth of every line."""

    def __init__(self, seed: int, invoices: int, partners: int) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
        self.partners: list[Partner] = []
        self.invoices: list[Invoice] = []
        self.lines: list[Line] = []
        self.truth: list[tuple[str, str, Decimal, str]] = []
        # The rest of a part payment, due later: (day, partner, invoice, amount, purpose).
        self.pending: list[tuple[date, Partner, Invoice, Decimal, str]] = []
        self._serials: dict[str, int] = defaultdict(int)
        self._month_serials: dict[int, int] = defaultdict(int)
        self._refs = 0
        self._make_partners(partners)
        self._make_invoices(invoices)

    # --- the directory ------------------------------------------------------------------

    def _make_partners(self, count: int) -> None:
        rng = self.rng
        names: set[str] = set()
        while len(self.partners) < count:
            roll = rng.random()
            if roll < 0.08:
                kind, root = "foreign", rng.choice(_FOREIGN)
                name = root if root not in names else f"{root} {rng.choice(('II', 'Nord', 'Süd', 'East'))}"
                inn, kpp = "", ""
                account = f"DE{rng.randint(10, 99)}{rng.randint(10**17, 10**18 - 1)}"
                other = f"FI{rng.randint(10, 99)}{rng.randint(10**13, 10**14 - 1)}"
            elif roll < 0.2:
                kind, root = "sole", rng.choice(_PEOPLE)
                name = f"ИП {root}"
                inn, kpp = person_inn(rng), ""
                account = f"40802810{rng.randint(10**11, 10**12 - 1)}"
                other = f"40802810{rng.randint(10**11, 10**12 - 1)}"
            else:
                kind = "org"
                root = rng.choice(_ROOTS) + rng.choice(_QUALIFIERS)
                name = f"{rng.choice(('ООО', 'ООО', 'ООО', 'АО', 'ПАО'))} «{root}»"
                inn = company_inn(rng)
                kpp = f"78{rng.randint(10, 99)}01001"
                account = f"40702810{rng.randint(10**11, 10**12 - 1)}"
                other = f"40702810{rng.randint(10**11, 10**12 - 1)}"
            if name in names:
                continue
            names.add(name)
            self.partners.append(Partner(kind, root, name, inn, kpp, account, other, rng.randrange(6)))
        for p in self.partners:
            for _ in range(rng.choice((1, 1, 1, 2))):
                self._contract(p)

    def _contract(self, p: Partner) -> Contract:
        rng = self.rng
        signed = date(rng.choice((2024, 2025, 2025, 2026)), rng.randint(1, 12), rng.randint(1, 28))
        style = rng.randrange(3)
        n = rng.randint(1, 240)
        if style == 0:
            number = f"Д-{n}/{signed.year}"
        elif style == 1:
            number = f"{n}-П"
        else:
            number = f"ДП-{n:03d}/{signed.year % 100}"
        spoken = f"№ {number} от {signed:%d.%m.%Y}"
        c = Contract(number, spoken, signed, p)
        p.contracts.append(c)
        return c

    # --- the invoices -------------------------------------------------------------------

    def _make_invoices(self, count: int) -> None:
        rng = self.rng
        customers = [p for p in self.partners if rng.random() < 0.8]
        suppliers = [p for p in self.partners if p.kind != "foreign" and rng.random() < 0.3]
        span = (PERIOD_START + timedelta(days=PERIOD_DAYS - 10) - ISSUE_FROM).days
        payable_share = 0.18
        # Service customers are billed every month at one price: the same amount, again and again.
        subscriptions = {p.name: rng.choice(_PRICE_LIST) for p in customers if rng.random() < 0.35}
        supplier_style = {p.name: rng.randrange(4) for p in suppliers}
        supplier_next = {p.name: rng.randint(1, 400) for p in suppliers}
        while len(self.invoices) < count:
            issued = ISSUE_FROM + timedelta(days=rng.randrange(span))
            if suppliers and rng.random() < payable_share:
                sup = rng.choice(suppliers)
                k = supplier_next[sup.name]
                supplier_next[sup.name] = k + rng.choice((1, 1, 2, 5))
                style = supplier_style[sup.name]
                number = (str(k), f"УТ-{k:06d}", f"00БП-{k:06d}", f"{k}/{issued.year % 100}")[style]
                amount = Decimal(rng.randint(800, 450_000)) + Decimal(rng.randint(0, 99)) / 100
                c = sup.contracts[0]
                self._add(Invoice(number, "payable", k, issued, amount, "RUB", c, direction="payable"))
                continue
            p = rng.choice(customers)
            c = rng.choice(p.contracts)
            if p.kind == "foreign":
                self._serials["export"] += 1
                k = self._serials["export"]
                amount = Decimal(rng.randint(400, 60_000)) + Decimal(rng.choice((0, 0, 50, rng.randint(1, 99)))) / 100
                self._add(Invoice(f"INV{issued.year}-{k:05d}", "export", k, issued, amount, "EUR", c))
            elif p.name in subscriptions and rng.random() < 0.7:
                self._month_serials[issued.month] += 1
                k = self._month_serials[issued.month]
                self._add(Invoice(f"{k}/{issued.month:02d}", "services", k, issued, subscriptions[p.name], "RUB", c))
            elif rng.random() < 0.1:
                self._serials["advance"] += 1
                k = self._serials["advance"]
                amount = Decimal(rng.randint(10, 500) * 1000)
                self._add(Invoice(f"А-{k}", "advance", k, issued, amount, "RUB", c))
            else:
                self._serials["goods"] += 1
                k = self._serials["goods"]
                amount = Decimal(rng.randint(1_500, 2_500_000)) + Decimal(rng.randint(0, 99)) / 100
                self._add(Invoice(f"СЧ-{issued.year}/{k:04d}", "goods", k, issued, amount, "RUB", c))
        self.invoices.sort(key=lambda i: i.issued)

    def _add(self, inv: Invoice) -> None:
        inv.open = inv.amount
        self.invoices.append(inv)

    # --- bank lines ---------------------------------------------------------------------

    def line(
        self,
        day: date,
        amount: Decimal,
        purpose: str,
        *,
        credit: bool = True,
        currency: str = "RUB",
        name: str,
        inn: str,
        account: str,
    ) -> Line:
        self._refs += 1
        ref = f"KD{day:%y%m%d}{self._refs:06d}"
        ln = Line(ref, day, amount, currency, credit, name, inn, account, purpose)
        self.lines.append(ln)
        return ln

    def from_partner(
        self, p: Partner, day: date, amount: Decimal, purpose: str, *, currency: str = "RUB", anonymous: bool = False
    ) -> Line:
        """A payment as the partner's bank reports it: its name spelled its bank's way.

        ``anonymous``: no INN and an account our directory does not know (a foreign bank, a new
        account): only the name tells who paid.
        """
        name = self.spelled(p)
        if anonymous or p.kind == "foreign":
            return self.line(day, amount, purpose, currency=currency, name=name, inn="", account=p.other_account)
        return self.line(day, amount, purpose, currency=currency, name=name, inn=p.inn, account=p.account)

    def spelled(self, p: Partner) -> str:
        rng = self.rng
        if p.kind == "foreign":
            return rng.choice((p.name.upper(), p.name, f"{p.name}, {rng.choice(('Hamburg', 'Espoo', 'Riga'))}"))
        if p.kind == "sole":
            fio = p.root.replace("ё", "е")
            return rng.choice((f"ИП {fio}", f"Индивидуальный предприниматель {fio}", f"{fio.upper()} (ИП)"))
        form = p.name.split(" ", 1)[0]
        full = {"ООО": "Общество с ограниченной ответственностью", "АО": "Акционерное общество"}.get(form, form)
        latin = _TRANSLIT.get(p.root.split("-")[0].split(" Плюс")[0].split(" СПб")[0], p.root)
        return rng.choice(
            (
                f'{form} "{p.root.upper()}"',
                f'{full} "{p.root}"',
                f"{p.root} {form}",
                p.name,
                f"{latin} LLC",
            )
        )

    def record(self, ln: Line, inv: Invoice | None, amount: Decimal, scenario: str, *, unsure: bool = False) -> None:
        number = "?" if unsure else (inv.number if inv else "")
        self.truth.append((ln.ref, number, amount, scenario))

    # --- lookups over the open book ----------------------------------------------------

    def open_of(self, p: Partner, direction: str = "receivable") -> list[Invoice]:
        return [i for i in self.invoices if i.partner is p and i.direction == direction and i.open > 0]

    def same_amount(self, inv: Invoice, amount: Decimal) -> list[Invoice]:
        return [i for i in self.open_of(inv.partner, inv.direction) if i is not inv and i.open == amount]


# --- how people write ----------------------------------------------------------------------


def vat_clause(rng: random.Random, amount: Decimal) -> str:
    vat = (amount * 20 / 120).quantize(CENT)
    whole, kop = f"{vat:.2f}".split(".")
    return rng.choice(
        (
            f"в т.ч. НДС 20% {vat:.2f} руб.",
            f"в том числе НДС (20%) - {whole}-{kop}",
            "НДС не облагается",
            "Без налога (НДС)",
            f"НДС 20%: {whole} руб. {kop} коп.",
        )
    )


def sum_clause(rng: random.Random, amount: Decimal) -> str:
    whole, kop = f"{amount:.2f}".split(".")
    spaced = f"{int(whole):,}".replace(",", " ")
    return rng.choice((f"Сумма {whole}-{kop}", f"на сумму {spaced},{kop} руб.", f"сумма {whole}.{kop}", ""))


def short_number(inv: Invoice) -> str:
    """The number as customers shorten it: the serial, or the serial with its month."""
    if inv.series == "services":
        return inv.number  # "42/11": the month is part of how it is said
    if inv.series == "advance":
        return inv.number if inv.serial % 2 else str(inv.serial)
    return str(inv.serial)


def loose_number(rng: random.Random, inv: Invoice) -> str:
    """The number written carelessly but completely."""
    y = inv.issued.year
    if inv.series == "goods":
        return rng.choice(
            (f"СЧ{y}/{inv.serial:04d}", f"сч-{y}-{inv.serial}", f"{y}/{inv.serial:04d}", f"СЧ {inv.serial:04d}")
        )
    if inv.series == "export":
        return rng.choice((f"INV {y}-{inv.serial}", f"inv{y}{inv.serial:05d}", f"INV-{y}-{inv.serial:05d}"))
    if inv.series == "services":
        return rng.choice((f"{inv.serial}/{inv.issued.month}", f"№{inv.serial}/{inv.issued.month:02d}"))
    return rng.choice((f"A{inv.serial}", f"А {inv.serial}", f"а-{inv.serial}"))


def invoice_purpose(rng: random.Random, p: Partner, inv: Invoice, ref: str, amount: Decimal, with_date: bool) -> str:
    when = f" от {inv.issued:%d.%m.%Y}" if with_date else ""
    if p.kind == "foreign":
        return rng.choice(
            (
                f"Payment for invoice {ref}{' dated ' + inv.issued.isoformat() if with_date else ''}",
                f"INVOICE {ref} / {inv.contract.number}",
                f"Inv. no. {ref}, our order PO-{rng.randint(10000, 99999)}",
                f"/RFB/{ref}",
            )
        )
    what = rng.choice(_SERVICES if inv.series == "services" else _GOODS)
    c = inv.contract
    forms = (
        f"Оплата по сч. № {ref}{when} за {what}, {vat_clause(rng, amount)}",
        f"Опл. с/ф {ref} по дог. {c.number}. {vat_clause(rng, amount)}",
        f"Оплата по счету {ref}{when} по договору {c.spoken}. {sum_clause(rng, amount)} {vat_clause(rng, amount)}",
        f"Оплата за {what} согл. сч.{ref}{when} {vat_clause(rng, amount)}",
        f"({rng.choice(('ВО', 'VO'))}10100) Оплата по счету №{ref}. {vat_clause(rng, amount)}",
        f"Счет {ref}{when}. Оплата за {what} по договору {c.number} {sum_clause(rng, amount)}",
    )
    return forms[p.habit % len(forms)] if rng.random() < 0.7 else rng.choice(forms)


def list_purpose(rng: random.Random, p: Partner, refs: list[str], amount: Decimal) -> str:
    joined = ", ".join(refs[:-1]) + f" и {refs[-1]}"
    if p.kind == "foreign":
        return f"Payment of invoices {', '.join(refs)}"
    return rng.choice(
        (
            f"Оплата по сч. {joined}. {vat_clause(rng, amount)}",
            f"Оплата счетов № {'; '.join(refs)} {vat_clause(rng, amount)}",
            f"Опл. по счетам {joined} {sum_clause(rng, amount)}",
        )
    )


def plain_purpose(rng: random.Random, p: Partner, inv: Invoice, amount: Decimal) -> str:
    if p.kind == "foreign":
        return rng.choice(("Payment", "Goods delivery October", f"Contract {inv.contract.number}"))
    month = ("январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь", "октябрь", "ноябрь",
             "декабрь")[inv.issued.month - 1]  # fmt: skip
    return rng.choice(
        (
            f"Оплата за {rng.choice(_SERVICES)} за {month} {inv.issued.year} г. {vat_clause(rng, amount)}",
            f"Оплата за {rng.choice(_GOODS)} {vat_clause(rng, amount)}",
            "Оплата по УПД",
            f"Оплата по акту сверки. {sum_clause(rng, amount)}",
        )
    )


# --- scenarios: each makes the lines of one event and their truth ------------------------

Scenario = Callable[[World, date], None]


def _pick(world: World, day: date, test: Callable[[Invoice], bool]) -> Invoice | None:
    """An open, never-paid invoice issued before ``day`` that passes ``test``; oldest likelier."""
    pool = [i for i in world.invoices if i.open == i.amount and i.issued < day and test(i)]
    if not pool:
        return None
    return pool[min(int(world.rng.expovariate(1 / 40)), len(pool) - 1)]


def _receivable(kinds: tuple[str, ...] = ("org", "sole", "foreign")) -> Callable[[Invoice], bool]:
    return lambda i: i.direction == "receivable" and i.partner.kind in kinds


def _settle(world: World, ln: Line, inv: Invoice, alloc: Decimal, scenario: str) -> None:
    inv.open -= alloc
    world.record(ln, inv, alloc, scenario)


def sc_full_number(world: World, day: date) -> None:
    inv = _pick(world, day, _receivable())
    if inv is None:
        return
    p, rng = inv.partner, world.rng
    ln = world.from_partner(
        p, day, inv.open, invoice_purpose(rng, p, inv, inv.number, inv.open, rng.random() < 0.5), currency=inv.currency
    )
    _settle(world, ln, inv, inv.open, "full_number")


def sc_short_number(world: World, day: date) -> None:
    """ "Оплата по сч. № 42 от 12.11.2026": the serial only (a person knows which 42 by the payer)."""
    inv = _pick(world, day, _receivable(("org", "sole")))
    if inv is None:
        return
    p, rng = inv.partner, world.rng
    ref = short_number(inv)
    ln = world.from_partner(p, day, inv.open, invoice_purpose(rng, p, inv, ref, inv.open, rng.random() < 0.6))
    twins = [i for i in world.same_amount(inv, inv.open) if short_number(i) == ref]
    if twins:
        world.record(ln, inv, inv.open, "short_number", unsure=True)
        inv.open = Decimal(0)
        return
    _settle(world, ln, inv, inv.open, "short_number")


def sc_loose_number(world: World, day: date) -> None:
    inv = _pick(world, day, _receivable())
    if inv is None:
        return
    p, rng = inv.partner, world.rng
    ref = loose_number(rng, inv)
    ln = world.from_partner(p, day, inv.open, invoice_purpose(rng, p, inv, ref, inv.open, False), currency=inv.currency)
    _settle(world, ln, inv, inv.open, "loose_number")


def sc_several(world: World, day: date) -> None:
    """ "сч. 41, 42 и 45": two or three of the payer's open invoices in one payment."""
    inv = _pick(world, day, _receivable())
    if inv is None:
        return
    p, rng = inv.partner, world.rng
    others = [i for i in world.open_of(p) if i is not inv and i.open == i.amount and i.issued < day]
    if not others:
        return
    group = [inv, *rng.sample(others, min(len(others), rng.choice((1, 1, 2))))]
    group.sort(key=lambda i: i.serial)
    total = sum((i.open for i in group), Decimal(0))
    refs = [short_number(i) if p.kind != "foreign" and rng.random() < 0.6 else i.number for i in group]
    ln = world.from_partner(p, day, total, list_purpose(rng, p, refs, total), currency=inv.currency)
    for i in group:
        _settle(world, ln, i, i.open, "several_invoices")


def sc_parts(world: World, day: date) -> None:
    """A part now, the rest later; the first sometimes says so, sometimes not."""
    inv = _pick(world, day, _receivable())
    if inv is None or inv.amount < 1000:
        return
    p, rng = inv.partner, world.rng
    share = Decimal(rng.choice(("0.3", "0.5", "0.6")))
    first = (inv.amount * share).quantize(Decimal(1) if rng.random() < 0.5 else CENT)
    rest = inv.amount - first
    if p.kind == "foreign":
        texts = (f"Partial payment invoice {inv.number}", f"Balance payment invoice {inv.number}")
    else:
        said = rng.choice(("Частичная оплата", "Оплата 50%", "Предоплата", "Оплата части"))
        texts = (
            f"{said} по сч. {inv.number} от {inv.issued:%d.%m.%Y}. {vat_clause(rng, first)}",
            f"{rng.choice(('Доплата', 'Окончательный расчет', 'Оплата остатка'))} по сч. {inv.number}. "
            f"{vat_clause(rng, rest)}",
        )
    ln = world.from_partner(p, day, first, texts[0], currency=inv.currency)
    _settle(world, ln, inv, first, "part_payments")
    later = min(day + timedelta(days=rng.randint(2, 20)), PERIOD_START + timedelta(days=PERIOD_DAYS))
    world.pending.append((later, p, inv, rest, texts[1]))


def sc_fee_short(world: World, day: date) -> None:
    """The payer's bank kept its fee: a foreign bank's charges, or a domestic bank's 0.3 %."""
    inv = _pick(world, day, _receivable())
    if inv is None or inv.amount < 2000:
        return
    p, rng = inv.partner, world.rng
    fee = (
        Decimal(rng.choice((15, 20, 25, 35)))
        if inv.currency == "EUR"
        else (inv.amount * Decimal("0.003")).quantize(CENT)
    )
    arrived = inv.open - fee
    ln = world.from_partner(
        p, day, arrived, invoice_purpose(rng, p, inv, inv.number, inv.open, False), currency=inv.currency
    )
    _settle(world, ln, inv, arrived, "fee_short")


def sc_rounded_up(world: World, day: date) -> None:
    """14 870.40 owed, 15 000.00 paid: the rest is the payer's credit."""
    inv = _pick(world, day, lambda i: _receivable(("org", "sole"))(i) and i.amount % 1000 != 0)
    if inv is None:
        return
    p, rng = inv.partner, world.rng
    paid = (inv.open / 1000).to_integral_value(rounding="ROUND_CEILING") * 1000
    ln = world.from_partner(p, day, paid, invoice_purpose(rng, p, inv, inv.number, paid, True))
    _settle(world, ln, inv, inv.open, "overpaid")


def sc_advance(world: World, day: date) -> None:
    """ "Аванс по договору Д-15/2025" for our advance invoice: the contract, not the invoice, is named."""
    inv = _pick(world, day, lambda i: i.series == "advance")
    if inv is None:
        return
    p, rng = inv.partner, world.rng
    c = inv.contract
    text = rng.choice(
        (
            f"Аванс по договору {c.spoken}. {vat_clause(rng, inv.open)}",
            f"Предоплата по дог. {c.number} {sum_clause(rng, inv.open)}",
            f"аванс по договору {c.number}",
        )
    )
    ln = world.from_partner(p, day, inv.open, text)
    same = [i for i in world.same_amount(inv, inv.open) if i.contract is c]
    if same:
        world.record(ln, inv, inv.open, "advance_by_contract", unsure=True)
        inv.open = Decimal(0)
        return
    _settle(world, ln, inv, inv.open, "advance_by_contract")


def sc_advance_unbilled(world: World, day: date) -> None:
    """A prepayment under a contract for which we issued no invoice: it stays the partner's credit."""
    p = world.rng.choice([q for q in world.partners if q.kind != "foreign"])
    c = world.rng.choice(p.contracts)
    amount = Decimal(world.rng.randint(7, 900) * 1000 + 500)
    text = world.rng.choice((f"Предоплата по договору {c.spoken} согласно графику", f"Аванс по дог. {c.number}"))
    ln = world.from_partner(p, day, amount, text)
    world.record(ln, None, amount, "advance_unbilled")


def sc_third_party_inn(world: World, day: date) -> None:
    inv = _pick(world, day, _receivable(("org", "sole")))
    if inv is None:
        return
    p, rng = inv.partner, world.rng
    payer = Partner("org", "Плательщик", f"ООО «Гарант-{rng.randint(1, 999)}»", company_inn(rng), "", "", "", 0)
    text = rng.choice(
        (
            f"Оплата за {p.name} (ИНН {p.inn}) по сч. {inv.number}. {vat_clause(rng, inv.open)}",
            f"За {p.name.replace('«', '').replace('»', '')} ИНН {p.inn} оплата счета № {inv.number}",
        )
    )
    acct = f"40702810{rng.randint(10**11, 10**12 - 1)}"
    ln = world.line(day, inv.open, text, name=payer.name, inn=payer.inn, account=acct)
    _settle(world, ln, inv, inv.open, "third_party_inn")


def sc_third_party_name(world: World, day: date) -> None:
    """ "за ООО «Ромашка» по сч. 42": another company pays, names the partner only by name: review."""
    inv = _pick(world, day, _receivable(("org",)))
    if inv is None:
        return
    p, rng = inv.partner, world.rng
    acct = f"40702810{rng.randint(10**11, 10**12 - 1)}"
    ln = world.line(
        day,
        inv.open,
        f"Оплата за {p.name} по сч. {short_number(inv)}. {vat_clause(rng, inv.open)}",
        name=f"ООО «Гарант-{rng.randint(1, 999)}»",
        inn=company_inn(rng),
        account=acct,
    )
    # Only a person can tell: the payer is nobody we know and "42" is a short number.
    world.record(ln, inv, inv.open, "third_party_by_name")
    inv.open = Decimal(0)


def sc_name_only(world: World, day: date) -> None:
    """No INN, an account we do not know: the payer's bank spelled its name its way."""
    inv = _pick(world, day, _receivable(("org", "sole")))
    if inv is None:
        return
    p, rng = inv.partner, world.rng
    ln = world.from_partner(p, day, inv.open, invoice_purpose(rng, p, inv, inv.number, inv.open, True), anonymous=True)
    _settle(world, ln, inv, inv.open, "payer_name_only")


def sc_no_reference(world: World, day: date) -> None:
    inv = _pick(world, day, _receivable(("org", "sole")))
    if inv is None:
        return
    p, rng = inv.partner, world.rng
    ln = world.from_partner(p, day, inv.open, plain_purpose(rng, p, inv, inv.open))
    if world.same_amount(inv, inv.open):
        world.record(ln, inv, inv.open, "no_reference_twins", unsure=True)
        inv.open = Decimal(0)
        return
    _settle(world, ln, inv, inv.open, "no_reference")


def sc_order_number(world: World, day: date) -> None:
    """The customer cites its own order number and the sum as 1C writes it, not our invoice."""
    inv = _pick(world, day, _receivable(("org",)))
    if inv is None:
        return
    p, rng = inv.partner, world.rng
    order = rng.randint(1000, 9999) if rng.random() < 0.5 else rng.choice([i.serial for i in world.invoices] or [1])
    whole, kop = f"{inv.open:.2f}".split(".")
    ln = world.from_partner(
        p, day, inv.open, f"Оплата по заказу № {order} от {day - timedelta(days=9):%d.%m.%y}. Сумма {whole}-{kop}"
    )
    if world.same_amount(inv, inv.open):
        world.record(ln, inv, inv.open, "customer_order_no", unsure=True)
        inv.open = Decimal(0)
        return
    _settle(world, ln, inv, inv.open, "customer_order_no")


def sc_contract_collides(world: World, day: date) -> None:
    """The purpose cites the contract; its number is also a serial of the payer's other invoice."""
    inv = _pick(world, day, _receivable(("org", "sole")))
    if inv is None:
        return
    p, rng = inv.partner, world.rng
    c = inv.contract
    ln = world.from_partner(
        p, day, inv.open, f"Оплата по договору {c.spoken} за {rng.choice(_GOODS)}. {vat_clause(rng, inv.open)}"
    )
    same = [i for i in world.same_amount(inv, inv.open) if i.contract is c]
    if same:
        world.record(ln, inv, inv.open, "contract_only", unsure=True)
        inv.open = Decimal(0)
        return
    _settle(world, ln, inv, inv.open, "contract_only")


def sc_not_invoices(world: World, day: date) -> None:
    """Money that settles no invoice: fees, salaries, taxes, loans, refunds, interest."""
    rng = world.rng
    p = rng.choice(world.partners)
    kind = rng.randrange(9)
    amount = Decimal(rng.randint(100, 90_000)) + Decimal(rng.randint(0, 99)) / 100
    reg = rng.randint(1, 60)
    bank = {"name": BANK["name"], "inn": BANK["inn"], "account": BANK["account"]}
    if kind == 0:
        fee = Decimal(rng.choice((290, 490, 1900)))
        text = f"Комиссия за перевод по п/п {rng.randint(1, 999)} от {day:%d.%m.%Y}"
        ln = world.line(day, fee, text, credit=False, **bank)
    elif kind == 1:
        ln = world.line(
            day, Decimal(2500), f"Плата за обслуживание счета по тарифу за {day:%m.%Y}", credit=False, **bank
        )
    elif kind == 2:
        text = f"Заработная плата за {day:%m.%Y} по реестру № {reg} от {day:%d.%m.%Y}. Без НДС"
        ln = world.line(day, amount * 10, text, credit=False, **bank)
    elif kind == 3:
        text = f"Перечисление з/п и авансов сотрудникам, реестр {reg}"
        ln = world.line(day, amount * 3, text, credit=False, **bank)
    elif kind == 4:
        text = "Налог на добавленную стоимость за 3 квартал 2026 г."
        treasury = {"name": TREASURY["name"], "inn": TREASURY["inn"], "account": "03100643000000017200"}
        ln = world.line(day, amount * 4, text, credit=False, **treasury)
    elif kind == 5:
        text = f"Возврат излишне перечисленных денежных средств по п/п {rng.randint(1, 999)}. Без НДС"
        ln = world.from_partner(p, day, amount, text)
    elif kind == 6:
        c = rng.choice(p.contracts)
        ln = world.from_partner(p, day, Decimal(rng.randint(1, 50)) * 10000, f"Возврат займа по договору {c.spoken}")
    elif kind == 7:
        interest = (amount / 10).quantize(CENT)
        ln = world.line(day, interest, f"Проценты на остаток средств за {day:%m.%Y}", credit=True, **bank)
    else:
        # A customer we owe nothing to gets its overpayment back.
        inv_no = rng.choice([i.number for i in world.invoices if i.direction == "receivable"] or ["1"])
        text = f"Возврат переплаты по сч. {inv_no}. НДС не облагается"
        ln = world.line(day, amount, text, credit=False, name=world.spelled(p), inn=p.inn, account=p.account)
    world.record(ln, None, ln.amount, "not_an_invoice")


def sc_unknown(world: World, day: date) -> None:
    """Someone we do not know pays for something we did not bill: left alone."""
    rng = world.rng
    who = rng.choice(("Петров Алексей Викторович", "ООО «Ромашка-Восток»", "ООО «Трансфер-Плюс»", "Иванова Е.А."))
    amount = Decimal(rng.randint(5, 300) * 100)
    text = rng.choice(
        ("Оплата за обучение", f"Оплата по счету № {rng.randint(1, 99)}", "Оплата по договору", "Пополнение")
    )
    ln = world.line(day, amount, text, name=who, inn="", account=f"40817810{rng.randint(10**11, 10**12 - 1)}")
    world.record(ln, None, amount, "unknown_payer")


def sc_supplier(world: World, day: date) -> None:
    """We pay a supplier: by its number, in parts, or several at once."""
    inv = _pick(world, day, lambda i: i.direction == "payable")
    if inv is None:
        return
    p, rng = inv.partner, world.rng
    c = inv.contract
    vat = vat_clause(rng, inv.open)
    roll = rng.random()
    others = [i for i in world.open_of(p, "payable") if i is not inv and i.open == i.amount and i.issued < day]
    if roll < 0.15 and others:
        group = sorted([inv, rng.choice(others)], key=lambda i: i.serial)
        total = sum((i.open for i in group), Decimal(0))
        text = (
            f"Оплата по счетам № {group[0].number}, {group[1].number} по договору {c.spoken}. {vat_clause(rng, total)}"
        )
        ln = world.line(day, total, text, credit=False, name=p.name, inn=p.inn, account=p.account)
        for i in group:
            _settle(world, ln, i, i.open, "supplier_several")
        return
    if roll < 0.3:
        first = (inv.amount * Decimal("0.3")).quantize(CENT)
        text = f"Предоплата 30% по счету {inv.number} от {inv.issued:%d.%m.%Y}. {vat_clause(rng, first)}"
        ln = world.line(day, first, text, credit=False, name=p.name, inn=p.inn, account=p.account)
        _settle(world, ln, inv, first, "supplier_parts")
        rest_text = f"Окончательный расчет по счету {inv.number} от {inv.issued:%d.%m.%Y}. {vat_clause(rng, inv.open)}"
        world.pending.append((day + timedelta(days=rng.randint(3, 15)), p, inv, inv.open, rest_text))
        return
    text = rng.choice(
        (
            f"Оплата по счету № {inv.number} от {inv.issued:%d.%m.%Y} по договору {c.spoken}. {vat}",
            f"Оплата по сч. {inv.number} за {rng.choice(_GOODS)}. {sum_clause(rng, inv.open)} {vat}",
        )
    )
    ln = world.line(day, inv.open, text, credit=False, name=p.name, inn=p.inn, account=p.account)
    _settle(world, ln, inv, inv.open, "supplier_exact")


SCENARIOS: dict[str, tuple[Scenario, int]] = {
    "full_number": (sc_full_number, 18),
    "short_number": (sc_short_number, 10),
    "loose_number": (sc_loose_number, 8),
    "several_invoices": (sc_several, 6),
    "part_payments": (sc_parts, 5),
    "fee_short": (sc_fee_short, 3),
    "overpaid": (sc_rounded_up, 2),
    "advance_by_contract": (sc_advance, 3),
    "advance_unbilled": (sc_advance_unbilled, 2),
    "third_party_inn": (sc_third_party_inn, 2),
    "third_party_by_name": (sc_third_party_name, 2),
    "payer_name_only": (sc_name_only, 5),
    "no_reference": (sc_no_reference, 6),
    "customer_order_no": (sc_order_number, 3),
    "contract_only": (sc_contract_collides, 4),
    "not_an_invoice": (sc_not_invoices, 7),
    "unknown_payer": (sc_unknown, 2),
    "supplier": (sc_supplier, 16),
}


def generate(world: World) -> None:
    """Events day by day until about 85 % of the invoices are touched; the rest stay open."""
    rng = world.rng
    names = list(SCENARIOS)
    weights = [SCENARIOS[n][1] for n in names]
    target = len(world.invoices) * 85 // 100
    per_day = max(1, target // PERIOD_DAYS)
    for offset in range(PERIOD_DAYS):
        day = PERIOD_START + timedelta(days=offset)
        due = [x for x in world.pending if x[0] <= day]
        world.pending = [x for x in world.pending if x[0] > day]
        for _, p, inv, rest, text in due:
            if inv.direction == "payable":
                ln = world.line(day, rest, text, credit=False, name=p.name, inn=p.inn, account=p.account)
                _settle(world, ln, inv, rest, "supplier_parts")
            else:
                ln = world.from_partner(p, day, rest, text, currency=inv.currency)
                _settle(world, ln, inv, rest, "part_payments")
        for _ in range(per_day):
            SCENARIOS[rng.choices(names, weights)[0]][0](world, day)


# --- files ---------------------------------------------------------------------------------


def write_invoices(world: World, path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["invoice_no", "invoice_date", "due_date", "amount", "currency", "contract_no", "contract_date",
                    "partner_name", "partner_inn", "partner_kpp", "partner_account", "direction"])  # fmt: skip
        for inv in world.invoices:
            p, c = inv.partner, inv.contract
            due = inv.issued + timedelta(days=(5, 10, 30)[inv.serial % 3])
            dates = (inv.issued.isoformat(), due.isoformat())
            w.writerow([inv.number, *dates, f"{inv.amount:.2f}", inv.currency, c.number, c.signed.isoformat(),
                        p.name, p.inn, p.kpp, p.account, inv.direction])  # fmt: skip


def _ustrd(purpose: str) -> str:
    """Remittance text in pieces of at most 140 characters, cut between words, as banks send it."""
    parts: list[str] = []
    current = ""
    for word in purpose.split(" "):
        if current and len(current) + 1 + len(word) > 140:
            parts.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    parts.append(current)
    return "".join(f"<Ustrd>{escape(p)}</Ustrd>" for p in parts)


def write_camt(lines: list[Line], path: Path, account: str, currency: str) -> None:
    first, last = min(ln.day for ln in lines), max(ln.day for ln in lines)
    opening = Decimal("2500000.00")
    closing = opening + sum((ln.amount if ln.credit else -ln.amount for ln in lines), Decimal(0))
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">',
        " <BkToCstmrStmt>",
        f"  <GrpHdr><MsgId>KD-{currency}-{first:%Y%m%d}</MsgId><CreDtTm>{last.isoformat()}T23:00:00</CreDtTm></GrpHdr>",
        f"  <Stmt><Id>KD-{currency}-{first:%Y%m%d}-{last:%Y%m%d}</Id><CreDtTm>{last.isoformat()}T23:00:00</CreDtTm>",
        f"   <FrToDt><FrDtTm>{first.isoformat()}T00:00:00</FrDtTm>"
        f"<ToDtTm>{last.isoformat()}T23:59:59</ToDtTm></FrToDt>",
        f"   <Acct><Id><Othr><Id>{account}</Id></Othr></Id><Ccy>{currency}</Ccy>"
        f"<Ownr><Nm>{escape(OURS['name'])}</Nm></Ownr></Acct>",
        f'   <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="{currency}">{opening:.2f}</Amt>'
        f"<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>{first.isoformat()}</Dt></Dt></Bal>",
        f'   <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="{currency}">{abs(closing):.2f}</Amt>'
        f"<CdtDbtInd>{'CRDT' if closing >= 0 else 'DBIT'}</CdtDbtInd><Dt><Dt>{last.isoformat()}</Dt></Dt></Bal>",
    ]
    for ln in lines:
        role = "Dbtr" if ln.credit else "Cdtr"
        ident = (
            f"<Id><OrgId><Othr><Id>{ln.inn}</Id><SchmeNm><Cd>TXID</Cd></SchmeNm></Othr></OrgId></Id>" if ln.inn else ""
        )
        acct = (
            f"<Id><IBAN>{ln.account}</IBAN></Id>"
            if ln.account[:2].isalpha()
            else f"<Id><Othr><Id>{ln.account}</Id></Othr></Id>"
        )
        out.append(
            f'   <Ntry><Amt Ccy="{ln.currency}">{ln.amount:.2f}</Amt>'
            f"<CdtDbtInd>{'CRDT' if ln.credit else 'DBIT'}</CdtDbtInd>"
            f"<Sts>BOOK</Sts><BookgDt><Dt>{ln.day.isoformat()}</Dt></BookgDt><ValDt><Dt>{ln.day.isoformat()}</Dt></ValDt>"
            f"<AcctSvcrRef>{ln.ref}</AcctSvcrRef><NtryDtls><TxDtls><Refs><AcctSvcrRef>{ln.ref}</AcctSvcrRef></Refs>"
            f"<RltdPties><{role}><Nm>{escape(ln.name)}</Nm>{ident}</{role}><{role}Acct>{acct}</{role}Acct></RltdPties>"
            f"<RmtInf>{_ustrd(ln.purpose)}</RmtInf></TxDtls></NtryDtls></Ntry>"
        )
    out += ["  </Stmt>", " </BkToCstmrStmt>", "</Document>"]
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def write_all(world: World, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    generate(world)
    write_invoices(world, out / "invoices.csv")
    write_camt([ln for ln in world.lines if ln.currency == "RUB"], out / "statement_rub.xml", OURS["rub"], "RUB")
    eur = [ln for ln in world.lines if ln.currency == "EUR"]
    if eur:
        write_camt(eur, out / "statement_eur.xml", OURS["eur"], "EUR")
    with (out / "truth.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["bank_ref", "invoice_no", "amount", "scenario"])
        for ref, number, amount, scenario in world.truth:
            w.writerow([ref, number, f"{amount:.2f}", scenario])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--invoices", type=int, default=3000)
    ap.add_argument("--partners", type=int, default=200)
    a = ap.parse_args()
    world = World(a.seed, a.invoices, a.partners)
    write_all(world, a.out)
    print(f"{len(world.lines)} bank lines, {len(world.truth)} truth rows, {len(world.invoices)} invoices -> {a.out}")


if __name__ == "__main__":
    main()
