"""Emails to partners and accountants, every attempt at them, payment-order scans, and reminders sent.

An email delivery is the promise "this message will reach this address"; its unique
``dedupe_key`` (the outbox event and recipient, or the reminder) is what makes planning it
idempotent. Each SMTP try is an attempt row kept forever, with the server's answer and the
sha256 of every attachment: with the journal, the proof that a partner was told, and with what.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Column, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from shared.models.columns import json_column, text_column, utc_column, utcnow

EMAIL_KINDS = (
    "payment_received",
    "payment_sent",
    "allocation_reversed",
    "receivable_reminder",
    "payables_reminder",
)
EMAIL_STATUSES = ("pending", "delivered", "failed")
REMINDER_AUDIENCES = ("partner", "accountants")


class EmailDelivery(SQLModel, table=True):
    """One message owed to its recipients; ``message_id`` is the same on every try (mail clients dedupe on it)."""

    __tablename__ = "email_delivery"
    __table_args__ = (
        UniqueConstraint("dedupe_key"),
        CheckConstraint("status IN ('pending', 'delivered', 'failed')", name="status"),
        Index("ix_email_delivery_due", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str
    kind: str = Field(index=True)
    event_id: str | None = Field(default=None, index=True)  # the outbox event it announces, if any
    partner_id: int | None = Field(default=None, foreign_key="partner.id", index=True)
    recipients: list[str] = Field(default_factory=list, sa_column=json_column(nullable=False))
    language: str = "ru"
    context: dict[str, Any] = Field(default_factory=dict, sa_column=json_column(nullable=False))
    message_id: str
    status: str = Field(default="pending")
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    last_smtp_code: int | None = None
    last_error: str | None = None
    smtp_response: str | None = None  # the server's answer to DATA when it accepted the message
    accepted_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    finished_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class EmailAttempt(SQLModel, table=True):
    """One SMTP try: when, the server's code and text, how long it took, what was attached, what we concluded."""

    __tablename__ = "email_attempt"
    __table_args__ = (CheckConstraint("outcome IN ('delivered', 'retry', 'failed')", name="outcome"),)

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="email_delivery.id", index=True)
    number: int
    attempted_at: datetime = Field(sa_column=utc_column())
    latency_ms: int
    smtp_code: int | None = None
    smtp_response: str | None = Field(default=None, sa_column=text_column())
    error: str | None = None
    outcome: str
    next_attempt_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    message_sha256: str | None = None
    attachments: list[dict[str, Any]] = Field(default_factory=list, sa_column=json_column(nullable=False))


class PaymentDocument(SQLModel, table=True):
    """A scan of a payment's order (PDF, JPEG or PNG), uploaded by a person; the bytes live in the row.

    Kept in the database rather than on disk so that a backup of the database is a backup of the
    evidence, on SQLite and PostgreSQL alike; ``sha256`` proves later that the bytes are the ones
    uploaded. The same bytes uploaded twice for one payment are stored once.
    """

    __tablename__ = "payment_document"
    __table_args__ = (UniqueConstraint("transaction_id", "sha256"),)

    id: int | None = Field(default=None, primary_key=True)
    transaction_id: int = Field(foreign_key="bank_transaction.id", index=True)
    kind: str = "payment_order"
    filename: str
    content_type: str
    size_bytes: int
    sha256: str = Field(index=True)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    uploaded_by: str
    uploaded_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class ReminderLog(SQLModel, table=True):
    """One deadline reminder about one invoice for one audience; the unique key is "never twice"."""

    __tablename__ = "reminder_log"
    __table_args__ = (
        UniqueConstraint("invoice_id", "audience", "offset_days", "due_date"),
        CheckConstraint("audience IN ('partner', 'accountants')", name="audience"),
    )

    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoice.id", index=True)
    audience: str
    offset_days: int  # from the due date: -3 = three days before, 7 = a week late
    due_date: date
    remind_on: date
    email_delivery_id: int | None = Field(default=None, foreign_key="email_delivery.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
