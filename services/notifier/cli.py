"""``sverka webhooks …`` and ``sverka outbox drain``: the notifier's commands, registered into the sverka CLI.

The reconciler's CLI calls :func:`register` with its subparsers; handlers return exit codes and
print JSON, like every sverka command. Domain errors raised here are printed by the CLI's main.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from shared.config import get_settings

CLI_ACTOR = "cli"


def _print(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2, default=str) + "\n")


def _prepare_database() -> None:
    if get_settings().auto_migrate:
        from shared.migrate import upgrade

        upgrade()


def cmd_webhooks_add(args: argparse.Namespace) -> int:
    from services.notifier import service
    from services.notifier.schemas import EndpointIn
    from shared.db import session_scope

    _prepare_database()
    events = [e for e in args.events.split(",") if e.strip()]
    with session_scope() as session:
        created = service.register_endpoint(
            session,
            EndpointIn(url=args.url, partner_inn=args.partner, events=events, description=args.description),
            actor=CLI_ACTOR,
        )
    _print(created.model_dump(mode="json"))
    return 0


def cmd_webhooks_list(_: argparse.Namespace) -> int:
    from services.notifier import service
    from shared.db import session_scope

    _prepare_database()
    with session_scope() as session:
        endpoints = service.list_endpoints(session)
    _print([e.model_dump(mode="json") for e in endpoints])
    return 0


def cmd_webhooks_rotate(args: argparse.Namespace) -> int:
    from services.notifier import service
    from shared.db import session_scope

    _prepare_database()
    with session_scope() as session:
        rotated = service.rotate_secret(session, args.id, actor=CLI_ACTOR)
    _print(rotated.model_dump(mode="json"))
    return 0


def cmd_webhooks_disable(args: argparse.Namespace) -> int:
    from services.notifier import service
    from shared.db import session_scope

    _prepare_database()
    with session_scope() as session:
        endpoint = service.disable(session, args.id, actor=CLI_ACTOR, reason=args.reason)
    _print(endpoint.model_dump(mode="json"))
    return 0


def cmd_webhooks_enable(args: argparse.Namespace) -> int:
    from services.notifier import operations
    from shared.db import session_scope

    _prepare_database()
    with session_scope() as session:
        endpoint = operations.enable(session, args.id, actor=CLI_ACTOR, reason=args.reason)
    _print(endpoint.model_dump(mode="json"))
    return 0


def cmd_webhooks_replay(args: argparse.Namespace) -> int:
    from services.notifier import operations
    from shared.db import session_scope

    _prepare_database()
    with session_scope() as session:
        ids = operations.failed_deliveries(session, args.id) if args.all_failed else args.delivery
        replayed = operations.replay(session, args.id, ids, actor=CLI_ACTOR, reason=args.reason) if ids else 0
    _print({"endpoint_id": args.id, "replayed": replayed})
    return 0


def cmd_webhooks_test(args: argparse.Namespace) -> int:
    """Queue a test event and deliver what is due now, then print how the test delivery went."""
    from services.notifier import operations
    from services.notifier.dispatcher import drain
    from shared.db import session_scope

    _prepare_database()
    with session_scope() as session:
        delivery_id = operations.send_test(session, args.id, actor=CLI_ACTOR)
    drain()
    with session_scope() as session:
        result = operations.delivery_status(session, delivery_id)
    _print(result)
    return 0 if result["status"] == "delivered" else 1


def cmd_outbox_drain(_: argparse.Namespace) -> int:
    from services.notifier.dispatcher import drain

    _prepare_database()
    _print(drain().as_dict())
    return 0


def register(sub: Any) -> None:
    """Add the ``webhooks`` and ``outbox`` command groups to the sverka CLI's subparsers."""
    webhooks = sub.add_parser("webhooks", help="Signed webhook endpoints for partners and internal services.")
    wsub = webhooks.add_subparsers(dest="webhooks_command", required=True, metavar="COMMAND")
    p = wsub.add_parser("add", help="Register an endpoint; prints its id and whsec_ secret (shown once).")
    p.add_argument("--url", required=True)
    p.add_argument("--partner", metavar="INN", help="Only this partner's events (default: an internal endpoint).")
    p.add_argument("--events", default="all", metavar="TYPE,…|all", help="Event types to receive (default: all).")
    p.add_argument("--description")
    p.set_defaults(handler=cmd_webhooks_add)
    p = wsub.add_parser("list", help="Registered endpoints and their health (no secrets).")
    p.set_defaults(handler=cmd_webhooks_list)
    p = wsub.add_parser("rotate-secret", help="New secret; the old one signs alongside it during the grace period.")
    p.add_argument("id", type=int)
    p.set_defaults(handler=cmd_webhooks_rotate)
    p = wsub.add_parser("disable", help="Stop deliveries to an endpoint.")
    p.add_argument("id", type=int)
    p.add_argument("--reason", default="disabled by an operator")
    p.set_defaults(handler=cmd_webhooks_disable)
    p = wsub.add_parser("enable", help="Send to a disabled endpoint again; deliveries that waited become due now.")
    p.add_argument("id", type=int)
    p.add_argument("--reason")
    p.set_defaults(handler=cmd_webhooks_enable)
    p = wsub.add_parser("replay", help="Send deliveries again now (same body and webhook-id): by id, or all failed.")
    p.add_argument("id", type=int, help="the endpoint")
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--delivery", type=int, action="append", metavar="DELIVERY_ID", help="repeatable")
    group.add_argument("--all-failed", action="store_true")
    p.add_argument("--reason")
    p.set_defaults(handler=cmd_webhooks_replay)
    p = wsub.add_parser("test", help="Send a signed webhook.test event now; exit 1 unless the receiver accepted it.")
    p.add_argument("id", type=int)
    p.set_defaults(handler=cmd_webhooks_test)

    outbox = sub.add_parser("outbox", help="The transactional outbox.")
    osub = outbox.add_subparsers(dest="outbox_command", required=True, metavar="COMMAND")
    p = osub.add_parser("drain", help="Relay every due event and attempt every due delivery once; print counts.")
    p.set_defaults(handler=cmd_outbox_drain)
