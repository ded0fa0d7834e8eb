"""An email delivery made into the MIME message that goes over SMTP, attachments included.

Composed at each attempt from the delivery's stored context (the facts as of planning) and the
documents as they are at sending: the payment order (the uploaded scan if any, else form
0401060 drawn from the statement line) and the contract statement in PDF and CSV. The
Message-ID is the delivery's, the same on every retry. Each attachment's sha256 is recorded
with the attempt, so what the partner received can be proven byte for byte.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr
from typing import Any

from sqlmodel import Session

from services.notifier import portal_links
from services.notifier.documents import repository as documents
from services.notifier.documents.service import Attachment, payment_order_attachment, statement_attachments
from services.notifier.mail import templates
from shared.config import Settings
from shared.models.documents import EmailDelivery

WITH_PAYMENT_ORDER = frozenset({"payment_received", "payment_sent"})
WITH_STATEMENT = frozenset({"payment_received", "payment_sent", "allocation_reversed", "receivable_reminder"})


@dataclass(frozen=True, slots=True)
class ComposedEmail:
    sender: str  # the envelope sender (MAIL FROM)
    recipients: tuple[str, ...]
    message: bytes
    attachments: tuple[Attachment, ...]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.message).hexdigest()


def _attachments(session: Session, delivery: EmailDelivery, now: datetime) -> list[Attachment]:
    context = delivery.context
    found: list[Attachment] = []
    if delivery.kind in WITH_PAYMENT_ORDER and context.get("transaction_id"):
        found.append(payment_order_attachment(session, int(context["transaction_id"])))
    if delivery.kind in WITH_STATEMENT and delivery.partner_id is not None:
        partner = documents.get_partner(session, delivery.partner_id)
        if partner is not None:
            contract_id = context.get("contract_id")
            found.extend(
                statement_attachments(
                    session,
                    partner,
                    int(contract_id) if contract_id is not None else None,
                    language=delivery.language,
                    as_of=now,
                )
            )
    return found


def compose(
    session: Session,
    delivery: EmailDelivery,
    settings: Settings,
    now: datetime,
    link_clock: Callable[[], float] | None = None,
) -> ComposedEmail:
    """The message for one attempt (reads only)."""
    context: dict[str, Any] = dict(delivery.context)
    context["company"] = settings.company_name or "Sverka"
    context["link_days"] = settings.partner_link_days
    if delivery.partner_id is not None:
        clock = link_clock or now.timestamp
        context["link"] = portal_links.partner_url(delivery.partner_id, settings=settings, clock=clock)
    subject, body = templates.render(delivery.kind, delivery.language, context)
    attachments = _attachments(session, delivery, now)
    message = EmailMessage(policy=SMTP)
    message["From"] = settings.smtp_from
    message["To"] = ", ".join(delivery.recipients)
    message["Subject"] = subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = delivery.message_id
    message["Content-Language"] = delivery.language
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation auto-replies to us
    if delivery.event_id:
        message["X-Sverka-Event-Id"] = delivery.event_id
    message.set_content(body, charset="utf-8")
    for a in attachments:
        maintype, _, subtype = a.content_type.partition("/")
        message.add_attachment(a.data, maintype=maintype, subtype=subtype, filename=a.filename)
    return ComposedEmail(
        sender=parseaddr(settings.smtp_from)[1],
        recipients=tuple(delivery.recipients),
        message=message.as_bytes(),
        attachments=tuple(attachments),
    )
