"""``sverka accounts …`` and ``sverka sync …``: configure bank connections and pull from a shell.

Registered into the main parser by :func:`register`. Output is JSON on stdout; failures also
name the reason on stderr and exit 1 (a failed pull is still recorded and printed).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from typing import Any

CLI_ACTOR = "cli"


def _emit(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2, default=str) + "\n")


def _prepare_database() -> None:
    from shared.config import get_settings

    if get_settings().auto_migrate:
        from shared.migrate import upgrade

        upgrade()


def cmd_accounts_add(args: argparse.Namespace) -> int:
    from services.reconciler.sync.service import configure_connection
    from shared.db import session_scope

    _prepare_database()
    with session_scope() as session:
        view = configure_connection(
            session,
            args.number,
            api_kind=args.api,
            base_url=args.base_url,
            api_account_id=args.api_account_id,
            consent_id=args.consent_id,
            token_env=args.token_env,
            every_minutes=args.every_minutes,
            currency=args.currency,
            actor=CLI_ACTOR,
        )
    _emit(view.as_dict())
    return 0


def cmd_accounts_list(_: argparse.Namespace) -> int:
    from services.reconciler.sync.service import list_connections
    from shared.db import session_scope

    _prepare_database()
    with session_scope() as session:
        views = list_connections(session)
    _emit([v.as_dict() for v in views])
    return 0


def cmd_sync(args: argparse.Namespace) -> int:
    from services.reconciler.sync.service import pull_account
    from shared.db import session_scope

    _prepare_database()
    with session_scope() as session:  # the window lands whole or not at all; a failure is recorded
        result = pull_account(session, args.account, actor=CLI_ACTOR, today=args.today)
    _emit(result.as_dict())
    if not result.ok:
        sys.stderr.write(f"sverka: pull of account {result.account} failed: {result.error}\n")
        return 1
    return 0


def cmd_sync_due(args: argparse.Namespace) -> int:
    from services.reconciler.sync.tasks import sync_due_accounts

    _prepare_database()
    summary = sync_due_accounts(today=args.today.isoformat() if args.today else None)
    _emit(summary)
    failed = [p for p in summary["pulls"] if p["status"] != "ok"]
    for p in failed:
        sys.stderr.write(f"sverka: pull of account {p['account']} failed: {p['error']}\n")
    return 1 if failed else 0


def register(sub: Any) -> None:
    """Add ``accounts`` and ``sync`` to the main parser's subcommands."""
    accounts = sub.add_parser("accounts", help="Our bank accounts and how they are pulled from bank APIs.")
    accounts_sub = accounts.add_subparsers(dest="accounts_command", required=True, metavar="COMMAND")
    add = accounts_sub.add_parser(
        "add",
        help="Connect an account to a bank API (or change its connection).",
        description="Connect an account to a bank API. The token is read at pull time from an environment "
        "variable; only its name is stored.",
    )
    add.add_argument("number", help="Our account number.")
    add.add_argument("--api", required=True, choices=("berlin_group", "tbank"))
    add.add_argument("--base-url", required=True, help="The API root (the part before /v1 or /api/v1).")
    add.add_argument("--api-account-id", help="The bank's id for the account (T-Bank: defaults to the number).")
    add.add_argument("--consent-id", help="Berlin Group consent id.")
    add.add_argument("--token-env", help="Environment variable holding the bearer token "
                     "(default: SVERKA_BANK_TOKEN_<NUMBER>).")  # fmt: skip
    add.add_argument("--every-minutes", type=int, help="Pull interval of the scheduler (default from settings).")
    add.add_argument("--currency", help="The account's currency, for an account new to Sverka.")
    add.set_defaults(handler=cmd_accounts_add)
    listing = accounts_sub.add_parser("list", help="Print the connected accounts as JSON.")
    listing.set_defaults(handler=cmd_accounts_list)

    sync = sub.add_parser(
        "sync",
        help="Pull an account's new statement lines from its bank now.",
        description="Pull the next window of an account (or, with --due, of every account whose interval "
        "has elapsed) and print a JSON summary; exit 1 when a pull failed.",
    )
    target = sync.add_mutually_exclusive_group(required=True)
    target.add_argument("account", nargs="?", help="Our account number.")
    target.add_argument("--due", action="store_true", help="Pull every account that is due, as the scheduler does.")
    sync.add_argument("--today", type=date.fromisoformat, help="The banking day to pull up to (default: Moscow today).")
    sync.set_defaults(handler=_sync_dispatch)


def _sync_dispatch(args: argparse.Namespace) -> int:
    return cmd_sync_due(args) if args.due else cmd_sync(args)
