#!/usr/bin/env bash
# Install (if missing) and start a local PostgreSQL for briefbot's PostgreSQL tests, idempotently.
#
#   export BRIEFBOT_TEST_DATABASE_URL="$(bash scripts/postgres-test-db.sh)"
#
# stdout: exactly one line, the SQLAlchemy URL to export. Progress goes to stderr.
# Listens on 127.0.0.1 only; role `briefbot` (password `briefbot`, scram over TCP) owns database
# `briefbot_test`. Safe to run again: every step checks before it acts. Needs root (apt, pg_ctlcluster).
set -euo pipefail

PGUSER_NAME=briefbot
PGPASS=briefbot
PGDB=briefbot_test

say() { echo "postgres-test-db: $*" >&2; }

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  say "installing the Debian postgresql package"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi

VERSION="$(ls /usr/lib/postgresql | sort -V | tail -1)"
if ! pg_lsclusters -h | awk -v v="$VERSION" '$1 == v && $2 == "main"' | grep -q .; then
  say "creating cluster $VERSION/main"
  pg_createcluster "$VERSION" main >&2
fi
PORT="$(pg_lsclusters -h | awk -v v="$VERSION" '$1 == v && $2 == "main" {print $3}')"

# Containers often lack the socket directory that pg_ctlcluster expects.
install -d -o postgres -g postgres -m 2775 /var/run/postgresql

if ! pg_lsclusters -h | awk -v v="$VERSION" '$1 == v && $2 == "main" {print $4}' | grep -q online; then
  say "starting cluster $VERSION/main on 127.0.0.1:$PORT"
  pg_ctlcluster "$VERSION" main start -- -o "-c listen_addresses=127.0.0.1" >&2
fi

for _ in $(seq 1 60); do
  pg_isready -q -h 127.0.0.1 -p "$PORT" && break
  sleep 0.5
done
pg_isready -q -h 127.0.0.1 -p "$PORT" || { say "server did not become ready on port $PORT"; exit 1; }

psql_admin() { su postgres -c "psql -p $PORT -v ON_ERROR_STOP=1 -qtAX $*"; }

if [ "$(psql_admin "-c \"SELECT 1 FROM pg_roles WHERE rolname = '$PGUSER_NAME'\"")" != "1" ]; then
  say "creating role $PGUSER_NAME"
  psql_admin "-c \"CREATE ROLE $PGUSER_NAME LOGIN PASSWORD '$PGPASS'\""
fi
if [ "$(psql_admin "-c \"SELECT 1 FROM pg_database WHERE datname = '$PGDB'\"")" != "1" ]; then
  say "creating database $PGDB"
  psql_admin "-c \"CREATE DATABASE $PGDB OWNER $PGUSER_NAME\""
fi

URL="postgresql+psycopg://$PGUSER_NAME:$PGPASS@127.0.0.1:$PORT/$PGDB"
# Prove the URL works with password auth over TCP before handing it out.
PGPASSWORD="$PGPASS" psql -h 127.0.0.1 -p "$PORT" -U "$PGUSER_NAME" -d "$PGDB" -qtAX -c "SELECT 1" >/dev/null
say "ready"
echo "$URL"
