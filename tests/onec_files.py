"""Small 1CClientBankExchange files for tests, written the way banks' exports write them.

Why one builder: the intake, workspace, evidence and property tests each need a few incoming
payment orders as real bytes (cp1251, CRLF) through the real parser. What differs between them is
the payments, never the file's frame, so the frame lives here and each test says only what its
payments are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class PaymentOrder:
    """One incoming payment order (``СекцияДокумент=Платежное поручение``) to the statement's account."""

    number: str
    day: date
    amount: str  # as the file writes it: "1500.00"
    purpose: str
    payer_name: str
    payer_inn: str
    payer_account: str
    received: date | None = None  # ``ДатаПоступило``: the day the money reached us; ``day`` when None
    # Further payment-order fields (``ПлательщикБИК``, ``ВидОплаты``, ``Очередность`` …), written in this order.
    more: Mapping[str, str] = field(default_factory=dict)


def exchange_file(account: str, orders: Iterable[PaymentOrder], *, period: tuple[date, date] | None = None) -> bytes:
    """The file of ``account``'s statement holding ``orders``; ``period`` fills the section's dates."""
    lines = ["1CClientBankExchange", "ВерсияФормата=1.03", "Кодировка=Windows", f"РасчСчет={account}", "СекцияРасчСчет"]
    if period:
        lines += [f"ДатаНачала={_day(period[0])}", f"ДатаКонца={_day(period[1])}"]
    lines += [f"РасчСчет={account}", "КонецРасчСчет"]
    for order in orders:
        lines += [
            "СекцияДокумент=Платежное поручение",
            f"Номер={order.number}",
            f"Дата={_day(order.day)}",
            f"Сумма={order.amount}",
            f"ПлательщикСчет={order.payer_account}",
            f"ПлательщикИНН={order.payer_inn}",
            f"Плательщик1={order.payer_name}",
            f"ПолучательСчет={account}",
            f"ДатаПоступило={_day(order.received or order.day)}",
            *(f"{key}={value}" for key, value in order.more.items()),
            f"НазначениеПлатежа={order.purpose}",
            "КонецДокумента",
        ]
    lines.append("КонецФайла")
    return ("\r\n".join(lines) + "\r\n").encode("cp1251")


def _day(moment: date) -> str:
    return moment.strftime("%d.%m.%Y")
