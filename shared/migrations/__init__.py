"""Alembic migrations; run them with ``shared.migrate.upgrade`` or ``sverka migrate``."""
