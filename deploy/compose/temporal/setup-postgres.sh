#!/bin/sh
# One-shot job (the temporal-admin-tools service): creates Temporal's two PostgreSQL databases and brings
# their schemas up to the versions shipped in this admin-tools image. Safe on every `docker compose up`:
# `create` ignores an existing database, `setup-schema -v 0.0` never lowers a recorded version and
# `update-schema` applies only what is missing. Keep admin-tools on the server's version, so upgrading
# both migrates the schema before the new server starts.
# temporal-sql-tool reads SQL_PLUGIN, SQL_HOST, SQL_PORT, SQL_USER and SQL_PASSWORD from the environment.
set -eu

schemas=/etc/temporal/schema/postgresql/v12

# depends_on already waited for pg_isready; this covers a database that restarts in between.
attempt=1
until nc -z -w 2 "$SQL_HOST" "$SQL_PORT"; do
  if [ "$attempt" -ge 30 ]; then
    echo "PostgreSQL at $SQL_HOST:$SQL_PORT is not reachable" >&2
    exit 1
  fi
  attempt=$((attempt + 1))
  sleep 2
done

migrate() {
  echo "database $1: schema from $2"
  temporal-sql-tool --db "$1" create
  temporal-sql-tool --db "$1" setup-schema -v 0.0
  temporal-sql-tool --db "$1" update-schema -d "$2"
}

migrate temporal "$schemas/temporal/versioned"
migrate temporal_visibility "$schemas/visibility/versioned"
echo "Temporal schemas are up to date"
