#!/bin/sh
# docker-entrypoint-initdb.d hook of the postgres image: runs once, when the data volume is new.
# Creates sverka_owner (migrations) and sverka_app (the running services) and the database.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v owner_password="$SVERKA_OWNER_DB_PASSWORD" -v app_password="$SVERKA_APP_DB_PASSWORD" \
    -v database="${SVERKA_DB_NAME:-sverka}" -f /sverka/roles.sql
