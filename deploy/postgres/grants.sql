-- What the application role may do, re-applied after every migration (python -m deploy.database)
-- because new tables get no privileges by default. Run as sverka_owner. Idempotent.
--
-- Rules: read, insert and update business rows; never delete (nothing in Sverka is deleted);
-- journal_event is append-only, so the app may only read and insert it; alembic_version is
-- read-only to the app (it never migrates: SVERKA_AUTO_MIGRATE=false).
GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO sverka_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO sverka_app;
REVOKE DELETE, TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM sverka_app;
REVOKE UPDATE ON journal_event FROM sverka_app;
REVOKE INSERT, UPDATE ON alembic_version FROM sverka_app;
