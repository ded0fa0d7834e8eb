"""Databases on a throwaway PostgreSQL laid out with production's two roles.

Production (``deploy/postgres/roles.sql``) has the schema owned by an owner role, which migrates,
and the services connect as an application role, to which row-level security applies (migration
0008) and which may not change the schema (``deploy/postgres/grants.sql``). A test or benchmark that
connects as the cluster's superuser bypasses the policies and checks or measures something
production never runs; these helpers give it the same layout. The row-level security tests use
their own role names per test; the benchmarks use production's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, make_url, text


@dataclass(frozen=True)
class Roles:
    owner: str = "sverka_owner"
    app: str = "sverka_app"


PRODUCTION = Roles()


def app_role_settings() -> list[str]:
    """``name = value`` of each ``ALTER ROLE sverka_app SET`` in ``deploy/postgres/roles.sql``.

    Read from the file so that what tests and benchmarks run as is what production's role is set
    to: its ``jit = off`` spares the application role about a second of JIT compilation per bulk update.
    """
    roles_sql = Path(__file__).resolve().parents[1] / "deploy" / "postgres" / "roles.sql"
    return re.findall(r"^ALTER ROLE sverka_app SET (.+?);\s*$", roles_sql.read_text(), flags=re.MULTILINE)


def create_roles(admin_url: str, roles: Roles = PRODUCTION) -> None:
    """The two roles, neither superuser nor BYPASSRLS; the app's with production's settings.

    A throwaway cluster: no passwords, trust auth.
    """
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for role in (roles.owner, roles.app):
            conn.execute(text(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS"))
        for setting in app_role_settings():
            conn.execute(text(f"ALTER ROLE {roles.app} SET {setting}"))
    admin.dispose()


def migrated_database(admin_url: str, name: str, roles: Roles = PRODUCTION) -> str:
    """A new database ``name`` owned by ``roles.owner``, migrated by it and granted to ``roles.app``.

    Returns the superuser's URL to it, for :func:`as_role`.
    """
    from deploy.database import grant_statements
    from shared import db
    from shared.migrate import upgrade

    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" OWNER {roles.owner}'))
    admin.dispose()
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    superuser = create_engine(url, isolation_level="AUTOCOMMIT")
    with superuser.connect() as conn:  # as deploy/postgres/roles.sql does
        conn.execute(text(f"ALTER SCHEMA public OWNER TO {roles.owner}"))
        conn.execute(text(f"GRANT USAGE ON SCHEMA public TO {roles.app}"))
    superuser.dispose()
    owner = db.make_engine(as_role(url, roles.owner))
    upgrade(owner)
    with owner.begin() as conn:  # grants.sql names production's application role
        for statement in grant_statements():
            conn.execute(text(statement.replace(PRODUCTION.app, roles.app)))
    owner.dispose()
    return url


def copy_of(admin_url: str, template: str, name: str, roles: Roles = PRODUCTION) -> str:
    """A new database ``name`` cloned from ``template`` (owner, grants and schema come along); its superuser URL."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}" OWNER {roles.owner}'))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def as_role(url: str, role: str) -> str:
    """``url`` connecting as ``role`` instead."""
    return make_url(url).set(username=role).render_as_string(hide_password=False)
