"""Many rows in at once (a statement's lines): duplicates refused by the constraint, order and values kept."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import func, select, text
from sqlmodel import Session, col

from shared import db_bulk, journal
from shared.db import bulk_insert_ignoring_conflicts, insert_returning_ids, session_scope
from shared.models import BankAccount, BankTransaction, Partner, Statement
from shared.models.columns import utcnow


def _lines(statement: Statement, keys: list[str]) -> list[dict[str, object]]:
    return [
        {
            "bank_account_id": statement.bank_account_id,
            "statement_id": statement.id,
            "dedupe_key": key,
            "bank_ref": f"REF-{key}",
            "booking_date": date(2026, 5, 20),
            "value_date": None,
            "amount_minor": 100 + n,
            "currency": "RUB",
            "counterparty_name": "ООО «Ромашка»",
            "counterparty_account": None,
            "counterparty_tax_id": "7701234567",
            "purpose": "оплата по счёту №7\ttab\\slash",
            "details": {"kbk": None, "priority": "5", "nested": {"n": n}},
            "raw": "raw\nrecord",
            "source_line": n + 1,
            "allocated_minor": 0,
            "match_status": "unmatched",
            "created_at": utcnow(),
        }
        for n, key in enumerate(keys)
    ]


def test_rows_go_in_once_in_their_order_with_their_values(database_url: str) -> None:
    table = BankTransaction.__table__  # type: ignore[attr-defined]
    with session_scope() as session:
        statement = _statement(session, "40702810900000000001")
        bulk_insert_ignoring_conflicts(session, table, _lines(statement, ["c", "a", "b"]), ["dedupe_key"])
        # A second statement repeating two of them, one twice, and bringing one new line.
        bulk_insert_ignoring_conflicts(session, table, _lines(statement, ["a", "d", "b", "d"]), ["dedupe_key"])
    with session_scope() as session:
        stored = list(session.scalars(select(BankTransaction).order_by(col(BankTransaction.id))))
    assert [t.dedupe_key for t in stored] == ["c", "a", "b", "d"]
    first = stored[0]
    assert (first.purpose, first.raw, first.counterparty_name) == (
        "оплата по счёту №7\ttab\\slash",
        "raw\nrecord",
        "ООО «Ромашка»",
    )
    assert first.details == {"kbk": None, "priority": "5", "nested": {"n": 0}}
    assert stored[3].amount_minor == 101 and stored[3].booking_date == date(2026, 5, 20)


@pytest.mark.parametrize("database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_a_line_stored_by_a_concurrent_import_meanwhile_is_kept_once(database_url: str) -> None:
    """A line stored by another transaction that commits meanwhile is kept once; the rest go in.

    PostgreSQL only: SQLite lets one writer at a time, so the race cannot happen there.
    """
    table = BankTransaction.__table__  # type: ignore[attr-defined]
    with session_scope() as session:
        statement = _statement(session, "40702810900000000002")
    first_stored, second_done = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def second_import() -> None:
        try:
            with session_scope() as session:
                first_stored.wait(10)  # "x" is stored but not committed: invisible to this lookup
                bulk_insert_ignoring_conflicts(session, table, _lines(statement, ["y", "x", "z"]), ["dedupe_key"])
        except BaseException as exc:  # reported by the test thread below
            errors.append(exc)
        finally:
            second_done.set()

    worker = threading.Thread(target=second_import)
    worker.start()
    with session_scope() as session:
        bulk_insert_ignoring_conflicts(session, table, _lines(statement, ["x"]), ["dedupe_key"])
        session.flush()
        first_stored.set()
        _wait_for_a_lock_waiter(session)  # the second import's copy now waits on our "x"
    worker.join(20)
    assert second_done.is_set() and not errors, errors
    with session_scope() as session:
        stored = [t.dedupe_key for t in session.scalars(select(BankTransaction).order_by(col(BankTransaction.id)))]
    assert stored == ["x", "y", "z"]


def _wait_for_a_lock_waiter(session: Session, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    query = text("SELECT count(*) FROM pg_locks WHERE NOT granted")  # live, unlike pg_stat_activity's snapshot
    while time.monotonic() < deadline:
        if session.execute(query).scalar_one():
            return
        time.sleep(0.05)
    raise AssertionError("the concurrent import never waited for the uncommitted line")


def test_rows_stored_chunk_by_chunk_keep_their_order_and_each_key_once(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_bulk, "CHUNK_ROWS", 2)  # 7 rows: four chunks, repeats across their edges
    table = BankTransaction.__table__  # type: ignore[attr-defined]
    with session_scope() as session:
        statement = _statement(session, "40702810900000000003")
        rows = _lines(statement, ["a", "b", "b", "c", "a", "d", "e"])
        bulk_insert_ignoring_conflicts(session, table, iter(rows), ["dedupe_key"])
    with session_scope() as session:
        stored = list(session.scalars(select(BankTransaction).order_by(col(BankTransaction.id))))
    assert [(t.dedupe_key, t.amount_minor) for t in stored] == [
        ("a", 100),
        ("b", 101),
        ("c", 103),
        ("d", 105),
        ("e", 106),
    ]


def test_a_failure_while_rows_are_built_stores_none_of_them(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(db_bulk, "CHUNK_ROWS", 2)
    table = BankTransaction.__table__  # type: ignore[attr-defined]
    with session_scope() as session:
        statement = _statement(session, "40702810900000000004")

    def rows_then_a_broken_line() -> Iterator[dict[str, object]]:
        yield from _lines(statement, ["a", "b", "c"])  # the first chunk is already being stored
        raise ValueError("line 4: not a date")

    with pytest.raises(ValueError, match="line 4"), session_scope() as session:
        bulk_insert_ignoring_conflicts(session, table, rows_then_a_broken_line(), ["dedupe_key"])
    with session_scope() as session:
        assert list(session.scalars(select(BankTransaction))) == []


def _statement(session: Session, account_number: str) -> Statement:
    account = BankAccount(number=account_number, currency="RUB")
    session.add(account)
    session.flush()
    statement = Statement(bank_account_id=account.id or 0, source="file", format="1c", file_hash="h", imported_by="t")
    session.add(statement)
    session.flush()
    session.expunge(statement)  # read after this session ends
    return statement


@pytest.mark.parametrize("count", [3, 1_200])  # one multi-row statement; COPY in chunks on PostgreSQL
def test_new_ids_come_back_in_the_order_of_the_rows(database_url: str, count: int) -> None:
    """Partners are under row-level security on PostgreSQL, so the copy goes through a staging table."""
    table = Partner.__table__  # type: ignore[attr-defined]
    rows = [
        {
            "name": f"Partner {n}",
            "inn": f"77{n:08d}",
            "kpp": None,
            "language": "ru",
            "email": None,
            "created_at": utcnow(),
        }
        for n in range(count)
    ]
    with session_scope() as session:
        session.add(Partner(name="already there"))  # pending: written before the bulk rows
        ids = insert_returning_ids(session, table, rows)
    assert len(ids) == count and ids == sorted(ids)
    with session_scope() as session:
        stored = dict(session.execute(select(col(Partner.id), col(Partner.name))).all())
    assert [stored[i] for i in ids] == [f"Partner {n}" for n in range(count)]
    assert min(stored) not in ids and stored[min(stored)] == "already there"


def test_journal_events_written_in_bulk_verify(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(db_bulk, "CHUNK_ROWS", 500)  # several chunks: the pipeline's helper thread
    with session_scope() as session:
        journal.record(session, journal.Change("tester", "invoice.created", "invoice", 0, after={"n": 0}))
        written = journal.record_many(
            session,
            [journal.Change("tester", "invoice.updated", "invoice", n, {"n": n}, None) for n in range(1, 1_700)],
        )
    assert written == 1_699
    with session_scope() as session:
        report = journal.verify(session)
        history = journal.entity_history(session, "invoice", 1_234)
    assert report.ok and report.events == 1_700
    assert [(e.seq, e.before, e.after) for e in history] == [(1_235, {"n": 1_234}, None)]


@pytest.mark.parametrize("database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_a_file_of_thousands_of_statements_is_stored_in_one_transaction(database_url: str) -> None:
    """An MT940 file of years of daily statements stores one statement after another in one transaction.

    Each statement used to leave a staging table of its own until the commit, and every one holds
    locks: 100,000 MT940 lines ran PostgreSQL out of lock slots ("out of shared memory").
    """
    table = BankTransaction.__table__  # type: ignore[attr-defined]
    with session_scope() as session:
        statement = _statement(session, "40702810900000000005")
        for n in range(3_000):
            bulk_insert_ignoring_conflicts(session, table, _lines(statement, [f"k{n}"]), ["dedupe_key"])
    with session_scope() as session:
        assert session.execute(select(func.count()).select_from(BankTransaction)).scalar_one() == 3_000


@pytest.mark.parametrize("database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_long_lines_are_stored_compressed_as_the_table_asks(database_url: str) -> None:
    """A line long enough to be compressed keeps the column's method (lz4 where the server has it, migration 0015).

    The staging table compresses the value and the move keeps it as it is: without the staging
    table taking the target's setting, every imported line would be pglz whatever the table said.
    """
    table = BankTransaction.__table__  # type: ignore[attr-defined]
    with session_scope() as session:
        statement = _statement(session, "40702810900000000006")
        rows = _lines(statement, ["long"])
        rows[0]["raw"] = "".join(f"Документ {n}: оплата по счёту {n * 7919 % 1000}\n" for n in range(200))
        rows[0]["details"] = {f"field{n}": f"значение {n}" for n in range(100)}
        work_mem = session.execute(text("SELECT current_setting('work_mem')")).scalar_one()
        bulk_insert_ignoring_conflicts(session, table, rows, ["dedupe_key"])
        # The move sorts with more memory for itself only: the transaction's setting is as it was.
        assert session.execute(text("SELECT current_setting('work_mem')")).scalar_one() == work_mem
    with session_scope() as session:
        wanted = session.execute(
            text(
                "SELECT attcompression FROM pg_attribute"
                " WHERE attrelid = 'bank_transaction'::regclass AND attname = 'raw'"
            )
        ).scalar_one()
        methods = session.execute(
            text("SELECT pg_column_compression(raw), pg_column_compression(details) FROM bank_transaction")
        ).one()
        stored = session.scalars(select(BankTransaction)).one()
    expected = {"l": "lz4", "p": "pglz", "": None}[wanted]
    if expected is not None:
        assert tuple(methods) == (expected, expected)
    assert stored.details == rows[0]["details"] and stored.raw == rows[0]["raw"]


@pytest.mark.parametrize("database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_rows_already_stored_are_not_even_sent_to_the_server_again(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A re-imported file costs lookups, not the staging of every line only to have it refused."""
    table = BankTransaction.__table__  # type: ignore[attr-defined]
    keys = [f"k{n}" for n in range(db_bulk.CHUNK_ROWS + 10)]  # two chunks
    with session_scope() as session:
        statement = _statement(session, "40702810900000000001")
        bulk_insert_ignoring_conflicts(session, table, _lines(statement, keys), ["dedupe_key"])
    copied: list[object] = []
    values_of = db_bulk._copy_values

    def spy(json_at: list[int], names: list[str], row: dict[str, object]) -> list[object]:
        copied.append(row["dedupe_key"])
        return values_of(json_at, names, row)

    monkeypatch.setattr(db_bulk, "_copy_values", spy)
    with session_scope() as session:
        again = _statement(session, "40702810900000000002")
        rows = _lines(again, [*keys, "new-1", keys[3], "new-2"])
        bulk_insert_ignoring_conflicts(session, table, rows, ["dedupe_key"], skip_stored=True)
    assert copied == ["new-1", "new-2"]
    with session_scope() as session:
        stored = list(session.scalars(select(BankTransaction.dedupe_key).order_by(col(BankTransaction.id))))
    assert stored == [*keys, "new-1", "new-2"]
