"""CPU per journal event: hashing alone, and ``record_many`` into a fresh SQLite database.

An import journals one event per invoice created and a matcher run one per automatic allocation,
so the cost per event is paid 100,000 times and more per flow (docs/benchmarks.md,
"Reconciliation flow"). Two kinds of event, as the flow writes them: ``invoice.created`` (a flat
``after``) and ``allocation.created`` (``after`` with a list of reasons).

    .venv/bin/python -m benchmarks.journal_cost                  # 100,000 events of each kind
    .venv/bin/python -m benchmarks.journal_cost --events 20000 --repeat 5

Run it from two checkouts to compare them (``PYTHONPATH=/other/checkout``); CPU time
(``time.process_time``), best of ``--repeat``, with the load average beside it.
"""

from __future__ import annotations

import argparse
import functools
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _changes(kind: str, count: int) -> list[Any]:
    from shared import journal

    if kind == "invoice.created":
        return [
            journal.Change(
                "cli",
                kind,
                "invoice",
                i,
                after={
                    "number": f"INV-2026-{i:06d}",
                    "direction": "receivable",
                    "amount_minor": 100_000 + i,
                    "currency": "RUB",
                    "partner_id": i % 5000,
                },
            )
            for i in range(count)
        ]
    return [
        journal.Change(
            "system",
            kind,
            "allocation",
            i,
            after={
                "transaction_id": i,
                "invoice_id": i,
                "amount_minor": 500_000,
                "currency": "RUB",
                "kind": "auto",
                "confidence": 0.97,
                "reasons": [{"code": "number", "detail": f"INV-2026-{i:06d}"}, {"code": "amount", "detail": "exact"}],
            },
        )
        for i in range(count)
    ]


def _best(repeat: int, run: Callable[[], None]) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        run()
        best = min(best, time.process_time() - start)
    return best


def _hashing_only(changes: list[Any]) -> None:
    """``record_many`` with the head and the insert replaced: what building and hashing the rows costs."""
    from shared import journal

    class _NoSession:
        def flush(self) -> None:
            pass

    saved = {name: getattr(journal, name) for name in ("_chain_head", "bulk_insert")}
    setattr(journal, "_chain_head", lambda session: (0, journal.GENESIS_HASH))  # noqa: B010
    setattr(journal, "bulk_insert", lambda session, table, rows: None)  # noqa: B010
    try:
        journal.record_many(_NoSession(), changes)  # type: ignore[arg-type]
    finally:
        for name, value in saved.items():
            setattr(journal, name, value)


def _into_sqlite(changes: list[Any], directory: Path) -> float:
    """CPU seconds of ``record_many`` and the commit, on a freshly migrated database."""
    from shared import journal
    from shared.db import make_engine, session_scope
    from shared.migrate import upgrade

    path = directory / f"journal-{time.perf_counter_ns()}.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    start = time.process_time()
    with session_scope(engine) as session:
        journal.record_many(session, changes)
    spent = time.process_time() - start
    engine.dispose()
    path.unlink()
    return spent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    import shared

    print(f"checkout {Path(shared.__file__).resolve().parents[1]}, {args.events:,} events, best of {args.repeat}")
    per = 1e6 / args.events
    with tempfile.TemporaryDirectory(prefix="journal-cost-") as tmp:
        for kind in ("invoice.created", "allocation.created"):
            changes = _changes(kind, args.events)
            hashing = _best(args.repeat, functools.partial(_hashing_only, changes))
            stored = min(_into_sqlite(changes, Path(tmp)) for _ in range(args.repeat))
            print(
                f"  {kind:<20} hashing {hashing * per:6.1f} µs/event   record_many into SQLite, with commit"
                f" {stored * per:6.1f} µs/event   load {os.getloadavg()[0]:.2f}"
            )


if __name__ == "__main__":
    main()
