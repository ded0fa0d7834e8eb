"""The journal is append-only and hash-chained: tampering with any row is detected."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from shared import journal
from shared.db import session_scope


def _write_events(n: int) -> None:
    with session_scope() as session:
        journal.record_many(
            session,
            [
                journal.Change("tester", "invoice.updated", "invoice", i, {"amount_minor": i}, {"amount_minor": i + 1})
                for i in range(n)
            ],
        )


def _tamper(engine, *statements: str) -> None:
    """Edit rows as a database superuser would: bypassing the append-only trigger first."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE journal_event DISABLE TRIGGER journal_event_append_only"))
        else:
            conn.execute(text("DROP TRIGGER journal_event_no_update"))
            conn.execute(text("DROP TRIGGER journal_event_no_delete"))
        for sql in statements:
            conn.execute(text(sql))


def _verify():
    with session_scope() as session:
        return journal.verify(session)


def test_an_untouched_chain_verifies(engine):
    _write_events(5)
    _write_events(3)
    report = _verify()
    assert report.ok and report.events == 8


def test_the_application_cannot_update_or_delete_journal_rows(engine):
    _write_events(2)
    for sql in ("UPDATE journal_event SET actor = 'mallory'", "DELETE FROM journal_event"):
        with pytest.raises((DBAPIError, IntegrityError), match="append-only"), engine.begin() as conn:
            conn.execute(text(sql))
    assert _verify().ok


def test_an_altered_row_is_named(engine):
    _write_events(5)
    _tamper(engine, "UPDATE journal_event SET actor = 'mallory' WHERE seq = 3")
    report = _verify()
    assert not report.ok
    assert report.broken_seq == 3
    assert "altered" in (report.problem or "")


def test_a_removed_row_is_named(engine):
    _write_events(5)
    _tamper(engine, "DELETE FROM journal_event WHERE seq = 2")
    report = _verify()
    assert (report.ok, report.broken_seq) == (False, 2)
    assert "missing" in (report.problem or "")


def test_reordered_rows_are_detected(engine):
    _write_events(5)
    # Swap the contents of events 2 and 4 while keeping their sequence numbers.
    _tamper(
        engine,
        "UPDATE journal_event SET seq = -2 WHERE seq = 2",
        "UPDATE journal_event SET seq = 2 WHERE seq = 4",
        "UPDATE journal_event SET seq = 4 WHERE seq = -2",
    )
    report = _verify()
    assert (report.ok, report.broken_seq) == (False, 2)


def test_a_row_recomputed_with_a_new_hash_breaks_the_next_link(engine):
    _write_events(4)
    with session_scope() as session:
        event = session.get(journal.JournalEvent, 2)
        assert event is not None
        event.actor = "mallory"
        forged = journal.event_hash(event)
        session.expunge(event)
    _tamper(engine, f"UPDATE journal_event SET actor = 'mallory', hash = '{forged}' WHERE seq = 2")
    report = _verify()
    assert (report.ok, report.broken_seq) == (False, 3)


def test_the_api_reports_the_chain_and_names_a_broken_link(engine):
    import httpx

    from services.reconciler.api.app import create_app
    from tests.api.keys import bearer, issue_key
    from tests.http_servers import serve_asgi

    _write_events(3)
    auth = bearer(issue_key("read"))
    with serve_asgi(create_app()) as base:
        assert httpx.get(f"{base}/v1/journal/verify", headers=auth).json()["ok"] is True
        _tamper(engine, "UPDATE journal_event SET action = 'invoice.deleted' WHERE seq = 2")
        broken = httpx.get(f"{base}/v1/journal/verify", headers=auth)
    assert broken.status_code == 409
    assert broken.json()["broken_seq"] == 2


def test_payloads_come_back_exactly_as_they_were_hashed(engine):
    """What a dispute shows must verify: a large float (1e16) must not come back as an integer.

    PostgreSQL's ``jsonb`` stores numbers as decimals and writes 1e16 back as 10000000000000000,
    which reads as an int and hashes differently; the journal keeps its payload as written.
    """
    payload = {"rate": 1e16, "huge": 1.5e300, "tiny": 5e-324, "sum": 0.1 + 0.2, "name": "Ёлка \u2028"}
    with session_scope() as session:  # one event, then a batch large enough to be copied in bulk
        journal.record(session, journal.Change("tester", "rate.changed", "contract", 1, None, payload))
        batch = [journal.Change("tester", "rate.changed", "contract", n, payload, payload) for n in range(2, 602)]
        journal.record_many(session, batch)
    report = _verify()
    assert report.ok and report.events == 601, report
    with session_scope() as session:
        stored = journal.entity_history(session, "contract", 1) + journal.entity_history(session, "contract", 601)
    assert [e.after for e in stored] == [payload, payload]
    assert all(isinstance(e.after["rate"], float) for e in stored)
