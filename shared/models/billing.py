"""Partners, their contracts and invoices (both directions)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import CheckConstraint, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from shared.models.columns import money_column, utc_column, utcnow

InvoiceDirection = Literal["receivable", "payable"]
InvoiceStatus = Literal["open", "partially_paid", "paid", "overpaid", "cancelled"]


class Partner(SQLModel, table=True):
    """A customer or supplier, identified by tax id (INN + KPP in Russia) where it has one."""

    __table_args__ = (Index("ix_partner_inn_kpp", "inn", "kpp"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str
    inn: str | None = Field(default=None, index=True)
    kpp: str | None = None
    language: str = "ru"
    email: str | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class PartnerAccount(SQLModel, table=True):
    """A partner's bank account: the strongest structured hint of who paid."""

    __tablename__ = "partner_account"
    __table_args__ = (UniqueConstraint("partner_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    partner_id: int = Field(foreign_key="partner.id", index=True)
    number: str = Field(index=True)
    bank_bik: str | None = None


class Contract(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("partner_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    partner_id: int = Field(foreign_key="partner.id", index=True)
    number: str = Field(index=True)
    contract_date: date | None = None
    currency: str | None = None


def outstanding_minor(amount_minor: int, paid_minor: int) -> int:
    """What is still to pay on an invoice; an overpayment leaves nothing outstanding (the rest is credit)."""
    return max(amount_minor - paid_minor, 0)


class Invoice(SQLModel, table=True):
    """A receivable (we issued it) or a payable (a supplier issued it to us).

    Our own receivable numbers are unique; a payable is identified by supplier + number, since two
    suppliers can use the same number: two partial unique indexes say exactly that.
    """

    __table_args__ = (
        Index(
            "uq_invoice_receivable_number",
            "number",
            unique=True,
            sqlite_where=text("direction = 'receivable'"),
            postgresql_where=text("direction = 'receivable'"),
        ),
        Index(
            "uq_invoice_payable_partner_number",
            "partner_id",
            "number",
            unique=True,
            sqlite_where=text("direction = 'payable'"),
            postgresql_where=text("direction = 'payable'"),
        ),
        # A payer's open invoices (the matcher deciding an arriving line); without statistics SQLite
        # would otherwise read them through the status index, i.e. every open invoice.
        Index("ix_invoice_partner_id_status", "partner_id", "status"),
        CheckConstraint("direction IN ('receivable', 'payable')", name="direction"),
        CheckConstraint("status IN ('open', 'partially_paid', 'paid', 'overpaid', 'cancelled')", name="status"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("paid_minor >= 0", name="paid_not_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    direction: str = Field(default="receivable", index=True)
    number: str = Field(index=True)
    partner_id: int = Field(foreign_key="partner.id", index=True)
    contract_id: int | None = Field(default=None, foreign_key="contract.id", index=True)
    invoice_date: date | None = None
    due_date: date | None = None
    amount_minor: int = Field(sa_column=money_column())
    currency: str = "RUB"
    paid_minor: int = Field(default=0, sa_column=money_column())
    status: str = Field(default="open", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(index=True))
    # How this invoice's rows in ``invoice_lookup_key`` were derived; NULL: not keyed yet (written
    # by a path that does not key, e.g. one ORM object), so the matcher keys it before it looks.
    lookup_keys_version: int | None = Field(default=None, index=True)

    @property
    def outstanding_minor(self) -> int:
        return outstanding_minor(self.amount_minor, self.paid_minor)

    def snapshot(self) -> dict[str, Any]:
        """The fields a journal event records before/after a change."""
        return {
            "number": self.number,
            "direction": self.direction,
            "amount_minor": self.amount_minor,
            "currency": self.currency,
            "paid_minor": self.paid_minor,
            "status": self.status,
            "due_date": self.due_date.isoformat() if self.due_date else None,
        }


class InvoiceLookupKey(SQLModel, table=True):
    """A key a payment purpose can name an invoice by without knowing whose it is.

    Derived from the invoice's number and its contract's number
    (``services/reconciler/matching/lookup_keys.py``): the matcher deciding a few arriving lines
    finds the invoices their purposes could name here, by index, instead of reading every open
    invoice. Rows are added, never deleted (the application role may not delete): a key an
    invoice no longer has only makes a line's candidates one invoice more, never fewer.
    """

    __tablename__ = "invoice_lookup_key"

    key: str = Field(primary_key=True)
    invoice_id: int = Field(foreign_key="invoice.id", primary_key=True, index=True)


def invoice_status(amount_minor: int, paid_minor: int, cancelled: bool = False) -> InvoiceStatus:
    """Status follows from the amounts; cancelled is the only status a person sets."""
    if cancelled:
        return "cancelled"
    if paid_minor <= 0:
        return "open"
    if paid_minor < amount_minor:
        return "partially_paid"
    if paid_minor == amount_minor:
        return "paid"
    return "overpaid"
