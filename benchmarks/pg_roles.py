"""Benchmark databases on a throwaway PostgreSQL with production's two roles.

Production (``deploy/postgres/roles.sql``) has the schema owned by ``sverka_owner``, who
migrates, and the services connect as ``sverka_app``, to which row-level security applies
(migration 0008) and which may not change the schema. A benchmark that connects as the cluster's
superuser bypasses the policies and measures something production never runs; these helpers give
a benchmark the application role's URL to a database migrated and granted as a release would.
"""

from __future__ import annotations

from sqlalchemy import create_engine, make_url, text

OWNER_ROLE, APP_ROLE = "sverka_owner", "sverka_app"


def create_roles(admin_url: str) -> None:
    """The two roles, on a cluster that has neither (a throwaway one: no passwords, trust auth)."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for role in (OWNER_ROLE, APP_ROLE):
            conn.execute(text(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS"))
    admin.dispose()


def migrated_database(admin_url: str, name: str) -> str:
    """A new database ``name`` owned by the owner role, migrated by it and granted to the app role.

    Returns the superuser's URL to it, for :func:`as_role`.
    """
    from deploy.database import grant_app_role
    from shared import db
    from shared.migrate import upgrade

    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" OWNER {OWNER_ROLE}'))
    admin.dispose()
    url = make_url(admin_url).set(database=name)
    superuser = create_engine(url, isolation_level="AUTOCOMMIT")
    with superuser.connect() as conn:  # as deploy/postgres/roles.sql does
        conn.execute(text(f"ALTER SCHEMA public OWNER TO {OWNER_ROLE}"))
        conn.execute(text(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}"))
    superuser.dispose()
    owner = db.make_engine(as_role(url.render_as_string(hide_password=False), OWNER_ROLE))
    upgrade(owner)
    grant_app_role(owner)
    owner.dispose()
    return url.render_as_string(hide_password=False)


def copy_of(admin_url: str, template: str, name: str) -> str:
    """A new database ``name`` cloned from ``template`` (roles, grants and schema come along); its superuser URL."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}" OWNER {OWNER_ROLE}'))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def as_role(url: str, role: str) -> str:
    """``url`` connecting as ``role`` instead."""
    return make_url(url).set(username=role).render_as_string(hide_password=False)
