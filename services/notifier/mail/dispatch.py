"""Send the emails that are due: claim, compose, send outside any transaction, record the outcome as evidence.

Like webhooks (``services.notifier.dispatcher``): a delivery is leased before sending, so two
workers never send it at once and a worker that dies mid-send is replaced when the lease runs
out — at least once, with the same Message-ID every time. Each outcome is one short
transaction: the attempt row (SMTP code and text, latency, sha256 of the message and of every
attachment), the delivery's new state, and a journal event — ``email.delivered`` carries the
server's acceptance, the message id and the moment, which is what settles "we never received".

Retries follow the webhook schedule (``RetryPolicy``): transient failures (4xx, network, TLS,
login) are retried until the attempts run out; a 5xx answer fails the delivery at once.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from services.notifier.mail import repository
from services.notifier.mail.compose import ComposedEmail, compose
from services.notifier.mail.smtp import SmtpOutcome, SmtpSender
from services.notifier.retry import RetryPolicy, count_outcome
from shared import journal
from shared.config import Settings, get_settings
from shared.db import session_scope
from shared.models.columns import utcnow
from shared.models.documents import EmailAttempt

Clock = Callable[[], datetime]
MAIL_ACTOR = "system:notifier"


@dataclass
class MailSummary:
    attempts: int = 0
    delivered: int = 0
    retrying: int = 0
    failed: int = 0


@dataclass(frozen=True, slots=True)
class MailVerdict:
    outcome: str  # delivered | retry | failed
    next_attempt_at: datetime | None


def judge(
    outcome: SmtpOutcome, attempt_number: int, now: datetime, policy: RetryPolicy, rng: random.Random
) -> MailVerdict:
    """What an SMTP outcome means for the delivery (pure)."""
    if outcome.accepted:
        return MailVerdict("delivered", None)
    if outcome.permanent:
        return MailVerdict("failed", None)
    delay = policy.delay(attempt_number, rng)
    if delay is None:
        return MailVerdict("failed", None)
    return MailVerdict("retry", now + timedelta(seconds=delay))


def record_outcome(
    session: Session,
    delivery_id: int,
    outcome: SmtpOutcome,
    composed: ComposedEmail | None,
    *,
    attempted_at: datetime,
    now: datetime,
    policy: RetryPolicy,
    rng: random.Random,
) -> MailVerdict:
    """Store one attempt and its consequences (flushes only)."""
    delivery = repository.get_delivery(session, delivery_id, for_update=True)
    assert delivery is not None  # rows are never deleted
    number = delivery.attempts + 1
    verdict = judge(outcome, number, now, policy, rng)
    attachments = [a.evidence() for a in composed.attachments] if composed else []
    session.add(
        EmailAttempt(
            delivery_id=delivery_id,
            number=number,
            attempted_at=attempted_at,
            latency_ms=outcome.latency_ms,
            smtp_code=outcome.code,
            smtp_response=outcome.response,
            error=outcome.error,
            outcome=verdict.outcome,
            next_attempt_at=verdict.next_attempt_at,
            message_sha256=composed.sha256 if composed else None,
            attachments=attachments,
        )
    )
    if delivery.status == "pending":  # another worker may have finished it after our lease ran out
        delivery.attempts = number
        delivery.status = "pending" if verdict.outcome == "retry" else verdict.outcome
        delivery.last_smtp_code = outcome.code
        delivery.last_error = outcome.error
        if verdict.next_attempt_at is not None:
            delivery.next_attempt_at = verdict.next_attempt_at
        if verdict.outcome == "delivered":
            delivery.smtp_response = outcome.response
            delivery.accepted_at = now
        if verdict.outcome != "retry":
            delivery.finished_at = now
    action = {
        "delivered": "email.delivered",
        "retry": "email.attempt_failed",
        "failed": "email.delivery_failed",
    }[verdict.outcome]
    context = delivery.context
    journal.record(
        session,
        journal.Change(
            MAIL_ACTOR,
            action,
            "email_delivery",
            delivery_id,
            after={
                "kind": delivery.kind,
                "event_id": delivery.event_id,
                "message_id": delivery.message_id,
                "recipients": list(delivery.recipients),
                "partner_id": delivery.partner_id,
                "invoice_id": context.get("invoice_id"),
                "transaction_id": context.get("transaction_id"),
                "attempt": number,
                "attempted_at": attempted_at.isoformat(),
                "accepted_at": now.isoformat() if verdict.outcome == "delivered" else None,
                "smtp_code": outcome.code,
                "smtp_response": outcome.response,
                "error": outcome.error,
                "latency_ms": outcome.latency_ms,
                "message_sha256": composed.sha256 if composed else None,
                "attachments": attachments,
                "outcome": verdict.outcome,
                "next_attempt_at": verdict.next_attempt_at.isoformat() if verdict.next_attempt_at else None,
            },
        ),
    )
    session.flush()
    return verdict


class MailDispatcher:
    """Deliver due emails with one SMTP sender, one clock and one random source (all injectable)."""

    def __init__(
        self,
        *,
        settings: Settings | None = None,
        clock: Clock = utcnow,
        sender: SmtpSender | None = None,
        rng: random.Random | None = None,
        engine: Engine | None = None,
    ) -> None:
        self.settings = settings or get_settings()
        self.clock = clock
        self.sender = sender
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not secrecy
        self.policy = RetryPolicy.from_settings(self.settings)
        self.engine = engine

    def _sender(self) -> SmtpSender:
        if self.sender is None:
            self.sender = SmtpSender.from_settings(self.settings)
        return self.sender

    def _lease(self) -> timedelta:
        """How long a claim stays ours: longer than any attempt can take (its timeouts are bounded)."""
        return timedelta(seconds=self.settings.notifier_claim_lease_seconds)

    def deliver_due(self, *, max_attempts: int | None = None, batch: int = 20) -> MailSummary:
        """Send every email due at the start of this call (or up to ``max_attempts`` of them)."""
        summary = MailSummary()
        if not self.settings.smtp_host:
            return summary
        cutoff = self.clock()
        while max_attempts is None or summary.attempts < max_attempts:
            size = batch if max_attempts is None else min(batch, max_attempts - summary.attempts)
            with session_scope(self.engine) as session:
                ids = repository.claim_due(session, cutoff, self.clock() + self._lease(), size)
            if not ids:
                return summary
            for delivery_id in ids:
                self._attempt(delivery_id, summary)
        return summary

    def _attempt(self, delivery_id: int, summary: MailSummary) -> None:
        attempted_at = self.clock()
        composed: ComposedEmail | None = None
        try:
            with session_scope(self.engine) as session:
                delivery = repository.get_delivery(session, delivery_id)
                assert delivery is not None
                composed = compose(session, delivery, self.settings, attempted_at)
        except Exception as exc:  # a document that cannot be drawn is recorded and retried, never silent
            outcome = SmtpOutcome(None, None, 0, f"cannot compose: {type(exc).__name__}: {exc}"[:500])
        else:
            outcome = self._sender().send(composed.sender, composed.recipients, composed.message)
        with session_scope(self.engine) as session:
            verdict = record_outcome(
                session,
                delivery_id,
                outcome,
                composed,
                attempted_at=attempted_at,
                now=self.clock(),
                policy=self.policy,
                rng=self.rng,
            )
        count_outcome(summary, verdict.outcome)


def deliver_due_emails(**options: Any) -> MailSummary:
    max_attempts = options.pop("max_attempts", None)
    return MailDispatcher(**options).deliver_due(max_attempts=max_attempts)
