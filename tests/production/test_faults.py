"""Faults on the production topology, scaled for CI (``make soak`` runs longer variants).

* the same statement uploaded 20 times at once, with overlapping statements among them, through
  the API's several uvicorn workers: one row per bank line, never a 5xx;
* a backup taken with pg_dump and restored into a new database verifies its journal and answers
  the API's questions exactly as the live database does.
"""

from __future__ import annotations

import os
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from deploy.local import OWNER_ROLE, pg_tool
from services.reconciler.api.app import create_app
from shared import db as shared_db
from shared.config import get_settings
from tests.http_servers import serve_asgi
from tests.production.conftest import Running

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]

SOAK = os.environ.get("SVERKA_SOAK", "") in {"1", "true", "yes"}
ACCOUNT = "40702810900000000077"


def camt(lines: range, statement_id: str) -> bytes:
    """A CAMT.053 statement whose line ``n`` is 100+n roubles from a payer, booked on day n of 2026."""
    entries = []
    for n in lines:
        day = date(2026, 1, 1) + timedelta(days=n % 300)
        entries.append(
            f'<Ntry><Amt Ccy="RUB">{100 + n}.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>'
            f"<BookgDt><Dt>{day}</Dt></BookgDt><ValDt><Dt>{day}</Dt></ValDt><AcctSvcrRef>R{n}</AcctSvcrRef>"
            f"<NtryDtls><TxDtls><RltdPties><Dbtr><Nm>Payer {n}</Nm></Dbtr></RltdPties>"
            f"<RmtInf><Ustrd>Payment number {n}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>'
        f"<GrpHdr><MsgId>{statement_id}</MsgId><CreDtTm>2026-11-01T09:00:00</CreDtTm></GrpHdr>"
        f"<Stmt><Id>{statement_id}</Id><CreDtTm>2026-11-01T09:00:00</CreDtTm>"
        f"<Acct><Id><Othr><Id>{ACCOUNT}</Id></Othr></Id><Ccy>RUB</Ccy></Acct>"
        + "".join(entries)
        + "</Stmt></BkToCstmrStmt></Document>"
    ).encode()


def test_concurrent_and_overlapping_imports_store_each_line_once_without_errors(production: Running) -> None:
    size = 400 if SOAK else 60
    same = camt(range(size), "SAME")
    overlapping = [camt(range(start, start + size), f"OVERLAP-{start}") for start in (size // 3, size // 2)]
    uploads = [("same.xml", same)] * 20 + [(f"overlap-{i}.xml", body) for i, body in enumerate(overlapping)]
    distinct_lines = size // 2 + size

    def upload(item: tuple[str, bytes]) -> httpx.Response:
        with production.api(timeout=45) as api:
            return api.post("/v1/statements", files={"file": (item[0], item[1], "application/xml")})

    try:
        with ThreadPoolExecutor(max_workers=len(uploads)) as pool:
            answers = list(pool.map(upload, uploads))
    finally:
        release_stuck_transactions(production)

    assert [a.status_code for a in answers if a.status_code >= 500] == [], [a.text for a in answers][:3]
    assert {a.status_code for a in answers} == {200}, {a.status_code: a.text for a in answers}
    assert sum(a.json()["new"] for a in answers) == distinct_lines
    engine = sa.create_engine(production.topology.app_url)
    try:
        with engine.connect() as conn:
            stored = conn.execute(
                sa.text(
                    "SELECT count(*), count(DISTINCT t.dedupe_key) FROM bank_transaction t "
                    "JOIN bank_account a ON a.id = t.bank_account_id WHERE a.number = :n"
                ),
                {"n": ACCOUNT},
            ).one()
    finally:
        engine.dispose()
    assert tuple(stored) == (distinct_lines, distinct_lines)


def release_stuck_transactions(production: Running) -> None:
    """End app sessions left idle inside a transaction (a stuck request), so the next tests can run."""
    production.topology.psql(
        "-c",
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE usename = 'sverka_app' AND state = 'idle in transaction' AND state_change < now() - interval '5 s'",
    )


def wait_until_quiet(production: Running, timeout: float = 60.0) -> None:
    """Until the outbox is relayed and no task waits: a dump taken then is the state the API serves."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        metrics = httpx.get(f"{production.topology.api_url}/metrics", timeout=30).text
        busy = [
            line
            for line in metrics.splitlines()
            if line.startswith(("sverka_outbox_unrelayed ", "sverka_queue_depth{")) and not line.endswith(" 0.0")
        ]
        if not busy:
            return
        time.sleep(0.5)
    raise AssertionError(f"the topology did not settle within {timeout:.0f}s: {busy}")


def test_a_restored_backup_verifies_and_answers_like_the_live_database(
    production: Running, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    topology = production.topology
    secrets = topology.secrets()
    dump = tmp_path / "sverka.dump"
    wait_until_quiet(production)
    owner_env = {**os.environ, "PGPASSWORD": secrets[OWNER_ROLE]}
    connect = ["-h", "127.0.0.1", "-p", str(topology.postgres_port), "-U", OWNER_ROLE]
    subprocess.run(
        [pg_tool("pg_dump"), *connect, "-d", "sverka", "-Fc", "-f", str(dump)], env=owner_env, check=True, timeout=300
    )
    topology.psql("-c", f"CREATE DATABASE sverka_restored OWNER {OWNER_ROLE}")
    topology.psql("-c", "GRANT CONNECT, TEMPORARY ON DATABASE sverka_restored TO sverka_app")
    subprocess.run(
        [pg_tool("pg_restore"), *connect, "-d", "sverka_restored", "--exit-on-error", str(dump)],
        env=owner_env,
        check=True,
        timeout=300,
    )
    restored_url = topology.url("sverka_app", database="sverka_restored")

    verified = production.sverka("journal", "verify", SVERKA_DATABASE_URL=restored_url)
    live = production.sverka("journal", "verify")
    assert verified["ok"] is True and verified["events"] > 0
    assert verified == live, "nothing ran between the dump and now, so both chains end at the same event"

    questions = ["/v1/invoices?limit=100", "/v1/statements?limit=100", "/v1/webhooks"]
    with production.api() as api:
        live_answers = {q: api.get(q) for q in questions}
    monkeypatch.setenv("SVERKA_DATABASE_URL", restored_url)
    monkeypatch.setenv("SVERKA_REDIS_URL", "")
    get_settings.cache_clear()
    shared_db.dispose_engines()
    try:
        headers = {"Authorization": f"Bearer {production.api_key}"} if production.api_key else {}
        with serve_asgi(create_app()) as base, httpx.Client(base_url=base, headers=headers, timeout=30) as restored:
            for question, answer in live_answers.items():
                again = restored.get(question)
                assert (again.status_code, again.json()) == (answer.status_code, answer.json()), question
    finally:
        shared_db.dispose_engines()
        get_settings.cache_clear()
