"""Deterministic, realistic-looking Russian business banking data for the sandbox bank.

Same seed and same "today" give the same accounts and transactions, so a demo and a test see
identical data. The identifiers are not random digits: INNs carry valid check digits, account
numbers a valid control key for their BIK (the same checks a real 1C or bank front end applies),
so nothing downstream has to special-case sandbox data.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import Decimal

from adapters.banks.sandbox.ledger import Counterparty, SandboxAccount, SandboxTransaction

# (name, BIK, correspondent account): public reference data of real banks.
BANKS = (
    ("АО «ТБанк»", "044525974", "30101810145250000974"),
    ("ПАО Сбербанк", "044525225", "30101810400000000225"),
    ("АО «Альфа-Банк»", "044525593", "30101810200000000593"),
    ("Банк ВТБ (ПАО)", "044525187", "30101810700000000187"),
    ("ПАО «Промсвязьбанк»", "044525555", "30101810400000000555"),
)
_FORMS = ("ООО", "АО", "ООО", "ООО", "ПАО")
_NAMES = (
    "Ромашка", "Северный ветер", "ТехноСнаб", "Волга-Логистик", "Уральские окна", "Байкал Софт",
    "Карелия Лес", "Медтехника Плюс", "Кубань Агро", "Прометей", "Стройресурс", "Балтийская упаковка",
    "Сибирский хлеб", "Инфосистемы", "Орбита", "Электромонтаж-Центр",
)  # fmt: skip
_SERVICES = (
    "поставку товара", "оказание консультационных услуг", "разработку программного обеспечения",
    "транспортные услуги", "техническое обслуживание оборудования", "аренду оборудования",
    "поставку комплектующих", "рекламные услуги",
)  # fmt: skip
_INN_WEIGHTS = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_ACCOUNT_WEIGHTS = (7, 1, 3) * 8


def inn_check_digit(first_nine: str) -> str:
    """Check digit of a 10-digit (legal entity) INN."""
    total = sum(int(d) * w for d, w in zip(first_nine, _INN_WEIGHTS, strict=True))
    return str(total % 11 % 10)


def is_valid_inn10(inn: str) -> bool:
    return len(inn) == 10 and inn.isdigit() and inn[9] == inn_check_digit(inn[:9])


def account_key(bik: str, account: str) -> str:
    """Control digit (position 9) of a settlement account at the bank with ``bik``."""
    digits = bik[-3:] + account[:8] + "0" + account[9:]
    total = sum(int(d) * w % 10 for d, w in zip(digits, _ACCOUNT_WEIGHTS, strict=False))
    return str(total * 3 % 10)


def is_valid_account(bik: str, account: str) -> bool:
    return len(account) == 20 and account.isdigit() and account[8] == account_key(bik, account)


def make_account_number(rng: random.Random, bik: str, prefix: str = "40702810") -> str:
    body = prefix + "0" + f"{rng.randrange(10**11):011d}"
    return body[:8] + account_key(bik, body) + body[9:]


def make_inn(rng: random.Random) -> str:
    region = rng.choice(("77", "78", "50", "66", "54", "16", "23", "52"))
    first_nine = region + f"{rng.randrange(10**7):07d}"
    return first_nine + inn_check_digit(first_nine)


def make_counterparty(rng: random.Random, name: str | None = None) -> Counterparty:
    bank_name, bik, corr = rng.choice(BANKS)
    inn = make_inn(rng)
    return Counterparty(
        name=name or f"{rng.choice(_FORMS)} «{rng.choice(_NAMES)}»",
        inn=inn,
        kpp=inn[:4] + "01001",
        account=make_account_number(rng, bik),
        bank_name=bank_name,
        bik=bik,
        corr_account=corr,
    )


def _money(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randrange(low * 100, high * 100)) / 100


def _vat_text(amount: Decimal) -> str:
    vat = (abs(amount) * Decimal(20) / Decimal(120)).quantize(Decimal("0.01"))
    return f"В т.ч. НДС (20%) {vat:.2f} руб."


@dataclass(frozen=True, slots=True)
class GeneratedBank:
    accounts: tuple[SandboxAccount, ...]


def generate_bank(seed: int, *, today: date, accounts: int = 2, history_days: int = 90) -> GeneratedBank:
    """Accounts with ``history_days`` of business-day traffic ending ``today`` (a few pending)."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    sandbox_bank = BANKS[0]
    customers = [make_counterparty(rng) for _ in range(12)]
    suppliers = [make_counterparty(rng) for _ in range(6)]
    tax_office = Counterparty(
        name="Казначейство России (ФНС России)",
        inn="7727406020",
        kpp="770801001",
        account="03100643000000018500",
        bank_name="ОКЦ № 2 ГУ Банка России по ЦФО//УФК по г. Москве",
        bik="004525988",
        corr_account="40102810545370000003",
    )
    result: list[SandboxAccount] = []
    for index in range(accounts):
        owner = make_counterparty(rng, name=f"ООО «Сверка Демо {index + 1}»")
        number = make_account_number(rng, sandbox_bank[1])
        owner = Counterparty(
            name=owner.name,
            inn=owner.inn,
            kpp=owner.kpp,
            account=number,
            bank_name=sandbox_bank[0],
            bik=sandbox_bank[1],
            corr_account=sandbox_bank[2],
        )
        account = SandboxAccount(
            resource_id=f"acc-{index + 1}",
            number=number,
            currency="RUB",
            owner=owner,
            opening_balance=_money(rng, 200_000, 2_000_000),
        )
        invoice_no = 100 + index * 1000
        start = today - timedelta(days=history_days - 1)
        for offset in range(history_days):
            day = start + timedelta(days=offset)
            if day.weekday() >= 5:
                continue
            for _ in range(rng.randint(1, 4)):
                invoice_no += 1
                roll = rng.random()
                invoice_day = day - timedelta(days=rng.randint(1, 20))
                if roll < 0.65:
                    party, amount = rng.choice(customers), _money(rng, 3_000, 450_000)
                    purpose = (
                        f"Оплата по счету № {invoice_no} от {invoice_day:%d.%m.%Y} за "
                        f"{rng.choice(_SERVICES)}. {_vat_text(amount)}"
                    )
                elif roll < 0.9:
                    party, amount = rng.choice(suppliers), -_money(rng, 5_000, 150_000)
                    purpose = (
                        f"Оплата по договору № {rng.randint(10, 99)}/{day.year} за "
                        f"{rng.choice(_SERVICES)}. {_vat_text(amount)}"
                    )
                else:
                    party, amount = tax_office, -_money(rng, 1_000, 60_000)
                    purpose = f"Единый налоговый платеж за {day:%m.%Y}. НДС не облагается"
                moment = time(rng.randint(9, 18), rng.randint(0, 59))
                pending = offset >= history_days - 2 and rng.random() < 0.4
                account.transactions.append(
                    SandboxTransaction(
                        transaction_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                        amount=amount,
                        counterparty=party,
                        purpose=purpose,
                        operation_date=day,
                        operation_time=moment,
                        booking_date=None if pending else day,
                        document_number=str(invoice_no),
                        seq=account.next_seq(),
                    )
                )
            if day.day == 1 or offset == 0:
                # Bank fee charged just after midnight Moscow time: 21:xx UTC the day before,
                # which is how clients that ignore the time zone lose a day.
                account.transactions.append(
                    SandboxTransaction(
                        transaction_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                        amount=Decimal("-1490.00"),
                        counterparty=account.bank_as_counterparty(),
                        purpose="Комиссия за ведение счета. НДС не облагается",
                        operation_date=day,
                        operation_time=time(0, 30),
                        booking_date=day,
                        document_number=str(rng.randint(10_000, 99_999)),
                        seq=account.next_seq(),
                    )
                )
        result.append(account)
    return GeneratedBank(tuple(result))
