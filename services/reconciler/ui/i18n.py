"""Russian and English for the workspace: words from a small catalog, numbers and dates from Babel.

The catalog is a dict per language rather than gettext files: a few hundred words do not need
a compile step, and a missing key shows up as the key itself (and in a test), never as a crash.
Which language: the user's saved choice, else a cookie, else the browser's Accept-Language.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal, format_percent

from shared.money import from_minor

LANGUAGES = ("ru", "en")
DEFAULT_LANGUAGE = "ru"

CATALOG: dict[str, dict[str, str]] = {
    "app.name": {"ru": "Сверка", "en": "Sverka"},
    "nav.overview": {"ru": "Обзор", "en": "Overview"},
    "nav.queue": {"ru": "Очередь разбора", "en": "Review queue"},
    "nav.logout": {"ru": "Выйти", "en": "Log out"},
    "nav.shortcuts": {"ru": "Клавиши", "en": "Shortcuts"},
    "login.title": {"ru": "Вход", "en": "Log in"},
    "login.username": {"ru": "Имя пользователя", "en": "User name"},
    "login.password": {"ru": "Пароль", "en": "Password"},
    "login.submit": {"ru": "Войти", "en": "Log in"},
    "login.failed": {"ru": "Неверное имя или пароль.", "en": "Wrong user name or password."},
    "login.throttled": {
        "ru": "Слишком много неудачных попыток. Попробуйте через {minutes} мин.",
        "en": "Too many failed attempts. Try again in {minutes} min.",
    },
    "overview.title": {"ru": "Обзор", "en": "Overview"},
    "overview.lead": {
        "ru": "Платежи по статусам: сколько их и на какую сумму.",
        "en": "Payments by status: how many and for how much.",
    },
    "overview.currency": {"ru": "Валюта", "en": "Currency"},
    "overview.count": {"ru": "Платежей", "en": "Payments"},
    "overview.amount": {"ru": "Сумма", "en": "Amount"},
    "overview.open": {"ru": "Не разнесено", "en": "Not allocated"},
    "overview.empty": {"ru": "Выписок пока нет.", "en": "No statements yet."},
    "overview.to_queue": {"ru": "Разобрать очередь", "en": "Work the queue"},
    "status.unmatched": {"ru": "Не сопоставлен", "en": "Unmatched"},
    "status.suggested": {"ru": "Есть предложения", "en": "Suggested"},
    "status.partially_settled": {"ru": "Разнесён частично", "en": "Partially settled"},
    "status.settled": {"ru": "Разнесён", "en": "Settled"},
    "status.ignored": {"ru": "Не оплата счёта", "en": "Not an invoice payment"},
    "status.open": {"ru": "Требуют решения", "en": "Needing a decision"},
    "status.all": {"ru": "Все", "en": "All"},
    "invoice_status.open": {"ru": "Не оплачен", "en": "Open"},
    "invoice_status.partially_paid": {"ru": "Оплачен частично", "en": "Partially paid"},
    "invoice_status.paid": {"ru": "Оплачен", "en": "Paid"},
    "invoice_status.overpaid": {"ru": "Переплата", "en": "Overpaid"},
    "invoice_status.cancelled": {"ru": "Отменён", "en": "Cancelled"},
    "direction.receivable": {"ru": "Выставленный счёт", "en": "Receivable"},
    "direction.payable": {"ru": "Счёт поставщика", "en": "Payable"},
    "queue.title": {"ru": "Очередь разбора", "en": "Review queue"},
    "queue.filter.status": {"ru": "Статус", "en": "Status"},
    "queue.filter.account": {"ru": "Счёт", "en": "Account"},
    "queue.filter.all_accounts": {"ru": "Все счета", "en": "All accounts"},
    "queue.filter.from": {"ru": "С", "en": "From"},
    "queue.filter.to": {"ru": "По", "en": "To"},
    "queue.filter.sort": {"ru": "Сортировка", "en": "Sort by"},
    "queue.filter.apply": {"ru": "Показать", "en": "Apply"},
    "queue.sort.age": {"ru": "дата (старые сначала)", "en": "date (oldest first)"},
    "queue.sort.age_desc": {"ru": "дата (новые сначала)", "en": "date (newest first)"},
    "queue.sort.amount": {"ru": "сумма (крупные сначала)", "en": "amount (largest first)"},
    "queue.sort.amount_asc": {"ru": "сумма (мелкие сначала)", "en": "amount (smallest first)"},
    "queue.sort.partner": {"ru": "плательщик (А–Я)", "en": "payer (A–Z)"},
    "queue.col.date": {"ru": "Дата", "en": "Date"},
    "queue.col.payer": {"ru": "Контрагент", "en": "Counterparty"},
    "queue.col.amount": {"ru": "Сумма", "en": "Amount"},
    "queue.col.purpose": {"ru": "Назначение платежа", "en": "Purpose"},
    "queue.col.suggestions": {"ru": "Предложения", "en": "Suggestions"},
    "queue.none": {"ru": "Нет предложений", "en": "No suggestions"},
    "queue.empty": {"ru": "Здесь пусто: все платежи разобраны.", "en": "Nothing here: every payment is decided."},
    "queue.count": {
        "ru": "{total} платежей · страница {page} из {pages}",
        "en": "{total} payments · page {page} of {pages}",
    },
    "queue.prev": {"ru": "← Назад", "en": "← Previous"},
    "queue.next": {"ru": "Вперёд →", "en": "Next →"},
    "queue.open": {"ru": "Открыть", "en": "Open"},
    "confidence": {"ru": "уверенность {value}", "en": "confidence {value}"},
    "action.confirm": {"ru": "Подтвердить", "en": "Confirm"},
    "action.reject": {"ru": "Отклонить", "en": "Reject"},
    "action.undo": {"ru": "Отменить", "en": "Undo"},
    "action.reinstate": {"ru": "Вернуть предложение", "en": "Offer again"},
    "action.allocate": {"ru": "Разнести вручную", "en": "Allocate by hand"},
    "action.ignore": {"ru": "Не оплата счёта", "en": "Not an invoice payment"},
    "action.unignore": {"ru": "Вернуть в разбор", "en": "Back to review"},
    "action.search": {"ru": "Найти", "en": "Search"},
    "action.save_allocation": {"ru": "Разнести", "en": "Allocate"},
    "action.back_to_queue": {"ru": "← К очереди", "en": "← Back to queue"},
    "action.next_line": {"ru": "Следующий →", "en": "Next →"},
    "action.prev_line": {"ru": "← Предыдущий", "en": "← Previous"},
    "field.reason": {"ru": "Причина", "en": "Reason"},
    "field.reason_required": {"ru": "Причина (обязательно)", "en": "Reason (required)"},
    "field.note": {"ru": "Комментарий", "en": "Note"},
    "field.category": {"ru": "Что это", "en": "What is it"},
    "ignore.bank_fee": {"ru": "Комиссия банка", "en": "Bank fee"},
    "ignore.refund": {"ru": "Возврат", "en": "Refund"},
    "ignore.loan": {"ru": "Заём / кредит", "en": "Loan"},
    "ignore.other": {"ru": "Другое", "en": "Other"},
    "payment.title": {"ru": "Платёж {ref}", "en": "Payment {ref}"},
    "payment.account": {"ru": "Наш счёт", "en": "Our account"},
    "payment.counterparty_account": {"ru": "Счёт контрагента", "en": "Counterparty account"},
    "payment.tax_id": {"ru": "ИНН", "en": "Tax id"},
    "payment.allocated": {"ru": "Разнесено", "en": "Allocated"},
    "payment.open": {"ru": "Осталось", "en": "Open"},
    "payment.credit": {"ru": "Поступление", "en": "Money in"},
    "payment.debit": {"ru": "Списание", "en": "Money out"},
    "payment.suggestions": {"ru": "Предложения сопоставления", "en": "Suggested matches"},
    "payment.allocations": {"ru": "Разнесение", "en": "Allocations"},
    "payment.no_allocations": {"ru": "Платёж ещё не разнесён.", "en": "Nothing allocated yet."},
    "payment.history": {"ru": "История", "en": "History"},
    "payment.decide": {"ru": "Решение", "en": "Decision"},
    "payment.ignored_as": {"ru": "Отмечен как «{what}»", "en": "Marked as “{what}”"},
    "col.invoice": {"ru": "Счёт", "en": "Invoice"},
    "col.partner": {"ru": "Контрагент", "en": "Partner"},
    "col.amount": {"ru": "Сумма", "en": "Amount"},
    "col.kind": {"ru": "Как", "en": "How"},
    "col.by": {"ru": "Кто", "en": "By"},
    "col.when": {"ru": "Когда", "en": "When"},
    "col.state": {"ru": "Состояние", "en": "State"},
    "col.outstanding": {"ru": "К оплате", "en": "Outstanding"},
    "col.due": {"ru": "Срок", "en": "Due"},
    "col.date": {"ru": "Дата", "en": "Date"},
    "col.allocate": {"ru": "Разнести сумму", "en": "Amount to allocate"},
    "kind.auto": {"ru": "автоматически", "en": "automatic"},
    "kind.confirmed": {"ru": "подтверждено", "en": "confirmed"},
    "kind.manual": {"ru": "вручную", "en": "by hand"},
    "kind.suggested": {"ru": "предложение", "en": "suggestion"},
    "state.active": {"ru": "действует", "en": "active"},
    "state.reversed": {"ru": "отменено", "en": "undone"},
    "state.rejected": {"ru": "отклонено", "en": "rejected"},
    "state.withdrawn": {"ru": "снято", "en": "withdrawn"},
    "allocate.title": {"ru": "Ручное разнесение", "en": "Allocate by hand"},
    "allocate.lead": {
        "ru": "Найдите счета по номеру, контрагенту или сумме и укажите, сколько отнести на каждый. "
        "Можно разделить платёж на несколько счетов.",
        "en": "Find invoices by number, partner or amount and enter how much goes to each. "
        "A payment can be split over several invoices.",
    },
    "allocate.search": {"ru": "Номер, контрагент, ИНН или сумма", "en": "Number, partner, tax id or amount"},
    "allocate.remaining": {"ru": "Осталось разнести: {amount}", "en": "Left to allocate: {amount}"},
    "allocate.none": {"ru": "Подходящих открытых счетов не найдено.", "en": "No open invoice matches."},
    "invoice.title": {"ru": "Счёт {number}", "en": "Invoice {number}"},
    "invoice.paid": {"ru": "Оплачено", "en": "Paid"},
    "invoice.payments": {"ru": "Платежи по счёту", "en": "Payments"},
    "invoice.none": {"ru": "Оплат пока нет.", "en": "No payments yet."},
    "done.confirmed": {"ru": "Предложение подтверждено.", "en": "Suggestion confirmed."},
    "done.rejected": {"ru": "Предложение отклонено.", "en": "Suggestion rejected."},
    "done.reinstated": {"ru": "Предложение возвращено.", "en": "Suggestion offered again."},
    "done.allocated": {"ru": "Платёж разнесён.", "en": "Payment allocated."},
    "done.ignored": {"ru": "Платёж убран из разбора.", "en": "Payment taken out of review."},
    "done.unignored": {"ru": "Платёж возвращён в разбор.", "en": "Payment back in review."},
    "done.undone": {"ru": "Разнесение отменено.", "en": "Allocation undone."},
    "error.title": {"ru": "Не получилось", "en": "That did not work"},
    "error.forbidden": {"ru": "Недостаточно прав.", "en": "You are not allowed to do this."},
    "error.not_found": {"ru": "Не найдено.", "en": "Not found."},
    "event.allocation.created": {"ru": "Разнесено автоматически", "en": "Allocated automatically"},
    "event.allocation.confirmed": {"ru": "Предложение подтверждено", "en": "Suggestion confirmed"},
    "event.allocation.manual": {"ru": "Разнесено вручную", "en": "Allocated by hand"},
    "event.allocation.reversed": {"ru": "Разнесение отменено", "en": "Allocation undone"},
    "event.suggestion.rejected": {"ru": "Предложение отклонено", "en": "Suggestion rejected"},
    "event.suggestion.reinstated": {"ru": "Предложение возвращено", "en": "Suggestion offered again"},
    "event.payment.ignored": {"ru": "Отмечен как не оплата счёта", "en": "Marked as not an invoice payment"},
    "event.payment.unignored": {"ru": "Возвращён в разбор", "en": "Back in review"},
    "event.invoice.created": {"ru": "Счёт создан", "en": "Invoice created"},
    "event.invoice.updated": {"ru": "Счёт изменён", "en": "Invoice updated"},
    "timeline.empty": {"ru": "Событий пока нет.", "en": "No events yet."},
    "shortcuts.title": {"ru": "Клавиши", "en": "Keyboard shortcuts"},
    "shortcuts.jk": {"ru": "следующий / предыдущий платёж", "en": "next / previous payment"},
    "shortcuts.o": {"ru": "открыть платёж", "en": "open the payment"},
    "shortcuts.c": {"ru": "подтвердить лучшее предложение", "en": "confirm the top suggestion"},
    "shortcuts.a": {"ru": "разнести вручную", "en": "allocate by hand"},
    "shortcuts.u": {"ru": "к очереди", "en": "back to the queue"},
    "shortcuts.slash": {"ru": "поиск", "en": "search"},
    "reason.reference_exact": {"ru": "номер счёта указан в назначении", "en": "the invoice number is in the purpose"},
    "reason.reference_typo": {"ru": "номер счёта указан с опечаткой", "en": "the invoice number, with a typo"},
    "reason.reference_learned": {"ru": "номер, которому научили ранее", "en": "a reference learned earlier"},
    "reason.references_in_purpose": {"ru": "в назначении несколько номеров", "en": "several numbers in the purpose"},
    "reason.contract_in_purpose": {"ru": "номер договора в назначении", "en": "the contract number is in the purpose"},
    "reason.amount_equal": {"ru": "сумма совпадает", "en": "the amount is equal"},
    "reason.amount_sum_of_invoices": {
        "ru": "сумма равна сумме нескольких счетов",
        "en": "the amount is a sum of invoices",
    },
    "reason.payer_other_partner": {"ru": "платит другая организация", "en": "paid by another company"},
    "reason.payer_unknown": {"ru": "плательщик неизвестен", "en": "unknown payer"},
    "reason.ambiguous": {"ru": "подходят несколько счетов", "en": "several invoices fit"},
    "reason.not_invoice_payment": {"ru": "похоже, не оплата счёта", "en": "looks like no invoice payment"},
    "reason.nothing_fits": {"ru": "ничего не подходит", "en": "nothing fits"},
    "reason.manual": {"ru": "разнесено вручную", "en": "allocated by hand"},
    "lang.switch": {"ru": "English", "en": "Русский"},
}


def negotiate(accept_language: str | None) -> str:
    """The best of our languages for an Accept-Language header (q-values honoured)."""
    if not accept_language:
        return DEFAULT_LANGUAGE
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        weighted.append((-q, position, tag.strip().lower().split("-")[0]))
    for _, _, lang in sorted(weighted):
        if lang in LANGUAGES:
            return lang
    return DEFAULT_LANGUAGE


class Translator:
    """Words, money and dates for one language; handed to every template as ``t``."""

    def __init__(self, language: str) -> None:
        self.language = language if language in LANGUAGES else DEFAULT_LANGUAGE
        self.locale = Locale.parse("ru_RU" if self.language == "ru" else "en_GB")

    def __call__(self, key: str, **values: Any) -> str:
        text = CATALOG.get(key, {}).get(self.language, key)
        return text.format(**values) if values else text

    def money(self, minor: int, currency: str) -> str:
        return format_currency(from_minor(minor, currency), currency, locale=self.locale)

    def plain_amount(self, minor: int, currency: str) -> str:
        """Grouped digits without a currency sign, for inputs and tight columns."""
        value = from_minor(minor, currency)
        return format_decimal(value, format="#,##0.00", locale=self.locale)

    def date(self, value: date | None) -> str:
        return format_date(value, format="medium", locale=self.locale) if value else "—"

    def datetime(self, value: datetime | None) -> str:
        if value is None:
            return "—"
        return format_datetime(value.astimezone(UTC), format="short", tzinfo=UTC, locale=self.locale) + " UTC"

    def percent(self, value: float) -> str:
        return format_percent(value, locale=self.locale)

    def reason(self, reason: dict[str, Any]) -> str:
        code = str(reason.get("code", ""))
        key = f"reason.{code}"
        if key in CATALOG:
            return self(key)
        return str(reason.get("text") or code)
