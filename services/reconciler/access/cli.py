"""``sverka users …``: create and manage workspace users from the command line.

``sverka users add NAME --role ROLE`` prints a generated password, or with ``--password-stdin``
reads one from standard input (so it never appears in the process list or shell history).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from shared.models.access import ROLES

CLI_ACTOR = "cli"


def _emit(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2) + "\n")


def _prepare() -> None:
    from services.reconciler.cli import _prepare_database

    _prepare_database()


def _password(args: argparse.Namespace) -> tuple[str, bool]:
    from services.reconciler.access.passwords import generate_password

    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n"), False
    return generate_password(), True


def cmd_add(args: argparse.Namespace) -> int:
    from services.reconciler.access.service import create_user
    from shared.db import session_scope

    _prepare()
    password, generated = _password(args)
    with session_scope() as session:
        user = create_user(session, args.name, args.role, password, actor=CLI_ACTOR)
        out: dict[str, Any] = {"username": user.username, "role": user.role}
    if generated:
        out["password"] = password
    _emit(out)
    return 0


def cmd_set_password(args: argparse.Namespace) -> int:
    from services.reconciler.access.service import set_password
    from shared.db import session_scope

    _prepare()
    password, generated = _password(args)
    with session_scope() as session:
        set_password(session, args.name, password, actor=CLI_ACTOR)
    _emit({"username": args.name, **({"password": password} if generated else {})})
    return 0


def cmd_disable(args: argparse.Namespace) -> int:
    from services.reconciler.access.service import disable_user
    from shared.db import session_scope

    _prepare()
    with session_scope() as session:
        disable_user(session, args.name, actor=CLI_ACTOR)
    _emit({"username": args.name, "disabled": True})
    return 0


def cmd_list(_: argparse.Namespace) -> int:
    from services.reconciler.access.repository import all_users
    from shared.db import session_scope

    _prepare()
    with session_scope() as session:
        users = [
            {"username": u.username, "role": u.role, "disabled": u.disabled_at is not None} for u in all_users(session)
        ]
    _emit(users)
    return 0


def register(sub: Any) -> None:
    """Add ``users`` and its subcommands to the top-level ``sverka`` parser."""
    users = sub.add_parser("users", help="Workspace users and their roles.")
    users_sub = users.add_subparsers(dest="users_command", required=True, metavar="COMMAND")
    add = users_sub.add_parser("add", help="Create a user; prints a generated password unless --password-stdin.")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--password-stdin", action="store_true", help="Read the password from standard input.")
    add.set_defaults(handler=cmd_add)
    pw = users_sub.add_parser("set-password", help="Set a new password; ends the user's sessions.")
    pw.add_argument("name")
    pw.add_argument("--password-stdin", action="store_true")
    pw.set_defaults(handler=cmd_set_password)
    dis = users_sub.add_parser("disable", help="Disable a user and end their sessions.")
    dis.add_argument("name")
    dis.set_defaults(handler=cmd_disable)
    ls = users_sub.add_parser("list", help="List users and roles.")
    ls.set_defaults(handler=cmd_list)
