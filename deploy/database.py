"""``python -m deploy.database``: migrate as the owner role, then re-grant the application role.

Production runs this once per release (the ``migrate`` service in docker-compose.yml, the first
step of ``make prod-local``), with ``SVERKA_DATABASE_URL`` naming ``sverka_owner``. The API and
the workers connect as ``sverka_app``, which cannot change the schema, cannot delete, and cannot
rewrite the journal. Grants are re-applied after every migration because PostgreSQL gives a new
table no privileges, and a table the app cannot read would break the release at its first query.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine

GRANTS_SQL = Path(__file__).resolve().parent / "postgres" / "grants.sql"


def grant_statements() -> list[str]:
    """The statements of ``grants.sql`` (comments dropped; one statement per ``;``)."""
    body = "\n".join(line for line in GRANTS_SQL.read_text(encoding="utf-8").splitlines() if not line.startswith("--"))
    return [s.strip() for s in body.split(";") if s.strip()]


def grant_app_role(engine: Engine) -> None:
    """Apply ``grants.sql`` in one transaction (PostgreSQL only; SQLite has no roles)."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as conn:
        for statement in grant_statements():
            conn.execute(text(statement))


def migrate_and_grant(engine: Engine | None = None) -> None:
    from shared.db import get_engine
    from shared.migrate import upgrade

    engine = engine or get_engine()
    upgrade(engine)
    grant_app_role(engine)


def main(argv: list[str] | None = None) -> int:
    import argparse

    from shared.config import get_settings
    from shared.db import get_engine

    parser = argparse.ArgumentParser(prog="python -m deploy.database", description=__doc__.split("\n\n")[0])
    parser.add_argument("--grants-only", action="store_true", help="re-apply grants.sql without migrating")
    args = parser.parse_args(argv)
    if args.grants_only:
        grant_app_role(get_engine())
    else:
        migrate_and_grant()
    summary = {"migrated": not args.grants_only, "granted": True, "database": get_settings().redacted_database_url}
    sys.stdout.write(json.dumps(summary) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
