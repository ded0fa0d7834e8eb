"""Russian and English for the workspace: words from a small catalog, numbers and dates from Babel.

The catalog is a dict per language rather than gettext files: a few hundred words do not need
a compile step, and a missing key shows up as the key itself (and in a test), never as a crash.
Which language: the user's saved choice, else a cookie, else the browser's Accept-Language.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
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
    "reason.reference_learned_doubted": {
        "ru": "выученный номер, в котором сотрудник усомнился: нужно подтверждение",
        "en": "a learned reference a person has doubted: a person confirms",
    },
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
    "reason.reference_variant": {
        "ru": "номер счёта в назначении, записан иначе",
        "en": "the invoice number, written differently",
    },
    "reason.reference_serial": {
        "ru": "номер счёта без префикса и нулей",
        "en": "the invoice number without prefix or zeros",
    },
    "reason.reference_other_partner": {
        "ru": "в назначении счёт другого контрагента",
        "en": "the purpose names another partner's invoice",
    },
    "reason.third_party_named": {"ru": "платит третье лицо за контрагента", "en": "a third party pays for the partner"},
    "reason.third_party_named_by_name": {
        "ru": "назначение называет контрагента только по наименованию: нужно подтверждение",
        "en": "the purpose names the partner by name only: a person confirms",
    },
    "reason.amount_equal_in_contract": {
        "ru": "сумма равна счёту по договору",
        "en": "the amount equals an invoice of the contract",
    },
    "reason.amount_unique_for_partner": {
        "ru": "сумма равна единственному открытому счёту",
        "en": "the amount equals the one open invoice of this partner",
    },
    "reason.amount_short_fee": {
        "ru": "недоплата в пределах комиссии банка",
        "en": "short by a bank fee within tolerance",
    },
    "reason.partial_payment": {"ru": "частичная оплата", "en": "a partial payment"},
    "reason.overpayment": {
        "ru": "переплата: остаток — аванс контрагента",
        "en": "an overpayment: the rest is the partner's credit",
    },
    "reason.payer_tax_id": {"ru": "ИНН плательщика совпадает", "en": "the payer's tax id matches"},
    "reason.payer_account": {"ru": "счёт плательщика совпадает", "en": "the payer's account matches"},
    "reason.payer_learned_account": {"ru": "счёт, которому научили ранее", "en": "an account learned earlier"},
    "reason.payer_name": {"ru": "наименование плательщика совпадает", "en": "the payer's name matches"},
    "reason.payer_name_before_comma": {
        "ru": "наименование плательщика до запятой совпадает",
        "en": "the payer's name before the comma matches",
    },
    "reason.payer_name_fuzzy": {"ru": "наименование плательщика похоже", "en": "the payer's name is similar"},
    "reason.payer_name_transliterated": {
        "ru": "наименование плательщика латиницей похоже на наименование контрагента",
        "en": "the payer's name in Latin letters is like the partner's",
    },
    "reason.below_auto_confidence": {
        "ru": "уверенность ниже порога автоматического разнесения",
        "en": "confidence below the automatic threshold",
    },
    "reason.declined_before": {
        "ru": "сотрудник уже отклонил этот счёт для платежа: не предлагается снова",
        "en": "a person declined this invoice for this payment: not offered again",
    },
    "reason.declined_then_reoffered": {
        "ru": "счёт отклонён, затем предложен снова: нужно подтверждение сотрудника",
        "en": "declined, then offered again: a person confirms it",
    },
    "reason.line_fully_allocated": {"ru": "платёж разнесён полностью", "en": "the payment is fully allocated"},
    "nav.statements": {"ru": "Выписки", "en": "Statements"},
    "nav.accounts": {"ru": "Счета", "en": "Accounts"},
    "nav.users": {"ru": "Пользователи", "en": "Users"},
    "overview.by_period": {"ru": "По счетам и месяцам", "en": "By account and month"},
    "overview.period": {"ru": "Месяц", "en": "Month"},
    "overview.no_date": {"ru": "без даты", "en": "no date"},
    "overview.period_note": {
        "ru": "Последние 12 месяцев. «Не разнесено»: несопоставленные и частично разнесённые, сумма — остаток.",
        "en": "The last 12 months. “Unsettled”: unmatched and partially settled lines; the sum is what is left open.",
    },
    "overview.endpoints_disabled": {
        "ru": "Уведомления партнёрам не доставляются: адреса отключены",
        "en": "Partners are not being notified: these webhook endpoints are disabled",
    },
    "overview.endpoints_disabled_hint": {
        "ru": "Исправьте получателя, затем: sverka webhooks enable ID и sverka webhooks replay ID --all-failed.",
        "en": "Fix the receiver, then: sverka webhooks enable ID and sverka webhooks replay ID --all-failed.",
    },
    "overview.last_imports": {"ru": "Последние выписки", "en": "Latest statements"},
    "overview.last_pulls": {"ru": "Последние загрузки из банка", "en": "Latest bank pulls"},
    "group.unsettled": {"ru": "Не разнесено", "en": "Unsettled"},
    "group.suggested": {"ru": "Есть предложения", "en": "Suggested"},
    "group.settled": {"ru": "Разнесено", "en": "Settled"},
    "statements.title": {"ru": "Выписки", "en": "Statements"},
    "statements.lead": {
        "ru": "Загрузите файл выписки: строки, уже известные по прошлым выпискам, не задвоятся.",
        "en": "Upload a statement file: lines already known from earlier statements are not stored twice.",
    },
    "statements.drop": {
        "ru": "Перетащите файл выписки сюда или выберите его",
        "en": "Drop a statement file here or choose one",
    },
    "statements.formats": {
        "ru": "1С (1CClientBankExchange), CAMT.052/053/054, MT940/942, OFX/QFX, CSV · до {mb} МБ",
        "en": "1C (1CClientBankExchange), CAMT.052/053/054, MT940/942, OFX/QFX, CSV · up to {mb} MB",
    },
    "statements.account_hint": {"ru": "Счёт, если файл его не называет", "en": "Account, if the file names none"},
    "statements.account_placeholder": {"ru": "номер счёта", "en": "account number"},
    "statements.upload": {"ru": "Загрузить", "en": "Upload"},
    "statements.read_only": {
        "ru": "Загружать выписки может бухгалтер или администратор.",
        "en": "Statements are uploaded by an accountant or an admin.",
    },
    "statements.imported": {"ru": "Выписка загружена", "en": "Statement imported"},
    "statements.no_statements": {"ru": "В файле нет выписок.", "en": "The file holds no statement."},
    "statements.rejected": {"ru": "Файл не принят", "en": "The file was refused"},
    "statements.nothing_stored": {
        "ru": "Из этого файла ничего не сохранено. Исправьте его и загрузите снова.",
        "en": "Nothing from this file was stored. Fix it and upload it again.",
    },
    "statements.file": {"ru": "Файл", "en": "File"},
    "statements.position": {"ru": "Где", "en": "Where"},
    "statements.reason": {"ru": "Причина", "en": "Reason"},
    "statements.latest": {"ru": "Последние загрузки", "en": "Latest imports"},
    "statements.format": {"ru": "Формат", "en": "Format"},
    "statements.period": {"ru": "Период", "en": "Period"},
    "statements.lines": {"ru": "Строк", "en": "Lines"},
    "statements.new": {"ru": "Новых", "en": "New"},
    "statements.duplicates": {"ru": "Повторов", "en": "Duplicates"},
    "statements.warnings": {"ru": "Предупреждения", "en": "Warnings"},
    "accounts.title": {"ru": "Банковские счета", "en": "Bank accounts"},
    "accounts.lead": {
        "ru": "Наши счета, их подключение к API банка и последние загрузки.",
        "en": "Our accounts, their bank API connection and the latest pulls.",
    },
    "accounts.lines": {"ru": "Платежи счёта", "en": "Its payments"},
    "accounts.pull_now": {"ru": "Загрузить сейчас", "en": "Pull now"},
    "accounts.api": {"ru": "API", "en": "API"},
    "accounts.disabled": {"ru": "выключено", "en": "disabled"},
    "accounts.base_url": {"ru": "Адрес", "en": "Base URL"},
    "accounts.interval": {"ru": "Как часто", "en": "Interval"},
    "accounts.every": {"ru": "каждые {minutes} мин", "en": "every {minutes} min"},
    "accounts.cursor": {"ru": "Загружено по", "en": "Cursor"},
    "accounts.next_pull": {"ru": "Следующая загрузка", "en": "Next pull"},
    "accounts.last_pulls": {"ru": "Последние загрузки", "en": "Latest pulls"},
    "accounts.no_pulls": {"ru": "Загрузок ещё не было.", "en": "No pulls yet."},
    "accounts.files_only": {
        "ru": "Подключения к API нет: строки приходят только из файлов выписок.",
        "en": "No API connection: lines arrive from statement files only.",
    },
    "accounts.none": {"ru": "Счетов пока нет.", "en": "No accounts yet."},
    "accounts.window": {"ru": "Период", "en": "Window"},
    "accounts.trigger": {"ru": "Запуск", "en": "Trigger"},
    "trigger.manual": {"ru": "вручную", "en": "by hand"},
    "trigger.schedule": {"ru": "по расписанию", "en": "scheduled"},
    "pull.ok": {"ru": "успешно", "en": "ok"},
    "pull.failed": {"ru": "ошибка", "en": "failed"},
    "api.berlin_group": {"ru": "Berlin Group (NextGenPSD2)", "en": "Berlin Group (NextGenPSD2)"},
    "api.tbank": {"ru": "Т-Банк", "en": "T-Bank"},
    "books.balances": {"ru": "Сальдо", "en": "Balances"},
    "books.invoice_count": {"ru": "счетов: {n}", "en": "{n} invoices"},
    "books.invoiced": {"ru": "Выставлено", "en": "Invoiced"},
    "books.no_invoices": {"ru": "Счетов нет.", "en": "No invoices."},
    "books.invoices": {"ru": "Счета", "en": "Invoices"},
    "books.newest_of": {"ru": "Показаны последние {shown} из {total}.", "en": "The newest {shown} of {total}."},
    "books.payments": {"ru": "Платежи и разнесение", "en": "Payments and allocations"},
    "books.payment": {"ru": "Платёж", "en": "Payment"},
    "col.direction": {"ru": "Вид", "en": "Kind"},
    "col.contract": {"ru": "Договор", "en": "Contract"},
    "contract.title": {"ru": "Договор {number}", "en": "Contract {number}"},
    "partner.email": {"ru": "Эл. почта", "en": "Email"},
    "partner.contracts": {"ru": "Договоры", "en": "Contracts"},
    "users.title": {"ru": "Пользователи", "en": "Users"},
    "users.lead": {
        "ru": "Кто работает в Сверке и с какими правами. Каждое изменение попадает в журнал.",
        "en": "Who works in Sverka and with which rights. Every change is journaled.",
    },
    "users.created": {"ru": "Пользователь {name} создан.", "en": "User {name} created."},
    "users.password_changed": {
        "ru": "Пароль пользователя {name} изменён, его сеансы завершены.",
        "en": "{name}'s password changed; their sessions ended.",
    },
    "users.password_once": {
        "ru": "Пароль (показан один раз, передайте его лично):",
        "en": "Password (shown once; hand it over in person):",
    },
    "users.role": {"ru": "Роль", "en": "Role"},
    "users.since": {"ru": "Создан", "en": "Created"},
    "users.disabled": {"ru": "отключён", "en": "disabled"},
    "users.new_password": {"ru": "новый пароль или пусто", "en": "new password, or empty"},
    "users.reset": {"ru": "Сменить пароль", "en": "Reset password"},
    "users.disable": {"ru": "Отключить", "en": "Disable"},
    "users.add": {"ru": "Новый пользователь", "en": "New user"},
    "users.generated": {"ru": "пусто — сгенерировать", "en": "empty: generate one"},
    "users.add_button": {"ru": "Добавить", "en": "Add"},
    "keys.title": {"ru": "Ключи API", "en": "API keys"},
    "keys.lead": {
        "ru": "Ключи других сервисов для /v1. Ключ показывается один раз; хранится только его хеш.",
        "en": "Keys of other services for /v1. A key is shown once; only its hash is stored.",
    },
    "keys.name": {"ru": "Название", "en": "Name"},
    "keys.prefix": {"ru": "Начало ключа", "en": "Starts with"},
    "keys.scope": {"ru": "Права", "en": "Scope"},
    "keys.partner": {"ru": "Только контрагент (ИНН)", "en": "Partner only (INN)"},
    "keys.all_partners": {"ru": "все", "en": "all"},
    "keys.none": {"ru": "Ключей пока нет.", "en": "No keys yet."},
    "keys.revoked": {"ru": "отозван", "en": "revoked"},
    "keys.revoke": {"ru": "Отозвать", "en": "Revoke"},
    "keys.add": {"ru": "Новый ключ", "en": "New key"},
    "keys.add_button": {"ru": "Создать ключ", "en": "Create key"},
    "keys.created": {"ru": "Ключ «{name}» создан.", "en": "Key “{name}” created."},
    "keys.secret_once": {
        "ru": "Ключ (показан один раз, сохраните его в настройках сервиса):",
        "en": "Key (shown once; store it in the service's settings):",
    },
    "scope.read": {"ru": "чтение", "en": "read"},
    "scope.write": {"ru": "чтение и запись", "en": "read and write"},
    "done.api_key_revoked": {
        "ru": "Ключ отозван: запросы с ним больше не принимаются.",
        "en": "Key revoked: requests with it are refused from now on.",
    },
    "nav.webhooks": {"ru": "Уведомления", "en": "Webhooks"},
    "hooks.title": {"ru": "Вебхуки", "en": "Webhooks"},
    "hooks.lead": {
        "ru": "Адреса партнёров и наших сервисов, куда Сверка отправляет подписанные события.",
        "en": "Partners' and our services' addresses that receive Sverka's signed events.",
    },
    "hooks.url": {"ru": "Адрес", "en": "URL"},
    "hooks.partner": {"ru": "Контрагент (ИНН)", "en": "Partner (INN)"},
    "hooks.internal": {"ru": "наш сервис", "en": "internal service"},
    "hooks.events": {"ru": "События", "en": "Events"},
    "hooks.events_hint": {"ru": "через запятую; * — все", "en": "comma-separated; * for all"},
    "hooks.health": {"ru": "Состояние", "en": "Health"},
    "hooks.failing_since": {"ru": "ошибки с", "en": "failing since"},
    "hooks.last_success": {"ru": "последняя доставка", "en": "last delivered"},
    "hooks.disabled": {"ru": "отключён", "en": "disabled"},
    "hooks.none": {"ru": "Адресов пока нет.", "en": "No endpoints yet."},
    "hooks.add": {"ru": "Новый адрес", "en": "New endpoint"},
    "hooks.add_button": {"ru": "Добавить", "en": "Register"},
    "hooks.secret_once": {
        "ru": "Секрет для проверки подписи (показан один раз, передайте получателю):",
        "en": "Signing secret (shown once; give it to the receiver):",
    },
    "hooks.old_secret_until": {"ru": "прежний секрет действует до", "en": "the old secret keeps signing until"},
    "hooks.test": {"ru": "Тестовое событие", "en": "Send test event"},
    "hooks.rotate": {"ru": "Сменить секрет", "en": "Rotate secret"},
    "hooks.disable": {"ru": "Отключить", "en": "Disable"},
    "hooks.enable": {"ru": "Включить", "en": "Enable"},
    "hooks.replay": {"ru": "Отправить снова", "en": "Replay"},
    "hooks.replay_failed": {"ru": "Отправить снова все неудачные", "en": "Replay all failed"},
    "hooks.deliveries": {"ru": "Доставки", "en": "Deliveries"},
    "hooks.no_deliveries": {"ru": "Доставок пока нет.", "en": "No deliveries yet."},
    "hooks.event": {"ru": "Событие", "en": "Event"},
    "hooks.status": {"ru": "Итог", "en": "Outcome"},
    "hooks.attempts": {"ru": "Попытки", "en": "Attempts"},
    "hooks.next_attempt": {"ru": "следующая", "en": "next"},
    "delivery.pending": {"ru": "в очереди", "en": "pending"},
    "delivery.delivered": {"ru": "доставлено", "en": "delivered"},
    "delivery.failed": {"ru": "не доставлено", "en": "failed"},
    "done.endpoint_disabled": {"ru": "Адрес отключён.", "en": "Endpoint disabled."},
    "done.endpoint_enabled": {
        "ru": "Адрес включён: ожидавшие доставки уходят сейчас.",
        "en": "Endpoint enabled: the deliveries that waited go out now.",
    },
    "done.test_queued": {"ru": "Тестовое событие отправляется.", "en": "Test event queued."},
    "done.replayed": {"ru": "Доставки отправляются снова.", "en": "Deliveries queued again."},
    "role.admin": {"ru": "администратор", "en": "admin"},
    "role.accountant": {"ru": "бухгалтер", "en": "accountant"},
    "role.viewer": {"ru": "наблюдатель", "en": "viewer"},
    "done.pulled": {"ru": "Выписка из банка загружена.", "en": "Pulled from the bank."},
    "done.pull_failed": {
        "ru": "Банк не ответил как надо: загрузка записана с ошибкой, ничего не сохранено.",
        "en": "The bank failed: the pull is recorded with its error and nothing was stored.",
    },
    "done.user_disabled": {
        "ru": "Пользователь отключён, его сеансы завершены.",
        "en": "User disabled; their sessions ended.",
    },
    "event.contract.created": {"ru": "Договор создан", "en": "Contract created"},
    "event.partner.created": {"ru": "Контрагент создан", "en": "Partner created"},
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

    def month(self, period: str) -> str:
        """``2024-03`` as the reader says it (март 2024 г. / Mar 2024)."""
        if not period:
            return self("overview.no_date")
        year, month = (int(part) for part in period.split("-"))
        text = format_date(
            date(year, month, 1), format="LLLL y" if self.language == "ru" else "MMM y", locale=self.locale
        )
        return text[:1].upper() + text[1:]

    @staticmethod
    def month_end(period: str) -> str:
        """The last day of a ``YYYY-MM`` month, ISO: the queue's ``to`` filter for that month."""
        year, month = (int(part) for part in period.split("-"))
        return (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).isoformat()

    def percent(self, value: float) -> str:
        return format_percent(value, locale=self.locale)

    def reason(self, reason: dict[str, Any]) -> str:
        code = str(reason.get("code", ""))
        key = f"reason.{code}"
        if key in CATALOG:
            return self(key)
        return str(reason.get("text") or code)
