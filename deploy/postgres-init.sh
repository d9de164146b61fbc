#!/bin/sh
# First start of the compose database: the plain role the API connects as (row-level
# security applies to it: not the owner, not a superuser). Its password comes from the
# environment; `rostra db grant rostra_app` (the migrate service) gives it the tables.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v pw="$ROSTRA_APP_DB_PASSWORD" <<'SQL'
CREATE ROLE rostra_app LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD :'pw';
SQL
