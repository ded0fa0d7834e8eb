"""Import statement files: parse, identify the account, store new lines once, journal the import.

A file lands whole or not at all: the caller's unit of work (one per file) commits only when
every statement in it was stored. Lines already known — from an overlapping statement, the same
file again, or a concurrent import — are counted as duplicates, never stored twice; the unique
``dedupe_key`` makes that hold even under concurrency.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from adapters.banks.base import ParsedFile, ParsedStatement, ParseError, StatementLine
from adapters.banks.formats import parse_bytes
from services.reconciler.intake import repository
from services.reconciler.intake.dedupe import iter_dedupe_keys, line_fingerprint
from shared import journal, outbox
from shared.config import get_settings
from shared.errors import StatementRejected
from shared.models import BankAccount, Statement
from shared.models.columns import utcnow
from shared.money import MoneyError, to_minor


@dataclass
class StatementResult:
    account: str
    statement_id: int
    lines: int
    new: int
    duplicates: int
    skipped_pending: int
    warnings: list[str] = field(default_factory=list)


@dataclass
class ImportResult:
    """What one file brought; ``as_dict`` is the CLI's and the API's JSON summary."""

    file: str
    format: str
    statements: list[StatementResult]

    @property
    def new(self) -> int:
        return sum(s.new for s in self.statements)

    def as_dict(self) -> dict[str, Any]:
        accounts = sorted({s.account for s in self.statements})
        return {
            "file": self.file,
            "format": self.format,
            "account": accounts[0] if len(accounts) == 1 else accounts,
            "statements": len(self.statements),
            "lines": sum(s.lines for s in self.statements),
            "new": self.new,
            "duplicates": sum(s.duplicates for s in self.statements),
            "skipped_pending": sum(s.skipped_pending for s in self.statements),
            "warnings": [w for s in self.statements for w in s.warnings],
            "statement_ids": [s.statement_id for s in self.statements],
        }


def parse_statement_file(data: bytes, filename: str) -> ParsedFile:
    """Parse, turning the adapters' ParseError into the domain's rejection."""
    try:
        return parse_bytes(data, filename, max_bytes=get_settings().max_statement_bytes)
    except ParseError as exc:
        raise StatementRejected(str(exc)) from exc


@dataclass(frozen=True, slots=True)
class ReadStatementFile:
    """A statement file parsed and hashed, not stored yet: all of an import that needs no database.

    Separate from storing so that a caller with several files can read the next one while the
    database stores this one (the CLI does): parsing is this process's work, storing mostly the
    database's.
    """

    filename: str
    parsed: ParsedFile
    sha256: str


def read_statement_file(data: bytes, filename: str) -> ReadStatementFile:
    """Parse (refusing a bad file with its position and reason) and hash the bytes; no database."""
    return ReadStatementFile(filename, parse_statement_file(data, filename), hashlib.sha256(data).hexdigest())


def store_statement_file(
    session: Session, read: ReadStatementFile, *, actor: str, account_number: str | None = None
) -> ImportResult:
    """Store a read file in the caller's transaction (flushes; the boundary commits)."""
    parsed = read.parsed
    results = _store_statements(
        session, parsed.statements, parsed.format, read.filename, read.sha256, actor, account_number
    )
    return ImportResult(file=read.filename, format=parsed.format, statements=results)


def import_statement_file(
    session: Session, data: bytes, filename: str, *, actor: str, account_number: str | None = None
) -> ImportResult:
    """Parse and store one file in the caller's transaction (flushes; the boundary commits)."""
    return store_statement_file(
        session, read_statement_file(data, filename), actor=actor, account_number=account_number
    )


def store_pulled_statement(
    session: Session, statement: ParsedStatement, *, source: str, actor: str, account_number: str
) -> StatementResult:
    """Store lines pulled from a bank API (the same dedupe as files)."""
    digest = hashlib.sha256(repr(statement).encode()).hexdigest()
    (result,) = _store_statements(session, [statement], source, None, digest, actor, account_number, source=source)
    return result


def _minor(line: StatementLine, currency: str, filename: str | None) -> int:
    try:
        return to_minor(line.amount, currency)
    except MoneyError as exc:
        where = f"line {line.source_line}" if line.source_line else (line.bank_ref or "a line")
        raise StatementRejected(f"{filename or 'statement'}: {where}: {exc}") from exc


def _resolve_account(
    session: Session,
    statement: ParsedStatement,
    hint: str | None,
    filename: str | None,
    known: dict[str, BankAccount],
) -> BankAccount:
    number = statement.account or hint
    if not number:
        raise StatementRejected(f"{filename or 'statement'}: the file names no account; give one explicitly")
    if number not in known:
        known[number] = repository.get_account_by_number(session, number) or repository.ensure_account(
            session, number, statement.currency
        )
    return known[number]


@dataclass
class _Incoming:
    """One parsed statement on its way in: its row, its account and its booked lines' amounts."""

    statement: ParsedStatement
    account: BankAccount
    row: Statement
    booked: list[StatementLine]
    amounts: list[int]
    currency: str

    @property
    def stored_lines(self) -> int:
        """Lines that move money (a zero line is kept in ``raw`` only)."""
        return sum(1 for amount in self.amounts if amount != 0)


def _store_statements(
    session: Session,
    statements: Sequence[ParsedStatement],
    fmt: str,
    filename: str | None,
    file_hash: str,
    actor: str,
    account_hint: str | None,
    *,
    source: str = "file",
) -> list[StatementResult]:
    """Every statement of a file together: its rows, then all lines in one pipeline, then the counts.

    Together, not one after another: a file of years of daily statements (MT940) has thousands,
    and a dozen round trips each cost more than storing their lines (docs/benchmarks.md, "Import").
    Lines are stored in file order, so a line repeated by a later statement of the same file is
    that statement's duplicate, as when the statements come in separate files.
    """
    accounts: dict[str, BankAccount] = {}
    incoming = [
        _incoming(session, st, fmt, filename, file_hash, actor, account_hint, source, accounts) for st in statements
    ]
    session.flush()  # every statement row gets its id in one go
    now = utcnow()  # one import, one instant: every line of it was stored by the same transaction
    repository.insert_lines(
        session,
        itertools.chain.from_iterable(_line_rows(each, now) for each in incoming),
        likely_stored=_overlaps_stored_lines(session, incoming),
    )
    stored = repository.count_lines_of_statements(session, [each.row.id or 0 for each in incoming])
    for each in incoming:
        new = stored.get(each.row.id or 0, 0)
        each.row.new_count, each.row.duplicate_count = new, each.stored_lines - new
    journal.record_many(session, [_imported(each, fmt, filename, file_hash, actor) for each in incoming])
    outbox.emit_many(
        session,
        [
            (
                "statement.imported",
                {"statement_id": each.row.id, "account": each.account.number, "new": each.row.new_count},
            )
            for each in incoming
            if each.row.new_count
        ],
    )
    return [
        StatementResult(
            account=each.account.number,
            statement_id=each.row.id or 0,
            lines=len(each.booked),
            new=each.row.new_count or 0,
            duplicates=each.row.duplicate_count or 0,
            skipped_pending=len(each.statement.lines) - len(each.booked),
            warnings=list(each.statement.warnings),
        )
        for each in incoming
    ]


def _incoming(
    session: Session,
    statement: ParsedStatement,
    fmt: str,
    filename: str | None,
    file_hash: str,
    actor: str,
    account_hint: str | None,
    source: str,
    accounts: dict[str, BankAccount],
) -> _Incoming:
    account = _resolve_account(session, statement, account_hint, filename, accounts)
    booked = [ln for ln in statement.lines if ln.status == "booked"]
    currency = statement.currency or (booked[0].currency if booked else account.currency) or "RUB"
    amounts = [_minor(ln, ln.currency or currency, filename) for ln in booked]  # every refusal before storing
    row = Statement(
        bank_account_id=account.id or 0,
        source=source,
        format=fmt,
        filename=filename,
        file_hash=file_hash,
        external_id=statement.statement_id,
        date_from=statement.date_from,
        date_to=statement.date_to,
        currency=currency,
        opening_minor=_balance(statement.opening_balance, currency),
        closing_minor=_balance(statement.closing_balance, currency),
        line_count=len(booked),
        warnings=list(statement.warnings),
        imported_by=actor,
    )
    session.add(row)
    return _Incoming(statement, account, row, booked, amounts, currency)


def _overlaps_stored_lines(session: Session, incoming: Sequence[_Incoming]) -> bool:
    """Whether any line of the file may already be stored: its account has lines on its days.

    One query per account of the file, not per statement (a file of years of daily statements has
    thousands). A line without a date could match any stored one, so it counts as overlapping.
    """
    spans: dict[int, list[date]] = {}  # account id -> [first day, last day]
    for each in incoming:
        days = [day for ln in each.booked if (day := ln.booking_date or ln.value_date) is not None]
        if len(days) != len(each.booked):
            return True
        if days:
            first, last = min(days), max(days)
            span = spans.setdefault(each.account.id or 0, [first, last])
            span[0], span[1] = min(span[0], first), max(span[1], last)
    return any(repository.has_lines_between(session, account, first, last) for account, (first, last) in spans.items())


def _line_rows(each: _Incoming, now: datetime) -> Iterator[dict[str, Any]]:
    """The statement's lines as table rows, built as the pipeline asks for them (shared/db_bulk.py)."""
    account, currency, statement_id = each.account, each.currency, each.row.id or 0
    keys = iter_dedupe_keys(
        line_fingerprint(
            account.number,
            ln.currency or currency,
            ln.booking_date or ln.value_date,
            amount,
            ln.counterparty_account,
            ln.purpose,
        )
        for ln, amount in zip(each.booked, each.amounts, strict=True)
    )
    for ln, amount, key in zip(each.booked, each.amounts, keys, strict=True):
        if amount != 0:  # a zero line moves no money; formats that emit them keep them in raw only
            yield _line_row(ln, amount, key, account.id or 0, statement_id, ln.currency or currency, now)


def _imported(each: _Incoming, fmt: str, filename: str | None, file_hash: str, actor: str) -> journal.Change:
    return journal.Change(
        actor=actor,
        action="statement.imported",
        entity_type="statement",
        entity_id=each.row.id or 0,
        after={
            "account": each.account.number,
            "format": fmt,
            "filename": filename,
            "file_sha256": file_hash,
            "lines": len(each.booked),
            "new": each.row.new_count,
            "duplicates": each.row.duplicate_count,
            "warnings": list(each.statement.warnings),
        },
    )


def _balance(value: Decimal | None, currency: str) -> int | None:
    return None if value is None else to_minor(value, currency)


def _line_row(
    line: StatementLine,
    amount_minor: int,
    key: str,
    account_id: int,
    statement_id: int,
    currency: str,
    created_at: datetime,
) -> dict[str, Any]:
    return {
        "bank_account_id": account_id,
        "statement_id": statement_id,
        "dedupe_key": key,
        "bank_ref": line.bank_ref,
        "booking_date": line.booking_date or line.value_date,
        "value_date": line.value_date,
        "amount_minor": amount_minor,
        "currency": currency,
        "counterparty_name": line.counterparty_name,
        "counterparty_account": line.counterparty_account,
        "counterparty_tax_id": line.counterparty_tax_id,
        "purpose": line.purpose,
        "details": dict(line.details),
        "raw": line.raw,
        "source_line": line.source_line,
        "allocated_minor": 0,
        "match_status": "unmatched",
        "created_at": created_at,
    }
