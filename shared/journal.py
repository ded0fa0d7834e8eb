"""The append-only, hash-chained journal: who did what, when, with before and after.

Every change to business data writes an event in the same transaction as the change. Each
event's hash covers its own fields and the previous event's hash, so a row altered, removed or
reordered directly in the database is found by :func:`verify` — the property that lets the
history hold up in a dispute.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlmodel import Session, col

from shared import json_text
from shared.db import bulk_insert, is_postgres
from shared.models.audit import JournalEvent
from shared.models.columns import utcnow

GENESIS_HASH = "0" * 64
_PG_JOURNAL_LOCK = 0x5E77A  # advisory lock id serialising appends to the chain

SYSTEM = "system"


def jsonable(value: Any) -> Any:
    """A JSON-safe copy (dates and Decimals as strings) so hashing sees what is stored.

    What a JSON round trip would give, but a value made only of JSON's own types (str, int,
    float, bool, None in dicts with string keys and lists: nearly every journal and outbox
    payload) is copied directly: the round trip cost more than hashing the event
    (docs/benchmarks.md, "Reconciliation flow").
    """
    try:
        return _native_copy(value)
    except _NotNative:
        return json.loads(json.dumps(value, default=str, ensure_ascii=False))


class _NotNative(Exception):
    """Raised by :func:`_native_copy` for a value JSON would change (a date, a Decimal, a tuple, a subclass)."""


_SCALARS = frozenset({str, int, float, bool, type(None)})


def _native_copy(value: Any) -> Any:
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is dict:
        copy = {}
        for key, item in value.items():
            if type(key) is not str:  # JSON would turn it into a string
                raise _NotNative
            copy[key] = item if type(item) in _SCALARS else _native_copy(item)
        return copy
    if kind is list:
        return [item if type(item) in _SCALARS else _native_copy(item) for item in value]
    raise _NotNative


_HASHED = ("seq", "occurred_at", "actor", "action", "entity_type", "entity_id", "before", "after", "prev_hash")


def _canonical(fields: Mapping[str, Any]) -> bytes:
    """The bytes an event's hash covers: its fields (not the hash itself) as sorted, compact JSON."""
    body = {name: fields[name] for name in _HASHED}
    body["occurred_at"] = _timestamp(fields["occurred_at"])
    return _canonical_json(body).encode()


# The canonical form's encoder, made once (``json.dumps`` with these options builds one per call).
_canonical_json = json_text.encoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
_json_string = json.encoder.encode_basestring  # a str as the encoder above writes it (no ASCII escaping)


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _canonical_new(
    seq: int,
    timestamp: str,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str,
    before: Any,
    after: Any,
    prev: str,
) -> bytes:
    """:func:`_canonical` of a new event, written out directly: the same bytes, several times faster.

    The event's keys in sorted order, each value as the canonical encoder writes it; ``timestamp``
    is :func:`_timestamp` of ``occurred_at``, shared by a batch. Only for the types
    :func:`_append` gives (``before``/``after`` from :func:`jsonable`); ``tests/shared/test_journal_canonical.py``
    compares it with :func:`_canonical` on varied events.
    """
    return (
        f'{{"action":{_json_string(action)},"actor":{_json_string(actor)},'
        f'"after":{"null" if after is None else _canonical_json(after)},'
        f'"before":{"null" if before is None else _canonical_json(before)},'
        f'"entity_id":{_json_string(entity_id)},"entity_type":{_json_string(entity_type)},'
        f'"occurred_at":"{timestamp}","prev_hash":{_json_string(prev)},"seq":{seq:d}}}'
    ).encode()


def event_hash(event: JournalEvent) -> str:
    return hashlib.sha256(_canonical({name: getattr(event, name) for name in _HASHED})).hexdigest()


@dataclass(frozen=True, slots=True)
class Change:
    """One thing to journal."""

    actor: str
    action: str
    entity_type: str
    entity_id: str | int
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


def _chain_head(session: Session) -> tuple[int, str]:
    if is_postgres(session):
        # Appends are serialised: two transactions must not both extend the same head.
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_JOURNAL_LOCK})
    head = session.execute(
        select(col(JournalEvent.seq), col(JournalEvent.hash)).order_by(col(JournalEvent.seq).desc()).limit(1)
    ).first()
    return (head[0], head[1]) if head else (0, GENESIS_HASH)


def record_many(session: Session, changes: Iterable[Change]) -> int:
    """Append events in order, in the caller's transaction (written, not committed); how many.

    Written as plain rows in bulk (``shared.db.bulk_insert``), not as ORM objects: an import or a
    matcher run journals one event per invoice or allocation, and building and flushing an ORM
    object each cost several times the hashing itself (docs/benchmarks.md, "Reconciliation flow").
    """
    rows = _append(session, changes)
    return len(rows)


def record(session: Session, change: Change) -> JournalEvent:
    """Append one event; a copy of the stored row (the row itself is written by then)."""
    (row,) = _append(session, [change])
    return JournalEvent(**row)


def _append(session: Session, changes: Iterable[Change]) -> list[dict[str, Any]]:
    session.flush()  # what the events describe is written first (and the head read below sees it)
    seq, prev = _chain_head(session)
    now = utcnow()
    timestamp = _timestamp(now)
    sha256 = hashlib.sha256
    rows: list[dict[str, Any]] = []
    for change in changes:
        seq += 1
        actor, action, entity_type = change.actor, change.action, change.entity_type
        entity_id = str(change.entity_id)
        before = None if change.before is None else jsonable(change.before)
        after = None if change.after is None else jsonable(change.after)
        row = {
            "seq": seq,
            "occurred_at": now,
            "actor": actor,
            "action": action,
            "entity_type": entity_type,
            "entity_id": entity_id,
            "before": before,
            "after": after,
            "prev_hash": prev,
        }
        if type(actor) is str and type(action) is str and type(entity_type) is str:
            canonical = _canonical_new(seq, timestamp, actor, action, entity_type, entity_id, before, after, prev)
        else:  # something other than the declared types: the general form decides how it is written
            canonical = _canonical(row)
        row["hash"] = prev = sha256(canonical).hexdigest()
        rows.append(row)
    bulk_insert(session, JournalEvent.__table__, rows)  # type: ignore[attr-defined]
    return rows


@dataclass(frozen=True, slots=True)
class ChainReport:
    """The outcome of :func:`verify`: ok, or the first broken link and what broke it."""

    ok: bool
    events: int
    head_hash: str
    broken_seq: int | None = None
    problem: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "events": self.events,
            "head_hash": self.head_hash,
            "broken_seq": self.broken_seq,
            "problem": self.problem,
        }


def _stream(session: Session, batch: int = 5000) -> Iterator[JournalEvent]:
    last = 0
    while True:
        rows = list(
            session.scalars(
                select(JournalEvent).where(col(JournalEvent.seq) > last).order_by(col(JournalEvent.seq)).limit(batch)
            )
        )
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


def verify(session: Session) -> ChainReport:
    """Recompute the chain from the first event; stop at the first link that does not hold."""
    expected_seq, prev, count = 1, GENESIS_HASH, 0
    for event in _stream(session):
        if event.seq != expected_seq:
            return ChainReport(
                False,
                count,
                prev,
                expected_seq,
                f"event {expected_seq} is missing (next present is {event.seq}): removed",
            )
        if event.prev_hash != prev:
            return ChainReport(
                False,
                count,
                prev,
                event.seq,
                f"event {event.seq} does not follow event {event.seq - 1}: removed, reordered or relinked",
            )
        if event_hash(event) != event.hash:
            return ChainReport(False, count, prev, event.seq, f"event {event.seq} was altered after it was written")
        prev, expected_seq, count = event.hash, expected_seq + 1, count + 1
    total = session.execute(select(func.count()).select_from(JournalEvent)).scalar_one()
    if total != count:  # rows whose seq sits outside the chain (e.g. negative) were inserted
        return ChainReport(False, count, prev, None, f"{total - count} event(s) outside the chain were inserted")
    return ChainReport(True, count, prev)


def entity_history(session: Session, entity_type: str, entity_id: str | int) -> list[JournalEvent]:
    """Every event about one entity, oldest first (the timeline pages show)."""
    return list(
        session.scalars(
            select(JournalEvent)
            .where(col(JournalEvent.entity_type) == entity_type, col(JournalEvent.entity_id) == str(entity_id))
            .order_by(col(JournalEvent.seq))
        )
    )
