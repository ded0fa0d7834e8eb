"""``sverka evidence pack`` and ``sverka evidence verify``: make a pack, and check one offline.

``verify`` opens no database and reads no settings: whoever holds the ZIP can run it.
Exit codes as every sverka command: 0 intact, 1 a check failed (each problem names the file or
the journal event), 2 usage errors.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

CLI_ACTOR = "cli"


def _emit(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2, default=str) + "\n")


def cmd_pack(args: argparse.Namespace) -> int:
    from services.reconciler.cli import _prepare_database
    from services.reconciler.evidence.schemas import Subject, SubjectKind, Viewer
    from services.reconciler.evidence.service import build_pack
    from shared.db import session_scope

    kind: SubjectKind
    if args.payment is not None:
        kind, subject_id = "payment", args.payment
    elif args.invoice is not None:
        kind, subject_id = "invoice", args.invoice
    else:
        kind, subject_id = "contract", args.contract
    _prepare_database()
    with session_scope() as session:
        pack = build_pack(session, Subject(kind, subject_id), Viewer(CLI_ACTOR))
        target = Path(args.output or pack.filename)
        partial = target.with_name(f".{target.name}.partial")
        partial.write_bytes(pack.data)  # inside the transaction: a write that fails journals nothing
    os.replace(partial, target)  # after commit: the file appears only once its pack is journaled
    _emit(
        {
            "file": str(target),
            "subject": pack.manifest["subject"],
            "bytes": len(pack.data),
            "sha256": pack.sha256,
            "manifest_sha256": pack.manifest_sha256,
            "files": len(pack.manifest["files"]) + 1,
            "journal_events": len(pack.manifest["journal"]["included_seqs"]),
            "journal_head": pack.manifest["journal"]["head"],
            "journaled_as": pack.journal_seq,
        }
    )
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from services.reconciler.evidence.verify import verify_pack

    report = verify_pack(Path(args.file))
    if args.json:
        _emit(report.as_dict())
    else:
        sys.stdout.write(report.statement())
    if not report.ok:
        for problem in report.problems:
            sys.stderr.write(f"sverka: {args.file}: {problem.where}: {problem.what}\n")
        return 1
    return 0


def register(sub: Any) -> None:
    """Add ``evidence pack`` and ``evidence verify`` to the top-level ``sverka`` parser."""
    evidence = sub.add_parser("evidence", help="Evidence packs: one ZIP proving what happened to a payment.")
    esub = evidence.add_subparsers(dest="evidence_command", required=True, metavar="COMMAND")
    pack = esub.add_parser(
        "pack", help="Pack the evidence about one payment, invoice or contract into a ZIP (journaled)."
    )
    which = pack.add_mutually_exclusive_group(required=True)
    which.add_argument("--payment", type=int, metavar="ID", help="A payment (booked bank line) id.")
    which.add_argument("--invoice", type=int, metavar="ID", help="An invoice id.")
    which.add_argument("--contract", type=int, metavar="ID", help="A contract id.")
    pack.add_argument("-o", "--output", metavar="FILE.zip", help="Where to write it (default: a name in .).")
    pack.set_defaults(handler=cmd_pack)
    verify = esub.add_parser("verify", help="Check a pack offline; exit 1 naming each file or event that fails.")
    verify.add_argument("file", metavar="FILE.zip")
    verify.add_argument("--json", action="store_true", help="Print the report as JSON (for tools).")
    verify.set_defaults(handler=cmd_verify)
