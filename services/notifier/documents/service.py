"""Documents from the shared tables: a payment's order (scan or drawn), a contract's statement, scan uploads.

The payment order is the uploaded scan when one exists — the bank's own document beats any
rendering — and otherwise form 0401060 drawn from the statement line's payment-order fields,
completed where the statement was silent with what we know for certain: our account (the
statement's), our company's requisites (settings), the partner's INN/KPP. Nothing is guessed.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from services.notifier.documents import repository
from services.notifier.documents.contract_statement import (
    AllocationRow,
    ContractStatement,
    InvoiceRow,
    build_entries,
    render_csv,
    render_pdf,
)
from services.notifier.documents.payment_order import Party, PaymentOrder, render_payment_order
from shared import journal
from shared.config import Settings, get_settings
from shared.errors import InvalidInput, NotFound
from shared.models import BankTransaction, Partner
from shared.models.columns import utcnow
from shared.models.documents import PaymentDocument
from shared.money import from_minor

PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
_MAGIC = ((b"%PDF-", PDF), (b"\xff\xd8\xff", JPEG), (b"\x89PNG\r\n\x1a\n", PNG))
_EXTENSIONS = {PDF: "pdf", JPEG: "jpg", PNG: "png"}
_SAFE_NAME = re.compile(r"[^\w.\- ]+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    def evidence(self) -> dict[str, Any]:
        return {
            "filename": self.filename,
            "content_type": self.content_type,
            "bytes": len(self.data),
            "sha256": self.sha256,
        }


# --- payment orders ------------------------------------------------------------------------------


def _iso_to_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _party(details: dict[str, Any], side: str, fallback: Party) -> Party:
    def pick(key: str, default: str) -> str:
        return str(details.get(f"{side}_{key}") or default)

    return Party(
        name=pick("name", fallback.name),
        inn=pick("inn", fallback.inn),
        kpp=pick("kpp", fallback.kpp),
        account=pick("account", fallback.account),
        bank_name=pick("bank_name", fallback.bank_name),
        bank_bik=pick("bank_bik", fallback.bank_bik),
        bank_corr_account=pick("bank_corr_account", fallback.bank_corr_account),
    )


def build_payment_order(session: Session, tx: BankTransaction, settings: Settings | None = None) -> PaymentOrder:
    """Form 0401060's fields for a bank line (see the module docstring for where each comes from)."""
    settings = settings or get_settings()
    details: dict[str, Any] = dict(tx.details or {})
    account = repository.get_account(session, tx.bank_account_id)
    counterparty_partner = (
        repository.partner_by_inn(session, tx.counterparty_tax_id) if tx.counterparty_tax_id else None
    )
    ours = Party(
        name=settings.company_name or (account.name if account and account.name else ""),
        inn=settings.company_inn,
        kpp=settings.company_kpp,
        account=account.number if account else "",
        bank_bik=(account.bank_bik or "") if account else "",
    )
    theirs = Party(
        name=tx.counterparty_name or (counterparty_partner.name if counterparty_partner else ""),
        inn=tx.counterparty_tax_id or "",
        kpp=(counterparty_partner.kpp or "") if counterparty_partner else "",
        account=tx.counterparty_account or "",
    )
    debit = tx.amount_minor < 0
    payer = _party(details, "payer", ours if debit else theirs)
    payee = _party(details, "payee", theirs if debit else ours)
    operation = str(details.get("payment_kind") or "01")
    payment_kind = str(details.get("ВидПлатежа") or "")
    if not operation.isdigit():  # a bank that put "электронно" where 1C puts the operation cipher
        operation, payment_kind = "01", payment_kind or operation
    debited = str(details.get("ДатаСписано") or "")
    if not debited and debit and tx.booking_date:
        debited = tx.booking_date.strftime("%d.%m.%Y")  # our own debit: the statement's booking date is it
    booked = tx.booking_date.strftime("%d.%m.%Y") if tx.booking_date else "—"
    return PaymentOrder(
        number=str(details.get("document_number") or tx.bank_ref or tx.id),
        date=_iso_to_date(details.get("document_date")) or tx.booking_date,
        amount=abs(from_minor(tx.amount_minor, tx.currency)),
        currency=tx.currency,
        payer=payer,
        payee=payee,
        purpose=tx.purpose or "",
        payment_kind=payment_kind,
        operation_kind=operation,
        priority=str(details.get("priority") or ""),
        payment_term=str(details.get("СрокПлатежа") or ""),
        purpose_code=str(details.get("КодНазПлатежа") or ""),
        uin=str(details.get("Код") or ""),
        payer_status=str(details.get("СтатусСоставителя") or ""),
        budget=tuple(  # type: ignore[arg-type]
            str(details.get(k) or "")
            for k in (
                "ПоказательКБК",
                "ОКАТО",
                "ПоказательОснования",
                "ПоказательПериода",
                "ПоказательНомера",
                "ПоказательДаты",
                "ПоказательТипа",
            )
        ),
        received_by_bank=str(details.get("ДатаПоступило") or ""),
        debited=debited,
        bank_marks=(
            f"Проведено по выписке {booked}" + (f", строка {tx.bank_ref}" if tx.bank_ref else ""),
            "Сформировано Sverka по данным банковской выписки; не является копией с отметкой банка.",
        ),
    )


def payment_order_attachment(session: Session, transaction_id: int) -> Attachment:
    """The payment's order: the latest uploaded scan, else form 0401060 drawn from the statement line."""
    tx = repository.get_transaction(session, transaction_id)
    if tx is None:
        raise NotFound(f"payment {transaction_id} not found")
    scan = repository.latest_scan(session, transaction_id)
    if scan is not None:
        return Attachment(scan.filename, scan.content_type, bytes(scan.content))
    order = build_payment_order(session, tx)
    number = _SAFE_NAME.sub("_", order.number)
    return Attachment(f"payment-order-{number}.pdf", PDF, render_payment_order(order))


# --- contract statements ------------------------------------------------------------------------


def contract_statements(
    session: Session, partner: Partner, contract_id: int | None, *, language: str, as_of: datetime | None = None
) -> list[ContractStatement]:
    """The statement of ``contract_id`` (None: the partner's invoices under no contract), one per currency."""
    contract = repository.get_contract(session, contract_id) if contract_id is not None else None
    if contract_id is not None and (contract is None or contract.partner_id != partner.id):
        raise NotFound(f"contract {contract_id} not found")
    invoices = repository.invoices_of(session, partner.id or 0, contract_id)
    by_id = {inv.id: inv for inv in invoices}
    allocations = repository.allocations_to(session, [i.id or 0 for i in invoices])
    invoice_rows = [
        InvoiceRow(i.id or 0, i.number, i.direction, i.invoice_date, i.created_at, i.amount_minor, i.currency)
        for i in invoices
    ]
    allocation_rows = [
        AllocationRow(
            id=a.id or 0,
            invoice_id=a.invoice_id,
            invoice_number=by_id[a.invoice_id].number,
            direction=by_id[a.invoice_id].direction,
            amount_minor=a.amount_minor,
            currency=a.currency,
            created_at=a.created_at,
            reversed_at=a.reversed_at,
            reversal_reason=a.reversal_reason,
            transaction_id=t.id or 0,
            bank_ref=t.bank_ref,
            document_number=(t.details or {}).get("document_number"),
            booking_date=t.booking_date,
        )
        for a, t in allocations
    ]
    currencies = sorted({i.currency for i in invoice_rows} | {a.currency for a in allocation_rows}) or [
        (contract.currency if contract and contract.currency else "RUB")
    ]
    moment = as_of or utcnow()
    return [
        ContractStatement(
            partner_name=partner.name,
            partner_inn=partner.inn,
            contract_number=contract.number if contract else None,
            contract_date=contract.contract_date if contract else None,
            company_name=get_settings().company_name,
            language=language,
            as_of=moment,
            currency=currency,
            entries=build_entries(invoice_rows, allocation_rows, currency, language),
        )
        for currency in currencies
    ]


def statement_attachments(
    session: Session, partner: Partner, contract_id: int | None, *, language: str, as_of: datetime | None = None
) -> list[Attachment]:
    """The statement as PDF and CSV (per currency when the contract has several)."""
    statements = contract_statements(session, partner, contract_id, language=language, as_of=as_of)
    attachments: list[Attachment] = []
    for s in statements:
        stem = "statement-" + _SAFE_NAME.sub("_", s.contract_number or "no-contract")
        if len(statements) > 1:
            stem += f"-{s.currency}"
        attachments.append(Attachment(f"{stem}.pdf", PDF, render_pdf(s)))
        attachments.append(Attachment(f"{stem}.csv", "text/csv", render_csv(s)))
    return attachments


# --- scan uploads -------------------------------------------------------------------------------


def sniff_content_type(data: bytes) -> str | None:
    """PDF, JPEG or PNG by the file's first bytes (what it claims to be does not matter)."""
    return next((kind for magic, kind in _MAGIC if data.startswith(magic)), None)


def store_scan(
    session: Session, transaction_id: int, filename: str, data: bytes, *, actor: str, max_bytes: int | None = None
) -> tuple[PaymentDocument, bool]:
    """Keep a payment-order scan for a payment; the same bytes twice are stored once. Returns (row, created)."""
    limit = max_bytes if max_bytes is not None else get_settings().document_max_bytes
    if repository.get_transaction(session, transaction_id) is None:
        raise NotFound(f"payment {transaction_id} not found")
    if not data:
        raise InvalidInput("the file is empty", field="file")
    if len(data) > limit:
        raise InvalidInput(f"the file is larger than {limit} bytes", field="file")
    content_type = sniff_content_type(data)
    if content_type is None:
        raise InvalidInput("only PDF, JPEG and PNG scans are accepted (checked by content)", field="file")
    digest = hashlib.sha256(data).hexdigest()
    existing = repository.scan_by_hash(session, transaction_id, digest)
    if existing is not None:
        return existing, False
    stem = _SAFE_NAME.sub("_", (filename or "").rsplit("/", 1)[-1].rsplit(".", 1)[0])[:80] or "payment-order"
    row = PaymentDocument(
        transaction_id=transaction_id,
        filename=f"{stem}.{_EXTENSIONS[content_type]}",
        content_type=content_type,
        size_bytes=len(data),
        sha256=digest,
        content=data,
        uploaded_by=actor,
    )
    session.add(row)
    session.flush()
    journal.record(
        session,
        journal.Change(
            actor,
            "payment_document.uploaded",
            "payment_document",
            row.id or 0,
            after={
                "transaction_id": transaction_id,
                "filename": row.filename,
                "content_type": content_type,
                "size_bytes": len(data),
                "sha256": digest,
            },
        ),
    )
    return row, True
