"""Deliver what is due: claim, send outside any transaction, record the outcome as evidence.

Each outcome is recorded in its own short transaction: the attempt row, the delivery's new
state, the endpoint's health and a journal event, together. Rules:

* 2xx: delivered.
* network error, timeout, 5xx, 408, 429: tried again on the :class:`~services.notifier.retry.RetryPolicy`
  schedule (``Retry-After`` honoured on 429 and 503) until the attempts run out, then failed.
* 410 Gone: failed, and the endpoint is disabled (the receiver said it is gone for good).
* any other answer (other 4xx, a redirect) or a URL that fails the SSRF check: failed at once.
* an endpoint that has accepted nothing for ``webhook_disable_after_failing_seconds`` is disabled.

Time comes from an injectable ``clock`` so that tests can step through a day of retries
without sleeping.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from services.notifier import relay, repository
from services.notifier.delivery import HttpOutcome, Sender
from services.notifier.mail import repository as mail_repository
from services.notifier.mail.dispatch import MailDispatcher
from services.notifier.repository import DeliveryJob
from services.notifier.retry import GONE, RetryPolicy, count_outcome, is_retryable, is_success, parse_retry_after
from shared import journal
from shared.config import Settings, get_settings
from shared.db import session_scope
from shared.models.columns import utcnow
from shared.models.webhooks import WebhookAttempt, WebhookDelivery, WebhookEndpoint

Clock = Callable[[], datetime]
NOTIFIER_ACTOR = "system:notifier"
_RETRY_AFTER_STATUSES = frozenset({429, 503})


@dataclass
class DrainSummary:
    events_relayed: int = 0
    deliveries_created: int = 0
    attempts: int = 0
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    endpoints_disabled: list[int] = field(default_factory=list)
    pending: int = 0
    # The email channel (services.notifier.mail): planned by the relay, sent in the same pass.
    emails_planned: int = 0
    emails_delivered: int = 0
    emails_retrying: int = 0
    emails_failed: int = 0
    emails_pending: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Verdict:
    outcome: str  # delivered | retry | failed
    next_attempt_at: datetime | None
    disable_reason: str | None = None


def judge(outcome: HttpOutcome, attempt_number: int, now: datetime, policy: RetryPolicy, rng: random.Random) -> Verdict:
    """What an HTTP outcome means for the delivery (pure: the rules above, nothing stored)."""
    status = outcome.status_code
    if status is not None and is_success(status):
        return Verdict("delivered", None)
    if status == GONE:
        return Verdict("failed", None, disable_reason="the endpoint answered 410 Gone")
    if outcome.refused or (status is not None and not is_retryable(status)):
        return Verdict("failed", None)
    retry_after = parse_retry_after(outcome.retry_after, now) if status in _RETRY_AFTER_STATUSES else None
    delay = policy.delay(attempt_number, rng, retry_after)
    if delay is None:
        return Verdict("failed", None)
    return Verdict("retry", now + timedelta(seconds=delay))


def record_outcome(
    session: Session,
    job: DeliveryJob,
    outcome: HttpOutcome,
    *,
    attempted_at: datetime,
    now: datetime,
    policy: RetryPolicy,
    rng: random.Random,
    disable_after: timedelta,
) -> tuple[Verdict, bool]:
    """Store one attempt and its consequences (flushes only): the verdict, and whether the endpoint got disabled."""
    delivery = session.get(WebhookDelivery, job.delivery_id, with_for_update=True)
    endpoint = repository.get_endpoint(session, job.endpoint_id, for_update=True)
    assert delivery is not None  # rows are never deleted
    assert endpoint is not None
    number = delivery.attempts + 1
    verdict = judge(outcome, number, now, policy, rng)
    session.add(
        WebhookAttempt(
            delivery_id=delivery.id or 0,
            number=number,
            attempted_at=attempted_at,
            status_code=outcome.status_code,
            latency_ms=outcome.latency_ms,
            error=outcome.error,
            response_excerpt=outcome.response_excerpt,
            outcome=verdict.outcome,
            next_attempt_at=verdict.next_attempt_at,
        )
    )
    if delivery.status == "pending":  # another worker may have finished it after our lease ran out
        delivery.attempts = number
        delivery.status = "pending" if verdict.outcome == "retry" else verdict.outcome
        delivery.last_status_code = outcome.status_code
        delivery.last_error = outcome.error
        if verdict.next_attempt_at is not None:
            delivery.next_attempt_at = verdict.next_attempt_at
        else:
            delivery.finished_at = now
    journal.record(
        session,
        journal.Change(
            NOTIFIER_ACTOR,
            {"delivered": "webhook.delivered", "retry": "webhook.attempt_failed", "failed": "webhook.delivery_failed"}[
                verdict.outcome
            ],
            "webhook_delivery",
            delivery.id or 0,
            after={
                "event_id": job.event_id,
                "event_type": job.event_type,
                "endpoint_id": job.endpoint_id,
                "attempt": number,
                "attempted_at": attempted_at.isoformat(),
                "status_code": outcome.status_code,
                "latency_ms": outcome.latency_ms,
                "error": outcome.error,
                "outcome": verdict.outcome,
                "next_attempt_at": verdict.next_attempt_at.isoformat() if verdict.next_attempt_at else None,
            },
        ),
    )
    disabled = _update_health(session, endpoint, verdict, now, disable_after)
    session.flush()
    return verdict, disabled


def _update_health(
    session: Session, endpoint: WebhookEndpoint, verdict: Verdict, now: datetime, disable_after: timedelta
) -> bool:
    if verdict.outcome == "delivered":
        endpoint.failing_since = None
        endpoint.last_success_at = now
        endpoint.updated_at = now
        return False
    endpoint.failing_since = endpoint.failing_since or now
    endpoint.updated_at = now
    reason = verdict.disable_reason
    if reason is None and now - endpoint.failing_since >= disable_after:
        reason = f"no delivery accepted since {endpoint.failing_since.isoformat()}"
    if reason is None or endpoint.status != "active":
        return False
    disable_endpoint(session, endpoint, reason=reason, actor=NOTIFIER_ACTOR, now=now)
    return True


def disable_endpoint(session: Session, endpoint: WebhookEndpoint, *, reason: str, actor: str, now: datetime) -> None:
    """Stop sending to ``endpoint`` (its pending deliveries wait, unsent); journaled."""
    before = {"status": endpoint.status}
    endpoint.status = "disabled"
    endpoint.disabled_reason = reason
    endpoint.disabled_at = now
    endpoint.updated_at = now
    journal.record(
        session,
        journal.Change(
            actor,
            "webhook_endpoint.disabled",
            "webhook_endpoint",
            endpoint.id or 0,
            before=before,
            after={"status": "disabled", "reason": reason, "url": endpoint.url},
        ),
    )


class Dispatcher:
    """Relay and deliver with one sender, one clock and one random source (all injectable)."""

    def __init__(
        self,
        *,
        settings: Settings | None = None,
        clock: Clock = utcnow,
        sender: Sender | None = None,
        rng: random.Random | None = None,
        engine: Engine | None = None,
    ) -> None:
        self.settings = settings or get_settings()
        self.clock = clock
        self.sender = sender or Sender.from_settings(self.settings)
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not secrecy
        self.policy = RetryPolicy.from_settings(self.settings)
        self.engine = engine
        self._summary_lock = threading.Lock()

    def __enter__(self) -> Dispatcher:
        return self

    def __exit__(self, *_: object) -> None:
        self.sender.close()

    def relay(self, summary: DrainSummary) -> None:
        now = self.clock()
        while True:
            with session_scope(self.engine) as session:
                batch = relay.relay_batch(session, now)
            summary.events_relayed += batch.events
            summary.deliveries_created += batch.deliveries
            summary.emails_planned += batch.emails
            if batch.events + batch.postponed == 0:
                return

    def _lease(self) -> timedelta:
        """How long a claim stays ours: longer than any attempt can take (its timeouts are bounded)."""
        return timedelta(seconds=self.settings.notifier_claim_lease_seconds)

    def deliver_due(self, summary: DrainSummary, *, max_attempts: int | None = None, batch: int = 50) -> None:
        """Send every delivery due at the start of this call (or up to ``max_attempts`` of them)."""
        cutoff = self.clock()
        while max_attempts is None or summary.attempts < max_attempts:
            size = batch if max_attempts is None else min(batch, max_attempts - summary.attempts)
            with session_scope(self.engine) as session:
                now = self.clock()
                jobs = repository.claim_due_deliveries(session, cutoff, now, now + self._lease(), size)
            if not jobs:
                return
            self._attempt_all(jobs, summary)

    def _attempt_all(self, jobs: Sequence[DeliveryJob], summary: DrainSummary) -> None:
        """Send a claimed batch, several at once, at most ``webhook_endpoint_concurrency`` to one endpoint.

        Why: one receiver that answers slowly (or not at all, until the timeout) must not hold up
        every other partner's notifications behind it. Each endpoint's deliveries are dealt into
        that many lanes; a lane sends its deliveries one after another and records each outcome in
        its own transaction, so a slow endpoint occupies its lanes and the other endpoints' lanes
        keep the rest of the threads busy.
        """
        lanes = deal_into_lanes(jobs, self.settings.webhook_endpoint_concurrency)
        workers = min(self.settings.webhook_send_concurrency, len(lanes))
        if workers <= 1:
            for lane in lanes:
                self._send_lane(lane, summary)
            return
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="webhook-send") as pool:
            for done in [pool.submit(self._send_lane, lane, summary) for lane in lanes]:
                done.result()  # a bug in recording is raised here, as it was without threads

    def _send_lane(self, lane: Sequence[DeliveryJob], summary: DrainSummary) -> None:
        for job in lane:
            if job.endpoint_id not in summary.endpoints_disabled:  # disabled since we claimed its deliveries
                self._attempt(job, summary)

    def _attempt(self, job: DeliveryJob, summary: DrainSummary) -> None:
        attempted_at = self.clock()
        outcome = self.sender.send(job)
        with session_scope(self.engine) as session:
            verdict, disabled = record_outcome(
                session,
                job,
                outcome,
                attempted_at=attempted_at,
                now=self.clock(),
                policy=self.policy,
                rng=self.rng,
                disable_after=timedelta(seconds=self.settings.webhook_disable_after_failing_seconds),
            )
        with self._summary_lock:  # lanes finish attempts in several threads
            count_outcome(summary, verdict.outcome)
            if disabled:
                summary.endpoints_disabled.append(job.endpoint_id)

    def drain(self, *, max_attempts: int | None = None) -> DrainSummary:
        """Relay every due outbox event, then attempt every delivery due now; return the counts."""
        summary = DrainSummary()
        self.relay(summary)
        self.deliver_due(summary, max_attempts=max_attempts)
        mail = MailDispatcher(settings=self.settings, clock=self.clock, rng=self.rng, engine=self.engine)
        sent = mail.deliver_due(max_attempts=max_attempts)
        summary.emails_delivered, summary.emails_retrying = sent.delivered, sent.retrying
        summary.emails_failed = sent.failed
        with session_scope(self.engine) as session:
            summary.pending = repository.pending_count(session)
            summary.emails_pending = mail_repository.pending_count(session)
        return summary


def deal_into_lanes(jobs: Sequence[DeliveryJob], per_endpoint: int) -> list[list[DeliveryJob]]:
    """Each endpoint's jobs dealt round-robin into up to ``per_endpoint`` lanes, claim order kept in
    each lane; lanes of different endpoints interleaved, so the first ones started cover many endpoints."""
    by_endpoint: dict[int, list[DeliveryJob]] = {}
    for job in jobs:
        by_endpoint.setdefault(job.endpoint_id, []).append(job)
    lanes_of = [[own[n::per_endpoint] for n in range(min(per_endpoint, len(own)))] for own in by_endpoint.values()]
    return [lanes[depth] for depth in range(per_endpoint) for lanes in lanes_of if depth < len(lanes)]


def drain(**options: Any) -> DrainSummary:
    """One pass with production defaults (the CLI's ``outbox drain`` and the periodic task)."""
    max_attempts = options.pop("max_attempts", None)
    with Dispatcher(**options) as dispatcher:
        return dispatcher.drain(max_attempts=max_attempts)
