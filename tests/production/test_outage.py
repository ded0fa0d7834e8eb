"""The stores go away under load: Redis stopped for a while, PostgreSQL stopped and started again.

Redis (25 s in CI, 60 s in ``make soak``) under steady status reads and statement imports: reads keep
answering fast (p99 < 300 ms, never a 5xx: rate limits fall back to per-process buckets), imports are
accepted without waiting on the broker (their "match these lines" message is queued in the API
process and published once Redis is back), and afterwards the lines are matched and every event of
the outbox is delivered, nothing lost. Imports stop before Redis returns, so that no later request's
message can stand in for one the outage lost.

PostgreSQL stopped while an import is half-written (its lines inserted, the transaction waiting for
the journal's lock) and while reads and imports keep coming: every request answers 503 with
``Retry-After`` in time (no 500, no hang), the half-written import leaves nothing behind, and once
the server is back the same API processes answer again (the pool pre-pings), the import succeeds
in full and the workers deliver its event.
"""

from __future__ import annotations

import os
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from statistics import median

import httpx
import pytest
import sqlalchemy as sa

from shared.journal import _PG_JOURNAL_LOCK
from tests.production.conftest import Running
from tests.production.sink import WebhookSink

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]

SOAK = os.environ.get("SVERKA_SOAK", "") in {"1", "true", "yes"}
REDIS_OUTAGE_SECONDS = 60.0 if SOAK else 25.0
POSTGRES_OUTAGE_SECONDS = 30.0 if SOAK else 10.0
READS_PER_SECOND = 20.0  # two readers; well under the key's rate limit
IMPORT_EVERY_SECONDS = 1.0
P99_LIMIT_SECONDS = 0.3


def statement(account: str, lines: list[tuple[str, str, str, str]], statement_id: str) -> bytes:
    """A CAMT.053 of credit lines ``(bank_ref, amount, payer INN, purpose)`` booked today."""
    today = date.today().isoformat()  # noqa: DTZ011 - the bank's calendar day, as a statement has it
    entries = "".join(
        f'<Ntry><Amt Ccy="RUB">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>'
        f"<BookgDt><Dt>{today}</Dt></BookgDt><ValDt><Dt>{today}</Dt></ValDt><AcctSvcrRef>{ref}</AcctSvcrRef>"
        f"<NtryDtls><TxDtls><RltdPties><Dbtr><Nm>Payer {inn}</Nm><Id><OrgId><Othr><Id>{inn}</Id>"
        f"<SchmeNm><Cd>TXID</Cd></SchmeNm></Othr></OrgId></Id></Dbtr></RltdPties>"
        f"<RmtInf><Ustrd>{purpose}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"
        for ref, amount, inn, purpose in lines
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>'
        f"<GrpHdr><MsgId>{statement_id}</MsgId><CreDtTm>{today}T09:00:00</CreDtTm></GrpHdr>"
        f"<Stmt><Id>{statement_id}</Id><CreDtTm>{today}T09:00:00</CreDtTm>"
        f"<Acct><Id><Othr><Id>{account}</Id></Othr></Id><Ccy>RUB</Ccy></Acct>{entries}</Stmt></BkToCstmrStmt></Document>"
    ).encode()


def unique_account() -> str:
    return f"40702810{random.randrange(10**12):012d}"


@dataclass(frozen=True)
class Sample:
    kind: str  # read | import
    phase: str  # what was going on when the request was sent
    sent_at: float
    seconds: float
    status: int | None  # None: no HTTP answer at all (refused, reset, timed out)
    retry_after: str | None = None
    body: str = ""


@dataclass
class Load:
    """Status reads and statement imports at a steady pace from a few threads, each answer recorded."""

    production: Running
    read_paths: list[str]
    next_import: Callable[[int], tuple[str, bytes, dict[str, str]]]  # n -> (filename, body, extra headers)
    phase: str = "before"
    import_phases: tuple[str, ...] = ("before", "outage", "restarting", "after")  # when imports are sent
    samples: list[Sample] = field(default_factory=list)
    stopped: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        every = 2 / READS_PER_SECOND
        self.threads = [
            threading.Thread(target=self._paced, args=("read", every, self._read), daemon=True),
            threading.Thread(target=self._paced, args=("read", every, self._read), daemon=True),
            threading.Thread(target=self._paced, args=("import", IMPORT_EVERY_SECONDS, self._import), daemon=True),
        ]
        for thread in self.threads:
            thread.start()

    def stop(self) -> None:
        self.stopped.set()
        for thread in self.threads:
            thread.join(60)

    def of(self, kind: str, *phases: str) -> list[Sample]:
        with self._lock:
            return [s for s in self.samples if s.kind == kind and (not phases or s.phase in phases)]

    def _paced(self, kind: str, every: float, call: Callable[[httpx.Client, int], httpx.Response]) -> None:
        with self.production.api(timeout=15) as api:
            n = 0
            while not self.stopped.is_set():
                phase, sent = self.phase, time.monotonic()
                if kind == "import" and phase not in self.import_phases:
                    self.stopped.wait(every)
                    continue
                try:
                    answer = call(api, n)
                    sample = Sample(
                        kind,
                        phase,
                        sent,
                        time.monotonic() - sent,
                        answer.status_code,
                        answer.headers.get("retry-after"),
                        answer.text[:2000],
                    )
                except httpx.HTTPError as exc:
                    sample = Sample(kind, phase, sent, time.monotonic() - sent, None, body=repr(exc))
                with self._lock:
                    self.samples.append(sample)
                n += 1
                self.stopped.wait(max(0.0, sent + every - time.monotonic()))

    def _read(self, api: httpx.Client, n: int) -> httpx.Response:
        return api.get(self.read_paths[n % len(self.read_paths)])

    def _import(self, api: httpx.Client, n: int) -> httpx.Response:
        name, body, headers = self.next_import(n)
        return api.post("/v1/statements", files={"file": (name, body, "application/xml")}, headers=headers)


def p99(samples: list[Sample]) -> float:
    ordered = sorted(s.seconds for s in samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def max_outbox_id(production: Running) -> int:
    engine = production.engine()
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text("SELECT coalesce(max(id), 0) FROM outbox_event")).scalar_one())
    finally:
        engine.dispose()


def wait_until_delivered(production: Running, sink: WebhookSink, after_id: int, timeout: float) -> list[str]:
    """Until every outbox event written after ``after_id`` is relayed and delivered to ``sink``; their ids."""
    engine = production.engine()
    deadline = time.monotonic() + timeout
    left: object = None
    try:
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                events = conn.execute(
                    sa.text("SELECT event_id, published_at IS NOT NULL FROM outbox_event WHERE id > :id"),
                    {"id": after_id},
                ).all()
                delivered = set(
                    conn.execute(
                        sa.text(
                            "SELECT event_id FROM webhook_delivery WHERE endpoint_id = :e AND status = 'delivered'"
                        ),
                        {"e": sink.endpoint_id},
                    ).scalars()
                )
            ids = [str(e) for e, _ in events]
            left = {
                "unrelayed": sum(1 for _, relayed in events if not relayed),
                "undelivered": len(set(ids) - delivered),
                "not received": len(set(ids) - sink.applied),
            }
            if not any(left.values()):
                return ids
            time.sleep(1.0)
    finally:
        engine.dispose()
    raise AssertionError(f"the outbox did not drain within {timeout:.0f}s: {left}\n{production.log_tail()}")


# ---------------------------------------------------------------------------------------------- Redis


def test_a_redis_outage_slows_no_read_refuses_no_import_and_loses_no_event(
    production: Running, sink: WebhookSink
) -> None:
    tag, inn, account = uuid.uuid4().hex[:6].upper(), f"77{random.randrange(10**8):08d}", unique_account()
    imports = int((3 + REDIS_OUTAGE_SECONDS) / IMPORT_EVERY_SECONDS) + 10
    invoices: list[dict[str, str]] = []
    with production.api() as api:
        for n in range(imports):
            body = {
                "invoice_no": f"RO-{tag}-{n}",
                "amount": f"{1000 + n}.00",
                "partner_name": f"ООО Редис {tag}",
                "partner_inn": inn,
                "contract_no": f"RO-{tag}",
            }
            created = api.post("/v1/invoices", json=body)
            assert created.status_code == 201, created.text
            invoices.append({**body, "id": str(created.json()["id"])})
    after_id = max_outbox_id(production)

    def paying(n: int) -> tuple[str, bytes, dict[str, str]]:
        number, amount = invoices[n]["invoice_no"], invoices[n]["amount"]
        line = (f"RO{tag}{n}", amount, inn, f"Оплата по счету {number} по договору RO-{tag}")
        return f"ro-{n}.xml", statement(account, [line], f"RO-{tag}-{n}"), {"Idempotency-Key": f"ro-{tag}-{n}"}

    # No import after Redis is back: its message would ask the matcher to run anyway and hide a lost one.
    load = Load(production, [f"/v1/invoices/{i['id']}" for i in invoices], paying, import_phases=("before", "outage"))
    load.start()
    try:
        time.sleep(3)
        load.phase = "outage"
        production.topology.stop_redis()
        with production.api() as api:
            ready = api.get("/v1/ready")
        time.sleep(REDIS_OUTAGE_SECONDS)
        load.phase = "restarting"  # no import from here on, and none still running when Redis is back
        time.sleep(3)
        production.topology.start_redis()
        load.phase = "after"
        time.sleep(8)
    finally:
        load.stop()
        if production.topology.redis is None:
            production.topology.start_redis()

    reads, outage_reads, uploads = load.of("read"), load.of("read", "outage"), load.of("import")
    failed = [s for s in reads + uploads if s.status is None or s.status >= 500]
    assert failed == [], f"{len(failed)} requests failed, e.g. {failed[:3]}"
    assert (ready.status_code, ready.json()["component"]) == (503, "redis"), "readiness tells the balancer"
    assert len(outage_reads) >= REDIS_OUTAGE_SECONDS * READS_PER_SECOND * 0.5, "the reads kept coming"
    assert {s.status for s in reads} == {200}, {s.status: s.body for s in reads if s.status != 200}
    assert p99(outage_reads) < P99_LIMIT_SECONDS, f"p99 {p99(outage_reads) * 1000:.0f} ms during the outage"
    assert {s.status for s in uploads} == {200}, {s.status: s.body for s in uploads if s.status != 200}
    outage_uploads = load.of("import", "outage")
    assert len(outage_uploads) >= REDIS_OUTAGE_SECONDS / IMPORT_EVERY_SECONDS * 0.5
    slowest = max(s.seconds for s in outage_uploads)
    median_before = median([s.seconds for s in load.of("import", "before")])
    median_outage = median([s.seconds for s in outage_uploads])
    assert slowest < 2.5 and median_outage < median_before + 0.5, (
        f"imports took {median_outage:.2f}s (before the outage {median_before:.2f}s, slowest {slowest:.2f}s): "
        "waiting on the broker?"
    )

    assert all('"new":1' in s.body.replace(" ", "") for s in uploads), [s.body for s in uploads][:3]

    # Redis is back: the queued "match" messages are published, the matcher settles every payment, and
    # every event written meanwhile (imports, allocations, invoices paid) reaches the receiver.
    sent = len(uploads)
    assert sent < len(invoices), "each import paid an invoice of its own"

    def all_paid() -> bool:
        with production.api() as api:
            return all(api.get(f"/v1/invoices/{i['id']}").json()["status"] == "paid" for i in invoices[:sent])

    returned_at = time.monotonic()
    deadline = returned_at + 120
    while not all_paid():
        assert time.monotonic() < deadline, f"payments imported meanwhile were not matched\n{production.log_tail()}"
        time.sleep(2)
    delivered = wait_until_delivered(production, sink, after_id, timeout=120)
    assert len(delivered) >= 2 * sent, "statement.imported and payment.allocated for each import at least"
    print(  # the soak run's record
        f"redis down {REDIS_OUTAGE_SECONDS:.0f}s: {len(outage_reads)} reads, p99 {p99(outage_reads) * 1000:.0f} ms; "
        f"{len(outage_uploads)} imports, median {median_outage * 1000:.0f} ms (before: {median_before * 1000:.0f}), "
        f"slowest {slowest * 1000:.0f} ms; {sent} payments matched and "
        f"{len(delivered)} events delivered {time.monotonic() - returned_at:.0f}s after the checks began"
    )


# ---------------------------------------------------------------------------------------------- PostgreSQL


def test_a_postgres_restart_answers_503_keeps_imports_whole_and_recovers_without_restarting_the_api(
    production: Running, sink: WebhookSink
) -> None:
    topology = production.topology
    tag, account = uuid.uuid4().hex[:6].upper(), unique_account()
    big_lines = [(f"PG{tag}{n}", f"{10 + n}.00", "7700000000", f"Payment {tag} number {n}") for n in range(400)]
    big = statement(account, big_lines, f"PG-{tag}-BIG")
    api_processes = topology.process_tree("api")
    assert len(api_processes) >= 2, api_processes
    superuser = production.engine("postgres")

    def small(n: int) -> tuple[str, bytes, dict[str, str]]:
        line = (f"PGS{tag}{n}", f"{5 + n}.00", "7700000001", f"Small {tag} {n}")
        return f"pg-{n}.xml", statement(unique_account(), [line], f"PG-{tag}-{n}"), {"Idempotency-Key": f"pg-{tag}-{n}"}

    with production.api() as api:
        reads = [f"/v1/invoices/{i['id']}" for i in api.get("/v1/invoices", params={"limit": 20}).json()["data"]]
    assert reads, "earlier tests left invoices to read"
    load = Load(production, reads, small)
    in_flight: dict[str, object] = {}

    def upload_big() -> None:
        with production.api(timeout=60) as api:
            try:
                in_flight["answer"] = api.post("/v1/statements", files={"file": ("big.xml", big, "application/xml")})
            except httpx.HTTPError as exc:
                in_flight["answer"] = exc

    # Hold the journal's lock: the import writes its statement and lines, then waits for it, mid-transaction.
    blocker = superuser.connect()
    blocker.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": _PG_JOURNAL_LOCK})
    uploader = threading.Thread(target=upload_big, daemon=True)
    try:
        uploader.start()
        _wait_for_import_holding_lines_and_waiting(superuser)
        load.start()
        time.sleep(2)
        load.phase = "stopping"  # requests sent while pg_ctl stops it may still be answered: not counted
        stopped_at = time.monotonic()
        topology.stop_postgres("fast")
        load.phase = "outage"
        blocker.invalidate()
        time.sleep(POSTGRES_OUTAGE_SECONDS)
        load.phase = "restarting"
        topology.start_postgres()
        started_at = time.monotonic()
        recovered_at = _wait_for_a_read(load, started_at, timeout=30)
        load.phase = "after"
        time.sleep(5)
    finally:
        load.stop()
        blocker.invalidate()
        blocker.close()
        if not _postgres_answers(topology.postgres_port):
            topology.start_postgres()
    uploader.join(60)

    outage = load.of("read", "outage") + load.of("import", "outage")
    assert outage, "requests were sent during the outage"
    wrong = [s for s in outage if s.status != 503 or s.retry_after is None]
    assert wrong == [], f"during the outage every request answers 503 with Retry-After: {wrong[:3]}"
    assert max(s.seconds for s in outage) < 10, "answered promptly, never hung"
    after = load.of("read", "after") + load.of("import", "after")
    assert after and all(s.status == 200 for s in after), [s for s in after if s.status != 200][:3]
    assert recovered_at - started_at < 30
    assert topology.process_tree("api") == api_processes, "recovered without restarting the API processes"

    # The import caught mid-transaction: all or nothing, and nothing (it was not committed) is what it told.
    answer = in_flight["answer"]
    assert isinstance(answer, httpx.Response), answer
    with superuser.connect() as conn:
        stored = _lines_of(conn, account)
    if answer.status_code == 200:
        assert stored == len(big_lines), "a committed import is whole"
    else:
        assert (answer.status_code, answer.headers.get("retry-after")) == (503, "5"), answer.text
        assert stored == 0, f"{stored} lines of an import that answered 503 were kept"
    after_id = max_outbox_id(production)
    with production.api(timeout=60) as api:
        again = api.post("/v1/statements", files={"file": ("big.xml", big, "application/xml")})
    assert again.status_code == 200, again.text
    assert again.json()["new"] + again.json()["duplicates"] == len(big_lines)
    with superuser.connect() as conn:
        assert _lines_of(conn, account) == len(big_lines)
    superuser.dispose()
    # The workers reconnected too: the import's event is relayed and delivered.
    delivered_after = wait_until_delivered(production, sink, after_id, timeout=90)
    assert delivered_after, (
        f"no event after outbox id {after_id}: the caught import answered {getattr(answer, 'status_code', answer)},"
        f" the re-import {again.json()}"
    )
    print(  # the soak run's record
        f"postgres down {started_at - stopped_at:.0f}s: {len(outage)} requests answered 503 "
        f"(slowest {max(s.seconds for s in outage) * 1000:.0f} ms); reads back {recovered_at - started_at:.1f}s "
        f"after start; the import cut off mid-transaction answered {answer.status_code} and kept {stored} lines"
    )


def _wait_for_import_holding_lines_and_waiting(superuser: sa.Engine, timeout: float = 60) -> None:
    """Until an app-role backend has written bank lines in an open transaction and waits for an advisory lock."""
    query = sa.text(
        "SELECT count(*) FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid "
        "JOIN pg_class c ON c.oid = l.relation "
        "WHERE a.usename = 'sverka_app' AND a.wait_event = 'advisory' "
        "AND c.relname = 'bank_transaction' AND l.mode = 'RowExclusiveLock' AND l.granted"
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with superuser.connect() as conn:
            if conn.execute(query).scalar_one():
                return
        time.sleep(0.05)
    raise AssertionError("the import never reached the journal's lock")


def _lines_of(conn: sa.Connection, account: str) -> int:
    return int(
        conn.execute(
            sa.text(
                "SELECT count(*) FROM bank_transaction t JOIN bank_account a ON a.id = t.bank_account_id "
                "WHERE a.number = :n"
            ),
            {"n": account},
        ).scalar_one()
    )


def _wait_for_a_read(load: Load, since: float, timeout: float) -> float:
    """When the first read sent after ``since`` was answered 200."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ok = [s for s in load.of("read") if s.sent_at >= since and s.status == 200]
        if ok:
            return min(s.sent_at + s.seconds for s in ok)
        time.sleep(0.2)
    raise AssertionError(f"reads did not recover within {timeout:.0f}s of PostgreSQL starting")


def _postgres_answers(port: int) -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False
