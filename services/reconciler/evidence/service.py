"""Build an evidence pack: everything Sverka knows about one payment, invoice or contract, in one ZIP.

The pack is meant for disputes ("we never received your payment"), so it quotes stored facts and
never reconstructs them: the bank line as imported (its raw record), the statement's metadata and
file hash (the original file's bytes are not stored: the manifest says so), the payment order the
partner was sent, every allocation and suggestion with who, when and why, every notification with
every delivery attempt, and the journal events behind all of it with their hash-chain links.

Same state, same bytes: JSON is written with sorted keys, ZIP entries in a fixed order with a fixed
timestamp, PDFs with reportlab's ``invariant`` mode. Only ``manifest.json`` and ``summary.pdf``
differ between two packs of the same state: they carry when the pack was made, for whom, and the
journal head, which moves because every pack is itself journaled.

Like every service here it flushes and never commits: the CLI command or the request commits the
``evidence.packed`` event together with nothing else.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

from sqlmodel import Session

from services.notifier.documents.service import payment_order_attachment
from services.reconciler.allocations import AllocationView
from services.reconciler.evidence import repository, summary
from services.reconciler.evidence.schemas import JOURNAL_ENTITY, Pack, Subject, Viewer
from services.reconciler.evidence.verify import FORMAT_VERSION, JOURNAL_FILE, MANIFEST, PACK_FORMAT, linked_runs
from shared import journal
from shared.errors import NotFound
from shared.models import BankAccount, BankTransaction, Contract, Invoice, JournalEvent, OutboxEvent, Partner, Statement
from shared.models.columns import utcnow
from shared.models.documents import EmailAttempt, EmailDelivery
from shared.models.webhooks import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from shared.money import format_amount

ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a ZIP can hold: fixed, so equal content gives equal bytes
_SNAPSHOT_TRIES = 3
_SAFE = re.compile(r"[^\w.\-]+", re.UNICODE)
STATEMENT_FILE_NOTE = (
    "Sverka does not keep statement files' bytes; each statement row keeps the SHA-256 of the file "
    "as imported (file_sha256), journaled at import (statement.imported). Hash your copy of the bank's "
    "file to compare."
)
PARTNER_STATEMENT_NOTE = (
    "Packed for a partner: statements are shown by id, format, account, period and file hash only; their file "
    "names, counts, balances and import events concern other payments and are withheld."
)


@dataclass(slots=True)
class Gathered:
    """The rows one pack quotes, loaded in one consistent pass."""

    subject: Subject
    label: str
    lines: list[BankTransaction] = field(default_factory=list)
    invoices: list[Invoice] = field(default_factory=list)
    contracts: list[Contract] = field(default_factory=list)
    partners: list[Partner] = field(default_factory=list)
    statements: list[Statement] = field(default_factory=list)
    accounts: dict[int, BankAccount] = field(default_factory=dict)
    allocations: list[AllocationView] = field(default_factory=list)
    outbox: list[OutboxEvent] = field(default_factory=list)
    webhooks: list[tuple[WebhookDelivery, WebhookEndpoint]] = field(default_factory=list)
    webhook_attempts: list[WebhookAttempt] = field(default_factory=list)
    emails: list[EmailDelivery] = field(default_factory=list)
    email_attempts: list[EmailAttempt] = field(default_factory=list)
    scans: dict[int, list[int]] = field(default_factory=dict)  # line id → uploaded scan ids
    events: list[JournalEvent] = field(default_factory=list)
    head: tuple[int, str] | None = None


def build_pack(session: Session, subject: Subject, viewer: Viewer, *, now: datetime | None = None) -> Pack:
    """Gather, render, zip and journal a pack; NotFound when the subject does not exist (for this viewer)."""
    now = now or utcnow()
    gathered = gather(session, subject, viewer)
    files = _files(session, gathered, viewer)
    manifest = _manifest(gathered, viewer, files, now)
    files["summary.pdf"] = summary.render(summary_facts(gathered, viewer, manifest))
    manifest["files"] = [_file_entry(path, data) for path, data in sorted(files.items())]
    manifest_bytes = _json_bytes(manifest)
    data = _zip({MANIFEST: manifest_bytes, **files})
    manifest_sha256 = hashlib.sha256(manifest_bytes).hexdigest()
    pack_sha256 = hashlib.sha256(data).hexdigest()
    event = journal.record(
        session,
        journal.Change(
            viewer.actor,
            repository.PACK_ACTION,
            JOURNAL_ENTITY[subject.kind],
            subject.id,
            after={
                "subject": f"{subject.kind} {subject.id}",
                "manifest_sha256": manifest_sha256,
                "pack_sha256": pack_sha256,
                "files": len(files) + 1,
                "journal_events": len(gathered.events),
                "journal_head_seq": manifest["journal"]["head"]["seq"],
                "journal_head_hash": manifest["journal"]["head"]["hash"],
                "partner_inn": viewer.partner_inn if viewer.is_partner else None,
            },
        ),
    )
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    filename = f"evidence-{subject.kind}-{subject.id}-{stamp}.zip"
    return Pack(data, filename, manifest, manifest_sha256, pack_sha256, event.seq)


# --- gathering -------------------------------------------------------------------------------------


def gather(session: Session, subject: Subject, viewer: Viewer) -> Gathered:
    """Load every row the pack quotes, consistent with the journal events it quotes.

    PostgreSQL reads committed data statement by statement, so a decision committed between two of
    our queries could appear in the rows but not in the events (or the reverse). Every change is
    journaled in its own transaction, so: note the head, read, and if any event about our entities
    is newer than that head, read again (a few times at most; packs are rare, decisions too).
    """
    for attempt in range(1, _SNAPSHOT_TRIES + 1):
        head = repository.journal_head(session)
        gathered = _gather_once(session, subject, viewer)
        newest = gathered.events[-1].seq if gathered.events else 0
        if newest <= (head[0] if head else 0) or attempt == _SNAPSHOT_TRIES:
            gathered.events = [e for e in gathered.events if head and e.seq <= head[0]]
            gathered.head = repository.journal_head(session)
            return gathered
        session.expire_all()  # the rows changed under us: forget what the identity map holds
    raise AssertionError("unreachable")


def _gather_once(session: Session, subject: Subject, viewer: Viewer) -> Gathered:
    partner_id = viewer.partner_id
    line_ids: set[int] = set()
    invoice_ids: set[int] = set()
    if subject.kind == "payment":
        tx = repository.line(session, subject.id)
        if tx is None:
            raise NotFound(f"payment {subject.id} not found")
        line_ids.add(subject.id)
        label = f"payment {tx.bank_ref or subject.id}"
    elif subject.kind == "invoice":
        inv = repository.invoice(session, subject.id)
        if inv is None or (partner_id is not None and inv.partner_id != partner_id):
            raise NotFound(f"invoice {subject.id} not found")
        invoice_ids.add(subject.id)
        label = f"invoice {inv.number}"
    else:
        con = repository.contract(session, subject.id)
        if con is None or (partner_id is not None and con.partner_id != partner_id):
            raise NotFound(f"contract {subject.id} not found")
        invoice_ids.update(i.id or 0 for i in repository.invoices_of_contract(session, subject.id))
        label = f"contract {con.number}"
    allocations = repository.allocations(session, line_ids=line_ids, invoice_ids=invoice_ids, partner_id=partner_id)
    line_ids.update(a.transaction_id for a in allocations)
    invoice_ids.update(a.invoice_id for a in allocations)
    g = Gathered(subject, label, allocations=allocations)
    g.lines = repository.lines_by_ids(session, line_ids)
    g.invoices = [
        i for i in repository.invoices_by_ids(session, invoice_ids) if partner_id is None or i.partner_id == partner_id
    ]
    contract_ids = {i.contract_id for i in g.invoices if i.contract_id is not None}
    if subject.kind == "contract":
        contract_ids.add(subject.id)
    g.contracts = repository.contracts_by_ids(session, contract_ids)
    g.partners = repository.partners_by_ids(
        session, {i.partner_id for i in g.invoices} | {c.partner_id for c in g.contracts}
    )
    g.statements = repository.statements_by_ids(session, {ln.statement_id for ln in g.lines})
    g.accounts = repository.accounts_by_ids(session, {ln.bank_account_id for ln in g.lines})
    g.outbox = repository.outbox_events_of_allocations(
        session, [a.id for a in allocations], [i.id or 0 for i in g.invoices]
    )
    event_ids = [e.event_id for e in g.outbox]
    g.webhooks = repository.webhook_deliveries(session, event_ids, viewer.partner_inn, viewer.is_partner)
    g.webhook_attempts = repository.webhook_attempts(session, [d.id or 0 for d, _ in g.webhooks])
    g.emails = repository.email_deliveries(session, event_ids, [i.id or 0 for i in g.invoices], partner_id)
    g.email_attempts = repository.email_attempts(session, [d.id or 0 for d in g.emails])
    g.scans = repository.scans_of_lines(session, line_ids)
    entities: dict[str, set[str]] = {
        "bank_transaction": {str(i) for i in line_ids},
        "invoice": {str(i.id) for i in g.invoices},
        "contract": {str(c.id) for c in g.contracts},
        "allocation": {str(a.id) for a in allocations},
        "webhook_delivery": {str(d.id) for d, _ in g.webhooks},
        "email_delivery": {str(d.id) for d in g.emails},
        "payment_document": {str(i) for ids in g.scans.values() for i in ids},
    }
    if not viewer.is_partner:
        entities["statement"] = {str(s.id) for s in g.statements}
    g.events = repository.journal_events_about(session, entities)
    return g


# --- the files -------------------------------------------------------------------------------------


def _json_bytes(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str) + "\n").encode()


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def _money(minor: int | None, currency: str | None) -> dict[str, Any] | None:
    """Money as the API writes it: a decimal string with its currency, and the exact minor units."""
    if minor is None or currency is None:
        return None
    return {"amount": format_amount(minor, currency), "minor": minor, "currency": currency}


def _files(session: Session, g: Gathered, viewer: Viewer) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    orders: dict[int, dict[str, Any]] = {}
    for ln in g.lines:
        attachment = payment_order_attachment(session, ln.id or 0)
        path = f"payment-orders/{ln.id}-{_SAFE.sub('_', attachment.filename)}"
        files[path] = attachment.data
        scanned = bool(g.scans.get(ln.id or 0))
        orders[ln.id or 0] = {
            "file": path,
            "sha256": attachment.sha256,
            "content_type": attachment.content_type,
            "source": "the latest uploaded scan (its upload is journaled as payment_document.uploaded with this sha256)"
            if scanned
            else "drawn by Sverka on form 0401060 from the statement line; not a copy bearing the bank's mark",
        }
    files["bank/lines.json"] = _json_bytes([_line(ln, g.accounts, orders.get(ln.id or 0)) for ln in g.lines])
    files["bank/statements.json"] = _json_bytes([_statement(s, g.accounts, viewer) for s in g.statements])
    files["subject.json"] = _json_bytes(_subject_doc(g))
    files["allocations.json"] = _json_bytes(_allocations(g))
    files["notifications.json"] = _json_bytes(_notifications(g))
    files[JOURNAL_FILE] = b"".join(_journal_line(e) for e in g.events)
    return files


def _line(ln: BankTransaction, accounts: dict[int, BankAccount], order: dict[str, Any] | None) -> dict[str, Any]:
    account = accounts.get(ln.bank_account_id)
    return {
        "id": ln.id,
        "bank_ref": ln.bank_ref,
        "account": account.number if account else None,
        "statement_id": ln.statement_id,
        "booking_date": _iso(ln.booking_date),
        "value_date": _iso(ln.value_date),
        "amount": _money(ln.amount_minor, ln.currency),
        "direction": ln.direction,
        "counterparty_name": ln.counterparty_name,
        "counterparty_account": ln.counterparty_account,
        "counterparty_tax_id": ln.counterparty_tax_id,
        "purpose": ln.purpose,
        "payment_order_fields": ln.details,
        "raw_record": ln.raw,
        "raw_record_sha256": hashlib.sha256(ln.raw.encode()).hexdigest(),
        "source_line": ln.source_line,
        "dedupe_key": ln.dedupe_key,
        "allocated": _money(ln.allocated_minor, ln.currency),
        "match_status": ln.match_status,
        "stored_at": _iso(ln.created_at),
        "payment_order": order,
    }


def _statement(s: Statement, accounts: dict[int, BankAccount], viewer: Viewer) -> dict[str, Any]:
    account = accounts.get(s.bank_account_id)
    doc: dict[str, Any] = {
        "id": s.id,
        "account": account.number if account else None,
        "source": s.source,
        "format": s.format,
        "file_sha256": s.file_hash,
        "original_file_stored": False,
        "date_from": _iso(s.date_from),
        "date_to": _iso(s.date_to),
        "note": PARTNER_STATEMENT_NOTE if viewer.is_partner else STATEMENT_FILE_NOTE,
    }
    if not viewer.is_partner:
        doc.update(
            {
                "filename": s.filename,
                "external_id": s.external_id,
                "opening_balance": _money(s.opening_minor, s.currency),
                "closing_balance": _money(s.closing_minor, s.currency),
                "lines": s.line_count,
                "new": s.new_count,
                "duplicates": s.duplicate_count,
                "warnings": s.warnings,
                "imported_by": s.imported_by,
                "imported_at": _iso(s.imported_at),
            }
        )
    return doc


def _subject_doc(g: Gathered) -> dict[str, Any]:
    return {
        "subject": {"type": g.subject.kind, "id": g.subject.id, "label": g.label},
        "partners": [{"id": p.id, "name": p.name, "inn": p.inn, "kpp": p.kpp} for p in g.partners],
        "contracts": [
            {
                "id": c.id,
                "number": c.number,
                "partner_id": c.partner_id,
                "contract_date": _iso(c.contract_date),
                "currency": c.currency,
            }
            for c in g.contracts
        ],
        "invoices": [
            {
                "id": i.id,
                "number": i.number,
                "direction": i.direction,
                "partner_id": i.partner_id,
                "contract_id": i.contract_id,
                "invoice_date": _iso(i.invoice_date),
                "due_date": _iso(i.due_date),
                "amount": _money(i.amount_minor, i.currency),
                "paid": _money(i.paid_minor, i.currency),
                "outstanding": _money(i.outstanding_minor, i.currency),
                "status": i.status,
                "updated_at": _iso(i.updated_at),
            }
            for i in g.invoices
        ],
    }


def _allocation_events(g: Gathered) -> dict[int, list[JournalEvent]]:
    by_allocation: dict[int, list[JournalEvent]] = {}
    for e in g.events:
        if e.entity_type == "allocation" and e.entity_id.isdigit():
            by_allocation.setdefault(int(e.entity_id), []).append(e)
    return by_allocation


def _decision_reason(events: Iterable[JournalEvent]) -> str | None:
    """The reason a person gave when deciding (manual allocation, confirmation), from the journal."""
    for e in events:
        if e.action in ("allocation.manual", "allocation.confirmed") and e.after and e.after.get("reason"):
            return str(e.after["reason"])
    return None


def _allocations(g: Gathered) -> list[dict[str, Any]]:
    events = _allocation_events(g)
    return [
        {
            "id": a.id,
            "payment_id": a.transaction_id,
            "bank_ref": a.bank_ref,
            "invoice_id": a.invoice_id,
            "invoice_no": a.invoice_no,
            "partner_name": a.partner_name,
            "amount": _money(a.amount_minor, a.currency),
            "kind": a.kind,
            "moves_money": a.kind != "suggested",
            "active": a.active,
            "confidence": a.confidence,
            "why": {"reasons": a.reasons, "person_said": _decision_reason(events.get(a.id, []))},
            "created_by": a.created_by,
            "created_at": _iso(a.created_at),
            "reversed_by": a.reversed_by,
            "reversed_at": _iso(a.reversed_at),
            "reversal_reason": a.reversal_reason,
            "journal": [{"seq": e.seq, "action": e.action, "actor": e.actor} for e in events.get(a.id, [])],
        }
        for a in g.allocations
    ]


def _endpoint_target(url: str) -> str:
    """The endpoint without its query string: receivers sometimes put tokens there."""
    return url.split("?", 1)[0]


def _notifications(g: Gathered) -> dict[str, Any]:
    attempts_of: dict[int, list[WebhookAttempt]] = {}
    for attempt in g.webhook_attempts:
        attempts_of.setdefault(attempt.delivery_id, []).append(attempt)
    email_attempts_of: dict[int, list[EmailAttempt]] = {}
    for ea in g.email_attempts:
        email_attempts_of.setdefault(ea.delivery_id, []).append(ea)
    return {
        "events": [
            {
                "event_id": e.event_id,
                "event_type": e.event_type,
                "payload": e.payload,
                "created_at": _iso(e.created_at),
                "published_at": _iso(e.published_at),
            }
            for e in g.outbox
        ],
        "webhooks": [
            {
                "delivery_id": d.id,
                "event_id": d.event_id,
                "event_type": d.event_type,
                "endpoint": {"id": ep.id, "url": _endpoint_target(ep.url), "partner_inn": ep.partner_inn},
                "status": d.status,
                "body": d.body,
                "body_sha256": hashlib.sha256(d.body.encode()).hexdigest(),
                "created_at": _iso(d.created_at),
                "finished_at": _iso(d.finished_at),
                "attempts": [
                    {
                        "number": a.number,
                        "attempted_at": _iso(a.attempted_at),
                        "status_code": a.status_code,
                        "latency_ms": a.latency_ms,
                        "error": a.error,
                        "response_excerpt": a.response_excerpt,
                        "outcome": a.outcome,
                        "next_attempt_at": _iso(a.next_attempt_at),
                    }
                    for a in attempts_of.get(d.id or 0, [])
                ],
            }
            for d, ep in g.webhooks
        ],
        "emails": [
            {
                "delivery_id": m.id,
                "kind": m.kind,
                "event_id": m.event_id,
                "partner_id": m.partner_id,
                "recipients": m.recipients,
                "message_id": m.message_id,
                "status": m.status,
                "smtp_response": m.smtp_response,
                "accepted_at": _iso(m.accepted_at),
                "created_at": _iso(m.created_at),
                "attempts": [
                    {
                        "number": a.number,
                        "attempted_at": _iso(a.attempted_at),
                        "smtp_code": a.smtp_code,
                        "smtp_response": a.smtp_response,
                        "error": a.error,
                        "outcome": a.outcome,
                        "message_sha256": a.message_sha256,
                        "attachments": a.attachments,
                    }
                    for a in email_attempts_of.get(m.id or 0, [])
                ],
            }
            for m in g.emails
        ],
    }


def journal_record(event: JournalEvent) -> dict[str, Any]:
    """An event exactly as its hash covers it (``occurred_at`` in the canonical form), plus the hash."""
    return {
        "seq": event.seq,
        "occurred_at": event.occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": event.actor,
        "action": event.action,
        "entity_type": event.entity_type,
        "entity_id": event.entity_id,
        "before": event.before,
        "after": event.after,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


def _journal_line(event: JournalEvent) -> bytes:
    return json.dumps(journal_record(event), ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode() + b"\n"


def _manifest(g: Gathered, viewer: Viewer, files: dict[str, bytes], now: datetime) -> dict[str, Any]:
    seqs = [e.seq for e in g.events]
    head_seq, head_hash = g.head if g.head else (0, journal.GENESIS_HASH)
    try:
        version = metadata.version("sverka")
    except metadata.PackageNotFoundError:
        version = "unknown"
    return {
        "format": PACK_FORMAT,
        "format_version": FORMAT_VERSION,
        "subject": {"type": g.subject.kind, "id": g.subject.id, "label": g.label},
        "generated_at": now.astimezone(UTC).isoformat(timespec="seconds"),
        "generator": {"name": "sverka", "version": version, "requested_by": viewer.actor},
        "scope": {"partner_inn": viewer.partner_inn} if viewer.is_partner else {"partner_inn": None},
        "journal": {
            "file": JOURNAL_FILE,
            "head": {"seq": head_seq, "hash": head_hash},
            "included_seqs": seqs,
            "linked_runs": [list(r) for r in linked_runs(seqs)],
            "note": "A subset of the chain: the events about this subject. Each event's hash covers its fields "
            "and its predecessor's hash; consecutive events are linked. The head is the whole chain's last event "
            "when the pack was made; this pack's own creation is journaled after it (action evidence.packed, "
            "with this manifest's SHA-256).",
        },
        "statement_files": STATEMENT_FILE_NOTE,
        "files": [],  # filled in once the summary is rendered
    }


def _file_entry(path: str, data: bytes) -> dict[str, Any]:
    return {"path": path, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}


def _zip(files: dict[str, bytes]) -> bytes:
    """The manifest first, then the rest by name; fixed timestamps and permissions."""
    buffer = io.BytesIO()
    order = [MANIFEST, *sorted(p for p in files if p != MANIFEST)]
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in order:
            info = zipfile.ZipInfo(path, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[path])
    return buffer.getvalue()


# --- the summary's facts ---------------------------------------------------------------------------


def _machine_reasons(allocation: AllocationView) -> str:
    return "; ".join(str(r.get("text") or r.get("code")) for r in allocation.reasons)


def summary_facts(g: Gathered, viewer: Viewer, manifest: dict[str, Any]) -> summary.Facts:
    """What the summary PDF says, as plain values (the renderer is pure)."""
    events = _allocation_events(g)
    return summary.Facts(
        title=g.label,
        generated_at=manifest["generated_at"],
        requested_by=viewer.actor,
        partner_scope=viewer.partner_inn if viewer.is_partner else None,
        invoices=[
            summary.InvoiceFact(
                i.number,
                format_amount(i.amount_minor, i.currency),
                format_amount(i.paid_minor, i.currency),
                i.currency,
                i.status,
                _iso(i.due_date),
            )
            for i in g.invoices
        ],
        lines=[
            summary.LineFact(
                ln.bank_ref or str(ln.id),
                _iso(ln.booking_date),
                format_amount(ln.amount_minor, ln.currency),
                ln.currency,
                ln.counterparty_name or "",
                ln.purpose or "",
                ln.match_status,
                next((s.file_hash for s in g.statements if s.id == ln.statement_id), ""),
            )
            for ln in g.lines
        ],
        allocations=[
            summary.AllocationFact(
                a.id,
                a.bank_ref or str(a.transaction_id),
                a.invoice_no,
                format_amount(a.amount_minor, a.currency),
                a.currency,
                a.kind,
                a.created_by,
                a.created_at.isoformat(timespec="seconds"),
                _decision_reason(events.get(a.id, []))
                or "; ".join(str(r.get("text") or r.get("code")) for r in a.reasons),
                a.reversed_by,
                a.reversed_at.isoformat(timespec="seconds") if a.reversed_at else None,
                a.reversal_reason,
            )
            for a in g.allocations
        ],
        notifications=[
            summary.NotificationFact(
                "webhook",
                f"{d.event_type} → {_endpoint_target(ep.url)}",
                d.status,
                "; ".join(
                    f"#{a.number} {a.attempted_at.isoformat(timespec='seconds')} "
                    f"HTTP {a.status_code or '—'} {a.outcome}"
                    for a in g.webhook_attempts
                    if a.delivery_id == d.id
                ),
            )
            for d, ep in g.webhooks
        ]
        + [
            summary.NotificationFact(
                "email",
                f"{m.kind} → {', '.join(m.recipients)}",
                m.status,
                "; ".join(
                    f"#{a.number} {a.attempted_at.isoformat(timespec='seconds')} SMTP {a.smtp_code or '—'} "
                    f"{a.smtp_response or a.error or ''} {a.outcome}"
                    for a in g.email_attempts
                    if a.delivery_id == m.id
                ),
            )
            for m in g.emails
        ],
        events=len(g.events),
        runs=[(int(a), int(b)) for a, b in manifest["journal"]["linked_runs"]],
        head_seq=int(manifest["journal"]["head"]["seq"]),
        head_hash=str(manifest["journal"]["head"]["hash"]),
    )
