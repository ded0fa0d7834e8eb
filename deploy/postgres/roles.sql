-- Sverka's database roles. Run once per cluster as a superuser, with psql:
--   psql -v owner_password=… -v app_password=… -v database=sverka -f deploy/postgres/roles.sql
-- Idempotent: existing roles get the given passwords, an existing database is kept.
--
-- sverka_owner  owns the schema; migrations (`python -m deploy.database`) run as it.
-- sverka_app    what the API and the workers connect as: reads and writes business rows, never
--               alters the schema, never deletes, and cannot UPDATE or DELETE journal_event
--               (deploy/postgres/grants.sql; the append-only trigger refuses as well); row-level
--               security confines a partner key's requests to that partner (docs/operations.md).
\set ON_ERROR_STOP on

SELECT format('CREATE ROLE sverka_owner LOGIN PASSWORD %L', :'owner_password')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sverka_owner') \gexec
SELECT format('CREATE ROLE sverka_app LOGIN PASSWORD %L', :'app_password')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sverka_app') \gexec
SELECT format('ALTER ROLE sverka_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD %L', :'owner_password') \gexec
-- NOBYPASSRLS, and not the tables' owner: row-level security (migration 0008) applies to the app's queries.
SELECT format('ALTER ROLE sverka_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS PASSWORD %L', :'app_password') \gexec

-- A transaction the app leaves open (a stuck request or task) must not hold its locks forever. Five minutes
-- is above the longest legitimate one (a bank pull holds its account's row lock while the bank answers).
ALTER ROLE sverka_app SET idle_in_transaction_session_timeout = '5min';
-- No JIT compilation. Row-level security's policies are costed per row as if every arm ran (the bank
-- line policy's per-line EXISTS), so an internal caller's bulk statement looks 20-60x dearer than the
-- owner's: past jit_*_above_cost the server spent about a second compiling each of the matcher's
-- 20,000-line updates, about as long as the update itself took (docs/benchmarks.md, "Reconcile on
-- PostgreSQL as the application role"). No query here runs long enough to gain from JIT.
ALTER ROLE sverka_app SET jit = off;

SELECT format('CREATE DATABASE %I OWNER sverka_owner ENCODING ''UTF8''', :'database')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'database') \gexec

\connect :database
-- Nobody but the owner creates objects; the app role may only use what the owner grants it.
REVOKE ALL ON DATABASE :"database" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"database" TO sverka_app;
ALTER SCHEMA public OWNER TO sverka_owner;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO sverka_app;
