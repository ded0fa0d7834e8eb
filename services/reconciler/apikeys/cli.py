"""``sverka apikeys …``: an administrator creates, lists and revokes the keys services call ``/v1`` with.

``create`` prints the key once; only its hash is stored, so a lost key is revoked and replaced.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from shared.models.api import API_SCOPES

CLI_ACTOR = "cli"


def _emit(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2, default=str) + "\n")


def _prepare() -> None:
    from services.reconciler.cli import _prepare_database

    _prepare_database()


def cmd_create(args: argparse.Namespace) -> int:
    from services.reconciler.apikeys.service import create_key
    from shared.db import session_scope

    _prepare()
    with session_scope() as session:
        created = create_key(session, args.name, args.scope, partner_inn=args.partner, actor=CLI_ACTOR)
        out = {
            "id": created.key.id,
            "name": created.key.name,
            "scope": created.key.scope,
            "partner_inn": created.partner_inn,
            "key": created.secret,
            "note": "shown once: store it now (only its hash is kept)",
        }
    _emit(out)
    return 0


def cmd_list(_: argparse.Namespace) -> int:
    from services.reconciler.apikeys.repository import all_keys
    from shared.db import session_scope

    _prepare()
    with session_scope() as session:
        keys = [
            {
                "id": k.id,
                "name": k.name,
                "prefix": k.prefix,
                "scope": k.scope,
                "partner_inn": p.inn if p else None,
                "created_at": k.created_at.isoformat(),
                "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None,
            }
            for k, p in all_keys(session)
        ]
    _emit(keys)
    return 0


def cmd_revoke(args: argparse.Namespace) -> int:
    from services.reconciler.apikeys.service import revoke_key
    from shared.db import session_scope

    _prepare()
    with session_scope() as session:
        key = revoke_key(session, args.id, actor=CLI_ACTOR)
        out = {"id": key.id, "name": key.name, "revoked_at": key.revoked_at}
    _emit(out)
    return 0


def register(sub: Any) -> None:
    """Add ``apikeys`` and its subcommands to the top-level ``sverka`` parser."""
    keys = sub.add_parser("apikeys", help="API keys for services calling /v1.")
    keys_sub = keys.add_subparsers(dest="apikeys_command", required=True, metavar="COMMAND")
    create = keys_sub.add_parser("create", help="Create a key; prints it once.")
    create.add_argument("--name", required=True, help="Who uses it (e.g. billing, crm, shop).")
    create.add_argument("--scope", required=True, choices=API_SCOPES, help="read, or write (which includes read).")
    create.add_argument("--partner", metavar="INN", help="Confine the key to this partner's data.")
    create.set_defaults(handler=cmd_create)
    ls = keys_sub.add_parser("list", help="List keys (never the keys themselves).")
    ls.set_defaults(handler=cmd_list)
    revoke = keys_sub.add_parser("revoke", help="Revoke a key; requests with it get 401 from then on.")
    revoke.add_argument("id", type=int)
    revoke.set_defaults(handler=cmd_revoke)
