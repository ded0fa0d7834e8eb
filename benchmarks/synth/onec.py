"""A synthetic but realistic 1CClientBankExchange statement, for measuring the parser.

Shaped like a bank's export for 1C: Windows-1251, CRLF, one account section whose balances
and totals agree with its documents, and documents carrying the full set of fields real
banks write (receipts, budget indicators, split purposes), most of them empty, of all the
common kinds: incoming and outgoing payment orders, bank fees, payment requests, collection
orders and memorial orders, with the ways people write VAT.

Usage: ``python -m benchmarks.synth.onec N > file.txt`` or ``generate(N)`` from code;
``python -m benchmarks.synth.onec --bench file.txt [RUNS]`` measures the parser on such a file
(documents per second, CPU and wall, best and median, the load average beside them, and peak
resident memory over the file's), as reported in ``docs/formats/onec.md``.
"""

from __future__ import annotations

import os
import random
import resource
import statistics
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

OUR = {
    "name": 'ООО "Северный Ветер"',
    "inn": "7707083893",
    "kpp": "770701001",
    "account": "40702810938000012345",
    "bank": "ПАО СБЕРБАНК",
    "city": "г. Москва",
    "bik": "044525225",
    "corr": "30101810400000000225",
}
_NAMES = ["Ромашка", "Вектор", "Альфа-Трейд", "СтройМонтаж", "Гранит", "Меридиан", "Полюс", "Орион", "Сфера"]
_FORMS = ["ООО", "АО", "ИП", "ООО", "ПАО"]
_BANKS = [
    ('АО "АЛЬФА-БАНК"', "044525593", "30101810200000000593"),
    ("БАНК ВТБ (ПАО)", "044525187", "30101810700000000187"),
    ('АО "ТИНЬКОФФ БАНК"', "044525974", "30101810145250000974"),
    ('ПАО "ПРОМСВЯЗЬБАНК"', "044525555", "30101810400000000555"),
]
_VAT = [
    "в т.ч. НДС 20% {vat}",
    "В т.ч. НДС(20%) {vat_dash}",
    "НДС не облагается",
    "Без НДС",
    "в том числе НДС 20%: {vat}",
]
_KINDS_OUT = ["Платежное поручение"] * 8 + ["Банковский ордер", "Инкассовое поручение", "Мемориальный ордер"]
_KINDS_IN = ["Платежное поручение"] * 9 + ["Платежное требование"]
_DOCUMENT_KEYS = (
    "Номер", "Дата", "Сумма", "КвитанцияДата", "КвитанцияВремя", "КвитанцияСодержание",
    "ПлательщикСчет", "ДатаСписано", "Плательщик", "ПлательщикИНН", "Плательщик1", "Плательщик2",
    "Плательщик3", "Плательщик4", "ПлательщикРасчСчет", "ПлательщикБанк1", "ПлательщикБанк2",
    "ПлательщикБИК", "ПлательщикКорсчет", "ПолучательСчет", "ДатаПоступило", "Получатель",
    "ПолучательИНН", "Получатель1", "Получатель2", "Получатель3", "Получатель4", "ПолучательРасчСчет",
    "ПолучательБанк1", "ПолучательБанк2", "ПолучательБИК", "ПолучательКорсчет", "ВидПлатежа",
    "КодНазПлатежа", "ВидОплаты", "Код", "НазначениеПлатежа", "НазначениеПлатежа1", "НазначениеПлатежа2",
    "СтатусСоставителя", "ПлательщикКПП", "ПолучательКПП", "ПоказательКБК", "ОКАТО", "ПоказательОснования",
    "ПоказательПериода", "ПоказательНомера", "ПоказательДаты", "ПоказательТипа", "Очередность",
    "СрокАкцепта", "ВидАккредитива", "СрокПлатежа",
)  # fmt: skip


def _partner(rng: random.Random, index: int) -> dict[str, str]:
    bank, bik, corr = _BANKS[index % len(_BANKS)]
    return {
        "name": f'{_FORMS[index % len(_FORMS)]} "{_NAMES[index % len(_NAMES)]}-{index}"',
        "inn": f"{rng.randrange(10**9, 10**10)}",
        "kpp": f"{rng.randrange(10**8, 10**9)}",
        "account": f"40702810{rng.randrange(10**11, 10**12)}",
        "bank": bank,
        "city": "г. Москва",
        "bik": bik,
        "corr": corr,
    }


def _side(prefix: str, who: dict[str, str]) -> dict[str, str]:
    return {
        f"{prefix}Счет": who["account"],
        prefix: f"{who['inn']} {who['name']}",
        f"{prefix}ИНН": who["inn"],
        f"{prefix}1": who["name"],
        f"{prefix}РасчСчет": who["account"],
        f"{prefix}Банк1": who["bank"],
        f"{prefix}Банк2": who["city"],
        f"{prefix}БИК": who["bik"],
        f"{prefix}Корсчет": who["corr"],
        f"{prefix}КПП": who["kpp"],
    }


def _purpose(rng: random.Random, amount: Decimal, number: int) -> str:
    vat = (amount * 20 / 120).quantize(Decimal("0.01"))
    clause = rng.choice(_VAT).format(vat=vat, vat_dash=str(vat).replace(".", "-"))
    subject = rng.choice(["Оплата по счету", "Оплата по договору", "Предоплата по счету", "Возврат по акту"])
    return f"{subject} № {number} от {rng.randrange(1, 28):02d}.0{rng.randrange(1, 9)}.2025 {clause}"


def generate(n_lines: int, seed: int = 1) -> bytes:
    """``n_lines`` documents in one balanced account section, as cp1251 bytes with CRLF."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    partners = [_partner(rng, i) for i in range(max(1, min(n_lines // 20, 500)))]
    start = date(2025, 1, 9)
    days = max(1, n_lines // 400)
    documents: list[list[str]] = []
    total_in = total_out = Decimal(0)
    for number in range(1, n_lines + 1):
        when = (start + timedelta(days=rng.randrange(days))).strftime("%d.%m.%Y")
        incoming = rng.random() < 0.55
        kind = rng.choice(_KINDS_IN if incoming else _KINDS_OUT)
        amount = Decimal(rng.randrange(100, 50_000_000)) / 100
        partner = rng.choice(partners)
        payer, payee = (partner, OUR) if incoming else (OUR, partner)
        fields = dict.fromkeys(_DOCUMENT_KEYS, "")
        purpose = _purpose(rng, amount, number)
        fields |= _side("Плательщик", payer) | _side("Получатель", payee)
        fields |= {
            "Номер": str(100000 + number),
            "Дата": when,
            "Сумма": f"{amount:.2f}",
            "КвитанцияДата": when,
            "КвитанцияВремя": "00:00:00",
            "ДатаПоступило" if incoming else "ДатаСписано": when,
            "ВидПлатежа": "Электронно",
            "ВидОплаты": "01" if kind == "Платежное поручение" else "17",
            "Очередность": "5",
            "НазначениеПлатежа": purpose,
            "НазначениеПлатежа1": purpose[:210],
        }
        if not incoming and rng.random() < 0.05:
            # A tax payment: the budget indicators the treasury requires.
            fields |= {"СтатусСоставителя": "01", "ПоказательКБК": "18201061201010000510", "ОКАТО": "45380000",
                       "ПоказательОснования": "ТП", "ПоказательПериода": "КВ.01.2025", "ПоказательНомера": "0",
                       "ПоказательДаты": "0", "Код": "0"}  # fmt: skip
        if incoming:
            total_in += amount
        else:
            total_out += amount
        documents.append([f"СекцияДокумент={kind}", *(f"{k}={v}" for k, v in fields.items()), "КонецДокумента"])
    opening = Decimal("1000000.00")
    first = start.strftime("%d.%m.%Y")
    last = (start + timedelta(days=days - 1)).strftime("%d.%m.%Y")
    out = [
        "1CClientBankExchange", "ВерсияФормата=1.03", "Кодировка=Windows", "Отправитель=СберБизнес",
        "Получатель=Бухгалтерия предприятия, редакция 3.0", "ДатаСоздания=01.06.2025", "ВремяСоздания=09:00:00",
        f"ДатаНачала={first}", f"ДатаКонца={last}", f"РасчСчет={OUR['account']}", "Документ=Платежное поручение",
        "СекцияРасчСчет", f"ДатаНачала={first}", f"ДатаКонца={last}", f"РасчСчет={OUR['account']}",
        f"НачальныйОстаток={opening:.2f}", f"ВсегоПоступило={total_in:.2f}", f"ВсегоСписано={total_out:.2f}",
        f"КонечныйОстаток={opening + total_in - total_out:.2f}", "КонецРасчСчет",
    ]  # fmt: skip
    for document in documents:
        out.extend(document)
    out.append("КонецФайла")
    return ("\r\n".join(out) + "\r\n").encode("cp1251")


def bench(path: str, runs: int = 5) -> str:
    """The parser's speed and memory on one statement file, as one line per measure.

    CPU time (``time.process_time``) is what the parser costs; wall time also shows what the
    other jobs on a shared machine took from it, so the load average is printed with both.
    """
    from adapters.banks.formats.onec import FORMAT  # here, so generating needs no parser

    data = Path(path).read_bytes()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cpu: list[float] = []
    wall: list[float] = []
    documents = 0
    for _ in range(runs):
        started_cpu, started_wall = time.process_time(), time.perf_counter()
        parsed = FORMAT.parse(data, path)
        cpu.append(time.process_time() - started_cpu)
        wall.append(time.perf_counter() - started_wall)
        documents = len({line.source_line for statement in parsed.statements for line in statement.lines})
        del parsed
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    size_mb = len(data) / 1e6
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())

    def rate(times: list[float]) -> str:
        return f"best {documents / min(times):,.0f}/s, median {documents / statistics.median(times):,.0f}/s"

    return "\n".join(
        [
            f"{path}: {size_mb:.0f} MB, {documents:,} documents, {runs} runs, load average {load}",
            f"CPU  {rate(cpu)} (best {min(cpu):.2f} s)",
            f"wall {rate(wall)} (best {min(wall):.2f} s)",
            f"peak RSS {peak_mb:,.0f} MB; parsing added {peak_mb - before / 1024:,.0f} MB "
            f"({(peak_mb - before / 1024) / size_mb:.1f}x the file) to the {before / 1024:,.0f} MB holding it",
        ]
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--bench"]:
        print(bench(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 5))
    else:
        sys.stdout.buffer.write(generate(int(sys.argv[1]) if len(sys.argv) > 1 else 1000))
