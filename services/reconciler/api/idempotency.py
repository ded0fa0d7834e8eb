"""``Idempotency-Key`` on POSTs, with Stripe's semantics.

* The first request with a key runs; its response (any status below 500 except 401/403/429,
  which mean it never ran) is stored with a fingerprint of the request.
* The same key with the same request (method, path, query, body) gets the stored response again,
  marked ``Idempotent-Replayed: true``; nothing runs twice.
* The same key with a different request is refused: 422 ``idempotency_key_reused``.
* A duplicate arriving while the first still runs waits for it (a few seconds) and then replays
  its response; if it is still running, 409 ``idempotency_in_progress`` with ``Retry-After``.
  The claim is an INSERT against a unique (key owner, key) constraint, so of two concurrent
  duplicates exactly one executes.
* Keys are scoped to the API key that sent them and kept for at least 24 hours; after that a key
  may be used again for anything.

The response is stored in its own transaction after the request's own one committed. If the
process dies between the two, the claim stays ``running``; after :data:`STALE_AFTER` a retry
takes it over and runs again. Our POSTs are upserts by natural key or guarded decisions, so a
rerun converges or answers 409 rather than doing the work twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from anyio import to_thread
from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlmodel import col

from services.reconciler.api.errors import database_unavailable_response, error_body
from shared.db import database_unavailable, session_scope
from shared.models.api import IdempotencyRecord
from shared.models.columns import utcnow

log = logging.getLogger("sverka.idempotency")

HEADER = b"idempotency-key"
MAX_KEY_LENGTH = 255
RETENTION = timedelta(hours=24)
STALE_AFTER = timedelta(minutes=10)
WAIT_SECONDS = 10.0
_NOT_STORED = frozenset({401, 403, 429})

Scope = dict[str, Any]
Message = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Claim:
    outcome: Literal["run", "replay", "mismatch", "busy"]
    record_id: int | None = None
    status: int | None = None
    content_type: str | None = None
    body: str | None = None


def fingerprint(method: str, path: str, query: bytes, content_type: str, body: bytes) -> str:
    """What makes two requests "the same": multipart boundaries (random per client call) are neutralised."""
    boundary = re.search(r"boundary=\"?([^\";]+)", content_type)
    if boundary:
        body = body.replace(boundary.group(1).encode(), b"BOUNDARY")
        content_type = content_type.replace(boundary.group(1), "BOUNDARY")
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query, content_type.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _insert(session: Any, row: dict[str, Any]) -> int | None:
    """INSERT … ON CONFLICT DO NOTHING RETURNING id: the new row's id, or None when the key is taken."""
    table = IdempotencyRecord.__table__  # type: ignore[attr-defined]
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = insert(table).on_conflict_do_nothing(index_elements=["owner", "idempotency_key"]).returning(table.c.id)
    inserted = session.execute(stmt, row).first()
    return int(inserted[0]) if inserted else None


def claim(owner: str, key: str, fp: str, method: str, path: str) -> Claim:
    now = utcnow()
    row = {
        "owner": owner,
        "idempotency_key": key,
        "fingerprint": fp,
        "method": method,
        "path": path,
        "state": "running",
        "created_at": now,
    }
    with session_scope() as session:
        inserted = _insert(session, row)
        if inserted is not None:
            return Claim("run", inserted)
        record = session.scalars(
            select(IdempotencyRecord).where(
                col(IdempotencyRecord.owner) == owner, col(IdempotencyRecord.idempotency_key) == key
            )
        ).one()
        expired = record.created_at < now - RETENTION
        stale = record.state == "running" and record.created_at < now - STALE_AFTER
        if expired or (stale and record.fingerprint == fp):
            taken = session.execute(
                update(IdempotencyRecord)
                .where(col(IdempotencyRecord.id) == record.id, col(IdempotencyRecord.created_at) == record.created_at)
                .values(
                    fingerprint=fp,
                    method=method,
                    path=path,
                    state="running",
                    created_at=now,
                    response_status=None,
                    response_content_type=None,
                    response_body=None,
                    finished_at=None,
                )
            )
            return Claim("run", record.id) if getattr(taken, "rowcount", 0) == 1 else Claim("busy")
        if record.fingerprint != fp:
            return Claim("mismatch")
        if record.state == "done":
            return Claim(
                "replay", record.id, record.response_status, record.response_content_type, record.response_body
            )
        return Claim("busy")


def finish(record_id: int, status: int, content_type: str | None, body: bytes) -> None:
    with session_scope() as session:
        if status >= 500 or status in _NOT_STORED:
            # It did not run (or failed): release the key so a retry runs. A claim is not business data.
            session.execute(delete(IdempotencyRecord).where(col(IdempotencyRecord.id) == record_id))
            return
        session.execute(
            update(IdempotencyRecord)
            .where(col(IdempotencyRecord.id) == record_id)
            .values(
                state="done",
                response_status=status,
                response_content_type=content_type,
                response_body=body.decode("utf-8", errors="replace"),
                finished_at=utcnow(),
            )
        )


def _header(scope: Scope, name: bytes) -> str | None:
    return next((v.decode("latin-1") for k, v in scope["headers"] if k == name), None)


async def _json(send: Any, status: int, body: dict[str, Any], extra: list[tuple[bytes, bytes]] | None = None) -> None:
    import json

    raw = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode()), *(extra or [])]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": raw})


class IdempotencyMiddleware:
    def __init__(self, app: Any, prefix: str = "/v1/") -> None:
        self.app, self.prefix = app, prefix

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        key = _header(scope, HEADER) if scope["type"] == "http" else None
        authorization = _header(scope, b"authorization") if key is not None else None
        if (
            key is None
            or authorization is None
            or scope["method"] != "POST"
            or not scope["path"].startswith(self.prefix)
        ):
            await self.app(scope, receive, send)
            return
        if not key or len(key) > MAX_KEY_LENGTH:
            await _json(send, 422, error_body("invalid_input", f"1 to {MAX_KEY_LENGTH} characters", "Idempotency-Key"))
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        owner = hashlib.sha256(authorization.encode()).hexdigest()
        fp = fingerprint(
            scope["method"], scope["path"], scope.get("query_string", b""), _header(scope, b"content-type") or "", body
        )
        try:
            outcome = await to_thread.run_sync(claim, owner, key, fp, scope["method"], scope["path"])
            waited = 0.0
            while outcome.outcome == "busy" and waited < WAIT_SECONDS:
                await asyncio.sleep(0.05)
                waited += 0.05
                outcome = await to_thread.run_sync(claim, owner, key, fp, scope["method"], scope["path"])
        except DBAPIError as exc:
            if not database_unavailable(exc):
                raise
            # Outside the app's exception handlers (this middleware wraps them): the same 503 they give.
            await database_unavailable_response()(scope, receive, send)
            return
        if outcome.outcome == "mismatch":
            message_text = "this Idempotency-Key was used with a different request; use a new key for a new request"
            await _json(send, 422, error_body("idempotency_key_reused", message_text, "Idempotency-Key"))
            return
        if outcome.outcome == "busy":
            text = "a request with this Idempotency-Key is still running; retry shortly"
            await _json(
                send, 409, error_body("idempotency_in_progress", text, "Idempotency-Key"), [(b"retry-after", b"1")]
            )
            return
        if outcome.outcome == "replay":
            raw = (outcome.body or "").encode()
            headers = [
                (b"content-type", (outcome.content_type or "application/json").encode()),
                (b"content-length", str(len(raw)).encode()),
                (b"idempotent-replayed", b"true"),
            ]
            await send({"type": "http.response.start", "status": outcome.status or 200, "headers": headers})
            await send({"type": "http.response.body", "body": raw})
            return
        await self._run(scope, body, send, outcome.record_id or 0)

    async def _run(self, scope: Scope, body: bytes, send: Any, record_id: int) -> None:
        sent_body = False

        async def replay_receive() -> Message:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.Event().wait()  # like a client that keeps the connection open
            return {"type": "http.disconnect"}

        status = 500
        content_type: str | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status, content_type
            if message["type"] == "http.response.start":
                status = message["status"]
                content_type = next(
                    (v.decode("latin-1") for k, v in message.get("headers", []) if k.lower() == b"content-type"), None
                )
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, replay_receive, capture)
        finally:
            try:
                await to_thread.run_sync(finish, record_id, status, content_type, b"".join(chunks))
            except DBAPIError as exc:
                if not database_unavailable(exc):
                    raise
                # The database went away after the request ran: the claim stays "running" and a retry
                # takes it over after STALE_AFTER (see the module's docstring).
                log.warning("database unavailable: Idempotency-Key claim %s keeps its running state", record_id)
