"""The ``sverka`` command line.

The batch commands (import-invoices, import-statement, reconcile, export-allocations, parse) are
a public contract that other tools and our benchmarks drive: their names, inputs and JSON/CSV
outputs stay stable. Every command honours ``SVERKA_DATABASE_URL``. Exit codes: 0 success,
1 rejected input or a failed check, 2 usage errors.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from adapters.banks.base import ParsedFile, ParseError
from adapters.banks.formats import parse_path
from services.notifier.cli import register as register_notifier_commands
from services.reconciler.access.cli import register as register_users_command
from services.reconciler.apikeys.cli import register as register_apikeys_commands
from services.reconciler.evidence.cli import register as register_evidence_commands
from services.reconciler.sync.cli import register as register_sync_commands
from shared.config import get_settings
from shared.errors import SverkaError

if TYPE_CHECKING:
    from services.reconciler.intake.service import ReadStatementFile

CLI_ACTOR = "cli"


def _emit(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2, default=str) + "\n")


def _fail(message: str) -> int:
    sys.stderr.write(f"sverka: {message}\n")
    return 1


def _prepare_database() -> None:
    """Embedded mode migrates on use; production runs ``sverka migrate`` once per release."""
    if get_settings().auto_migrate:
        from shared.migrate import upgrade

        upgrade()


def cmd_migrate(_: argparse.Namespace) -> int:
    from shared.migrate import upgrade

    upgrade()
    _emit({"migrated": True, "database": get_settings().redacted_database_url})
    return 0


def cmd_import_invoices(args: argparse.Namespace) -> int:
    from services.reconciler.billing.service import read_invoices_csv, upsert_invoices
    from shared.db import session_scope

    _prepare_database()
    path = Path(args.file)
    try:
        items = read_invoices_csv(path.read_bytes(), str(path))
    except OSError as exc:
        return _fail(f"{path}: cannot read file: {exc.strerror}")
    with session_scope() as session:
        summary = upsert_invoices(session, items, actor=CLI_ACTOR)
    _emit({"file": str(path), **summary.model_dump()})
    return 0


def cmd_import_statement(args: argparse.Namespace) -> int:
    """Import each file in its own transaction, in the order given, reading the next while one is stored.

    Why read ahead: storing a large file is mostly the database's work, parsing the next one this
    process's, so on two cores they overlap (docs/benchmarks.md, "Reconciliation flow"). Only one
    file is read ahead, so a folder of a year's statements is not held in memory at once.
    """
    from services.reconciler.intake.service import store_statement_file
    from shared.db import session_scope

    _prepare_database()
    paths = [Path(name) for name in args.files]
    files: list[dict[str, Any]] = []
    rejected: list[dict[str, str]] = []
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sverka-read-ahead") as reader:
        for path, reading in _read_ahead(reader, paths):
            try:
                read = reading.result()
                with session_scope() as session:  # one transaction per file: it lands whole or not at all
                    result = store_statement_file(session, read, actor=CLI_ACTOR, account_number=args.account)
                files.append(result.as_dict())
            except OSError as exc:
                rejected.append({"file": str(path), "error": f"{path}: cannot read file: {exc.strerror}"})
            except SverkaError as exc:
                rejected.append({"file": str(path), "error": exc.message})
    for r in rejected:
        sys.stderr.write(f"sverka: rejected {r['error']}\n")
    _emit(_statement_summary(files, rejected))
    return 1 if rejected else 0


def _read_ahead(reader: ThreadPoolExecutor, paths: list[Path]) -> Iterator[tuple[Path, Future[ReadStatementFile]]]:
    """Each path with its reading, the next path's reading started before this one is handed out."""
    readings = [reader.submit(_read_statement, path) for path in paths[:1]]
    for at, path in enumerate(paths):
        if at + 1 < len(paths):
            readings.append(reader.submit(_read_statement, paths[at + 1]))
        yield path, readings.pop(0)


def _read_statement(path: Path) -> ReadStatementFile:
    """Read and parse one file (no database): refused when over the size limit, before it is read."""
    from services.reconciler.intake.service import read_statement_file

    size = path.stat().st_size
    limit = get_settings().max_statement_bytes
    if size > limit:
        raise SverkaError(f"{path}: file is {size} bytes, over the limit of {limit}")
    return read_statement_file(path.read_bytes(), str(path))


def _one_or_list(values: list[Any]) -> Any:
    unique = sorted(set(map(str, values)))
    return unique[0] if len(unique) == 1 else unique


def _statement_summary(files: list[dict[str, Any]], rejected: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "format": _one_or_list([f["format"] for f in files]) if files else None,
        "account": _one_or_list([f["account"] for f in files]) if files else None,
        "lines": sum(f["lines"] for f in files),
        "new": sum(f["new"] for f in files),
        "duplicates": sum(f["duplicates"] for f in files),
        "files": files,
        "rejected": rejected,
    }


def cmd_reconcile(_: argparse.Namespace) -> int:
    from services.reconciler.matching.service import reconcile
    from shared.db import session_scope

    _prepare_database()
    with session_scope() as session:
        summary = reconcile(session, actor="system:matcher")
    _emit(summary.as_dict())
    return 0


def cmd_export_allocations(args: argparse.Namespace) -> int:
    from services.reconciler.matching.export import write_allocations_csv
    from shared.db import session_scope

    _prepare_database()
    with session_scope() as session:
        if args.out:
            with open(args.out, "w", encoding="utf-8", newline="") as out:
                rows = write_allocations_csv(session, out)
            sys.stderr.write(f"sverka: {rows} rows written to {args.out}\n")
        else:
            write_allocations_csv(session, sys.stdout)
    return 0


def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def parsed_file_as_json(parsed: ParsedFile) -> dict[str, Any]:
    """The adapters' contract made visible: the documented ``sverka parse`` shape."""
    return {
        "format": parsed.format,
        "statements": [
            {
                "account": st.account,
                "currency": st.currency,
                "date_from": st.date_from.isoformat() if st.date_from else None,
                "date_to": st.date_to.isoformat() if st.date_to else None,
                "opening_balance": _decimal(st.opening_balance),
                "closing_balance": _decimal(st.closing_balance),
                "lines": [
                    {
                        "bank_ref": ln.bank_ref,
                        "booking_date": ln.booking_date.isoformat() if ln.booking_date else None,
                        "value_date": ln.value_date.isoformat() if ln.value_date else None,
                        "amount": _decimal(ln.amount),
                        "currency": ln.currency,
                        "counterparty_name": ln.counterparty_name,
                        "counterparty_account": ln.counterparty_account,
                        "counterparty_tax_id": ln.counterparty_tax_id,
                        "purpose": ln.purpose,
                    }
                    for ln in st.lines
                ],
            }
            for st in parsed.statements
        ],
    }


def cmd_parse(args: argparse.Namespace) -> int:
    try:
        parsed = parse_path(Path(args.file), max_bytes=get_settings().max_statement_bytes)
    except ParseError as exc:
        return _fail(str(exc))
    _emit(parsed_file_as_json(parsed))
    return 0


def cmd_journal_verify(_: argparse.Namespace) -> int:
    from shared import journal
    from shared.db import session_scope

    _prepare_database()
    with session_scope() as session:
        report = journal.verify(session)
    _emit(report.as_dict())
    if not report.ok:
        sys.stderr.write(f"sverka: journal chain broken at event {report.broken_seq}: {report.problem}\n")
        return 1
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from services.reconciler.api.app import create_app

    _prepare_database()
    uvicorn.run(create_app(run_worker=True), host=args.host, port=args.port, log_level="info")
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from shared.tasks import celery_app

    app = celery_app()
    # Distinct node names per queue set: two workers named celery@host on one machine confuse
    # remote control and monitoring (Celery warns of duplicate nodenames).
    name = args.name or f"{args.queues.replace(',', '+')}@%h"
    argv = ["worker", "--loglevel=INFO", f"--concurrency={args.concurrency}", f"--queues={args.queues}", "-n", name]
    app.worker_main(argv)
    return 0


def cmd_beat(_: argparse.Namespace) -> int:
    from shared.tasks import celery_app

    celery_app().start(["beat", "--loglevel=INFO"])
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from services.reconciler.demo import run_demo

    return run_demo(host=args.host, port=args.port, bank_port=args.bank_port, rounds=args.rounds, pause=args.pause)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sverka", description="Payment reconciliation: statements in, matched invoices out."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, handler: Callable[[argparse.Namespace], int], help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(handler=handler)
        return p

    add("migrate", cmd_migrate, "Apply database migrations.")
    p = add(
        "import-invoices", cmd_import_invoices, "Create or update partners, contracts and invoices from a CSV file."
    )
    p.add_argument("file")
    p = add("import-statement", cmd_import_statement, "Import bank statement files (format detected).")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--account", help="Our account number, for files that name none.")
    add("reconcile", cmd_reconcile, "Run the matcher over every line not yet settled.")
    p = add("export-allocations", cmd_export_allocations, "Write allocations and suggestions as CSV.")
    p.add_argument("--out", help="File to write (default: stdout).")
    p = add("parse", cmd_parse, "Parse a statement file and print it as JSON (no database).")
    p.add_argument("file")
    register_users_command(sub)
    register_apikeys_commands(sub)
    register_notifier_commands(sub)
    register_sync_commands(sub)
    register_evidence_commands(sub)
    journal_cmd = sub.add_parser("journal", help="The audit journal.")
    journal_sub = journal_cmd.add_subparsers(dest="journal_command", required=True, metavar="COMMAND")
    v = journal_sub.add_parser("verify", help="Recompute the hash chain; exit 1 naming the first broken link.")
    v.set_defaults(handler=cmd_journal_verify)
    settings = get_settings()
    p = add("serve", cmd_serve, "Run the API and UI with an in-process worker.")
    p.add_argument("--host", default=settings.api_host)
    p.add_argument("--port", type=int, default=settings.api_port)
    p = add("worker", cmd_worker, "Run a Celery worker (production topology; needs SVERKA_REDIS_URL).")
    p.add_argument("--concurrency", type=int, default=2)
    p.add_argument("--queues", default="reconciler,notifier", help="Comma-separated queues (default: both).")
    p.add_argument("--name", default=None, help="Celery node name (default: QUEUES@%%h; %%h is the host name).")
    add("beat", cmd_beat, "Run the Celery beat scheduler (one per installation).")
    p = add("demo", cmd_demo, "Seed a demo company and show payments arriving from the sandbox bank being matched.")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=settings.api_port)
    p.add_argument("--bank-port", type=int, default=8001)
    p.add_argument("--rounds", type=int, default=0, help="Stop after this many payment rounds (0: run until Ctrl-C).")
    p.add_argument("--pause", type=float, default=4.0, help="Seconds between payments.")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.handler(args)
    except SverkaError as exc:
        return _fail(exc.message)
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
